// killTree: trees built by fixtures (test/fixtures/tree.cjs, a subreaper that
// reaps what the trees orphan), asserted from outside through /proc and ps.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES, ROOT, alive, interactiveFixture, killLiveFixtures, procStat, procStatus, runFixture, waitFor } from './helpers';

const req = createRequire(import.meta.url);
const p: typeof import('../lib/index') = req('../dist/index.js');
const cgroup: typeof import('../lib/cgroup') = req('../dist/cgroup.js');
const proc = req('./fixtures/proc.cjs') as { procState(pid: number): string; procStat(pid: number): string[] | null };
const { procState } = proc;

/**
 * The storms' users: uids with no passwd entry, their own to this test process,
 * and a new one for each storm. RLIMIT_NPROC counts every process of a uid on
 * the machine, zombies included, so two runs of this suite at once (two
 * checkouts, CI beside a developer) must not share one, and neither may two
 * storms: what one leaves (a zombie that a non-reaping PID 1 holds on to) must
 * not starve the next.
 */
const STORM_UID_BASE = 200_000 + (process.pid % 10_000) * 10;
const stormUids: number[] = [];
function stormUid(): number {
  const uid = STORM_UID_BASE + stormUids.length;
  stormUids.push(uid);
  return uid;
}
const started: ChildProcess[] = [];
const madeCgroups: string[] = [];

const interactive = interactiveFixture;

const gone = (pid: number): boolean => procState(pid) === 'gone';

/** pids of live (non-zombie) processes whose real uid is `uid`, from /proc. */
function processesOf(uid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = fs.readFileSync(`/proc/${name}/status`, 'utf8');
      const u = /^Uid:\s+(\d+)/m.exec(status);
      const st = /^State:\s+(\S)/m.exec(status);
      if (u && Number(u[1]) === uid && st && st[1] !== 'Z') out.push(Number(name));
    } catch {
      // exited while listing
    }
  }
  return out;
}

/** Whether `pid` is in the kernel's exit path (PF_EXITING, 0x4, in the flags of /proc/<pid>/stat), or already gone. */
function exiting(pid: number): boolean {
  const fields = proc.procStat(pid);
  return fields === null || (Number(fields[9]) & 0x4) !== 0;
}

/** What a process that should be gone is doing: state, parent, pending and blocked signals, command. */
function describeProcess(pid: number): string {
  try {
    const st = procStatus(pid);
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return `${pid} (${cmd}) State ${st.State} PPid ${st.PPid} SigPnd ${st.SigPnd} ShdPnd ${st.ShdPnd} SigBlk ${st.SigBlk} SigIgn ${st.SigIgn} SigCgt ${st.SigCgt}`;
  } catch {
    return `${pid} (gone)`;
  }
}

/** Waits until `uid` has no live process; on timeout the error lists the survivors as describeProcess shows them. */
async function expectNoProcessOf(uid: number, timeout: number): Promise<void> {
  try {
    await waitFor(() => processesOf(uid).length === 0, timeout, `no process of uid ${uid}`);
  } catch (e) {
    const left = processesOf(uid);
    // The tops of what is left (a parent that is not one of them), and those parents.
    const parentOf = (pid: number) => Number(proc.procStat(pid)?.[4] ?? 0); // 0 once gone: the report must not throw
    const tops = left.filter((pid) => !left.includes(parentOf(pid)));
    const parents = [...new Set(tops.map(parentOf))];
    throw new Error(
      `${(e as Error).message}: ${left.length} left; tops ${tops.map(describeProcess).join('; ')}; their parents ${parents.map(describeProcess).join('; ')}; this test process ${process.pid}`,
    );
  }
}

/** Whether this host lets us create a cgroup v2 (the test then checks the error where it does not). */
function cgroupWritable(): { ok: true } | { ok: false; error: Error & { code?: string } } {
  try {
    const dir = cgroup.createCgroup();
    cgroup.removeCgroup(dir);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: e as Error };
  }
}

/**
 * The 'nocgroup' scenario in a private mount namespace, after `prepare` (a
 * shell command) has hidden cgroup v2 there.
 */
function nocgroupFixture(prepare: string, env: Record<string, string>): Promise<Record<string, any>> {
  const script = `${prepare} && exec "$NODE" "$FIXTURE" nocgroup "$DIR" "$PID"`;
  return new Promise((resolve, reject) => {
    const c = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
      cwd: ROOT,
      env: { ...process.env, ...env, NODE: process.execPath, FIXTURE: path.join(FIXTURES, 'tree.cjs') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout!.on('data', (d) => (out += d));
    c.stderr!.on('data', (d) => (err += d));
    c.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`unshare fixture exited ${code}: ${err}`))));
  });
}

