#!/usr/bin/env node
// The side-by-side spawn benchmark: procctl against C posix_spawn, Node's
// child_process, Bun.spawn / Bun.spawnSync, Go os/exec, Rust std::process and
// Python subprocess, each doing the same workloads with the same child, plus
// procctl's memory checks. See docs/benchmarks.md for what it measures and why.
//
//   npm run bench [-- options]       (node bench/spawn-bench.mjs [options])
//
//   --quick            small N, one round, 256 MB instead of 2 GB (also BENCH_QUICK=1);
//                      proves the benchmark works, its figures mean little
//   --rounds N         rounds (default 5; each round runs every peer once per workload)
//   --nodes 22,24      also run procctl on these Node majors (from the peer cache)
//   --only a,b         only these workloads (ids as in the table)
//   --peers a,b        only these peers (c is always kept: it is the floor)
//   --no-memory        skip the memory checks
//   --pin CPU | --no-pin   run every peer pinned to one CPU (default: the last CPU)
//   --out DIR          where results.{json,md,svg} go (default bench/out)
//
// Peers that are not installed are skipped with a line saying so; install them
// all with `npm run bench:peers` (bench/install-peers.sh).
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './chart.mjs';
import { renderMarkdown } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const peersDir = path.join(here, 'peers');

// ---- options -------------------------------------------------------------------
function parseOptions(argv) {
  const o = {
    quick: process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true',
    rounds: null, nodes: [], only: null, peers: null, memory: true,
    pin: String(os.cpus().length - 1), out: path.join(here, 'out'),
  };
  const value = (i) => {
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--rounds') o.rounds = Number(value(i++));
    else if (a === '--nodes') o.nodes = value(i++).split(',').filter(Boolean);
    else if (a === '--only') o.only = value(i++).split(',');
    else if (a === '--peers') o.peers = value(i++).split(',');
    else if (a === '--no-memory') o.memory = false;
    else if (a === '--pin') o.pin = value(i++);
    else if (a === '--no-pin') o.pin = null;
    else if (a === '--out') o.out = path.resolve(value(i++));
    else throw new Error(`unknown option ${a} (see the comment at the top of bench/spawn-bench.mjs)`);
  }
  if (o.rounds === null) o.rounds = o.quick ? 1 : 5;
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error('--rounds must be a positive integer');
  return o;
}

const opts = parseOptions(process.argv.slice(2));
const log = (line) => process.stderr.write(`${line}\n`);

// Sizes: full runs measure what the issue asks; quick runs only prove every path works.
const BIG_MB = opts.quick ? 256 : 2048;
const SEQ_N = opts.quick ? 20 : 400;
const BUDGET_MS = opts.quick ? 300 : 1500;
const CONC_N = opts.quick ? 100 : 1000;
const bigLabel = BIG_MB >= 1024 ? `${BIG_MB / 1024} GB` : `${BIG_MB} MB`;

/** Workloads in table order. `static`: the static no-op child is bind-mounted over /bin/true. */
const ALL_WORKLOADS = [
  { id: 'true-small', title: '/bin/true, small parent', mode: 'seq', heapMb: 0 },
  { id: 'true-big', title: `/bin/true, ${bigLabel} parent`, mode: 'seq', heapMb: BIG_MB },
  { id: 'drop-small', title: 'as uid/gid 65534, no groups, small parent', mode: 'drop', heapMb: 0 },
  { id: 'drop-big', title: `as uid/gid 65534, no groups, ${bigLabel} parent`, mode: 'drop', heapMb: BIG_MB },
  { id: 'static-small', title: 'static no-op child, small parent', mode: 'seq', heapMb: 0, static: true },
  { id: 'static-big', title: `static no-op child, ${bigLabel} parent`, mode: 'seq', heapMb: BIG_MB, static: true },
  { id: 'static-drop-small', title: 'static no-op child as 65534, small parent', mode: 'drop', heapMb: 0, static: true },
  { id: 'static-drop-big', title: `static no-op child as 65534, ${bigLabel} parent`, mode: 'drop', heapMb: BIG_MB, static: true },
  { id: 'conc', title: `${CONC_N} at once, then all reaped (total)`, mode: 'conc', heapMb: 0, n: CONC_N, unit: 'ms' },
  { id: 'capture', title: 'capture stdout of /bin/echo hello', mode: 'capture', heapMb: 0 },
];

