// fexecve and reexec({ scriptFd }): the program checked through an fd is the one
// that runs, whatever happens to its path. Each scenario runs in a fixture that
// replaces itself (test/fixtures/fexecve.cjs); asserted from its output, exit
// code and pid.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { ROOT, interactiveFixture, killLiveFixtures, runFixture } from './helpers';

const req = createRequire(import.meta.url);
const p: typeof import('../lib/index') = req('../dist/index.js');

let dir: string;
beforeEach(() => {
  // World-readable: the dropped scenario runs a file from it as nobody.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-fexecve-'));
  fs.chmodSync(dir, 0o755);
});
afterEach(() => {
  killLiveFixtures();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function lines(stdout: string): string[] {
  return stdout.trim().split('\n');
}

describe('fexecve', () => {
  it('runs an ELF program from its fd, same pid; the fd is closed in the new program', async () => {
    const r = await runFixture('fexecve.cjs', ['elf', dir]);
    expect(r.stderr).toBe('');
    const [first, second, ...fds] = lines(r.stdout);
    const { pid, fd } = JSON.parse(first!);
    expect(second).toBe(`${path.join(dir, 'sh')} ${pid}`); // argv[0]: the path the fd was opened from
    expect(fds).not.toContain(String(fd));
    expect(fds.filter((f) => Number(f) > 2).length).toBeLessThanOrEqual(1); // at most ls's own
    expect(r.code).toBe(0);
  });

  it('a script checked through its fd, then swapped at its path: the checked one runs (its close-on-exec fd kept for the interpreter)', async () => {
    const r = await runFixture('fexecve.cjs', ['swapScript', dir]);
    expect(r.stderr).toBe('');
    const [first, second, ...fds] = lines(r.stdout);
    const info = JSON.parse(first!);
    expect(info.cloexec).toBe(true); // as libuv opens every file: the O_CLOEXEC + shebang trap
    expect(info.hash).toBe(sha256('#!/bin/sh\necho "verified $$ $0 $*"; ls /proc/$$/fd\n'));
    expect(info.pathNow).toBe(sha256('#!/bin/sh\necho swapped\n'));
    expect(second).toBe(`verified ${info.pid} /dev/fd/${info.fd} a b`);
    expect(fds).toContain(String(info.fd)); // what the interpreter opened it through
    expect(r.stdout).not.toContain('swapped');
  });

  it('an ELF program swapped at its path after opening: the opened one runs', async () => {
    const r = await runFixture('fexecve.cjs', ['swapElf', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0); // true, not the false now at the path
    expect(fs.readFileSync(path.join(dir, 'prog')).equals(fs.readFileSync('/bin/false'))).toBe(true);
  });

  it('an O_PATH fd to a script', async () => {
    const r = await runFixture('fexecve.cjs', ['opath', dir]);
    expect(r.stderr).toBe('');
    const [first, second] = lines(r.stdout);
    expect(second).toBe(`opath ${JSON.parse(first!).pid}`);
  });

  it('with a credential drop: runs as nobody', async () => {
    const r = await runFixture('fexecve.cjs', ['dropped', dir]);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout)[1]).toBe('65534');
  });

  it('failures change nothing: a closed fd (EBADF), a directory (EACCES, flags restored), a file the target user may not run (checked first)', async () => {
    const r = await runFixture('fexecve.cjs', ['failures', dir]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.closed).toMatchObject({ name: 'SystemError', code: 'EBADF', syscall: 'fcntl', stage: 'fd' });
    expect(out.closed.unrestored).toBeUndefined();
    expect(out.directory).toMatchObject({ name: 'SystemError', code: 'EACCES', syscall: 'execveat', stage: 'execve', path: dir });
    expect(out.directory.message).toContain(`fd `);
    expect(out.dirFdInheritable).toBe(false);
    expect(out.dropped).toMatchObject({ code: 'EACCES', syscall: 'execveat', path: path.join(dir, 'secret') });
    expect(out.dropped.message).toMatch(/as uid 65534 .*nothing was changed/);
    expect(out.uid).toBe(0);
  });

  it('bad arguments are Node-style errors, thrown before anything changes', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => p.fexecve(-1))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => p.fexecve(1.5))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => p.fexecve('3' as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => p.fexecve(0, 'x' as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => p.fexecve(0, [1] as never))).toBe('ERR_INVALID_ARG_TYPE');
    expect(code(() => p.fexecve(0, ['a\0b']))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => p.fexecve(0, [], { allowRelativePath: true } as never))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => p.fexecve(0, [], { bogus: 1 } as never))).toBe('ERR_INVALID_ARG_VALUE');
    expect(code(() => p.fexecve(0, [], { umask: 0o1000 }))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => p.reexec({ scriptFd: -1 }))).toBe('ERR_OUT_OF_RANGE');
    expect(code(() => p.reexec({ scriptFd: 'x' as never }))).toBe('ERR_INVALID_ARG_TYPE');
  });
});

