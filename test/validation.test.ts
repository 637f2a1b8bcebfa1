// Bad input to every direct call throws Node's argument errors and never crashes.
// These calls are rejected before any syscall, so they can run in the test process.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { runFixture } from './helpers';

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

// exec calls run in a child fixture: a case wrongly accepted would replace the
// process running it.
describe('argument validation: execve, execvp, reexec, duplicateFd, fdOf', () => {
  const TYPE = ['TypeError', 'ERR_INVALID_ARG_TYPE'];
  const VALUE = ['TypeError', 'ERR_INVALID_ARG_VALUE'];
  const RANGE = ['RangeError', 'ERR_OUT_OF_RANGE'];
  const SIGNAL = ['TypeError', 'ERR_UNKNOWN_SIGNAL'];
  const expected: Record<string, string[]> = {
    'execve(5)': TYPE,
    'execve(T, "x")': TYPE,
    'execve(T, [1])': TYPE,
    'execve(T, ["a\\0b"])': VALUE,
    'execve("/bin/tr\\0ue")': VALUE,
    'execve(T, [], null)': TYPE,
    'execve(T, [], "x")': TYPE,
    'argv0: 5': TYPE,
    'argv0: NUL': VALUE,
    'env: 5': TYPE,
    'env: ["NOEQUALS"]': VALUE,
    'env: [5]': TYPE,
    'env: {"A=B"}': VALUE,
    'env: {"": x}': VALUE,
    'env: {A: NUL}': VALUE,
    'env: {"A\\0": x}': VALUE,
    'inheritFds: 3': TYPE,
    'inheritFds: [-1]': RANGE,
    'inheritFds: [NaN]': RANGE,
    'inheritFds: [1.5]': RANGE,
    'inheritFds: [2**31]': RANGE,
    'inheritFds: ["3"]': TYPE,
    'cwd: 5': TYPE,
    'cwd: NUL': VALUE,
    'signalMask: "SIGTERM"': TYPE,
    'signalMask: ["SIGNOPE"]': SIGNAL,
    'signalMask: [65]': RANGE,
    'signalMask: [0]': RANGE,
    'signalMask: [NaN]': RANGE,
    'signalMask: ["SIGKILL"]': VALUE,
    'signalMask: ["toString"]': SIGNAL,
    'setsid: 1': TYPE,
    'noNewPrivs: "yes"': TYPE,
    'flushStdio: null': TYPE,
    'parentDeathSignal: "SIGNOPE"': SIGNAL,
    'parentDeathSignal: "constructor"': SIGNAL,
    'parentDeathSignal: -1': RANGE,
    'parentDeathSignal: NaN': RANGE,
    'parentDeathSignal: 1e10': RANGE,
    'parentDeathSignal: {}': TYPE,
    'umask: -1': RANGE,
    'umask: 0o1000': RANGE,
    'umask: NaN': RANGE,
    'umask: 1.5': RANGE,
    'umask: "022"': TYPE,
    'user: unknown name': VALUE,
    'user: -1': RANGE,
    'user: 2**32': RANGE,
    'user: 1.5': RANGE,
    'user: {}': TYPE,
    'user: NUL': VALUE,
    'group: unknown name': VALUE,
    'group: NaN': RANGE,
    'groups: "wheel"': TYPE,
    'groups: [{}]': TYPE,
    'groups: [-1]': RANGE,
    'groups: [unknown]': VALUE,
    'unknown option': VALUE,
    'execvp(null)': TYPE,
    'execvp(T, [], {env: 5})': TYPE,
    'execvp(T, [], {umask: NaN})': RANGE,
    'reexec("x")': TYPE,
    'reexec({args: "x"})': TYPE,
    'reexec({args: [NUL]})': VALUE,
    'reexec({execArgv: [5]})': TYPE,
    'reexec({inheritFds: [-1]})': RANGE,
    'reexec({bogus: 1})': VALUE,
    'duplicateFd(-1)': RANGE,
    'duplicateFd("1")': TYPE,
    'duplicateFd(NaN)': RANGE,
    'fdOf({})': TYPE,
    'fdOf(null)': TYPE,
  };

  it('every bad-input case throws the documented error, and nothing changes', async () => {
    const r = await runFixture('exec-validate.cjs');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { results, before, after } = JSON.parse(r.stdout) as {
      results: Record<string, { name?: string; code?: string; message?: string; returned?: string }>;
      before: unknown;
      after: unknown;
    };
    expect(Object.keys(results).sort()).toEqual(Object.keys(expected).sort());
    const got = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, [v.name, v.code]]));
    expect(got).toEqual(expected);
    for (const v of Object.values(results)) expect(v.message!.length).toBeGreaterThan(10);
    expect(after).toEqual(before);
  });
});

