import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPageFiles, type Asset } from '../page-files.js';

export type { Asset };

/** The page's own files: `dashboard/` at the package root, found from this module's place (src/ or dist/src/). */
export const DASHBOARD_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../../dashboard/' : '../../../../dashboard/', import.meta.url));

/** uPlot's prebuilt files, served from the installed npm package (no CDN) under /dashboard/vendor/. */
const UPLOT_FILES = ['uPlot.iife.min.js', 'uPlot.min.css'];

/** Every file the dashboard serves (a few tens of KB), keyed by its path under /dashboard/. */
export function loadDashboardAssets(dir: string = DASHBOARD_DIR): Map<string, Asset> {
  const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot'));
  return loadPageFiles('the dashboard page', dir, UPLOT_FILES.map((name) => [`vendor/${name}`, join(uplotDist, name)] as const), ['index.html']);
}
