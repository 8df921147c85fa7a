import t from 'tap';
import { StockCounters } from 'native-free-shm';
import { NO_SLOT, RETIRE_AFTER_MS, SaleRegistry, type RegistryHooks } from '../../src/node/main/registry.js';
import { resetSlot } from '../../src/node/main/slot-reset.js';
import { SlotMemory } from '../../src/sale/slot-memory.js';
import { CounterInventory } from '../../src/sale/counter-inventory.js';
import { REGISTRY_GRACE_MS } from '../../src/sale/places.js';
import type { SaleFacts } from '../../src/sale/types.js';

// The node's sale registry without Redis or threads: slots for live sales only, a full node refuses (never
// "no such sale"), a finished sale's slot is reused only after every thread let go (or the quarantine), zeroed.

const facts = (id: string, closesAt: number | null = null): SaleFacts => ({
  id, total: 10, held: 0, paid: 0, remaining: 10, open: true, paused: false, state: 'open', perUserLimit: 1, holdSeconds: 60, anonymous: false,
  opensAt: null, closesAt, ordersMade: 0, checkedIn: 0, idKey: null, kind: 'counter',
});

function setup(threads = 2, slots = 2) {
  let now = 1_000_000;
  const known = new Map<string, SaleFacts>();
  const events: string[] = [];
  const hooks: RegistryHooks = {
    onNew: (s) => events.push(`new ${s.info.id}@${s.info.slot}`),
    onRetire: (s) => events.push(`retire ${s.info.id}@${s.info.slot}`),
    clearSlot: (slot, quarantined) => events.push(`clear ${slot}${quarantined ? ' quarantined' : ''}`),
  };
  const registry = new SaleRegistry(async (id) => known.get(id) ?? null, hooks, { slots, threads, quarantineMs: 3000, now: () => now });
  return { registry, known, events, advance: (ms: number) => (now += ms), now: () => now };
}

t.test('a full node refuses with an error (answered 503), never "no such sale"', async (t) => {
  const { registry, known } = setup();
  for (const id of ['A', 'B', 'C']) known.set(id, facts(id));
  t.equal((await registry.lookup('A'))?.slot, 0);
  t.equal((await registry.lookup('B'))?.slot, 1);
  await t.rejects(registry.lookup('C'), /sale registry is full \(--max-sales 2/);
  t.equal(await registry.lookup('NOPE'), null, 'only a sale Redis does not know is null');
});

t.test("a sale's order-id key reaches its info (every thread makes the sale's ids with it); a legacy sale has none", async (t) => {
  const { registry, known } = setup();
  known.set('K', { ...facts('K'), idKey: '00112233445566778899aabbccddeeff' });
  known.set('L', facts('L'));
  t.equal((await registry.lookup('K'))?.idKey, '00112233445566778899aabbccddeeff');
  t.equal((await registry.lookup('L'))?.idKey, null);
});

t.test('a place read mid-create (no sale keys yet) is not remembered as a miss: the sale is served the moment it exists', async (t) => {
  const { registry, known } = setup();
  t.equal(await registry.lookup('NEW', { rememberMiss: false }), null, 'the scan of places finds no sale yet');
  known.set('NEW', facts('NEW'));
  t.equal((await registry.lookup('NEW'))?.slot, 0, 'the first buyer right after the create finds it');
  // The contrast: a buyer's lookup of a made-up id is remembered (one Redis read per id per missTtlMs).
  t.equal(await registry.lookup('LATER'), null);
  known.set('LATER', facts('LATER'));
  t.equal(await registry.lookup('LATER'), null, 'a remembered miss answers null until it expires');
});

t.test('a finished sale gets no slot but is known: closed, orders still readable', async (t) => {
  const { registry, known, events, now } = setup();
  known.set('OLD', facts('OLD', now() - RETIRE_AFTER_MS));
  const info = await registry.lookup('OLD');
  t.equal(info?.slot, NO_SLOT);
  t.equal(info?.id, 'OLD');
  t.same(events, [], 'no slot taken, nothing announced');
  t.equal(registry.list().length, 0);
  t.same(registry.sweepable().map((s) => s.info.id), ['OLD'], 'its holds are still swept');
});

t.test('slot reuse waits for every thread (or the quarantine); the next sale gets the zeroed slot', async (t) => {
  const { registry, known, events, advance, now } = setup(2, 1);
  known.set('S1', facts('S1', now() + 500));
  known.set('S2', facts('S2'));
  t.equal((await registry.lookup('S1'))?.slot, 0);
  await t.rejects(registry.lookup('S2'), /full/, 'one slot, taken');
  advance(500 + RETIRE_AFTER_MS - 1);
  registry.retireDue();
  t.same(events, ['new S1@0'], 'not before closesAt + RETIRE_AFTER_MS');
  advance(1);
  registry.retireDue();
  t.same(events, ['new S1@0', 'retire S1@0']);
  t.equal(registry.get('S1'), undefined, 'no purchase finds its slot any more');
  t.equal((await registry.lookup('S1'))?.slot, NO_SLOT, 'asked again: finished');
  await t.rejects(registry.lookup('S2'), /1 slot\(s\) being freed/, 'not reused while a thread may still touch it');
  registry.acknowledged(0, 'S1');
  t.equal(events.length, 2, 'one thread of two acknowledged');
  registry.acknowledged(0, 'S1');
  t.same(events.slice(2), ['clear 0'], 'both acknowledged: zeroed');
  t.equal((await registry.lookup('S2'))?.slot, 0, 'the new sale gets the slot');
  t.same(events.slice(3), ['new S2@0']);
});

t.test('a thread that never acknowledges delays reuse by the quarantine only', async (t) => {
  const { registry, known, events, advance, now } = setup(2, 1);
  known.set('S1', facts('S1', now()));
  await registry.lookup('S1');
  advance(RETIRE_AFTER_MS);
  registry.retireDue();
  registry.acknowledged(0, 'S1');
  advance(2999);
  registry.retireDue();
  t.notOk(events.some((e) => e.startsWith('clear')));
  advance(1);
  registry.retireDue();
  t.equal(events.at(-1), 'clear 0 quarantined');
  registry.acknowledged(0, 'S1');
  t.equal(events.filter((e) => e.startsWith('clear')).length, 1, 'a late acknowledgement changes nothing');
});

t.test("resetSlot leaves nothing of the old sale: quota, flags, in-flight, orders seen", async (t) => {
  const stock = StockCounters.create({ sales: 2, partitions: 2 });
  const slots = SlotMemory.create({ slots: 2, threads: 2 });
  for (const slot of [0, 1]) {
    stock.setQuota(slot, 7);
    stock.setOpen(slot, true);
    stock.setSoldOut(slot, true);
    slots.addInFlight(slot, 1);
    slots.raiseOrdersSeen(slot, 42);
  }
  resetSlot(stock, new CounterInventory(stock, slots, { weight: 1, totalWeight: 1, quotaBuffer: 0 }), 0);
  t.same([stock.available(0), stock.isOpen(0), stock.isSoldOut(0), slots.inFlight(0), slots.ordersSeen(0)], [0, false, false, 0, 0]);
  t.same([stock.available(1), stock.isOpen(1), stock.isSoldOut(1), slots.inFlight(1), slots.ordersSeen(1)], [7, true, true, 1, 42], 'other slots untouched');
});

t.test("Redis frees a place only after every node could have freed the slot", async (t) => {
  t.ok(REGISTRY_GRACE_MS >= RETIRE_AFTER_MS + 2000 + 1000 + 250 * 2, 'grace covers retire delay + default quarantine (--deadline-ms 2000 + 1 s) + timer ticks');
});
