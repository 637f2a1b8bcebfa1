// setrlimit/getrlimit, setPriority/getPriority, setCpuAffinity/getCpuAffinity.
// Changes to a process happen in a fixture (test/fixtures/resources.cjs) and are
// read from outside: every thread in /proc/<pid>/task, its children, ulimit.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { interactiveFixture, killLiveFixtures, liveFixtures, procStat, runFixture, waitFor } from './helpers';

const req = createRequire(import.meta.url);
const p: typeof import('../lib/index') = req('../dist/index.js');

afterEach(() => killLiveFixtures());

/** /proc/<pid>/limits as { 'Max open files': [soft, hard] } ('unlimited' kept as a string). */
function limitsOf(pid: number): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const line of fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (m) out[m[1]!] = [m[2]!, m[3]!];
  }
  return out;
}

/** A value per thread of `pid`: field 19 of stat (nice), or a line of status. */
function perThread(pid: number, read: (tid: string) => string): string[] {
  return fs.readdirSync(`/proc/${pid}/task`).map(read);
}
const niceOfThreads = (pid: number) => perThread(pid, (tid) => procStatOfTask(pid, tid)[19]!);
const cpusOfThreads = (pid: number) =>
  perThread(pid, (tid) => /^Cpus_allowed_list:\s+(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1]!);

function procStatOfTask(pid: number, tid: string): string[] {
  const raw = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const close = raw.lastIndexOf(')');
  return ['', raw.slice(0, raw.indexOf(' ')), raw.slice(raw.indexOf('(') + 1, close), ...raw.slice(close + 2).trim().split(' ')];
}

/** A Node process with several threads (libuv's pool started), to act on from here. */
async function threadedNode(): Promise<number> {
  const c = spawn(process.execPath, ['-e', "require('fs').readFile(__filename, () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
  liveFixtures.push(c);
  await waitFor(() => fs.readdirSync(`/proc/${c.pid}/task`).length >= 7, 10_000, 'the pool threads');
  return c.pid!;
}

describe('setrlimit / getrlimit', () => {
  it('sets the limits of the process; children started afterwards by child_process and procctl inherit them', async () => {
    const f = interactiveFixture('resources.cjs', ['rlimit']);
    const r = await f.next();
    expect(r.get).toEqual({ nofile: [100, 200], core: [0, 0], fsize: [1 << 20, null] }); // JSON spells Infinity null
    expect(r.shell.slice(0, 3)).toEqual(['100', '200', '0']);
    for (const pid of [r.pid, r.children.childProcess, r.children.procctl]) {
      const l = limitsOf(pid);
      expect(l['Max open files']).toEqual(['100', '200']);
      expect(l['Max core file size']).toEqual(['0', '0']);
      expect(l['Max file size']).toEqual([String(1 << 20), 'unlimited']);
    }
    f.send('done');
    expect((await f.exited).code).toBe(0);
  });

  it('as an unprivileged user: lowering works, raising a hard limit is EPERM (SystemError naming the limit)', async () => {
    const r = await runFixture('resources.cjs', ['rlimitUnprivileged'], { uid: 65534, gid: 65534 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.lowered).toEqual({ ok: null });
    expect(out.raised.error).toMatchObject({ name: 'SystemError', code: 'EPERM', syscall: 'setrlimit', message: 'EPERM: operation not permitted, setrlimit (nofile)' });
    expect(out.after).toEqual([50, out.hard - 1]);
  });

  it('getrlimit reads what /proc/self/limits shows, Infinity for unlimited', () => {
    const l = limitsOf(process.pid);
    const asJs = (v: string) => (v === 'unlimited' ? Infinity : Number(v));
    expect(p.getrlimit('nofile')).toEqual(l['Max open files']!.map(asJs));
    expect(p.getrlimit('stack')).toEqual(l['Max stack size']!.map(asJs));
    expect(p.getrlimit('cpu')).toEqual(l['Max cpu time']!.map(asJs));
  });

  it('names and values as spawn takes them; anything else is a Node-style error', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => p.setrlimit('bogus' as never, 1))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => p.setrlimit('toString' as never, 1))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => p.setrlimit(1 as never, 1))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => p.setrlimit('nofile', -1))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => p.setrlimit('nofile', 1.5))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => p.setrlimit('nofile', NaN))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => p.setrlimit('nofile', -Infinity))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => p.setrlimit('nofile', 2 ** 53))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => p.setrlimit('nofile', [2, 1]))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => p.setrlimit('nofile', [Infinity, 1]))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => p.setrlimit('nofile', [1] as never))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => p.setrlimit('nofile', [1, 2, 3] as never))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => p.setrlimit('nofile', '1' as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => p.setrlimit('nofile', undefined as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => p.getrlimit('bogus' as never))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => p.getrlimit(undefined as never))).toBe('ERR_INVALID_ARG_TYPE');
  });
});