// ---- helpers ---------------------------------------------------------------------
function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir || '.', cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {}
  }
  return null;
}

function firstLine(file, args) {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0];
  } catch {
    return null;
  }
}

function peerCache() {
  return process.env.PROCCTL_BENCH_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'procctl-bench');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function runProcess(argv, timeoutMs) {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 16 << 20, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => resolve({ err, stdout, stderr }));
  });
}

// ---- building and finding the peers -----------------------------------------------
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-bench-'));
process.on('exit', () => fs.rmSync(buildDir, { recursive: true, force: true }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function build(what, file, args) {
  try {
    execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: buildDir, env: { ...process.env, ...what.env } });
    return true;
  } catch (err) {
    log(`skip: ${what.name}: build failed: ${String(err.stderr || err.message).trim().split('\n').slice(0, 5).join(' | ')}`);
    return false;
  }
}

function findPeers() {
  const peers = [];
  const skipped = [];
  const skip = (id, why) => {
    skipped.push({ id, why });
    log(`skip: ${id}: ${why}`);
  };
  const cc = which('cc');
  if (!cc) throw new Error('cc not found: the C floor (bench/peers/posix_spawn.c) is built at run time (apt-get install gcc)');
  const cExe = path.join(buildDir, 'posix_spawn');
  if (!build({ name: 'c' }, cc, ['-O2', '-o', cExe, path.join(peersDir, 'posix_spawn.c')])) {
    throw new Error('could not build bench/peers/posix_spawn.c');
  }
  peers.push({ id: 'c', label: 'C posix_spawn', argv: [cExe], version: firstLine(cc, ['--version']) });
  // procctl's own system calls from C (its hardening included, no Node): what is
  // left of procctl's time above it is Node's and the addon's. A reference, not a
  // contender: it is neither ranked nor marked best.
  if (process.platform !== 'linux') {
    skip('c-floor', 'procctl_floor.c is the floor of the Linux engine');
  } else {
    const floorExe = path.join(buildDir, 'procctl_floor');
    if (build({ name: 'c-floor' }, cc, ['-O2', '-o', floorExe, path.join(peersDir, 'procctl_floor.c')])) {
      peers.push({ id: 'c-floor', label: "C, procctl's system calls", argv: [floorExe], version: firstLine(cc, ['--version']), extra: true, reference: true });
    } else skipped.push({ id: 'c-floor', why: 'build failed' });
  }

  const dist = path.join(root, 'dist', 'index.js');
  if (!fs.existsSync(dist)) throw new Error('dist/index.js is missing: run `npm ci` (or `npm run build`) first');
  const nodeWorker = path.join(peersDir, 'node.mjs');
  peers.push({ id: 'procctl', label: `procctl (Node ${process.versions.node})`, argv: [process.execPath, nodeWorker, 'procctl'], version: process.version, procctl: true });
  // runSync, procctl's blocking call (as Bun.spawnSync beside Bun.spawn): its own column; the rank is spawn's.
  peers.push({ id: 'procctl-sync', label: `procctl runSync (Node ${process.versions.node})`, argv: [process.execPath, nodeWorker, 'procctl-sync'], version: process.version, procctl: true, extra: true, noConc: true });
  const cache = peerCache();
  for (const major of opts.nodes) {
    const bin = path.join(cache, 'node_modules', `node${major}`, 'bin', 'node');
    if (!fs.existsSync(bin)) {
      skip(`procctl-node${major}`, `no Node ${major} at ${bin} (npm run bench:peers)`);
      continue;
    }
    const v = firstLine(bin, ['--version']);
    peers.push({ id: `procctl-node${major}`, label: `procctl (Node ${v.slice(1)})`, argv: [bin, nodeWorker, 'procctl'], version: v, procctl: true, extra: true });
  }
  peers.push({ id: 'child_process', label: 'Node child_process', argv: [process.execPath, nodeWorker, 'child_process'], version: process.version });

  const bunCandidates = [path.join(cache, 'node_modules', 'bun', 'bin', 'bun'), which('bun')].filter(Boolean);
  const bun = bunCandidates.find((p) => fs.existsSync(p));
  if (bun) {
    const v = firstLine(bun, ['--version']);
    const bunWorker = path.join(peersDir, 'bun.mjs');
    peers.push({ id: 'bun-spawn', label: 'Bun.spawn', argv: [bun, bunWorker, 'spawn'], version: `bun ${v}` });
    // spawnSync waits for each child, so it cannot have many running at once.
    peers.push({ id: 'bun-spawnSync', label: 'Bun.spawnSync', argv: [bun, bunWorker, 'spawnSync'], version: `bun ${v}`, noConc: true });
  } else {
    skip('bun', `Bun is not installed (looked in ${path.join(cache, 'node_modules', 'bun')} and PATH; npm run bench:peers)`);
  }

  const go = which('go');
  if (go) {
    const exe = path.join(buildDir, 'go_exec');
    const env = { GOCACHE: path.join(buildDir, 'gocache'), GOPATH: path.join(buildDir, 'gopath'), GO111MODULE: 'off', GOFLAGS: '' };
    if (build({ name: 'go', env }, go, ['build', '-o', exe, path.join(peersDir, 'go_exec.go')])) {
      peers.push({ id: 'go', label: 'Go os/exec', argv: [exe], version: firstLine(go, ['version']) });
    } else skipped.push({ id: 'go', why: 'build failed' });
  } else skip('go', 'go is not installed (npm run bench:peers installs Debian\'s golang-go)');

  const rustc = which('rustc');
  if (rustc) {
    const exe = path.join(buildDir, 'rust_command');
    if (build({ name: 'rust' }, rustc, ['-O', '--edition', '2021', '-o', exe, path.join(peersDir, 'rust_command.rs')])) {
      peers.push({ id: 'rust', label: 'Rust std::process', argv: [exe], version: firstLine(rustc, ['--version']) });
    } else skipped.push({ id: 'rust', why: 'build failed' });
  } else skip('rust', 'rustc is not installed (https://rustup.rs; not installed by bench:peers)');

  const py = which('python3');
  if (py) {
    peers.push({ id: 'python', label: 'Python subprocess', argv: [py, path.join(peersDir, 'python_subprocess.py')], version: firstLine(py, ['--version']) });
  } else skip('python', 'python3 is not installed');

  let selected = peers;
  if (opts.peers) {
    const want = new Set([...opts.peers, 'c']);
    selected = peers.filter((p) => want.has(p.id) || (p.id.startsWith('procctl-') && want.has('procctl')));
  }
  return { peers: selected, skipped };
}

