import { Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiError } from './api-error.js';

/** A path parameter that must be a UUID (400 VALIDATION_FAILED otherwise, naming it). */
export function UuidParam(name: string): ParameterDecorator {
  return Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new ApiError('VALIDATION_FAILED', `Path parameter "${name}" must be a UUID`, {
          errors: [{ path: name, code: 'isUuid', message: `${name} must be a UUID` }],
        }),
    }),
  );
}
