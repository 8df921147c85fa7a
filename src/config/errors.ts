/**
 * A bad option, named, with what to change (piscina style: each option checked on its own, the message says
 * which flag or env var is wrong and what a good value looks like). `code` is stable for scripts and tests.
 */
export class ConfigError extends Error {
  readonly code = 'ERR_TICKET_SPIKE_CONFIG';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
    this.name = 'ConfigError';
  }
}
