// The SVG chart of a spawn-bench result, drawn from its JSON and nothing else:
// per workload, one bar per peer, its length the peer's median over C's (1x = C).
//
//   node bench/chart.mjs bench/out/results.json > docs/benchmarks.svg
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { columns, formatValue, rankOf } from './report.mjs';

const W = 920;
const LABEL_W = 190;
const VALUE_W = 150;
const BAR_H = 12;
const STEP = 16;
const GROUP_HEAD = 24;
const GROUP_GAP = 10;
const TOP = 64;
/** Ratios past this are drawn cut, with their value written out. */
const MAX_RATIO = 3;

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function colour(peer) {
  if (peer.id === 'c') return '#8a8f98';
  if (peer.reference) return '#c5c8ce';
  if (peer.procctl) return peer.extra ? '#f4a259' : '#e4572e';
  return '#4c78a8';
}

export function renderChart(report) {
  const cols = columns(report);
  const rows = report.workloads.filter((w) => w.results.c);
  const plotW = W - LABEL_W - VALUE_W - 20;
  const x = (ratio) => LABEL_W + (Math.min(ratio, MAX_RATIO) / MAX_RATIO) * plotW;
  let y = TOP;
  const parts = [];
  for (const row of rows) {
    const c = row.results.c.value;
    const peers = cols.filter((p) => row.results[p.id]);
    const rank = rankOf(row, report);
    const unit = row.unit === 'ms' ? 'ms total' : 'us per spawn';
    parts.push(`<text x="10" y="${y + 15}" class="h">${esc(row.title)} <tspan class="s">(${unit}${rank ? `; procctl ${rank.rank} of ${rank.of}` : ''})</tspan></text>`);
    y += GROUP_HEAD;
    for (const p of peers) {
      const v = row.results[p.id].value;
      const ratio = v / c;
      const cut = ratio > MAX_RATIO;
      parts.push(
        `<text x="${LABEL_W - 8}" y="${y + BAR_H - 2}" class="l${p.procctl ? ' b' : ''}">${esc(p.label)}</text>`,
        `<rect x="${LABEL_W}" y="${y}" width="${(x(ratio) - LABEL_W).toFixed(1)}" height="${BAR_H}" fill="${colour(p)}"/>`,
        ...(cut ? [`<path d="M${x(ratio) - 6} ${y - 1} l4 ${BAR_H / 2 + 1} l-4 ${BAR_H / 2 + 1}" stroke="#fff" stroke-width="2" fill="none"/>`] : []),
        `<text x="${x(ratio) + 6}" y="${y + BAR_H - 2}" class="v${p.procctl ? ' b' : ''}">${esc(formatValue(v, row.unit))} · ${ratio.toFixed(2)}x</text>`,
      );
      y += STEP;
    }
    y += GROUP_GAP;
  }
  const bottom = y;
  const grid = [];
  for (let r = 0; r <= MAX_RATIO; r += 0.5) {
    grid.push(`<line x1="${x(r)}" y1="${TOP - 6}" x2="${x(r)}" y2="${bottom}" class="${r === 1 ? 'one' : 'g'}"/>`,
      `<text x="${x(r)}" y="${TOP - 10}" class="t">${r}x</text>`);
  }
  const m = report.machine;
  const title = `Spawn + wait, side by side (${report.date.slice(0, 10)}${report.quick ? ', quick mode' : ''}): time relative to C posix_spawn, shorter is faster`;
  const sub = `${m.cpus} x ${m.cpu}, ${m.kernel}; ${report.rounds} interleaved round(s), medians; \`${report.command}\``;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${bottom + 16}" viewBox="0 0 ${W} ${bottom + 16}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    '<style>.h{font-size:13px;font-weight:600;fill:#222}.s{font-weight:400;fill:#666}.l{font-size:11px;text-anchor:end;fill:#333}' +
      '.v{font-size:11px;fill:#333}.b{font-weight:700}.t{font-size:10px;text-anchor:middle;fill:#666}' +
      '.g{stroke:#e3e3e3;stroke-width:1}.one{stroke:#8a8f98;stroke-width:1;stroke-dasharray:3 2}.ti{font-size:14px;font-weight:700;fill:#111}.su{font-size:11px;fill:#555}</style>',
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="18" class="ti">${esc(title)}</text>`,
    `<text x="10" y="34" class="su">${esc(sub)}</text>`,
    ...grid,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/chart.mjs results.json > chart.svg\n');
    process.exit(2);
  }
  process.stdout.write(renderChart(JSON.parse(fs.readFileSync(file, 'utf8'))));
}
