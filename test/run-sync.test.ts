// procctl.runSync(): run() without the event loop. The same results as run()
// for the same child, both pipes read while the child writes them, what needs
// the loop refused before anything starts, nothing left behind.
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, isRoot, openFds, run, zombieChildren } from './helpers';

type Procctl = typeof import('../lib/index');
const req = createRequire(import.meta.url);
const p: Procctl = req('../dist/index.js');
const cg: typeof import('../lib/cgroup') = req('../dist/cgroup.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-runsync-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs `code` in a fresh node with procctl as `p`, and returns its last JSON line. */
async function inNode(code: string, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  const file = path.join(tmp, `f${Math.random().toString(36).slice(2)}.cjs`);
  fs.writeFileSync(file, `const p = require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))});\n${code}`);
  const r = await run(process.execPath, [file], { cwd: ROOT, env });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe.each(['auto', 'fork'])('runSync (engine %s)', (engine) => {
  const env = { ...process.env, PROCCTL_SPAWN_ENGINE: engine };

  it('gives what run() gives for the same child: status, stdout and stderr byte for byte, even 8 MB + 3 MB written at once', async () => {
    const rep = await inNode(`
      const script = 'head -c 8388608 /dev/urandom > ${tmp}/o.bin; head -c 3145728 /dev/urandom > ${tmp}/e.bin; ' +
        'cat ${tmp}/o.bin & cat ${tmp}/e.bin >&2; wait; echo tail; exit 7';
      (async () => {
        const sync = p.runSync('sh', ['-c', script]);
        const fs = require('fs');
        const o = fs.readFileSync('${tmp}/o.bin').toString('utf8') + 'tail\\n';
        const e = fs.readFileSync('${tmp}/e.bin').toString('utf8');
        const asyncR = await p.run('sh', ['-c', 'printf x; printf y >&2; exit 7']);
        const syncSmall = p.runSync('sh', ['-c', 'printf x; printf y >&2; exit 7']);
        console.log(JSON.stringify({
          code: sync.status.exitCode, outSame: sync.stdout === o, errSame: sync.stderr === e,
          same: [asyncR.stdout, asyncR.stderr, asyncR.status.exitCode] .join() === [syncSmall.stdout, syncSmall.stderr, syncSmall.status.exitCode].join(),
          keys: Object.keys(syncSmall).join(), statusKeys: Object.keys(syncSmall.status).join() === Object.keys(asyncR.status).join(),
        }));
      })();`, env);
    expect(rep).toEqual({ code: 7, outSame: true, errSame: true, same: true, keys: 'status,stdout,stderr', statusKeys: true });
  });

  it('returns only once a grandchild holding the pipe lets go, with what it wrote; signals and stdio other than pipes', async () => {
    const rep = await inNode(`
      const t0 = Date.now();
      const r = p.runSync('sh', ['-c', '(sleep 0.3; echo late) & echo early']);
      const killed = p.runSync('sh', ['-c', 'kill -KILL $$']);
      const inherit = p.runSync('sh', ['-c', 'exit 4'], { stdio: 'inherit' });
      const fd = require('fs').openSync('${tmp}/out.txt', 'w');
      const toFile = p.runSync('sh', ['-c', 'echo to-file'], { stdio: ['ignore', fd, 'pipe'] });
      console.log(JSON.stringify({ out: r.stdout, waited: Date.now() - t0 >= 250, killed: killed.status.signal,
        inherit: [inherit.status.exitCode, inherit.stdout, inherit.stderr], toFile: [toFile.stdout, require('fs').readFileSync('${tmp}/out.txt', 'utf8')] }));`, env);
    expect(rep).toEqual({ out: 'early\nlate\n', waited: true, killed: 'SIGKILL', inherit: [4, '', ''], toFile: ['', 'to-file\n'] });
  });

  it('500 calls leave no fd and no zombie behind', async () => {
    const rep = await inNode(`
      const { fdList, zombies } = require(${JSON.stringify(path.join(ROOT, 'test/fixtures/proc.cjs'))});
      p.runSync('/bin/true');
      const before = fdList();
      let bad = 0;
      for (let i = 0; i < 500; i++) {
        const r = p.runSync('sh', ['-c', i % 2 ? 'echo $$' : 'exit 1']);
        const want = i % 2 ? 0 : 1;
        if (r.status.exitCode !== want || (i % 2 === 1 && Number(r.stdout) !== r.status.pid)) bad++;
      }
      console.log(JSON.stringify({ bad, fdsSame: JSON.stringify(fdList()) === JSON.stringify(before), zombies: zombies().length }));`, env);
    expect(rep).toEqual({ bad: 0, fdsSame: true, zombies: 0 });
  });
});

describe('runSync', () => {
  it('without a pidfd (the fork engine has none): the pipes are polled with a timeout and the child reaped with wait4', async () => {
    const file = path.join(tmp, 'nopidfd.cjs');
    fs.writeFileSync(file, `const p = require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))});
      const r = p.runSync('sh', ['-c', 'printf out; sleep 0.05; printf err >&2; exit 3']);
      const quiet = p.runSync('sh', ['-c', 'sleep 0.05; exit 5'], { stdio: 'ignore' });
      console.log(JSON.stringify({ r: [r.stdout, r.stderr, r.status.exitCode], quiet: quiet.status.exitCode }));`);
    const log = path.join(tmp, 'strace.log');
    const r = await run('strace', ['-f', '-qq', '-o', log, '-e', 'trace=pidfd_open,wait4,poll', process.execPath, file],
      { cwd: ROOT, env: { ...process.env, PROCCTL_SPAWN_ENGINE: 'fork' }, timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ r: ['out', 'err', 3], quiet: 5 });
    const lines = fs.readFileSync(log, 'utf8');
    expect(lines).not.toMatch(/pidfd_open/);
    expect(lines).toMatch(/poll\(\[\{fd=\d+, events=POLLIN\}, \{fd=\d+, events=POLLIN\}\], 2, 10/);
    // With pipes: wait4(WNOHANG) between polls; with none left: one blocking wait4.
    expect(lines).toMatch(/WEXITSTATUS\(s\) == 3\}\], WNOHANG/);
    expect(lines).toMatch(/WEXITSTATUS\(s\) == 5\}\], 0,/);
  });

  it('the clone engine makes a pidfd only when there is a pipe to read: with nothing captured it reaps with one blocking wait4', async () => {
    const file = path.join(tmp, 'pidfdonlyforpipes.cjs');
    fs.writeFileSync(file, `const p = require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))});
      const quiet = p.runSync('sh', ['-c', 'sleep 0.05; exit 6'], { stdio: 'ignore' });
      const dropped = p.runSync('sh', ['-c', 'sleep 0.05; exit 7'], { stdio: 'inherit', user: 65534, group: 65534, groups: [] });
      const r = p.runSync('sh', ['-c', 'printf out; sleep 0.05; exit 8']);
      console.log(JSON.stringify({ quiet: quiet.status.exitCode, dropped: dropped.status.exitCode, r: [r.stdout, r.status.exitCode] }));`);
    const log = path.join(tmp, 'strace-auto.log');
    // Only Node's main thread (no -f), so no line is split by another process's.
    const r = await run('strace', ['-qq', '-o', log, '-e', 'trace=clone3,wait4,waitid', process.execPath, file],
      { cwd: ROOT, env: { ...process.env, PROCCTL_SPAWN_ENGINE: 'auto' }, timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ quiet: 6, dropped: 7, r: ['out', 8] });
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    // The three spawns: CLONE_VFORK clones, only the capturing one with CLONE_PIDFD.
    const clones = lines.filter((l) => /clone3\(\{flags=[^}]*CLONE_VFORK/.test(l));
    expect(clones).toHaveLength(3);
    expect(clones.map((l) => l.includes('CLONE_PIDFD'))).toEqual([false, false, true]);
    // Exit 6 and 7 come back from a blocking wait4 (no WNOHANG), exit 8 from waitid on the pidfd.
    expect(lines.some((l) => /wait4\(\d+, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 6\}\], 0,/.test(l))).toBe(true);
    expect(lines.some((l) => /wait4\(\d+, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 7\}\], 0,/.test(l))).toBe(true);
    expect(lines.some((l) => /waitid\(P_PIDFD, \d+, \{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=\d+, si_uid=\d+, si_status=8,/.test(l))).toBe(true);
  });

  it('a child that cannot start throws the SystemError spawn() gives; what needs the event loop is refused before anything runs', () => {
    expect(() => p.runSync('/nonexistent/procctl-x')).toThrow(expect.objectContaining({ code: 'ENOENT', stage: 'exec' }));
    const fdsBefore = [...openFds('self').keys()];
    for (const stdio of [['pipe', 'pipe', 'pipe'], ['ignore', 'pipe', 'pipe', 'pipe'], ['ignore', 'ignore', 'ignore', 'socket']] as const) {
      expect(() => p.runSync('/bin/sh', ['-c', 'touch ' + path.join(tmp, 'ran')], { stdio: stdio as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
    expect(() => p.runSync('/bin/true', [], { signal: new AbortController().signal })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => p.runSync('/bin/true', [], { killTimeout: 10 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(fs.existsSync(path.join(tmp, 'ran'))).toBe(false);
    expect([...openFds('self').keys()]).toEqual(fdsBefore);
    expect(zombieChildren(process.pid)).toEqual([]);
  });

  it("reads options once, own properties only: a polluted Object.prototype.stdio is not taken", async () => {
    const rep = await inNode(`
      Object.prototype.stdio = 'inherit';
      const r = p.runSync('sh', ['-c', 'echo captured']);
      delete Object.prototype.stdio;
      console.log(JSON.stringify({ out: r.stdout }));`);
    expect(rep).toEqual({ out: 'captured\n' });
  });

  it('a SIGTERM arriving while it blocks waits: the JS listener runs after the child is done, and the process lives', async () => {
    const rep = await inNode(`
      const order = [];
      process.on('SIGTERM', () => order.push('listener'));
      const r = p.runSync('sh', ['-c', 'kill -TERM ' + process.pid + '; sleep 0.1; echo child-done']);
      order.push('returned:' + r.stdout.trim());
      setTimeout(() => console.log(JSON.stringify({ order })), 50);`);
    expect(rep).toEqual({ order: ['returned:child-done', 'listener'] });
  });

  it.runIf(isRoot)('credentials and a cgroup of its own: runs as nobody, the cgroup is gone when it returns', async () => {
    const r = p.runSync('sh', ['-c', 'id -u; grep ^0:: /proc/self/cgroup'], { user: 'nobody', cgroup: cg.cgroupDirectoryOf('self') !== null ? 'new' : undefined });
    const [uid, cgLine] = r.stdout.trim().split('\n');
    expect(uid).toBe('65534');
    if (cg.cgroupDirectoryOf('self') !== null) {
      const name = cgLine!.split('/').pop()!;
      expect(name).toMatch(/^procctl-\d+-\d+$/);
      expect(fs.existsSync(path.join(cg.cgroupDirectoryOf('self')!, name))).toBe(false);
    }
  });
});