function expectCgroupError(e: Record<string, any>): void {
  expect(e.name).toBe('SystemError');
  expect(e.stage).toBe('cgroup');
  expect(e.syscall).toBe('cgroup');
  expect(typeof e.code).toBe('string');
  expect(e.errno).toBeLessThan(0);
}

afterEach(async () => {
  // Anything of a storm user that a failed test left behind (ours only: the uids
  // are this run's), while the fixture, their subreaper, is still there to reap it.
  for (const uid of stormUids) {
    for (const pid of processesOf(uid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  killLiveFixtures();
  for (const c of started.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  for (const dir of madeCgroups.splice(0)) {
    for (const pid of cgroup.cgroupProcs(dir)) process.kill(pid, 'SIGKILL');
    await cgroup.waitCgroupEvent(dir, 'populated', 0, 10_000);
    cgroup.removeCgroup(dir);
  }
});

afterAll(async () => {
  for (const uid of stormUids) await expectNoProcessOf(uid, 10_000);
});

describe('killTree: the walk', () => {
  it('reaches a setsid grandchild, its backgrounded child, a job-stopped process and another process group', async () => {
    const f = interactive('tree.cjs', ['walk']);
    const { pids } = await f.next();
    const root = procStat(pids.root);
    // The shape, seen from outside: a new session, a new group, a stopped job.
    expect(procStat(pids.setsid)[6]).toBe(String(pids.setsid));
    expect(procStat(pids.setsid)[6]).not.toBe(root[6]);
    expect(procStat(pids.background)[4]).toBe(String(pids.setsid));
    expect(procStat(pids.background)[6]).toBe(String(pids.setsid));
    expect(procStat(pids.group)[5]).toBe(String(pids.group));
    expect(procStat(pids.group)[5]).not.toBe(root[5]);
    expect(procStat(pids.stopped)[3]).toBe('T');
    f.send('SIGTERM');
    const { count } = await f.next();
    expect(count).toBe(5);
    // The job-stopped sleep was continued after SIGTERM, so it ended too.
    expect(await f.next()).toEqual({ allGone: true });
    for (const pid of Object.values(pids) as number[]) expect(gone(pid)).toBe(true);
    expect((await f.exited).code).toBe(0);
  });

  it('SIGSTOP leaves the whole tree stopped (no SIGCONT after a stop signal); SIGCONT resumes it', async () => {
    const tree = spawn('sh', ['-c', 'setsid sleep 1000 & sleep 1000 & wait'], { stdio: 'ignore' });
    started.push(tree);
    const all = await waitFor(() => {
      const kids = fs.readFileSync(`/proc/${tree.pid}/task/${tree.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      return kids.length === 2 && kids.every((k) => procStat(k)[2] === 'sleep') ? [tree.pid!, ...kids] : null;
    }, 10_000, 'the tree');
    expect(await p.killTree(tree.pid!, 'SIGSTOP')).toBe(3);
    expect(all.map(procState)).toEqual(['T', 'T', 'T']);
    expect(await p.killTree(tree.pid!, 'SIGCONT')).toBe(3);
    await waitFor(() => all.every((pid) => procState(pid) === 'S'), 10_000, 'the tree to run again');
    expect(await p.killTree(tree.pid!, 'SIGKILL')).toBe(3);
  });

  it('with almost no fds left (nofile 40, 149 processes): pidfds run out, start times take over, the tree still ends whole', async () => {
    const r = await runFixture('tree.cjs', ['fewFds']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.limit).toEqual([40, 40]);
    expect(out.openFds).toBeGreaterThan(10); // so fewer than 30 pidfds fit
    expect(out).toMatchObject({ processes: 149, count: 149 });
  });

  it('a zombie pid counts 0; a live parent counts itself, not its zombie child', async () => {
    const r = await runFixture('tree.cjs', ['zombie']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ zombieCount: 0, parentCount: 1 });
  });

  it(`a fork storm as a dropped user (nproc 100): no process of the user survives`, async () => {
    const uid = stormUid();
    expect(processesOf(uid)).toEqual([]);
    const f = interactive('tree.cjs', ['storm', String(uid), '100', 'SIGTERM']);
    const { root } = await f.next();
    // Saturated: every fork now fails, and every process keeps trying.
    await waitFor(() => processesOf(uid).length >= 100, 30_000, 'the storm to reach its nproc limit');
    expect(processesOf(uid).length).toBe(100);
    f.send('go');
    const { count } = await f.next();
    expect(count).toBe(100);
    expect(gone(root) || procState(root) === 'Z').toBe(true);
    await expectNoProcessOf(uid, 10_000);
    f.send('exit');
    expect((await f.exited).code).toBe(0);
  });

  it('a process stopped while blocking the signal, which forks once continued (as inside glibc fork()): its new child is signalled too', async () => {
    const r = await runFixture('tree.cjs', ['blockedFork']);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ count: 2, escapees: 0 });
  });

  it('EPERM: a caller may not signal another user\'s root, but its own processes below it are signalled and counted', async () => {
    // A root-owned sleep with two children running as nobody, killed by nobody.
    const script = 'setpriv --reuid=65534 --regid=65534 --clear-groups sleep 1000 & setpriv --reuid=65534 --regid=65534 --clear-groups sleep 1000 & exec sleep 1000';
    const tree = spawn('sh', ['-c', script], { stdio: 'ignore' });
    started.push(tree);
    const kids = await waitFor(() => {
      const list = fs.readFileSync(`/proc/${tree.pid}/task/${tree.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      return list.length === 2 && list.every((k) => procStat(k)[2] === 'sleep') ? list : null;
    }, 10_000, 'two nobody sleeps');
    const mixed = await runFixture('tree.cjs', ['foreign', String(tree.pid)], { uid: 65534, gid: 65534 });
    expect(mixed.stderr).toBe('');
    expect(JSON.parse(mixed.stdout)).toEqual({ count: 2 });
    await waitFor(() => kids.every((k) => gone(k) || procState(k) === 'Z'), 10_000, 'the nobody sleeps to end');
    expect(alive(tree.pid!)).toBe(true);
    expect(procState(tree.pid!)).toBe('S'); // refused: never stopped, never signalled

    // Nothing of it the caller's: EPERM, nothing signalled.
    const alone = await runFixture('tree.cjs', ['foreign', String(tree.pid)], { uid: 65534, gid: 65534 });
    expect(JSON.parse(alone.stdout).error).toMatchObject({ name: 'SystemError', code: 'EPERM', syscall: 'kill' });
    expect(procState(tree.pid!)).toBe('S');
  });
});

describe('killTree: with a cgroup', () => {
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    it(`${sig}: a double-forked daemon the walk cannot reach is ended through its cgroup (${sig === 'SIGKILL' ? 'cgroup.kill' : 'freeze, signal, thaw'})`, async () => {
      const f = interactive('tree.cjs', ['daemon', sig]);
      const first = await f.next();
      if (first.cgroupError) {
        console.log(`no writable cgroup v2 on this host (${first.cgroupError.message}): asserting the clear error instead`);
        expectCgroupError(first.cgroupError);
        return;
      }
      const { pids, dir } = first;
      madeCgroups.push(dir);
      expect(first.procs.sort()).toEqual([pids.root, pids.daemon, pids.sleeper].sort());
      expect(procStat(pids.daemon)[6]).toBe(String(pids.daemon)); // its own session
      f.send('walk');
      const walk = await f.next();
      expect(walk.walked).toBe(2); // root sh and its sleep
      expect(walk.daemonAfterWalk).toBe('S'); // the documented limit of the walk
      expect(fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim()).toBe(String(pids.daemon));
      f.send('cgroup');
      const end = await f.next();
      expect(end).toEqual({ viaCgroup: 1, emptied: true, frozen: 0 });
      expect(gone(pids.daemon)).toBe(true);
      expect(await f.next()).toEqual({ removed: true, dir });
      expect(fs.existsSync(dir)).toBe(false);
      madeCgroups.pop();
      expect((await f.exited).code).toBe(0);
    });
  }

  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    it(`${sig}: a fork storm in a cgroup (nproc 48 as a dropped user) leaves nothing`, async () => {
      const uid = stormUid();
      const f = interactive('tree.cjs', ['cgroupStorm', String(uid), '48', sig]);
      const first = await f.next();
      if (first.cgroupError) {
        console.log(`no writable cgroup v2 on this host (${first.cgroupError.message}): asserting the clear error instead`);
        expectCgroupError(first.cgroupError);
        return;
      }
      expect(first, 'the storm spawned in its cgroup').toMatchObject({ root: expect.any(Number), dir: expect.any(String) });
      madeCgroups.push(first.dir);
      await waitFor(() => processesOf(uid).length >= 48, 30_000, 'the storm to reach its nproc limit');
      expect(cgroup.cgroupProcs(first.dir).length).toBe(48);
      f.send('go');
      const end = await f.next();
      expect(end).toEqual({ count: 48, emptied: true, frozen: 0 });
      // An empty cgroup has no process that can still run. The kernel takes a task
      // out of its cgroup in do_exit before the task becomes a zombie, so for a few
      // microseconds one may still be listed; it is then already exiting
      // (PF_EXITING in /proc/<pid>/stat) and must be gone soon after.
      expect(processesOf(uid).filter((pid) => !exiting(pid)).map(describeProcess)).toEqual([]);
      await expectNoProcessOf(uid, 10_000);
      f.send('exit');
      expect(await f.next()).toEqual({ removed: true });
      expect(fs.existsSync(first.dir)).toBe(false);
      madeCgroups.pop();
    });
  }

  it('where no cgroup v2 is writable (private mount namespace: cgroup2 read-only, then unmounted): the clear error, no fallback', async () => {
    const mount = cgroup.cgroup2MountPoint();
    const writable = cgroupWritable();
    if (mount === null || !writable.ok) {
      // Nothing to hide: this host already has no writable cgroup v2.
      console.log('this host has no writable cgroup v2: asserting the clear error directly');
      const r = await runFixture('tree.cjs', ['nocgroup', '/sys/fs/cgroup/procctl-none', String(process.pid)]);
      const res = JSON.parse(r.stdout);
      expectCgroupError(res.create);
      expectCgroupError(res.SIGTERM);
      return;
    }
    // A cgroup on the host, with a sleep in it, that the fixture will see read-only.
    const dir = cgroup.createCgroup();
    madeCgroups.push(dir);
    const sleeper = spawn('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec sleep 1000`], { stdio: 'ignore' });
    started.push(sleeper);
    await waitFor(() => cgroup.cgroupProcs(dir).includes(sleeper.pid!), 10_000, 'the sleeper in its cgroup');

    console.log('no writable cgroup v2 (cgroup2 bind-remounted read-only in a private mount namespace): asserting the clear error');
    const res = await nocgroupFixture('mount -o remount,bind,ro "$MP"', { MP: mount, DIR: dir, PID: String(sleeper.pid) });
    expect(res.created).toBeUndefined();
    expectCgroupError(res.create);
    expect(res.create.code).toBe('EROFS');
    expect(res.create.path.startsWith(`${mount}/`)).toBe(true);
    expectCgroupError(res.SIGTERM);
    expect(res.SIGTERM).toMatchObject({ code: 'EROFS', path: path.join(dir, 'cgroup.freeze') });
    expectCgroupError(res.SIGKILL);
    expect(res.SIGKILL).toMatchObject({ code: 'EROFS', path: path.join(dir, 'cgroup.kill') });
    expect(res.stateAfter).toBe('S'); // not signalled: no silent fallback
    // The read-only mount was the namespace's own; the host's is still read-write.
    const hostLine = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === mount)!;
    expect(hostLine.split(' ')[5]!.split(',')).toContain('rw');

    console.log('no cgroup v2 at all (cgroup2 unmounted in a private mount namespace): asserting the clear error');
    const none = await nocgroupFixture('umount -l "$MP"', { MP: mount, DIR: dir, PID: String(sleeper.pid) });
    expectCgroupError(none.create);
    expect(none.create.code).toBe('ENOENT');
    expect(none.create.message).toMatch(/no cgroup v2 hierarchy/);
    for (const sig of ['SIGTERM', 'SIGKILL']) {
      expectCgroupError(none[sig]);
      expect(none[sig]).toMatchObject({ code: 'ENOENT', path: dir });
    }
    expect(none.stateAfter).toBe('S');
    expect(procState(sleeper.pid!)).toBe('S');
  });
});

describe('killTree: arguments and errors', () => {
  const reject = (fn: () => Promise<unknown>, code: string) => expect(fn()).rejects.toMatchObject({ code });

  it('bad pid, signal and options are Node-style errors', async () => {
    await reject(() => p.killTree('1' as never), 'ERR_INVALID_ARG_TYPE');
    await reject(() => p.killTree(undefined as never), 'ERR_INVALID_ARG_TYPE');
    await reject(() => p.killTree(0), 'ERR_OUT_OF_RANGE');
    await reject(() => p.killTree(-1), 'ERR_OUT_OF_RANGE');
    await reject(() => p.killTree(1.5), 'ERR_OUT_OF_RANGE');
    await reject(() => p.killTree(NaN), 'ERR_OUT_OF_RANGE');
    await reject(() => p.killTree(2 ** 31), 'ERR_OUT_OF_RANGE');
    await reject(() => p.killTree(1, 'SIGFOO' as never), 'ERR_UNKNOWN_SIGNAL');
    await reject(() => p.killTree(1, 0), 'ERR_OUT_OF_RANGE');
    await reject(() => p.killTree(1, 65), 'ERR_OUT_OF_RANGE');
    await reject(() => p.killTree(1, 1.5), 'ERR_OUT_OF_RANGE');
    await reject(() => p.killTree(1, {} as never), 'ERR_INVALID_ARG_TYPE');
    await reject(() => p.killTree(1, 'SIGTERM', 'x' as never), 'ERR_INVALID_ARG_TYPE');
    await reject(() => p.killTree(1, 'SIGTERM', { cgroup: 1 } as never), 'ERR_INVALID_ARG_TYPE');
    await reject(() => p.killTree(1, 'SIGTERM', { cgroup: '' }), 'ERR_INVALID_ARG_VALUE');
    await reject(() => p.killTree(1, 'SIGTERM', { cgroup: 'a\0b' }), 'ERR_INVALID_ARG_VALUE');
    await reject(() => p.killTree(1, 'SIGTERM', { bogus: 1 } as never), 'ERR_INVALID_ARG_VALUE');
  });

  it('the caller and its ancestors are refused before anything is stopped', async () => {
    await expect(p.killTree(process.pid)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/ancestors/) });
    await expect(p.killTree(process.ppid)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(procState(process.ppid)).not.toBe('T');
  });

  it('no such pid: ESRCH', async () => {
    const c = spawn('true');
    await new Promise((r) => c.on('close', r));
    await expect(p.killTree(c.pid!)).rejects.toMatchObject({ name: 'SystemError', code: 'ESRCH', errno: -os.constants.errno.ESRCH, syscall: 'kill' });
  });

  it('a thread id is not a process id: EINVAL', async () => {
    const tids = fs.readdirSync(`/proc/${process.pid}/task`).map(Number).filter((t) => t !== process.pid);
    await expect(p.killTree(tids[0]!)).rejects.toMatchObject({ code: 'EINVAL', syscall: 'pidfd_open' });
  });

  it('a cgroup that is missing, not cgroup v2, or the v2 root: SystemError with stage cgroup and the path', async () => {
    const missing = path.join(os.tmpdir(), 'procctl-no-such-cgroup');
    await expect(p.killTree(1, 'SIGTERM', { cgroup: missing })).rejects.toMatchObject({ name: 'SystemError', code: 'ENOENT', stage: 'cgroup', path: missing });
    await expect(p.killTree(1, 'SIGTERM', { cgroup: os.tmpdir() })).rejects.toMatchObject({ code: 'ENOTDIR', stage: 'cgroup', path: os.tmpdir() });
    const mount = cgroup.cgroup2MountPoint();
    if (mount === null) {
      console.log('no cgroup v2 mounted here: the v2-root case cannot be built');
      return;
    }
    if (fs.existsSync(path.join(mount, 'cgroup.freeze'))) {
      // A cgroup namespace's root is a cgroup like any other (and holds this process).
      console.log(`the cgroup v2 mount's root ${mount} has cgroup.freeze (a cgroup namespace): asserting the refusal to signal the caller's own cgroup`);
      await expect(p.killTree(1, 'SIGTERM', { cgroup: mount })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
      return;
    }
    // The root cgroup has neither cgroup.kill nor cgroup.freeze: refused, nothing signalled.
    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      await expect(p.killTree(1, sig, { cgroup: mount })).rejects.toMatchObject({
        code: 'ENOENT',
        stage: 'cgroup',
        path: path.join(mount, 'cgroup.freeze'),
        message: expect.stringMatching(sig === 'SIGKILL' ? /no cgroup\.kill .* and no cgroup\.freeze/ : /no cgroup\.freeze/),
      });
    }
  });

  it('a cgroup that holds the caller, directly or below, is refused before anything is frozen or killed', async () => {
    const r = await runFixture('tree.cjs', ['self']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    if (out.cgroupError) {
      console.log(`no writable cgroup v2 on this host (${out.cgroupError.message}): asserting the clear error instead`);
      expectCgroupError(out.cgroupError);
      return;
    }
    for (const key of ['inner SIGTERM', 'inner SIGKILL', 'outer SIGTERM', 'outer SIGKILL']) {
      expect([key, out[key]]).toEqual([key, expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/contains the calling process/) })]);
    }
    expect(out.frozen).toBe(0);
    expect(out.removed).toBe(true);
    expect(r.code).toBe(0);
  });
});
