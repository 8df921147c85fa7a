// The OpenAPI document (docs/openapi.json) against the code, without a node: its paths and methods are exactly the
// routes a node's thread mounts (the same allRoutes list, and the dashboard's WebSocket), both ways; its ErrorCode
// enum is exactly the error codes the HTTP layer, the buyer tokens, the ticket format and nginx answer; and the
// document itself is OpenAPI 3.1-shaped (every $ref resolves, every operation has responses, every schema compiles
// under strict JSON Schema 2020-12).
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allRoutes, type RouteParts } from '../../src/http/routes/all.js';
import { DASHBOARD_SOCKET_PATH } from '../../src/http/dashboard/socket.js';
import { loadOpenApi, OPENAPI_FILE } from '../../src/http/routes/openapi.js';
import { AnswerValidator, documentProblems, loadDocument, operations } from '../helpers/openapi.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A uWS pattern as an OpenAPI path: `:name` is `{name}`, a trailing wildcard `*` is `{file}` (the page routes'). */
function openApiPath(pattern: string): string {
  return pattern.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\/\*$/, '/{file}');
}

/** The route builders only keep their ports in closures: nothing is called while the list is built. */
const stub = {} as never;
const parts: RouteParts = {
  purchase: stub,
  orders: stub,
  tickets: stub,
  sales: stub,
  admin: stub,
  health: stub,
  queue: stub,
  dashboard: new Map(),
  buyerPage: new Map(),
  openapi: '{}',
};

t.test('every route a node mounts is in the document, and the document has no other', async (t) => {
  const mounted = new Set<string>();
  for (const route of allRoutes(parts)) {
    const path = openApiPath(route.pattern);
    if (route.get) mounted.add(`GET ${path}`);
    if (route.post) mounted.add(`POST ${path}`);
  }
  mounted.add(`GET ${DASHBOARD_SOCKET_PATH}`); // the WebSocket's upgrade, mounted beside the routes
  const documented = new Set(operations(loadDocument()).map(({ path, method }) => `${method.toUpperCase()} ${path}`));
  t.same([...mounted].filter((r) => !documented.has(r)), [], 'no route is missing from the document');
  t.same([...documented].filter((r) => !mounted.has(r)), [], 'the document names no route the node lacks');
  t.ok(mounted.size >= 30, `${mounted.size} operations`);
});

/** Every .ts file under a directory. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name);
    return statSync(file).isDirectory() ? sources(file) : file.endsWith('.ts') ? [file] : [];
  });
}

/**
 * The error codes the code can answer, read from the sources: in src/http every literal of a line that sets `error:`,
 * and the codes given to reject(...), unavailable(...) and checkField(...); the same `error:` lines of the ticket format
 * (BAD_TICKET, BAD_TICKET_PAYLOAD); the buyer token's AuthErrorCode (answered as 401 with its code); nginx's own answers.
 */
function answeredCodes(): Set<string> {
  const codes = new Set<string>();
  const add = (text: string, pattern: RegExp) => {
    for (const m of text.matchAll(pattern)) for (const code of m.slice(1)) if (code !== undefined) codes.add(code);
  };
  for (const file of [...sources(join(ROOT, 'src/http')), join(ROOT, 'src/tickets/format.ts')]) {
    const text = readFileSync(file, 'utf8');
    for (const line of text.split('\n').filter((l) => /\berror\s*:/.test(l))) add(line, /'([A-Z][A-Z0-9_]{2,})'/g);
    add(text, /reject\(\s*\d{3},\s*'([A-Z][A-Z0-9_]+)'/g);
    add(text, /unavailable\(\s*'([A-Z][A-Z0-9_]+)'/g);
    add(text, /checkField\(\s*\w+,\s*'([A-Z][A-Z0-9_]+)'/g);
  }
  const tokens = readFileSync(join(ROOT, 'src/auth/buyer-tokens.ts'), 'utf8');
  add(/type AuthErrorCode =([^;]+);/.exec(tokens)?.[1] ?? '', /'([A-Z_]+)'/g);
  add(readFileSync(join(ROOT, 'nginx/nginx.conf'), 'utf8'), /"error":"([A-Z_]+)"/g);
  return codes;
}

t.test("the document's ErrorCode is every error code the code answers, and no other", async (t) => {
  const answered = answeredCodes();
  const doc = loadDocument();
  const documented = new Set(((doc['components'] as Record<string, Record<string, { enum: string[] }>>)['schemas']['ErrorCode']).enum);
  t.ok(answered.size >= 60, `${answered.size} codes found in the sources (the scan still finds them)`);
  t.same([...answered].filter((c) => !documented.has(c)).sort(), [], 'every answered code is documented');
  t.same([...documented].filter((c) => !answered.has(c)).sort(), [], 'every documented code is answered somewhere');
  // Each operation's error enums name documented codes only (ajv checks the enum, this checks the spelling).
  const text = readFileSync(OPENAPI_FILE, 'utf8');
  const named = new Set([...text.matchAll(/"error": \{ "(?:const|enum)": (\[[^\]]*\]|"[A-Z_]+")/g)].flatMap((m) => JSON.parse(m[1]) as string | string[]));
  t.same([...named].filter((c) => !documented.has(c)).sort(), [], "every operation's codes are in ErrorCode");
});

t.test('the document is OpenAPI 3.1-shaped and every schema compiles (JSON Schema 2020-12, strict)', async (t) => {
  const doc = loadDocument();
  t.same(documentProblems(doc, new AnswerValidator(doc)), [], 'no problems');
  t.same(JSON.parse(loadOpenApi()), doc, 'the route serves the file as it is');
});

t.test('a renamed field fails validation (the schemas are closed)', async (t) => {
  const doc = loadDocument();
  const validator = new AnswerValidator(doc);
  const ok = { code: 1, msg: 'held', data: { id: 'S1.abc', sale: 'S1', user: 'u1', status: 'held', expiresAt: 1 } };
  const response = validator.response('/orders/{id}', 'get', 200)!;
  const answer = (body: unknown) => ({ status: 200, headers: { 'content-type': 'application/json', 'x-served-by': 'n1' }, body: JSON.stringify(body) });
  t.same(validator.responseProblems(response, answer(ok), 'order'), [], 'the real shape passes');
  const renamed = { ...ok, data: { ...ok.data, expiresAt: undefined, expiry: 1 } };
  t.not(validator.responseProblems(response, answer(renamed), 'order').length, 0, 'expiresAt renamed expiry fails');
  t.not(validator.responseProblems(response, { ...answer(ok), headers: { 'content-type': 'application/json' } }, 'order').length, 0, 'no X-Served-By fails');
});
