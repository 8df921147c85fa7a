import { findBinary } from '../../../src/launcher/prereqs.js';

/**
 * Where a helper runs its process: inside one harness host (a network namespace, test/helpers/hosts.ts). The
 * helpers (RedisServer, PostgresServer, NginxProcess, NodeProcess, WorkerProcess) take it as `host` and then
 * listen on `address` (and on the host's own 127.0.0.1), and probe readiness from the test's namespace at
 * `address`: the host's loopback is not the test's.
 */
export interface HostPlace {
  /** The network namespace's name (`ip netns list`). */
  netns: string;
  /** The host's IPv4 address on the harness bridge. */
  address: string;
  /** The harness's /24, e.g. 10.231.3.0/24 (PostgreSQL's pg_hba trusts it). */
  subnet: string;
}

let ipPath: string | undefined;

/** Absolute path of `ip`: a non-root PATH often lacks /usr/sbin, and spawn looks commands up in the child's PATH. */
export function ipBinary(): string {
  ipPath ??= findBinary('ip');
  if (ipPath === undefined) throw new Error('`ip` not found (apt-get install -y iproute2)');
  return ipPath;
}

/**
 * The command line that runs `command args` inside the host (unchanged without one). `ip netns exec` enters the
 * namespace and then execs the command, so the child's pid is the program's own: kill(pid) reaches it.
 */
export function inHost(place: HostPlace | undefined, command: string, args: string[]): [string, string[]] {
  if (place === undefined) return [command, args];
  return [ipBinary(), ['netns', 'exec', place.netns, command, ...args]];
}