describe('argument validation: forwardSignals, startReaper, spawn (rejected before anything starts)', () => {
  const target = { pid: process.pid };
  const more: Case[] = [
    ['forwardSignals(null)', () => p.forwardSignals(null as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['forwardSignals({pid: 0})', () => p.forwardSignals({ pid: 0 }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['forwardSignals({pid: NaN})', () => p.forwardSignals({ pid: NaN }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['forwardSignals({pid: 2**31})', () => p.forwardSignals({ pid: 2 ** 31 }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['forwardSignals({pid: "1"})', () => p.forwardSignals({ pid: '1' as never }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['forwardSignals(t, "x")', () => p.forwardSignals(target, 'x' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['forwardSignals signals: "SIGTERM"', () => p.forwardSignals(target, { signals: 'SIGTERM' as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['forwardSignals signals: [NaN]', () => p.forwardSignals(target, { signals: [NaN] }), 'ERR_OUT_OF_RANGE', RangeError],
    ['forwardSignals signals: [40]', () => p.forwardSignals(target, { signals: [40] }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['forwardSignals signals: ["toString"]', () => p.forwardSignals(target, { signals: ['toString' as never] }), 'ERR_UNKNOWN_SIGNAL', TypeError],
    ['forwardSignals rewrite: 5', () => p.forwardSignals(target, { rewrite: 5 as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['forwardSignals rewrite {SIGTERM: -1}', () => p.forwardSignals(target, { rewrite: { SIGTERM: -1 } }), 'ERR_OUT_OF_RANGE', RangeError],
    ['forwardSignals rewrite {NOPE: 1}', () => p.forwardSignals(target, { rewrite: { NOPE: 1 } as never }), 'ERR_UNKNOWN_SIGNAL', TypeError],
    ['forwardSignals onSignal: 1', () => p.forwardSignals(target, { onSignal: 1 as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['forwardSignals stopOnExit: "no"', () => p.forwardSignals(target, { stopOnExit: 'no' as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['startReaper("x")', () => p.startReaper('x' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['startReaper({subreaper: 1})', () => p.startReaper({ subreaper: 1 as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['startReaper({skip: "x"})', () => p.startReaper({ skip: 'x' as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['startReaper({bogus: 1})', () => p.startReaper({ bogus: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn(5)', () => p.spawn(5 as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn(NUL)', () => p.spawn('/bin/tr\u0000ue'), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn(T, "x")', () => p.spawn('/bin/true', 'x' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn(T, [NUL])', () => p.spawn('/bin/true', ['a\u0000']), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn(T, [], "x")', () => p.spawn('/bin/true', [], 'x' as never), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn env {A: NUL}', () => p.spawn('/bin/true', [], { env: { A: 'x\u0000' } }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn cwd: 5', () => p.spawn('/bin/true', [], { cwd: 5 as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn umask: NaN', () => p.spawn('/bin/true', [], { umask: NaN }), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn umask: -1', () => p.spawn('/bin/true', [], { umask: -1 }), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn user: -1', () => p.spawn('/bin/true', [], { user: -1 }), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn user: unknown', () => p.spawn('/bin/true', [], { user: 'no-such-user-procctl' }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn parentDeathSignal: "SIGNOPE"', () => p.spawn('/bin/true', [], { parentDeathSignal: 'SIGNOPE' as never }), 'ERR_UNKNOWN_SIGNAL', TypeError],
    ['spawn killSignal: 99', () => p.spawn('/bin/true', [], { killSignal: 99 }), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn killTimeout: -1', () => p.spawn('/bin/true', [], { killTimeout: -1 }), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn killTimeout: NaN', () => p.spawn('/bin/true', [], { killTimeout: NaN }), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn processGroup: -1', () => p.spawn('/bin/true', [], { processGroup: -1 }), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn stdio: [-1]', () => p.spawn('/bin/true', [], { stdio: [-1] as never }), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn stdio: ["bogus"]', () => p.spawn('/bin/true', [], { stdio: ['bogus'] as never }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn rlimits: {nofile: "x"}', () => p.spawn('/bin/true', [], { rlimits: { nofile: 'x' as never } }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn rlimits: {nofile: [NaN, NaN]}', () => p.spawn('/bin/true', [], { rlimits: { nofile: [NaN, NaN] } }), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn signal: {}', () => p.spawn('/bin/true', [], { signal: {} as never }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn bogus option', () => p.spawn('/bin/true', [], { bogus: 1 } as never), 'ERR_INVALID_ARG_VALUE', TypeError],
  ];
  it.each(more)('%s throws the documented error', (_label, fn, code, type) => {
    let caught: unknown;
    let returned: unknown;
    try {
      returned = fn();
    } catch (err) {
      caught = err;
    }
    // Clean up whatever a wrongly accepted call started before failing the test.
    if (returned && typeof (returned as { stop?: unknown }).stop === 'function') (returned as { stop(): void }).stop();
    if (returned && typeof (returned as { kill?: unknown }).kill === 'function') (returned as { kill(s: string): void }).kill('SIGKILL');
    expect(caught).toBeInstanceOf(type);
    expect((caught as { code: string }).code).toBe(code);
  });
});

// Bounded, hole-free, hostile input: each is refused before anything is opened
// or started, with a Node-style error and no crash (the spawn cases would start
// /bin/true if accepted, which is harmless here).
describe('hostile values: sizes, holes, symbols, objects without a prototype', () => {
  const huge = (n: number): unknown[] => {
    const a: unknown[] = [];
    a.length = n;
    return a;
  };
  const sparse = <T>(a: T, b: T): T[] => {
    const out: T[] = [a];
    out[2] = b;
    return out;
  };
  const opts = (o: Record<string, unknown>) => o as unknown as Parameters<typeof p.spawn>[2];
  const hostile: Case[] = [
    ['spawn stdio of length 1e7', () => p.spawn('/bin/true', [], opts({ stdio: huge(1e7) })), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn stdio of length 2**32-1', () => p.spawn('/bin/true', [], opts({ stdio: huge(2 ** 32 - 1) })), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn args of length 2**32-1', () => p.spawn('/bin/true', huge(2 ** 32 - 1) as string[]), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn sparse args', () => p.spawn('/bin/true', sparse('a', 'b')), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn sparse groups', () => p.spawn('/bin/true', [], opts({ user: 'nobody', groups: sparse('users', 'games') })), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn sparse env array', () => p.spawn('/bin/true', [], opts({ env: sparse('A=1', 'B=2') })), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn sparse rlimit pair', () => p.spawn('/bin/true', [], opts({ rlimits: { nofile: sparse(1, 2).slice(0, 2) } })), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn groups of 65537', () => p.spawn('/bin/true', [], opts({ user: 'nobody', groups: new Array(65537).fill(1) })), 'ERR_OUT_OF_RANGE', RangeError],
    ['spawn(Symbol())', () => p.spawn(Symbol('file') as unknown as string), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn args [Symbol()]', () => p.spawn('/bin/true', [Symbol('arg') as unknown as string]), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn user Symbol()', () => p.spawn('/bin/true', [], opts({ user: Symbol('u') })), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn user Object.create(null)', () => p.spawn('/bin/true', [], opts({ user: Object.create(null) })), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn env value Symbol()', () => p.spawn('/bin/true', [], opts({ env: { A: Symbol('v') } })), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn env value Object.create(null)', () => p.spawn('/bin/true', [], opts({ env: { A: Object.create(null) } })), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['spawn stdio entry Symbol()', () => p.spawn('/bin/true', [], opts({ stdio: ['ignore', Symbol('s')] })), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn unknown option holding Symbol()', () => p.spawn('/bin/true', [], opts({ [`typo`]: Symbol('x') })), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['spawn cwd with a throwing toString', () => p.spawn('/bin/true', [], opts({ cwd: { toString() { throw new Error('boom'); } } })), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['run sparse args (throws at once)', () => p.run('/bin/true', sparse('a', 'b')), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['searchPathOf(5)', () => p.searchPathOf(5 as unknown as string[]), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['searchPathOf([5])', () => p.searchPathOf([5] as unknown as string[]), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['searchCandidates(5, "")', () => p.searchCandidates(5 as unknown as string, ''), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['searchCandidates("x", null)', () => p.searchCandidates('x', null as unknown as string), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['forwardSignals signals sparse', () => p.forwardSignals({ pid: 1 }, { signals: sparse('SIGTERM', 'SIGINT') as NodeJS.Signals[] }), 'ERR_INVALID_ARG_VALUE', TypeError],
    ['setProcessName truncate "yes"', () => p.setProcessName('x', { truncate: 'yes' as unknown as boolean }), 'ERR_INVALID_ARG_TYPE', TypeError],
  ];
  it.each(hostile)('%s throws the documented error', (_label, fn, code, type) => {
    let caught: unknown;
    try {
      fn();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(type);
    expect((caught as { code: string }).code).toBe(code);
  });

  it('the native spawn binding refuses ids it would wrap or truncate, and starts nothing', () => {
    const binding = require('../dist/platform.js').nativeBinding() as { spawn(...args: unknown[]): unknown };
    // The binding takes the request as positional values, its numbers in a
    // Float64Array (lib/spawn.ts); these are its defaults.
    const defaults: Record<string, unknown> = { pwd: null, cwd: null, uid: -1, gid: -1, groups: null, umask: -1, rlimits: null,
      pgid: -1, controllingTerminal: -1, foregroundTerminal: -1, pdeathsig: 0, flags: 0, engine: 0, attrs: null };
    const addon = {
      spawn: (req: Record<string, unknown>) => {
        const r = { ...defaults, ...req } as Record<string, any>;
        const buf = new Float64Array(64);
        ['uid', 'gid', 'umask', 'pgid', 'controllingTerminal', 'foregroundTerminal', 'pdeathsig', 'flags', 'engine'].forEach((k, i) => { buf[i] = r[k]; });
        buf[9] = r.fds.length;
        r.fds.forEach((fd: number, i: number) => { buf[10 + i] = fd; });
        return binding.spawn(r.paths, r.argv[0], r.argv.slice(1), r.envp, r.pwd, r.cwd, r.groups, r.rlimits, r.attrs, buf);
      },
    };
    const base = { paths: ['/bin/true'], argv: ['true'], envp: [], fds: [-1, -1, -1], engine: 0 };
    const children = () => require('node:fs').readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8');
    const before = children();
    for (const id of [4294967295, 2 ** 32 + 5, -5, NaN, 1.5, Infinity]) {
      for (const key of ['uid', 'gid']) expect(() => addon.spawn({ ...base, [key]: id }), `${key} ${id}`).toThrow(RangeError);
      expect(() => addon.spawn({ ...base, groups: [id] }), `groups [${id}]`).toThrow(RangeError);
    }
    for (const [key, value] of [['umask', 0o1000], ['pdeathsig', 65], ['fds', [-7]], ['fds', [-1.5]], ['fds', [2 ** 31]], ['pgid', -2], ['rlimits', [7, -5, 1]], ['engine', 9]] as const) {
      expect(() => addon.spawn({ ...base, [key]: value }), `${key} ${JSON.stringify(value)}`).toThrow(RangeError);
    }
    expect(children()).toBe(before);
  });
});
