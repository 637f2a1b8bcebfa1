/**
 * forwardSignals: pass the signals this process receives on to a child (or its
 * process group), as tini and dumb-init do for the program they run.
 *
 * Two delivery paths, chosen per signal:
 * - a JS listener (`process.on(sig)`, a libuv signal watcher) for the ordinary
 *   signals (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR2, SIGWINCH, ...). The action
 *   installed before is remembered natively and put back on stop(), because libuv
 *   resets a signal to SIG_DFL when its last watcher goes (that would drop Node's
 *   own SIGINT/SIGTERM handler or a SIG_IGN);
 * - a native sigaction handler writing to a pipe read on the event loop, for the
 *   signals a JS listener cannot take safely: SIGUSR1 (Node's inspector), the
 *   fault signals SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGTRAP/SIGSYS (a listener would
 *   loop forever on a real fault), SIGPROF/SIGVTALRM (profiler ticks), and any
 *   signal that is ignored when forwarding starts (SIGPIPE, SIGXFSZ in Node).
 *   The native handler forwards only signals *sent by another process*; real
 *   faults and signals the process sends itself go to the previous disposition,
 *   so a crash still crashes and V8's WebAssembly trap handler keeps working.
 */
import type * as net from 'node:net';
import { invalidArgType, invalidArgValue } from './errors';
import { requireNative } from './platform';
import { classicSignals, signalName, toSignalNumber, type SignalLike } from './signals';
import { inspectArg, snapshotOptions, snapshotRecord, validateArray, validateBoolean, validateFunction } from './validate';

interface SignalsNative {
  signalPipeFd(): number;
  signalForwardInstall(sig: number): number;
  signalForwardRestore(sig: number): number;
  signalSnapshot(sig: number): number;
  signalSnapshotRestore(sig: number): number;
  signalDisposition(sig: number): number;
}

/** Anything with a pid: a procctl Subprocess, a child_process ChildProcess, `{ pid }`. */
export interface ForwardTarget {
  readonly pid?: number | undefined;
  /** Used for the child itself when present (ChildProcess.kill, Subprocess.kill). */
  kill?(signal?: NodeJS.Signals | number): unknown;
  /** Used for the group when present (Subprocess.killGroup). */
  killGroup?(signal?: NodeJS.Signals | number): unknown;
  /** When present, forwarding stops by itself on `'exit'` (see `stopOnExit`). */
  once?(event: 'exit', listener: (...args: unknown[]) => void): unknown;
  removeListener?(event: 'exit', listener: (...args: unknown[]) => void): unknown;
}

/** Signal rewriting: received name (or number) -> signal to send instead, 0 to drop it. */
export type SignalRewrite = Partial<Record<NodeJS.Signals | number, SignalLike | 0>>;

export interface ForwardSignalsOptions {
  /**
   * Signals to forward. Default: every catchable classic signal 1..31 except
   * SIGCHLD (SIGKILL and SIGSTOP cannot be caught).
   */
  signals?: SignalLike[];
  /** Send to the child's process group (-pid) instead of the child. Default false. */
  toGroup?: boolean;
  /** `{ SIGTERM: 'SIGQUIT' }` sends SIGQUIT when SIGTERM arrives; `{ SIGHUP: 0 }` drops SIGHUP. */
  rewrite?: SignalRewrite;
  /** Stop forwarding when the target emits `'exit'`. Default true. */
  stopOnExit?: boolean;
  /**
   * Called after each received signal is handled: `forwarded` is the signal
   * sent (after rewriting), or null when it was dropped or the target is gone.
   */
  onSignal?: (received: NodeJS.Signals, forwarded: NodeJS.Signals | null) => void;
}

/** A running forwarder. */
export interface SignalForwarder {
  /** The signals being forwarded, by name. */
  readonly signals: readonly NodeJS.Signals[];
  /** Which of them go through the native handler (the rest use JS listeners). */
  readonly nativeSignals: readonly NodeJS.Signals[];
  readonly stopped: boolean;
  /** Stops forwarding and puts back every disposition it changed. Idempotent. */
  stop(): void;
}

