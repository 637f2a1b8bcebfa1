// wait4 and reapZombies on real children, inside fixtures (wait4(-1) would steal
// the test runner's own children).
import { describe, expect, it } from 'vitest';
import { constants } from 'node:os';
import { runFixture } from './helpers';

async function scenario(name: string): Promise<Record<string, any>> {
  const r = await runFixture('wait.cjs', [name], { timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('wait4', () => {
  it('reaps a real zombie and decodes its exit code', async () => {
    const r = await scenario('zombie');
    expect(r.stateBefore).toBe('Z');
    expect(r.status).toEqual({
      pid: expect.any(Number),
      exitCode: 7,
      signal: null,
      signalNumber: null,
      coreDumped: false,
      stopped: false,
      continued: false,
      shellCode: 7,
    });
    expect(r.rusageKeys).toEqual([
      'involuntaryContextSwitches', 'majorPageFault', 'maxRSS', 'minorPageFault',
      'systemCPUTime', 'userCPUTime', 'voluntaryContextSwitches',
    ]);
    expect(r.stateAfter).toBe('gone');
  });

  it('decodes every exit code 0..255', async () => {
    const r = await scenario('codes');
    expect(r.codes).toHaveLength(256);
    r.codes.forEach((entry: unknown[], code: number) => expect(entry).toEqual([true, code, null, code]));
  });

  it('decodes deaths by signal with names and 128+n', async () => {
    const r = await scenario('signals');
    for (const [sig, st] of Object.entries<Record<string, unknown>>(r.deaths)) {
      const n = (constants.signals as Record<string, number>)[sig];
      expect(st).toMatchObject({ exitCode: null, signal: sig, signalNumber: n, shellCode: 128 + n, stopped: false });
    }
  });

  it('reports coreDumped for a core-dumping death', async () => {
    const r = await scenario('core');
    expect(r.status).toMatchObject({ signal: 'SIGSEGV', coreDumped: true, shellCode: 139 });
  });

  it('returns rusage of the reaped child', async () => {
    const r = await scenario('rusage');
    expect(r.userCPUTime).toBeGreaterThan(0);
    expect(r.maxRSS).toBeGreaterThan(0);
  });

  it('returns null when nothing is ready, and throws ECHILD when there is no child', async () => {
    const r = await scenario('nohang');
    expect(r.running).toBe(null);
    expect(r.runningAny).toBe(null);
    expect(r.killed).toMatchObject({ signal: 'SIGKILL', shellCode: 137 });
    expect(r.echild).toEqual({
      name: 'SystemError', code: 'ECHILD', errno: -10, syscall: 'wait4',
      message: 'ECHILD: no child processes, wait4', isSystemError: true,
    });
    expect(r.reapNone).toEqual([]);
  });

  it('reports stopped and continued children when asked', async () => {
    const r = await scenario('stopped');
    expect(r.stopped).toMatchObject({ stopped: true, signal: 'SIGSTOP', exitCode: null, shellCode: 128 + 19 });
    expect(r.continued).toMatchObject({ continued: true, stopped: false, signal: null, shellCode: null });
    expect(r.killed).toMatchObject({ signal: 'SIGKILL' });
  });
});

describe('reapZombies', () => {
  it('collects every exited child and leaves none behind', async () => {
    const r = await scenario('reapZombies');
    expect(r.reaped).toEqual([[0, 3], [1, 4], [2, 5], [3, 6], [4, 7]]);
    expect(r.zombiesLeft).toBe(0);
  });
});
