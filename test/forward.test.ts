import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FIXTURES, ROOT, alive, run, runFixture, waitFor } from './helpers';

const require = createRequire(import.meta.url);
const procctl = require('../dist/index.js') as typeof import('../lib/index');

/** Starts test/fixtures/forward.cjs and collects its output. */
function startForwarder(mode: 'cp' | 'group') {
  const child = spawn(process.execPath, [path.join(FIXTURES, 'forward.cjs'), mode], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const count = (s: string, text: string) => s.split('\n').filter((l) => l === text).length;
  return { child, out, exited, count };
}

describe('forwardSignals', () => {
  it('forwards ordinary and JS-unsafe signals to a child_process child, with rewrite and drop, then restores', async () => {
    const f = startForwarder('cp');
    await waitFor(() => f.out.stdout.includes('ready'), 10_000, 'child ready');
    expect(f.out.stderr).toMatch(/native .*SIGUSR1.*SIGSEGV/);
    const cases: [NodeJS.Signals, string][] = [
      ['SIGTERM', 'child got TERM'],
      ['SIGHUP', 'child got HUP'],
      ['SIGQUIT', 'child got QUIT'],
      ['SIGUSR1', 'child got USR1'],
      ['SIGUSR2', 'child got USR2'],
      ['SIGSEGV', 'child got SEGV'],
      ['SIGTRAP', 'child got TRAP'],
      ['SIGPIPE', 'child got PIPE'],
      ['SIGALRM', 'child got ALRM'],
    ];
    for (const [sig, line] of cases) {
      const before = f.count(f.out.stdout, line);
      f.child.kill(sig);
      await waitFor(() => f.count(f.out.stdout, line) > before, 5000, `${line}`);
    }
    // SIGINT is rewritten to SIGUSR2; SIGBUS is dropped (rewrite to 0).
    const usr2 = f.count(f.out.stdout, 'child got USR2');
    f.child.kill('SIGINT');
    await waitFor(() => f.count(f.out.stdout, 'child got USR2') > usr2, 5000, 'INT as USR2');
    f.child.kill('SIGBUS');
    await waitFor(() => f.out.stderr.includes('fwd SIGBUS null'), 5000, 'BUS dropped');
    f.child.kill('SIGWINCH');
    await waitFor(() => f.out.stdout.includes('child got WINCH'), 5000, 'WINCH after BUS');
    expect(f.out.stdout).not.toContain('got BUS');
    expect(f.out.stdout).not.toContain('got INT');
    // The forwarder itself survived every one of them.
    expect(alive(f.child.pid!)).toBe(true);
    f.child.stdin.write('stop\n');
    expect(await f.exited).toBe(0);
    const state = JSON.parse(/STATE (.*)/.exec(f.out.stderr)![1]!);
    expect(state.stopped).toBe(true);
    // Every disposition back as it was: handlers, ignored set (SIGPIPE, SIGXFSZ), mask.
    expect(state.after).toEqual(state.before);
    expect(state.forwarded).not.toContain('SIGCHLD');
    expect(state.forwarded).not.toContain('SIGKILL');
    expect(state.forwarded).not.toContain('SIGSTOP');
    expect(state.forwarded).toHaveLength(28);
  });

  it('sends to the whole process group of a procctl Subprocess with toGroup', async () => {
    const f = startForwarder('group');
    await waitFor(() => f.out.stdout.includes('ready') && f.out.stdout.includes('grandchild ready'), 10_000, 'ready');
    for (const [sig, name] of [['SIGTERM', 'TERM'], ['SIGUSR1', 'USR1'], ['SIGSEGV', 'SEGV']] as const) {
      f.child.kill(sig);
      await waitFor(() => f.out.stdout.includes(`child got ${name}`) && f.out.stdout.includes(`grandchild got ${name}`), 5000, name);
    }
    f.child.stdin.write('stop\n');
    expect(await f.exited).toBe(0);
    const state = JSON.parse(/STATE (.*)/.exec(f.out.stderr)![1]!);
    expect(state.after).toEqual(state.before);
  });

  it('leaves real faults and self-sent signals alone: WebAssembly traps still throw, a self-SIGSEGV still kills', async () => {
    const ok = await runFixture('forward-fault.cjs');
    expect(ok.code).toBe(0);
    expect(ok.stdout.match(/wasm trap: RuntimeError: memory access out of bounds/g)).toHaveLength(3);
    const segv = await runFixture('forward-fault.cjs', ['self-segv']);
    const sleeper = Number(/child (\d+)/.exec(segv.stdout)![1]);
    try {
      expect(segv.signal).toBe('SIGSEGV');
      expect(segv.stdout).not.toContain('forwarded');
      expect(segv.stdout).not.toContain('survived');
    } finally {
      if (alive(sleeper)) process.kill(sleeper, 'SIGKILL');
    }
  });

  it('installs its native handler without a window where a self-sent signal (V8 profiler SIGPROF) meets SIG_DFL', async () => {
    // A race needs many first installs; each process has one per signal.
    const dir = mkdtempSync(path.join(tmpdir(), 'procctl-prof-'));
    try {
      // Node 26's profiler at a 1 us interval hangs about 1 run in 100 on its
      // own (a script that only spins, without procctl, does the same): such a
      // run is killed after 10 s and started again, at most twice. What is
      // asserted is that no run dies, and every run ends with its report.
      const once = async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await run(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=1', path.join(FIXTURES, 'forward-prof.cjs')], { cwd: ROOT, timeout: 10_000 });
          } catch (e) {
            if (attempt === 3 || !/timed out/.test((e as Error).message)) throw e;
            console.log(`a profiled run hung (attempt ${attempt}; Node ${process.version}'s --cpu-prof-interval=1 does that without procctl too): started again`);
          }
        }
      };
      const results: { code: number | null; signal: string | null; stdout: string }[] = [];
      for (let batch = 0; batch < 6; batch++) {
        results.push(...(await Promise.all(Array.from({ length: 4 }, once))));
      }
      const summary = results.map((r) => `${r.code}/${r.signal}/${r.stdout.trim()}`);
      expect(summary).toEqual(results.map(() => '0/null/ok SIGPROF,SIGVTALRM'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates its arguments', () => {
    const target = { pid: process.pid };
    expect(() => procctl.forwardSignals(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => procctl.forwardSignals({ pid: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => procctl.forwardSignals(target, { signals: ['SIGKILL'] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => procctl.forwardSignals(target, { signals: ['SIGCHLD'] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => procctl.forwardSignals(target, { signals: ['SIGNOPE' as NodeJS.Signals] })).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
    expect(() => procctl.forwardSignals(target, { rewrite: { SIGTERM: 'SIGWHAT' as NodeJS.Signals } })).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
    expect(() => procctl.forwardSignals(target, { toGroup: 1 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => procctl.forwardSignals(target, { nope: true } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(procctl.forwardableSignals()).toHaveLength(28);
  });
});
