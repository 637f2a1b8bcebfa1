'use strict';
/**
 * The differential conformance harness: runs each case of cases.cjs twice, once
 * through the Go driver (os/exec + SysProcAttr) and once through the procctl
 * driver, each started by the parent-state wrapper (parent.c) in the state the
 * case describes, each starting the same static probe (probe.c). The probes'
 * reports are normalised (pids to roles, pipe inodes, pty numbers, the temp
 * directory) and flattened to one string per field; a case passes when the
 * two sides differ in exactly the fields the case names (none, for most).
 *
 *   node test/conformance/harness.cjs [--drop OPTION | --sweep] [--json] [NAME...]
 *
 * runs the named cases (all by default) and prints each verdict with its
 * differences; exit status 1 when one fails. `--drop OPTION` makes the procctl
 * driver leave that option out (the self-test's switch); `--sweep` drops each
 * option of each case in turn and lists those whose absence nobody notices
 * (run it after adding cases). test/conformance.test.ts runs the same cases
 * under vitest.
 */
const cp = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');

const execFile = promisify(cp.execFile);
const HERE = __dirname;
const cases = require('./cases.cjs');

// ---- tables -------------------------------------------------------------------

const SIGNAL_NAMES = {};
for (const [name, n] of Object.entries(os.constants.signals)) SIGNAL_NAMES[n] ??= name;

/** Capability names by number (linux/capability.h). */
const CAPS = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid',
  'setpcap', 'linux_immutable', 'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw',
  'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot', 'sys_ptrace', 'sys_pacct',
  'sys_admin', 'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod',
  'lease', 'audit_write', 'audit_control', 'setfcap', 'mac_override', 'mac_admin', 'syslog',
  'wake_alarm', 'block_suspend', 'audit_read', 'perfmon', 'bpf', 'checkpoint_restore',
].map((c) => `cap_${c}`);

/** Resource limits by the kernel's number, named as procctl's `rlimits` keys. */
const RLIMITS = ['cpu', 'fsize', 'data', 'stack', 'core', 'rss', 'nproc', 'nofile', 'memlock', 'as',
  'locks', 'sigpending', 'msgqueue', 'nice', 'rtprio', 'rttime'];

/** Open-file flags worth naming besides the access mode (O_LARGEFILE is forced by the kernel). */
const OPEN_FLAGS = [[0o2000, 'append'], [0o4000, 'nonblock'], [0o40000, 'direct'], [0o1000000, 'noatime'],
  [0o4010000, 'sync'], [0o10000000, 'path']];

const ERRNO_NAMES = {};
for (const [name, n] of Object.entries(os.constants.errno)) ERRNO_NAMES[n] ??= name;

/** Options of the Node driver's environment passed through to both drivers alike. */
const PASSTHROUGH_ENV = ['PROCCTL_ADDON', 'PROCCTL_SPAWN_ENGINE'];

/** The user the cases drop to when they need one with supplementary groups. */
const TEST_USER = 'procctl_conform';

// ---- availability and build ---------------------------------------------------

/** Whether a Go toolchain is on PATH: { ok, version } or { ok: false, reason }. */
function goStatus() {
  try {
    const version = cp.execFileSync('go', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    return { ok: true, version };
  } catch (err) {
    const why = err.code === 'ENOENT' ? 'no `go` on PATH (Debian: apt-get install golang-go)' : `\`go version\` failed: ${err.message}`;
    return { ok: false, reason: why };
  }
}

function passwd(name) {
  for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`conformance: no user ${name} in /etc/passwd`);
}

/** A user with supplementary groups of its own, so `groups: 'init'` is not just the primary group. */
function ensureTestUser() {
  for (let attempt = 0; ; attempt++) {
    try {
      cp.execFileSync('id', [TEST_USER], { stdio: 'ignore' });
      return;
    } catch {
      // not there yet
    }
    try {
      cp.execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--groups', 'users,games', TEST_USER],
        { stdio: 'pipe' });
      return;
    } catch (err) {
      // Another suite's useradd may hold the passwd lock: try again shortly.
      if (attempt >= 20) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
}

function readStat(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]), tty: Number(f[4]), tpgid: Number(f[5]), nice: Number(f[16]) };
}

