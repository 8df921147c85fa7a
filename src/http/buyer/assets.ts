import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadPageFiles, type Asset } from '../page-files.js';

/** The buyer's page's own files: `buyer/` at the package root, found from this module's place (src/ or dist/src/). */
export const BUYER_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../../buyer/' : '../../../../buyer/', import.meta.url));

/**
 * The QR code library's plain-script build (no dependencies, MIT; it defines the global `qrcode`), served from the
 * installed npm package as /buyer/vendor/qrcode.js. `require.resolve('qrcode-generator')` names it: the package's
 * `main` and its exports' `require` are this file.
 */
const QR_PACKAGE = 'qrcode-generator';
const QR_NAME = 'vendor/qrcode.js';

/** Every file the buyer's page serves (about 70 KB, most of it the QR library), keyed by its path under /buyer/. */
export function loadBuyerAssets(dir: string = BUYER_DIR): Map<string, Asset> {
  return loadPageFiles("the buyer's page", dir, [[QR_NAME, createRequire(import.meta.url).resolve(QR_PACKAGE)]], ['index.html', 'buyer.js', QR_NAME]);
}
