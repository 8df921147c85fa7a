// Where a node's CPU goes: self time per function and per file from the .cpuprofile files `node --cpu-prof`
// writes (one per thread), idle left out, so shares are of the time the thread was busy.
//   node --import tsx bench/profile/cpuprofile-summary.ts DIR/*.cpuprofile [--top 30]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
const top = Number(values.top);

function shortUrl(url: string): string {
  return url.replace(/^.*\/dist\/src\//, 'src/').replace(/^.*node_modules\//, 'node_modules/').replace(/^file:\/\/\/.*?\/bench\//, 'bench/');
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const [id, count] of hits) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += count;
    const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + count);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  console.log(`${file}: busy ${((100 * busy) / profile.samples.length).toFixed(1)} % of ${seconds.toFixed(1)} s`);
  for (const [key, count] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${((100 * count) / busy).toFixed(1).padStart(5)} %  ${key}`);
  }
}