function statusOf(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/**
 * Builds the probe (static), the wrapper and the Go driver into a fresh temp
 * directory and records the harness's own view (namespaces, cgroup, ids), which
 * normalisation compares against. Go caches its build between runs (GOCACHE).
 */
async function prepare() {
  const go = goStatus();
  if (!go.ok) throw new Error(`conformance: ${go.reason}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-conformance-'));
  // Reachable by the probe when a case drops it to another user; the probe writes
  // report.json next to itself, so its directory is world-writable and sticky.
  fs.chmodSync(tmp, 0o755);
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.chmodSync(bin, 0o1777);
  fs.mkdirSync(path.join(tmp, 'work'), { mode: 0o755 });
  const ctx = {
    tmp,
    bin,
    probe: path.join(bin, 'probe'),
    parent: path.join(tmp, 'parent'),
    goDriver: path.join(tmp, 'driver-go'),
    nodeDriver: path.join(HERE, 'driver-node.cjs'),
    goVersion: go.version,
    goRuns: new Map(),
    results: new Map(),
    self: null,
    cleanup() {
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  try {
    const goEnv = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '' };
    if (!goEnv.HOME && !goEnv.GOCACHE) goEnv.GOCACHE = path.join(tmp, 'gocache');
    await Promise.all([
      execFile('cc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', ctx.probe, path.join(HERE, 'probe.c')]),
      execFile('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', ctx.parent, path.join(HERE, 'parent.c')]),
      execFile('go', ['build', '-trimpath', '-o', ctx.goDriver, path.join(HERE, 'driver.go')], { cwd: tmp, env: goEnv }),
    ]);
    ensureTestUser();
    const st = statusOf(fs.readFileSync('/proc/self/status', 'utf8'));
    const ns = {};
    for (const name of fs.readdirSync('/proc/self/ns')) ns[name] = fs.readlinkSync(`/proc/self/ns/${name}`);
    ctx.self = {
      pid: process.pid,
      ...readStat(process.pid),
      ns,
      cgroup: fs.readFileSync('/proc/self/cgroup', 'utf8'),
      uid_map: fs.readFileSync('/proc/self/uid_map', 'utf8'),
      gid_map: fs.readFileSync('/proc/self/gid_map', 'utf8'),
      setgroups: fs.readFileSync('/proc/self/setgroups', 'utf8'),
      hostname: os.hostname(),
      capBnd: st.CapBnd,
    };
  } catch (err) {
    ctx.cleanup();
    throw err;
  }
  return ctx;
}

// ---- running one side --------------------------------------------------------

function substitute(value, work) {
  if (typeof value === 'string') return value.replaceAll('$work', work);
  if (Array.isArray(value)) return value.map((v) => substitute(v, work));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, work)]));
  }
  return value;
}

/** JSON has no Infinity: both drivers read the string "Infinity" as unlimited. */
const toJson = (value) => JSON.stringify(value, (_k, v) => (v === Infinity ? 'Infinity' : v));

const signalNumber = (name) => {
  const n = os.constants.signals[name];
  if (n === undefined) throw new Error(`conformance: unknown signal ${name}`);
  return n;
};
const capNumber = (name) => {
  const n = CAPS.indexOf(name);
  if (n < 0) throw new Error(`conformance: unknown capability ${name}`);
  return n;
};

/** The wrapper's arguments for a case's `parent` state, in the order they must apply. */
function parentArgs(parent = {}, work) {
  const a = [];
  // First: the pty fork, so everything after applies to the process that execs the driver.
  if (parent.pty) a.push('--pty', parent.pty);
  if (parent.groups) a.push('--groups', parent.groups.map((g) => String(groupId(g))).join(','));
  if (parent.umask !== undefined) a.push('--umask', parent.umask.toString(8));
  if (parent.ignore) a.push('--ignore', parent.ignore.map(signalNumber).join(','));
  if (parent.block) a.push('--block', parent.block.map(signalNumber).join(','));
  for (const f of parent.fds ?? []) a.push('--fd', `${f.fd}:${substitute(f.path, work)}:${f.mode}`);
  for (const fd of parent.nonblock ?? []) a.push('--nonblock', String(fd));
  for (const [name, [soft, hard]] of Object.entries(parent.rlimits ?? {})) {
    a.push('--rlimit', `${RLIMITS.indexOf(name)}:${soft}:${hard}`);
  }
  for (const cap of parent.ambient ?? []) a.push('--ambient', String(capNumber(cap)));
  for (const cap of parent.dropBound ?? []) a.push('--drop-bound', String(capNumber(cap)));
  if (parent.noNewPrivs) a.push('--no-new-privs');
  return a;
}

function groupId(name) {
  if (typeof name === 'number') return name;
  for (const line of fs.readFileSync('/etc/group', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return Number(f[2]);
  }
  throw new Error(`conformance: no group ${name} in /etc/group`);
}

/** Creates a case's files and directories under its work directory. */
function setUp(ctx, c, work) {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { mode: 0o755 });
  fs.chmodSync(work, 0o755);
  const probeDirs = [ctx.bin];
  for (const [rel, spec] of Object.entries(c.setup ?? {})) {
    const p = path.join(work, rel);
    if (rel.endsWith('/')) fs.mkdirSync(p, { recursive: true });
    else if (spec.probe) {
      fs.copyFileSync(ctx.probe, p);
      probeDirs.push(path.dirname(p));
    } else fs.writeFileSync(p, spec.text ?? '');
    fs.chmodSync(p, spec.mode ?? (rel.endsWith('/') ? 0o755 : 0o644));
    if (spec.owner) {
      const u = passwd(spec.owner);
      fs.chownSync(p, u.uid, u.gid);
    }
  }
  return probeDirs;
}

/** The drivers' environment: fixed, so both sides hand the same one on. */
function driverEnv(work, drop) {
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root', LANG: 'C', PWD: work };
  for (const k of PASSTHROUGH_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
  // The drivers run in the case's work directory: a relative addon path would miss.
  if (env.PROCCTL_ADDON) env.PROCCTL_ADDON = path.resolve(env.PROCCTL_ADDON);
  if (drop !== undefined) env.PROCCTL_CONFORMANCE_DROP = drop;
  return env;
}

/** Spawns and waits; the wrapper leads its own session, so a hung run is killed as a group. */
function runWrapper(argv, opts, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = cp.spawn(argv[0], argv.slice(1), { ...opts, detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`conformance: ${path.basename(argv[argv.length - 3])} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ pid: child.pid, code, signal });
    });
  });
}

