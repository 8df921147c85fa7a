/**
 * Errors `up` reports as one line (no stack trace) and turns into an exit code. Each carries a stable
 * code and a message that says what to change.
 */
export type LaunchErrorCode =
  | 'BAD_FLAG'
  | 'PORT_IN_USE'
  | 'ALREADY_RUNNING'
  | 'MISSING_BINARY'
  | 'NGINX_CONFIG'
  | 'START_FAILED'
  | 'DEMO_SALE'
  | 'LEFTOVERS_ALIVE'
  /** A PostgreSQL data directory up will not touch: a changed or broken link, files that are no cluster, one in use. */
  | 'DATA_GUARDED';

export class LaunchError extends Error {
  override readonly name = 'LaunchError';
  constructor(
    readonly code: LaunchErrorCode,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
