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
 * driver leave that option out (the self-test's switch; `capabilities.bounding`
 * drops one key of an object option); `--sweep` drops each option of each case
 * in turn and lists those whose absence nobody notices (run it after adding
 * cases). test/conformance.test.ts runs the same cases under vitest.
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

/**
 * The cgroup v2 directory this process is in, found from /proc (not with
 * procctl's own lib/cgroup.ts, which the suite checks), or null without a
 * cgroup v2 mount.
 */
function ownCgroup2Dir() {
  let mount = null;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (post?.split(' ')[0] === 'cgroup2') {
      mount = pre.split(' ')[4].replace(/\\([0-7]{3})/g, (_m, o) => String.fromCharCode(parseInt(o, 8)));
      break;
    }
  }
  const own = /^0::(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'));
  if (mount === null || own === null) return null;
  return { mount, dir: path.join(mount, own[1]) };
}

/**
 * Why a case cannot run on this host (its `needs`), or null. 'cgroup2': a
 * writable cgroup v2 where the harness is (a container without one, or with a
 * read-only one, cannot start a child in a cgroup of its own).
 */
function caseUnavailable(c) {
  if (c.needs === undefined) return null;
  if (c.needs !== 'cgroup2') throw new Error(`conformance: ${c.name} needs ${c.needs}, which the harness does not know`);
  const cg = ownCgroup2Dir();
  if (cg === null) return 'no cgroup v2 hierarchy is mounted here';
  try {
    fs.accessSync(cg.dir, fs.constants.W_OK);
  } catch (err) {
    return `this process's cgroup v2 (${cg.dir}) is not writable: ${err.code}`;
  }
  return null;
}

function readStat(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]), tty: Number(f[4]), tpgid: Number(f[5]), nice: Number(f[16]) };
}

const rootId = (p) => {
  const st = fs.statSync(p, { bigint: true });
  return `${st.dev}:${st.ino}`;
};

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
      rootId: rootId('/'),
      cgroup2: ownCgroup2Dir(),
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
  if (parent.mountProc) a.push('--mount-proc', path.join(work, parent.mountProc));
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

/**
 * The cgroup a case joins (`cgroup: true`): made next to the harness's own
 * cgroup v2 for each side, removed after it ($cgroup in options).
 */
