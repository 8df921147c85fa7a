// The shared holder filter (src/sale/holder-filter.ts): no entry added is ever missed (a holder told "sold
// out" is the one thing it must not do), strangers are rarely a false "maybe" at capacity, a thread's view of
// the same buffer sees what the main thread published, and a buffer that is not a filter is refused.
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { HolderFilter } from '../../src/sale/holder-filter.js';

t.test('every entry added is found; strangers are a false "maybe" well under 1 % at capacity', async (t) => {
  const filter = HolderFilter.create(50_000);
  t.equal(filter.capacity, 50_000);
  t.equal(filter.synced, -1, 'not complete for any orders count before the first publish');
  const entries: string[] = [];
  for (let i = 0; i < 25_000; i++) entries.push(`buyer${i}`, `buyer${i} req-${(i * 7919).toString(16)}`);
  for (const e of entries) filter.add(e);
  t.equal(entries.filter((e) => !filter.has(e)).length, 0, '50,000 entries added, none missed');
  let maybes = 0;
  const strangers = 200_000;
  for (let i = 0; i < strangers; i++) if (filter.has(`stranger${i}`) || filter.has(`buyer${i + 25_000}`)) maybes++;
  const rate = maybes / (2 * strangers);
  t.comment(`false "maybe" at capacity: ${(rate * 100).toFixed(3)} %`);
  t.ok(rate < 0.01, `false "maybe" at capacity is ${(rate * 100).toFixed(3)} %`);
  t.notOk(filter.has(''), 'the empty string was never added');
  filter.publish(12);
  t.equal(filter.synced, 12);
  t.equal(new HolderFilter(filter.buffer).has('buyer7'), true, 'a second view on the same buffer sees the entries');
  t.ok(filter.bytes >= (50_000 * 12) / 8, `${filter.bytes} bytes: at least 12 bits an entry`);
});

t.test('a filter is small until it needs to be big, and never past 2^31 bits', async (t) => {
  t.equal(HolderFilter.create(0).capacity, 1024, 'at least 1,024 entries');
  t.ok(HolderFilter.create(0).bytes <= 2048 + 64, 'about 1.5 bytes an entry');
  t.throws(() => new HolderFilter(new SharedArrayBuffer(100)), RangeError, 'a buffer that is not a filter is refused');
  const fake = new SharedArrayBuffer(64 + 8);
  new Int32Array(fake)[2] = 40;
  t.throws(() => new HolderFilter(fake), /log2 bits 40/);
});

t.test('another thread sees what the main thread added once it is published', async (t) => {
  const filter = HolderFilter.create(100);
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const i32 = new Int32Array(workerData);
     parentPort.on('message', () => parentPort.postMessage(Atomics.load(i32, 0)));
     parentPort.postMessage('ready');`,
    { eval: true, workerData: filter.buffer },
  );
  t.teardown(() => worker.terminate());
  const next = () => new Promise((resolve) => worker.once('message', resolve));
  t.equal(await next(), 'ready');
  filter.add('alice');
  filter.publish(5);
  worker.postMessage('synced?');
  t.equal(await next(), 5, "the thread reads the published count from the shared buffer (no copy was sent)");
});
