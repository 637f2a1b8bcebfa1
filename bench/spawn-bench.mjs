#!/usr/bin/env node
// procctl spawn vs a C posix_spawn baseline vs child_process.spawn, measured side
// by side in one run, at ~50 MB and ~2 GB of parent RSS (Buffers held and
// touched), plus 1000 concurrent spawns and a 10,000-spawn leak check.
//
//   node bench/spawn-bench.mjs [--quick]
//
// Uses the addon from PROCCTL_ADDON when set (as the tests do), else the build
// node-gyp-build finds. Each size runs in a fresh Node process (so its RSS is
// what we say it is); the C program allocates and touches the same amount.
// Inside each size's Node process, short rounds alternate C / procctl /
// child_process (the C program runs as a blocking child, measuring itself), and
// the median round of each is reported, so load from anything else running on
// the machine hits all three alike.
import { execFileSync, spawn as cpSpawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const quick = process.argv.includes('--quick');

function rssKb() {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
}
function fdCount() {
  return fs.readdirSync('/proc/self/fd').length;
}
function zombies() {
  let n = 0;
  for (const t of fs.readdirSync('/proc/self/task')) {
    for (const c of fs.readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      try {
        const s = fs.readFileSync(`/proc/${c}/stat`, 'utf8');
        if (s.slice(s.lastIndexOf(')') + 2)[0] === 'Z') n++;
      } catch {}
    }
  }
  return n;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---- inner: one Node process holding `mb` of Buffers -------------------------
async function inner(targetMb, nProcctl, nCp, concurrent, leakN, rounds, cExe, nC) {
  const p = require('../dist/index.js');
  const held = [];
  const chunk = 64 << 20;
  while (rssKb() < targetMb * 1024 - chunk / 1024) {
    const b = Buffer.allocUnsafeSlow(chunk);
    b.fill(1);  // touch every page
    held.push(b);
  }
  while (rssKb() < targetMb * 1024) {
    const b = Buffer.allocUnsafeSlow(1 << 20);
    b.fill(1);
    held.push(b);
  }
  const out = { rssKb: rssKb() };

  const procctlOnce = () => p.spawn('/bin/true', [], { stdio: 'inherit' }).exited;
  const cpOnce = () => new Promise((resolve, reject) => {
    const c = cpSpawn('/bin/true', [], { stdio: 'inherit' });
    c.on('error', reject);
    c.on('exit', resolve);
  });
  const time = async (fn, n) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    return Number(process.hrtime.bigint() - t0) / 1e6 / n;
  };
  for (let i = 0; i < 20; i++) await procctlOnce();  // warm-up
  for (let i = 0; i < 3; i++) await cpOnce();
  const c = [];
  const pr = [];
  const cp = [];
  for (let r = 0; r < rounds; r++) {
    if (cExe) c.push(JSON.parse(execFileSync(cExe, [String(nC), String(targetMb)], { encoding: 'utf8' })).msPerSpawn);
    pr.push(await time(procctlOnce, nProcctl));
    if (nCp > 0) cp.push(await time(cpOnce, nCp));
  }
  out.cMs = c.length ? median(c) : null;
  out.procctlMs = median(pr);
  out.cpMs = cp.length ? median(cp) : null;
  out.rounds = { c, procctl: pr, childProcess: cp };
  out.engine = p.spawn('/bin/true', [], { stdio: 'inherit' }).engine;

  if (concurrent > 0) {
    const wall = async (fn) => {
      const t0 = process.hrtime.bigint();
      await Promise.all(Array.from({ length: concurrent }, fn));
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    out.concurrentProcctlMs = await wall(procctlOnce);
    out.concurrentCpMs = await wall(cpOnce);
    out.zombiesAfterConcurrent = zombies();
  }

  if (leakN > 0) {
    // Phase 1: leakN spawns with inherited stdio: fds, RSS, zombies.
    // Phase 2: leakN spawns with a stdout pipe (a net.Socket each): fds, zombies,
    // and RSS at checkpoints. Node's pipe sockets alone step RSS up to a plateau
    // over the first ~15k (a loop of plain net.Socket pipes does the same), so
    // the checkpoints show whether growth levels off.
    for (let i = 0; i < 500; i++) await procctlOnce();
    const snap = () => ({ fds: fdCount(), rssKb: rssKb(), zombies: zombies() });
    const plainBefore = snap();
    for (let i = 0; i < leakN; i++) await procctlOnce();
    await new Promise((r) => setImmediate(r));
    const plainAfter = snap();
    const piped = async () => {
      const c = p.spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'ignore'] });
      c.stdout.resume();
      await Promise.all([c.exited, new Promise((r) => c.stdout.on('close', r))]);
    };
    for (let i = 0; i < 200; i++) await piped();
    const pipedBefore = snap();
    const checkpoints = [];
    for (let i = 1; i <= leakN; i++) {
      await piped();
      if (i % Math.max(1, Math.floor(leakN / 4)) === 0) checkpoints.push(rssKb());
    }
    await new Promise((r) => setImmediate(r));
    out.leak = { n: leakN, plain: { before: plainBefore, after: plainAfter }, piped: { before: pipedBefore, after: snap(), rssCheckpointsKb: checkpoints } };
  }
  held.length = 0;
  process.stdout.write(JSON.stringify(out) + '\n');
}

