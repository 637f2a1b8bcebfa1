#!/usr/bin/env node
// The footprint of an init, side by side in one run: `procctl init` (through
// Node, which execs into the native init), the native init by its own path
// (procctl-init), tini and dumb-init (each where installed; .ci/run and the
// Debian packages `tini` and `dumb-init` provide them), with `/bin/true` alone
// and `node -e 0` as references.
//
//   node bench/init-bench.mjs [--quick]          (npm run bench:init)
//
// Rounds are interleaved (each round runs every candidate once, in turn) and the
// median is reported, for two times:
// - start-to-exit: `INIT -- /bin/true` run to completion (spawnSync);
// - the child's start: from spawn() to the first byte of `INIT -- /bin/echo x`
//   on a pipe. What an init adds to its child's start is this minus the time
//   for `/bin/echo x` alone.
// Under load, a child in a new session (setsid: procctl init's default, and
// dumb-init's) lands in a new scheduler autogroup, and waking its waiting parent
// when it exits can take a scheduler slice (~10 ms): start-to-exit then shows
// more than the child's start does. tini (no setsid) does not pay it.
// Resident: `INIT -- sleep 600`, measured once the child runs: VmRSS, RssAnon
// and Threads of the init process from /proc/<pid>/status, median of a few runs.
// Targets checked for the native init by path (exit 1 when one is missed): at
// most 2 MB RSS, 1 thread, at most 10 ms added to the child's start.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 15 : 60;
const RESIDENT_RUNS = quick ? 3 : 5;

const { nativeInitPath } = require('../dist/index.js');
const native = nativeInitPath();
if (native === null) {
  console.error('init-bench: no procctl-init (npm ci builds it next to the addon)');
  process.exit(1);
}

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const TRUE = '/bin/true';
const candidates = [
  { name: 'procctl init (through Node)', argv: [process.execPath, path.join(here, '..', 'bin', 'procctl.js'), 'init', '--'] },
  { name: 'procctl-init (native, by path)', argv: [native, '--'] },
  { name: 'tini', argv: which('tini') ? [which('tini'), '--'] : null },
  { name: 'dumb-init', argv: which('dumb-init') ? [which('dumb-init')] : null },
];
const references = [
  { name: '/bin/true alone', argv: [] },
  { name: 'node -e 0', argv: null, direct: [process.execPath, '-e', '0'] },
];
for (const c of candidates) if (c.argv === null) console.log(`(${c.name} is not installed: skipped; apt-get install ${c.name})`);
const present = candidates.filter((c) => c.argv !== null);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeOnce(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}`);
  return ms;
}

/** ms from spawn() to the first byte the child writes. */
function firstOutput(argv) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let ms = null;
    child.stdout.once('data', () => (ms = Number(process.hrtime.bigint() - t0) / 1e6));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && ms !== null ? resolve(ms) : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  });
}

// ---- start-to-exit and the child's start, interleaved --------------------------
const ECHO = ['/bin/echo', 'x'];
const rows = [...present.map((c) => ({ name: c.name, exit: [...c.argv, TRUE], start: [...c.argv, ...ECHO] })), ...references.map((r) => ({ name: r.name, exit: r.direct ?? [TRUE], start: r.direct ? null : ECHO }))];
const times = new Map(rows.map((r) => [r.name, []]));
const starts = new Map(rows.map((r) => [r.name, []]));
for (const r of rows) timeOnce(r.exit); // warm-up: page cache, dynamic loader
for (let i = 0; i < ROUNDS; i++) {
  for (const r of rows) {
    times.get(r.name).push(timeOnce(r.exit));
    if (r.start) starts.get(r.name).push(await firstOutput(r.start));
  }
}
const med = new Map([...times].map(([k, v]) => [k, median(v)]));
const startMed = new Map([...starts].filter(([, v]) => v.length > 0).map(([k, v]) => [k, median(v)]));

// ---- resident footprint while the child runs -----------------------------------
function status(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
const field = (st, key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(st)?.[1] ?? NaN);

async function residentOnce(argv) {
  const child = spawn(argv[0], [...argv.slice(1), 'sleep', '600'], { stdio: 'ignore', detached: true });
  const pid = child.pid;
  let sleeper = 0;
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      // through Node the process becomes procctl-init by exec: wait for that, and for its child
      const comm = (() => { try { return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; } })();
      const kids = (() => { try { return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim(); } catch { return ''; } })();
      if (kids !== '' && comm !== 'node' && comm !== 'MainThread') {
        const kid = Number(kids.split(' ')[0]);
        if (fs.readFileSync(`/proc/${kid}/comm`, 'utf8').trim() === 'sleep') {
          sleeper = kid;
          break;
        }
      }
      if (Date.now() > deadline) throw new Error(`${argv.join(' ')}: child never started`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const st = status(pid);
    return { rss: field(st, 'VmRSS'), anon: field(st, 'RssAnon'), threads: field(st, 'Threads') };
  } finally {
    // The sleep is in a session or group of its own (every init but tini -c puts
    // it there): end it by pid, and the init exits with it.
    for (const target of [sleeper, pid]) {
      try {
        if (target > 0) process.kill(target, 'SIGKILL');
      } catch {}
    }
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
  }
}

const resident = new Map(present.map((c) => [c.name, []]));
for (let i = 0; i < RESIDENT_RUNS; i++) for (const c of present) resident.get(c.name).push(await residentOnce(c.argv));
const residentMed = new Map([...resident].map(([k, v]) => [k, { rss: median(v.map((x) => x.rss)), anon: median(v.map((x) => x.anon)), threads: median(v.map((x) => x.threads)) }]));

// ---- report ------------------------------------------------------------------------
const base = med.get('/bin/true alone');
const startBase = startMed.get('/bin/true alone');
const fmtMs = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const mb = (kb) => (kb / 1024).toFixed(2);
console.log(`init footprint: ${ROUNDS} interleaved rounds (median), resident: median of ${RESIDENT_RUNS}; Node ${process.version}`);
console.log('');
console.log("| init | `INIT -- /bin/true` start to exit | added | the child's start | added | RSS while the child runs | anon | threads |");
console.log('|---|---|---|---|---|---|---|---|');
for (const c of present) {
  const t = med.get(c.name);
  const st = startMed.get(c.name);
  const r = residentMed.get(c.name);
  console.log(`| ${c.name} | ${fmtMs(t)} ms | ${fmtMs(t - base)} ms | ${fmtMs(st)} ms | ${fmtMs(st - startBase)} ms | ${mb(r.rss)} MB | ${mb(r.anon)} MB | ${r.threads} |`);
}
console.log(`| (/bin/true, /bin/echo alone) | ${fmtMs(base)} ms | | ${fmtMs(startBase)} ms | | | | |`);
console.log(`| (node -e 0) | ${fmtMs(med.get('node -e 0'))} ms | | | | | | |`);

const nat = residentMed.get('procctl-init (native, by path)');
const added = startMed.get('procctl-init (native, by path)') - startBase;
const misses = [];
if (!(nat.rss <= 2048)) misses.push(`RSS ${mb(nat.rss)} MB > 2 MB`);
if (nat.threads !== 1) misses.push(`${nat.threads} threads > 1`);
if (!(added <= 10)) misses.push(`${fmtMs(added)} ms added to the child's start > 10 ms`);
console.log('');
if (misses.length > 0) {
  console.log(`native init targets MISSED: ${misses.join('; ')}`);
  process.exit(1);
}
console.log('native init targets met: <= 2 MB RSS, 1 thread, <= 10 ms added to the child\'s start');
