/**
 * The Reaper: reaps the orphans that land on this process (as PID 1, or as a
 * child subreaper) without ever stealing a child somebody else waits for.
 *
 * Whose child is whose:
 * - procctl `Subprocess` children are registered in lib/children.ts by spawn;
 * - `child_process` children are registered here: while a Reaper runs,
 *   `ChildProcess.prototype.spawn` is wrapped to register `this.pid` right after
 *   the fork (synchronously, so before any SIGCHLD can reach JS) and to release
 *   it once libuv has reaped it; children spawned before the Reaper started are
 *   found through Node's active handles;
 * - a `skip(pid)` option covers children of other libraries (native addons that
 *   waitpid() their own children).
 * Everything else among this process's children is an orphan and is reaped by
 * pid: `wait4(pid, WNOHANG)` on each unowned child listed in
 * `/proc/<pid>/task/<pid>/children` (the main thread's children, which is where
 * orphans are re-parented; children of Worker threads are never touched). Where
 * /proc cannot be read, a non-reaping `waitid(WNOWAIT)` peek is used instead.
 *
 * Wake-ups come from `process.on('SIGCHLD')` (a libuv signal watcher: no raw
 * SIGCHLD handler, never SIG_IGN), so an idle Reaper uses no CPU at all.
 */
import { EventEmitter } from 'node:events';
import type * as ChildProcessModule from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ownerOf, registerOwnedChild, releaseOwnedChild } from './children';
import { SystemError } from './errors';
import { onMainThread, requireNative } from './platform';
import { isChildSubreaper, setChildSubreaper } from './prctl';
import { validateBoolean, validateFunction, snapshotOptions } from './validate';
import { wait4, type WaitStatus } from './wait';

/** node:child_process, loaded when a Reaper first needs it (not by merely loading procctl). */
function childProcessModule(): typeof ChildProcessModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:child_process') as typeof ChildProcessModule;
}

interface ReaperNative {
  reaperPeekExited(): number;
  /** pids of the children libuv waits for on Node's loop (ref'd or not). */
  reaperLibuvChildren(): number[];
}

export interface ReaperOptions {
  /**
   * Make this process a child subreaper (PR_SET_CHILD_SUBREAPER, Linux) so that
   * orphaned descendants come to it; stop() turns it off again if it was off.
   * Default false (PID 1 needs no flag).
   */
  subreaper?: boolean;
  /** Children for which this returns true are left alone (somebody else waits for them). */
  skip?: (pid: number) => boolean;
}

interface ReaperEvents {
  reap: [status: WaitStatus];
  error: [err: Error];
}

const ACTIVE_KEY = Symbol.for('procctl.reaper.active');
const holder = globalThis as unknown as Record<symbol, Reaper | undefined>;

const CHILD_PROCESS_OWNER = 'child_process';

interface ChildProcessInternals {
  pid?: number;
  _handle?: { onexit?: (...args: unknown[]) => unknown } | null;
  once(event: 'exit', fn: () => void): unknown;
}

type SpawnMethod = (this: ChildProcessInternals, ...args: unknown[]) => unknown;

function trackChildProcess(child: ChildProcessInternals): void {
  const pid = child.pid;
  if (typeof pid !== 'number' || pid <= 0) return;
  if (ownerOf(pid) !== undefined) return;
  registerOwnedChild(pid, CHILD_PROCESS_OWNER);
  const release = (): void => {
    if (ownerOf(pid) === CHILD_PROCESS_OWNER) releaseOwnedChild(pid);
  };
  // libuv calls handle.onexit right after it reaped the child; releasing there
  // (not on a removable 'exit' listener) keeps the registry exact.
  const handle = child._handle;
  if (handle && typeof handle.onexit === 'function') {
    const original = handle.onexit;
    handle.onexit = function (this: unknown, ...args: unknown[]) {
      release();
      return original.apply(this, args);
    };
  } else {
    child.once('exit', release);
  }
}

/** Registers the child_process children that exist now (those with a ref'd handle). */
function adoptExistingChildProcesses(): void {
  const getHandles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles;
  if (typeof getHandles !== 'function') return;
  for (const h of getHandles.call(process)) {
    if (h instanceof childProcessModule().ChildProcess) trackChildProcess(h as unknown as ChildProcessInternals);
  }
}

/** Reads the main thread's children from /proc, or null where that file is missing. */
function listMainThreadChildren(): number[] | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'latin1');
  } catch {
    return null;
  }
  const out: number[] = [];
  for (const field of text.split(' ')) {
    const n = Number(field);
    if (field !== '' && Number.isInteger(n) && n > 0) out.push(n);
  }
  return out;
}

/**
 * A running reaper. Events: `'reap'` with each reaped orphan's WaitStatus.
 * Create it with `startReaper()`.
 */
