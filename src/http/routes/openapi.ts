import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Route } from '../router.js';

/** The OpenAPI document, `docs/openapi.json` at the package root, found from this module's place (src/ or dist/src/). */
export const OPENAPI_FILE = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../../../docs/openapi.json' : '../../../../docs/openapi.json', import.meta.url),
);

/**
 * The document as served: read and parsed once when a thread starts (like the dashboard's files), sent compact. A file
 * that is missing or not JSON stops the thread at start, naming it — never a 500 per request.
 */
export function loadOpenApi(file: string = OPENAPI_FILE): string {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
}

/**
 * GET /openapi.json: the HTTP API's contract (OpenAPI 3.1). It is hand-written and held to the code by two tests:
 * test/unit/openapi-routes.test.ts (its paths and methods are exactly the routes mounted) and
 * test/integration/openapi.test.ts (real answers of running nodes validate against it).
 */
export function openApiRoutes(document: string): Route[] {
  return [{ pattern: '/openapi.json', get: (reply) => reply.send(200, document) }];
}
