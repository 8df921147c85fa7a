import { NODE_COMMAND } from '../config/node-config.js';
import type { CommandSpec } from '../config/options.js';
import { AUDIT_COMMAND } from './audit.js';
import { NGINX_CONF_COMMAND } from './nginx-conf.js';
import { NODES_COMMANDS } from './nodes.js';
import { SALE_CREATE_COMMAND, SALE_STATUS_COMMAND } from './sale.js';
import { SALE_OPS_COMMANDS } from './sale-ops.js';
import { TICKETS_ROTATE_COMMAND } from './tickets.js';
import { UP_COMMAND } from './up.js';

const COMMANDS: CommandSpec[] = [UP_COMMAND, NODE_COMMAND, SALE_CREATE_COMMAND, SALE_STATUS_COMMAND, ...SALE_OPS_COMMANDS, AUDIT_COMMAND, TICKETS_ROTATE_COMMAND, ...NODES_COMMANDS, NGINX_CONF_COMMAND];

/** `ticket-spike --help`: one line per command, from the same definitions that parse them. */
export const MAIN_HELP = `ticket-spike — flash-sale ticket backend (uWebSockets.js threads, shared-memory stock, Redis authority)

Usage:
${COMMANDS.map((c) => `  ${c.name} ${c.usage}\n      ${c.summary}`).join('\n')}
  ticket-spike <command> --help     every option of one command

Environment: REDIS_URL, ADMIN_TOKEN (the /admin routes), GATE_TOKEN (ticket check-in), PORT, LOG_LEVEL, TICKET_SPIKE_VAR, TICKET_KEYS_DIR; secrets only from the environment or a --<name>-file, never as flags. See each command's --help.
`;
