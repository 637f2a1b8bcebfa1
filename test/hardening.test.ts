// Hostile and unlucky use of spawn, exec and `procctl exec`: each case ran
// against the code before the hardening work and failed there (a crash, root's
// groups or capabilities in a dropped child, input pushed into root's shell, a
// process killed by a signal it handles, a wrong fd in the child, leaked fds, a
// program run from the current directory). Scenarios run in fixtures
// (test/fixtures/harden.cjs) and are asserted from outside.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn as cpSpawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES, ROOT, publicCopy, publicEnv, run, runFixture, waitFor } from './helpers';

type Procctl = typeof import('../lib/index');
const req = createRequire(import.meta.url);
const p: Procctl = req('../dist/index.js');
const BIN = path.join(ROOT, 'bin', 'procctl.js');
const FIXTURE = path.join(FIXTURES, 'harden.cjs');

const scenario = async (mode: string, arg: unknown = {}, opts: Parameters<typeof runFixture>[2] = {}) => {
  const r = await runFixture('harden.cjs', [mode, JSON.stringify(arg)], { timeout: 60_000, ...opts });
  return r;
};
const lastJson = (stdout: string): Record<string, any> => JSON.parse(stdout.trim().split('\n').pop()!);

const live: ChildProcess[] = [];
afterEach(() => {
  for (const c of live.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

let tmp = '';
beforeAll(() => {
  // A directory nobody can reach (mode 755): the capability attack program, the
  // relative-PATH decoy, the terminal injection script.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-harden-'));
  fs.chmodSync(tmp, 0o755);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the pidfd exit watcher survives a call into JS that turns the loop', () => {
  for (const via of ['listener', 'await'] as const) {
    it(`an exec that fails in ${via === 'listener' ? "an 'exit' listener" : 'the code after await exited'}, with 1 MB queued on a slow pipe: ENOENT, and the process carries on`, async () => {
      const child = cpSpawn(process.execPath, [FIXTURE, 'uafExit', JSON.stringify({ via })], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      live.push(child);
      // A slow reader: nothing is read for a while, so the flush must turn the loop.
      child.stdout!.pause();
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      await new Promise((r) => setTimeout(r, 300));
      const chunks: Buffer[] = [];
      child.stdout!.on('data', (d: Buffer) => chunks.push(d));
      child.stdout!.resume();
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
      expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
      const out = Buffer.concat(chunks).toString('latin1');
      expect(out.startsWith('.'.repeat(1 << 20))).toBe(true);
      const rep = lastJson(out.slice(1 << 20));
      expect(rep.result).toMatchObject({ name: 'SystemError', code: 'ENOENT', syscall: 'execve' });
      expect(rep.again).toBe('still here');
    });
  }
});

describe('capabilities after a drop to a non-root uid: none', () => {
  let attack = '';
  beforeAll(() => {
    // A copy of cat that gains CAP_DAC_OVERRIDE from the caller's inheritable set.
    attack = path.join(tmp, 'cat-dac-ei');
    fs.copyFileSync('/bin/cat', attack);
    fs.chmodSync(attack, 0o755);
    execFileSync('setcap', ['cap_dac_override=ei', attack]);
  });
  const ZERO = '0000000000000000';
  const expectNone = (child: Record<string, string>) => {
    expect(child.Uid).toBe('65534\t65534\t65534\t65534');
    expect({ CapInh: child.CapInh, CapPrm: child.CapPrm, CapEff: child.CapEff, CapAmb: child.CapAmb }).toEqual({ CapInh: ZERO, CapPrm: ZERO, CapEff: ZERO, CapAmb: ZERO });
  };
  // How each parent gets its capabilities: setpriv before node starts.
  const parents: Record<string, { setpriv: string[]; nonRoot?: boolean; check: (spawner: Record<string, string>) => void }> = {
    'a root parent with a non-empty inheritable set (CVE-2022-24769)': {
      setpriv: ['--inh-caps', '+dac_override'],
      check: (s) => expect(s.CapInh).toBe('0000000000000002'),
    },
    'a root parent with ambient caps and SECBIT_NO_SETUID_FIXUP': {
      setpriv: ['--inh-caps', '+setuid,+setgid', '--ambient-caps', '+setuid,+setgid', '--securebits', '+no_setuid_fixup'],
      check: (s) => expect(s.CapAmb).toBe('00000000000000c0'),
    },
    'a non-root parent with ambient CAP_SETUID/CAP_SETGID': {
      setpriv: ['--reuid=4321', '--regid=4321', '--clear-groups', '--inh-caps', '+setuid,+setgid', '--ambient-caps', '+setuid,+setgid'],
      nonRoot: true,
      check: (s) => expect({ Uid: s.Uid, CapEff: s.CapEff }).toEqual({ Uid: '4321\t4321\t4321\t4321', CapEff: '00000000000000c0' }),
    },
  };
  const under = (setpriv: string[], nonRoot: boolean | undefined, args: string[], env: NodeJS.ProcessEnv = {}) => {
    // A non-root parent runs from the world-readable copy (the checkout may be in /root).
    const where = nonRoot ? publicCopy() : null;
    const script = where ? path.join(where.fixtures, 'harden.cjs') : FIXTURE;
    return run('setpriv', [...setpriv, process.execPath, script, ...args], {
      cwd: where ? where.root : ROOT,
      env: where ? publicEnv(env) : { ...process.env, ...env },
    });
  };

  for (const [name, parent] of Object.entries(parents)) {
    for (const engine of ['auto', 'clone', 'fork']) {
      it(`spawn (engine ${engine}) from ${name}`, async () => {
        const r = await under(parent.setpriv, parent.nonRoot, ['caps', JSON.stringify({ attack })], { PROCCTL_SPAWN_ENGINE: engine });
        expect(r.stderr).toBe('');
        const rep = lastJson(r.stdout);
        parent.check(rep.spawner);
        expectNone(rep.child);
        // The file-capability program cannot read /etc/shadow; setresuid(0) is EPERM.
        expect(rep.attack).toMatchObject({ exitCode: 1, stdoutBytes: 0 });
        expect(rep.attack.stderr).toMatch(/Permission denied/);
        expect(rep.setresuid).toBe('1');
      });
    }
    it(`in-place exec from ${name}`, async () => {
      const r = await under(parent.setpriv, parent.nonRoot, ['capsExec']);
      const st = Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
      expectNone(st);
    });
    it(`procctl exec from ${name}`, async () => {
      const where = parent.nonRoot ? publicCopy() : null;
      const r = await run('setpriv', [...parent.setpriv, process.execPath, where ? where.bin : BIN, 'exec', 'nobody', 'cat', '/proc/self/status'], {
        cwd: where ? where.root : ROOT,
        env: where ? publicEnv() : process.env,
      });
      const st = Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
      expectNone(st);
      const shadow = await run('setpriv', [...parent.setpriv, process.execPath, where ? where.bin : BIN, 'exec', 'nobody', attack, '/etc/shadow'], {
        cwd: where ? where.root : ROOT,
        env: where ? publicEnv() : process.env,
      });
      expect(shadow.code).toBe(1);
      expect(shadow.stdout).toBe('');
    });
  }
});

describe('a dropped program cannot type into root\'s terminal (TIOCSTI)', () => {
  let inject = '';
  beforeAll(() => {
    inject = path.join(tmp, 'inject.py');
    fs.writeFileSync(inject, [
      'import fcntl, termios, sys',
      'try:',
      '  [fcntl.ioctl(0, termios.TIOCSTI, bytes([c])) for c in (sys.argv[1] + "\\n").encode()]',
      '  print("INJECTED")',
      'except OSError as e:',
      '  print("REFUSED", e.errno)',
    ].join('\n'));
    fs.chmodSync(inject, 0o644);
  });

  /**
   * An interactive root bash on a pty (script(1)) runs `command`, which starts a
   * program as nobody that pushes `touch MARKER` into the terminal's input. Once
   * the command is done, bash would read and run that line as root. Returns
   * what the program printed and whether the marker exists.
   */
  async function rootShell(command: (marker: string) => string, until = /INJECTED|REFUSED \d+|Traceback|procctl exec:/): Promise<{ out: string; pwned: boolean }> {
    const marker = path.join(tmp, `pwned-${Math.random().toString(36).slice(2)}`);
    const sh = cpSpawn('script', ['-qec', 'bash --norc --noprofile -i', '/dev/null'], {
      cwd: ROOT, env: { ...process.env, SHELL: '/bin/bash', PS1: '$ ' }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    live.push(sh);
    let out = '';
    sh.stdout!.on('data', (d) => (out += d));
    sh.stdin!.write(`${command(marker)}\n`);
    await waitFor(() => until.test(out), 20_000, `the program's report (so far: ${out})`);
    // Anything injected sits in the terminal's input ahead of this line, so once
    // bash has run it (its output, 42, is not in the echoed input) the injected
    // line has had its chance to run.
    sh.stdin!.write('echo STEP-$((6*7))\n');
    await waitFor(() => out.includes('STEP-42'), 20_000, `bash to read on (so far: ${out})`);
    sh.stdin!.write('exit\n');
    await new Promise((r) => sh.on('close', r));
    return { out, pwned: fs.existsSync(marker) };
  }

  it('procctl exec nobody ... from an interactive root shell: EPERM, nothing runs as root', async () => {
    const r = await rootShell((m) => `${process.execPath} ${BIN} exec nobody /usr/bin/python3 ${inject} 'touch ${m}'`);
    expect(r.out).toMatch(/REFUSED 1\b/);
    expect(r.pwned).toBe(false);
  });

  it("spawn with user and inherited stdio from a root program on the terminal: EPERM", async () => {
    const r = await rootShell((m) => `${process.execPath} ${FIXTURE} ttyInject '${JSON.stringify({ text: `touch ${m}` })}'`);
    expect(r.out).toMatch(/REFUSED 1\b/);
    expect(r.pwned).toBe(false);
    // The guard is on the dropped child only: the spawner itself has no filter.
    expect(r.out).toMatch(/"seccompHere":"0"/);
  });

  it('procctl exec --setsid works from an interactive shell (a group leader): new session, no terminal, status passed on', async () => {
    // The child's own /proc/<pid>/stat: session (field 6) and tty_nr (field 7).
    const r = await rootShell(
      () => `${process.execPath} ${BIN} exec --setsid nobody /bin/sh -c 'echo "stat=$(cat /proc/$$/stat) uid=$(id -u)"; exit 7'; echo "rc=$?"`,
      /rc=\d+/,
    );
    const m = /stat=(\d+) \(sh\) \S+ \d+ \d+ (\d+) (\d+) .* uid=(\d+)/.exec(r.out);
    expect(m).not.toBeNull();
    expect(m![2]).toBe(m![1]);   // it leads its own session
    expect(m![3]).toBe('0');     // and has no controlling terminal
    expect(m![4]).toBe('65534');
    expect(r.out).toMatch(/rc=7/);
  });

  it('no guard where there is no terminal to guard (no controlling terminal: Seccomp 0)', async () => {
    const c = p.spawn('sleep', ['100'], { user: 'nobody', stdio: 'ignore' });
    try {
      await waitFor(() => fs.readlinkSync(`/proc/${c.pid}/exe`).endsWith('sleep'), 5000, 'exec');
      const hasTty = (() => {
        try {
          fs.closeSync(fs.openSync('/dev/tty', 'r'));
          return true;
        } catch {
          return false;
        }
      })();
      const seccomp = /Seccomp:\s*(\d)/.exec(fs.readFileSync(`/proc/${c.pid}/status`, 'utf8'))![1];
      expect(seccomp).toBe(hasTty ? '2' : '0');
    } finally {
      c.kill('SIGKILL');
      await c.exited;
    }
  });
});

describe('options are read once, from own properties only', () => {
  it('a polluted Object.prototype reaches no child; getters and proxies are read once', async () => {
    const r = await scenario('polluted', {}, { cwd: os.tmpdir() });
    expect(r.stderr).toBe('');
    const rep = lastJson(r.stdout);
    const nogroup = execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim();
    expect(rep.status).toEqual({ Uid: '65534\t65534\t65534\t65534', Gid: Array(4).fill(nogroup).join('\t'), Groups: '', Umask: '0022', NoNewPrivs: '0' });
    expect(rep.env).toBe(false);
    expect(rep.argv0).toBe('/bin/sh');
    expect(rep.cwd).toBe(fs.realpathSync(os.tmpdir()));
    expect(rep.sparse).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(rep.getter).toEqual({ id: '65534', reads: 1 });
    expect(rep.proxy.id).toBe('65534');
    for (const key of ['user', 'group', 'groups']) {
      expect((rep.proxy.counts[key] ?? 0) + (rep.proxy.counts[`desc:${key}`] ?? 0)).toBe(1);
    }
  });

  it('in-place exec: a polluted group/groups/inheritFds does not reach the new program', async () => {
    const r = await scenario('pollutedExec');
    const nogroup = execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim();
    expect(r.stdout).toMatch(new RegExp(`^Gid:\\s+${nogroup}\\s+${nogroup}\\s+${nogroup}\\s+${nogroup}$`, 'm'));
    expect(r.stdout).toMatch(/^Groups:\s*$/m);
  });
});

describe('a failing in-place exec cannot be killed by a signal the program handles', () => {
  it('400 failed execs under a flood of SIGTERM: every one reaches the JS handler; the process lives', async () => {
    const child = cpSpawn(process.execPath, [FIXTURE, 'execSignals', '{"rounds":400}'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    live.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    await waitFor(() => out.includes('"ready"'), 15_000, 'the fixture to start');
    // One SIGTERM every few tens of microseconds, not back to back: under an unbroken
    // stream V8's first contended mutex (Node 24 and later) calibrates the CPU clock
    // in a nanosleep() loop that restarts on EINTR, and a signal always pending keeps
    // that loop from ever finishing: the fixture livelocks in V8 before any exec.
    const flood = cpSpawn(process.execPath, ['-e', `
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (;;) { try { process.kill(${child.pid}, 'SIGTERM'); } catch { break; } Atomics.wait(pause, 0, 0, 0.02); }
    `], { stdio: 'ignore' });
    live.push(flood);
    const closed = new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    await waitFor(() => out.includes('"failures"') || child.exitCode !== null || child.signalCode !== null, 60_000, 'the report');
    // Stop the flood before the fixture may exit (Node's teardown gives SIGTERM its default back).
    flood.kill('SIGKILL');
    await new Promise((r) => (flood.exitCode !== null || flood.signalCode !== null ? r(null) : flood.on('exit', r)));
    child.stdin!.end();
    const [code, signal] = await closed;
    expect({ code, signal, err }).toEqual({ code: 0, signal: null, err: '' });
    const rep = lastJson(out);
    expect(rep.failures).toBe(400);
    expect(rep.handled).toBeGreaterThan(0);
  });
});

describe.each(['auto', 'clone', 'fork'])('spawn fds (engine %s)', (engine) => {
  it('a stdio source that is not open is EBADF before anything is opened; nothing stands in for it', async () => {
    const r = await scenario('closedFd', {}, { env: { ...process.env, PROCCTL_SPAWN_ENGINE: engine } });
    expect(r.stderr).toBe('');
    const rep = lastJson(r.stdout);
    for (const [name, index] of [['extra', 3], ['afterPipes', 3], ['asStdin', 0]] as const) {
      expect(rep[name]).toMatchObject({ name: 'SystemError', code: 'EBADF', stage: 'dup2' });
      expect(rep[name].message).toContain(`options.stdio[${index}]: fd ${rep.fd} is not open`);
    }
    expect(rep.fdsAfter).toEqual(rep.fdsBefore);
  });

  it("the child gets the parent's own fd for libuv's pipe (fd 4 on Node 20), not a re-created one", async () => {
    const r = await scenario('atfork', {}, { env: { ...process.env, PROCCTL_SPAWN_ENGINE: engine } });
    const rep = lastJson(r.stdout);
    expect(rep.engine).toBe(engine === 'auto' ? 'clone3' : engine);
    expect(rep.mine).toMatch(/^pipe:\[\d+\]$/);
    expect(rep.theirs).toBe(rep.mine);
  });
});

describe('pipes nobody reads', () => {
  it('300 spawns whose output is never read leave no fd behind; output read at exit is intact', async () => {
    const r = await scenario('unreadPipes', { count: 300 });
    expect(r.stderr).toBe('');
    const rep = lastJson(r.stdout);
    expect(rep.afterFds).toEqual(rep.beforeFds);
    expect(rep.viaListener).toBe('read in exit listener');
    expect(rep.viaAwait).toBe('read after await');
  });
});

describe('relative PATH entries (Go ErrDot)', () => {
  let dir = '';
  let marker = '';
  beforeAll(() => {
    dir = path.join(tmp, 'rel');
    fs.mkdirSync(dir, { mode: 0o755 });
    marker = path.join(tmp, 'relative-program-ran');
    for (const name of ['procctl-rel', 'id']) {
      fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho relative ran\ntouch ${marker}\n`, { mode: 0o755 });
    }
  });
  afterEach(() => fs.rmSync(marker, { force: true }));

  it("spawn/run and execvp refuse a program found through '' or '.', run it with allowRelativePath, and skip relative entries otherwise", async () => {
    fs.rmSync(path.join(dir, 'id'));
    try {
      const r = await scenario('relativePath', { dir });
      const rep = lastJson(r.stdout);
      expect(rep.refused).toMatchObject({ code: 'ERR_RELATIVE_PATH_LOOKUP', path: 'procctl-rel' });
      expect(rep.refused.message).toContain("relative PATH entry ''");
      expect(rep.allowed).toEqual({ ran: 'relative ran', exitCode: 0 });
      expect(rep.absoluteFirst.ran).toMatch(/^uid=0\(root\)/);
      expect(rep.dotEntry).toMatchObject({ code: 'ERR_RELATIVE_PATH_LOOKUP', path: './procctl-rel' });
      expect(rep.execvp).toMatchObject({ code: 'ERR_RELATIVE_PATH_LOOKUP' });
    } finally {
      fs.writeFileSync(path.join(dir, 'id'), `#!/bin/sh\necho relative ran\ntouch ${marker}\n`, { mode: 0o755 });
    }
  });

  it("root's `procctl exec nobody id` with PATH=:/usr/bin in a directory holding ./id refuses (126) and runs nothing", async () => {
    const r = await run(process.execPath, [BIN, 'exec', 'nobody', 'id'], { cwd: dir, env: { ...process.env, PATH: ':/usr/bin:/bin' } });
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/^procctl exec: 'id' resolves to '\.\/id' through the relative PATH entry ''/);
    expect(r.stdout).toBe('');
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe("Go's os/exec behaviours spawn lacked", () => {
  it("stdio 'ignore' opens /dev/null read-only as stdin and write-only as output; cwd sets PWD when the env is inherited; groups: 'keep'", async () => {
    const r = await run('setpriv', ['--groups', 'users,games', process.execPath, FIXTURE, 'goGaps'], { cwd: ROOT });
    expect(r.stderr).toBe('');
    const rep = lastJson(r.stdout);
    expect(Number.parseInt(rep.stdinFlags, 8) & 3).toBe(0);   // O_RDONLY
    expect(Number.parseInt(rep.stdoutFlags, 8) & 3).toBe(1);  // O_WRONLY
    expect(rep.pwdInherited).toBe('/tmp');
    expect(rep.pwdRelative).toBe(ROOT);
    expect(rep.pwdExplicitEnv).toBe('/explicit');
    expect(rep.keep.Uid).toBe('65534\t65534\t65534\t65534');
    expect(rep.keep.Groups).toBe(rep.self);
    expect(rep.self.split(' ').length).toBe(2);
    expect(rep.cleared.Groups).toBe('');
  });

  it('noControllingTerminal: the child leaves the terminal (tty_nr 0) without a new session; ENOTTY after setsid', async () => {
    const r = await run('script', ['-qec', `${process.execPath} ${FIXTURE} noctty`, '/dev/null'], { cwd: ROOT, env: { ...process.env, SHELL: '/bin/bash' } });
    const rep = lastJson(r.stdout.replace(/\r/g, ''));
    expect(rep.self).not.toBe(0);
    expect(rep.plain).toBe(rep.self);
    expect(rep.detached).toBe(0);
    expect(rep.afterSetsid).toMatchObject({ code: 'ENOTTY', stage: 'tiocnotty' });
  });
});
