// reserve-batch's reply read into one discriminated result per purchase (src/sale/batch-reply.ts): each code is
// the variant that carries what it needs, and a code this version does not know is never taken for one it does.
import t from 'tap';
import { Outcome } from '../../src/redis/codes.js';
import { parseBatchReply } from '../../src/sale/batch-reply.js';
import type { PurchaseRequest } from '../../src/sale/types.js';

const purchases = (n: number): PurchaseRequest[] => Array.from({ length: n }, (_, i) => ({ orderId: `S.o${i}`, user: `u${i}` }));

t.test('each per-purchase code becomes its own variant, with the batch counts', async (t) => {
  const reply = parseBatchReply(JSON.stringify([7, 5000, 12, 1, -1, -2, -3, -5, -6, -4, [-4, 'OTHER'], ['S.old', 4000, 'p'], ['S.mine', 3000, 'h', 'u'], -99, 3]), purchases(12));
  t.same([reply.remaining, reply.ordersMade], [7, 12]);
  const counts = { remaining: 7, ordersMade: 12 };
  t.same(reply.results, [
    { outcome: Outcome.Success, orderId: 'S.o0', expiresAt: 5000, replayed: false, status: 'held', ...counts },
    { outcome: Outcome.SoldOut, ...counts },
    { outcome: Outcome.LimitReached, ...counts },
    { outcome: Outcome.NotOpen, ...counts },
    { outcome: Outcome.UnknownSale, ...counts },
    { outcome: Outcome.AnonymousNotAllowed, ...counts },
    { outcome: Outcome.IdempotencyMismatch, ...counts },
    { outcome: Outcome.IdempotencyMismatch, otherSale: 'OTHER', ...counts },
    { outcome: Outcome.Success, orderId: 'S.old', expiresAt: 4000, replayed: true, status: 'paid', ...counts },
    { outcome: Outcome.Success, orderId: 'S.mine', expiresAt: 3000, replayed: true, status: 'held', byUser: true, ...counts },
    { outcome: 'unrecognized', code: -99, ...counts },
    { outcome: 'unrecognized', code: 3, ...counts },
  ]);
});

t.test('a reply of the wrong shape is refused whole', async (t) => {
  t.throws(() => parseBatchReply('[1, 2]', purchases(1)), { code: 'ERR_UNEXPECTED_REPLY' });
  t.throws(() => parseBatchReply(JSON.stringify([1, 2, 3, 'x']), purchases(1)), { code: 'ERR_UNEXPECTED_REPLY' });
  t.throws(() => parseBatchReply(JSON.stringify([1, 2, 3, ['S.a', 1, 'z']]), purchases(1)), { code: 'ERR_UNEXPECTED_REPLY' });
});
