// Bad input to every direct call throws Node's argument errors and never crashes.
// These calls are rejected before any syscall, so they can run in the test process.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const p = require('../dist/index.js') as typeof import('../lib/index');

type Case = [label: string, fn: () => unknown, code: string, type: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor];

const cases: Case[] = [
  ['_exit("1")', () => p._exit('1' as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['_exit(NaN)', () => p._exit(NaN), 'ERR_OUT_OF_RANGE', RangeError],
  ['_exit(1.5)', () => p._exit(1.5), 'ERR_OUT_OF_RANGE', RangeError],
  ['_exit(-1)', () => p._exit(-1), 'ERR_OUT_OF_RANGE', RangeError],
  ['_exit(256)', () => p._exit(256), 'ERR_OUT_OF_RANGE', RangeError],
  ['getsid("0")', () => p.getsid('0' as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['getsid(-1)', () => p.getsid(-1), 'ERR_OUT_OF_RANGE', RangeError],
  ['getsid(2**31)', () => p.getsid(2 ** 31), 'ERR_OUT_OF_RANGE', RangeError],
  ['getsid(Infinity)', () => p.getsid(Infinity), 'ERR_OUT_OF_RANGE', RangeError],
  ['setpgid(null)', () => p.setpgid(null as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['setpgid(0, -5)', () => p.setpgid(0, -5), 'ERR_OUT_OF_RANGE', RangeError],
  ['setpgid(0, 1e20)', () => p.setpgid(0, 1e20), 'ERR_OUT_OF_RANGE', RangeError],
  ['getpgid(NaN)', () => p.getpgid(NaN), 'ERR_OUT_OF_RANGE', RangeError],
  ['setParentDeathSignal("SIGNOPE")', () => p.setParentDeathSignal('SIGNOPE' as NodeJS.Signals), 'ERR_UNKNOWN_SIGNAL', TypeError],
  ['setParentDeathSignal(65)', () => p.setParentDeathSignal(65), 'ERR_OUT_OF_RANGE', RangeError],
  ['setParentDeathSignal(-1)', () => p.setParentDeathSignal(-1), 'ERR_OUT_OF_RANGE', RangeError],
  ['setParentDeathSignal(2.5)', () => p.setParentDeathSignal(2.5), 'ERR_OUT_OF_RANGE', RangeError],
  ['setParentDeathSignal({})', () => p.setParentDeathSignal({} as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['setChildSubreaper(1)', () => p.setChildSubreaper(1 as unknown as boolean), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['setProcessName(5)', () => p.setProcessName(5 as unknown as string), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['setProcessName("a\\0b")', () => p.setProcessName('a\u0000b'), 'ERR_INVALID_ARG_VALUE', TypeError],
  ['setProcessName(16 bytes)', () => p.setProcessName('abcdefghijklmnop'), 'ERR_INVALID_ARG_VALUE', TypeError],
  ['wait4("x")', () => p.wait4('x' as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['wait4(1.5)', () => p.wait4(1.5), 'ERR_OUT_OF_RANGE', RangeError],
  ['wait4(-1, {nohang: 1})', () => p.wait4(-1, { nohang: 1 as unknown as boolean }), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['wait4(-1, {nohnag: true})', () => p.wait4(-1, { nohnag: true } as unknown as object), 'ERR_INVALID_ARG_VALUE', TypeError],
  ['wait4(-1, "x")', () => p.wait4(-1, 'x' as unknown as object), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['setInheritable(-1, true)', () => p.setInheritable(-1, true), 'ERR_OUT_OF_RANGE', RangeError],
  ['setInheritable("1", true)', () => p.setInheritable('1' as unknown as number, true), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['setInheritable(1, "yes")', () => p.setInheritable(1, 'yes' as unknown as boolean), 'ERR_INVALID_ARG_TYPE', TypeError],
  ['isInheritable(2**40)', () => p.isInheritable(2 ** 40), 'ERR_OUT_OF_RANGE', RangeError],
  ['setBlocking(0.5, true)', () => p.setBlocking(0.5, true), 'ERR_OUT_OF_RANGE', RangeError],
  ['isBlocking(undefined)', () => p.isBlocking(undefined as unknown as number), 'ERR_INVALID_ARG_TYPE', TypeError],
];

describe('argument validation', () => {
  it.each(cases)('%s throws the documented error', (_label, fn, code, type) => {
    let caught: unknown;
    try {
      fn();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(type);
    expect((caught as { code: string }).code).toBe(code);
    expect((caught as Error).message.length).toBeGreaterThan(10);
  });

  it('names the argument and the received value like Node does', () => {
    expect(() => p.getsid('0' as unknown as number)).toThrow(
      'The "pid" argument must be of type number. Received type string (\'0\')',
    );
    expect(() => p.setParentDeathSignal('SIGNOPE' as NodeJS.Signals)).toThrow('Unknown signal: SIGNOPE');
    expect(() => p.setProcessName('abcdefghijklmnop')).toThrow(/16 bytes long; the kernel keeps at most 15/);
  });

  it('accepts signals by name and by number', () => {
    // getParentDeathSignal only reads; 0 (disarm) is accepted by the validator.
    expect(() => p.signalName(15)).not.toThrow();
    expect(p.signalName(15)).toBe('SIGTERM');
    expect(p.signalName(6)).toBe('SIGABRT');
    expect(p.signalName(0)).toBe(null);
  });
});