/** The static no-op child and the command prefix that bind-mounts it over /bin/true. */
function staticSetup() {
  const noop = path.join(buildDir, 'noop');
  if (!build({ name: 'static no-op child' }, which('cc'), ['-O2', '-static', '-o', noop, path.join(peersDir, 'noop.c')])) {
    return { why: 'cc -static failed (no libc.a? apt-get install libc6-dev)' };
  }
  fs.chmodSync(noop, 0o755);
  const unshare = which('unshare');
  const sh = which('sh');
  if (!unshare) return { why: 'unshare (util-linux) is not installed' };
  // A private mount namespace per peer run: the bind mount is gone when the peer exits.
  const prefix = [unshare, '--mount', '--propagation', 'private', '--', sh, '-c', 'mount --bind "$0" /bin/true && exec "$@"', noop];
  try {
    execFileSync(prefix[0], [...prefix.slice(1), '/bin/true'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    return { why: `cannot bind-mount over /bin/true in a private mount namespace (needs root): ${String(err.stderr).trim()}` };
  }
  return { prefix };
}

/**
 * Root here may have no supplementary groups, and then a peer that never calls
 * setgroups would pass the drop check. Drop workloads therefore start each peer with
 * three groups of its own, which a real drop must clear.
 */
function groupsPrefix() {
  const setpriv = which('setpriv');
  if (process.getuid?.() !== 0 || !setpriv) {
    log('note: not root or no setpriv (util-linux): the drop check cannot prove the supplementary groups are cleared');
    return [];
  }
  return [setpriv, '--groups', '1,2,3'];
}

function pinPrefix() {
  if (opts.pin === null) return [];
  const taskset = which('taskset');
  if (!taskset) {
    log('note: taskset (util-linux) not found: peers run unpinned');
    return [];
  }
  return [taskset, '-c', opts.pin];
}

function machine(peers) {
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))[1];
    } catch {
      return os.type();
    }
  })();
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    os: osRelease,
    libc: firstLine('getconf', ['GNU_LIBC_VERSION']),
    versions: Object.fromEntries(peers.map((p) => [p.id, p.version])),
  };
}

