// procctl.spawn: process attributes asserted from /proc/<pid>/{status,stat,limits,fd}
// of the running child (as root). The spawns here change nothing in the test
// process itself; scenarios that count this process's fds/zombies, die on
// purpose or run as another user are in spawn-process.test.ts (fixtures).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { procStat, procStatus, waitFor, alive, zombieChildren, needsRoot, needsRealKernel, QEMU } from './helpers';

type Procctl = typeof import('../lib/index');
const req = createRequire(import.meta.url);
const p: Procctl = req('../dist/index.js');
const children: typeof import('../lib/children') = req('../dist/children.js');

/**
 * The child's fd numbers once it is idle: CLONE_VFORK wakes the parent at exec's
 * mm switch, a moment before the kernel closes the close-on-exec fds, and the new
 * program's start-up (ld.so, locale files) opens and closes fds of its own. Waits
 * (bounded) until the child sleeps and two listings 30 ms apart agree; a leaked
 * fd never goes away, so the assertion on the result still catches it.
 */
async function idleFds(pid: number): Promise<number[]> {
  const list = () => fs.readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  let prev = '';
  for (let i = 0; i < 100; i++) {
    const now = JSON.stringify(list());
    if (procStat(pid)[3] === 'S' && now === prev) break;
    prev = now;
    await new Promise((r) => setTimeout(r, 30));
  }
  return list();
}

const live: Array<InstanceType<Procctl['Subprocess']>> = [];
afterEach(async () => {
  for (const c of live.splice(0)) {
    c.kill('SIGKILL');
    await c.exited;
  }
});

function start(file: string, args: string[], opts: Parameters<Procctl['spawn']>[2] = {}) {
  const c = p.spawn(file, args, { stdio: 'ignore', ...opts });
  live.push(c);
  return c;
}

const gidOf = (name: string): number => Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);
const TEST_USER = 'procctl_spawn';

