import { buildNodeConfig, NODE_COMMAND, type NodeConfig } from '../config/node-config.js';
import { helpText } from '../config/options.js';
import type { Command } from './command.js';
import { discoveredRedisUrl } from './redis-url.js';

export const NODE_HELP = helpText(NODE_COMMAND);

/** `ticket-spike node`, for the dispatch (src/cli/commands.ts). */
export const NODE_COMMANDS: readonly Command[] = [{ spec: NODE_COMMAND, run: runNodeCommand }];

/** Flags -> NodeConfig (or 'help'); throws ConfigError / parseArgs' TypeError naming the bad flag. */
export function parseNodeArgs(argv: string[], env: NodeJS.ProcessEnv, runningUp?: () => string | undefined): NodeConfig | 'help' {
  return buildNodeConfig(argv, env, () => discoveredRedisUrl(env, runningUp));
}

export async function runNodeCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const config = parseNodeArgs(argv, env);
  if (config === 'help') {
    process.stdout.write(NODE_HELP);
    return 0;
  }
  const { runNode } = await import('../node/main/run-node.js');
  return runNode(config);
}
