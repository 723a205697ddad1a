import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiError, type FieldIssue } from './api-error.js';

function flatten(errors: ValidationError[], parent = ''): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const error of errors) {
    // Unknown property names come from the client: bounded, never echoed in full.
    const path = (parent === '' ? error.property : `${parent}.${error.property}`).slice(0, 256);
    for (const [code, message] of Object.entries(error.constraints ?? {}))
      issues.push({ path, code, message: message.slice(0, 512) });
    if (error.children !== undefined && error.children.length > 0)
      issues.push(...flatten(error.children, path));
  }
  return issues;
}

/**
 * The global validation pipe: DTO classes validated with class-validator, unknown fields
 * rejected (not silently dropped: a typo must never pass), failures as VALIDATION_FAILED
 * with one `errors` entry per broken constraint.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new ApiError('VALIDATION_FAILED', 'The request is invalid', { errors: flatten(errors) }),
  });
}
