import type { Cluster, Redis } from 'ioredis';
import { EngineError, ScriptCode, errorFromCode } from '../redis/codes.js';
import { assertSaleId, saleKeys } from '../redis/keys.js';
import type { ScriptCommands } from '../redis/scripts.js';
import { SALE_PAGE, SALE_TOTAL, checkInt, checkStockChange } from '../rules/input-rules.js';
import { movePlaceEarlier } from './places.js';
import type { SaleStatus } from './types.js';

/**
 * Operating a sale (issue 13): pause, resume, close, add stock, list. Each change is ONE script on the sale's
 * meta hash (lua/pause-sale-1.lua, close-sale-1.lua, add-stock-1.lua), which validates everything before its
 * one write, so two operators — or an operator and a sale in full flow — never see half a change. Nodes take
 * the change into shared memory at their next reconcile (--reconcile-ms): the open flag from paused and
 * closesAt (src/node/main/open-flags.ts), quota and sold-out from the new remaining (src/sale/quota.ts).
 */

/** A pause or resume: false when the sale already was so (nothing written). */
export interface Changed {
  changed: boolean;
}

export interface Closed extends Changed {
  /** ms, Redis's clock: now for a sale closed by this call, else its earlier closesAt. */
  closesAt: number;
}

export interface Restocked {
  total: number;
  /** total - held - paid right after the change. */
  remaining: number;
}

export interface SalePage {
  sales: SaleStatus[];
  /** Pass as `after` for the next page; null on the last one. */
  next: string | null;
}

function tupleOf(reply: unknown, subject: string): [ScriptCode, string] {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') {
    throw new EngineError('ERR_UNEXPECTED_REPLY', `${subject}: unexpected reply ${JSON.stringify(reply)}`);
  }
  return [reply[0], String(reply[1] ?? '')];
}

export async function setPaused(scripts: ScriptCommands, saleId: string, paused: boolean): Promise<Changed> {
  const subject = `sale ${saleId}`;
  const [code, detail] = tupleOf(await scripts.pauseSale(saleKeys(saleId).meta, paused ? '1' : '0'), subject);
  if (code === ScriptCode.Ok || code === ScriptCode.Exists) return { changed: code === ScriptCode.Ok };
  throw errorFromCode(code, detail, subject);
}

/**
 * The script first, then the registry place ({ts:registry} is another Cluster slot, so not in the same script):
 * a crash in between leaves the place at its later release time — held a little longer, never freed early —
 * and closing again (answered "already closed") moves it.
 */
export async function closeSale(scripts: ScriptCommands, redis: Redis | Cluster, saleId: string): Promise<Closed> {
  const subject = `sale ${saleId}`;
  const [code, detail] = tupleOf(await scripts.closeSale(saleKeys(saleId).meta), subject);
  if (code !== ScriptCode.Ok && code !== ScriptCode.Exists) throw errorFromCode(code, detail, subject);
  const closesAt = Number(detail);
  await movePlaceEarlier(redis, saleId, closesAt);
  return { changed: code === ScriptCode.Ok, closesAt };
}

export async function addStock(scripts: ScriptCommands, saleId: string, add: number): Promise<Restocked> {
  assertSaleId(saleId);
  const subject = `sale ${saleId}`;
  const checked = checkStockChange(add);
  if (!checked.ok) throw new EngineError('ERR_INVALID_ARGUMENT', `${subject}: add ${checked.problem}`, 'add');
  const reply = await scripts.addStock(saleKeys(saleId).meta, String(add));
  const [code, detail] = tupleOf(reply, subject);
  if (code === ScriptCode.Ok) return { total: Number((reply as unknown[])[1]), remaining: Number((reply as unknown[])[2]) };
  if (code === ScriptCode.InvalidArgument && detail === 'total') {
    throw new EngineError('ERR_INVALID_ARGUMENT', `${subject}: adding ${add} would make the total more than ${SALE_TOTAL.max}`, 'add');
  }
  if (code === ScriptCode.InvalidArgument && detail === 'kind') {
    throw new EngineError('ERR_INVALID_ARGUMENT', `${subject} is a train sale: its stock is its coaches' seats, not a count to change (close it and create another)`, 'add');
  }
  throw errorFromCode(code, detail, subject);
}

/** The ids of one page: those after `after` in id order, at most `limit`, and where the next page starts. Pure. */
export function pageOf(sortedIds: readonly string[], after: string, limit: number): { ids: string[]; next: string | null } {
  const start = after === '' ? 0 : sortedIds.findIndex((id) => id > after);
  const ids = start < 0 ? [] : sortedIds.slice(start, start + limit);
  const more = start >= 0 && start + limit < sortedIds.length;
  return { ids, next: more ? ids[ids.length - 1] : null };
}

/**
 * One page of sales with their statuses. The statuses are read together (ioredis pipelines them on the
 * connection; each is one read-only script call on its own sale, so this works on Cluster too). A sale in the
 * set whose keys are gone is left out.
 */
export async function statusPage(
  listIds: () => Promise<string[]>,
  status: (id: string) => Promise<SaleStatus | null>,
  after: string,
  limit: number,
): Promise<SalePage> {
  if (after !== '') assertSaleId(after);
  const checked = checkInt(SALE_PAGE, limit);
  if (!checked.ok) throw new EngineError('ERR_INVALID_ARGUMENT', `limit ${checked.problem}`, 'limit');
  const page = pageOf(await listIds(), after, limit);
  const statuses = await Promise.all(page.ids.map(status));
  return { sales: statuses.filter((s): s is SaleStatus => s !== null), next: page.next };
}
