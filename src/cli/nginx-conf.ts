import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { parseCommand, type CommandSpec } from '../config/options.js';
import { nginxArgs, readNginxTemplate, renderNginxConf, testNginxConf, writeNginxConf } from '../launcher/nginx.js';
import { readRoster } from '../redis/node-roster.js';
import { checkNodeAddress, checkUpstreams, type WeightedNode } from '../rules/node-address.js';
import type { Command } from './command.js';
import { discoveredRedisUrl, REDIS_OPTION } from './redis-url.js';
import { withEngine } from './redis-client.js';
import { UP_COMMAND } from './up.js';

export const NGINX_CONF_COMMAND = {
  name: 'ticket-spike nginx-conf',
  usage: '--prefix DIR (--upstreams HOST:PORT=W,... | --from-roster) [--listen HOST:PORT] [options]',
  summary: "the front host's nginx config for nodes on other hosts, from a list or from the live node roster",
  options: {
    prefix: { type: 'text', value: 'DIR', help: "nginx's prefix: the config is written to DIR/nginx.conf, its pid, logs and temp files live there" },
    upstreams: { type: 'text', value: 'HOST:PORT=W,...', check: checkUpstreams, help: 'the nodes and their weights (weight 1 when left out)' },
    'from-roster': { type: 'flag', help: 'the live nodes of the roster in Redis, at their advertised addresses and weights in effect' },
    listen: { type: 'text', default: '0.0.0.0:8080', value: 'HOST:PORT', check: checkNodeAddress, help: 'where buyers connect' },
    nginx: { type: 'text', default: 'nginx', value: 'PATH', help: 'the nginx binary, for `nginx -t` of the written file (skipped when it is not found)' },
    'nginx-workers': { type: 'int', min: 1, max: 64, help: 'worker_processes (default: the cores of this machine)' },
    'ip-rate': UP_COMMAND.options['ip-rate'],
    'ip-burst': UP_COMMAND.options['ip-burst'],
    'ip-rate-exempt': UP_COMMAND.options['ip-rate-exempt'],
    'trusted-proxy': UP_COMMAND.options['trusted-proxy'],
    redis: REDIS_OPTION,
  },
  footer: `Adding or removing a node during a sale: start (or stop) it, run this again, then \`nginx -s reload -p DIR -c
DIR/nginx.conf\`: nginx's workers finish their requests on the old list and take the new one; the nodes' split of the
stock follows the roster by itself (~1 s). Exit 0 written, 1 no live node in the roster, 2 bad usage or nginx -t refused.`,
} as const satisfies CommandSpec;

/** `ticket-spike nginx-conf`, for the dispatch (src/cli/commands.ts). */
export const NGINX_CONF_COMMANDS: readonly Command[] = [{ spec: NGINX_CONF_COMMAND, run: runNginxConfCommand }];

/** `ticket-spike nginx-conf` */
export async function runNginxConfCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v } = parseCommand(NGINX_CONF_COMMAND, argv, env);
  if (v.prefix === undefined) throw new ConfigError('--prefix', 'give the directory nginx runs in (its config, pid and logs go there)');
  if ((v.upstreams === undefined) === !v['from-roster']) throw new ConfigError('--upstreams', 'give the nodes (--upstreams HOST:PORT=W,...) or --from-roster, one of them');
  const prefix = isAbsolute(v.prefix) ? v.prefix : resolve(v.prefix);
  let upstreams: WeightedNode[];
  if (v.upstreams !== undefined) upstreams = v.upstreams;
  else {
    const { members } = await withEngine(v.redis ?? discoveredRedisUrl(env), (engine) => readRoster(engine.redis));
    upstreams = [];
    for (const m of members) {
      // The roster is written by nodes, each from its checked --advertise; checked again before it becomes config.
      const address = checkNodeAddress(m.address);
      if (address.ok) upstreams.push({ ...address.value, weight: m.weight });
      else process.stderr.write(`node ${m.id}: left out, its address is not host:port (${address.problem})\n`);
    }
    if (upstreams.length === 0) {
      process.stderr.write('no live node in the roster: start the nodes first (each beats into it every --roster-ms)\n');
      return 1;
    }
  }
  const conf = renderNginxConf(readNginxTemplate(), {
    prefix,
    host: v.listen.host,
    port: v.listen.port,
    upstreams,
    workerProcesses: v['nginx-workers'] ?? availableParallelism(),
    ipRate: v['ip-rate'],
    ipBurst: v['ip-burst'],
    rateExempt: v['ip-rate-exempt'],
    trustedProxies: v['trusted-proxy'],
  });
  const file = writeNginxConf(conf, prefix);
  const nginxFound = v.nginx.includes('/') ? existsSync(v.nginx) : spawnSync(v.nginx, ['-v']).error === undefined;
  if (!nginxFound) process.stderr.write(`${v.nginx} not found here: the file is not tested (run nginx -t on the front host)\n`);
  else {
    try {
      testNginxConf(v.nginx, prefix, file);
    } catch (err) {
      if ((err as { code?: string }).code === 'NGINX_CONFIG') {
        process.stderr.write(`${(err as Error).message}\n`);
        return 2;
      }
      throw err;
    }
  }
  process.stdout.write(
    `wrote ${file}: ${upstreams.map((u) => `${u.host}:${u.port}=${u.weight}`).join(', ')}\n` +
      `start:  ${v.nginx} ${nginxArgs(prefix, file).join(' ')}\n` +
      `reload: ${v.nginx} -s reload ${nginxArgs(prefix, file).join(' ')}\n`,
  );
  return 0;
}
