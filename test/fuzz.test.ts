// Every export driven with hostile values by fast-check (test/fixtures/fuzz.cjs),
// in child processes: a crash (a signal), a hang (the timeout) or an error that is
// not Node-style (an ERR_* code, a SystemError, or the fuzzer's own value thrown
// back from a hostile getter) fails the test. The seed is fixed so a failure can
// be replayed: `node test/fixtures/fuzz.cjs <group> <seed> <runs>`;
// PROCCTL_FUZZ_SEED picks another one.
import { describe, expect, it } from 'vitest';
import { runFixture } from './helpers';

const SEED = Number(process.env.PROCCTL_FUZZ_SEED ?? 20261205);
// Runs per group; each run makes several calls (misc ~22, spawn ~6, exec ~3).
const GROUPS: Array<[group: string, runs: number, minCalls: number]> = [
  ['misc', 800, 17_000],
  ['spawn', 1200, 6_000],
  ['exec', 1500, 4_000],
];

describe(`fuzzing every export with hostile values (seed ${SEED})`, () => {
  it.each(GROUPS)('%s: %i runs, no crash, no hang, only Node-style errors', async (group, runs, minCalls) => {
    const r = await runFixture('fuzz.cjs', [group, String(SEED), String(runs)], { timeout: 240_000 });
    expect({ code: r.code, signal: r.signal, stderr: r.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    const rep = JSON.parse(r.stdout.trim().split('\n').pop()!);
    console.log(`fuzz ${group}: ${rep.calls} calls, ${rep.returned} returned, thrown: ${JSON.stringify(rep.threw)}`);
    expect(rep.bad).toEqual([]);
    expect(rep.threw.NOT_NODE_STYLE ?? 0).toBe(0);
    expect(rep.calls).toBeGreaterThanOrEqual(minCalls);
  }, 300_000);
});
