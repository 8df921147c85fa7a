import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { OPENAPI_FILE } from '../../src/http/routes/openapi.js';

/**
 * The OpenAPI document (docs/openapi.json) as the tests read it: its shape checked, and real answers validated
 * against it with Ajv in the JSON Schema 2020-12 dialect (the one OpenAPI 3.1 uses), strict mode on, so a keyword
 * misspelt in the document fails the test instead of being ignored.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Node = { [key: string]: Json };

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export function loadDocument(file: string = OPENAPI_FILE): Node {
  return JSON.parse(readFileSync(file, 'utf8')) as Node;
}

/** The value a local JSON pointer (`#/components/...`) names, or undefined. */
export function pointer(doc: Node, ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let at: Json | undefined = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (at === null || typeof at !== 'object' || Array.isArray(at) || !(key in at)) return undefined;
    at = at[key];
  }
  return at;
}

/** An OpenAPI object with its `$ref` (a Reference Object) followed, as often as it takes. */
function deref(doc: Node, value: Json | undefined): Node | undefined {
  let at = value;
  for (let hops = 0; hops < 10; hops++) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    const ref = at['$ref'];
    if (typeof ref !== 'string') return at;
    at = pointer(doc, ref);
  }
  return undefined;
}

export interface Operation {
  path: string;
  method: string;
  op: Node;
}

export function operations(doc: Node): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc['paths'] as Node)) {
    for (const method of HTTP_METHODS) {
      const op = (item as Node)[method];
      if (op !== undefined) out.push({ path, method, op: op as Node });
    }
  }
  return out;
}

/** Every `$ref` in the document with where it stands. */
function refs(value: Json, at: string, out: Array<[string, string]>): Array<[string, string]> {
  if (Array.isArray(value)) value.forEach((v, i) => refs(v, `${at}/${i}`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push([at, v]);
      else refs(v, `${at}/${k}`, out);
    }
  }
  return out;
}

/**
 * What keeps the document from being OpenAPI 3.1 as the tests rely on it: the version, every $ref resolving, every
 * operation with responses keyed by status, path templates and path parameters naming each other, unique
 * operationIds, known security schemes, X-Served-By on every answer (but the WebSocket's 101), and every schema
 * compiling under Ajv's strict 2020-12 mode. Empty when all is well.
 */
export function documentProblems(doc: Node, validator: AnswerValidator): string[] {
  const problems: string[] = [];
  if (typeof doc['openapi'] !== 'string' || !/^3\.1\.\d+$/.test(doc['openapi'])) problems.push(`openapi is ${JSON.stringify(doc['openapi'])}, not 3.1.x`);
  const info = doc['info'] as Node | undefined;
  if (typeof info?.['title'] !== 'string' || typeof info?.['version'] !== 'string') problems.push('info needs a title and a version');
  for (const [at, ref] of refs(doc, '#', [])) if (pointer(doc, ref) === undefined) problems.push(`${at}: $ref ${ref} does not resolve`);
  const schemes = Object.keys(((doc['components'] as Node)['securitySchemes'] ?? {}) as Node);
  const ids = new Set<string>();
  for (const { path, method, op } of operations(doc)) {
    const where = `${method.toUpperCase()} ${path}`;
    const id = op['operationId'];
    if (typeof id !== 'string' || ids.has(id)) problems.push(`${where}: operationId missing or not unique`);
    else ids.add(id);
    const responses = op['responses'] as Node | undefined;
    if (responses === undefined || Object.keys(responses).length === 0) problems.push(`${where}: no responses`);
    for (const [status, raw] of Object.entries(responses ?? {})) {
      if (!/^[1-5]\d\d$/.test(status) && status !== 'default') problems.push(`${where}: response key ${status}`);
      const response = deref(doc, raw);
      if (response === undefined) continue;
      if (typeof response['description'] !== 'string') problems.push(`${where} ${status}: no description`);
      const headers = (response['headers'] ?? {}) as Node;
      if (status !== '101' && headers['X-Served-By'] === undefined) problems.push(`${where} ${status}: no X-Served-By header`);
      for (const [type, media] of Object.entries((response['content'] ?? {}) as Node)) {
        const schema = (media as Node)['schema'];
        if (schema === undefined) problems.push(`${where} ${status} ${type}: no schema`);
        else problems.push(...validator.compileProblems(schema, `${where} ${status} ${type}`));
      }
    }
    const declared = ((op['parameters'] ?? []) as Json[]).map((p) => deref(doc, p)).filter((p) => p?.['in'] === 'path').map((p) => p!['name'] as string);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    if (declared.sort().join() !== templated.sort().join()) problems.push(`${where}: path parameters ${declared.join()} against the template's ${templated.join()}`);
    for (const requirement of (op['security'] ?? []) as Node[]) {
      for (const name of Object.keys(requirement)) if (!schemes.includes(name)) problems.push(`${where}: security scheme ${name} is not defined`);
    }
  }
  for (const [name, schema] of Object.entries(((doc['components'] as Node)['schemas'] ?? {}) as Node)) {
    problems.push(...validator.compileProblems(schema, `components.schemas.${name}`));
  }
  return problems;
}

