import { ConfigError } from '../config/errors.js';
import { parseCommand, type CommandSpec } from '../config/options.js';
import { readRoster, setNodeWeight } from '../redis/node-roster.js';
import { NODE_ID, checkText } from '../rules/input-rules.js';
import type { Command } from './command.js';
import { discoveredRedisUrl, REDIS_OPTION } from './redis-url.js';
import { withEngine } from './redis-client.js';

export const NODES_LIST_COMMAND = {
  name: 'ticket-spike nodes list',
  usage: '[--redis URL] [--json]',
  summary: 'the live nodes from the roster in Redis: id, weight in effect, address, the weight an operator set',
  options: {
    json: { type: 'flag', help: 'one JSON document instead of a table' },
    redis: REDIS_OPTION,
  },
} as const satisfies CommandSpec;

export const NODES_WEIGHT_COMMAND = {
  name: 'ticket-spike nodes weight',
  usage: '--node ID (--weight W | --clear) [--redis URL]',
  summary: "sets a node's weight in the weighted split of the stock (in effect at its next beat, ~1 s); --clear gives it back its own --weight",
  options: {
    node: { type: 'text', value: 'ID', check: (v: string) => checkText(NODE_ID, v), help: 'the node id (`nodes list`)' },
    weight: { type: 'int', min: 1, max: 1_000_000, value: 'W', help: 'the new weight' },
    clear: { type: 'flag', help: "remove the operator's weight" },
    redis: REDIS_OPTION,
  },
  footer: `The split sizes each node's local quota; nginx sends traffic by its own weights: give nginx the same
weights (\`ticket-spike nginx-conf --from-roster\`, then \`nginx -s reload\`), or a node gets more buyers than stock.`,
} as const satisfies CommandSpec;

/** `ticket-spike nodes list|weight`, for the dispatch (src/cli/commands.ts). */
export const NODES_COMMANDS: readonly Command[] = [
  { spec: NODES_LIST_COMMAND, run: list },
  { spec: NODES_WEIGHT_COMMAND, run: weight },
];

async function list(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v } = parseCommand(NODES_LIST_COMMAND, argv, env);
  const { members, weights } = await withEngine(v.redis ?? discoveredRedisUrl(env), (engine) => readRoster(engine.redis));
  if (v.json) {
    process.stdout.write(`${JSON.stringify({ nodes: members.map((m) => ({ ...m, setWeight: weights.get(m.id) ?? null })) })}\n`);
    return 0;
  }
  if (members.length === 0) {
    process.stdout.write('no live node in the roster (nodes started with --roster-ms 0 are not listed)\n');
    return 0;
  }
  const total = members.reduce((a, m) => a + m.weight, 0);
  const rows = [['NODE', 'WEIGHT', 'SHARE', 'ADDRESS', 'SET BY OPERATOR'], ...members.map((m) => [m.id, String(m.weight), `${((100 * m.weight) / total).toFixed(1)}%`, m.address, String(weights.get(m.id) ?? '-')])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  process.stdout.write(rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n') + '\n');
  return 0;
}

async function weight(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values: v } = parseCommand(NODES_WEIGHT_COMMAND, argv, env);
  if (v.node === undefined) throw new ConfigError('--node', 'name the node (its id, from `ticket-spike nodes list`)');
  if ((v.weight === undefined) === !v.clear) throw new ConfigError('--weight', 'give a new weight (--weight W) or --clear, one of them');
  const node = v.node;
  await withEngine(v.redis ?? discoveredRedisUrl(env), (engine) => setNodeWeight(engine.redis, node, v.clear ? null : v.weight!));
  process.stdout.write(v.clear ? `node ${node}: back to its own --weight at its next beat\n` : `node ${node}: weight ${v.weight} at its next beat\n`);
  return 0;
}
