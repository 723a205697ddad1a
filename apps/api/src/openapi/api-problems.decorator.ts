import { ApiExtension } from '@nestjs/swagger';
import type { ApiErrorCode } from '../common/api-error.js';

/** Where {@link ApiProblems} leaves a handler's codes for {@link finishDocument} to expand. */
export const METHOD_PROBLEMS = 'x-waiaas-problems';
/** The same for codes declared on a controller (they apply to each of its handlers). */
export const CLASS_PROBLEMS = 'x-waiaas-class-problems';

/**
 * The error codes a handler (or every handler of a controller) answers with, beyond those its
 * principals and request body imply (see `finishDocument`). Typed by the API's code table, so a
 * code that does not exist does not compile; the document groups them by status into
 * `application/problem+json` responses whose `code` is an enum of exactly these.
 *
 * Nest's `ApiExtension` keeps the first value per key and handler, so a controller's codes go
 * under their own key rather than being overwritten by (or overwriting) the handler's.
 *
 * @example
 * ```ts
 * @Patch(':id')
 * @ApiProblems('NOT_FOUND', 'AGENT_REVOKED_FINAL')
 * update() {}
 * ```
 */
export function ApiProblems(...codes: ApiErrorCode[]): MethodDecorator & ClassDecorator {
  const decorator = (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const extension = descriptor === undefined ? CLASS_PROBLEMS : METHOD_PROBLEMS;
    (ApiExtension(extension, codes) as (...args: unknown[]) => void)(target, key, descriptor);
  };
  return decorator;
}
