// ticket-spike as a dependency: `npm pack` the checkout, install the tarball into an empty project elsewhere,
// and run the installed command there — its Lua scripts, nginx template and the bundled native-free-shm must
// all come from the installed package, not from this checkout.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../helpers/env.js';
import { freePort } from '../helpers/free-port.js';
import { http } from '../helpers/node-process.js';
import { RedisServer } from '../helpers/redis-server.js';
import { runCommand } from '../helpers/run-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

t.test('npm pack, install elsewhere, run --help and a node from there', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'ts-pack-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const packed = await runCommand('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, timeoutMs: 120_000 });
  t.equal(packed.code, 0, `npm pack: ${packed.stderr.slice(-500)}`);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const paths = info.files.map((f) => f.path);
  for (const expected of ['bin/ticket-spike.js', 'dist/src/cli/main.js', 'lua/reserve-batch-12.lua', 'nginx/nginx.conf', 'dashboard/index.html', 'buyer/index.html', 'node_modules/native-free-shm/dist/index.js']) {
    t.ok(paths.includes(expected), `the tarball carries ${expected}`);
  }
  t.notOk(paths.some((p) => p.startsWith('test/') || p.startsWith('src/')), 'and no tests or TypeScript sources');

  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'uses-ticket-spike', version: '1.0.0', private: true }));
  const installed = await runCommand('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, info.filename)], {
    cwd: app,
    timeoutMs: 240_000,
  });
  t.equal(installed.code, 0, `npm install of the tarball: ${installed.stderr.slice(-800)}`);
  const bin = join(app, 'node_modules', '.bin', 'ticket-spike');

  const help = await runCommand(bin, ['--help'], { cwd: app });
  t.equal(help.code, 0, `installed ticket-spike --help: ${help.stderr}`);
  t.match(help.stdout, 'ticket-spike node');

  const server = await RedisServer.start();
  t.teardown(() => server.stop());
  const port = await freePort();
  const node = spawn(bin, ['node', '--port', String(port), '--threads', '1', '--redis', server.url, '--log-level', 'warn'], {
    cwd: app,
    env: childEnv({ ADMIN_TOKEN: 'pack-admin-token-16' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  node.stdout.on('data', (c: Buffer) => (output += c.toString()));
  node.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => node.once('exit', (code) => resolve(code)));
  t.teardown(async () => {
    node.kill('SIGTERM');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  let ready = false;
  for (let i = 0; i < 200 && !ready; i++) {
    ready = await http(undefined, 'GET', `${url}/readyz`).then((r) => r.status === 200, () => false);
    if (!ready) await sleep(100);
  }
  t.ok(ready, `the installed node answers /readyz: ${output.slice(-1000)}`);
  // A purchase runs the package's own reserve-batch script.
  const created = await http(undefined, 'POST', `${url}/admin/sales`, JSON.stringify({ id: 'PK', total: 2, anonymous: true }), {
    'content-type': 'application/json',
    authorization: 'Bearer pack-admin-token-16',
  });
  t.equal(created.status, 201, created.body);
  const bought = await http(undefined, 'GET', `${url}/buy/ticket?sale=PK&user=p1`);
  t.equal(bought.json?.code, 1, `bought from the installed package: ${bought.body}`);
  // The live dashboard's page and uPlot (from the installed `uplot` dependency, no CDN).
  t.equal((await http(undefined, 'GET', `${url}/dashboard`)).status, 200, 'the installed node serves /dashboard');
  t.equal((await http(undefined, 'GET', `${url}/dashboard/vendor/uPlot.iife.min.js`)).status, 200, 'and uPlot');
  // The buyer's page and the QR code library (from the installed `qrcode-generator` dependency).
  t.equal((await http(undefined, 'GET', `${url}/buy/PK`)).status, 200, 'the installed node serves /buy/{sale}');
  t.equal((await http(undefined, 'GET', `${url}/buyer/vendor/qrcode.js`)).status, 200, 'and the QR code library');
});
