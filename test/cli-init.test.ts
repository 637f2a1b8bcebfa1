/**
 * procctl init, run both ways it can be started: `procctl init ...` (Node, which
 * execs into the native init) and the native init by its own path
 * (`procctl-init ...`). Every behaviour is asserted from outside: exit status,
 * output, and /proc of init and its child.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT, alive, procStat, ptyCommand, run, waitFor, type RunOptions } from './helpers';

const BIN = path.join(ROOT, 'bin', 'procctl.js');
const { nativeInitPath } = createRequire(__filename)('../dist/index.js') as { nativeInitPath(): string | null };
const NATIVE = nativeInitPath();
const PKG_VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Way {
  label: string;
  /** How init names itself in messages. */
  name: string;
  argv: string[];
  /** The native init by path sees what its launcher gave; through Node that is reset. */
  byPath: boolean;
}

const WAYS: Way[] = [
  { label: 'procctl init (through Node)', name: 'procctl init', argv: [process.execPath, BIN, 'init'], byPath: false },
  { label: 'procctl-init (the native init by its path)', name: 'procctl-init', argv: [NATIVE ?? 'procctl-init-is-missing'], byPath: true },
];

// --kill-child: if a test times out and kills unshare, the namespace's PID 1 (and
// with it every process in the namespace) dies too instead of lingering.
const UNSHARE = ['--pid', '--fork', '--kill-child', '--mount-proc'];

const q = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const lines = (s: string, line: string): number => s.split('\n').filter((l) => l === line).length;
const state = (pid: number): string => {
  try {
    return procStat(pid)[3]!;
  } catch {
    return 'gone';
  }
};

/** SIGKILLs `pid` and everything below it (init's child leads a session of its own). */
function killTree(pid: number): void {
  const kids: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      kids.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    }
  } catch {
    // gone
  }
  try {
    process.kill(pid, 'SIGSTOP'); // no new children while we walk
  } catch {
    return;
  }
  for (const k of kids) killTree(k);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

// Processes a failed test would otherwise leave running (the loops below are
// bounded too).
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) killTree(pid);
});

/** A long-running process with its output collected as it comes. */
function start(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: 'pipe' | 'ignore' } = {}) {
  const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  started.push(child.pid!);
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code, sig) => r(code ?? (sig ? -1 : null))));
  return { child, out, exited };
}

/** The first child of `pid` (init's pid when unshare --fork started it). */
async function firstChild(pid: number): Promise<number> {
  return waitFor(() => {
    try {
      return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]) || 0;
    } catch {
      return 0;
    }
  }, 10_000, 'init to start');
}

