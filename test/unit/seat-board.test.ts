// src/sale/seat-board.ts: a node's copy of a train's seat book — the sum behind "seats left from a to b", the
// newest version winning, a new master's reset, and a reader on another thread never seeing half a write.
import t from 'tap';
import { SeatBoard } from '../../src/sale/seat-board.js';
import { nextMessage, spawnTsWorker } from '../../native-free-shm/test/fixtures/spawn.js';
import type { BoardWorkerData } from './fixtures/seat-board-worker.js';

const S = 4;
const cell = (l: number, r: number) => (l * (2 * S - l + 1)) / 2 + (r - l - 1);

t.test('seats left from a to b: every free stretch that holds [a, b)', async (t) => {
  const board = SeatBoard.create(S, 1);
  const cells = new Array<number>(board.cells).fill(0);
  cells[cell(0, 4)] = 2; // two seats free the whole way
  cells[cell(1, 3)] = 1; // one free from 1 to 3
  cells[cell(2, 4)] = 5; // five free from 2 to the end
  t.equal(board.left(0, 1, 2), 0, 'nothing read yet: 0');
  t.ok(board.apply({ version: 3, classes: { second: cells } }, () => 0));
  t.same([board.left(0, 0, 4), board.left(0, 1, 3), board.left(0, 2, 3), board.left(0, 2, 4), board.left(0, 0, 1)], [2, 3, 8, 7, 2]);
  t.throws(() => board.left(0, 3, 3), RangeError, 'an empty trip is not on the train');
  t.throws(() => board.left(1, 0, 1), RangeError, 'nor a class it has not');
});

t.test('the newest version wins; a new master resets it', async (t) => {
  const board = SeatBoard.create(S, 1);
  const of = (n: number) => ({ second: new Array<number>(board.cells).fill(n) });
  t.ok(board.apply({ version: 5, classes: of(1) }, () => 0));
  t.notOk(board.apply({ version: 4, classes: of(9) }, () => 0), 'an older reply arriving late is ignored');
  t.notOk(board.apply({ version: 5, classes: of(9) }, () => 0), 'and the same version again');
  t.equal(board.left(0, 0, 1), 4, 'the cells of version 5');
  board.forget();
  t.equal(board.version(), 0, 'forgotten: nothing answered from it');
  t.ok(board.apply({ version: 2, classes: of(2) }, () => 0), "the new master's lower version is taken");
  t.throws(() => SeatBoard.attach(new SharedArrayBuffer(64)), RangeError, 'a buffer it did not make is refused');
});

t.test('a reader on another thread never sees half a write', async (t) => {
  const board = SeatBoard.create(S, 1);
  const file = new URL('./fixtures/seat-board-worker.ts', import.meta.url);
  const rounds = 100_000;
  const workers = [true, false].map((writer) => spawnTsWorker(file, { buffer: board.buffer, writer, rounds } satisfies BoardWorkerData));
  const [, reader] = await Promise.all(workers.map((w) => nextMessage<{ torn: number; reads: number }>(w)));
  await Promise.all(workers.map((w) => w.terminate()));
  t.ok(reader.reads > 0, `${reader.reads} clean reads`);
  t.equal(reader.torn, 0, 'every sum is S x one version');
  t.equal(board.version(), rounds, 'the last write stands');
});
