import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LUA_DIR, loadScripts, SCRIPT_FILE_RE } from '../../src/redis/scripts.js';
import { newBatchId, newOrderId } from '../../src/sale/ids.js';
import { saleOfOrderId } from '../../src/rules/input-rules.js';
import { REGISTRY, saleKeys, batchKey, saleTag } from '../../src/redis/keys.js';
import { ScriptCode, errorFromCode, EngineError } from '../../src/redis/codes.js';

// The Lua files themselves (read, not run): headers, the code table, ids and keys. No Redis needed.

t.test('every lua/<name>-<numKeys>.lua: header lists each KEYS/ARGV it uses, numKeys matches, includes expand', async (t) => {
  t.ok(existsSync(join(LUA_DIR, '..', 'package.json')), 'lua/ sits beside package.json, found from the loader module itself');
  const files = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));
  const scripts = loadScripts();
  t.equal(scripts.length, files.length, 'every top-level .lua is a script');
  t.same(scripts.map((s) => s.name).sort(), ['addStock', 'auditDeadlines', 'auditIdem', 'auditOrders', 'auditStream', 'auditUsers', 'cancel', 'checkIn', 'closeSale', 'createSale', 'createTrain', 'expireHolds', 'getOrder', 'holderLog', 'pauseSale', 'pay', 'queueJoin', 'queueSet', 'queueTick', 'releaseClaim', 'reserveBatch', 'reservePlace', 'restoreSale', 'retireOrders', 'saleStatus', 'trimStream']);
  for (const s of scripts) {
    const raw = readFileSync(join(LUA_DIR, s.file), 'utf8');
    const header = /^(?:#!lua[^\n]*\n)?--\[\[([\s\S]*?)\]\]/.exec(raw)?.[1] ?? '';
    const body = raw.slice(header.length);
    const used = [...body.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    t.equal(Math.max(...used), s.numberOfKeys, `${s.file}: highest KEYS index == numKeys`);
    for (let i = 1; i <= s.numberOfKeys; i++) t.match(header, `KEYS[${i}]`, `${s.file}: header documents KEYS[${i}]`);
    for (const m of body.matchAll(/ARGV\[(\d+)\]/g)) t.match(header, `ARGV[${m[1]}]`, `${s.file}: header documents ARGV[${m[1]}]`);
    t.match(header, /Output|Returns/, `${s.file}: header documents the output`);
    t.notMatch(s.lua, /^\s*--@include/m, `${s.file}: includes expanded`);
    t.ok(SCRIPT_FILE_RE.test(s.file));
  }
});

t.test('code table in lua/includes/common.lua matches ScriptCode', async (t) => {
  const lua = readFileSync(join(LUA_DIR, 'includes', 'common.lua'), 'utf8');
  const table = /local C = \{([\s\S]*?)\n\}/.exec(lua)![1];
  const pairs = [...table.matchAll(/([A-Z_]+) = (-?\d+)/g)].map((m) => [m[1], Number(m[2])] as const);
  const camel = (s: string) => s.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  for (const [name, value] of pairs) t.equal((ScriptCode as unknown as Record<string, number>)[camel(name)], value, name);
  t.equal(pairs.length, Object.keys(ScriptCode).length / 2, 'same number of codes');
  for (const code of Object.values(ScriptCode).filter((v): v is ScriptCode => typeof v === 'number' && Number(v) < 0)) {
    const e = errorFromCode(code, 'x', 'subject');
    t.ok(e instanceof EngineError && e.code !== 'ERR_UNEXPECTED_REPLY', `code ${code} maps to ${e.code}`);
  }
});

t.test('ids: unique without coordination, the sale is the part before the first dot', async (t) => {
  const seen = new Set<string>();
  for (let i = 0; i < 50_000; i++) seen.add(newOrderId('G1'));
  t.equal(seen.size, 50_000);
  // 128 unpredictable bits: across ids every bit of the token is a coin toss (a counter or a clock in the id
  // would leave most bits fixed from one id to the next).
  const ids = [...seen].slice(0, 4000).map((id) => Buffer.from(id.slice(3), 'base64url'));
  t.ok(ids.every((b) => b.length === 16), 'the part after the sale is 16 bytes, base64url');
  let skewed = 0;
  for (let bit = 0; bit < 128; bit++) {
    const ones = ids.filter((b) => (b[bit >> 3] >> (bit & 7)) & 1).length;
    if (ones < 0.4 * ids.length || ones > 0.6 * ids.length) skewed++;
  }
  t.equal(skewed, 0, 'every one of the 128 bits is set in 40-60 % of 4000 ids');
  const id = newOrderId('Sale_1-a');
  t.match(id, /^Sale_1-a\.[A-Za-z0-9_-]+$/);
  t.ok(id.length <= 160);
  t.equal(saleOfOrderId(id), 'Sale_1-a');
  t.equal(saleOfOrderId('nodot'), null);
  t.equal(saleOfOrderId('a.b.c'), null, 'no dot in the unique part');
  t.equal(saleOfOrderId('.x'), null);
  t.match(newBatchId('t1'), /^[A-Za-z0-9_-]+$/);
  t.throws(() => newOrderId('a.b'), /sale id/);
  t.throws(() => newBatchId('bad tag'), /tag/);
});

t.test('keys: one hash tag per sale, built only here', async (t) => {
  const k = saleKeys('G1');
  for (const key of Object.values(k)) t.ok(key.startsWith('{sale:G1}:'), key);
  t.equal(batchKey('G1', 'b1'), '{sale:G1}:batch:b1');
  t.ok(REGISTRY.places.startsWith('{ts:registry}:') && REGISTRY.capacity.startsWith('{ts:registry}:'), 'the registry keys share one slot');
  t.throws(() => saleTag('G{1}'), { code: 'ERR_INVALID_ARGUMENT' });
});
