// procctl.run(): stdout and stderr read by the addon and handed over with the
// status in one piece (the default), and the stream path it keeps for the fork
// engine. Outputs are compared with what the child wrote, byte for byte.
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alive, runFixture, waitFor } from './helpers';

type Procctl = typeof import('../lib/index');
const req = createRequire(import.meta.url);
const p: Procctl = req('../dist/index.js');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'procctl-run-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A node child that writes `stdout` and `stderr` (base64 in argv, so any bytes) with blocking writes, then exits 7. */
function writer(stdout: Buffer, stderr: Buffer): [string, string[]] {
  const file = path.join(tmp, `w${Math.random().toString(36).slice(2)}.bin`);
  fs.writeFileSync(`${file}.out`, stdout);
  fs.writeFileSync(`${file}.err`, stderr);
  const code = `const fs = require('fs');
    fs.writeSync(1, fs.readFileSync(process.argv[1] + '.out'));
    fs.writeSync(2, fs.readFileSync(process.argv[1] + '.err'));
    process.exitCode = 7;`;
  return [process.execPath, ['-e', code, file]];
}

/** Deterministic bytes (a linear congruential generator): every value 0..255, much invalid UTF-8. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const engines = ['auto', 'fork'] as const;

describe.each(engines)('run() output (engine %s)', (engine) => {
  const withEngine = async <T>(fn: () => Promise<T>): Promise<T> => {
    process.env.PROCCTL_SPAWN_ENGINE = engine;
    try {
      return await fn();
    } finally {
      delete process.env.PROCCTL_SPAWN_ENGINE;
    }
  };

  it('8 MB on stdout and 3 MB on stderr arrive whole, in order, with the status', async () => {
    const out = Buffer.from(Array.from({ length: 8 * 1024 * 1024 / 16 }, (_, i) => `${String(i).padStart(15, '0')}\n`).join(''));
    const err = Buffer.from('e'.repeat(3 * 1024 * 1024 - 1) + '\n');
    const [file, args] = writer(out, err);
    const r = await withEngine(() => p.run(file, args));
    expect(r.status.exitCode).toBe(7);
    expect(r.stdout.length).toBe(out.length);
    expect(r.stdout === out.toString('utf8')).toBe(true);
    expect(r.stderr === err.toString('utf8')).toBe(true);
  });

  it("bytes that are not UTF-8, and characters split across reads, decode exactly as Buffer#toString('utf8')", async () => {
    // 300 KB of random bytes; then 250,000 three-byte characters, which must
    // straddle every 64 KiB read boundary.
    const raw = bytes(300_000, 42);
    const euro = Buffer.from('€'.repeat(250_000));
    const [file, args] = writer(raw, euro);
    const r = await withEngine(() => p.run(file, args));
    expect(r.stdout === raw.toString('utf8')).toBe(true);
    expect(r.stderr === euro.toString('utf8')).toBe(true);
    expect(r.stderr.length).toBe(250_000);
  });

  it('a child that closes stdout early and goes on: the status once it exits, stderr intact', async () => {
    const r = await withEngine(() => p.run('/bin/sh', ['-c', 'echo before; exec 1>&-; sleep 0.2; echo after >&2; exit 3']));
    expect(r).toMatchObject({ stdout: 'before\n', stderr: 'after\n' });
    expect(r.status.exitCode).toBe(3);
  });

  it('a grandchild that holds the pipe: run() resolves once the pipe closes, with what it wrote', async () => {
    const marker = path.join(tmp, `gc-${engine}`);
    const t0 = Date.now();
    const r = await withEngine(() => p.run('/bin/sh', ['-c', `(sleep 0.3; echo late; touch ${marker}) & echo early`]));
    expect(r.stdout).toBe('early\nlate\n');
    expect(r.status.exitCode).toBe(0);
    expect(fs.existsSync(marker)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('a child that floods stderr which nobody reads is never blocked: 16 MB, then its stdout and exit', async () => {
    const r = await withEngine(() => p.run('/bin/sh', ['-c', 'head -c 16777216 /dev/zero >&2; echo done']));
    expect(r.stderr.length).toBe(16 * 1024 * 1024);
    expect(r.stdout).toBe('done\n');
    expect(r.status.exitCode).toBe(0);
  });

  it('200 at once: each gets its own output and status', async () => {
    const rs = await withEngine(() => Promise.all(Array.from({ length: 200 }, (_, i) => p.run('/bin/sh', ['-c', `echo ${i}; echo x${i} >&2; exit ${i % 7}`]))));
    rs.forEach((r, i) => {
      expect(r.stdout).toBe(`${i}\n`);
      expect(r.stderr).toBe(`x${i}\n`);
      expect(r.status.exitCode).toBe(i % 7);
    });
  });

  it("stdio other than pipes: '' for a stream that is not a pipe; stdin 'pipe' uses the stream path and still works", async () => {
    const r = await withEngine(() => p.run('/bin/sh', ['-c', 'echo out; echo err >&2'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    expect(r).toMatchObject({ stdout: 'out\n', stderr: '' });
    const r2 = await withEngine(() => p.run('/bin/sh', ['-c', 'echo out; echo err >&2'], { stdio: ['pipe', 'pipe', 'pipe'] }));
    expect(r2).toMatchObject({ stdout: 'out\n', stderr: 'err\n' });
  });

  it('an abort signal ends the child: run() resolves with the signal it died of', async () => {
    const ac = new AbortController();
    const pending = withEngine(async () => p.run('/bin/sleep', ['30'], { signal: ac.signal }));
    setTimeout(() => ac.abort(), 50);
    const r = await pending;
    expect(r.status.signal).toBe('SIGTERM');
  });
});

describe('run() in its own process', () => {
  it('1000 runs (output on both streams, failures, kills, ten at once): no fd, zombie or registration left', async () => {
    const r = await runFixture('run-capture.cjs', ['many', JSON.stringify({ count: 1000 })], { timeout: 240_000 });
    expect(r.stderr).toBe('');
    const rep = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(rep).toMatchObject({ n: 1000, ok: 1000, zombies: 0, owned: 0 });
    expect(rep.fdsAfter).toEqual(rep.fdsBefore);
  }, 300_000);

  it('a polluted Object.prototype (stdio, user, env, argv0, cwd, killSignal) reaches no child', async () => {
    const r = await runFixture('run-capture.cjs', ['polluted']);
    expect(r.stderr).toBe('');
    const rep = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(rep.stdout).toBe(`/bin/sh unset ${fs.realpathSync(rep.cwd)}\nUid:\t0\t0\t0\t0\n`);
    expect(rep.exitCode).toBe(0);
  });

  it("an unref'd child lets the process exit while it runs; ref() undoes it", async () => {
    const r = await runFixture('run-capture.cjs', ['unref'], { timeout: 10_000 });
    expect(r.code).toBe(0);
    const { pid } = JSON.parse(r.stdout.trim());
    expect(alive(pid)).toBe(true);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid));
    const r2 = await runFixture('run-capture.cjs', ['reref'], { timeout: 10_000 });
    expect(JSON.parse(r2.stdout.trim())).toMatchObject({ exitCode: 0 });
  });
});
