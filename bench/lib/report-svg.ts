// report.svg: two charts drawn by code, self-contained (no script, no CDN): answered/s per scenario and system
// (grouped bars), and p50 / p99 / p99.9 per scenario and system (log scale: 0.1 ms and 100 ms on one axis); each
// the row's median over its rounds. As wide as its bars need (at least 960). Pure.
import type { Report, Row } from './report.js';

const COLORS: Record<string, string> = { hello: '#9aa0a6', 'ticket-spike': '#1a73e8', typical: '#f29900', article: '#d93025' };
// Greens, so that a percentile bar is never read as a system's colour.
const PCT_SHADES = ['#a8dab5', '#34a853', '#0d652d'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Group {
  scenario: string;
  rows: Row[];
}

function groups(rows: Row[]): Group[] {
  const out: Group[] = [];
  for (const row of rows) {
    let g = out.find((x) => x.scenario === row.scenario);
    if (g === undefined) out.push((g = { scenario: row.scenario, rows: [] }));
    g.rows.push(row);
  }
  return out;
}

const LEFT = 80;
const BAR = 22;
const GAP = 28;
/** The latency chart's bars per row (three percentiles of 7 px, 4 px apart) are the wider of the two charts. */
const LATENCY_ROW = 3 * 7 + 4;

/** The svg's width: 960, or what the bars of every row need. */
function widthFor(gs: Group[]): number {
  const rows = gs.reduce((n, g) => n + g.rows.length, 0);
  return Math.max(960, LEFT + 10 + rows * Math.max(BAR + 2, LATENCY_ROW) + gs.length * GAP + 10);
}

function throughputChart(gs: Group[], top: number, W: number): { svg: string; height: number } {
  const h = 260;
  const max = Math.max(1, ...gs.flatMap((g) => g.rows.map((r) => r.answeredPerSec)));
  const scale = (v: number) => (v / max) * h;
  const parts: string[] = [`<text x="${LEFT}" y="${top - 12}" font-size="15" font-weight="bold">answered/s per scenario and system (median of its rounds)</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = top + h - scale(v);
    parts.push(`<line x1="${LEFT}" x2="${W - 10}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${LEFT - 6}" y="${y + 4}" font-size="10" text-anchor="end">${Math.round(v / 1000)}k</text>`);
  }
  let x = LEFT + 10;
  for (const g of gs) {
    const start = x;
    for (const r of g.rows) {
      const bh = scale(r.answeredPerSec);
      parts.push(`<rect x="${x}" y="${top + h - bh}" width="${BAR}" height="${bh}" fill="${COLORS[r.system] ?? '#555'}"><title>${esc(`${r.scenario} ${r.system}: ${r.answeredPerSec}/s`)}</title></rect>`);
      parts.push(`<text x="${x + BAR / 2}" y="${top + h - bh - 3}" font-size="9" text-anchor="middle">${Math.round(r.answeredPerSec / 100) / 10}k</text>`);
      x += BAR + 2;
    }
    parts.push(`<text x="${(start + x) / 2}" y="${top + h + 16}" font-size="11" text-anchor="middle">${esc(g.scenario)}</text>`);
    x += GAP;
  }
  return { svg: parts.join('\n'), height: h + 40 };
}

function latencyChart(gs: Group[], top: number, W: number): { svg: string; height: number } {
  const h = 260;
  const lo = Math.log10(0.1);
  const hi = Math.log10(Math.max(10, ...gs.flatMap((g) => g.rows.map((r) => r.p999Ms))));
  const y = (ms: number) => top + h - ((Math.log10(Math.max(0.1, ms)) - lo) / (hi - lo)) * h;
  const parts: string[] = [`<text x="${LEFT}" y="${top - 12}" font-size="15" font-weight="bold">latency p50 / p99 / p99.9 (ms, log scale)</text>`];
  for (let d = -1; d <= Math.ceil(hi); d++) {
    const v = 10 ** d;
    parts.push(`<line x1="${LEFT}" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${LEFT - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${v}</text>`);
  }
  let x = LEFT + 10;
  const w = 7;
  for (const g of gs) {
    const start = x;
    for (const r of g.rows) {
      [r.p50Ms, r.p99Ms, r.p999Ms].forEach((v, i) => {
        parts.push(`<rect x="${x + i * w}" y="${y(v)}" width="${w - 1}" height="${top + h - y(v)}" fill="${PCT_SHADES[i]}"><title>${esc(`${r.scenario} ${r.system} p${['50', '99', '99.9'][i]}: ${v} ms`)}</title></rect>`);
      });
      parts.push(`<rect x="${x}" y="${top + h + 2}" width="${3 * w - 1}" height="4" fill="${COLORS[r.system] ?? '#555'}"/>`);
      x += LATENCY_ROW;
    }
    parts.push(`<text x="${(start + x) / 2}" y="${top + h + 20}" font-size="11" text-anchor="middle">${esc(g.scenario)}</text>`);
    x += GAP;
  }
  return { svg: parts.join('\n'), height: h + 44 };
}

function legend(top: number): string {
  const systems = Object.entries(COLORS).map(([name, color], i) => `<rect x="${LEFT + i * 130}" y="${top}" width="12" height="12" fill="${color}"/><text x="${LEFT + i * 130 + 16}" y="${top + 10}" font-size="11">${name}</text>`);
  const pcts = ['p50', 'p99', 'p99.9'].map((p, i) => `<rect x="${LEFT + 560 + i * 70}" y="${top}" width="12" height="12" fill="${PCT_SHADES[i]}"/><text x="${LEFT + 576 + i * 70}" y="${top + 10}" font-size="11">${p}</text>`);
  return [...systems, ...pcts].join('\n');
}

export function reportSvg(report: Report): string {
  const gs = groups(report.rows);
  const W = widthFor(gs);
  const t = throughputChart(gs, 90, W);
  const l = latencyChart(gs, 90 + t.height + 50, W);
  const height = 90 + t.height + 50 + l.height + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="22" font-size="17" font-weight="bold">ticket-spike benchmarks ${esc(report.when.slice(0, 10))} (${report.machine.cpus} cores)</text>`,
    legend(36),
    t.svg,
    l.svg,
    '</svg>',
    '',
  ].join('\n');
}