/** One real answer as the tests got it. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const DEFS_ID = 'https://ticket-spike.invalid/openapi/schemas';

/**
 * Validates real answers against the document. Schemas are compiled once each; `#/components/schemas/X` refs are
 * pointed at one registered schema holding every component (so a response schema compiles on its own).
 */
export class AnswerValidator {
  private readonly ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: true, allowUnionTypes: true, allErrors: true });
  private readonly compiled = new WeakMap<object, ValidateFunction>();
  /** "METHOD path status" of every answer that validated. */
  readonly seen = new Set<string>();

  constructor(readonly doc: Node) {
    addFormats.default(this.ajv);
    const schemas = ((doc['components'] as Node)['schemas'] ?? {}) as Node;
    this.ajv.addSchema({ $id: DEFS_ID, $defs: rewriteRefs(schemas) as Node });
  }

  private validatorOf(schema: Json): ValidateFunction {
    if (typeof schema === 'boolean' || schema === null || typeof schema !== 'object') return this.ajv.compile({ const: schema });
    let fn = this.compiled.get(schema);
    if (fn === undefined) {
      fn = this.ajv.compile(rewriteRefs(schema) as Node);
      this.compiled.set(schema, fn);
    }
    return fn;
  }

  compileProblems(schema: Json, where: string): string[] {
    try {
      this.validatorOf(schema);
      return [];
    } catch (err) {
      return [`${where}: ${(err as Error).message}`];
    }
  }

  /** Problems of `value` against `schema` (a schema object of the document), as readable lines. */
  schemaProblems(schema: Json, value: unknown, where: string): string[] {
    const fn = this.validatorOf(schema);
    if (fn(value)) return [];
    return (fn.errors ?? []).slice(0, 8).map((e) => `${where}: ${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }

  /** The documented response of an operation for this status (or `default`), followed through its $ref. */
  response(path: string, method: string, status: number): Node | undefined {
    const op = (this.doc['paths'] as Node)[path] as Node | undefined;
    const responses = (op?.[method.toLowerCase()] as Node | undefined)?.['responses'] as Node | undefined;
    if (responses === undefined) return undefined;
    return deref(this.doc, responses[String(status)] ?? responses['default']);
  }

  /** Problems of a real answer against a documented response: its headers, its media type, its body. */
  responseProblems(response: Node, answer: Answer, where: string): string[] {
    const problems: string[] = [];
    for (const [name, raw] of Object.entries((response['headers'] ?? {}) as Node)) {
      const header = deref(this.doc, raw);
      const value = answer.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header?.['required'] === true) problems.push(`${where}: header ${name} missing`);
        continue;
      }
      if (header?.['schema'] !== undefined) problems.push(...this.schemaProblems(header['schema'], value, `${where} header ${name}`));
    }
    const content = response['content'] as Node | undefined;
    if (content === undefined) return problems;
    const type = String(answer.headers['content-type'] ?? '').split(';')[0].trim();
    const media = content[type] as Node | undefined;
    if (media === undefined) return [...problems, `${where}: content-type ${type} not documented (${Object.keys(content).join(', ')})`];
    let body: unknown = answer.body;
    if (type === 'application/json') {
      try {
        body = JSON.parse(answer.body);
      } catch {
        return [...problems, `${where}: the body is not JSON: ${answer.body.slice(0, 120)}`];
      }
    }
    return [...problems, ...this.schemaProblems(media['schema'], body, `${where} body`)];
  }

  /** Problems of a real answer of `method path` (the document's path template); recorded in `seen` when none. */
  check(path: string, method: string, answer: Answer): string[] {
    const where = `${method.toUpperCase()} ${path} ${answer.status}`;
    const response = this.response(path, method, answer.status);
    if (response === undefined) return [`${where}: this status is not documented for the operation`];
    const problems = this.responseProblems(response, answer, where);
    if (problems.length === 0) this.seen.add(`${method.toUpperCase()} ${path} ${answer.status}`);
    return problems;
  }

  /** Problems of a request body against the operation's documented requestBody (JSON). */
  requestProblems(path: string, method: string, body: unknown): string[] {
    const op = ((this.doc['paths'] as Node)[path] as Node)[method.toLowerCase()] as Node;
    const requestBody = deref(this.doc, op['requestBody']);
    const schema = ((requestBody?.['content'] as Node | undefined)?.['application/json'] as Node | undefined)?.['schema'];
    if (schema === undefined) return [`${method.toUpperCase()} ${path}: no JSON requestBody documented`];
    return this.schemaProblems(schema, body, `${method.toUpperCase()} ${path} request`);
  }
}

function rewriteRefs(value: Json): Json {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Node = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/') ? `${DEFS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}` : rewriteRefs(v);
  }
  return out;
}