beforeAll(() => {
  // A user with supplementary groups of its own, so 'init' is not trivially [primary].
  try {
    execFileSync('id', [TEST_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--groups', 'users,games', TEST_USER]);
  }
});

describe('spawn: credentials', () => {
  it("user 'nobody' with groups ['users','games']: Uid, Gid and Groups exactly", (ctx) => {
    needsRoot(ctx, 'spawns as nobody');
    const c = start('sleep', ['100'], { user: 'nobody', groups: ['users', 'games'] });
    const st = procStatus(c.pid);
    expect(st.Uid.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(st.Gid.split(/\s+/)).toEqual(Array(4).fill(String(gidOf('nogroup'))));
    expect(st.Groups.split(/\s+/).map(Number).sort((a, b) => a - b)).toEqual([gidOf('games'), gidOf('users')].sort((a, b) => a - b));
  });

  it("user alone clears root's supplementary groups", async (ctx) => {
    needsRoot(ctx, "clears root's supplementary groups");
    // A root spawner that has supplementary groups (set by procctl itself), whose
    // child drops to nobody without naming groups: none may leak.
    const r = await p.run(process.execPath, [path.join(__dirname, 'fixtures', 'spawn.cjs'), 'groupsLeak'], { groups: ['users', 'games'] });
    expect(r.stderr).toBe('');
    const rep = JSON.parse(r.stdout);
    expect(rep.spawner.Uid.split(/\s+/)[0]).toBe('0');
    expect(rep.spawner.Groups.split(/\s+/).map(Number).sort()).toEqual([gidOf('games'), gidOf('users')].sort());
    expect(rep.child.Uid.split(/\s+/)).toEqual(['65534', '65534', '65534', '65534']);
    expect(rep.child.Groups).toBe('');
  });

  it("groups 'init' matches `id -G`", (ctx) => {
    needsRoot(ctx, 'spawns as nobody');
    for (const user of ['nobody', TEST_USER]) {
      const want = execFileSync('id', ['-G', user], { encoding: 'utf8' }).trim().split(/\s+/).map(Number).sort((a, b) => a - b);
      const c = start('sleep', ['100'], { user, groups: 'init' });
      const got = procStatus(c.pid).Groups.split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b);
      expect(got).toEqual(want);
    }
    // The test user really has more than its primary group.
    expect(execFileSync('id', ['-G', TEST_USER], { encoding: 'utf8' }).trim().split(/\s+/).length).toBe(3);
  });

  it('group alone sets the gid and keeps the uid', (ctx) => {
    needsRoot(ctx, 'sets another gid');
    const c = start('sleep', ['100'], { group: 'games', groups: [] });
    const st = procStatus(c.pid);
    expect(st.Uid.split(/\s+/)).toEqual(['0', '0', '0', '0']);
    expect(st.Gid.split(/\s+/)).toEqual(Array(4).fill(String(gidOf('games'))));
  });

  it('unknown user or group: an argument error before any fork', () => {
    const kidsBefore = fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8');
    expect(() => p.spawn('/bin/true', [], { user: 'no-such-user-xyz' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/passwd database. Received 'no-such-user-xyz'/) }),
    );
    expect(() => p.spawn('/bin/true', [], { user: 'nobody', groups: ['users', 'no-such-group-xyz'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/no-such-group-xyz/) }),
    );
    expect(() => p.spawn('/bin/true', [], { group: 'no-such-group-xyz' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8')).toBe(kidsBefore);
  });
});

describe('spawn: session, group, limits, umask', () => {
  it('setsid: the child leads a new session and group', () => {
    const c = start('sleep', ['100'], { setsid: true });
    const st = procStat(c.pid);
    expect(Number(st[6])).toBe(c.pid);
    expect(Number(st[5])).toBe(c.pid);
    expect(c.pgid).toBe(c.pid);
  });

  it('processGroup 0 makes a new group in our session; processGroup N joins it', (ctx) => {
    needsRealKernel(ctx, QEMU.procStat);
    const leader = start('sleep', ['100'], { processGroup: 0 });
    const st = procStat(leader.pid);
    expect(Number(st[5])).toBe(leader.pid);
    expect(Number(st[6])).toBe(Number(procStat(process.pid)[6]));
    const member = start('sleep', ['100'], { processGroup: leader.pid });
    expect(Number(procStat(member.pid)[5])).toBe(leader.pid);
    expect(member.pgid).toBe(leader.pid);
  });

  it('setsid and processGroup together are rejected', () => {
    expect(() => p.spawn('/bin/true', [], { setsid: true, processGroup: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/setsid/) }),
    );
  });

  it('rlimits and umask as set', () => {
    const c = start('sleep', ['100'], { rlimits: { nofile: [100, 200], core: 0, cpu: [Infinity, Infinity] }, umask: 0o027 });
    const limits = fs.readFileSync(`/proc/${c.pid}/limits`, 'utf8');
    expect(limits).toMatch(/^Max open files\s+100\s+200\s+files/m);
    expect(limits).toMatch(/^Max core file size\s+0\s+0\s+bytes/m);
    expect(limits).toMatch(/^Max cpu time\s+unlimited\s+unlimited\s+seconds/m);
    expect(procStatus(c.pid).Umask).toBe('0027');
  });

  it('rejects unknown rlimit names and soft > hard', () => {
    expect(() => p.spawn('/bin/true', [], { rlimits: { files: 10 } as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/not a resource limit.*nofile/) }),
    );
    expect(() => p.spawn('/bin/true', [], { rlimits: { nofile: [20, 10] } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', [], { rlimits: { nofile: -1 } })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('noNewPrivs sets NoNewPrivs in the child only', () => {
    const c = start('sleep', ['100'], { noNewPrivs: true });
    expect(procStatus(c.pid).NoNewPrivs).toBe('1');
    expect(procStatus('self').NoNewPrivs).toBe('0');
  });

  it('parentDeathSignal is armed in the child (after a credential drop too)', (ctx) => {
    needsRoot(ctx, 'spawns as nobody');
    const c = start('sleep', ['100'], { parentDeathSignal: 'SIGTERM', user: 'nobody' });
    // /proc does not show pdeathsig; spawn-process.test.ts kills the parent. Here:
    // the child is alive, dropped, and was not killed by the getppid() check.
    expect(procStatus(c.pid).Uid.split(/\s+/)[0]).toBe('65534');
    expect(alive(c.pid)).toBe(true);
  });
});

describe('spawn: fds', () => {
  it('a listening socket passed as fd 3 serves connections in the child', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const code = `const s=require('net').createServer(c=>c.end('hello from '+process.pid)).listen({fd:3});`;
    const c = start(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', server] });
    server.close();  // our copy closes; the child's fd 3 keeps listening
    const reply = await waitFor(async () => {
      try {
        return await new Promise<string>((resolve, reject) => {
          const sock = net.connect(port, '127.0.0.1');
          let data = '';
          sock.on('data', (d) => (data += d));
          sock.on('end', () => resolve(data));
          sock.on('error', reject);
        });
      } catch {
        return '';
      }
    });
    expect(reply).toBe(`hello from ${c.pid}`);
  });

  it('a socketpair end as fd 3 and nothing else open in the child', async () => {
    const child = start('sh', ['-c', 'echo ping >&3; ls /proc/self/fd >&3'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    const sock = child.stdio[3]!;
    let data = '';
    sock.on('data', (d) => (data += d));
    await new Promise((r) => sock.on('close', r));
    const lines = data.trim().split('\n');
    expect(lines[0]).toBe('ping');
    // ls opens one fd of its own for the directory: 0,1,2,3 plus that one.
    expect(lines.slice(1).map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
  });

  it('only the named fds reach the child; ignore is /dev/null', async () => {
    const extra = fs.openSync(os.tmpdir(), 'r');  // an fd of ours the child must not get
    try {
      const c = start('sleep', ['100'], { stdio: ['ignore', 'inherit', 'ignore'] });
      expect(await idleFds(c.pid)).toEqual([0, 1, 2]);
      expect(fs.readlinkSync(`/proc/${c.pid}/fd/0`)).toBe('/dev/null');
      expect(fs.readlinkSync(`/proc/${c.pid}/fd/2`)).toBe('/dev/null');
      expect(fs.readlinkSync(`/proc/${c.pid}/fd/1`)).toBe(fs.readlinkSync('/proc/self/fd/1'));
    } finally {
      fs.closeSync(extra);
    }
  });

  it('pipes: stdin -> cat -> stdout, and every parent end closes', async () => {
    const before = fs.readdirSync('/proc/self/fd').length;
    const c = p.spawn('cat', []);
    let out = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stdin!.end('through the pipe\n');
    const st = await c.exited;
    await waitFor(() => c.stdout!.destroyed && c.stderr!.destroyed && c.stdin!.destroyed, 5000, 'streams closed');
    expect(st.exitCode).toBe(0);
    expect(out).toBe('through the pipe\n');
    expect(fs.readdirSync('/proc/self/fd').length).toBe(before);
  });
});

describe('spawn: Subprocess', () => {
  it('exited resolves the decoded status with rusage; exit event; argv0; env; cwd', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-'));
    const r = await p.run('sh', ['-c', 'echo "$0 $FOO $(pwd)"; exit 5'], { argv0: 'myname', env: { FOO: 'bar', PATH: process.env.PATH }, cwd: dir });
    expect(r.stdout).toBe(`myname bar ${fs.realpathSync(dir)}\n`);
    expect(r.status).toMatchObject({ exitCode: 5, signal: null, shellCode: 5, coreDumped: false });
    expect(Object.keys(r.status.rusage).sort()).toEqual([
      'involuntaryContextSwitches', 'majorPageFault', 'maxRSS', 'minorPageFault',
      'systemCPUTime', 'userCPUTime', 'voluntaryContextSwitches',
    ]);
    const c = p.spawn('sh', ['-c', 'exit 3'], { stdio: 'ignore' });
    const viaEvent = await new Promise((resolve) => c.on('exit', resolve));
    expect(viaEvent).toBe(await c.exited);
    expect(c.exitStatus).toMatchObject({ exitCode: 3, pid: c.pid });
    fs.rmSync(dir, { recursive: true });
  });

  it('kill() goes through the pidfd; returns false once reaped', async (ctx) => {
    needsRealKernel(ctx, QEMU.clone3);
    const c = p.spawn('sleep', ['100'], { stdio: 'ignore' });
    expect(c.engine).toBe('clone3');
    expect(children.ownerOf(c.pid)).toBe('procctl');
    expect(c.kill('SIGUSR1')).toBe(true);
    const st = await c.exited;
    expect(st).toMatchObject({ signal: 'SIGUSR1', exitCode: null, shellCode: 128 + os.constants.signals.SIGUSR1 });
    expect(children.ownerOf(c.pid)).toBeUndefined();
    expect(c.kill('SIGKILL')).toBe(false);
  });

  it('killGroup signals the whole group', async () => {
    const c = p.spawn('sh', ['-c', 'sleep 100 & sleep 100 & wait'], { stdio: 'ignore', setsid: true });
    await waitFor(() => fs.readFileSync(`/proc/${c.pid}/task/${c.pid}/children`, 'utf8').trim().split(/\s+/).length === 2);
    const kids = fs.readFileSync(`/proc/${c.pid}/task/${c.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    expect(c.killGroup('SIGTERM')).toBe(true);
    expect((await c.exited).signal).toBe('SIGTERM');
    await waitFor(() => kids.every((k) => !alive(k) || procStat(k)[3] === 'Z'), 5000, 'group members gone');
  });

  it('AbortSignal: killSignal, then SIGKILL after killTimeout for a child ignoring SIGTERM', async () => {
    const ac = new AbortController();
    const c = p.spawn('sh', ['-c', "trap '' TERM; exec sleep 100"], { stdio: 'ignore', signal: ac.signal, killTimeout: 300 });
    await waitFor(() => fs.readFileSync(`/proc/${c.pid}/comm`, 'utf8').trim() === 'sleep');
    const t0 = Date.now();
    ac.abort();
    const st = await c.exited;
    expect(st.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    const ac2 = new AbortController();
    const c2 = p.spawn('sleep', ['100'], { stdio: 'ignore', signal: ac2.signal, killSignal: 'SIGINT' });
    ac2.abort();
    expect((await c2.exited).signal).toBe('SIGINT');

    const ac3 = new AbortController();
    ac3.abort();
    expect(() => p.spawn('/bin/true', [], { signal: ac3.signal })).toThrow(expect.objectContaining({ name: 'AbortError', code: 'ABORT_ERR' }));
  });

  it('killTimeout SIGKILLs the whole group when the child leads one', async () => {
    const ac = new AbortController();
    const c = p.spawn('sh', ['-c', "trap '' TERM; sleep 100 & wait"], { stdio: 'ignore', setsid: true, signal: ac.signal, killTimeout: 200 });
    const kidsOf = () => fs.readFileSync(`/proc/${c.pid}/task/${c.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    await waitFor(() => kidsOf().length === 1);
    const [grandchild] = kidsOf();
    ac.abort();
    expect((await c.exited).signal).toBe('SIGKILL');
    await waitFor(() => !alive(grandchild) || procStat(grandchild)[3] === 'Z', 5000, 'grandchild killed with the group');
  });

  it('asyncDispose kills and reaps', async () => {
    const c = p.spawn('sleep', ['100'], { stdio: 'ignore' });
    await c[Symbol.asyncDispose]();
    expect(c.exitStatus).toMatchObject({ signal: 'SIGTERM' });
    expect(alive(c.pid)).toBe(false);
  });

  it('the default env is the live process.env (set and deleted keys)', async () => {
    process.env.PROCCTL_SPAWN_T1 = 'one';
    process.env.PROCCTL_SPAWN_T2 = 'two';
    delete process.env.PROCCTL_SPAWN_T2;
    try {
      const r = await p.run('sh', ['-c', 'echo "$PROCCTL_SPAWN_T1/${PROCCTL_SPAWN_T2-unset}"']);
      expect(r.stdout).toBe('one/unset\n');
      const r2 = await p.run('sh', ['-c', 'echo "$PROCCTL_SPAWN_T1"'], { env: process.env });
      expect(r2.stdout).toBe('one\n');
      const r3 = await p.run('sh', ['-c', 'echo "${PROCCTL_SPAWN_T1-unset}"'], { env: ['PATH=/usr/bin:/bin'] });
      expect(r3.stdout).toBe('unset\n');
    } finally {
      delete process.env.PROCCTL_SPAWN_T1;
    }
  });

  it('unref() lets the spawner exit while the child runs', async () => {
    const t0 = Date.now();
    const r = await p.run(process.execPath, ['-e', `
      const p = require(${JSON.stringify(path.resolve(__dirname, '../dist/index.js'))});
      const c = p.spawn('sleep', ['30'], { stdio: 'ignore' }).unref();
      console.log(c.pid);`]);
    const pid = Number(r.stdout);
    expect(r.status.exitCode).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(alive(pid)).toBe(true);  // orphaned, still sleeping
    process.kill(pid, 'SIGKILL');
  });

  it('PATH search: the first candidate that exists runs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-'));
    fs.writeFileSync(path.join(dir, 'hello-procctl'), '#!/bin/sh\necho found\n', { mode: 0o755 });
    const r = await p.run('hello-procctl', [], { env: { PATH: `/nonexistent:${dir}:/bin` } });
    expect(r.stdout).toBe('found\n');
    fs.rmSync(dir, { recursive: true });
  });

  it('env array with duplicate keys: the last is kept, searched and all the child sees; /bin:/usr/bin without a PATH', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-'));
    for (const sub of ['first', 'second']) {
      fs.mkdirSync(path.join(dir, sub));
      fs.writeFileSync(path.join(dir, sub, 'tool'), `#!/bin/sh\necho "${sub} $PATH"\n`, { mode: 0o755 });
    }
    try {
      const r = await p.run('tool', [], { env: [`PATH=${dir}/first`, `PATH=${dir}/second`] });
      expect(r.stdout).toBe(`second ${dir}/second\n`);
      const env = await p.run('/usr/bin/env', [], { env: ['A=1', `PATH=${dir}/first`, 'B=2', 'A=3', `PATH=${dir}/second`] });
      expect(env.stdout).toBe(`B=2\nA=3\nPATH=${dir}/second\n`);
      const noPath = await p.run('env', [], { env: ['A=1'] });
      expect(noPath.stdout).toBe('A=1\n');  // found in /bin:/usr/bin; the child gets no PATH
      await expect(p.run('tool', [], { env: [`HOME=${dir}`] })).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe('spawn: controllingTerminal arguments', () => {
  it('needs setsid, an integer and a child fd that stdio sets; rejected before any fork or fd', () => {
    const kidsBefore = fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8');
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const bad = (opts: Record<string, unknown>, code: string, msg: RegExp) =>
      expect(() => p.spawn('/bin/true', [], opts as never)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(msg) }));
    bad({ controllingTerminal: 0 }, 'ERR_INVALID_ARG_VALUE', /needs options\.setsid/);
    bad({ controllingTerminal: 0, setsid: false }, 'ERR_INVALID_ARG_VALUE', /needs options\.setsid/);
    bad({ controllingTerminal: 0, processGroup: 0 }, 'ERR_INVALID_ARG_VALUE', /setsid/);
    bad({ controllingTerminal: -1, setsid: true }, 'ERR_OUT_OF_RANGE', /controllingTerminal/);
    bad({ controllingTerminal: 1.5, setsid: true }, 'ERR_OUT_OF_RANGE', /controllingTerminal/);
    bad({ controllingTerminal: '0', setsid: true }, 'ERR_INVALID_ARG_TYPE', /controllingTerminal/);
    bad({ controllingTerminal: 3, setsid: true }, 'ERR_INVALID_ARG_VALUE', /child fd that options\.stdio does not leave closed/);
    bad({ controllingTerminal: 3, setsid: true, stdio: ['pipe', 'pipe', 'pipe', null] }, 'ERR_INVALID_ARG_VALUE', /does not leave closed/);
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    expect(fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8')).toBe(kidsBefore);
  });

  it('a pipe is not a terminal: ENOTTY at stage tiocsctty, the child reaped, its pipes closed', () => {
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    let err: any;
    try {
      p.spawn('/bin/true', [], { setsid: true, controllingTerminal: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'SystemError', code: 'ENOTTY', errno: -25, syscall: 'tiocsctty', stage: 'tiocsctty', path: '/bin/true' });
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    expect(zombieChildren(process.pid)).toEqual([]);
  });
});

describe('spawn: foregroundTerminal arguments', () => {
  it('needs processGroup and a child fd that stdio sets; a pipe gives ENOTTY at stage tcsetpgrp', () => {
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const bad = (opts: Record<string, unknown>, code: string, msg: RegExp) =>
      expect(() => p.spawn('/bin/true', [], opts as never)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(msg) }));
    bad({ foregroundTerminal: 0 }, 'ERR_INVALID_ARG_VALUE', /needs options\.processGroup/);
    bad({ foregroundTerminal: 0, setsid: true }, 'ERR_INVALID_ARG_VALUE', /needs options\.processGroup/);
    bad({ foregroundTerminal: -2, processGroup: 0 }, 'ERR_OUT_OF_RANGE', /foregroundTerminal/);
    bad({ foregroundTerminal: 5, processGroup: 0 }, 'ERR_INVALID_ARG_VALUE', /does not leave closed/);
    let err: any;
    try {
      p.spawn('/bin/true', [], { processGroup: 0, foregroundTerminal: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'SystemError', code: 'ENOTTY', stage: 'tcsetpgrp', path: '/bin/true' });
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    expect(zombieChildren(process.pid)).toEqual([]);
  });
});

describe('spawn: bad input', () => {
  it('throws Node-style argument errors', () => {
    expect(() => p.spawn(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p.spawn('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', ['a\u0000b'])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', [], { bogus: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', [], { umask: 0o1000 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => p.spawn('/bin/true', [], { stdio: ['ignore', 'bogus' as never] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', [], { parentDeathSignal: 'SIGNOPE' as never })).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
    expect(() => p.spawn('/bin/true', [], { signal: {} as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p.spawn('/bin/true', [], { env: { A: 'x\u0000' } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('run: errors', () => {
  it('throws argument errors synchronously, rejects when the child cannot start', async () => {
    expect(() => p.run(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p.run('/bin/true', [], { umask: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => p.run('/bin/true', [], 'x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    await expect(p.run('/nonexistent/procctl-x')).rejects.toMatchObject({ code: 'ENOENT', stage: 'exec' });
    const ok = await p.run('sh', ['-c', 'echo out; echo err >&2; exit 4']);
    expect(ok).toMatchObject({ stdout: 'out\n', stderr: 'err\n', status: { exitCode: 4 } });
  });
});
