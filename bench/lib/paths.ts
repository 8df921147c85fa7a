import { fileURLToPath } from 'node:url';

/** The project root (bench/lib/ is two levels down). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
