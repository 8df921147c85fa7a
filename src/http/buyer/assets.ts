import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Asset } from '../dashboard/assets.js';

/** The buyer's page's own files: `buyer/` at the package root, found from this module's place (src/ or dist/src/). */
export const BUYER_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../../buyer/' : '../../../../buyer/', import.meta.url));

/**
 * The QR code library's plain-script build (no dependencies, MIT; it defines the global `qrcode`), served from the
 * installed npm package (no CDN) as /buyer/vendor/qrcode.js. `require.resolve('qrcode-generator')` names it: the
 * package's `main` and its exports' `require` are this file.
 */
const QR_PACKAGE = 'qrcode-generator';
const QR_NAME = 'vendor/qrcode.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Every file the buyer's page serves, read once when the thread starts (about 70 KB, most of it the QR library),
 * keyed by its path under /buyer/. Only these names are ever served: a request cannot name another file. A file
 * missing from the package stops the thread at start, naming it.
 */
export function loadBuyerAssets(dir: string = BUYER_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const add = (name: string, file: string) => {
    const ext = file.slice(file.lastIndexOf('.'));
    const contentType = TYPES[ext];
    if (contentType !== undefined) assets.set(name, { body: readFileSync(file, 'utf8'), contentType });
  };
  for (const name of readdirSync(dir)) add(name, join(dir, name));
  add(QR_NAME, createRequire(import.meta.url).resolve(QR_PACKAGE));
  for (const name of ['index.html', 'buyer.js', QR_NAME]) {
    if (!assets.has(name)) throw new Error(`the buyer's page is missing ${name} (looked in ${dir} and the ${QR_PACKAGE} package)`);
  }
  return assets;
}
