import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT, alive, ptyCommand, run, waitFor } from './helpers';

const BIN = path.join(ROOT, 'bin', 'procctl.js');
// --kill-child: if a test times out and kills unshare, the namespace's PID 1 (and
// with it every process in the namespace) dies too instead of lingering.
const PID1 = ['--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, BIN, 'init'];

/** `unshare --pid --fork --mount-proc node bin/procctl.js init <args>`: init is PID 1. */
function asPid1(args: string[], opts = {}) {
  return run('unshare', [...PID1, ...args], opts);
}

/** Starts init as PID 1 and returns init's pid as seen from here, plus its output. */
async function startPid1(args: string[]) {
  const child = spawn('unshare', [...PID1, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const initPid = await waitFor(() => {
    try {
      return Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]) || 0;
    } catch {
      return 0;
    }
  }, 10_000, 'init to start');
  return { child, out, exited, initPid };
}

const lines = (s: string, line: string) => s.split('\n').filter((l) => l === line).length;

describe('procctl init as PID 1 (unshare --pid --fork --mount-proc)', () => {
  it('reaps 100 orphaned grandchildren: no Z left in ps', async () => {
    const script = [
      // perl never reaps by itself, so all 100 children become init's orphans
      `perl -e 'for (1..100) { fork or do { select(undef, undef, undef, 0.05); exit 3 } }'`,
      'sleep 0.6',
      'echo "zombies=$(ps -eo stat= | grep -c ^Z)"',
      'echo "procs=$(ps -eo pid= | wc -l)"',
      'echo "pid1=$(ps -o comm= -p 1)"',
    ].join('; ');
    const r = await asPid1(['-v', '--', 'sh', '-c', script]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('zombies=0');
    expect(r.stdout).toContain('pid1=node');
    // init, sh, ps (and the $(...) subshell): the 100 orphans are gone
    expect(Number(/procs=(\d+)/.exec(r.stdout)![1])).toBeLessThanOrEqual(5);
    expect(r.stderr.match(/reaped orphan \d+ \(status 3\)/g)).toHaveLength(100);
    expect(r.stderr).not.toContain('warning');
  });

  it('passes exit codes 0..255 through', async () => {
    const codes = Array.from({ length: 256 }, (_, i) => i);
    const got: number[] = new Array(256).fill(-1);
    let next = 0;
    const worker = async () => {
      while (next < codes.length) {
        const c = codes[next++]!;
        got[c] = (await asPid1(['--', 'sh', '-c', `exit ${c}`])).code ?? -1;
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(got).toEqual(codes);
  }, 120_000);

  it('forwards SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGSEGV sent to init; 128+n on a signal death', async () => {
    const traps = ['TERM', 'HUP', 'QUIT', 'USR1', 'USR2', 'SEGV'].map((s) => `trap 'echo got ${s}' ${s};`).join(' ');
    const init = await startPid1(['--', 'bash', '-c', `${traps} echo ready; while :; do sleep 0.02; done`]);
    await waitFor(() => init.out.stdout.includes('ready'), 10_000, 'ready');
    for (const s of ['TERM', 'HUP', 'QUIT', 'USR1', 'USR2', 'SEGV']) {
      process.kill(init.initPid, `SIG${s}` as NodeJS.Signals);
      await waitFor(() => lines(init.out.stdout, `got ${s}`) === 1, 5000, `got ${s}`);
    }
    // SIGALRM is not trapped: bash dies of it, and init exits 128 + 14.
    process.kill(init.initPid, 'SIGALRM');
    expect(await init.exited).toBe(142);
  });

  it('exits 128+n when the child dies of signal n', async () => {
    expect((await asPid1(['--', 'sh', '-c', 'kill -KILL $$'])).code).toBe(137);
    expect((await asPid1(['--', 'sh', '-c', 'kill -SEGV $$'])).code).toBe(139);
    expect((await asPid1(['--', 'sh', '-c', 'kill -TERM $$'])).code).toBe(143);
  });

  it('remaps exit codes with -e (repeatable)', async () => {
    expect((await asPid1(['-e', '143', '--', 'sh', '-c', 'kill -TERM $$'])).code).toBe(0);
    expect((await asPid1(['-e', '3', '--remap-exit=4', '--', 'sh', '-c', 'exit 4'])).code).toBe(0);
    expect((await asPid1(['-e', '3', '--', 'sh', '-c', 'exit 5'])).code).toBe(5);
  });

  it('rewrites signals with -r S:R, and drops them with R = 0', async () => {
    const traps = ['TERM', 'HUP', 'USR1', 'USR2'].map((s) => `trap 'echo got ${s}' ${s};`).join(' ');
    const init = await startPid1(['-r', 'TERM:USR1', '--rewrite', 'SIGHUP:0', '--', 'bash', '-c', `${traps} echo ready; while :; do sleep 0.02; done`]);
    await waitFor(() => init.out.stdout.includes('ready'), 10_000, 'ready');
    process.kill(init.initPid, 'SIGTERM');
    await waitFor(() => init.out.stdout.includes('got USR1'), 5000, 'TERM as USR1');
    process.kill(init.initPid, 'SIGHUP');
    process.kill(init.initPid, 'SIGUSR2');
    await waitFor(() => init.out.stdout.includes('got USR2'), 5000, 'USR2');
    expect(init.out.stdout).not.toContain('got TERM');
    expect(init.out.stdout).not.toContain('got HUP');
    process.kill(init.initPid, 'SIGALRM');
    expect(await init.exited).toBe(142);
  });

  it('exits 127 for a missing command and 126 for a non-executable one, with one line naming it', async () => {
    const missing = await asPid1(['--', '/no/such/cmd']);
    expect(missing.code).toBe(127);
    expect(missing.stderr.trim().split('\n')).toEqual(["procctl init: cannot run '/no/such/cmd': no such file or directory"]);
    const dir = mkdtempSync(path.join(tmpdir(), 'procctl-noexec-'));
    const file = path.join(dir, 'script');
    writeFileSync(file, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    try {
      const notExec = await asPid1(['--', file]);
      expect(notExec.code).toBe(126);
      expect(notExec.stderr.trim().split('\n')).toEqual([`procctl init: cannot run '${file}': permission denied`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await asPid1(['--', 'no-such-command-anywhere'])).code).toBe(127);
  });
});

describe('procctl init (not PID 1)', () => {
  it('warns when it is neither PID 1 nor a subreaper, and not with -s', async () => {
    const plain = await run(process.execPath, [BIN, 'init', '--', 'true']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/^procctl init: warning: not PID 1 and not a child subreaper/);
    const sub = await run(process.execPath, [BIN, 'init', '-s', '--', 'sh', '-c', 'grep -E "^(NSpid|PPid)" /proc/self/status >/dev/null']);
    expect(sub.code).toBe(0);
    expect(sub.stderr).toBe('');
  });

  it('runs the child in its own session by default, in init\'s with --single-child', async () => {
    const own = await run(process.execPath, [BIN, 'init', '-s', '--', 'sh', '-c', 'cut -d" " -f6 /proc/$$/stat; echo $$']);
    const [sid, pid] = own.stdout.trim().split('\n');
    expect(sid).toBe(pid);
    expect(own.stderr).toBe('');
    const same = await run(process.execPath, [BIN, 'init', '-s', '--single-child', '--', 'sh', '-c', 'cut -d" " -f6 /proc/$$/stat; cut -d" " -f6 /proc/$PPID/stat']);
    const [childSid, initSid] = same.stdout.trim().split('\n');
    expect(childSid).toBe(initSid);
    expect(same.stderr).toBe('');
  });

  it('sends SIGTERM to the rest of the group when the main child exits', async () => {
    const r = await run(process.execPath, [BIN, 'init', '-s', '--', 'sh', '-c', 'sleep 30 & echo $!']);
    expect(r.code).toBe(0);
    const sleeper = Number(r.stdout.trim());
    await waitFor(() => !alive(sleeper), 5000, 'the sleep to be gone');
  });

  it('job control: SIGTSTP stops the group and init; SIGCONT resumes both', async () => {
    // exec sleep: a shell loop could be caught in vfork (state D) by the SIGSTOP
    const child = spawn(process.execPath, [BIN, 'init', '-s', '-v', '--', 'sh', '-c', 'echo $$; exec sleep 30'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const shPid = Number(await waitFor(() => out.trim(), 10_000, 'child pid'));
    const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0];
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.kill('SIGTSTP');
    await waitFor(() => state(shPid) === 'T' && state(child.pid!) === 'T', 5000, 'both stopped').catch((e) => {
      throw new Error(`${e.message}: child ${state(shPid)} init ${state(child.pid!)} ${err}`);
    });
    child.kill('SIGCONT');
    await waitFor(() => state(shPid) !== 'T' && state(child.pid!) !== 'T', 5000, 'both running');
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
  });

  it('-p SIG: init gets SIG when its parent dies, and forwards it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'procctl-pdeath-'));
    const file = path.join(dir, 'log');
    try {
      const inner = `trap 'echo got USR2 >> ${file}; exit 0' USR2; echo ready >> ${file}; while :; do sleep 0.02; done`;
      const parent = spawn('sh', ['-c', `${process.execPath} ${BIN} init -s -p USR2 -- bash -c "${inner}" & wait`], { stdio: 'ignore' });
      await waitFor(() => { try { return readFileSync(file, 'utf8').includes('ready'); } catch { return false; } }, 10_000, 'ready');
      parent.kill('SIGKILL');
      await waitFor(() => readFileSync(file, 'utf8').includes('got USR2'), 5000, 'forwarded pdeathsig');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

});

// Under `script` (a real pty). `exec node ...` makes init the leader of the
// terminal's session (as in `docker run -t`); `node ...; :` leaves the shell as
// the leader (init started from an interactive shell).
describe('procctl init with a controlling terminal', () => {
  // bash builtins only (read, echo), so the fields are bash's own while it is the foreground.
  const REPORT = 'read -r -a f < /proc/$$/stat; echo "pid=${f[0]} pgrp=${f[4]} sid=${f[5]} tty=${f[6]} tpgid=${f[7]}"';
  const fields = (out: string) => {
    const m = /pid=(\d+) pgrp=(\d+) sid=(\d+) tty=(\d+) tpgid=(-?\d+)/.exec(out);
    expect(m, out).not.toBeNull();
    const [pid, pgrp, sid, tty, tpgid] = m!.slice(1).map(Number);
    return { pid: pid!, pgrp: pgrp!, sid: sid!, tty: tty!, tpgid: tpgid! };
  };
  const underPty = (cmd: string, opts: { asNobody?: boolean } = {}) => run(...ptyCommand(cmd, opts));
  const inner = `trap "echo got-HUP" HUP; ${REPORT}; sleep 0.2 & fg %1 && echo fg-ok; exit 7`;

  for (const asNobody of [false, true]) {
    it(`init leading the terminal's session${asNobody ? ' (as nobody)' : ''}: the child leads its own session and owns the terminal; bash -m job control; no SIGHUP; status passes through`, async () => {
      const r = await underPty(`exec ${process.execPath} ${BIN} init -v -- bash -mc '${inner}'`, { asNobody });
      expect(r.code).toBe(7);
      const f = fields(r.stdout);
      expect(f.sid).toBe(f.pid);     // its own session...
      expect(f.pgrp).toBe(f.pid);
      expect(f.tty).not.toBe(0);     // ...with the terminal as its controlling terminal
      expect(f.tpgid).toBe(f.pgrp);  // and in the foreground
      expect(r.stdout).toContain(`started bash as pid ${f.pid} (new session owning the terminal)`);
      expect(r.stdout).toContain('fg-ok');
      expect(r.stdout).not.toContain('no job control');
      // init let go of the terminal: the kernel's SIGHUP/SIGCONT to its group were
      // discarded, not forwarded (the child traps HUP) and not fatal to init.
      expect(r.stdout).not.toContain('got-HUP');
      expect(r.stdout).not.toMatch(/received SIG(HUP|CONT)/);
      expect(r.stdout).toContain(`child ${f.pid} ended with status 7`);
    });
  }

  it('a terminal the child cannot take (fd 0 write-only, as nobody): a warning, and its own session without one', async () => {
    const r = await underPty(`exec ${process.execPath} ${BIN} init -- bash -c '${REPORT}' 0>/dev/tty`, { asNobody: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('procctl init: warning: the command cannot own the terminal (operation not permitted); running it without one');
    const f = fields(r.stdout);
    expect(f.sid).toBe(f.pid);
    expect(f.tty).toBe(0);
  });

  it('^Z typed at the terminal stops the child\'s foreground job, not init', async () => {
    const [file, args, opts] = ptyCommand(`exec ${process.execPath} ${BIN} init -v -- bash -mc 'sleep 5 & echo "ready $!"; fg %1; echo after=$?; exit 3'`);
    const child = spawn(file, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const sleepPid = Number(await waitFor(() => /ready (\d+)/.exec(out)?.[1], 10_000, 'ready'));
    // type ^Z once `fg` has made the sleep's group the terminal's foreground
    await waitFor(() => {
      const f = readFileSync(`/proc/${sleepPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return f[5] === f[2];  // tpgid === pgrp
    }, 5000, 'sleep in the foreground');
    child.stdin.write('\x1a');
    expect(await exited).toBe(3);
    expect(out).toMatch(/Stopped\s+sleep 5/);
    expect(out).toContain('after=148');  // 128 + SIGTSTP: the job stopped, bash went on
    expect(out).not.toMatch(/received SIG/);  // nothing reached init
  });

  it('init started from a shell: the child gets a new group in init\'s session and the foreground; the shell keeps its terminal', async () => {
    const r = await underPty(`${process.execPath} ${BIN} init -v -- bash -mc '${REPORT}; sleep 0.2 & fg %1 && echo fg-ok'; echo "code=$?"; read -r -a s < /proc/$$/stat; echo "shell sid=\${s[5]} tty=\${s[6]} tpgid=\${s[7]} pgrp=\${s[4]}"`);
    expect(r.code).toBe(0);
    const f = fields(r.stdout);
    const shell = /shell sid=(\d+) tty=(\d+) tpgid=(-?\d+) pgrp=(\d+)/.exec(r.stdout)!.slice(1).map(Number);
    expect(f.sid).toBe(shell[0]);   // the shell's session: not taken away from it
    expect(f.pgrp).toBe(f.pid);
    expect(f.tpgid).toBe(f.pgrp);
    expect(r.stdout).toContain('(new process group, terminal foreground)');
    expect(r.stdout).toContain('fg-ok');
    expect(r.stdout).toContain('code=0');
    expect(shell[1]).toBe(f.tty);   // the shell still has its terminal afterwards
    expect(shell[2]).toBe(shell[3]); // and is its foreground again
  });

  it('--single-child keeps the child in init\'s session and group', async () => {
    const r = await underPty(`exec ${process.execPath} ${BIN} init --single-child -- bash -c '${REPORT}; echo init-pid=$PPID'`);
    expect(r.code).toBe(0);
    const f = fields(r.stdout);
    const initPid = Number(/init-pid=(\d+)/.exec(r.stdout)![1]);
    expect(f.sid).toBe(initPid);
    expect(f.pgrp).toBe(initPid);
    expect(f.tty).not.toBe(0);
  });
});

describe('procctl CLI basics', () => {
  it('--help, --version, usage errors on stderr with status 2', async () => {
    const help = await run(process.execPath, [BIN, 'init', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: procctl init');
    const top = await run(process.execPath, [BIN, '--help']);
    expect(top.stdout).toContain('Commands:');
    const version = await run(process.execPath, [BIN, '--version']);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(version.stdout.trim()).toBe(`procctl ${pkg.version}`);
    for (const flag of ['--version', '-V']) {
      const sub = await run(process.execPath, [BIN, 'init', flag]);
      expect(sub.code).toBe(0);
      expect(sub.stdout.trim()).toBe(`procctl ${pkg.version}`);
    }
    const bad = await run(process.execPath, [BIN, 'init', '--bogus', '--', 'true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("procctl init: unknown option '--bogus'");
    const none = await run(process.execPath, [BIN, 'init']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no command given');
    const badRemap = await run(process.execPath, [BIN, 'init', '-e', '300', '--', 'true']);
    expect(badRemap.code).toBe(2);
    const badRewrite = await run(process.execPath, [BIN, 'init', '-r', 'TERM', '--', 'true']);
    expect(badRewrite.code).toBe(2);
    const unknown = await run(process.execPath, [BIN, 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    // `--` ends options: what follows goes to the command untouched.
    const dashes = await run(process.execPath, [BIN, 'init', '-s', '--', 'sh', '-c', 'echo "$@"', 'x', '--help', '-e']);
    expect(dashes.stdout.trim()).toBe('--help -e');
  });
});
