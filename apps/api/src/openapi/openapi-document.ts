import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDto } from '../common/problem.dto.js';
import { CONSOLE_ROUTES, SAFE_METHODS } from '../console/console-routes.js';
import { CONSOLE_COOKIE } from '../console/console-request.js';
import { CSRF_HEADER } from '../console/console-session.service.js';
import { finishDocument } from './finish-document.js';

const DESCRIPTION = [
  'Wallet-as-a-Service for AI agents on Solana: owners create agents and wallets, set a spending',
  'policy per wallet, and agents request transfers that are checked against the policy before',
  'anything is signed.',
  '',
  'Amounts are decimal strings in UI units (`"0.25"` SOL), with base units alongside',
  '(`amountBaseUnits`); never floats. Every error is an RFC 9457 `application/problem+json`',
  'document with a stable `code` (an enum per response). `x-waiaas-principals` on each',
  'operation says who may call it: `operator` (ADMIN_TOKEN), `owner` or `agent` (API keys),',
  '`console-session` (the owner console cookie, with `X-CSRF-Token` on mutations), `public`.',
].join('\n');

/**
 * The API's OpenAPI 3.0 document: what Nest derives from the controllers and DTOs, completed
 * by {@link finishDocument}. Served at `/docs/json`; `test/openapi.test.ts` lints it and
 * `test/conformance.test.ts` checks the running API against it.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const generated = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('WAIaaS API')
      .setDescription(DESCRIPTION)
      .setVersion('1')
      .build(),
    // Error responses are built from the code table by finishDocument, not by decorators.
    { extraModels: [ProblemDto] },
  );
  return finishDocument(generated, {
    consoleRoutes: CONSOLE_ROUTES,
    safeMethods: SAFE_METHODS,
    consoleCookie: CONSOLE_COOKIE,
    csrfHeader: CSRF_HEADER,
  }) as unknown as OpenAPIObject;
}