export class Reaper extends EventEmitter<ReaperEvents> {
  #running = true;
  #turnedOnSubreaper = false;
  #skip: ((pid: number) => boolean) | null;
  #originalSpawn: SpawnMethod | null = null;
  #patchedSpawn: SpawnMethod | null = null;
  #onSigchld = (): void => {
    this.reapNow();
  };
  #initialScan: NodeJS.Immediate | null = null;
  #retry: NodeJS.Immediate | null = null;
  #reaped = 0;
  #native: ReaperNative;

  /** @internal use startReaper() */
  constructor(options: ReaperOptions = {}) {
    super();
    const opts = snapshotOptions(options, ['subreaper', 'skip']);
    const subreaper = opts.subreaper === undefined ? false : validateBoolean(opts.subreaper, 'options.subreaper');
    this.#skip = opts.skip === undefined ? null : (validateFunction(opts.skip, 'options.skip') as (pid: number) => boolean);
    this.#native = requireNative<ReaperNative>('reaper', 'waitid');
    if (!onMainThread()) {
      const err = new Error('A Reaper must run on the main thread: Worker threads receive no signals') as Error & { code: string };
      err.code = 'ERR_WORKER_UNSUPPORTED_OPERATION';
      throw err;
    }
    if (holder[ACTIVE_KEY]) {
      const err = new Error('A Reaper is already running in this process; stop() it first') as Error & { code: string };
      err.code = 'ERR_REAPER_RUNNING';
      throw err;
    }
    if (subreaper && !isChildSubreaper()) {
      setChildSubreaper(true);
      this.#turnedOnSubreaper = true;
    }
    this.#patchChildProcess();
    adoptExistingChildProcesses();
    process.on('SIGCHLD', this.#onSigchld);
    holder[ACTIVE_KEY] = this;
    // Orphans that died before we started: reaped once listeners can be attached.
    this.#initialScan = setImmediate(() => {
      this.#initialScan = null;
      this.reapNow();
    });
  }

  /** True until stop(). */
  get running(): boolean {
    return this.#running;
  }

  /** How many orphans this Reaper has reaped. */
  get reapedCount(): number {
    return this.#reaped;
  }

  /** True when orphans come to this process: it is PID 1 or a child subreaper. */
  get adoptsOrphans(): boolean {
    return process.pid === 1 || isChildSubreaper();
  }

  /**
   * Reaps every exited child nobody else owns, now, emitting `'reap'` for each,
   * and returns their statuses. Called on each SIGCHLD; useful before exiting.
   */
  reapNow(): WaitStatus[] {
    if (!this.#running) return [];
    const out: WaitStatus[] = [];
    const children = listMainThreadChildren();
    // libuv's own children (child_process, including unref'd ones spawned before
    // this Reaper started, which neither the spawn patch nor the active-handle
    // scan can see): libuv reaps them and emits their 'exit'.
    // (An addon older than this file lacks the call: then only the spawn patch
    // and the active-handle scan protect child_process children.)
    const libuvOwned = new Set(typeof this.#native.reaperLibuvChildren === 'function' ? this.#native.reaperLibuvChildren() : []);
    if (children !== null) {
      for (const pid of children) {
        if (libuvOwned.has(pid) || !this.#mayReap(pid)) continue;
        const st = this.#reapPid(pid);
        if (st) out.push(st);
      }
    } else {
      this.#reapByPeeking(out, libuvOwned);
    }
    for (const st of out) {
      this.#reaped++;
      this.emit('reap', st);
    }
    return out;
  }

  /** Stops reaping and puts back what starting changed. Idempotent. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    process.removeListener('SIGCHLD', this.#onSigchld);
    if (this.#initialScan) clearImmediate(this.#initialScan);
    if (this.#retry) clearImmediate(this.#retry);
    this.#unpatchChildProcess();
    if (this.#turnedOnSubreaper) {
      setChildSubreaper(false);
      this.#turnedOnSubreaper = false;
    }
    if (holder[ACTIVE_KEY] === this) holder[ACTIVE_KEY] = undefined;
  }

  #mayReap(pid: number): boolean {
    if (ownerOf(pid) !== undefined) return false;
    if (this.#skip !== null && this.#skip(pid)) return false;
    return true;
  }

  #reapPid(pid: number): WaitStatus | null {
    try {
      return wait4(pid, { nohang: true });
    } catch (err) {
      // Gone already (reaped by its owner between the listing and now).
      if (err instanceof SystemError && err.code === 'ECHILD') return null;
      throw err;
    }
  }

  /** No /proc: peek with WNOWAIT; an owned zombie in front hides the rest until its owner reaps it. */
  #reapByPeeking(out: WaitStatus[], libuvOwned: Set<number>): void {
    for (;;) {
      let pid: number;
      try {
        pid = this.#native.reaperPeekExited();
      } catch (err) {
        if (err instanceof SystemError && err.code === 'ECHILD') return;
        throw err;
      }
      if (pid === 0) return;
      if (libuvOwned.has(pid) || !this.#mayReap(pid)) {
        // Its owner reaps it on this same loop turn; look again right after.
        if (this.#retry === null) {
          this.#retry = setImmediate(() => {
            this.#retry = null;
            this.reapNow();
          });
        }
        return;
      }
      const st = this.#reapPid(pid);
      if (st) out.push(st);
    }
  }

  #patchChildProcess(): void {
    const proto = childProcessModule().ChildProcess.prototype as unknown as { spawn: SpawnMethod };
    const original = proto.spawn;
    const reaper = this;
    const patched: SpawnMethod = function (this: ChildProcessInternals, ...args: unknown[]) {
      const result = original.apply(this, args);
      if (reaper.#running) trackChildProcess(this);
      return result;
    };
    proto.spawn = patched;
    this.#originalSpawn = original;
    this.#patchedSpawn = patched;
  }

  #unpatchChildProcess(): void {
    const proto = childProcessModule().ChildProcess.prototype as unknown as { spawn: SpawnMethod };
    // If somebody wrapped spawn after us, leave their wrapper: ours is inert now.
    if (proto.spawn === this.#patchedSpawn && this.#originalSpawn) proto.spawn = this.#originalSpawn;
    this.#originalSpawn = null;
    this.#patchedSpawn = null;
  }
}

/**
 * Starts reaping orphans. Only one Reaper runs per process at a time.
 *
 * ```js
 * const reaper = startReaper({ subreaper: true });
 * reaper.on('reap', (st) => console.log(st.pid, st.shellCode));
 * ```
 */
export function startReaper(options: ReaperOptions = {}): Reaper {
  return new Reaper(options);
}
