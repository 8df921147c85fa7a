// N live-dashboard clients on one node's /ws/sales, for bench/stress/dashboards.sh: each counts the snapshots it
// receives; on SIGTERM the counts are written to --out as JSON (so the run can show the dashboards were fed).
//   node --import tsx bench/stress/dash-clients.ts --url ws://127.0.0.1:3001/ws/sales --clients 10 --out counts.json
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({ options: { url: { type: 'string' }, clients: { type: 'string', default: '10' }, out: { type: 'string' } } });
if (values.url === undefined || values.out === undefined) throw new Error('usage: dash-clients.ts --url ws://host:port/ws/sales --clients N --out FILE');
const counts: number[] = [];
const sockets: WebSocket[] = [];
let open = 0;
for (let i = 0; i < Number(values.clients); i++) {
  counts.push(0);
  const ws = new WebSocket(values.url);
  ws.on('open', () => {
    open++;
    if (open === Number(values.clients)) process.stdout.write(`${open} dashboards connected\n`);
  });
  ws.on('message', () => counts[i]++);
  ws.on('error', (err) => process.stderr.write(`dashboard ${i}: ${err.message}\n`));
  sockets.push(ws);
}
process.on('SIGTERM', () => {
  writeFileSync(values.out!, JSON.stringify({ clients: counts.length, open, snapshots: counts }) + '\n');
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
