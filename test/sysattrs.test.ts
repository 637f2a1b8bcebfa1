// spawn's SysProcAttr options (capabilities, cgroup, namespaces, chroot) and
// systemd.exec-style placement (nice, scheduling, CPU affinity, I/O priority,
// oom_score_adj), each checked against the kernel's own view: /proc/<pid> of the
// running child, read from outside, or what the child reports of itself. These
// spawns change nothing in the test process (its own oom_score_adj is checked).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, procStat, procStatus, publicCopy, publicEnv, run, waitFor } from './helpers';

type Procctl = typeof import('../lib/index');
const req = createRequire(import.meta.url);
const p: Procctl = req('../dist/index.js');
const cg: typeof import('../lib/cgroup') = req('../dist/cgroup.js');

const live: Array<InstanceType<Procctl['Subprocess']>> = [];
afterEach(async () => {
  for (const c of live.splice(0)) {
    c.kill('SIGKILL');
    await c.exited.catch(() => undefined);
  }
});
function start(file: string, args: string[], opts: Parameters<Procctl['spawn']>[2] = {}) {
  const c = p.spawn(file, args, { stdio: 'ignore', ...opts });
  live.push(c);
  return c;
}
/** Waits until the child has exec'd `name` (so /proc shows the new program, not the clone). */
async function execd(pid: number, name: string): Promise<void> {
  await waitFor(() => procStat(pid)[2] === name, 10_000, `${pid} to exec ${name}`);
}
const pyBind80 = ['-c', 'import socket\ns = socket.socket()\ntry:\n  s.bind(("127.0.0.1", 80)); print("bound")\nexcept OSError as e: print("errno", e.errno)'];
const hasCap = (n: number): boolean => ((BigInt(`0x${procStatus('self').CapEff}`) >> BigInt(n)) & 1n) === 1n;