// ---- outer --------------------------------------------------------------------
function buildC() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-bench-'));
  const exe = path.join(dir, 'posix_spawn_bench');
  execFileSync('cc', ['-O2', '-o', exe, path.join(here, 'posix_spawn_bench.c')], { stdio: 'inherit' });
  return { exe, dir };
}

function runC(exe, n, mb) {
  return JSON.parse(execFileSync(exe, [String(n), String(mb)], { encoding: 'utf8' }));
}

function runInner(args) {
  const extra = args.mb > 1024 ? [`--max-old-space-size=${args.mb * 2}`] : [];
  const res = execFileSync(process.execPath, [...extra, fileURLToPath(import.meta.url), '--inner', JSON.stringify(args)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(res.trim().split('\n').pop());
}

async function outer() {
  const { exe, dir } = buildC();
  const rounds = quick ? 3 : 9;
  const sizes = [
    { label: '~50 MB', mb: 50, nC: 500, nP: 500, nCp: 200 },
    { label: '~2 GB', mb: 2048, nC: 500, nP: 500, nCp: quick ? 3 : 5 },
  ];
  const report = { node: process.version, kernel: os.release(), cpus: os.cpus().length, sizes: [] };
  for (const s of sizes) {
    const ir = runInner({ mb: s.mb, nP: s.nP, nCp: s.nCp, concurrent: 0, leakN: 0, rounds, cExe: exe, nC: s.nC });
    const row = {
      size: s.label,
      nodeRssMb: Math.round(ir.rssKb / 1024),
      engine: ir.engine,
      cPosixSpawnMs: ir.cMs,
      procctlMs: ir.procctlMs,
      childProcessMs: ir.cpMs,
      rounds: ir.rounds,
    };
    row.procctlVsC = row.procctlMs / row.cPosixSpawnMs;
    row.childProcessVsProcctl = row.childProcessMs / row.procctlMs;
    report.sizes.push(row);
    console.error(`${s.label}: C ${row.cPosixSpawnMs.toFixed(3)} ms, procctl ${row.procctlMs.toFixed(3)} ms (${row.procctlVsC.toFixed(2)}x C), ` +
      `child_process ${row.childProcessMs.toFixed(3)} ms (${row.childProcessVsProcctl.toFixed(1)}x procctl)`);
  }
  const conc = runInner({ mb: 50, nP: 10, nCp: 0, concurrent: 1000, leakN: quick ? 2000 : 10000, rounds: 1, cExe: null, nC: 0 });
  report.concurrent1000 = { procctlMs: conc.concurrentProcctlMs, childProcessMs: conc.concurrentCpMs, zombiesAfter: conc.zombiesAfterConcurrent };
  report.leak = conc.leak;
  console.error(`1000 concurrent: procctl ${conc.concurrentProcctlMs.toFixed(0)} ms, child_process ${conc.concurrentCpMs.toFixed(0)} ms`);
  const L = conc.leak;
  console.error(`leak check, ${L.n} spawns inherited stdio: fds ${L.plain.before.fds} -> ${L.plain.after.fds}, ` +
    `RSS ${L.plain.before.rssKb} -> ${L.plain.after.rssKb} kB, zombies ${L.plain.before.zombies} -> ${L.plain.after.zombies}`);
  console.error(`leak check, ${L.n} spawns with a stdout pipe: fds ${L.piped.before.fds} -> ${L.piped.after.fds}, ` +
    `RSS ${L.piped.before.rssKb} -> ${L.piped.rssCheckpointsKb.join(' -> ')} kB, zombies ${L.piped.before.zombies} -> ${L.piped.after.zombies}`);

  const targets = {
    within1_3xOfC_50MB: report.sizes[0].procctlVsC <= 1.3,
    within1_3xOfC_2GB: report.sizes[1].procctlVsC <= 1.3,
    fasterThanChildProcess_50MB: report.sizes[0].childProcessVsProcctl > 1,
    atLeast50xFasterThanChildProcess_2GB: report.sizes[1].childProcessVsProcctl >= 50,
    noFdOrZombieGrowth: L.plain.after.fds <= L.plain.before.fds && L.piped.after.fds <= L.piped.before.fds &&
      L.plain.after.zombies === 0 && L.piped.after.zombies === 0,
    // A leak of 1 KB per spawn would be 10 MB over 10,000.
    noMemoryGrowthPlain: L.plain.after.rssKb - L.plain.before.rssKb < (L.n / 1000) * 512,
  };
  report.targets = targets;
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  fs.rmSync(dir, { recursive: true });
  if (!Object.values(targets).every(Boolean)) process.exitCode = 1;
}

if (process.argv[2] === '--inner') {
  const a = JSON.parse(process.argv[3]);
  await inner(a.mb, a.nP, a.nCp, a.concurrent, a.leakN, a.rounds, a.cExe, a.nC);
} else {
  await outer();
}