// ---- measuring ---------------------------------------------------------------------
async function measure(peer, w, pin, staticPrefix, groups) {
  const n = w.n ?? SEQ_N;
  const argv = [...pin, ...(w.mode === 'drop' ? groups : []), ...(w.static ? staticPrefix : []), ...peer.argv,
    w.mode, String(n), String(w.heapMb), String(BUDGET_MS)];
  const r = await runProcess(argv, 10 * 60 * 1000);
  const line = r.stdout.trim().split('\n').pop();
  if (r.err) {
    return { error: `${peer.id} ${w.id}: ${r.err.killed ? 'timed out' : `exit ${r.err.code ?? r.err.signal}`}: ${r.stderr.trim().slice(-2000)}` };
  }
  try {
    const res = JSON.parse(line);
    if (!(res.n > 0) || !(res.totalNs > 0)) throw new Error('no figure');
    return res;
  } catch {
    return { error: `${peer.id} ${w.id}: unreadable output ${JSON.stringify(r.stdout.slice(-500))} ${r.stderr.trim().slice(-500)}` };
  }
}

/** Per-op microseconds (sequential workloads) or total milliseconds (conc). */
function figure(w, res) {
  if (w.mode === 'conc') return { value: res.totalNs / 1e6, mean: res.totalNs / 1e6 };
  return { value: res.medianNs / 1e3, mean: res.totalNs / res.n / 1e3 };
}

