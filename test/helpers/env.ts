/**
 * The environment a test gives every process it starts: where the system's programs are and the home
 * directory, and nothing else of the caller's — an exported ADMIN_TOKEN, REDIS_URL, LOG_LEVEL, PORT,
 * TICKET_SPIKE_VAR or NODE_OPTIONS must never change what a test sees. A test adds what it means to set.
 */
const PASSED_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'LANG'] as const;

export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_THROUGH) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}