describe.each(WAYS)('$label', (way) => {
  const init = (args: string[], opts: RunOptions = {}) => run(way.argv[0]!, [...way.argv.slice(1), ...args], opts);
  const asPid1 = (args: string[], opts: RunOptions = {}) => run('unshare', [...UNSHARE, ...way.argv, ...args], opts);
  const initLine = [...way.argv.map(q)].join(' ');

  /** Starts init as PID 1 and returns init's pid as seen from here, plus its output. */
  async function startPid1(args: string[]) {
    const s = start('unshare', [...UNSHARE, ...way.argv, ...args]);
    return { ...s, initPid: await firstChild(s.child.pid!) };
  }

  it('the native init executable exists', () => {
    expect(NATIVE, 'nativeInitPath() found no procctl-init: npm ci builds it').not.toBeNull();
  });

  describe('as PID 1 (unshare --pid --fork --mount-proc)', () => {
    it('reaps 100 orphaned grandchildren: no Z left in ps; ps names PID 1 procctl-init', async () => {
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
      expect(r.stdout).toContain('pid1=procctl-init');
      // init, sh, ps (and the $(...) subshell): the 100 orphans are gone
      expect(Number(/procs=(\d+)/.exec(r.stdout)![1])).toBeLessThanOrEqual(5);
      expect(r.stderr.match(/reaped orphan \d+ \(status 3\)/g)).toHaveLength(100);
      expect(r.stderr).not.toContain('warning');
    });

    it('passes exit codes 0..255 through', async () => {
      const got: number[] = new Array(256).fill(-1);
      let next = 0;
      const worker = async () => {
        while (next < 256) {
          const c = next++;
          got[c] = (await asPid1(['--', 'sh', '-c', `exit ${c}`])).code ?? -1;
        }
      };
      await Promise.all(Array.from({ length: 6 }, worker));
      expect(got).toEqual(Array.from({ length: 256 }, (_, i) => i));
    }, 300_000);

    it('forwards SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGSEGV sent to init; 128+n on a signal death', async () => {
      const traps = ['TERM', 'HUP', 'QUIT', 'USR1', 'USR2', 'SEGV'].map((s) => `trap 'echo got ${s}' ${s};`).join(' ');
      const init = await startPid1(['--', 'bash', '-c', `${traps} echo ready; for ((i = 0; i < 1500; i++)); do sleep 0.02; done`]);
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
      expect((await asPid1(['-e3', '--', 'sh', '-c', 'exit 5'])).code).toBe(5);
    });

    it('rewrites signals with -r S:R (names or numbers), and drops them with R = 0', async () => {
      const traps = ['TERM', 'HUP', 'USR1', 'USR2', 'QUIT'].map((s) => `trap 'echo got ${s}' ${s};`).join(' ');
      const init = await startPid1(['-r', 'TERM:USR1', '--rewrite', 'SIGHUP:0', '-r', '12:3', '--', 'bash', '-c', `${traps} echo ready; for ((i = 0; i < 1500; i++)); do sleep 0.02; done`]);
      await waitFor(() => init.out.stdout.includes('ready'), 10_000, 'ready');
      process.kill(init.initPid, 'SIGTERM');
      await waitFor(() => init.out.stdout.includes('got USR1'), 5000, 'TERM as USR1');
      process.kill(init.initPid, 'SIGUSR2');
      await waitFor(() => init.out.stdout.includes('got QUIT'), 5000, 'USR2 (12) as QUIT (3)');
      process.kill(init.initPid, 'SIGHUP');
      process.kill(init.initPid, 'SIGUSR1');
      await waitFor(() => lines(init.out.stdout, 'got USR1') === 2, 5000, 'USR1');
      expect(init.out.stdout).not.toContain('got TERM');
      expect(init.out.stdout).not.toContain('got HUP');
      expect(init.out.stdout).not.toContain('got USR2');
      process.kill(init.initPid, 'SIGALRM');
      expect(await init.exited).toBe(142);
    });

    it('exits 127 for a missing command and 126 for a non-executable one, with one line naming it', async () => {
      const missing = await asPid1(['--', '/no/such/cmd']);
      expect(missing.code).toBe(127);
      expect(missing.stderr.trim().split('\n')).toEqual([`${way.name}: cannot run '/no/such/cmd': No such file or directory`]);
      const dir = mkdtempSync(path.join(tmpdir(), 'procctl-noexec-'));
      const file = path.join(dir, 'script');
      writeFileSync(file, '#!/bin/sh\necho hi\n', { mode: 0o644 });
      try {
        const notExec = await asPid1(['--', file]);
        expect(notExec.code).toBe(126);
        expect(notExec.stderr.trim().split('\n')).toEqual([`${way.name}: cannot run '${file}': Permission denied`]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect((await asPid1(['--', 'no-such-command-anywhere'])).code).toBe(127);
    });
  });

  describe('not PID 1', () => {
    it('warns about orphans only where they are at stake, or with -v; on stderr, never on stdout', async () => {
      // On the host, orphans go to the system's init: nothing said without -v.
      const plain = await init(['--', 'echo', 'out']);
      expect(plain).toMatchObject({ code: 0, stdout: 'out\n', stderr: '' });
      const verbose = await init(['-v', '--', 'echo', 'out']);
      expect(verbose.stdout).toBe('out\n');
      expect(verbose.stderr).toMatch(new RegExp(`^${way.name}: warning: not PID 1 and not a child subreaper, so orphans are not re-parented here and cannot be reaped \\(use -s\\)\n`));
      const sub = await init(['-s', '-v', '--', 'true']);
      expect(sub.code).toBe(0);
      expect(sub.stderr).not.toContain('warning');
      // In a PID namespace whose PID 1 is not an init (here sh; npm under npx),
      // nobody reaps the orphans: said without -v.
      const underSh = await run('unshare', [...UNSHARE, 'sh', '-c', `${initLine} -- echo out; true`]);
      expect(underSh.stdout).toBe('out\n');
      expect(underSh.stderr).toBe(`${way.name}: warning: not PID 1 and not a child subreaper, and this PID namespace's PID 1 is not an init, so orphans are not reaped (use -s, or make init the container's entrypoint itself: not through npx or sh -c)\n`);
      // Under an init (here procctl-init itself as PID 1): nothing to say.
      const underInit = await run('unshare', [...UNSHARE, NATIVE!, '--', 'sh', '-c', `${initLine} -- echo out; true`]);
      expect(underInit).toMatchObject({ code: 0, stdout: 'out\n', stderr: '' });
    });

    it("runs the child in its own session by default, in init's with --single-child", async () => {
      const own = await init(['-s', '--', 'sh', '-c', 'cut -d" " -f6 /proc/$$/stat; echo $$']);
      const [sid, pid] = own.stdout.trim().split('\n');
      expect(sid).toBe(pid);
      expect(own.stderr).toBe('');
      const same = await init(['-s', '--single-child', '--', 'sh', '-c', 'cut -d" " -f6 /proc/$$/stat; cut -d" " -f6 /proc/$PPID/stat']);
      const [childSid, initSid] = same.stdout.trim().split('\n');
      expect(childSid).toBe(initSid);
      expect(same.stderr).toBe('');
    });

    it('moves itself to / and starts the child in the directory it was started in', async () => {
      const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'procctl-cwd-')));
      try {
        for (const mode of [[], ['-c']]) {
          const r = await init([...mode, '--', 'sh', '-c', 'readlink /proc/$PPID/cwd; readlink /proc/$$/cwd'], { cwd: dir });
          expect(r.stdout).toBe(`/\n${dir}\n`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('sends SIGTERM to the rest of the group when the main child exits', async () => {
      const r = await init(['-s', '--', 'sh', '-c', 'sleep 30 & echo $!']);
      expect(r.code).toBe(0);
      const sleeper = Number(r.stdout.trim());
      await waitFor(() => !alive(sleeper), 5000, 'the sleep to be gone');
    });

    it('job control: SIGTSTP stops the group and init; SIGCONT resumes both', async () => {
      // exec sleep: a shell loop could be caught in vfork (state D) by the SIGSTOP
      const s = start(way.argv[0]!, [...way.argv.slice(1), '-s', '-v', '--', 'sh', '-c', 'echo $$; exec sleep 30']);
      const shPid = Number(await waitFor(() => s.out.stdout.trim(), 10_000, 'child pid'));
      s.child.kill('SIGTSTP');
      const logged = `received SIGTSTP, forwarded SIGSTOP to process group ${shPid}`;
      await waitFor(() => state(shPid) === 'T' && state(s.child.pid!) === 'T' && s.out.stderr.includes(logged), 5000, 'both stopped').catch((e: Error) => {
        throw new Error(`${e.message}: child ${state(shPid)} init ${state(s.child.pid!)} ${s.out.stderr}`);
      });
      s.child.kill('SIGCONT');
      await waitFor(() => state(shPid) !== 'T' && state(s.child.pid!) !== 'T', 5000, 'both running');
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(143);
    });

    const TRAPS = (sigs: string[]) => `${sigs.map((x) => `trap "echo got-${x}" ${x};`).join(' ')} echo ready; for ((i = 0; i < 600; i++)); do sleep 0.05; done`;

    it('job control with --single-child: SIGTSTP is forwarded to the child as it is, and init stops itself', async () => {
      const s = start(way.argv[0]!, [...way.argv.slice(1), '-s', '-c', '-v', '--', 'bash', '-c', TRAPS(['TSTP', 'CONT'])]);
      await waitFor(() => s.out.stdout.includes('ready'), 10_000, 'ready');
      s.child.kill('SIGTSTP');
      await waitFor(() => s.out.stdout.includes('got-TSTP') && state(s.child.pid!) === 'T', 5000, 'TSTP forwarded and init stopped');
      s.child.kill('SIGCONT');
      await waitFor(() => s.out.stdout.includes('got-CONT') && state(s.child.pid!) !== 'T', 5000, 'init resumed, CONT forwarded');
      await waitFor(() => /received SIGTSTP, forwarded SIGTSTP to pid \d+/.test(s.out.stderr), 5000, 'the log line');
      s.child.kill('SIGALRM');
      expect(await s.exited).toBe(142);
    });

    it('a rewritten job-control signal (-r TTIN:TERM): TERM is forwarded, and init stops because TTIN arrived', async () => {
      const s = start(way.argv[0]!, [...way.argv.slice(1), '-s', '-r', 'TTIN:TERM', '-v', '--', 'bash', '-c', TRAPS(['TERM', 'CONT'])]);
      await waitFor(() => s.out.stdout.includes('ready'), 10_000, 'ready');
      s.child.kill('SIGTTIN');
      await waitFor(() => s.out.stdout.includes('got-TERM') && state(s.child.pid!) === 'T', 5000, 'TERM forwarded and init stopped');
      expect(s.child.exitCode).toBeNull();
      s.child.kill('SIGCONT');
      await waitFor(() => s.out.stdout.includes('got-CONT') && state(s.child.pid!) !== 'T', 5000, 'init resumed, CONT forwarded');
      s.child.kill('SIGALRM');
      expect(await s.exited).toBe(142);
    });

    it('-p SIG: init gets SIG when its parent dies, and forwards it', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'procctl-pdeath-'));
      const file = path.join(dir, 'log');
      try {
        const inner = `trap 'echo got USR2 >> ${file}; exit 0' USR2; echo ready >> ${file}; for ((i = 0; i < 1500; i++)); do sleep 0.02; done`;
        const parent = spawn('sh', ['-c', `${initLine} -s -p USR2 -- bash -c "${inner}" & wait`], { stdio: 'ignore' });
        started.push(parent.pid!);
        await waitFor(() => {
          try {
            return readFileSync(file, 'utf8').includes('ready');
          } catch {
            return false;
          }
        }, 10_000, 'ready');
        parent.kill('SIGKILL');
        await waitFor(() => readFileSync(file, 'utf8').includes('got USR2'), 5000, 'forwarded pdeathsig');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('-v is repeatable: -v logs signals and exits, -vv also the terminal and the signal state handed on', async () => {
      const one = await init(['-s', '-v', '--', 'sh', '-c', 'exit 3']);
      expect(one.code).toBe(3);
      expect(one.stderr).toMatch(new RegExp(`^${way.name}: started sh as pid (\\d+) \\(new session\\)\n${way.name}: child \\1 ended with status 3\n`));
      expect(one.stderr).not.toContain('signal state');
      for (const flags of [['-vvv'], ['-v', '-v'], ['--verbose', '-vv']]) {
        const more = await init(['-s', ...flags, '--', 'true']);
        expect(more.code).toBe(0);
        expect(more.stderr).toContain(`${way.name}: the child gets the launcher's signal state: blocked 0, ignored 0`);
      }
    });

    it(way.byPath
      ? "hands the child the launcher's blocked and ignored signals (as tini does), and SIGCHLD ignored by the launcher does not lose the status"
      : "through Node the launcher's blocked and ignored signals are gone (Node resets them before any JS runs): the child gets none, Node's own SIGPIPE/SIGXFSZ included",
    async () => {
      // The launcher blocks SIGILL, SIGTERM, SIGTTIN (0x104008) and ignores SIGINT,
      // SIGSEGV, SIGTTOU (0x200402), like tini's sigconf test.
      const launcher = [
        'perl', '-e',
        'use POSIX; sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGILL, SIGTERM, SIGTTIN)); $SIG{$_} = "IGNORE" for qw(INT SEGV TTOU); $SIG{CHLD} = "IGNORE" if $ENV{IGN_CHLD}; exec @ARGV or die',
      ];
      // cat, not grep: grep installs its own SIGSEGV handler (stack overflow detection).
      const sigState = (status: string) => status.split('\n').filter((l) => /^Sig(Blk|Ign):/.test(l)).join(' ');
      const r = await run(launcher[0]!, [...launcher.slice(1), ...way.argv, '--', 'cat', '/proc/self/status']);
      expect(r.code).toBe(0);
      expect(sigState(r.stdout)).toBe(way.byPath ? 'SigBlk:\t0000000000104008 SigIgn:\t0000000000200402' : 'SigBlk:\t0000000000000000 SigIgn:\t0000000000000000');
      const env = { ...process.env, IGN_CHLD: '1' };
      const chld = await run(launcher[0]!, [...launcher.slice(1), ...way.argv, '--', 'cat', '/proc/self/status'], { env });
      expect(sigState(chld.stdout)).toBe(way.byPath ? 'SigBlk:\t0000000000104008 SigIgn:\t0000000000210402' : 'SigBlk:\t0000000000000000 SigIgn:\t0000000000000000');
      const status = await run(launcher[0]!, [...launcher.slice(1), ...way.argv, '--', 'sh', '-c', 'exit 7'], { env });
      expect(status.code).toBe(7);
    });

    it(way.byPath ? 'passes every fd its launcher gave on to the child' : 'through Node passes fds 0-2 on, not the launcher\'s others', async () => {
      const r = await run('bash', ['-c', `exec 5</etc/hostname; ${initLine} -- sh -c 'readlink /proc/$$/fd/5 || echo none'`]);
      expect(r.stdout.trim()).toBe(way.byPath ? '/etc/hostname' : 'none');
    });

    it('never searches a relative PATH entry: refuses a command found only through one', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'procctl-path-'));
      try {
        writeFileSync(path.join(dir, 'mycmd'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
        const env = { ...process.env, PATH: ':/usr/bin:/bin' };
        const r = await init(['--', 'mycmd'], { cwd: dir, env });
        expect(r.code).toBe(127);
        expect(r.stdout).toBe('');
        expect(r.stderr).toBe(`${way.name}: cannot run 'mycmd': it is found only through a relative PATH entry, which is not searched (give a path, e.g. ./mycmd)\n`);
        expect((await init(['--', './mycmd'], { cwd: dir, env })).stdout).toBe('ran\n');
        expect((await init(['--', 'sh', '-c', 'echo ok'], { cwd: dir, env: { ...process.env, PATH: '/usr/bin:/bin:.' } })).stdout).toBe('ok\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  // Under `script` (a real pty). `exec INIT ...` makes init the leader of the
  // terminal's session (as in `docker run -t`); `INIT ...; :` leaves the shell as
  // the leader (init started from an interactive shell).
  describe('with a controlling terminal', () => {
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
        const r = await underPty(`exec ${initLine} -v -- bash -mc '${inner}'`, { asNobody });
        expect(r.code).toBe(7);
        const f = fields(r.stdout);
        expect(f.sid).toBe(f.pid); // its own session...
        expect(f.pgrp).toBe(f.pid);
        expect(f.tty).not.toBe(0); // ...with the terminal as its controlling terminal
        expect(f.tpgid).toBe(f.pgrp); // and in the foreground
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
      const r = await underPty(`exec ${initLine} -- bash -c '${REPORT}' 0>/dev/tty`, { asNobody: true });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${way.name}: warning: the command cannot own the terminal (Operation not permitted); running it without one`);
      const f = fields(r.stdout);
      expect(f.sid).toBe(f.pid);
      expect(f.tty).toBe(0);
    });

    it("^Z typed at the terminal stops the child's foreground job, not init", async () => {
      const [file, args, opts] = ptyCommand(`exec ${initLine} -v -- bash -mc 'sleep 5 & echo "ready $!"; fg %1; echo after=$?; exit 3'`);
      const child = spawn(file, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
      started.push(child.pid!);
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      const sleepPid = Number(await waitFor(() => /ready (\d+)/.exec(out)?.[1], 10_000, 'ready'));
      // type ^Z once `fg` has made the sleep's group the terminal's foreground
      await waitFor(() => {
        const f = procStat(sleepPid);
        return f[8] === f[5]; // tpgid === pgrp
      }, 5000, 'sleep in the foreground');
      child.stdin.write('\x1a');
      expect(await exited).toBe(3);
      expect(out).toMatch(/Stopped\s+sleep 5/);
      expect(out).toContain('after=148'); // 128 + SIGTSTP: the job stopped, bash went on
      expect(out).not.toMatch(/received SIG/); // nothing reached init
    });

    it("init started from a shell: the child gets a new group in init's session and the foreground; the shell keeps its terminal", async () => {
      const r = await underPty(`${initLine} -v -- bash -mc '${REPORT}; sleep 0.2 & fg %1 && echo fg-ok'; echo "code=$?"; read -r -a s < /proc/$$/stat; echo "shell sid=\${s[5]} tty=\${s[6]} tpgid=\${s[7]} pgrp=\${s[4]}"`);
      expect(r.code).toBe(0);
      const f = fields(r.stdout);
      const shell = /shell sid=(\d+) tty=(\d+) tpgid=(-?\d+) pgrp=(\d+)/.exec(r.stdout)!.slice(1).map(Number);
      expect(f.sid).toBe(shell[0]); // the shell's session: not taken away from it
      expect(f.pgrp).toBe(f.pid);
      expect(f.tpgid).toBe(f.pgrp);
      expect(r.stdout).toContain('(new process group, terminal foreground)');
      expect(r.stdout).toContain('fg-ok');
      expect(r.stdout).toContain('code=0');
      expect(shell[1]).toBe(f.tty); // the shell still has its terminal afterwards
      expect(shell[2]).toBe(shell[3]); // and is its foreground again
    });

    it("--single-child keeps the child in init's session and group", async () => {
      const r = await underPty(`exec ${initLine} --single-child -- bash -c '${REPORT}; echo init-pid=$PPID'`);
      expect(r.code).toBe(0);
      const f = fields(r.stdout);
      const initPid = Number(/init-pid=(\d+)/.exec(r.stdout)![1]);
      expect(f.sid).toBe(initPid);
      expect(f.pgrp).toBe(initPid);
      expect(f.tty).not.toBe(0);
    });

    // README: "From an interactive shell, ^Z stops the command and init and gives
    // the prompt back; fg resumes both", in the default mode and with -c.
    for (const mode of [[], ['-c']]) {
      it(`from an interactive bash${mode.length ? ' with -c' : ''}: ^Z stops the command and init and gives the prompt back; fg resumes both; ^C ends them (130)`, async () => {
        const [file, args, opts] = ptyCommand('exec bash --norc --noprofile -i');
        const shell = spawn(file, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
        started.push(shell.pid!);
        let out = '';
        shell.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        const exited = new Promise<number | null>((r) => shell.on('close', (code) => r(code)));
        const type = (text: string) => shell.stdin.write(text);
        try {
          await waitFor(() => /[#$] $/.test(out), 10_000, 'the prompt');
          type("PS1='PROMPT> '\n");
          await waitFor(() => out.endsWith('PROMPT> '), 10_000, 'the new prompt');
          type(`${initLine} ${mode.join(' ')} -- bash -c 'echo "started $$"; exec sleep 30'\n`);
          const sleepPid = Number(await waitFor(() => /started (\d+)/.exec(out)?.[1], 10_000, 'started'));
          const initPid = Number(procStat(sleepPid)[4]);
          await waitFor(() => {
            const f = procStat(sleepPid);
            return f[8] === f[5]; // the command's group is the terminal's foreground
          }, 5000, 'the command in the foreground');
          const mark = out.length;
          type('\x1a');
          await waitFor(() => state(sleepPid) === 'T' && state(initPid) === 'T' && /Stopped[^\n]*\n[^]*PROMPT> $/.test(out.slice(mark)), 10_000, 'both stopped and the prompt back').catch((e: Error) => {
            throw new Error(`${e.message}: command ${state(sleepPid)} init ${state(initPid)} output ${JSON.stringify(out.slice(mark))}`);
          });
          type('fg\n');
          await waitFor(() => state(sleepPid) !== 'T' && state(initPid) !== 'T', 5000, 'both running again');
          await waitFor(() => {
            const f = procStat(sleepPid);
            return f[8] === f[5];
          }, 5000, 'the command in the foreground again');
          type('\x03');
          await waitFor(() => !alive(initPid), 5000, 'init to exit');
          type('echo "status=$?"; exit\n');
          expect(await exited).toBe(0);
          expect(out).toContain('status=130');
        } finally {
          if (shell.exitCode === null) shell.kill('SIGKILL');
        }
      });
    }
  });

  describe('command line', () => {
    it('--help and --version on stdout with status 0', async () => {
      const help = await init(['--help']);
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(new RegExp(`^Usage: ${way.name} \\[options\\] \\[--\\] command \\[args\\.\\.\\.\\]\n`));
      expect((await init(['-h'])).stdout).toBe(help.stdout);
      for (const flag of ['--version', '-V']) {
        expect(await init([flag])).toMatchObject({ code: 0, stdout: `procctl ${PKG_VERSION}\n`, stderr: '' });
      }
    });

    it('usage errors: status 1 (as tini and dumb-init), getopt wording and a hint on stderr, nothing run', async () => {
      const hint = `Try '${way.name} --help' for more information.`;
      const cases: [string[], string][] = [
        [['--bogus', '--', 'true'], `${way.name}: unrecognized option '--bogus'`],
        [['-z', 'true'], `${way.name}: invalid option -- 'z'`],
        [['-e'], `${way.name}: option requires an argument -- 'e'`],
        [['-e', '300', 'true'], `${way.name}: -e/--remap-exit: '300' is not an exit status 0..255`],
        [['-r', 'TERM', 'true'], `${way.name}: -r/--rewrite: 'TERM' is not S:R (signal names or numbers 1..31, R = 0 drops S: TERM:QUIT, 15:3, HUP:0)`],
        [['-r', '1:32', 'true'], `${way.name}: -r/--rewrite: '1:32' is not S:R (signal names or numbers 1..31, R = 0 drops S: TERM:QUIT, 15:3, HUP:0)`],
        [['-r', 'KILL:TERM', 'true'], `${way.name}: -r/--rewrite: SIGKILL is never forwarded, so it cannot be rewritten`],
        [['-p', 'NOPE', 'true'], `${way.name}: -p/--pdeathsig: 'NOPE' is not a signal (a name such as TERM, or a number 1..31)`],
        [[], `Usage: ${way.name} [options] [--] command [args...]`],
        [['-v', '--'], `Usage: ${way.name} [options] [--] command [args...]`],
      ];
      for (const [args, first] of cases) {
        const r = await init(args);
        expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ args, code: 1, stdout: '', stderr: `${first}\n${hint}\n` });
      }
    });

    it('options end at `--` or at the first operand: the rest goes to the command untouched', async () => {
      expect((await init(['-s', '--', 'sh', '-c', 'echo "$@"', 'x', '--help', '-e'])).stdout).toBe('--help -e\n');
      expect((await init(['sh', '-c', 'echo "$@"', 'x', '-v', '--version'])).stdout).toBe('-v --version\n');
    });
  });
});

describe('procctl init (through Node) when it cannot start the native init', () => {
  it('says the native init executable is missing, and how to get it (status 1)', async () => {
    // A copy of the package without procctl-init (a build or prebuild that lacks it).
    const dir = mkdtempSync(path.join(tmpdir(), 'procctl-noinit-'));
    try {
      for (const d of ['bin', 'dist']) cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
      copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
      mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
      const addon = path.join(dir, 'build', 'Release', 'procctl.node');
      copyFileSync(process.env.PROCCTL_ADDON ?? path.join(ROOT, 'build', 'Release', 'procctl.node'), addon);
      chmodSync(addon, 0o755);
      cpSync(path.join(ROOT, 'node_modules', 'node-gyp-build'), path.join(dir, 'node_modules', 'node-gyp-build'), { recursive: true });
      const env: NodeJS.ProcessEnv = { ...process.env, PROCCTL_ADDON: addon };
      delete env.PROCCTL_INIT;
      const r = await run(process.execPath, [path.join(dir, 'bin', 'procctl.js'), 'init', '--', 'true'], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^procctl init: the native init executable \(procctl-init\) is missing: it is built next to the addon by `npm ci` or `npm rebuild procctl`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without the native addon: says it needs it (status 1)', async () => {
    const r = await run(process.execPath, [BIN, 'init', '--', 'true'], { env: { ...process.env, PROCCTL_NO_ADDON: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('procctl init: needs the native addon to start the native init (disabled by PROCCTL_NO_ADDON=1)\n');
  });
});

describe('procctl CLI basics', () => {
  it('top-level --help, --version, unknown commands', async () => {
    const top = await run(process.execPath, [BIN, '--help']);
    expect(top.stdout).toContain('Commands:');
    const version = await run(process.execPath, [BIN, '--version']);
    expect(version.stdout.trim()).toBe(`procctl ${PKG_VERSION}`);
    const unknown = await run(process.execPath, [BIN, 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });
});

