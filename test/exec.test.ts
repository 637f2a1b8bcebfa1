// execve / execvp / reexec: every scenario runs in a child fixture
// (test/fixtures/exec-*.cjs) and is asserted from outside: the new program's
// output, /proc/<pid>, exit status.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES, ROOT, alive, openFds, procStatus, ptyCommand, run, runFixture, waitFor, zombieChildren, needsRoot, needsRealKernel, QEMU } from './helpers';

const live: ChildProcess[] = [];
afterEach(() => {
  for (const c of live.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

// The suite itself leaks neither fds nor zombies.
let fdsAtStart = 0;
beforeAll(() => {
  fdsAtStart = openFds('self').size;
});
afterAll(async () => {
  for (const c of live.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await waitFor(() => openFds('self').size <= fdsAtStart, 5000, `fds back to ${fdsAtStart}`);
  await waitFor(() => zombieChildren(process.pid).length === 0, 5000, 'no zombies');
});

const FIXTURE = 'exec-run.cjs';
const fixture = (mode: string, args: string[] = [], opts = {}) => runFixture(FIXTURE, [mode, ...args], opts);

/** Starts a long-running script and collects its stdout lines. */
function start(file: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [file, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  live.push(child);
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const json = (i: number) => waitFor(() => lines[i], 15_000, `line ${i} (stderr: ${stderr})`).then((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, lines, json, stderr: () => stderr };
}

function tcpRead(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = '';
    sock.setEncoding('utf8').on('data', (d: string) => (out += d));
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

function httpGet(port: number, urlPath: string, onHeaders?: () => void): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      onHeaders?.();
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

describe('execve replaces the process in place', () => {
  it('keeps the PID: $$ of the exec\'d shell is the fixture\'s pid', async () => {
    const r = await fixture('pid');
    expect(r.code).toBe(0);
    const [first, second] = r.stdout.trim().split('\n');
    expect(JSON.parse(first).pid).toBe(r.pid);
    expect(Number(second)).toBe(r.pid);
  });

  it('gives the new program fds 0-2 open and blocking, and only 0-2 plus inheritFds', async () => {
    const child = spawn(process.execPath, [path.join(FIXTURES, FIXTURE), 'state'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    live.push(child);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stdin!.write('hello\n');
    await waitFor(() => out.includes('\nEND\n') && out.includes('flags 2'), 10_000, 'fd report');
    // The shell now reads the same stdin pipe, blocking: Node's reads made it non-blocking first.
    child.stdin!.end('second line\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('read hello');
    const before = JSON.parse(lines[1]);
    expect(before.before).toBe('0000000001001000'); // Node ignores SIGPIPE and SIGXFSZ
    expect(before.nonblock0).toBe(true); // Node made the pipes non-blocking
    expect(before.nonblock1).toBe(true);
    const fds = lines.slice(lines.indexOf('FDS') + 1, lines.indexOf('END')).map(Number).sort((a, b) => a - b);
    expect(fds).toEqual([0, 1, 2, before.kept]);
    expect(fds).not.toContain(before.leaked); // inheritable but not named: closed
    for (const fd of [0, 1, 2, before.kept]) {
      const line = lines.find((l) => l.startsWith(`flags ${fd} `))!;
      const flags = parseInt(line.split(' ')[2], 8);
      expect(flags & O_NONBLOCK, `fd ${fd} blocking`).toBe(0);
      expect(flags & O_CLOEXEC, `fd ${fd} not close-on-exec`).toBe(0);
    }
    expect(lines.at(-1)).toBe('then read second line');
  });

  it('resets ignored signals and the mask: SigIgn and SigBlk are 0 in the new program', async () => {
    const r = await fixture('signals');
    expect(r.code).toBe(0);
    const [report, ...status] = r.stdout.trim().split('\n');
    expect(JSON.parse(report).SigIgn).toBe('0000000001001000');
    expect(status).toEqual(['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000']);
  });

  it('sets the signal mask asked for', async () => {
    const r = await fixture('mask');
    expect(r.stdout.trim().split('\n')).toEqual(['SigBlk:\t0000000000000801', 'SigIgn:\t0000000000000000']);
  });

  it('lets `yes | head -1` end by SIGPIPE', async () => {
    const r = await fixture('pipeline', [], { timeout: 10_000 });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').slice(1)).toEqual(['y', 'status 141 0']);
    expect(r.stderr).toBe('');
  });

  it('flushes queued stdout writes before exec', async () => {
    const r = await fixture('flush');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe((1 << 20) + 1 + 'END\n'.length);
    expect(r.stdout.endsWith('y\nEND\n')).toBe(true);
  });

  it('refuses an exec called by a callback that runs while execve flushes; the outer exec still runs', async () => {
    const report = path.join(os.tmpdir(), `procctl-nested-${process.pid}.json`);
    try {
      const r = await fixture('flush-nested', [report]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith('y'.repeat(1 << 20) + '\n')).toBe(true);
      const out = JSON.parse(r.stdout.slice((1 << 20) + 1));
      expect(out.timerRan).toBe(true); // the callback did run during the flush
      for (const call of ['execve', 'execvp', 'reexec']) {
        expect(out.results[call]).toMatchObject({ name: 'Error', code: 'ERR_EXEC_IN_PROGRESS' });
        expect(out.results[call].message).toContain(`${call}() refused`);
      }
    } finally {
      fs.rmSync(report, { force: true });
    }
  });

  it('exec from a setImmediate callback with more immediates queued: no abort; queued immediates wait for exec to return', async () => {
    const r = await fixture('flush-immediates');
    expect(r.stderr).toBe('');
    expect(r.signal).toBe(null);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(3 * (1 << 19) + 1 + '["ENOENT","ENOENT","ENOENT"]\n'.length);
    expect(r.stdout.endsWith('z\n["ENOENT","ENOENT","ENOENT"]\n')).toBe(true);
  });

  it('a callback throwing during the flush is an ordinary uncaught exception; a failed exec then restores everything', async () => {
    const r = await fixture('flush-throw');
    expect(r.code).toBe(0);
    const text = r.stdout.slice(r.stdout.indexOf('{'));
    const [json, after] = text.trim().split('\n');
    const out = JSON.parse(json!);
    expect(out.errors).toEqual(['thrown by a timer during the flush']);
    expect(out.r).toMatchObject({ code: 'ENOENT', syscall: 'execve', path: '/nonexistent/program' });
    expect(out.after).toEqual(out.before);
    expect(after).toBe('EXEC AFTER');
  });

  it('applies cwd and umask', async () => {
    const r = await fixture('cwd-umask');
    expect(r.stdout.trim().split('\n')).toEqual(['/usr/share', '0027']);
  });

  it('restores a raw-mode TTY stdin to its original mode', async () => {
    // script(1) gives the fixture a terminal as stdin.
    const r = await run(...ptyCommand(`${process.execPath} ${path.join(FIXTURES, FIXTURE)} tty`, { env: { TERM: 'dumb' } }));
    const out = r.stdout.replace(/\r/g, '');
    const report = JSON.parse(out.slice(out.indexOf('{'), out.indexOf('}') + 1));
    expect(report).toEqual({ rawHasIcanonOff: true, rawHasEchoOff: true }); // raw before exec
    const stty = out.slice(out.indexOf('}') + 1);
    expect(stty).toMatch(/(^|\s)icanon(\s|$)/);
    expect(stty).toMatch(/(^|\s)echo(\s|$)/);
  });
});

describe('arguments and environment', () => {
  it('passes argv0 and args with spaces, unicode and empty strings', async () => {
    const r = await fixture('cmdline');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const cmdline = (out.cmdline as string).split('\0');
    expect(cmdline[0]).toBe('custom zero');
    expect(cmdline.slice(-4)).toEqual(['a b', 'ünï ✓ code', '', '']); // trailing '' from the final NUL
    expect(out.argv0).toBe('custom zero');
    expect(out.argv).toEqual(['a b', 'ünï ✓ code', '']);
  });

  it('takes env as an object (undefined values skipped)', async () => {
    const r = await fixture('env-object');
    expect(r.stdout).toBe('FOO=bar baz\nUNI=ü ✓\n');
  });

  it('takes env as a KEY=value array', async () => {
    expect((await fixture('env-array')).stdout).toBe('A=1\nB=two=2\n');
  });

  it('passes an empty environment', async () => {
    const r = await fixture('env-empty');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('defaults to process.env', async () => {
    const r = await fixture('env-default');
    expect(r.stdout.split('\n')).toContain('FROM_PARENT=yes');
  });

  it('execvp searches the PATH of the env passed; EACCES beats ENOENT; later candidates still run', async () => {
    const r = await fixture('execvp-path');
    const [report, ran] = r.stdout.trim().split('\n');
    const { eacces, enoent } = JSON.parse(report);
    expect(eacces).toMatchObject({ code: 'EACCES', syscall: 'execve', stage: 'execve' });
    expect(eacces.path).toMatch(/\/a\/tool$/);
    expect(enoent).toMatchObject({ code: 'ENOENT', errno: -2, path: 'no-such-tool' });
    expect(ran).toMatch(/^right \/tmp\/procctl-execvp-.*\/b\/tool$/);
    fs.rmSync(ran.slice('right '.length).replace(/\/b\/tool$/, ''), { recursive: true, force: true });
  });

  it('an env array with duplicate keys keeps the last: execvp searches that PATH and the program sees only it', async () => {
    const r = await fixture('execvp-dup-path');
    const [report, ran] = r.stdout.trim().split('\n');
    const { dir } = JSON.parse(report);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(ran).toBe(`second ${dir}/second`);
  });
});

describe('failures: a clear error and the process goes on as before', () => {
  it('ENOENT, EACCES, ENOEXEC, E2BIG, NUL bytes, bad fds and cwd: errors, state restored', async () => {
    const r = await fixture('errors');
    expect(r.code).toBe(0);
    const { results, before, after, alive: stillAlive } = JSON.parse(r.stdout);
    expect(stillAlive).toBe(true);
    for (const [code, errno] of [['ENOENT', -2], ['EACCES', -13], ['ENOEXEC', -8], ['E2BIG', -7]] as const) {
      expect(results[code]).toMatchObject({ name: 'SystemError', isSystemError: true, code, errno, syscall: 'execve', stage: 'execve' });
      expect(results[code].message).toMatch(new RegExp(`^${code}: .*, execve '/`));
    }
    expect(results.ENOENT.path).toMatch(/\/missing$/);
    expect(results.E2BIG.path).toBe('/bin/true');
    for (const k of ['NUL', 'NULfile', 'NULenv']) {
      expect(results[k]).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
      expect(results[k].message).toContain('without null bytes');
    }
    expect(results.badFd).toMatchObject({ code: 'EBADF', syscall: 'fcntl', stage: 'inheritFds' });
    expect(results.badCwd).toMatchObject({ code: 'ENOENT', syscall: 'chdir', stage: 'chdir' });
    expect(results.unknownOption).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    // Every flag, disposition, mask, umask and cwd is back (the failed calls changed them all).
    expect(after).toEqual(before);
    expect(before.SigIgn).toBe('0000000001001000');
  });

  it('a server keeps serving after a failed exec, with its state restored', async () => {
    const s = start(path.join(FIXTURES, FIXTURE), ['server']);
    const { port, pid } = (await s.json(0)) as { port: number; pid: number };
    const fdsBefore = openFds(pid).size; // before any connection
    expect((await httpGet(port, '/')).body).toBe(`ok ${pid}`);
    const failed = JSON.parse((await httpGet(port, '/exec')).body);
    expect(failed.r).toMatchObject({ code: 'ENOENT', syscall: 'execve', path: '/nonexistent/program' });
    expect(failed.after).toEqual(failed.before);
    expect(failed.same).toBe(true);
    for (let i = 0; i < 3; i++) expect((await httpGet(port, `/after${i}`)).body).toBe(`ok ${pid}`);
    // No fd leaked by the attempt (connections of the requests above close shortly).
    await waitFor(() => openFds(pid).size === fdsBefore, 5000, `fd count back to ${fdsBefore}`);
    expect(zombieChildren(pid)).toEqual([]);
  });

  it('refuses from a worker thread, changing nothing', async () => {
    const r = await fixture('worker');
    const out = JSON.parse(r.stdout);
    for (const call of ['execve', 'execvp', 'reexec']) {
      expect(out.results[call].code).toBe('ERR_WORKER_UNSUPPORTED_OPERATION');
      expect(out.results[call].message).toContain('worker threads');
    }
    expect(out.same).toBe(true);
  });
});

describe('credential drop in place', () => {
  it("user 'nobody' with groups sets all four Uid/Gid fields and Groups", async (ctx) => {
    needsRoot(ctx, 'drops credentials to nobody');
    const s = start(path.join(FIXTURES, FIXTURE), ['credentials', JSON.stringify({ user: 'nobody', groups: ['daemon'] })]);
    const { pid } = (await s.json(0)) as { pid: number };
    await waitFor(() => s.lines.includes('ready'), 10_000, 'ready');
    const nobody = execFileSync('id', ['-u', 'nobody']).toString().trim();
    const nobodyGid = execFileSync('id', ['-g', 'nobody']).toString().trim();
    const daemonGid = execFileSync('getent', ['group', 'daemon']).toString().split(':')[2];
    const st = procStatus(pid); // the same pid, now the exec'd program
    expect(st.Uid.split('\t')).toEqual([nobody, nobody, nobody, nobody]);
    expect(st.Gid.split('\t')).toEqual([nobodyGid, nobodyGid, nobodyGid, nobodyGid]);
    expect(st.Groups.trim()).toBe(daemonGid);
    expect(s.lines).toContain(`Groups:\t${daemonGid} `);
  });

  it("groups: 'init' gives the user's groups from the group database, as `id -G` lists them", async (ctx) => {
    needsRoot(ctx, 'drops credentials to nobody');
    // A user of our own with supplementary groups, so 'init' is not just the primary group.
    const user = 'procctl_exec';
    for (let attempt = 0; ; attempt++) {
      try {
        execFileSync('id', [user], { stdio: 'ignore' });
        break;
      } catch {
        try {
          execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--groups', 'users,games', user], { stdio: 'pipe' });
          break;
        } catch (err) {
          // Another suite's useradd holds the passwd lock: try again shortly.
          if (attempt >= 20) throw err;
          await new Promise((res) => setTimeout(res, 250));
        }
      }
    }
    const ids = execFileSync('id', ['-G', user], { encoding: 'utf8' }).trim().split(/\s+/).map(Number).sort((a, b) => a - b);
    expect(ids.length).toBeGreaterThanOrEqual(3); // primary + users + games
    const s = start(path.join(FIXTURES, FIXTURE), ['credentials', JSON.stringify({ user, groups: 'init' })]);
    const { pid } = (await s.json(0)) as { pid: number };
    await waitFor(() => s.lines.includes('ready'), 10_000, 'ready');
    const st = procStatus(pid);
    const uid = execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim();
    expect(st.Uid.split('\t')).toEqual([uid, uid, uid, uid]);
    expect(st.Gid.split('\t')).toEqual([gid, gid, gid, gid]);
    expect(st.Groups.trim().split(/\s+/).map(Number).sort((a, b) => a - b)).toEqual(ids);
  });

  it("user alone clears root's supplementary groups", async (ctx) => {
    needsRoot(ctx, "clears root's supplementary groups");
    const s = start(path.join(FIXTURES, FIXTURE), ['credentials', JSON.stringify({ user: 'nobody' })]);
    const { pid } = (await s.json(0)) as { pid: number };
    await waitFor(() => s.lines.includes('ready'), 10_000, 'ready');
    expect(procStatus(pid).Groups).toBe('');
  });

  it('parentDeathSignal survives the drop: the exec\'d program dies with its parent', async (ctx) => {
    needsRoot(ctx, 'drops credentials to nobody');
    const r = await fixture('pdeath-parent', [JSON.stringify({ user: 'nobody', parentDeathSignal: 'SIGKILL' })]);
    const { child, output } = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(output).toContain('Uid:\t65534');
    // The parent has exited; `sleep 30` as nobody must be gone at once.
    await waitFor(() => !alive(child), 5000, 'exec\'d program killed by its death signal');
  });

  it('control: without parentDeathSignal the program outlives its parent', async (ctx) => {
    needsRoot(ctx, 'drops credentials to nobody');
    const r = await fixture('pdeath-parent', [JSON.stringify({ user: 'nobody' })]);
    const { child } = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    await new Promise((res) => setTimeout(res, 500));
    expect(alive(child)).toBe(true);
    process.kill(child, 'SIGKILL');
  });

  it('a failing credential step names the step; what took effect is listed in unrestored, the rest restored', async (ctx) => {
    needsRealKernel(ctx, QEMU.procStat);
    const r = await fixture('step-fail', [], { uid: 65534, gid: 65534 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.r1).toMatchObject({ name: 'SystemError', code: 'EPERM', syscall: 'setgroups', stage: 'setgroups' });
    expect(out.r1.message).toMatch(/^EPERM: operation not permitted, setgroups/);
    expect(out.r1.message).not.toContain('not undone');
    expect(out.mid).toEqual(out.before); // umask, cwd, signals, fds all back
    expect(out.r2).toMatchObject({ code: 'EPERM', syscall: 'setgroups', stage: 'setgroups' });
    expect(out.r2.message).toContain('already changed and not undone: setsid');
    expect(out.unrestored).toEqual(['setsid']);
    expect(out.sid).toBe(out.pid); // setsid really took effect
    expect(out.after).toEqual(out.before);
    expect(out.before.uid).toBe('65534\t65534\t65534\t65534');
  });

  it('checks the target user can execute the file before any irreversible change', async (ctx) => {
    needsRoot(ctx, 'compares a check as root with the target user nobody');
    const r = await fixture('preflight');
    const out = JSON.parse(r.stdout);
    expect(out.r).toMatchObject({ code: 'EACCES', syscall: 'execve', stage: 'execve' });
    expect(out.r.message).toContain('nothing was changed');
    expect(out.badUser).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(out.after).toEqual(out.before);
    expect(out.after.uid).toBe('0\t0\t0\t0');
  });
});

describe('reexec', () => {
  it('passes a TCP listening socket on: same pid, keeps accepting, nothing else leaks', async () => {
    const s = start(path.join(FIXTURES, 'exec-reexec.cjs'), []);
    const gen1 = (await s.json(0)) as { pid: number; port: number };
    expect(await tcpRead(gen1.port)).toBe(`gen1 ${gen1.pid}\n`);
    s.child.kill('SIGHUP');
    // Connect at once: the socket may be between programs; the kernel queues the connection.
    const during = tcpRead(gen1.port);
    const gen2 = (await s.json(1)) as { pid: number; port: number; inherited: number[] };
    expect(gen2.pid).toBe(gen1.pid);
    expect(gen2.port).toBe(gen1.port);
    expect(gen2.inherited).toHaveLength(1);
    // Served, not dropped: by gen1 if it accepted before handling SIGHUP, else by gen2 from the backlog.
    expect(await during).toMatch(new RegExp(`^gen[12] ${gen1.pid}\n$`));
    expect(await tcpRead(gen1.port)).toBe(`gen2 ${gen1.pid}\n`);
    // The inherited fd is the listening socket itself.
    expect(openFds(gen1.pid).get(gen2.inherited[0])).toMatch(/^socket:/);
  });
});

describe('examples/self-update.mjs', () => {
  it('re-execs on SIGHUP without dropping the request in flight or the one waiting', async () => {
    const s = start(path.join(ROOT, 'examples', 'self-update.mjs'), []);
    const ready = (await s.json(0)) as { port: number; pid: number; generation: number };
    expect(ready.generation).toBe(1);
    // In flight across the SIGHUP: sent, and its headers back (so generation 1
    // accepted it) before the signal; the body comes 800 ms later.
    let accepted = false;
    const slow = httpGet(ready.port, '/?delay=800', () => (accepted = true));
    await waitFor(() => accepted, 10_000, 'slow request accepted by generation 1');
    s.child.kill('SIGHUP');
    await waitFor(() => s.lines.some((l) => l.includes('"updating"')), 5000, 'update started');
    const waiting = httpGet(ready.port, '/'); // Node stopped accepting: waits in the backlog
    const [a, b] = await Promise.all([slow, waiting]);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ pid: ready.pid, generation: 1 });
    expect(b.status).toBe(200);
    expect(JSON.parse(b.body)).toEqual({ pid: ready.pid, generation: 2 });
    const gen2 = s.lines.map((l) => JSON.parse(l)).find((l) => l.ready && l.generation === 2);
    expect(gen2).toMatchObject({ pid: ready.pid, port: ready.port });
  });
});

describe('fallback (PROCCTL_PLATFORM=win32): spawn, forward signals, exit with its status', () => {
  const env = { ...process.env, PROCCTL_PLATFORM: 'win32' };

  it('exits with the program\'s exit code, output passed through', async () => {
    const r = await runFixture('exec-fallback.cjs', ['exit'], { env });
    expect(r.stdout).toContain('"execve":false');
    expect(r.stdout).toContain('from child');
    expect(r.code).toBe(7);
    expect(r.stdout).not.toContain('exit-handler-ran');
  });

  it('exits with 128+n when a signal ends the program', async () => {
    const r = await runFixture('exec-fallback.cjs', ['signal'], { env });
    expect(r.code).toBe(128 + 9);
  });

  it('forwards SIGTERM to the program', async () => {
    const s = start(path.join(FIXTURES, 'exec-fallback.cjs'), ['forward'], env);
    await waitFor(() => s.lines.includes('ready'), 10_000, 'child ready');
    s.child.kill('SIGTERM');
    // 'close', not 'exit': the program's last line may still be in the pipe when the process exits.
    const code = await new Promise<number | null>((res) => s.child.on('close', (c) => res(c)));
    expect(s.lines).toContain('child got TERM');
    expect(code).toBe(3);
  });

  it('reports ENOENT/EACCES synchronously and refuses native-only options with ENOSYS', async () => {
    const r = await runFixture('exec-fallback.cjs', ['errors'], { env });
    const out = JSON.parse(r.stdout);
    expect(out.enoent).toMatchObject({ code: 'ENOENT', syscall: 'execve' });
    expect(out.eacces).toMatchObject({ code: 'EACCES', syscall: 'execve' });
    expect(out.user).toMatchObject({ code: 'ENOSYS' });
    expect(out.user.message).toContain('options.user');
    expect(r.code).toBe(0);
  });
});
