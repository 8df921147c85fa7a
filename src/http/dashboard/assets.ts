import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page's own files: `dashboard/` at the package root, found from this module's place (src/ or dist/src/). */
export const DASHBOARD_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../../dashboard/' : '../../../../dashboard/', import.meta.url));

/** uPlot's prebuilt files, served from the installed npm package (no CDN) under /dashboard/vendor/. */
const UPLOT_FILES = ['uPlot.iife.min.js', 'uPlot.min.css'];

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
 * Every file the dashboard serves, read once when the thread starts (a few tens of KB), keyed by its path
 * under /dashboard/. Only these names are ever served: a request cannot name another file. A file missing
 * from the package stops the thread at start, naming it.
 */
export function loadDashboardAssets(dir: string = DASHBOARD_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const add = (name: string, file: string) => {
    const ext = file.slice(file.lastIndexOf('.'));
    const contentType = TYPES[ext];
    if (contentType !== undefined) assets.set(name, { body: readFileSync(file, 'utf8'), contentType });
  };
  for (const name of readdirSync(dir)) add(name, join(dir, name));
  const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot'));
  for (const name of UPLOT_FILES) add(`vendor/${name}`, join(uplotDist, name));
  if (!assets.has('index.html')) throw new Error(`the dashboard page is missing: no index.html in ${dir}`);
  return assets;
}
