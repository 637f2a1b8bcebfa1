/**
 * actAsInit(): a Node program as its own PID 1, in `unshare --pid --fork
 * --mount-proc`: orphans reaped, child_process 'exit' kept, and SIGTERM / SIGINT
 * / SIGHUP with no listener ending it at once with 128+n (the kernel drops them
 * for a PID 1 otherwise), while a listener, when there is one, decides.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, alive, waitFor } from './helpers';

const FIXTURE = path.join(FIXTURES, 'pid1.cjs');

// A failed test must not leave its namespace running (a 'busy' one spins):
// killing unshare kills its PID 1 (--kill-child), and with it the namespace.
const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function startPid1(mode: string) {
  const child = spawn('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, FIXTURE, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code, sig) => r(code ?? (sig ? -1 : null))));
  const line = await waitFor(() => stdout.split('\n').find((l) => l.startsWith('{')), 20_000, 'ready').catch((e: Error) => {
    throw new Error(`${e.message}: ${stderr}`);
  });
  const pid = await waitFor(() => Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]) || 0, 5000, 'pid');
  return { child, pid, report: JSON.parse(line) as Record<string, unknown>, exited, out: () => stdout };
}

describe('actAsInit() as PID 1 (unshare --pid --fork --mount-proc)', () => {
  it('reaps orphans, keeps child_process exit events, and gives back SIGTERM/SIGINT/SIGHUP', async () => {
    const app = await startPid1('idle');
    expect(app.report).toEqual({ pid: 1, pid1: true, exitSignals: ['SIGTERM', 'SIGINT', 'SIGHUP'], subreaper: false, reaped: [3, 3, 3], cpExit: 5, zombies: 0 });
    process.kill(app.pid, 'SIGTERM');
    expect(await app.exited).toBe(143);
    for (const [sig, code] of [['SIGINT', 130], ['SIGHUP', 129]] as const) {
      const other = await startPid1('idle');
      process.kill(other.pid, sig);
      expect(await other.exited).toBe(code);
    }
  });

  it('the control: without actAsInit the kernel drops SIGTERM for a Node PID 1', async () => {
    const app = await startPid1('none');
    expect(app.report.pid).toBe(1);
    process.kill(app.pid, 'SIGTERM'); // dropped when sent: nothing pending
    process.kill(app.pid, 'SIGUSR2');
    await waitFor(() => app.out().includes('alive'), 5000, 'USR2 handled after the TERM');
    expect(alive(app.pid)).toBe(true);
    process.kill(app.pid, 'SIGKILL');
    await app.exited;
  });

  it('ends at once even while JS is busy (a native handler, not a JS listener)', async () => {
    const app = await startPid1('busy');
    process.kill(app.pid, 'SIGTERM');
    expect(await app.exited).toBe(143);
  });

  it('with a SIGTERM listener, the listener runs and decides', async () => {
    const app = await startPid1('listener');
    process.kill(app.pid, 'SIGTERM');
    expect(await app.exited).toBe(42);
    expect(app.out()).toContain('listener ran');
  });

  it('after the last listener is removed, SIGTERM ends it again', async () => {
    const app = await startPid1('removed');
    process.kill(app.pid, 'SIGTERM');
    expect(await app.exited).toBe(143);
    expect(app.out()).not.toContain('must not run');
  });

  it("stop() puts Node's own action back: the kernel drops SIGTERM again", async () => {
    const app = await startPid1('stop');
    process.kill(app.pid, 'SIGTERM');
    process.kill(app.pid, 'SIGUSR2');
    await waitFor(() => app.out().includes('alive'), 5000, 'USR2 handled after the TERM');
    expect(alive(app.pid)).toBe(true);
    process.kill(app.pid, 'SIGKILL');
    await app.exited;
  });
});

describe('actAsInit() when not PID 1', () => {
  it('becomes a subreaper, reaps the orphans that come to it, and leaves signals alone', async () => {
    const child = spawn(process.execPath, [FIXTURE, 'idle'], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on('close', (_code, sig) => r(sig)));
    const line = await waitFor(() => stdout.split('\n').find((l) => l.startsWith('{')), 20_000, 'ready');
    expect(JSON.parse(line)).toMatchObject({ pid1: false, exitSignals: [], subreaper: true, reaped: [3, 3, 3], cpExit: 5 });
    child.kill('SIGTERM'); // the kernel's default action, as for any program
    expect(await exited).toBe('SIGTERM');
  });
});
