import { findBinary } from '../../../src/launcher/prereqs.js';
import { ip, ipQuiet } from './ip.js';
import { probeName } from './names.js';

export type Availability = { ok: true } | { ok: false; reason: string };

let cached: Availability | undefined;

/**
 * Whether this machine lets us build hosts: Linux, root, `ip`, and the kernel accepting a namespace and a
 * bridge (a container without CAP_SYS_ADMIN / CAP_NET_ADMIN refuses `ip netns add`). Tried for real once per
 * process, with names of our pid (tshp<pid>) removed at once. A test skips with `reason`; on CI (root, Debian) it
 * must be ok.
 */
export function hostsAvailable(): Availability {
  cached ??= probe();
  return cached;
}

function probe(): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces are Linux only (this is ${process.platform})` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'not root: network namespaces, bridges and veths need root' };
  if (findBinary('ip') === undefined) return { ok: false, reason: '`ip` is missing (apt-get install -y iproute2)' };
  const name = probeName(process.pid);
  try {
    ip(['netns', 'add', name]);
    ipQuiet(['netns', 'del', name]);
    ip(['link', 'add', name, 'type', 'bridge']);
    ipQuiet(['link', 'del', name]);
    return { ok: true };
  } catch (err) {
    ipQuiet(['netns', 'del', name]);
    ipQuiet(['link', 'del', name]);
    return { ok: false, reason: `the kernel refused: ${(err as Error).message}` };
  }
}
