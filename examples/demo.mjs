#!/usr/bin/env node
// A tour of procctl's direct calls, each printing what it did.
// Run: npx procctl init -s -- node examples/demo.mjs   (or: node examples/demo.mjs)
import { execFileSync } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  supported, getsid, getpgid, setpgid, setProcessName, getProcessName,
  setChildSubreaper, isChildSubreaper, setParentDeathSignal, getParentDeathSignal,
  getNoNewPrivs, wait4, reapZombies, isInheritable, setInheritable, isBlocking,
  SystemError, spawn, run, execvp,
} from 'procctl';

const say = (label, value) => console.log(`${label.padEnd(34)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);

say('platform', supported.platform);
say('supported', Object.entries(supported).filter(([, v]) => v === true).map(([k]) => k).join(' '));
say('pid / sid / pgid', `${process.pid} / ${getsid()} / ${getpgid()}`);

if (supported.setpgid) {
  if (getsid() === process.pid) {
    // Under `procctl init` the demo leads its own session: a session leader
    // cannot change its process group, and the kernel says so.
    try {
      setpgid(0, 0);
    } catch (err) {
      say('setpgid(0, 0) as session leader', err.message);
    }
  } else {
    setpgid(0, 0);
    say('setpgid(0, 0) -> pgid', getpgid());
  }
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

if (supported.spawn) {
  // _exit skips exit handlers: shown in a child so the demo can go on.
  const exitDemo = await run(process.execPath, ['-e',
    "process.on('exit', () => console.log('handler ran')); require(process.argv[1])._exit(7)",
    createRequire(import.meta.url).resolve('procctl')]);
  say('child _exit(7): status / stdout', `${exitDemo.status.exitCode} / ${JSON.stringify(exitDemo.stdout)}`);

  if (process.getuid?.() === 0) {
    const id = await run('id', [], { user: 'nobody' });
    say("run('id', { user: 'nobody' })", id.stdout.trim());
  } else {
    say("run('id', { user: 'nobody' })", `left out: switching to another user needs root (this is uid ${process.getuid?.()})`);
  }
  const child = spawn('sleep', ['30'], { setsid: true, parentDeathSignal: 'SIGKILL', stdio: ['ignore', 'ignore', 'ignore'] });
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const [, , , session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  say('spawn sleep { setsid } -> sid', `${session} (pid ${child.pid})`);
  child.kill('SIGTERM');
  const st = await child.exited;
  say('kill(SIGTERM) -> exited', { signal: st.signal, shellCode: st.shellCode });
}

// The end: replace this Node process in place. Same pid; SIGPIPE no longer ignored.
say('execvp(sh) from pid', process.pid);
execvp('sh', ['-c', 'echo "sh now runs as pid $$; $(grep SigIgn /proc/self/status)"']);
