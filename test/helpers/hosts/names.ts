/**
 * Every name the harness makes starts with `tsh` and its instance index, so a later run can find (and reap) what
 * a crashed one left, and never touches anything else. Linux allows interface names of 15 characters: `tsh63br`
 * and `tsh63h199` fit. The veth end inside a host is `eth0`: it lives in the host's own namespace, where no other
 * eth0 exists. A namespace name is a file in /run/netns, with no such limit: `tsh<index>-<host>` reads well in
 * `ip netns list`.
 */
export const PREFIX = 'tsh';

/** What a host may be called: it goes into the namespace name. */
export const HOST_NAME = /^[a-z][a-z0-9-]{0,23}$/;

export const bridgeName = (index: number): string => `${PREFIX}${index}br`;
export const vethName = (index: number, host: number): string => `${PREFIX}${index}h${host}`;
export const netnsName = (index: number, host: string): string => `${PREFIX}${index}-${host}`;

/** One /24 per instance: 10.231.<index>.0/24, the root namespace at .1 on the bridge, the hosts from .2. */
export const subnetOf = (index: number): string => `10.231.${index}.0/24`;
export const rootAddressOf = (index: number): string => `10.231.${index}.1`;
export const hostAddressOf = (index: number, host: number): string => `10.231.${index}.${host + 2}`;
export const MAX_HOSTS = 200;

/** The instance a namespace name belongs to (undefined: not the harness's). */
export function netnsInstance(name: string): number | undefined {
  const m = /^tsh(\d+)-/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** The instance a link (bridge or veth) belongs to (undefined: not the harness's). */
export function linkInstance(name: string): number | undefined {
  const m = /^tsh(\d+)(?:br|h\d+)$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** Hosts.available() tries a namespace and a bridge named tshp<pid>: the pid whose leftover a crash may leave. */
export const probeName = (pid: number): string => `${PREFIX}p${pid}`;
export function probePid(name: string): number | undefined {
  const m = /^tshp(\d+)$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}