describe('reexec({ scriptFd })', () => {
  it('re-runs Node with the script checked through the fd, not what was swapped in at its path', async () => {
    const r = await runFixture('fexecve.cjs', ['reexecScript', dir, 'x', 'y']);
    expect(r.stderr).toBe('');
    const [first, second] = lines(r.stdout);
    const info = JSON.parse(first!);
    expect(JSON.parse(second!)).toEqual({
      next: 'verified',
      pid: info.pid,
      argv1: `/dev/fd/${info.fd}`,
      args: ['x', 'y'],
      execArgv: ['--preserve-symlinks-main'],
    });
  });
});

describe('examples/self-update.mjs with a verified update', () => {
  // The update: a self-contained CommonJS file that serves on the inherited socket.
  const UPDATE = [
    "const http = require('node:http');",
    'const fd = Number(process.env.PROCCTL_INHERITED_FDS);',
    "const answer = () => JSON.stringify({ pid: process.pid, generation: 'update', script: __filename });",
    'const server = http.createServer((req, res) => res.end(answer()));',
    'server.listen({ fd }, () => console.log(JSON.stringify({ ready: true, port: server.address().port, ...JSON.parse(answer()) })));',
    '',
  ].join('\n');

  const get = (port: number) =>
    new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve(body));
      }).on('error', reject);
    });

  async function nextWhere(f: ReturnType<typeof interactiveFixture>, test: (m: Record<string, any>) => boolean) {
    for (;;) {
      const m = await f.next();
      if (test(m)) return m;
    }
  }

  it('runs the file whose hash matched, through its fd: same pid, same socket', async () => {
    const file = path.join(dir, 'next.cjs');
    fs.writeFileSync(file, UPDATE);
    const env = { ...process.env, SELF_UPDATE_FILE: file, SELF_UPDATE_SHA256: sha256(UPDATE) };
    const f = interactiveFixture(path.join(ROOT, 'examples', 'self-update.mjs'), [], env);
    const ready = await f.next();
    expect(ready).toMatchObject({ ready: true, generation: 1 });
    f.child.kill('SIGHUP');
    expect(await f.next()).toEqual({ updating: true, generation: 1, verified: true });
    const next = await nextWhere(f, (m) => m.ready === true);
    expect(next).toMatchObject({ pid: ready.pid, port: ready.port, generation: 'update' });
    expect(next.script).toMatch(/^\/dev\/fd\/\d+$/);
    expect(JSON.parse(await get(ready.port))).toMatchObject({ pid: ready.pid, generation: 'update' });
  });

  it('refuses a file whose hash does not match and keeps serving', async () => {
    const file = path.join(dir, 'next.cjs');
    fs.writeFileSync(file, `${UPDATE}// tampered\n`);
    const env = { ...process.env, SELF_UPDATE_FILE: file, SELF_UPDATE_SHA256: sha256(UPDATE) };
    const f = interactiveFixture(path.join(ROOT, 'examples', 'self-update.mjs'), [], env);
    const ready = await f.next();
    f.child.kill('SIGHUP');
    expect(await f.next()).toEqual({ refused: file, reason: 'SHA-256 mismatch', generation: 1 });
    expect(JSON.parse(await get(ready.port))).toEqual({ pid: ready.pid, generation: 1 });
    expect(f.child.exitCode).toBe(null);
  });
});
