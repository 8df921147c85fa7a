import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Reply } from './reply.js';

export interface Asset {
  body: string;
  contentType: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * A plain-files page (the dashboard, the buyer's page): every file of `dir` and the `vendor` files (name under the
 * page -> file, from installed npm packages, no CDN), read once when a thread starts, keyed by path under the page.
 * Only these names are ever served: a request cannot name another file. A `required` name missing stops the
 * thread at start, naming it.
 */
export function loadPageFiles(what: string, dir: string, vendor: ReadonlyArray<readonly [string, string]>, required: readonly string[]): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const add = (name: string, file: string) => {
    const contentType = TYPES[file.slice(file.lastIndexOf('.'))];
    if (contentType !== undefined) assets.set(name, { body: readFileSync(file, 'utf8'), contentType });
  };
  for (const name of readdirSync(dir)) add(name, join(dir, name));
  for (const [name, file] of vendor) add(name, file);
  for (const name of required) if (!assets.has(name)) throw new Error(`${what} is missing ${name} (looked in ${dir} and its npm packages)`);
  return assets;
}

/** Answers one of a page's files by name with the page's headers; an unknown name is a 404 saying `where` to go. */
export function pageServer(assets: ReadonlyMap<string, Asset>, headers: ReadonlyArray<readonly [string, string]>, what: string, where: string): (reply: Reply, name: string) => void {
  return (reply, name) => {
    const asset = assets.get(name);
    if (asset === undefined) return reply.error({ status: 404, error: 'NOT_FOUND', msg: `no ${what} file ${name.slice(0, 80)}: open ${where}` });
    reply.send(200, asset.body, headers, false, asset.contentType);
  };
}