/** Never caught by a JS listener: see the module note. */
const NATIVE_ONLY = new Set(['SIGUSR1', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGSYS', 'SIGPROF', 'SIGVTALRM']);
const UNCATCHABLE = new Set(['SIGKILL', 'SIGSTOP']);

/** The signals forwardSignals forwards by default. */
export function forwardableSignals(): NodeJS.Signals[] {
  const out: NodeJS.Signals[] = [];
  for (const n of classicSignals()) {
    const name = signalName(n);
    if (name === null || UNCATCHABLE.has(name) || name === 'SIGCHLD') continue;
    out.push(name);
  }
  return out;
}

// ---- the shared native pipe reader --------------------------------------------

type NativeListener = (sig: number) => void;

interface NativeState {
  socket: net.Socket | null;
  listeners: Map<number, Set<NativeListener>>;
}

const STATE_KEY = Symbol.for('procctl.forward.native');
const holder = globalThis as unknown as Record<symbol, NativeState | undefined>;
const nativeState: NativeState = holder[STATE_KEY] ?? (holder[STATE_KEY] = { socket: null, listeners: new Map() });

function ensureReader(native: SignalsNative): void {
  if (nativeState.socket !== null) return;
  const fd = native.signalPipeFd();
  // node:net is loaded here, when the first forwarder needs the pipe, not with procctl.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Socket } = require('node:net') as typeof net;
  const socket = new Socket({ fd, readable: true, writable: false });
  socket.on('data', (chunk: Buffer) => {
    for (const sig of chunk) {
      const set = nativeState.listeners.get(sig);
      if (set) for (const fn of [...set]) fn(sig);
    }
  });
  socket.on('error', () => {
    // The pipe is ours and never closed while the process lives; nothing to do.
  });
  // Like Node's own signal watchers, the reader never keeps the process alive.
  socket.unref();
  nativeState.socket = socket;
}

function addNative(native: SignalsNative, sig: number, fn: NativeListener): void {
  ensureReader(native);
  let set = nativeState.listeners.get(sig);
  if (!set) nativeState.listeners.set(sig, (set = new Set()));
  native.signalForwardInstall(sig);
  set.add(fn);
}

function removeNative(native: SignalsNative, sig: number, fn: NativeListener): void {
  const set = nativeState.listeners.get(sig);
  if (!set || !set.delete(fn)) return;
  if (set.size === 0) nativeState.listeners.delete(sig);
  native.signalForwardRestore(sig);
}

// ---- validation --------------------------------------------------------------

function parseSignalList(value: unknown): number[] {
  if (!Array.isArray(value)) throw invalidArgType('options.signals', 'an array of signal names or numbers', value);
  const out = new Set<number>();
  validateArray(value, 'options.signals', 64).forEach((v, i) => {
    const n = toSignalNumber(v, `options.signals[${i}]`);
    const name = signalName(n);
    if (n > 31 || name === null) throw invalidArgValue(`options.signals[${i}]`, v, 'must be a classic signal 1..31');
    if (UNCATCHABLE.has(name)) throw invalidArgValue(`options.signals[${i}]`, v, 'cannot be caught, so it cannot be forwarded');
    if (name === 'SIGCHLD') throw invalidArgValue(`options.signals[${i}]`, v, 'is not forwarded: it reports this process\'s own children');
    out.add(n);
  });
  return [...out];
}

function parseRewrite(value: unknown): Map<number, number> {
  const out = new Map<number, number>();
  for (const [key, to] of snapshotRecord(value, 'options.rewrite')) {
    const from = /^[0-9]+$/.test(key) ? toSignalNumber(Number(key), `options.rewrite key ${key}`) : toSignalNumber(key, `options.rewrite key ${key}`);
    out.set(from, toSignalNumber(to, `options.rewrite.${key}`, { allowZero: true }));
  }
  return out;
}

function isEsrch(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ESRCH';
}

// ---- forwardSignals ------------------------------------------------------------

/**
 * Forwards the signals this process receives to `target` (a Subprocess, a
 * ChildProcess, or anything with a `pid`), or to its process group with
 * `toGroup`. Returns a handle whose `stop()` puts every disposition back.
 *
 * While it runs, the forwarded signals no longer take their default action on
 * this process (a SIGTERM does not kill it): that is the point. By default it
 * stops by itself when the target emits `'exit'`.
 */
export function forwardSignals(target: ForwardTarget, options: ForwardSignalsOptions = {}): SignalForwarder {
  if (typeof target !== 'object' || target === null) throw invalidArgType('target', 'an object with a pid', target);
  const opts = snapshotOptions(options, ['signals', 'toGroup', 'rewrite', 'stopOnExit', 'onSignal']);
  const toGroup = opts.toGroup === undefined ? false : validateBoolean(opts.toGroup, 'options.toGroup');
  const stopOnExit = opts.stopOnExit === undefined ? true : validateBoolean(opts.stopOnExit, 'options.stopOnExit');
  const onSignal = opts.onSignal === undefined ? null : (validateFunction(opts.onSignal, 'options.onSignal') as NonNullable<ForwardSignalsOptions['onSignal']>);
  const rewrite = opts.rewrite === undefined ? new Map<number, number>() : parseRewrite(opts.rewrite);
  const numbers = opts.signals === undefined ? forwardableSignals().map((s) => toSignalNumber(s, 'signal')) : parseSignalList(opts.signals);
  const pid = inspectArg(target, 'target', () => target.pid);
  // pid_t is 32-bit: a larger number would only fail later, at the first kill().
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || pid > 0x7fffffff) {
    throw invalidArgValue('target.pid', pid, 'must be the pid (a positive integer) of a running child');
  }
  const native = requireNative<SignalsNative>('signalForwarding', 'sigaction');

  const send = (sig: number): boolean => {
    try {
      if (toGroup) {
        if (typeof target.killGroup === 'function') target.killGroup(sig);
        else process.kill(-pid, sig);
      } else if (typeof target.kill === 'function') {
        target.kill(sig);
      } else {
        process.kill(pid, sig);
      }
      return true;
    } catch (err) {
      if (isEsrch(err)) return false;
      throw err;
    }
  };

  const handle = (sig: number): void => {
    if (stopped) return;
    const to = rewrite.has(sig) ? rewrite.get(sig)! : sig;
    const sent = to !== 0 && send(to);
    if (onSignal) onSignal(signalName(sig)!, sent ? signalName(to) : null);
  };

  const jsListeners = new Map<NodeJS.Signals, () => void>();
  const nativeListeners = new Map<number, NativeListener>();
  let stopped = false;
  const onExit = (): void => forwarder.stop();

  try {
    for (const sig of numbers) {
      const name = signalName(sig)!;
      // SIG_IGN at start (SIGPIPE, SIGXFSZ in Node, SIGHUP under nohup): native,
      // so stop() can put back exactly that.
      const useNative = NATIVE_ONLY.has(name) || native.signalDisposition(sig) === 1;
      if (useNative) {
        const fn: NativeListener = (s) => handle(s);
        addNative(native, sig, fn);
        nativeListeners.set(sig, fn);
      } else {
        const fn = (): void => handle(sig);
        native.signalSnapshot(sig);
        process.on(name, fn);
        jsListeners.set(name, fn);
      }
    }
  } catch (err) {
    teardown();
    throw err;
  }

  function teardown(): void {
    for (const [name, fn] of jsListeners) {
      process.removeListener(name, fn);
      native.signalSnapshotRestore(toSignalNumber(name, 'signal'));
    }
    jsListeners.clear();
    for (const [sig, fn] of nativeListeners) removeNative(native, sig, fn);
    nativeListeners.clear();
  }

  const names = numbers.map((n) => signalName(n)!);
  const nativeNames = [...nativeListeners.keys()].map((n) => signalName(n)!);
  const forwarder: SignalForwarder = {
    signals: Object.freeze(names),
    nativeSignals: Object.freeze(nativeNames),
    get stopped() {
      return stopped;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      teardown();
      if (stopOnExit && typeof target.removeListener === 'function') target.removeListener('exit', onExit);
    },
  };
  if (stopOnExit && typeof target.once === 'function') target.once('exit', onExit);
  return forwarder;
}
