import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { FRAMEWORK_ERROR_OPTIONS, registerFrameworkErrorHooks } from './common/framework-errors.js';
import { registerHttpHooks, genReqId } from './common/http-hooks.js';
import { registerJsonBodyParser } from './common/json-body.js';
import { createLogger, lazyRequestLogger, PinoNestLogger } from './common/logger.js';
import type { AppConfig } from './config/app-config.js';
import { registerConsole } from './console/console-static.js';
import { createInfrastructure, type InfrastructureOverrides } from './infra/infrastructure.js';
import { MetricsService } from './metrics/metrics.service.js';
import { buildOpenApiDocument } from './openapi/openapi-document.js';

export interface CreateAppOptions extends InfrastructureOverrides {
  /** A pino logger to use instead of one built from `config.log.level`. */
  logger?: Logger;
}

/**
 * Builds the API (not listening yet): connects PostgreSQL, Redis, RPC and custody (failing
 * fast), wires Nest on Fastify, serves the OpenAPI document at `/docs`, and initialises.
 * Tests call it with their own config and drive it with `app.inject()`; `main.ts` listens.
 *
 * @example
 * ```ts
 * const app = await createApp(loadConfig(process.env));
 * await app.listen({ port: 3000, host: '0.0.0.0' });
 * ```
 */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createLogger(config.log.level);
  const metrics = new MetricsService();
  const infra = await createInfrastructure(config, metrics, {
    ...options,
    onSlowQuery: (event) => logger.warn(event, 'db_query_slow'),
  });
  try {
    const adapter = new FastifyAdapter({
      loggerInstance: logger,
      bodyLimit: config.server.bodyLimit,
      trustProxy: config.server.trustProxy,
      genReqId,
      requestIdHeader: false,
      childLoggerFactory: lazyRequestLogger,
      ...FRAMEWORK_ERROR_OPTIONS,
    });
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot(config, infra, metrics),
      adapter,
      {
        logger: new PinoNestLogger(logger),
        abortOnError: false,
        // Bodies are parsed by registerJsonBodyParser only (Nest would add its own JSON and form parsers).
        bodyParser: false,
      },
    );
    const fastify = app.getHttpAdapter().getInstance();
    registerFrameworkErrorHooks(fastify);
    registerHttpHooks(fastify, metrics);
    registerJsonBodyParser(fastify, config.server.bodyLimit);
    await registerConsole(fastify, config);
    fastify.addHook('onClose', async () => {
      await infra.close();
    });

    const document = buildOpenApiDocument(app);
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });

    await app.init();
    return app;
  } catch (e) {
    await infra.close();
    throw e;
  }
}