/**
 * One side of a case: the wrapper in the case's parent state execs the driver,
 * which starts the probe. Returns the driver's result, the probe's report (when
 * it started) and what the wrapper said (the pty it made).
 */
async function runSide(ctx, c, side, { drop } = {}) {
  const work = path.join(ctx.tmp, 'work', c.name);
  const probeDirs = setUp(ctx, c, work);
  for (const d of probeDirs) fs.rmSync(path.join(d, 'report.json'), { force: true });
  const specPath = path.join(ctx.tmp, 'spec.json');
  const resultPath = path.join(ctx.tmp, 'result.json');
  fs.rmSync(resultPath, { force: true });
  const options = { ...(c.baseStdio === false ? {} : { stdio: ['inherit', 'inherit', 'inherit'] }), ...c.options };
  const spec = substitute({ file: c.file ?? ctx.probe, args: c.args ?? [], options, fixtures: c.fixtures ?? {} }, work);
  fs.writeFileSync(specPath, toJson(spec));
  const driver = side === 'go' ? [ctx.goDriver, specPath, resultPath] : [process.execPath, ctx.nodeDriver, specPath, resultPath];
  const logPath = path.join(ctx.tmp, 'driver.log');
  const log = fs.openSync(logPath, 'w');
  let exit;
  try {
    exit = await runWrapper([ctx.parent, ...parentArgs(c.parent, work), '--', ...driver],
      { cwd: work, env: driverEnv(work, side === 'node' ? drop : undefined), stdio: ['ignore', log, log] }, 30_000);
  } finally {
    fs.closeSync(log);
  }
  const logText = fs.readFileSync(logPath, 'utf8');
  let result;
  try {
    result = JSON.parse(fs.readFileSync(resultPath, 'utf8'));
  } catch {
    throw new Error(`conformance: the ${side} driver wrote no result (exit ${exit.code ?? exit.signal}) for ${c.name}:\n${logText}`);
  }
  let report = null;
  for (const d of probeDirs) {
    const p = path.join(d, 'report.json');
    if (fs.existsSync(p)) report = JSON.parse(fs.readFileSync(p, 'utf8'));
  }
  const pty = /conformance-pty: (\S+) (\d+)/.exec(logText);
  return { side, work, result, report, log: logText, wrapperPid: exit.pid, pty: pty ? { path: pty[1], rdev: Number(pty[2]) } : null };
}

// ---- normalisation -----------------------------------------------------------