describe('setPriority / getPriority', () => {
  it('sets every thread of the process (os.setPriority sets one); children inherit it', async () => {
    const f = interactiveFixture('resources.cjs', ['priority', '5']);
    const r = await f.next();
    expect(r.get).toBe(5);
    const threads = niceOfThreads(r.pid);
    expect(threads.length).toBeGreaterThanOrEqual(7); // main, libuv's pool, V8's workers
    expect(new Set(threads)).toEqual(new Set(['5']));
    expect(r.getOther).toBe(5);
    for (const child of [r.children.childProcess, r.children.procctl]) expect(procStat(child)[19]).toBe('5');
    f.send('done');
    expect((await f.exited).code).toBe(0);

    const n = interactiveFixture('resources.cjs', ['osPriority', '5']);
    const o = await n.next();
    const nodeThreads = niceOfThreads(o.pid);
    expect(procStat(o.pid)[19]).toBe('5'); // the main thread
    expect(nodeThreads.filter((v) => v !== '5').length).toBeGreaterThan(0); // the others kept 0
    expect(o.get).toBe(5);
    n.send('done');
    await n.exited;
  });

  it('another process: every one of its threads', async () => {
    const pid = await threadedNode();
    p.setPriority(pid, 12);
    expect(new Set(niceOfThreads(pid))).toEqual(new Set(['12']));
    expect(p.getPriority(pid)).toBe(12);
    expect(os.getPriority(pid)).toBe(12);
  });

  it('as an unprivileged user: lowering the value is EACCES and changes no thread', async () => {
    const r = await runFixture('resources.cjs', ['priorityUnprivileged'], { uid: 65534, gid: 65534 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.raise.error).toMatchObject({ name: 'SystemError', code: 'EACCES', syscall: 'setpriority' });
    expect(out.lower).toEqual({ ok: null });
    expect(out.back.error).toMatchObject({ code: 'EACCES' });
    expect(out.now).toBe(3);
  });

  it('bad values are Node-style errors; a missing pid is ESRCH', async () => {
    expect(() => p.setPriority(20)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => p.setPriority(-21)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => p.setPriority(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => p.setPriority('5' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p.setPriority(-1, 5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => p.setPriority(1, 'x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => p.getPriority(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => p.getPriority('1' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const c = spawn('true');
    await new Promise((r) => c.on('close', r));
    expect(() => p.setPriority(c.pid!, 5)).toThrow(expect.objectContaining({ name: 'SystemError', code: 'ESRCH' }));
    expect(() => p.getPriority(c.pid!)).toThrow(expect.objectContaining({ name: 'SystemError', code: 'ESRCH', syscall: 'getpriority' }));
  });
});

describe('setCpuAffinity / getCpuAffinity', () => {
  const usable = p.getCpuAffinity();
  const last = usable[usable.length - 1]!;

  it('every thread of the process; children inherit it; a CPU it may not use is EINVAL and changes nothing', async () => {
    const f = interactiveFixture('resources.cjs', ['affinity', String(last)]);
    const r = await f.next();
    expect(r.before).toEqual(usable);
    expect(r.get).toEqual([last]);
    const threads = cpusOfThreads(r.pid);
    expect(threads.length).toBeGreaterThanOrEqual(7);
    expect(new Set(threads)).toEqual(new Set([String(last)]));
    for (const child of [r.children.childProcess, r.children.procctl]) expect(new Set(cpusOfThreads(child))).toEqual(new Set([String(last)]));
    expect(r.refused.error).toMatchObject({ name: 'SystemError', code: 'EINVAL', syscall: 'sched_setaffinity' });
    expect(r.refused.error.message).toMatch(/CPU 65535 is absent, offline or outside this process's cpuset; no thread changed/);
    f.send('done');
    expect((await f.exited).code).toBe(0);
  });

  it('another process: every one of its threads', async () => {
    const pid = await threadedNode();
    p.setCpuAffinity([usable[0]!], pid);
    expect(new Set(cpusOfThreads(pid))).toEqual(new Set([String(usable[0])]));
    expect(p.getCpuAffinity(pid)).toEqual([usable[0]]);
    // Only CPUs that do not exist: the kernel refuses the whole mask.
    expect(() => p.setCpuAffinity([65535, 65534], pid)).toThrow(
      expect.objectContaining({ code: 'EINVAL', message: expect.stringMatching(/CPUs 65534, 65535 are absent/) }),
    );
    expect(new Set(cpusOfThreads(pid))).toEqual(new Set([String(usable[0])]));
  });

  it('bad values are Node-style errors; a missing pid is ESRCH', async () => {
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(err(() => p.setCpuAffinity([], 1))).toBe('ERR_INVALID_ARG_VALUE');
    expect(err(() => p.setCpuAffinity([-1]))).toBe('ERR_OUT_OF_RANGE');
    expect(err(() => p.setCpuAffinity([1.5]))).toBe('ERR_OUT_OF_RANGE');
    expect(err(() => p.setCpuAffinity([65536]))).toBe('ERR_OUT_OF_RANGE');
    expect(err(() => p.setCpuAffinity(['0'] as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(err(() => p.setCpuAffinity('0' as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(err(() => p.setCpuAffinity([0], -1))).toBe('ERR_OUT_OF_RANGE');
    expect(err(() => p.getCpuAffinity(1.5))).toBe('ERR_OUT_OF_RANGE');
    const c = spawn('true');
    await new Promise((r) => c.on('close', r));
    expect(err(() => p.setCpuAffinity([0], c.pid!))).toBe('ESRCH');
    expect(err(() => p.getCpuAffinity(c.pid!))).toBe('ESRCH');
  });
});

describe('where the platform lacks them', () => {
  it('win32 (no addon): every call is ENOSYS and `supported` says so', async () => {
    const r = await runFixture('resources.cjs', ['unsupported'], { env: { ...process.env, PROCCTL_PLATFORM: 'win32' } });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.supported).toEqual({ killTree: false, rlimit: false, priority: false, cpuAffinity: false, fexecve: false });
    for (const [name, res] of Object.entries(out.result)) expect([name, res]).toEqual([name, expect.objectContaining({ code: 'ENOSYS' })]);
  });

  it('darwin: limits and priority are there; affinity, killTree and exec by fd are ENOSYS', async () => {
    const r = await runFixture('resources.cjs', ['unsupported'], { env: { ...process.env, PROCCTL_PLATFORM: 'darwin' } });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.supported).toEqual({ killTree: false, rlimit: true, priority: true, cpuAffinity: false, fexecve: false });
    expect(out.result.setrlimit).toEqual({ ok: null });
    expect(out.result.getrlimit).toEqual({ ok: [100, 100] });
    expect(out.result.setPriority).toEqual({ ok: null });
    expect(out.result.getPriority).toEqual({ ok: 0 });
    for (const name of ['setCpuAffinity', 'getCpuAffinity', 'fexecve', 'reexecScriptFd', 'killTree']) {
      expect([name, out.result[name]]).toEqual([name, expect.objectContaining({ code: 'ENOSYS' })]);
    }
  });
});
