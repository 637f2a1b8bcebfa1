'use strict';
/**
 * The procctl side of the conformance suite: starts the probe with procctl's
 * spawn from the same case as the Go driver, waits for it, and writes what
 * happened as JSON.
 *
 *   node driver-node.cjs SPEC.json RESULT.json
 *
 * The case's options are procctl's own, passed as written; only what JSON
 * cannot carry is resolved here: `Infinity` (sent as "Infinity"), "$name"
 * (a fixture's pid), stdio entries {file, flags} (opened here, the fd
 * passed) and {fd: N} (the inherited fd N), and `cgroup: {file, flags:
 * 'directory'}` (a cgroup directory opened here, its fd passed).
 *
 * PROCCTL_CONFORMANCE_DROP=name (the harness self-test) deletes that option
 * (`capabilities.bounding`: that key of it) before the spawn: the suite must
 * then see the difference. The variable is removed from this process's
 * environment first so the probe never sees it.
 */
const fs = require('node:fs');

const drop = process.env.PROCCTL_CONFORMANCE_DROP;
delete process.env.PROCCTL_CONFORMANCE_DROP;

// The package entry of the checkout this file lives in (npm test builds dist/).
const procctl = require('../../dist/index.js');
const { withoutOption } = require('./harness.cjs');

/** rlimits: JSON has no Infinity; the harness sends the string. */
function reviveRlimits(rlimits) {
  const one = (v) => (v === 'Infinity' ? Infinity : v);
  return Object.fromEntries(Object.entries(rlimits).map(([k, v]) => [k, Array.isArray(v) ? v.map(one) : one(v)]));
}

/** "$name": the pid of a fixture this driver started. */
function fixtureArg(value, pids) {
  if (typeof value === 'string' && value.startsWith('$') && pids[value.slice(1)] !== undefined) return pids[value.slice(1)];
  return value;
}

const openFlags = { r: 'r', 'r+': 'r+', w: 'w', a: 'a', directory: fs.constants.O_RDONLY | fs.constants.O_DIRECTORY };

function startFixtures(fixtures, pids) {
  const started = [];
  for (const [name, kind] of Object.entries(fixtures ?? {})) {
    const session = kind === 'session' ? { setsid: true } : { processGroup: 0 };
    const child = procctl.spawn('/bin/sleep', ['1000'], { ...session, parentDeathSignal: 'SIGKILL', stdio: 'ignore' });
    pids[name] = child.pid;
    started.push(child);
  }
  return started;
}

async function main() {
  const [specPath, resultPath] = process.argv.slice(2);
  const spec = JSON.parse(fs.readFileSync(specPath, 'utf8'));
  const res = { started: false, pids: { driver: process.pid } };
  const fixtures = startFixtures(spec.fixtures, res.pids);
  const opened = [];
  try {
    let options = { ...spec.options };
    if (options.rlimits) options.rlimits = reviveRlimits(options.rlimits);
    if ('processGroup' in options) options.processGroup = fixtureArg(options.processGroup, res.pids);
    if (Array.isArray(options.stdio)) {
      options.stdio = options.stdio.map((e) => {
        if (e === null || typeof e !== 'object') return e;
        if ('fd' in e) return e.fd;
        const fd = fs.openSync(e.file, openFlags[e.flags]);
        opened.push(fd);
        return fd;
      });
    }
    if (options.cgroup !== null && typeof options.cgroup === 'object' && 'file' in options.cgroup) {
      const fd = fs.openSync(options.cgroup.file, openFlags[options.cgroup.flags]);
      opened.push(fd);
      options.cgroup = fd;
    }
    if (drop !== undefined) options = withoutOption(options, drop);
    let child;
    try {
      child = procctl.spawn(spec.file, spec.args ?? [], options);
    } catch (err) {
      res.error = `${err.code ?? err.name}: ${err.message}`;
      if (typeof err.errno === 'number') res.errno = -err.errno;
      else res.code = err.code;
      return res;
    }
    res.started = true;
    res.pids.probe = child.pid;
    const st = await child.exited;
    for (const s of child.stdio) s?.destroy();
    res.exit = { code: st.exitCode ?? 0 };
    if (st.signal) res.exit.signal = st.signal;
    return res;
  } finally {
    for (const fd of opened) fs.closeSync(fd);
    for (const f of fixtures) {
      f.kill('SIGKILL');
      await f.exited;
    }
  }
}

main().then(
  (res) => fs.writeFileSync(process.argv[3], JSON.stringify(res)),
  (err) => {
    process.stderr.write(`driver-node: ${err.stack}\n`);
    process.exit(2);
  },
);