function maskNames(hex, nameOf) {
  const v = BigInt(`0x${hex}`);
  const names = [];
  for (let bit = 0n; bit < 64n; bit++) if (v & (1n << bit)) names.push(nameOf(Number(bit)));
  return names.join(' ');
}

/** A capability set, relative to the harness's bounding set when it is most of it. */
function capSet(hex, bounding) {
  const v = BigInt(`0x${hex}`);
  const all = BigInt(`0x${bounding}`);
  if (v === all) return '<harness bounding set>';
  const missing = all & ~v;
  if ((v & ~all) === 0n && missing.toString(2).replace(/0/g, '').length <= 4) {
    return `<harness bounding set> without ${maskNames(missing.toString(16), capName)}`;
  }
  return maskNames(hex, capName);
}

const signalName = (bit) => SIGNAL_NAMES[bit + 1] ?? `SIG${bit + 1}`;
const capName = (bit) => CAPS[bit] ?? `cap_${bit}`;

/**
 * Flattens one side's run to { field: string }. What must differ between two
 * runs is named instead of compared: pids by their role (probe, driver, leader,
 * wrapper, harness), pipe and socket inodes, the pty each wrapper made, the
 * temp directory, namespaces and cgroup relative to the harness's own.
 */
function flatten(ctx, run) {
  const r = run.result;
  const out = {};
  if (!r.started) {
    out.start = r.errno ? ERRNO_NAMES[r.errno] ?? `errno ${r.errno}` : r.code ?? `error: ${r.error}`;
    return out;
  }
  out.start = 'ok';
  out.exit = r.exit.signal ? `signal ${r.exit.signal}` : `code ${r.exit.code}`;
  const rep = run.report;
  if (rep === null) {
    out.report = `missing (driver log: ${run.log.trim() || 'empty'})`;
    return out;
  }
  const text = (s) => s.replaceAll(run.work, '<work>').replaceAll(ctx.tmp, '<tmp>');
  const roles = new Map();
  const role = (name, pid) => {
    if (pid > 0 && !roles.has(pid)) roles.set(pid, name);
  };
  for (const [name, pid] of Object.entries(r.pids)) role(name, pid);
  role('wrapper', run.wrapperPid);
  role('harness', ctx.self.pid);
  role('harness-group', ctx.self.pgrp);
  role('harness-session', ctx.self.session);
  const pidOf = (pid) => (pid <= 0 ? String(pid) : roles.get(pid) ?? 'other');
  const ttyOf = (nr) => {
    if (nr === 0) return 'none';
    if (run.pty && nr === run.pty.rdev) return '<pty>';
    if (nr === ctx.self.tty) return '<harness-tty>';
    return `other (${nr >> 8}:${nr & 0xff})`;
  };

  const st = statusOf(rep.status);
  const stat = rep.stat.slice(rep.stat.lastIndexOf(')') + 2).split(' ');
  out.pid = pidOf(rep.pid);
  out.ppid = pidOf(Number(stat[1]));
  out.pgid = pidOf(Number(stat[2]));
  out.sid = pidOf(Number(stat[3]));
  out.tty = ttyOf(Number(stat[4]));
  out.tpgid = pidOf(Number(stat[5]));
  out.uid = st.Uid.split(/\s+/).join(' ');
  out.gid = st.Gid.split(/\s+/).join(' ');
  out.groups = st.Groups.split(/\s+/).filter(Boolean).join(' ');
  for (const [field, key] of [['CapInh', 'inh'], ['CapPrm', 'prm'], ['CapEff', 'eff'], ['CapBnd', 'bnd'], ['CapAmb', 'amb']]) {
    out[`caps.${key}`] = capSet(st[field], ctx.self.capBnd);
  }
  out['sig.blocked'] = maskNames(st.SigBlk, signalName);
  out['sig.ignored'] = maskNames(st.SigIgn, signalName);
  out['sig.caught'] = maskNames(st.SigCgt, signalName);
  out.umask = st.Umask;
  out.seccomp = st.Seccomp;
  for (const fd of rep.fds) {
    const mode = ['r', 'w', 'rw', '?'][fd.flags & 3];
    const flags = OPEN_FLAGS.filter(([bit]) => (fd.flags & bit) === bit).map(([, name]) => name);
    if (fd.cloexec) flags.push('cloexec');
    let target = fd.target ?? '?';
    target = target.replace(/^(pipe|socket):\[\d+\]$/, '$1');
    if (run.pty && target === run.pty.path) target = '<pty>';
    else target = target.replace(/^\/dev\/pts\/\d+$/, '/dev/pts/<other>');
    out[`fd.${fd.fd}`] = [mode, ...flags, text(target)].join(' ');
  }
  out.cwd = text(rep.cwd ?? '?');
  out.root = text(rep.root ?? '?');
  out.exe = text(rep.exe ?? '?');
  out.argv = JSON.stringify(rep.argv.map(text));
  out.env = JSON.stringify(rep.env.map(text));
  rep.rlimits.forEach((lim, i) => {
    out[`rlimit.${RLIMITS[i] ?? i}`] = lim === null ? 'error' : `${lim[0]}/${lim[1]}`;
  });
  const p = rep.prctl;
  out['prctl.pdeathsig'] = p.pdeathsig === 0 ? 'none' : SIGNAL_NAMES[p.pdeathsig] ?? String(p.pdeathsig);
  out['prctl.no_new_privs'] = String(p.no_new_privs);
  out['prctl.dumpable'] = String(p.dumpable);
  out['prctl.child_subreaper'] = String(p.child_subreaper);
  out['prctl.keepcaps'] = String(p.keepcaps);
  out['prctl.securebits'] = String(p.securebits);
  out['sched.policy'] = String(rep.sched.policy);
  out['sched.nice'] = String(rep.sched.nice);
  out.oom_score_adj = (rep.oom_score_adj ?? '?').trim();
  for (const [name, link] of Object.entries(rep.ns)) {
    out[`ns.${name}`] = link === null ? 'none' : link === ctx.self.ns[name] ? 'same' : 'new';
  }
  for (const key of ['cgroup', 'uid_map', 'gid_map', 'setgroups']) {
    out[key] = rep[key] === ctx.self[key] ? 'same' : text(rep[key] ?? '?').replace(/[ \t]+/g, ' ').trim();
  }
  out.hostname = rep.hostname === ctx.self.hostname ? 'same' : String(rep.hostname);
  return out;
}