describe('capabilities', () => {
  it('nobody binds 127.0.0.1:80 with CAP_NET_BIND_SERVICE ambient, and gets EACCES without it; every set holds exactly that', async () => {
    const withCap = await p.run('/usr/bin/python3', pyBind80, { user: 'nobody', capabilities: { ambient: ['CAP_NET_BIND_SERVICE'] } });
    expect(withCap.stdout.trim()).toBe('bound');
    const without = await p.run('/usr/bin/python3', pyBind80, { user: 'nobody' });
    expect(without.stdout.trim()).toBe('errno 13');
    const c = start('sleep', ['100'], { user: 'nobody', capabilities: { ambient: ['net_bind_service'] } });
    await execd(c.pid, 'sleep');
    const st = procStatus(c.pid);
    expect({ Uid: st.Uid, CapInh: st.CapInh, CapPrm: st.CapPrm, CapEff: st.CapEff, CapAmb: st.CapAmb }).toEqual({
      Uid: '65534\t65534\t65534\t65534', CapInh: '0000000000000400', CapPrm: '0000000000000400', CapEff: '0000000000000400', CapAmb: '0000000000000400',
    });
  });

  it("the bounding set: a list keeps exactly those, 'drop-all' empties it (read back from CapBnd)", async () => {
    const one = start('sleep', ['100'], { user: 'nobody', capabilities: { bounding: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'] } });
    const none = start('sleep', ['100'], { capabilities: { bounding: 'drop-all' } });
    await execd(one.pid, 'sleep');
    await execd(none.pid, 'sleep');
    expect(procStatus(one.pid).CapBnd).toBe((0x400 | 0x20).toString(16).padStart(16, '0'));
    expect(procStatus(none.pid).CapBnd).toBe('0000000000000000');
    // root with an empty bounding set has no capabilities at all after exec
    expect(procStatus(none.pid).CapEff).toBe('0000000000000000');
  });

  it('a capability the parent lacks is EPERM at stage capabilities, never a run without it', async () => {
    // The parent's bounding set loses CAP_NET_RAW before node starts.
    const script = `const p = require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))});
      try { p.spawn('/bin/true', [], { user: 'nobody', stdio: 'ignore', capabilities: { ambient: ['CAP_NET_RAW'] } }); console.log('spawned'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, stage: e.stage, message: e.message })); }`;
    const r = await run('setpriv', ['--bounding-set', '-net_raw', process.execPath, '-e', script], { cwd: ROOT });
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'EPERM', stage: 'capabilities' });
  });

  it('refuses names the kernel does not have and ambient capabilities outside the bounding set', () => {
    expect(() => p.spawn('/bin/true', [], { capabilities: { ambient: ['CAP_FLY'] } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', [], { capabilities: { ambient: ['net_bind_service'], bounding: ['kill'] } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', [], { capabilities: { bounding: 'none' as never } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p.spawn('/bin/true', [], { capabilities: { ambint: [] } as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it('in place: execvp and `procctl exec --caps/--bounding-set` keep what was asked after the drop', async () => {
    const bin = path.join(ROOT, 'bin', 'procctl.js');
    const bound = await run(process.execPath, [bin, 'exec', '--caps', '+net_bind_service', 'nobody', '/usr/bin/python3', ...pyBind80]);
    expect(bound.stdout.trim()).toBe('bound');
    const bnd = await run(process.execPath, [bin, 'exec', '--bounding-set', '-all,+net_bind_service', 'nobody', 'grep', '^Cap', '/proc/self/status']);
    expect(bnd.stdout).toMatch(/^CapBnd:\s+0000000000000400$/m);
    expect(bnd.stdout).toMatch(/^CapEff:\s+0000000000000000$/m);
    const script = `require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))}).execvp('grep', ['^Cap', '/proc/self/status'], { user: 'nobody', capabilities: { ambient: ['CAP_NET_BIND_SERVICE'] } })`;
    const ex = await run(process.execPath, ['-e', script]);
    expect(ex.stdout).toMatch(/^CapAmb:\s+0000000000000400$/m);
    expect(ex.stdout).toMatch(/^CapEff:\s+0000000000000400$/m);
    const usage = await run(process.execPath, [bin, 'exec', '--caps', '+fly', 'nobody', 'true']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--caps: 'fly' is not a Linux capability/);
  });
});

const cgroupRoot = cg.cgroupDirectoryOf('self');
const cgroupWritable = cgroupRoot !== null && (() => {
  try {
    fs.accessSync(cgroupRoot, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();
if (!cgroupWritable) console.log(`cgroup tests: no writable cgroup v2 here (${cgroupRoot ?? 'none mounted'}); asserting the clear error instead`);

describe('cgroup', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) cg.removeCgroup(d);
  });

  it.runIf(cgroupWritable)("'new': the child is in a fresh cgroup from its first instruction; the cgroup goes once the child is reaped", async () => {
    for (const engine of ['auto', 'clone', 'fork']) {
      process.env.PROCCTL_SPAWN_ENGINE = engine;
      try {
        const c = start('sleep', ['100'], { cgroup: 'new' });
        expect(c.cgroup).toMatch(/\/procctl-\d+-\d+$/);
        expect(fs.readFileSync(path.join(c.cgroup!, 'cgroup.procs'), 'utf8').trim().split('\n')).toEqual([String(c.pid)]);
        const rel = `/${path.relative(fs.realpathSync(cg.cgroup2MountPoint()!), c.cgroup!)}`;
        expect(fs.readFileSync(`/proc/${c.pid}/cgroup`, 'utf8')).toContain(`0::${rel}\n`);
        c.kill('SIGKILL');
        await c.exited;
        await waitFor(() => !fs.existsSync(c.cgroup!), 5000, `${c.cgroup} removed`);
      } finally {
        delete process.env.PROCCTL_SPAWN_ENGINE;
      }
    }
  });

  it.runIf(cgroupWritable)('joins an existing cgroup by path, by fd, or a new one under a given parent; a joined one is left alone', async () => {
    const dir = cg.createCgroup();
    made.push(dir);
    const byPath = start('sleep', ['100'], { cgroup: dir });
    const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    let byFd;
    try {
      byFd = start('sleep', ['100'], { cgroup: fd });
    } finally {
      fs.closeSync(fd);
    }
    const under = start('sleep', ['100'], { cgroup: { parent: dir } });
    const procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number).sort();
    expect(procs).toEqual([byPath.pid, byFd.pid].sort());
    expect(byPath.cgroup).toBe(dir);
    expect(byFd.cgroup).toBe(null);
    expect(path.dirname(under.cgroup!)).toBe(dir);
    for (const c of [byPath, byFd, under]) c.kill('SIGKILL');
    await Promise.all([byPath.exited, byFd.exited, under.exited]);
    await waitFor(() => !fs.existsSync(under.cgroup!), 5000, 'the made cgroup removed');
    expect(fs.existsSync(dir)).toBe(true);
  });

  const alivePid = (pid: number): boolean => {
    const f = (() => {
      try {
        return procStat(pid);
      } catch {
        return null;
      }
    })();
    return f !== null && f[3] !== 'Z';
  };

  it.runIf(cgroupWritable)("killTree() reaches a daemon that double-forked away, after the child was reaped; the cgroup then goes", async () => {
    const daemonFile = path.join(os.tmpdir(), `procctl-daemon-${process.pid}`);
    // sh starts a session-leading sleep in the background and exits at once:
    // the sleep is re-parented away (to init or a subreaper), out of any tree.
    const c = p.spawn('/bin/sh', ['-c', `setsid sleep 300 & echo $! > ${daemonFile}`], { cgroup: 'new', stdio: 'ignore' });
    await c.exited;
    const daemon = Number(fs.readFileSync(daemonFile, 'utf8'));
    fs.rmSync(daemonFile);
    expect(alivePid(daemon)).toBe(true);
    expect(fs.readFileSync(path.join(c.cgroup!, 'cgroup.procs'), 'utf8').trim()).toBe(String(daemon));
    expect(await c.killTree('SIGTERM')).toBe(1);
    await waitFor(() => !alivePid(daemon), 10_000, 'the daemon to die');
    await waitFor(() => !fs.existsSync(c.cgroup!), 10_000, 'the cgroup to be removed once empty');
    expect(await c.killTree('SIGKILL')).toBe(0);
  });

  it.runIf(cgroupWritable)('killTree() ends a fast-forking tree as nobody (nproc 60) under cgroup new, and no process is left', async () => {
    const bomb = 'while (1) { my $p = fork(); select(undef, undef, undef, 0.001) if !defined $p; }';
    const c = p.spawn('perl', ['-e', bomb], { cgroup: 'new', user: 'nobody', rlimits: { nproc: 60 }, stdio: 'ignore' });
    const procs = () => fs.readFileSync(path.join(c.cgroup!, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean);
    await waitFor(() => procs().length >= 20, 20_000, 'the tree to grow');
    const n = await c.killTree('SIGKILL');
    expect(n).toBeGreaterThanOrEqual(20);
    await c.exited;
    await waitFor(() => !fs.existsSync(c.cgroup!) || procs().length === 0, 10_000, 'the cgroup to empty');
  });

  it('killTree() without a cgroup walks the tree: a setsid grandchild and a backgrounded great-grandchild', async () => {
    const pids = path.join(os.tmpdir(), `procctl-walk-${process.pid}`);
    const c = p.spawn('/bin/sh', ['-c', `setsid sh -c 'sleep 300 & echo $! >> ${pids}; echo $$ >> ${pids}; wait' & sleep 300`], { stdio: 'ignore' });
    live.push(c);
    await waitFor(() => fs.existsSync(pids) && fs.readFileSync(pids, 'utf8').trim().split('\n').length === 2, 10_000, 'the tree');
    const [greatGrandchild, grandchild] = fs.readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    fs.rmSync(pids);
    expect(procStat(grandchild!)[6]).toBe(String(grandchild));  // its own session
    const n = await c.killTree();
    expect(n).toBeGreaterThanOrEqual(4);  // sh, its sleep, the setsid sh, its sleep
    await c.exited;
    await waitFor(() => !alivePid(grandchild!) && !alivePid(greatGrandchild!), 10_000, 'the descendants to die');
  });

  it('bad values are argument errors; a directory that is not a cgroup v2 is ENOTDIR at stage cgroup', () => {
    expect(() => p.spawn('/bin/true', [], { cgroup: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => p.spawn('/bin/true', [], { cgroup: { parent: 3 } as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p.spawn('/bin/true', [], { cgroup: { parnet: '/x' } as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', [], { cgroup: os.tmpdir() })).toThrow(expect.objectContaining({ code: 'ENOTDIR', stage: 'cgroup' }));
    expect(() => p.spawn('/bin/true', [], { cgroup: 999_999 })).toThrow(expect.objectContaining({ code: 'EBADF', stage: 'cgroup' }));
  });

  it('where no cgroup v2 is writable or mounted: a clear error naming the stage and path, no child, nothing left', async () => {
    // A private mount namespace where the cgroup2 mount is read-only, then gone.
    const mount = cg.cgroup2MountPoint();
    const script = `const p = require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))});
      try { p.spawn('/bin/true', [], { cgroup: 'new', stdio: 'ignore' }); console.log('"spawned"'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, stage: e.stage, path: e.path, message: e.message })); }`;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-nocg-')), 'try.cjs');
    fs.writeFileSync(file, script);
    const node = `${process.execPath} ${file}`;
    const steps = mount === null ? [node] : [`mount -o remount,bind,ro ${mount} && ${node}`, `umount -l ${mount} && ${node}`];
    const outs: Array<Record<string, string>> = [];
    for (const step of steps) {
      const r = await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', step], { cwd: ROOT });
      expect(r.stderr).toBe('');
      outs.push(JSON.parse(r.stdout));
    }
    if (mount !== null) {
      expect(outs[0]).toMatchObject({ code: 'EROFS', stage: 'cgroup' });
      expect(outs[0]!.path).toMatch(/procctl-\d+-1$/);
    }
    expect(outs[outs.length - 1]).toMatchObject({ code: 'ENOENT', stage: 'cgroup' });
    expect(outs[outs.length - 1]!.message).toMatch(/no cgroup v2 hierarchy/);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it.runIf(cgroupWritable)("cgroup 'new' steps over names an earlier process with the same pid left behind", async () => {
    // The fixture makes procctl-<its pid>-1..3 itself first, as a crashed
    // process with that pid would have left them.
    const script = `const p = require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))});
      const cg = require(${JSON.stringify(path.join(ROOT, 'dist/cgroup.js'))});
      const fs = require('node:fs');
      const left = [1, 2, 3].map((i) => require('node:path').join(cg.cgroupDirectoryOf('self'), 'procctl-' + process.pid + '-' + i));
      for (const d of left) fs.mkdirSync(d);
      (async () => {
        const out = {};
        try {
          const c = p.spawn('/bin/true', [], { cgroup: 'new', stdio: 'ignore' });
          out.dir = c.cgroup;
          out.status = await c.exited;
          out.gone = !fs.existsSync(c.cgroup);
        } catch (e) { out.error = { code: e.code, message: e.message }; }
        out.leftStay = left.every((d) => fs.existsSync(d));
        for (const d of left) fs.rmdirSync(d);
        console.log(JSON.stringify(out));
      })();`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-cgtaken-'));
    const file = path.join(dir, 'try.cjs');
    fs.writeFileSync(file, script);
    try {
      const r = await run(process.execPath, [file], { cwd: ROOT });
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout);
      expect(out.error).toBeUndefined();
      expect(out.dir).toMatch(/\/procctl-\d+-4$/);
      expect(out).toMatchObject({ status: { exitCode: 0 }, gone: true, leftStay: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(cgroupWritable)("cgroup 'new' follows the cgroup2 mount when it goes away or moves after a first spawn (nothing made outside cgroup2)", async () => {
    const mount = cg.cgroup2MountPoint()!;
    // One process, in a private mount namespace: a first spawn, then cgroup2
    // unmounted under it (the directory beneath may be writable: on this host a
    // tmpfs), then cgroup2 mounted somewhere else.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-cgmove-'));
    const elsewhere = path.join(dir, 'cg2');
    fs.mkdirSync(elsewhere);
    const script = `const p = require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))});
      const { execFileSync } = require('node:child_process');
      const fs = require('node:fs');
      const out = {};
      const attempt = async (key) => {
        try {
          const c = p.spawn('/bin/sh', ['-c', 'grep ^0:: /proc/self/cgroup'], { cgroup: 'new', stdio: ['ignore', 'pipe', 'inherit'] });
          let text = ''; c.stdout.on('data', (d) => (text += d));
          await Promise.all([c.exited, new Promise((r) => c.stdout.on('end', r))]);
          out[key] = { dir: c.cgroup, inside: text.trim(), left: fs.existsSync(c.cgroup) };
        } catch (e) { out[key] = { code: e.code, stage: e.stage, path: e.path, message: e.message }; }
      };
      (async () => {
        await attempt('first');
        execFileSync('umount', ['-l', ${JSON.stringify(mount)}]);
        const under = fs.readdirSync(${JSON.stringify(mount)});
        await attempt('unmounted');
        out.leftUnder = fs.readdirSync(${JSON.stringify(mount)}).filter((n) => !under.includes(n));
        execFileSync('mount', ['-t', 'cgroup2', 'none', ${JSON.stringify(elsewhere)}]);
        await attempt('moved');
        console.log(JSON.stringify(out));
      })();`;
    const file = path.join(dir, 'try.cjs');
    fs.writeFileSync(file, script);
    try {
      const r = await run('unshare', ['--mount', '--propagation', 'private', process.execPath, file], { cwd: ROOT });
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout);
      const own = cg.cgroupOf('self')!;
      expect(out.first.dir).toMatch(new RegExp(`^${mount}/.*procctl-\\d+-1$`));
      expect(out.first).toMatchObject({ inside: `0::${path.posix.join(own, path.basename(out.first.dir))}`, left: false });
      // Unmounted: the clear error, and nothing left in the directory beneath.
      expect(out.unmounted).toMatchObject({ code: 'ENOENT', stage: 'cgroup' });
      expect(out.unmounted.message).toMatch(/no cgroup v2 hierarchy/);
      expect(out.leftUnder).toEqual([]);
      // Mounted elsewhere: the new mount point is found, the child runs in the cgroup made there.
      expect(out.moved.dir).toMatch(new RegExp(`^${elsewhere}/.*procctl-\\d+-3$`));
      expect(out.moved).toMatchObject({ inside: `0::${path.posix.join(own, path.basename(out.moved.dir))}`, left: false });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('namespaces', () => {
  it('pid: the child is pid 1 of its namespace; net: only lo; uts: its own hostname; the rest: new inodes', async () => {
    expect((await p.run('/bin/sh', ['-c', 'echo $$'], { namespaces: ['pid'] })).stdout.trim()).toBe('1');
    const dev = (await p.run('/bin/cat', ['/proc/net/dev'], { namespaces: ['net'] })).stdout;
    expect(dev.split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(':')[0])).toEqual(['lo']);
    const host = os.hostname();
    expect((await p.run('/bin/hostname', [], { namespaces: ['uts'], hostname: 'procctl-ns' })).stdout.trim()).toBe('procctl-ns');
    expect(os.hostname()).toBe(host);
    const c = start('sleep', ['100'], { namespaces: ['mount', 'ipc', 'cgroup', 'uts'] });
    await execd(c.pid, 'sleep');
    for (const ns of ['mnt', 'ipc', 'cgroup', 'uts']) {
      expect(fs.readlinkSync(`/proc/${c.pid}/ns/${ns}`), ns).not.toBe(fs.readlinkSync(`/proc/self/ns/${ns}`));
    }
    expect(fs.readlinkSync(`/proc/${c.pid}/ns/net`)).toBe(fs.readlinkSync('/proc/self/ns/net'));
  });

  it("user: 0 inside maps to 65534 outside; `id -u` says 0 while /proc/<pid>/status says 65534", async () => {
    const c = p.spawn('/bin/sh', ['-c', 'id -u; id -g; exec sleep 100'], {
      namespaces: ['user'], uidMap: [{ inside: 0, outside: 65534, count: 1 }], gidMap: [{ inside: 0, outside: 65534, count: 1 }],
      user: 0, group: 0, stdio: ['ignore', 'pipe', 'ignore'],
    });
    live.push(c);
    let out = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    await waitFor(() => out.split('\n').length >= 3, 10_000, 'id output');
    expect(out).toBe('0\n0\n');
    await execd(c.pid, 'sleep');
    expect(procStatus(c.pid).Uid).toBe('65534\t65534\t65534\t65534');
    expect(procStatus(c.pid).Gid).toBe('65534\t65534\t65534\t65534');
    expect(fs.readFileSync(`/proc/${c.pid}/setgroups`, 'utf8').trim()).toBe('deny');
    expect(c.engine).toBe('fork');
    expect(c.duplicatePidfd()).not.toBe(null);
  });

  it('maps, hostname and names are checked: no map without a user namespace, no hostname without uts', () => {
    expect(() => p.spawn('/bin/true', [], { uidMap: [{ inside: 0, outside: 0, count: 1 }] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', [], { hostname: 'x' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', [], { namespaces: ['time' as never] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.spawn('/bin/true', [], { namespaces: ['user'], uidMap: [{ inside: 0, outside: 0, count: 0 }] })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => p.spawn('/bin/true', [], { namespaces: ['uts'], hostname: 'x'.repeat(65) })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('chroot', () => {
  let root = '';
  beforeAll(() => {
    // A static program is all a chroot needs to run something.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-chroot-'));
    fs.chmodSync(root, 0o755);
    fs.mkdirSync(path.join(root, 'sub'), { mode: 0o755 });
    fs.writeFileSync(path.join(root, 'marker-inside'), '');
    const src = path.join(root, 'where.c');
    fs.writeFileSync(src, '#include <stdio.h>\n#include <unistd.h>\n#include <dirent.h>\nint main(void){char b[256];printf("%s %d",getcwd(b,sizeof b),(int)getuid());DIR*d=opendir("/");struct dirent*e;while((e=readdir(d)))printf(" %s",e->d_name);printf("\\n");return 0;}\n');
    execFileSync('cc', ['-static', '-O2', '-o', path.join(root, 'where'), src]);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('the child runs inside the new root, at / or at cwd inside it, and as the dropped user', async () => {
    const list = (s: string) => s.trim().split(' ');
    const atRoot = await p.run('/where', [], { chroot: root });
    expect(list(atRoot.stdout).slice(0, 2)).toEqual(['/', '0']);
    expect(list(atRoot.stdout)).toContain('marker-inside');
    const inSub = await p.run('/where', [], { chroot: root, cwd: 'sub', user: 'nobody' });
    expect(list(inSub.stdout).slice(0, 2)).toEqual(['/sub', '65534']);
    await expect(p.run('/bin/true', [], { chroot: root })).rejects.toMatchObject({ code: 'ENOENT', stage: 'exec' });
    await expect(p.run('/where', [], { chroot: path.join(root, 'nope') })).rejects.toMatchObject({ code: 'ENOENT', stage: 'chroot' });
  });
});

describe('scheduling and placement at spawn', () => {
  const statOf = (pid: number) => procStat(pid);
  it('every knob with user nobody: nice -5, SCHED_BATCH, CPU 1, best-effort 2, oom_score_adj 500, as /proc and ionice show', async () => {
    const cpu = os.availableParallelism() > 1 ? 1 : 0;
    const before = fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
    const c = start('sleep', ['100'], {
      user: 'nobody', nice: -5, scheduling: { policy: 'batch' }, cpuAffinity: [cpu],
      ioPriority: { class: 'best-effort', level: 2 }, oomScoreAdj: 500,
    });
    await execd(c.pid, 'sleep');
    const f = statOf(c.pid);
    expect(Number(f[19])).toBe(-5);           // nice
    expect(Number(f[41])).toBe(3);            // policy: SCHED_BATCH
    expect(procStatus(c.pid).Cpus_allowed_list).toBe(String(cpu));
    expect(procStatus(c.pid).Uid).toBe('65534\t65534\t65534\t65534');
    expect(fs.readFileSync(`/proc/${c.pid}/oom_score_adj`, 'utf8').trim()).toBe('500');
    expect(execFileSync('ionice', ['-p', String(c.pid)], { encoding: 'utf8' }).trim()).toBe('best-effort: prio 2');
    // The CLONE_VM child's write did not stay on this process (oom_score_adj is the mm's).
    expect(fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim()).toBe(before);
  });

  it("a realtime policy with its priority, reset-on-fork, and the idle I/O class", async () => {
    const c = start('sleep', ['100'], { scheduling: { policy: 'fifo', priority: 10, resetOnFork: true }, ioPriority: { class: 'idle' } });
    await execd(c.pid, 'sleep');
    const f = statOf(c.pid);
    expect([Number(f[40]), Number(f[41])]).toEqual([10, 1]);  // rt_priority, SCHED_FIFO
    expect(execFileSync('chrt', ['-p', String(c.pid)], { encoding: 'utf8' })).toMatch(/SCHED_FIFO\|SCHED_RESET_ON_FORK/);
    expect(execFileSync('ionice', ['-p', String(c.pid)], { encoding: 'utf8' }).trim()).toBe('idle');
  });

  it('lowering oom_score_adj needs CAP_SYS_RESOURCE: applied with it, a named EACCES without it', async () => {
    if (hasCap(24)) {
      const c = start('sleep', ['100'], { user: 'nobody', oomScoreAdj: -500 });
      await execd(c.pid, 'sleep');
      expect(fs.readFileSync(`/proc/${c.pid}/oom_score_adj`, 'utf8').trim()).toBe('-500');
    } else {
      console.log('this root has no CAP_SYS_RESOURCE: asserting the refusal');
      await expect(p.run('/bin/true', [], { user: 'nobody', oomScoreAdj: -500 })).rejects.toMatchObject({ code: 'EACCES', stage: 'oom_score_adj' });
    }
  });

  it('what the kernel refuses is a SystemError naming the stage, and no child runs with part of it', async () => {
    const kids = () => fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8');
    const before = kids();
    await expect(p.run('/bin/true', [], { cpuAffinity: [4000] })).rejects.toMatchObject({ code: 'EINVAL', stage: 'sched_setaffinity' });
    // As nobody, a realtime policy is EPERM: the fixture spawner runs as nobody.
    // From the world-readable copy: the checkout may be in a directory nobody cannot enter.
    const script = `const p = require(${JSON.stringify(path.join(publicCopy().root, 'dist', 'index.js'))});
      p.run('/bin/true', [], { scheduling: { policy: 'rr', priority: 5 } }).then(() => console.log('"ran"'), (e) => console.log(JSON.stringify({ code: e.code, stage: e.stage })));`;
    const r = await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { cwd: '/', env: publicEnv() });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'EPERM', stage: 'sched_setscheduler' });
    expect(kids()).toBe(before);
  });

  it('bad values are Node-style errors before anything is spawned', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ nice: -21 }, 'ERR_OUT_OF_RANGE'], [{ nice: 1.5 }, 'ERR_OUT_OF_RANGE'], [{ nice: '5' }, 'ERR_INVALID_ARG_TYPE'],
      [{ scheduling: { policy: 'deadline' } }, 'ERR_INVALID_ARG_VALUE'], [{ scheduling: { policy: 'fifo' } }, 'ERR_INVALID_ARG_VALUE'],
      [{ scheduling: { policy: 'fifo', priority: 100 } }, 'ERR_OUT_OF_RANGE'], [{ scheduling: { policy: 'other', priority: 5 } }, 'ERR_OUT_OF_RANGE'],
      [{ scheduling: { policy: 'rr', priority: 5, resetOnFork: 1 } }, 'ERR_INVALID_ARG_TYPE'],
      [{ cpuAffinity: [] }, 'ERR_INVALID_ARG_VALUE'], [{ cpuAffinity: [-1] }, 'ERR_OUT_OF_RANGE'], [{ cpuAffinity: 1 }, 'ERR_INVALID_ARG_TYPE'],
      [{ ioPriority: { class: 'rt' } }, 'ERR_INVALID_ARG_VALUE'], [{ ioPriority: { class: 'best-effort', level: 8 } }, 'ERR_OUT_OF_RANGE'],
      [{ ioPriority: { class: 'idle', level: 3 } }, 'ERR_OUT_OF_RANGE'],
      [{ oomScoreAdj: 1001 }, 'ERR_OUT_OF_RANGE'], [{ oomScoreAdj: NaN }, 'ERR_OUT_OF_RANGE'],
    ];
    for (const [opts, code] of bad) {
      expect(() => p.spawn('/bin/true', [], opts as never), JSON.stringify(opts)).toThrow(expect.objectContaining({ code }));
    }
  });
});