function caseCgroup(ctx, c) {
  if (!c.cgroup) return null;
  if (ctx.self.cgroup2 === null) throw new Error(`conformance: ${c.name} needs a cgroup v2 hierarchy, and none is mounted`);
  return path.join(ctx.self.cgroup2.dir, `procctl-conformance-${process.pid}`);
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
    } else if (spec.device) {
      cp.execFileSync('mknod', [p, 'c', String(spec.device[0]), String(spec.device[1])]);
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
function driverEnv(work, drop, parentEnv = {}) {
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/root', LANG: 'C', PWD: work, ...parentEnv };
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
  let options = { ...(c.baseStdio === false ? {} : { stdio: ['inherit', 'inherit', 'inherit'] }), ...c.options };
  // What Go 1.19 has no counterpart for is left out of the Go side (and only there).
  if (side === 'go') for (const name of c.procctlOnly?.options ?? []) options = withoutOption(options, name);
  const cgroup = caseCgroup(ctx, c);
  const spec = substitute({ file: c.file ?? ctx.probe, args: c.args ?? [], options, fixtures: c.fixtures ?? {} }, work);
  const specText = toJson(spec).replaceAll('$cgroup', cgroup ?? '$cgroup');
  fs.writeFileSync(specPath, specText);
  const driver = side === 'go' ? [ctx.goDriver, specPath, resultPath] : [process.execPath, ctx.nodeDriver, specPath, resultPath];
  const logPath = path.join(ctx.tmp, 'driver.log');
  const log = fs.openSync(logPath, 'w');
  let exit;
  let roots;
  try {
    if (cgroup !== null) fs.mkdirSync(cgroup);
    // A safety net for a hung driver, not a measure: generous for a loaded machine.
    exit = await runWrapper([ctx.parent, ...parentArgs(c.parent, work), '--', ...driver],
      { cwd: work, env: driverEnv(work, side === 'node' ? drop : undefined, substitute(c.parent?.env ?? {}, work)), stdio: ['ignore', log, log] }, 180_000);
    // The directories the probe's "/" could be, while this side's work directory exists.
    roots = new Map([[ctx.self.rootId, '/']]);
    for (const [rel] of Object.entries(c.setup ?? {})) {
      if (rel.endsWith('/')) roots.set(rootId(path.join(work, rel)), `<work>/${rel.slice(0, -1)}`);
    }
  } catch (err) {
    try {
      if (cgroup !== null) removeCgroupDir(cgroup);
    } catch {
      // still holds a process of the run that failed: the error below says why
    }
    throw err;
  } finally {
    fs.closeSync(log);
  }
  const logText = fs.readFileSync(logPath, 'utf8');
  let result = null;
  try {
    result = JSON.parse(fs.readFileSync(resultPath, 'utf8'));
  } catch {
    // reported below, once the cgroups are cleaned up
  }
  // A cgroup procctl made for the child ('new', { parent }) must be gone once it
  // is reaped: what is left is noted (a failure of the case) and removed.
  const leftCgroups = [];
  const driverPid = result?.pids?.driver;
  if (ctx.self.cgroup2 !== null && driverPid !== undefined) {
    for (const base of [ctx.self.cgroup2.dir, ...(cgroup === null ? [] : [cgroup])]) {
      for (const name of fs.existsSync(base) ? fs.readdirSync(base) : []) {
        if (!name.startsWith(`procctl-${driverPid}-`)) continue;
        leftCgroups.push(name);
        removeCgroupDir(path.join(base, name));
      }
    }
  }
  if (cgroup !== null) removeCgroupDir(cgroup);
  if (result === null) {
    throw new Error(`conformance: the ${side} driver wrote no result (exit ${exit.code ?? exit.signal}) for ${c.name}:\n${logText}`);
  }
  let report = null;
  for (const d of probeDirs) {
    const p = path.join(d, 'report.json');
    if (fs.existsSync(p)) report = JSON.parse(fs.readFileSync(p, 'utf8'));
  }
  const pty = /conformance-pty: (\S+) (\d+)/.exec(logText);
  return {
    side, work, result, report, log: logText, wrapperPid: exit.pid, pty: pty ? { path: pty[1], rdev: Number(pty[2]) } : null, roots, cgroup,
    leftCgroups,
  };
}

/** Removes a cgroup once its processes have exited (the kernel may take a moment to see it empty). */
function removeCgroupDir(dir) {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (err) {
      if (err.code === 'ENOENT') return;
      if (err.code !== 'EBUSY' || attempt >= 200) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** `options` without `name`, or without one key of an object option (`capabilities.bounding`). */
function withoutOption(options, name) {
  const out = { ...options };
  const [top, key] = name.split('.');
  if (key === undefined) delete out[top];
  else if (out[top] !== null && typeof out[top] === 'object') {
    out[top] = { ...out[top] };
    delete out[top][key];
  }
  return out;
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
    out.start = typeof r.errno === 'number' ? ERRNO_NAMES[r.errno] ?? `errno ${r.errno}` : r.code ?? `error: ${r.error}`;
    return out;
  }
  out.start = 'ok';
  out.exit = r.exit.signal ? `signal ${r.exit.signal}` : `code ${r.exit.code}`;
  const rep = run.report;
  if (rep === null) {
    // The driver's log is in describe()'s account, not in the compared value.
    out.report = 'missing';
    return out;
  }
  out.report = 'ok';
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
  // pid 1: the init of the host, or the probe itself in a new PID namespace.
  const pidOf = (pid) => (pid <= 1 ? String(pid) : roles.get(pid) ?? 'other');
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
  out['root.dir'] = run.roots.get(rep.root_id) ?? `other (${rep.root_id})`;
  out.exe = text(rep.exe ?? '?');
  out.argv = JSON.stringify(rep.argv.map(text));
  // The harness's own pass-through variables (both drivers hand them on alike)
  // are left out, so expected values do not depend on how the harness was run.
  out.env = JSON.stringify(rep.env.filter((e) => !PASSTHROUGH_ENV.includes(e.slice(0, e.indexOf('=')))).map(text));
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
  out['sched.policy'] = schedPolicy(rep.sched.policy);
  out['sched.priority'] = String(rep.sched.priority);
  out['sched.nice'] = String(rep.sched.nice);
  out['sched.affinity'] = st.Cpus_allowed_list;
  out['sched.ioprio'] = ioprio(rep.sched.ioprio);
  out.oom_score_adj = (rep.oom_score_adj ?? '?').trim();
  for (const [name, link] of Object.entries(rep.ns)) {
    out[`ns.${name}`] = link === null ? 'none' : link === ctx.self.ns[name] ? 'same' : 'new';
  }
  for (const key of ['uid_map', 'gid_map', 'setgroups']) {
    out[key] = rep[key] === ctx.self[key] ? 'same' : text(rep[key] ?? '?').replace(/[ \t]+/g, ' ').trim();
  }
  // In a new cgroup namespace paths are relative to its root: shown as they are.
  const cgroupNs = rep.ns.cgroup !== ctx.self.ns.cgroup;
  Object.assign(out, cgroupFields(ctx, run, rep.cgroup, cgroupNs));
  out['cgroup.parent'] = cgroupFields(ctx, run, rep.parent_cgroup, cgroupNs).cgroup;
  out.hostname = rep.hostname === ctx.self.hostname ? 'same' : String(rep.hostname);
  return out;
}

const SCHED_POLICIES = ['other', 'fifo', 'rr', 'batch', 'iso', 'idle', 'deadline'];
const SCHED_RESET_ON_FORK = 0x40000000;

function schedPolicy(raw) {
  const name = SCHED_POLICIES[raw & ~SCHED_RESET_ON_FORK] ?? String(raw);
  return raw & SCHED_RESET_ON_FORK ? `${name} reset-on-fork` : name;
}

/** ioprio_get()'s value: class << 13 | level. */
function ioprio(raw) {
  if (raw < 0) return `error ${raw}`;
  const cls = ['none', 'realtime', 'best-effort', 'idle'][raw >> 13] ?? `class ${raw >> 13}`;
  return `${cls} ${raw & 0x1fff}`;
}

/**
 * /proc/<pid>/cgroup as two fields: `cgroup`, the cgroup v2 path ('same' as the
 * harness's own unless `nsRelative`, or the path with the cgroups a run made
 * named: the case's '<case>', and procctl-<driver pid>-N for procctl's 'new'),
 * and `cgroup.v1`, the v1 lines that differ from the harness's ('same' when
 * none do).
 */
function cgroupFields(ctx, run, textIn, nsRelative) {
  if (textIn === null) return { cgroup: '?', 'cgroup.v1': '?' };
  const hierarchy = (l) => l.slice(0, l.indexOf(':', l.indexOf(':') + 1));
  const own = new Map(ctx.self.cgroup.trim().split('\n').map((l) => [hierarchy(l), l]));
  const lines = textIn.trim().split('\n');
  const v2 = lines.find((l) => l.startsWith('0::'));
  let v2Path = v2 === undefined ? 'none' : v2 === own.get('0:') && !nsRelative ? 'same' : v2.slice(3);
  if (run.cgroup !== null && ctx.self.cgroup2 !== null) {
    v2Path = v2Path.replace(`/${path.relative(ctx.self.cgroup2.mount, run.cgroup)}`, '<case>');
  }
  const driver = run.result.pids?.driver;
  if (driver !== undefined) v2Path = v2Path.replace(`procctl-${driver}-`, 'procctl-<driver>-');
  const v1 = lines.filter((l) => !l.startsWith('0::') && own.get(hierarchy(l)) !== l);
  return { cgroup: v2Path, 'cgroup.v1': v1.length === 0 ? 'same' : v1.join(' ') };
}

/** Fields whose values differ: [{ field, go, procctl }], absent fields as null. */
function compare(goFlat, nodeFlat) {
  // A side that did not start has only `start` to compare; one whose probe
  // wrote no report (it died before or at exec), how it ended.
  let keys;
  if (goFlat.start !== 'ok' || nodeFlat.start !== 'ok') keys = ['start'];
  else if (goFlat.report !== 'ok' || nodeFlat.report !== 'ok') keys = ['exit', 'report'];
  else keys = [...new Set([...Object.keys(goFlat), ...Object.keys(nodeFlat)])];
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
  const expected = expectedDiffs(c);
  const why = c.differs?.reason ?? c.procctlOnly?.reason;
  for (const d of diffs) {
    const want = expected[d.field];
    if (want === undefined) problems.push(`${d.field}: Go ${show(d.go)}, procctl ${show(d.procctl)}`);
    else if (want.go !== d.go || want.procctl !== d.procctl) {
      problems.push(`${d.field}: Go ${show(d.go)}, procctl ${show(d.procctl)}; the case expects Go ${show(want.go)}, procctl ${show(want.procctl)}`);
    }
  }
  for (const field of Object.keys(expected)) {
    if (!diffs.some((d) => d.field === field)) {
      problems.push(`${field}: expected to differ (${why}), but both are ${show(nodeFlat[field] ?? null)}`);
    }
  }
  if (c.refused !== undefined) {
    for (const [side, flat] of [['Go', goRun.flat], ['procctl', nodeFlat]]) {
      if (flat.start !== c.refused) problems.push(`start: ${side} ${show(flat.start)}, the case expects ${c.refused}`);
    }
  } else if (goRun.flat.start !== 'ok' && expected.start === undefined) {
    problems.push(`start: the Go side did not start the probe (${goRun.flat.start}): ${goRun.run.result.error ?? ''}`);
  }
  if (nodeRun.leftCgroups.length > 0) {
    problems.push(`cgroup: procctl left ${nodeRun.leftCgroups.join(', ')} behind after the child was reaped (removed by the harness)`);
  }
  // What the drivers said when a probe wrote no report (a child that died before exec says why there).
  const logs = {};
  if (goRun.flat.report === 'missing') logs.go = goRun.run.log.trim();
  if (nodeFlat.report === 'missing') logs.procctl = nodeRun.log.trim();
  const result = { go: goRun.flat, procctl: nodeFlat, diffs, problems, logs, pass: problems.length === 0 };
  if (drop === undefined) ctx.results.set(c.name, result);
  return result;
}

/** What a case expects to differ: a deliberate difference, or what a procctl-only option sets. */
function expectedDiffs(c) {
  return c.differs?.fields ?? c.procctlOnly?.fields ?? {};
}

/**
 * The harness self-test: runs `c` with the procctl driver leaving `option`
 * out (`capabilities.bounding`: one key of it). The option is applied (and
 * observable) when that run differs from Go in some field where the full run
 * did not, or, for a case that passes, when the run without it fails (a
 * deliberate or procctl-only difference that is gone). Returns { noticed,
 * dropped, base }.
 */
async function dropOption(ctx, c, option) {
  const base = await runCase(ctx, c);
  const dropped = await runCase(ctx, c, { drop: option });
  const known = new Set(base.diffs.map((d) => JSON.stringify(d)));
  const fresh = dropped.diffs.filter((d) => !known.has(JSON.stringify(d)));
  return { noticed: fresh.length > 0 || (base.pass && !dropped.pass), fresh, dropped, base };
}

/**
 * The options of a case the self-test and the sweep drop one at a time: each
 * option, and each key of `capabilities` (ambient and bounding are separate
 * steps with separate Go counterparts), less those restating a default.
 */
function droppableOptions(c) {
  const out = [];
  for (const [k, v] of Object.entries(c.options)) {
    if (c.restatesDefault?.includes(k)) continue;
    out.push(k);
    if (k === 'capabilities' && Object.keys(v).length > 1) for (const sub of Object.keys(v)) out.push(`${k}.${sub}`);
  }
  return out;
}

const show = (v) => (v === null ? '(absent)' : JSON.stringify(v));

/** A readable account of one case's run, for failures and the CLI. */
function describe(c, r) {
  const lines = [`${r.pass ? 'PASS' : 'FAIL'} ${c.name}: ${c.about}`];
  if (c.differs) lines.push(`  deliberate difference: ${c.differs.reason}`);
  if (c.procctlOnly) lines.push(`  procctl only (${c.procctlOnly.options.join(', ')} left out of the Go side): ${c.procctlOnly.reason}`);
  if (c.fix) lines.push(`  needs: ${c.fix}`);
  for (const p of r.problems) lines.push(`  - ${p}`);
  if (!r.pass) for (const [side, log] of Object.entries(r.logs ?? {})) lines.push(`  ${side} driver log: ${log || '(empty)'}`);
  if (r.pass && r.diffs.length > 0) for (const d of r.diffs) lines.push(`  ~ ${d.field}: Go ${show(d.go)}, procctl ${show(d.procctl)}`);
  return lines.join('\n');
}

/**
 * For each procctl option the cases use, the case that shows it with the fewest
 * other options, preferring cases where the child starts and procctl matches Go
 * (then refusals, procctl-only cases, deliberate differences, and last a case
 * waiting for a fix): the self-test drops the option there (dropOption).
 */
function witnesses() {
  const best = new Map();
  const rank = (c) => (c.fix ? 1000 : 0) + (c.differs ? 200 : 0) + (c.procctlOnly ? 100 : 0) + (c.refused ? 50 : 0)
    + Object.keys(c.options).length;
  for (const c of cases) {
    for (const k of droppableOptions(c)) {
      const cur = best.get(k);
      if (cur === undefined || rank(cur) > rank(c)) best.set(k, c);
    }
  }
  return [...best.entries()];
}

module.exports = {
  cases, goStatus, prepare, runSide, runCase, dropOption, droppableOptions, caseUnavailable, flatten, compare, describe, witnesses,
  withoutOption, TEST_USER,
};

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
  try {
    console.log(`# ${ctx.goVersion}, node ${process.version}, ${selected.length} case(s)${drop ? `, procctl driver drops ${drop}` : ''}`);
    const counts = { match: 0, differs: 0, procctlOnly: 0, failed: 0, skipped: 0 };
    const noticedBy = new Map();
    for (const c of selected) {
      const why = caseUnavailable(c);
      if (why !== null) {
        counts.skipped++;
        console.log(`SKIP ${c.name}: ${why}`);
        continue;
      }
      if (sweep) {
        for (const option of droppableOptions(c)) {
          const { noticed } = await dropOption(ctx, c, option);
          if (!noticedBy.has(option)) noticedBy.set(option, []);
          if (noticed) noticedBy.get(option).push(c.name);
          console.log(`${noticed ? 'noticed  ' : 'unnoticed'} ${c.name} without ${option}`);
        }
        continue;
      }
      const r = await runCase(ctx, c, { drop });
      if (!r.pass) counts.failed++;
      else if (c.differs) counts.differs++;
      else if (c.procctlOnly) counts.procctlOnly++;
      else counts.match++;
      console.log(json ? JSON.stringify({ name: c.name, ...r }) : describe(c, r));
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const time = `(${(ms / 1000).toFixed(1)} s)`;
    if (sweep) {
      const never = [...noticedBy].filter(([, by]) => by.length === 0).map(([option]) => option);
      console.log(`# ${noticedBy.size} option(s) dropped; ${never.length === 0 ? 'each noticed by some case' : `noticed by no case: ${never.join(', ')}`} ${time}`);
      return never.length === 0 ? 0 : 1;
    }
    const passed = counts.match + counts.differs + counts.procctlOnly;
    console.log(`# ${selected.length} case(s): ${passed} passed (${counts.match} match Go, ${counts.differs} deliberate differences, `
      + `${counts.procctlOnly} procctl-only), ${counts.failed} failed, ${counts.skipped} skipped ${time}`);
    return counts.failed === 0 ? 0 : 1;
  } finally {
    ctx.cleanup();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    console.error(err);
    process.exit(2);
  });
}
