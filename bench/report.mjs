// The Markdown tables of a spawn-bench result, made from its JSON and nothing else.
//
//   node bench/report.mjs bench/out/results.json > results.md
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Columns in table order: C, the references beside it, the other peers, then procctl (main build first). */
export function columns(report) {
  const c = report.peers.filter((p) => p.id === 'c' || p.reference);
  const others = report.peers.filter((p) => p.id !== 'c' && !p.reference && !p.procctl);
  const procctl = report.peers.filter((p) => p.procctl).sort((a, b) => Number(a.extra) - Number(b.extra));
  return [...c, ...others, ...procctl];
}

/** procctl's place among C and the peers (other procctl builds not counted): {rank, of}. */
export function rankOf(row, report) {
  const contenders = report.peers.filter((p) => !p.extra && row.results[p.id]);
  const mine = row.results.procctl?.value;
  if (mine === undefined) return null;
  return { rank: 1 + contenders.filter((p) => row.results[p.id].value < mine).length, of: contenders.length };
}

const ordinal = (n) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;

export function formatValue(v, unit) {
  if (unit === 'ms') return v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return v >= 10000 ? `${(v / 1000).toFixed(1)} ms` : v.toFixed(0);
}

function table(report, pick) {
  const cols = columns(report);
  const head = ['workload', ...cols.map((p) => p.label), 'procctl / C', "procctl's rank"];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of report.workloads) {
    const vals = cols.map((p) => (row.results[p.id] ? pick(row.results[p.id]) : null));
    // A reference (procctl's system calls from C) is no runtime a user could pick.
    const best = Math.min(...vals.filter((v, i) => v !== null && !cols[i].reference));
    const c = row.results.c ? pick(row.results.c) : null;
    const cells = vals.map((v, i) => {
      if (v === null) return cols[i].id === 'bun-spawnSync' && row.mode === 'conc' ? 'n/a' : '-';
      let s = formatValue(v, row.unit);
      if (cols[i].extra && c) s += ` (${(v / c).toFixed(2)}x)`;
      return v === best ? `**${s}**` : s;
    });
    const mine = row.results.procctl ? pick(row.results.procctl) : null;
    const ratio = mine !== null && c ? `${(mine / c).toFixed(2)}x` : '-';
    const rank = rankOf(row, report);
    const unit = row.unit === 'ms' ? 'ms total' : 'us per op';
    lines.push(`| ${row.title} (${unit}) | ${cells.join(' | ')} | ${ratio} | ${rank ? `${ordinal(rank.rank)} of ${rank.of}` : '-'} |`);
  }
  return lines.join('\n');
}

function kb(v) {
  return `${(v / 1024).toFixed(1)} MB`;
}

function memorySection(m) {
  if (!m) return '';
  const loop = (name, l) =>
    `| ${name} | ${l.n.toLocaleString('en-US')} | ${l.seconds.toFixed(0)} s | ${kb(l.rssKbFirst)} -> ${kb(l.rssKbLast)} (max ${kb(l.rssKbMax)}) | ` +
    `${l.bytesPerSpawn.toFixed(1)} | ${l.bytesPerSpawnSecondHalf.toFixed(1)} | ${l.fdsFirst} -> ${l.fdsLast} (max ${l.fdsMax}) | ${l.zombiesAfter} |`;
  const cp = m.conc.childProcess;
  const pr = m.conc.procctl;
  return [
    '### Memory (procctl on the system Node)',
    '',
    '| loop, one process | spawns | time | RSS first -> last sample | bytes per spawn (slope) | slope, second half | fds | zombies after |',
    '|---|---:|---:|---|---:|---:|---|---:|',
    loop("`spawn('/bin/true')` + `exited`", m.spawnLoop),
    loop("`run('/bin/echo', ['hello'])`", m.runLoop),
    '',
    `${pr.n} children at once, then all reaped, in a fresh Node: peak RSS (VmHWM) **${kb(pr.hwmKb)}** with procctl, ` +
      `${kb(cp.hwmKb)} with child_process; an idle Node: ${kb(m.idleNodeRssKb)} (${kb(m.idleNodeWithProcctlRssKb)} with procctl loaded). ` +
      `procctl's peak / idle Node = **${m.conc.peakVsIdleNode.toFixed(2)}x**. Zombies after: ${pr.zombiesAfter}.`,
    '',
  ].join('\n');
}

function concRss(report) {
  const row = report.workloads.find((w) => w.mode === 'conc');
  if (!row) return '';
  const cols = columns(report).filter((p) => row.results[p.id]);
  return [
    `Peak RSS of each peer's process in the "${row.title}" row (VmHWM, median over rounds; each runtime's own start-up included):`,
    '',
    `| ${cols.map((p) => p.label).join(' | ')} |`,
    `|${cols.map(() => '---:').join('|')}|`,
    `| ${cols.map((p) => kb(row.results[p.id].hwmKb)).join(' | ')} |`,
    '',
  ].join('\n');
}

export function renderMarkdown(report) {
  const m = report.machine;
  const load = (xs) => xs.map((x) => x.toFixed(2)).join(' ');
  const out = [
    `## Spawn benchmark, ${report.date.slice(0, 10)}${report.quick ? ' (quick mode: small N, figures only prove it runs)' : ''}`,
    '',
    `Command: \`${report.command}\`. Machine: ${m.cpus} x ${m.cpu}, ${m.memGiB} GiB, ${m.kernel}, ${m.os}${m.libc ? `, ${m.libc}` : ''}. ` +
      `${report.rounds} round(s), peers interleaved with the order rotated each round; ` +
      `${report.pinnedCpu !== null ? `every peer pinned to CPU ${report.pinnedCpu} (its children inherit it)` : 'unpinned'}. ` +
      `Load average before: ${load(report.loadAverage.before)}; after: ${load(report.loadAverage.after)}.`,
    '',
    `Versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v ?? '?'}`).join('; ')}.`,
    '',
    ...report.skipped.map((s) => `- skipped ${s.id}: ${s.why}`),
    ...(report.skipped.length ? [''] : []),
    'Median per operation (sequential rows: the median spawn of each round, then the median over rounds; conc row: total time, median over rounds). Best of each row in bold.',
    '',
    table(report, (r) => r.value),
    '',
    'Mean per operation (total time / spawns of each round, median over rounds): includes the rare slow spawns (GC, scheduling) that the median hides.',
    '',
    table(report, (r) => r.mean),
    '',
    concRss(report),
    memorySection(report.memory),
    ...(report.errors.length ? ['Errors:', '', ...report.errors.map((e) => `- ${e.split('\n')[0]}`), ''] : []),
  ];
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/report.mjs results.json\n');
    process.exit(2);
  }
  process.stdout.write(renderMarkdown(JSON.parse(fs.readFileSync(file, 'utf8'))));
}
