// The `ticket-spike` commands as a user runs them, against a real Redis: exit codes, messages, and an audit
// that fails when a sale's counters and its orders disagree.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedisReady } from '../../src/redis/connection.js';
import { saleKeys } from '../../src/redis/keys.js';
import { RedisServer } from '../helpers/redis-server.js';
import { runCli } from '../helpers/run-cli.js';

t.test('--help lists every command; a bad flag exits 2 naming it, before anything starts', async (t) => {
  const help = await runCli(['--help']);
  t.equal(help.code, 0);
  for (const command of ['ticket-spike up', 'ticket-spike node', 'ticket-spike sale create', 'ticket-spike sale status', 'ticket-spike audit']) {
    t.match(help.stdout, command, `lists ${command}`);
  }
  // Every command and subcommand is listed and answers --help (unit/cli-help.test.ts checks each in process); here
  // the exit codes as a shell sees them.
  t.match(help.stdout, /\n  ticket-spike sale restore --sale S/, 'lists sale restore');
  const groupHelp = await runCli(['nodes', '--help']);
  t.equal(groupHelp.code, 0, 'nodes --help: exit 0');
  t.match(groupHelp.stdout, /^ticket-spike nodes <command>:\n  ticket-spike nodes list /);
  const subHelp = await runCli(['orders', 'status', '--help']);
  t.equal(subHelp.code, 0, 'orders status --help: exit 0');
  t.match(subHelp.stdout, /^ticket-spike orders status — /);
  const unknownCommand = await runCli(['bogus']);
  t.equal(unknownCommand.code, 2, 'an unknown command: exit 2');
  t.equal(unknownCommand.stderr, 'ticket-spike: unknown command "bogus"; see ticket-spike --help\n');
  const nodeHelp = await runCli(['node', '--help']);
  t.match(nodeHelp.stdout, /--batch-size N\s+purchases per Redis call, at most \(1\.\.512; default 64\)/, 'node --help shows a range and a default');
  // Once, --batch-size 600 passed the flag check and every thread then died at start ("is the port taken?").
  const tooBig = await runCli(['node', '--batch-size', '600', '--port', '1']);
  t.equal(tooBig.code, 2, 'exit 2');
  t.match(tooBig.stderr, /^ticket-spike node: --batch-size: expected a whole number from 1 to 512, got 600/);
  const unknown = await runCli(['audit', '--sael', 'x']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /Unknown option '--sael'/);
});

t.test('sale create / status and audit against a real Redis', async (t) => {
  const server = await RedisServer.start();
  t.teardown(() => server.stop());
  const redis = ['--redis', server.url];
  const created = await runCli(['sale', 'create', '--id', 'CLI1', '--total', '5', '--anonymous', ...redis]);
  t.equal(created.code, 0, created.stderr);
  t.match(created.stdout, 'created sale CLI1: 5 tickets');
  const again = await runCli(['sale', 'create', '--id', 'CLI1', '--total', '9', ...redis]);
  t.equal(again.code, 1, 'an existing sale is left as it is');
  t.match(again.stderr, 'already exists');
  const trainFile = join(mkdtempSync(join(tmpdir(), 'ts-cli-train-')), 'train.json');
  writeFileSync(trainFile, JSON.stringify({ stations: ['A', 'B', 'C'], coaches: [{ coach: '01', class: 'second', seats: 4, layout: 'AB CD' }] }));
  const train = await runCli(['sale', 'create', '--id', 'CLIT', '--train', trainFile, ...redis]);
  t.equal(train.code, 0, train.stderr);
  t.match(train.stdout, 'created train sale CLIT: 3 stations, 4 seats');
  t.match(JSON.parse((await runCli(['sale', 'status', 'CLIT', ...redis])).stdout), { kind: 'train', total: 8 }, 'a train counts seat-segments');
  writeFileSync(trainFile, JSON.stringify({ stations: ['A'], coaches: [] }));
  const badTrain = await runCli(['sale', 'create', '--id', 'CLIT2', '--train', trainFile, ...redis]);
  t.equal(badTrain.code, 2);
  t.match(badTrain.stderr, /stations/, `a train the rules refuse names what is wrong: ${badTrain.stderr.trim()}`);
  const badTime = await runCli(['sale', 'create', '--id', 'CLI2', '--total', '5', '--closes-at', 'tomorrow', ...redis]);
  t.equal(badTime.code, 2);
  t.match(badTime.stderr, /--closes-at: send an ISO 8601 time/);

  const status = await runCli(['sale', 'status', 'CLI1', ...redis]);
  t.equal(status.code, 0);
  t.match(JSON.parse(status.stdout), { id: 'CLI1', total: 5, held: 0, paid: 0, remaining: 5, anonymous: true });
  t.equal((await runCli(['sale', 'status', 'NOPE', ...redis])).code, 1, 'no such sale: exit 1');

  const clean = await runCli(['audit', '--sale', 'CLI1'], { REDIS_URL: server.url });
  t.equal(clean.code, 0, `audit of an untouched sale closes (REDIS_URL found): ${clean.stderr}`);
  t.match(clean.stdout, /ok \(remaining 5 \+ held 0 \+ paid 0 = total 5/);

  // A counter that disagrees with the orders: remaining (from the counters) + the held orders counted one by
  // one no longer make the total.
  const client = await connectRedisReady(server.url);
  t.teardown(() => client.disconnect());
  await client.hincrby(saleKeys('CLI1').meta, 'held', 1);
  const broken = await runCli(['audit', '--sale', 'CLI1', ...redis]);
  t.equal(broken.code, 1, 'exit 1');
  t.match(broken.stdout, /accounting does NOT close \(remaining 4 \+ counted held 0 \+ counted paid 0 != total 5\)/);
  t.match(broken.stdout, /\n  - meta held=1 but 0 orders are held\n/);
  const json = await runCli(['audit', '--sale', 'CLI1', '--json', ...redis]);
  t.equal(json.code, 1, 'exit 1 with --json too');
  t.match(JSON.parse(json.stdout), { ok: false, closes: false, held: 1, countedHeld: 0 });
});