/** Fields whose values differ: [{ field, go, procctl }], absent fields as null. */
function compare(goFlat, nodeFlat) {
  // A side that did not start has only `start` to compare.
  const keys = goFlat.start !== 'ok' || nodeFlat.start !== 'ok' ? ['start'] : [...new Set([...Object.keys(goFlat), ...Object.keys(nodeFlat)])];
  const diffs = [];
  for (const field of keys) {
    const go = goFlat[field] ?? null;
    const procctl = nodeFlat[field] ?? null;
    if (go !== procctl) diffs.push({ field, go, procctl });
  }
  return diffs;
}

// ---- cases -------------------------------------------------------------------

/**
 * Runs one case. The Go side is run once per harness and cached (the self-test
 * reruns only the procctl side). Returns both flattened sides, the differences,
 * and `problems`: empty when the case's expectation holds.
 */
async function runCase(ctx, c, { drop } = {}) {
  if (drop === undefined && ctx.results.has(c.name)) return ctx.results.get(c.name);
  let goRun = ctx.goRuns.get(c.name);
  if (goRun === undefined) {
    goRun = await runSide(ctx, c, 'go');
    goRun = { run: goRun, flat: flatten(ctx, goRun) };
    ctx.goRuns.set(c.name, goRun);
  }
  const nodeRun = await runSide(ctx, c, 'node', { drop });
  const nodeFlat = flatten(ctx, nodeRun);
  const diffs = compare(goRun.flat, nodeFlat);
  const problems = [];
  const expected = c.differs ? c.differs.fields : {};
  for (const d of diffs) {
    const want = expected[d.field];
    if (want === undefined) problems.push(`${d.field}: Go ${show(d.go)}, procctl ${show(d.procctl)}`);
    else if (want.go !== d.go || want.procctl !== d.procctl) {
      problems.push(`${d.field}: Go ${show(d.go)}, procctl ${show(d.procctl)}; the case expects Go ${show(want.go)}, procctl ${show(want.procctl)}`);
    }
  }
  for (const field of Object.keys(expected)) {
    if (!diffs.some((d) => d.field === field)) {
      problems.push(`${field}: expected to differ (${c.differs.reason}), but both are ${show(nodeFlat[field] ?? null)}`);
    }
  }
  if (c.refused !== undefined) {
    for (const [side, flat] of [['Go', goRun.flat], ['procctl', nodeFlat]]) {
      if (flat.start !== c.refused) problems.push(`start: ${side} ${show(flat.start)}, the case expects ${c.refused}`);
    }
  } else if (goRun.flat.start !== 'ok' && expected.start === undefined) {
    problems.push(`start: the Go side did not start the probe (${goRun.flat.start}): ${goRun.run.result.error ?? ''}`);
  }
  const result = { go: goRun.flat, procctl: nodeFlat, diffs, problems, pass: problems.length === 0 };
  if (drop === undefined) ctx.results.set(c.name, result);
  return result;
}

