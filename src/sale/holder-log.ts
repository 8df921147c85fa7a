import { errorFromCode, EngineError } from '../redis/codes.js';
import { saleKeys } from '../redis/keys.js';
import type { ScriptCommands } from '../redis/scripts.js';
import type { HolderLogPage } from './types.js';

/** One page of a sale's holder log from `cursor` (lua/holder-log-4.lua); null for an unknown sale. O(page). */
export async function readHolderLogPage(scripts: ScriptCommands, saleId: string, cursor: number, max: number): Promise<HolderLogPage | null> {
  const k = saleKeys(saleId);
  const reply = await scripts.holderLog(k.meta, k.mayHold, k.holders, k.idem, cursor, max);
  if (reply === null) return null;
  if (Array.isArray(reply) && reply.length === 2 && typeof reply[0] === 'number' && reply[0] < 0) {
    throw errorFromCode(reply[0], String(reply[1]), `holders of sale ${saleId}`);
  }
  if (!Array.isArray(reply) || reply.length !== 4 || typeof reply[1] !== 'number' || typeof reply[2] !== 'number' || !Array.isArray(reply[3])) {
    throw new EngineError('ERR_UNEXPECTED_REPLY', `holders of sale ${saleId}: unexpected reply ${JSON.stringify(reply)}`);
  }
  return { ordersMade: Number(reply[0]), next: reply[1], length: reply[2], entries: reply[3] as string[] };
}
