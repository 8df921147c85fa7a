// The baselines' audit, from their own Redis: sold == orders == stream entries <= stock, and no user appears
// twice in the stream (limit 1). The same questions ticket-spike's audit answers, asked of purchase-3.lua's keys.
import type { Redis } from 'ioredis';
import { baselineKeys } from '../baselines/purchase.js';
import type { Books } from './system.js';

export async function baselineBooks(redis: Redis, sale: string): Promise<Books> {
  const k = baselineKeys(sale);
  const [totalText, soldText] = await redis.hmget(k.meta, 'total', 'sold');
  const total = Number(totalText);
  const sold = Number(soldText ?? 0);
  const orders = await redis.hlen(k.orders);
  const entries = await redis.xlen(k.stream);
  const problems: string[] = [];
  if (sold > total) problems.push(`oversold: sold ${sold} > total ${total}`);
  if (orders !== sold) problems.push(`sold ${sold} but ${orders} orders recorded`);
  if (entries !== sold) problems.push(`sold ${sold} but ${entries} stream entries`);
  const users = new Map<string, number>();
  let cursor = '-';
  for (;;) {
    const page = (await redis.xrange(k.stream, cursor, '+', 'COUNT', 10_000)) as Array<[string, string[]]>;
    for (const [, fields] of page) {
      const user = fields[fields.indexOf('user') + 1] ?? '';
      if (user !== '') users.set(user, (users.get(user) ?? 0) + 1);
    }
    if (page.length < 10_000) break;
    cursor = `(${page[page.length - 1][0]}`;
  }
  const over = [...users].filter(([, n]) => n > 1);
  if (over.length > 0) problems.push(`${over.length} users above the limit of 1, e.g. ${over[0][0]} with ${over[0][1]}`);
  return { sold, ok: problems.length === 0, problems, detail: { total, orders, streamEntries: entries, buyers: users.size } };
}
