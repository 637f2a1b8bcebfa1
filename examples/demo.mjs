#!/usr/bin/env node
// A tour of procctl's direct calls, each printing what it did.
// Run: npm run demo   (or: node examples/demo.mjs)
import { execFileSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import {
  supported, getsid, getpgid, setpgid, setProcessName, getProcessName,
  setChildSubreaper, isChildSubreaper, setParentDeathSignal, getParentDeathSignal,
  getNoNewPrivs, wait4, reapZombies, isInheritable, setInheritable, isBlocking,
  SystemError, flushStdio, _exit,
} from 'procctl';

const say = (label, value) => console.log(`${label.padEnd(34)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);

say('platform', supported.platform);
say('supported', Object.entries(supported).filter(([, v]) => v === true).map(([k]) => k).join(' '));
say('pid / sid / pgid', `${process.pid} / ${getsid()} / ${getpgid()}`);

if (supported.setpgid) {
  setpgid(0, 0);
  say('setpgid(0, 0) -> pgid', getpgid());
}

if (supported.processName) {
  setProcessName('procctl-demo');
  say('setProcessName -> /proc/self/comm', readFileSync('/proc/self/comm', 'utf8').trim());
  say('getProcessName()', getProcessName());
}

if (supported.parentDeathSignal) {
  setParentDeathSignal('SIGTERM');
  say('parent-death signal armed', getParentDeathSignal());
  setParentDeathSignal(0);
  say('no-new-privs', getNoNewPrivs());
}

if (supported.childSubreaper) {
  setChildSubreaper(true);
  say('child subreaper', isChildSubreaper());
  // sh starts a background child and exits at once: the orphan is re-parented to us.
  const orphan = Number(execFileSync('sh', ['-c', '(sleep 0.2; exit 42) >/dev/null 2>&1 & echo $!']).toString());
  const st = wait4(orphan, { nohang: false });
  say('adopted orphan reaped', { pid: st.pid, exitCode: st.exitCode, shellCode: st.shellCode });
  say('reapZombies() (none left)', reapZombies());
}

if (supported.fdFlags) {
  const fd = openSync(new URL(import.meta.url), 'r');
  say(`fd ${fd}: inheritable / blocking`, `${isInheritable(fd)} / ${isBlocking(fd)}`);
  setInheritable(fd, true);
  say(`fd ${fd} after setInheritable(true)`, isInheritable(fd));
}

try {
  wait4(-1);
} catch (err) {
  say('wait4() with no children', `${err instanceof SystemError ? 'SystemError' : 'Error'} ${err.message}`);
}

process.on('exit', () => console.log('(this exit handler never runs: _exit skips it)'));
say('_exit(0)', 'flushing stdout, then exiting without exit handlers');
await flushStdio();
_exit(0);