async function runRounds(peers, workloads, pin, staticPrefix, groups) {
  const samples = {};  // workload -> peer -> [{value, mean, n, rssKb, hwmKb}]
  const errors = [];
  for (let r = 0; r < opts.rounds; r++) {
    const t0 = Date.now();
    for (const w of workloads) {
      // The order rotates every round, so no peer always runs first or right after another.
      const order = peers.map((_, i) => peers[(i + r + workloads.indexOf(w)) % peers.length]);
      for (const peer of order) {
        if (w.mode === 'conc' && peer.noConc) continue;
        const res = await measure(peer, w, pin, staticPrefix, groups);
        if (res.error) {
          errors.push(res.error);
          log(`error: ${res.error}`);
          continue;
        }
        ((samples[w.id] ??= {})[peer.id] ??= []).push({ ...figure(w, res), n: res.n, rssKb: res.rssKb, hwmKb: res.hwmKb });
      }
    }
    log(`round ${r + 1}/${opts.rounds} done in ${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  }
  return { samples, errors };
}

function summarize(peers, workloads, samples) {
  return workloads.map((w) => {
    const results = {};
    for (const p of peers) {
      const s = samples[w.id]?.[p.id];
      if (!s?.length) continue;
      results[p.id] = {
        value: median(s.map((x) => x.value)),
        mean: median(s.map((x) => x.mean)),
        rounds: s.map((x) => Number(x.value.toFixed(1))),
        n: s.map((x) => x.n),
        rssKb: median(s.map((x) => x.rssKb)),
        hwmKb: median(s.map((x) => x.hwmKb)),
      };
    }
    return { id: w.id, title: w.title, unit: w.unit ?? 'us', mode: w.mode, heapMb: w.heapMb, static: !!w.static, results };
  });
}

// ---- memory -------------------------------------------------------------------------
async function memoryChecks(pin) {
  const script = path.join(here, 'memory.mjs');
  const one = async (...args) => {
    const r = await runProcess([...pin, process.execPath, script, ...args.map(String)], 30 * 60 * 1000);
    if (r.err) throw new Error(`memory ${args.join(' ')}: exit ${r.err.code ?? r.err.signal}: ${r.stderr.trim().slice(-2000)}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  try {
    const idle = await one('idle');
    const idleProcctl = await one('idle-procctl');
    const concProcctl = await one('conc', CONC_N, 'procctl');
    const concChildProcess = await one('conc', CONC_N, 'child_process');
    const spawnLoop = await one('spawn', opts.quick ? 2000 : 100000);
    const runLoop = await one('run', opts.quick ? 500 : 20000);
    return {
      idleNodeRssKb: idle.rssKb,
      idleNodeWithProcctlRssKb: idleProcctl.rssKb,
      conc: { procctl: concProcctl, childProcess: concChildProcess, peakVsIdleNode: concProcctl.hwmKb / idle.rssKb },
      spawnLoop,
      runLoop,
    };
  } catch (err) {
    return { error: err.message };
  }
}

// ---- main -----------------------------------------------------------------------------
async function main() {
  const started = new Date();
  const loadBefore = os.loadavg();
  log(`load average before: ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
  const { peers, skipped } = findPeers();
  let workloads = ALL_WORKLOADS;
  if (opts.only) workloads = workloads.filter((w) => opts.only.includes(w.id));
  const st = workloads.some((w) => w.static) ? staticSetup() : { prefix: [] };
  if (!st.prefix) {
    log(`skip: static no-op child workloads: ${st.why}`);
    skipped.push({ id: 'static workloads', why: st.why });
    workloads = workloads.filter((w) => !w.static);
  }
  const pin = pinPrefix();
  log(`peers: ${peers.map((p) => p.id).join(', ')}; workloads: ${workloads.map((w) => w.id).join(', ')}; ` +
    `${opts.rounds} round(s)${pin.length ? `, pinned to CPU ${opts.pin}` : ', unpinned'}`);

  const { samples, errors } = await runRounds(peers, workloads, pin, st.prefix, groupsPrefix());
  let memory = null;
  if (opts.memory) {
    log('memory checks ...');
    memory = await memoryChecks(pin);
    if (memory.error) {
      errors.push(memory.error);
      log(`error: ${memory.error}`);
      memory = null;
    }
  }
  const loadAfter = os.loadavg();
  log(`load average after: ${loadAfter.map((x) => x.toFixed(2)).join(' ')}`);

  const report = {
    date: started.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}${opts.quick && !process.argv.includes('--quick') ? ' (BENCH_QUICK=1)' : ''}`,
    quick: opts.quick,
    rounds: opts.rounds,
    pinnedCpu: pin.length ? opts.pin : null,
    settings: { seqN: SEQ_N, budgetMs: BUDGET_MS, concN: CONC_N, bigMb: BIG_MB },
    machine: machine(peers),
    loadAverage: { before: loadBefore, after: loadAfter },
    peers: peers.map(({ id, label, procctl, extra, reference }) => ({ id, label, procctl: !!procctl, extra: !!extra, reference: !!reference })),
    skipped,
    workloads: summarize(peers, workloads, samples),
    memory,
    errors,
  };
  fs.mkdirSync(opts.out, { recursive: true });
  const md = renderMarkdown(report);
  fs.writeFileSync(path.join(opts.out, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(opts.out, 'results.md'), md);
  fs.writeFileSync(path.join(opts.out, 'results.svg'), renderChart(report));
  process.stdout.write(md);
  log(`wrote ${path.join(opts.out, 'results.json')}, results.md, results.svg`);
  if (errors.length) {
    log(`${errors.length} peer run(s) failed: the benchmark is broken`);
    process.exitCode = 1;
  }
}

await main();
