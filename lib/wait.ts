/**
 * wait4 and zombie reaping, with statuses decoded the way child_process reports them.
 *
 * Reaping children you do not own steals them from child_process: libuv waits
 * for its children by pid, and a child someone else reaped first never gets its
 * `'exit'` event. `wait4(-1)` and `reapZombies()` are for
 * processes that own every child they may reap (a PID 1 with no child_process
 * use). The Reaper skips children that child_process or procctl own.
 */
import { SystemError } from './errors';
import { requireNative } from './platform';
import { signalName } from './signals';
import { validateBoolean, validateInteger, snapshotOptions, INT32_MAX, INT32_MIN } from './validate';

/** Resource usage of a reaped child, with process.resourceUsage()'s names and units. */
export interface ResourceUsage {
  /** User CPU time, microseconds. */
  userCPUTime: number;
  /** System CPU time, microseconds. */
  systemCPUTime: number;
  /** Peak resident set size, kilobytes. */
  maxRSS: number;
  minorPageFault: number;
  majorPageFault: number;
  voluntaryContextSwitches: number;
  involuntaryContextSwitches: number;
}

/** A decoded wait status. */
export interface WaitStatus {
  pid: number;
  /** The raw status word from wait4. */
  status: number;
  /** Exit code when the child exited normally, else null (as child_process). */
  exitCode: number | null;
  /** Name of the signal that killed (or stopped) the child, else null. */
  signal: NodeJS.Signals | null;
  /** Number of that signal, else null. */
  signalNumber: number | null;
  coreDumped: boolean;
  /** The child was stopped (only with `untraced`). */
  stopped: boolean;
  /** The child was resumed by SIGCONT (only with `continued`). */
  continued: boolean;
  /**
   * The status a shell would report: the exit code, or 128+n for a death (or stop)
   * by signal n; null for a continued report.
   */
  shellCode: number | null;
  rusage: ResourceUsage;
}

export interface Wait4Options {
  /** Return null instead of blocking when no child has changed state. Default true. */
  nohang?: boolean;
  /** Also report stopped children (WUNTRACED). Default false. */
  untraced?: boolean;
  /** Also report children resumed by SIGCONT (WCONTINUED). Default false. */
  continued?: boolean;
}

/** The addon's decode of a raw wait status (numbers only; see decodeStatus). */
export interface RawStatus {
  pid: number;
  status: number;
  exitCode: number | null;
  signalNumber: number | null;
  coreDumped: boolean;
  stopped: boolean;
  continued: boolean;
  rusage?: ResourceUsage;
}

interface WaitNative {
  wait4(pid: number, nohang: boolean, untraced: boolean, continued: boolean): (RawStatus & { rusage: ResourceUsage }) | null;
}

/** Turns the addon's raw decode into the public shape (signal names, shellCode). */
export function decodeStatus<R extends ResourceUsage | undefined>(raw: RawStatus, rusage: R): Omit<WaitStatus, 'rusage'> & { rusage: R } {
  return makeStatus(raw.pid, raw.status, raw.exitCode, raw.signalNumber, raw.coreDumped, raw.stopped, raw.continued, rusage);
}

function makeStatus<R extends ResourceUsage | undefined>(
  pid: number, status: number, exitCode: number | null, n: number | null, coreDumped: boolean, stopped: boolean,
  continued: boolean, rusage: R,
): Omit<WaitStatus, 'rusage'> & { rusage: R } {
  return {
    pid,
    status,
    exitCode,
    signal: n !== null ? signalName(n) : null,
    signalNumber: n,
    coreDumped,
    stopped,
    continued,
    shellCode: exitCode !== null ? exitCode : n !== null ? 128 + n : null,
    rusage,
  };
}

/**
 * A raw wait status word, decoded as the addon decodes it (WIFEXITED & co.),
 * in the public shape. For the exit watcher, which hands over numbers only.
 */
export function statusFromWord(pid: number, status: number, rusage: ResourceUsage): WaitStatus {
  const low = status & 0x7f;
  const stopped = (status & 0xff) === 0x7f;
  const continued = status === 0xffff;
  const signaled = low !== 0 && low !== 0x7f;
  const sig = signaled ? low : stopped ? (status >> 8) & 0xff : 0;
  return makeStatus(pid, status, low === 0 ? (status >> 8) & 0xff : null, sig !== 0 ? sig : null,
    signaled && (status & 0x80) !== 0, stopped, continued, rusage);
}

/**
 * wait4(2). `pid` -1 waits for any child, > 0 for that child, 0 for any child in
 * the caller's process group, < -1 for any child in group -pid. Returns null when
 * `nohang` (the default) and nothing is ready.
 *
 * Throws a SystemError with code ECHILD ("no child processes") when there is no
 * child to wait for, so a loop can tell "nothing yet" (null) from "nothing ever".
 */
export function wait4(pid: number = -1, options: Wait4Options = {}): WaitStatus | null {
  validateInteger(pid, 'pid', INT32_MIN + 1, INT32_MAX);
  const opts = snapshotOptions(options, ['nohang', 'untraced', 'continued']);
  const nohang = opts.nohang === undefined ? true : validateBoolean(opts.nohang, 'options.nohang');
  const untraced = opts.untraced === undefined ? false : validateBoolean(opts.untraced, 'options.untraced');
  const continued = opts.continued === undefined ? false : validateBoolean(opts.continued, 'options.continued');
  const raw = requireNative<WaitNative>('wait4', 'wait4').wait4(pid, nohang, untraced, continued);
  if (raw === null) return null;
  return decodeStatus(raw, raw.rusage);
}

/**
 * Reaps every child that has already exited (wait4(-1, WNOHANG) until nothing is
 * ready) and returns their statuses; [] when there are none, or no children at all.
 * See the module note: this also reaps child_process's children.
 */
export function reapZombies(): WaitStatus[] {
  const out: WaitStatus[] = [];
  for (;;) {
    let st: WaitStatus | null;
    try {
      st = wait4(-1, { nohang: true });
    } catch (err) {
      if (err instanceof SystemError && err.code === 'ECHILD') break;
      throw err;
    }
    if (st === null) break;
    out.push(st);
  }
  return out;
}
