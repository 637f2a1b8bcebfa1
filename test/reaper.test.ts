import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { runFixture } from './helpers';

const require = createRequire(import.meta.url);
const procctl = require('../dist/index.js') as typeof import('../lib/index');

describe('Reaper', () => {
  it('gives child_process children, procctl Subprocesses and orphans each their own status, 1000 rounds', async () => {
    // 4000 processes; nothing in it waits for a time, so only the bound below
    // (generous, for a machine with both cores busy) is wall-clock.
    const r = await runFixture('reaper-mix.cjs', ['1000', '20'], { timeout: 280_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.errors).toEqual([]);
    expect(out.errorCount).toBe(0);
    // No child_process/Subprocess pid ever came out of the Reaper.
    expect(out.stolen).toBe(0);
    expect(out.orphansReaped).toBe(1000);
    expect(out.reapedCount).toBe(1000);
    expect(out.zombies).toEqual([]);
    expect(out.children).toBe(0);
    expect(out.fdsAfter).toBe(out.fdsBefore);
  }, 300_000);

  it('restores listeners, the child_process patch and the subreaper flag; idle costs nothing', async () => {
    const r = await runFixture('reaper-state.cjs');
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.before).toEqual({ sigchldListeners: 0, spawnPatched: false, subreaper: false, sigchldCaught: false });
    expect(out.during).toEqual({ sigchldListeners: 1, spawnPatched: true, subreaper: true, sigchldCaught: true });
    expect(out.after).toEqual(out.before);
    expect(out.adoptsOrphans).toBe(true);
    expect(out.second).toBe('ERR_REAPER_RUNNING');
    expect(out.running).toBe(false);
    expect(out.restart).toBe('ok');
    // A child_process child spawned before the Reaper keeps its status.
    expect(out.earlyExit).toBe(42);
    expect(out.reapedEarly).toBe(false);
    // No polling: no timer or immediate of the Reaper's, and near-zero CPU over 500 ms.
    expect(out.idleTimers).toBe(0);
    expect(out.idleCpuMs).toBeLessThan(50);
  });

  it("never takes an unref'd child_process child spawned before it started; still reaps a real orphan", async () => {
    const r = await runFixture('reaper-unref.cjs');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.zombiesBefore).toEqual(['Z', 'Z', 'Z', 'Z', 'Z', 'Z']); // all exited before reapNow()
    expect(out.stolen).toBe(0);
    expect(out.reaped).toEqual([{ pid: out.orphan, exitCode: 7 }]);
    expect(out.exits).toEqual(Object.fromEntries(out.kids.map((pid: number, i: number) => [String(pid), 40 + i])));
  });

  it('rejects bad options with Node-style errors', () => {
    expect(() => procctl.startReaper({ subreaper: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => procctl.startReaper({ skip: 5 as unknown as () => boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => procctl.startReaper({ bogus: 1 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => procctl.startReaper(null as never)).toThrow(TypeError);
  });
});
