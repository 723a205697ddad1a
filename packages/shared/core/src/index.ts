/**
 * `@waiaas/shared` holds what every WAIaaS package shares and nothing else: {@link CodedError},
 * the base of each package's one error class, and the zod helpers ({@link parseEnv},
 * {@link COMMON_ENV}) each process builds its configuration from.
 */
export { CodedError, isCodedError } from './coded-error.js';
export {
  COMMON_ENV,
  ConfigError,
  type ConfigErrorContext,
  envBool,
  envInt,
  envUrl,
  LOG_LEVELS,
  type LogLevel,
  parseEnv,
  type ParseEnvOptions,
} from './config.js';