/**
 * The harness self-test: runs `c` with the procctl driver leaving `option`
 * out. The option is applied (and observable) when that run differs from Go
 * in some field where the full run did not (for a case that passes, any
 * difference at all). Returns { noticed, dropped, base }.
 */
async function dropOption(ctx, c, option) {
  const base = await runCase(ctx, c);
  const dropped = await runCase(ctx, c, { drop: option });
  const known = new Set(base.diffs.map((d) => JSON.stringify(d)));
  const fresh = dropped.diffs.filter((d) => !known.has(JSON.stringify(d)));
  return { noticed: fresh.length > 0, fresh, dropped, base };
}

const show = (v) => (v === null ? '(absent)' : JSON.stringify(v));

/** A readable account of one case's run, for failures and the CLI. */
function describe(c, r) {
  const lines = [`${r.pass ? 'PASS' : 'FAIL'} ${c.name}: ${c.about}`];
  if (c.differs) lines.push(`  deliberate difference: ${c.differs.reason}`);
  if (c.fix) lines.push(`  needs: ${c.fix}`);
  for (const p of r.problems) lines.push(`  - ${p}`);
  if (r.pass && r.diffs.length > 0) for (const d of r.diffs) lines.push(`  ~ ${d.field}: Go ${show(d.go)}, procctl ${show(d.procctl)}`);
  return lines.join('\n');
}

/**
 * For each procctl option the cases use, the case that shows it with the fewest
 * other options, preferring cases procctl already passes (deliberate-difference
 * cases excluded): the self-test drops the option there (dropOption).
 */
function witnesses() {
  const best = new Map();
  const rank = (c) => (c.fix ? 100 : 0) + Object.keys(c.options).length;
  for (const c of cases) {
    if (c.differs) continue;
    for (const k of Object.keys(c.options)) {
      if (c.restatesDefault?.includes(k)) continue;
      const cur = best.get(k);
      if (cur === undefined || rank(cur) > rank(c)) best.set(k, c);
    }
  }
  return [...best.entries()];
}

module.exports = { cases, goStatus, prepare, runSide, runCase, dropOption, flatten, compare, describe, witnesses, TEST_USER };

// ---- command line ------------------------------------------------------------

async function main(argv) {
  let drop;
  let json = false;
  let sweep = false;
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--drop') drop = argv[++i];
    else if (argv[i] === '--json') json = true;
    else if (argv[i] === '--sweep') sweep = true;
    else names.push(argv[i]);
  }
  const selected = names.length === 0 ? cases : names.map((n) => {
    const c = cases.find((x) => x.name === n);
    if (!c) throw new Error(`no case named ${n} (cases: ${cases.map((x) => x.name).join(', ')})`);
    return c;
  });
  const started = process.hrtime.bigint();
  const ctx = await prepare();
  let failed = 0;
  try {
    console.log(`# ${ctx.goVersion}, node ${process.version}, ${selected.length} case(s)${drop ? `, procctl driver drops ${drop}` : ''}`);
    for (const c of selected) {
      if (sweep) {
        if (c.differs) continue;
        for (const option of Object.keys(c.options)) {
          if (c.restatesDefault?.includes(option)) continue;
          const { noticed } = await dropOption(ctx, c, option);
          if (!noticed) failed++;
          console.log(`${noticed ? 'noticed  ' : 'UNNOTICED'} ${c.name} without ${option}`);
        }
        continue;
      }
      const r = await runCase(ctx, c, { drop });
      if (!r.pass) failed++;
      console.log(json ? JSON.stringify({ name: c.name, ...r }) : describe(c, r));
    }
  } finally {
    ctx.cleanup();
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const what = sweep ? `${failed} dropped option(s) unnoticed` : `${selected.length - failed} passed, ${failed} failed`;
  console.log(`# ${what} (${(ms / 1000).toFixed(1)} s)`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    console.error(err);
    process.exit(2);
  });
}
