/**
 * spawn: start a child with process attributes (credentials, session, fds,
 * rlimits, umask, parent-death signal) without fork()'s page-table copy.
 *
 * Linux: clone3(CLONE_VM|CLONE_VFORK|CLONE_PIDFD) on a private stack (glibc's
 * clone() + pidfd_open on kernels without clone3), the exit watched by polling
 * the pidfd on Node's event loop and reaped with waitid(P_PIDFD): no thread, and
 * no other owner's child is ever reaped. Elsewhere (macOS), or with
 * PROCCTL_SPAWN_ENGINE=fork: plain fork(), the exit noticed through
 * `process.on('SIGCHLD')` (Node's loop) and reaped with wait4(pid) for our pids only.
 *
 * Every child is registered in lib/children.ts until reaped, so a Reaper never
 * steals it, and child_process children keep getting their 'exit' events.
 */
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import type { Readable, Stream, Writable } from 'node:stream';
import { registerOwnedChild, releaseOwnedChild } from './children';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemError, errnoOf, invalidArgType, invalidArgValue, unsupportedError } from './errors';
import { removeCgroup } from './cgroup';
import { killTree } from './tree';
import { type RlimitName, type RlimitValue, rlimitResource, toRlimit } from './rlimits';
import { lookupCandidates, pathOfChecked } from './search';
import { SYSATTR_OPTIONS, type SysAttrOptions, type SysAttrs, closeSysAttrs, releaseSysAttrs, resolveSysAttrs } from './sysattrs';
import { onMainThread, platform, platformInjected, requireNative, supported } from './platform';
import { type SignalLike, toSignalNumber } from './signals';
import { type CredentialOptions, resolveCredentials } from './users';
import {
  INT32_MAX,
  MAX_FD_ENTRIES,
  inspectArg,
  normalizeEnv,
  snapshotOptions,
  snapshotRecord,
  validateArray,
  validateBoolean,
  validateInteger,
  validateString,
  validateStringArray,
} from './validate';
import { type RawStatus, type ResourceUsage, type WaitStatus, decodeStatus, statusFromWord } from './wait';

// Node >= 20.4 defines Symbol.asyncDispose (as Symbol.for('nodejs.asyncDispose'));
// define it the same way on older 20.x so `await using` finds our method.
(Symbol as unknown as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('nodejs.asyncDispose');

/** How a child ended: wait4's decoded status, with the child's resource usage. */
export type ExitStatus = WaitStatus;

/** A stream or server that owns an fd (net.Socket, net.Server, fs streams). */
export interface StreamWithFd {
  fd?: number | null;
  _handle?: { fd?: number } | null;
}

/**
 * One stdio entry: `'pipe'` (a new pipe, exposed as a stream), `'inherit'` (the
 * parent's fd of the same number), `'ignore'` (/dev/null), an fd number, or a
 * stream/server with an fd. `null`/`undefined`: `'pipe'` for 0..2, closed above.
 */
export type StdioEntry = 'pipe' | 'inherit' | 'ignore' | number | net.Socket | net.Server | Stream | StreamWithFd | null | undefined;

export type { RlimitValue } from './rlimits';

/** Limits by name, as prlimit(1) spells them: nofile, core, cpu, as, nproc, ... */
export type Rlimits = Partial<Record<RlimitName, RlimitValue>>;

export interface SpawnOptions extends CredentialOptions, SysAttrOptions {
  /** argv[0] for the child; default `file`. */
  argv0?: string;
  /** The child's environment: an object or `KEY=value` strings. Default `process.env`. */
  env?: NodeJS.ProcessEnv | Record<string, string | undefined> | readonly string[];
  /** Working directory, entered after the credential drop (checked as the target user). */
  cwd?: string;
  /** One entry per child fd (0, 1, 2, 3, ...), or one word for 0..2. Default 'pipe'. */
  stdio?: 'pipe' | 'inherit' | 'ignore' | readonly StdioEntry[];
  /** umask for the child, 0..0o777. */
  umask?: number;
  /** Resource limits set in the child before exec. */
  rlimits?: Rlimits;
  /** PR_SET_NO_NEW_PRIVS in the child (Linux). */
  noNewPrivs?: boolean;
  /** Start a new session (the child leads it and its own process group). */
  setsid?: boolean;
  /**
   * With `setsid`: the child fd (e.g. 0) whose terminal becomes the new session's
   * controlling terminal (ioctl TIOCSCTTY after the fd remap), so the child's
   * group is the terminal's foreground group. A terminal no session controls is
   * taken without privilege; one another session controls is taken by force,
   * which needs CAP_SYS_ADMIN (Linux) and leaves that session without a terminal.
   * Failure: SystemError with stage 'tiocsctty' (ENOTTY: not a terminal; EPERM).
   */
  controllingTerminal?: number;
  /**
   * With `processGroup`: the child fd (e.g. 0) of the caller's controlling
   * terminal whose foreground group becomes the child's group (TIOCSPGRP in the
   * child before exec, so a job-control shell never starts in the background).
   * Failure: stage 'tcsetpgrp'.
   */
  foregroundTerminal?: number;
  /**
   * Leave the caller's controlling terminal without starting a session
   * (ioctl TIOCNOTTY on the child's fd 0 after the fd remap; Go's Noctty). The
   * child keeps its process group, so the terminal's job-control signals still
   * reach it, but it can no longer open /dev/tty. Failure: stage 'tiocnotty'
   * (ENOTTY when fd 0 is not the caller's controlling terminal).
   */
  noControllingTerminal?: boolean;
  /** Join process group `pgid`, or 0: a new group led by the child. Not with `setsid`. */
  processGroup?: number;
  /** Signal the child gets when the spawning thread (the main thread) dies (Linux). */
  parentDeathSignal?: SignalLike;
  /** Aborting sends `killSignal` (then SIGKILL after `killTimeout`). */
  signal?: AbortSignal;
  /** Signal for abort and `await using`. Default 'SIGTERM'. */
  killSignal?: SignalLike;
  /**
   * ms after `killSignal` (abort or dispose) before SIGKILL, sent to the child's
   * group when it leads one. Abort default: no escalation; dispose default: 5000.
   */
  killTimeout?: number;
  /**
   * Let the PATH search use relative entries (`''`, `.`, `bin`), which resolve
   * against the child's `cwd`. Default false: a program that would be found
   * through one is refused with `ERR_RELATIVE_PATH_LOOKUP` (as Go's ErrDot), and
   * relative entries are otherwise skipped.
   */
  allowRelativePath?: boolean;
}

/**
 * What spawn reads its options into (the snapshot): every option an own field,
 * undefined unless given, all in one order. Every snapshot then has one shape,
 * so the many option reads of a spawn are plain field loads, and none can reach
 * a prototype (there is none: see below).
 */
class SpawnOptionsRecord {
  argv0: unknown = undefined;
  env: unknown = undefined;
  cwd: unknown = undefined;
  stdio: unknown = undefined;
  user: unknown = undefined;
  group: unknown = undefined;
  groups: unknown = undefined;
  umask: unknown = undefined;
  rlimits: unknown = undefined;
  noNewPrivs: unknown = undefined;
  setsid: unknown = undefined;
  controllingTerminal: unknown = undefined;
  foregroundTerminal: unknown = undefined;
  noControllingTerminal: unknown = undefined;
  processGroup: unknown = undefined;
  parentDeathSignal: unknown = undefined;
  signal: unknown = undefined;
  killSignal: unknown = undefined;
  killTimeout: unknown = undefined;
  allowRelativePath: unknown = undefined;
  // SYSATTR_OPTIONS
  capabilities: unknown = undefined;
  cgroup: unknown = undefined;
  namespaces: unknown = undefined;
  uidMap: unknown = undefined;
  gidMap: unknown = undefined;
  userNamespaceSetgroups: unknown = undefined;
  hostname: unknown = undefined;
  chroot: unknown = undefined;
  nice: unknown = undefined;
  scheduling: unknown = undefined;
  cpuAffinity: unknown = undefined;
  ioPriority: unknown = undefined;
  oomScoreAdj: unknown = undefined;
}
Object.setPrototypeOf(SpawnOptionsRecord.prototype, null);

const newOptionsRecord = (): Record<string, unknown> => new SpawnOptionsRecord() as unknown as Record<string, unknown>;

/** spawn's option names: the fields of SpawnOptionsRecord, which must hold every SysProcAttr-style one. */
const SPAWN_OPTIONS: readonly string[] = Object.keys(newOptionsRecord());
for (const key of SYSATTR_OPTIONS) {
  if (!SPAWN_OPTIONS.includes(key)) throw new Error(`internal: SpawnOptionsRecord lacks the option ${key}`);
}

/** A reaped child as the addon reports it: always with rusage. */
type RawExit = RawStatus & { rusage: ExitStatus['rusage'] };

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

interface SubprocessExtra {
  killTimeout: number | undefined;
  timers: Set<NodeJS.Timeout> | null;
  abort: { signal: AbortSignal; listener: () => void } | null;
  cgroup: string | null;
  cgroupCreated: boolean;
}

/**
 * What the addon returns for runSync (FLAG_SYNC): [stdout, stderr] as for run()
 * when either was captured, else null; the numbers are in the buffer (OUT_SYNC).
 */
type SyncOutcome = [string | null | undefined, string | null | undefined] | null;

/** run()'s captured [stdout, stderr] of one child (null: too long for a string; undefined: not captured). */
type CapturedOutput = [string | null | undefined, string | null | undefined];

/**
 * Called by the watcher for each batch of reaped children (spawnSetExitHandler):
 * their numbers are in the records array, run()'s output in `outputs`.
 */
type ExitHandler = (count: number, outputs: Array<CapturedOutput | undefined> | undefined) => void;

interface SpawnNative {
  /**
   * Positional, so no property is read by name on the hot path, and the numbers
   * travel in `buf` (see native/spawn_binding.cc): uid, gid, umask, pgid,
   * controllingTerminal, foregroundTerminal, pdeathsig, flags, engine, nfds,
   * fds...; on return pid, pidfd, engine, stage, errno, fdIndex, token (> 0: the
   * exit comes through the exit handler), then from index 8 the parent's end of
   * each pipe entry.
   */
  spawn(
    paths: string | string[], argv0: string, args: readonly string[], envp: string[] | null, pwd: string | null,
    cwd: string | null, groups: number[] | null, rlimits: number[] | null, attrs: object | null, buf: Float64Array,
  ): SyncOutcome | undefined;
  spawnStageNames: string[];
  spawnSetExitHandler(fn: ExitHandler, records: Float64Array): void;
  spawnExitRecordSize: number;
  spawnExitBatch: number;
  spawnWatchRef(token: number, ref: boolean): void;
  spawnFirstClosedFd(fds: number[]): number;
  spawnHasControllingTerminal?: boolean;
  pidfdSendSignal(pidfd: number, sig: number): void;
  wait4(pid: number, nohang: boolean, untraced: boolean, continued: boolean): RawExit | null;
  rlimitResources: Record<string, number>;
  namespaceFlags: Record<string, number>;
}

// fds entries beyond a parent fd number (native/spawn_binding.cc FdCode).
const FD_CLOSED = -1;
const FD_NULL_READ = -2;
const FD_NULL_WRITE = -3;
const FD_PIPE_IN = -4;
const FD_PIPE_OUT = -5;
const FD_SOCKET = -6;
// flags bits.
const FLAG_SETSID = 1;
const FLAG_NO_CONTROLLING_TERMINAL = 2;
const FLAG_NO_NEW_PRIVS = 4;
const FLAG_CAPTURE_STDOUT = 8;
const FLAG_CAPTURE_STDERR = 16;
const FLAG_SYNC = 32;
// Request slots of the shared buffer (read by the addon before it writes its results).
const IN_FDS = 10;
// Result slots.
const OUT_PID = 0;
const OUT_PIDFD = 1;
const OUT_ENGINE = 2;
const OUT_STAGE = 3;
const OUT_ERRNO = 4;
const OUT_FD_INDEX = 5;
const OUT_TOKEN = 6;
const OUT_ENDS = 8;
/** runSync's numbers (statusFromNumbers), from OUT_ENDS on. */
const OUT_SYNC = OUT_ENDS;
const OUT_SYNC_END = OUT_SYNC + 10;

const ENGINES: Record<string, number> = { auto: 0, clone3: 1, clone: 2, fork: 3 };
const ENGINE_NAMES = ['auto', 'clone3', 'clone', 'fork'] as const;
/** The engine a spawn actually used. */
export type SpawnEngine = 'clone3' | 'clone' | 'fork';

function engineError(name: string | undefined): Error {
  return invalidArgValue('PROCCTL_SPAWN_ENGINE', name, 'must be auto, clone3, clone or fork');
}

function engineFromEnv(): number {
  const name = process.env.PROCCTL_SPAWN_ENGINE;
  if (name === undefined || name === '') return platform === 'linux' ? 0 : ENGINES.fork;
  const n = Object.prototype.hasOwnProperty.call(ENGINES, name) ? ENGINES[name] : undefined;
  if (n === undefined) throw engineError(name);
  return platform === 'linux' ? n : ENGINES.fork;
}

let nativeReady: SpawnNative | null = null;

function native(): SpawnNative {
  if (nativeReady !== null) return nativeReady;
  const n = requireNative<SpawnNative>('spawn', 'spawn');
  exitRecordSize = n.spawnExitRecordSize;
  exitRecords = new Float64Array(exitRecordSize * n.spawnExitBatch);
  n.spawnSetExitHandler(onChildExits, exitRecords);
  nativeReady = n;
  return n;
}

let netModule: typeof net | null = null;

/** node:net, loaded when a spawn first asks for a pipe stream (2 MB a process that never does is spared). */
function loadNet(): typeof net {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (netModule ??= require('node:net') as typeof net);
}

function workerError(): Error & { code: string } {
  const err = new TypeError('procctl.spawn() is not supported in workers: the parent-death signal and ' +
    'the fork engine follow the creating thread; spawn from the main thread') as TypeError & { code: string };
  err.code = 'ERR_WORKER_UNSUPPORTED_OPERATION';
  return err;
}

function abortError(reason: unknown): Error {
  const err = new Error('The operation was aborted', { cause: reason }) as Error & { code: string };
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

// ---- exit watching without pidfds: SIGCHLD through Node's loop ----------------

/** Children without a pidfd, waiting for their SIGCHLD: pid -> exit callback. */
const sigchldWaiters = new Map<number, (raw: RawExit | Error) => void>();
let sigchldInstalled = false;
/** One ref'd timer keeps the loop alive while such a child runs (signal handles do not). */
let keepAlive: NodeJS.Timeout | null = null;
let refCount = 0;

function onSigchld(): void {
  const n = native();
  for (const [pid, done] of sigchldWaiters) {
    let raw: RawExit | null;
    try {
      raw = n.wait4(pid, true, false, false);  // only this pid: never anyone else's child
    } catch (err) {
      // ECHILD: somebody else (a wait4(-1) elsewhere) reaped our child; its status is lost.
      sigchldWaiters.delete(pid);
      done(err as Error);
      continue;
    }
    if (raw !== null) {
      sigchldWaiters.delete(pid);
      done(raw);
    }
  }
  if (sigchldWaiters.size === 0 && sigchldInstalled) {
    process.removeListener('SIGCHLD', onSigchld);
    sigchldInstalled = false;
  }
}

function updateKeepAlive(delta: number): void {
  refCount += delta;
  if (refCount > 0 && keepAlive === null) {
    keepAlive = setInterval(() => {}, 0x7fffffff);
  } else if (refCount <= 0 && keepAlive !== null) {
    clearInterval(keepAlive);
    keepAlive = null;
  }
}

function watchBySigchld(pid: number, done: (raw: RawExit | Error) => void): void {
  sigchldWaiters.set(pid, done);
  if (!sigchldInstalled) {
    process.on('SIGCHLD', onSigchld);
    sigchldInstalled = true;
  }
  // It may have exited before the listener existed (its SIGCHLD went nowhere).
  process.nextTick(onSigchld);
}

// ---- cgroups made for a child ----------------------------------------------------

/** Cgroups made by spawn whose child is reaped but which still hold processes. */
const lingering = new Map<string, fs.FSWatcher | null>();
let lingeringExitHook = false;

/**
 * Removes a cgroup spawn made, now if it is empty, else once cgroup.events says
 * it is (a double-forked daemon may outlive the child: killTree() ends it).
 * The watch does not keep the process alive; at exit one last attempt is made,
 * and a cgroup still populated then stays, with its processes in it.
 */
function removeWhenEmpty(dir: string): void {
  if (removeCgroup(dir)) return;
  let watcher: fs.FSWatcher | null = null;
  const retry = (): void => {
    if (!removeCgroup(dir)) return;
    watcher?.close();
    lingering.delete(dir);
  };
  try {
    watcher = fs.watch(path.join(dir, 'cgroup.events'), retry);
    watcher.on('error', () => undefined);
    watcher.unref();
  } catch {
    watcher = null;
  }
  lingering.set(dir, watcher);
  if (!lingeringExitHook) {
    lingeringExitHook = true;
    process.on('exit', () => {
      for (const d of lingering.keys()) removeCgroup(d);
    });
  }
  retry();  // it may have emptied between the first attempt and the watch
}

// ---- option preparation --------------------------------------------------------

/** A spawn request in the addon's positional form (see SpawnNative.spawn). */
interface Prepared {
  paths: string[];
  argv0: string;
  args: readonly string[];
  /** null: the parent's environ, copied natively (much cheaper than walking process.env). */
  envp: string[] | null;
  /** With envp null: the PWD the child's copy of environ gets (the cwd option made absolute). */
  pwd: string | null;
  cwd: string | null;
  /** One entry per child fd: a parent fd, or one of the FD_* codes. */
  fds: number[];
  uid: number;
  gid: number;
  groups: number[] | null;
  umask: number;
  rlimits: number[] | null;
  pgid: number;
  controllingTerminal: number;
  foregroundTerminal: number;
  pdeathsig: number;
  flags: number;
  /** SysProcAttr-style options, when any is used (null: none, the common case). */
  attrs: SysAttrs | null;
  /** Some fds entry is a pipe or socket whose parent end comes back in `out`. */
  pipes: boolean;
}

function fdOfStream(entry: StreamWithFd, name: string): number {
  const fd = inspectArg(entry, name, () => {
    const own = entry.fd;
    if (typeof own === 'number') return own;
    const handle = entry._handle;
    const hfd = handle !== null && typeof handle === 'object' ? handle.fd : undefined;
    return typeof hfd === 'number' ? hfd : -1;
  });
  if (!Number.isInteger(fd) || fd < 0 || fd > INT32_MAX) throw invalidArgValue(name, entry, 'must be a stream or server with an open fd');
  return fd;
}

/** The error for a stdio source that is not an open fd (checked before anything is opened). */
function closedFdError(index: number, fd: number, file: string): SystemError {
  return new SystemError(errnoOf('EBADF'), 'dup2', {
    stage: 'dup2',
    path: file,
    context: `options.stdio[${index}]: fd ${fd} is not open; spawn ${file}`,
  });
}

const STDIO_WORDS = new Set(['pipe', 'inherit', 'ignore']);
/** Whether the snapshot holds any SysProcAttr-style option (SYSATTR_OPTIONS). */
function hasSysAttrs(o: Record<string, unknown>): boolean {
  return o.capabilities !== undefined || o.cgroup !== undefined || o.namespaces !== undefined || o.uidMap !== undefined ||
    o.gidMap !== undefined || o.userNamespaceSetgroups !== undefined || o.hostname !== undefined || o.chroot !== undefined ||
    o.nice !== undefined || o.scheduling !== undefined || o.cpuAffinity !== undefined || o.ioPriority !== undefined ||
    o.oomScoreAdj !== undefined;
}

/** Whether some slot above `from` asks for a socket (whose end must be a stream). */
function socketsAbove(fds: readonly number[], from: number): boolean {
  for (let i = from + 1; i < fds.length; i++) if (fds[i] === FD_SOCKET) return true;
  return false;
}

function checkTerminalFd(name: string, fd: number, fds: readonly number[]): void {
  if (fd >= 0 && (fd >= fds.length || fds[fd] === FD_CLOSED)) {
    throw invalidArgValue(`options.${name}`, fd, 'must be a child fd that options.stdio does not leave closed');
  }
}

/** One stdio word or value as an fds entry (the pipe codes depend on the slot). */
function fdEntry(e: unknown, i: number): number {
  if (e === null || e === undefined) return i <= 2 ? (i === 0 ? FD_PIPE_IN : FD_PIPE_OUT) : FD_CLOSED;
  if (e === 'inherit') return i;
  if (e === 'ignore') return i === 0 ? FD_NULL_READ : FD_NULL_WRITE;
  if (e === 'pipe') return i === 0 ? FD_PIPE_IN : i <= 2 ? FD_PIPE_OUT : FD_SOCKET;
  if (typeof e === 'number') return validateInteger(e, `options.stdio[${i}]`, 0, INT32_MAX);
  if (typeof e === 'object') return fdOfStream(e as StreamWithFd, `options.stdio[${i}]`);
  throw invalidArgValue(`options.stdio[${i}]`, e, "must be 'pipe', 'inherit', 'ignore', an fd or a stream with an fd");
}

/**
 * Validates every option and turns it into the addon's request. Opens nothing
 * itself: /dev/null and the pipes are opened by the addon after it has checked
 * that every caller-named stdio source is open, and only a cgroup path (made or
 * opened here, last) is checked first here, before it is opened.
 */
function prepare(file: string, args: readonly string[], opts: Record<string, unknown>, n: SpawnNative): Prepared {
  const argv0 = opts.argv0 === undefined ? file : validateString(opts.argv0, 'options.argv0');
  let cwd = opts.cwd === undefined ? null : validateString(opts.cwd, 'options.cwd');
  const sysattrs = hasSysAttrs(opts);
  // Under a chroot the cwd names a directory inside the new root (a relative
  // one would be resolved from a directory outside it).
  if (sysattrs && opts.chroot !== undefined && cwd !== null) cwd = path.resolve('/', cwd);
  // process.env itself (the default, or passed as is) is the real environ: let the
  // addon copy it rather than walking the process.env proxy (~30 us per spawn).
  const inheritedEnv = opts.env === undefined || opts.env === process.env;
  const envp = inheritedEnv ? null : normalizeEnv(opts.env);
  // Go's rule: with an inherited environment, a cwd also sets PWD (a program
  // trusting PWD must not see the parent's directory). An explicit env is left as given.
  const pwd = inheritedEnv && cwd !== null ? path.resolve(process.cwd(), cwd) : null;

  // Credentials are resolved here, before any fork: an unknown name throws now.
  const creds = resolveCredentials(opts as CredentialOptions);

  let umask = -1;
  if (opts.umask !== undefined) umask = validateInteger(opts.umask, 'options.umask', 0, 0o777);

  let rlimits: number[] | null = null;
  if (opts.rlimits !== undefined) {
    rlimits = [];
    for (const [key, value] of snapshotRecord(opts.rlimits, 'options.rlimits')) {
      const resource = rlimitResource(n.rlimitResources, key, value, `options.rlimits.${key}`);
      if (value === undefined) continue;
      const [soft, hard] = toRlimit(value, `options.rlimits.${key}`);
      rlimits.push(resource, soft, hard);
    }
  }

  let flags = 0;
  const noNewPrivs = opts.noNewPrivs === undefined ? false : validateBoolean(opts.noNewPrivs, 'options.noNewPrivs');
  if (noNewPrivs && !supported.noNewPrivs) throw unsupportedError('spawn', platform, 'options.noNewPrivs needs Linux');
  const setsid = opts.setsid === undefined ? false : validateBoolean(opts.setsid, 'options.setsid');
  const noControllingTerminal =
    opts.noControllingTerminal === undefined ? false : validateBoolean(opts.noControllingTerminal, 'options.noControllingTerminal');
  if (noNewPrivs) flags |= FLAG_NO_NEW_PRIVS;
  if (setsid) flags |= FLAG_SETSID;
  if (noControllingTerminal) flags |= FLAG_NO_CONTROLLING_TERMINAL;
  const allowRelativePath = opts.allowRelativePath === undefined ? false : validateBoolean(opts.allowRelativePath, 'options.allowRelativePath');
  let pgid = -1;
  if (opts.processGroup !== undefined) {
    pgid = validateInteger(opts.processGroup, 'options.processGroup', 0, INT32_MAX);
    if (setsid) {
      throw invalidArgValue('options.processGroup', opts.processGroup,
        'cannot be combined with options.setsid (a session leader cannot change its process group)');
    }
  }
  let controllingTerminal = -1;
  if (opts.controllingTerminal !== undefined) {
    controllingTerminal = validateInteger(opts.controllingTerminal, 'options.controllingTerminal', 0, INT32_MAX);
    if (!setsid) {
      throw invalidArgValue('options.controllingTerminal', opts.controllingTerminal,
        'needs options.setsid: only the leader of a new session can take a controlling terminal');
    }
    if (n.spawnHasControllingTerminal !== true) {
      throw unsupportedError('spawn', platform, 'options.controllingTerminal needs TIOCSCTTY');
    }
  }
  let foregroundTerminal = -1;
  if (opts.foregroundTerminal !== undefined) {
    foregroundTerminal = validateInteger(opts.foregroundTerminal, 'options.foregroundTerminal', 0, INT32_MAX);
    if (pgid < 0) {
      throw invalidArgValue('options.foregroundTerminal', opts.foregroundTerminal,
        'needs options.processGroup (with options.setsid use options.controllingTerminal)');
    }
  }
  let pdeathsig = 0;
  if (opts.parentDeathSignal !== undefined) {
    pdeathsig = toSignalNumber(opts.parentDeathSignal, 'options.parentDeathSignal', { allowZero: true });
    if (pdeathsig !== 0 && !supported.parentDeathSignal) {
      throw unsupportedError('spawn', platform, 'options.parentDeathSignal needs Linux');
    }
  }

  // stdio -> fds entries: a parent fd, or what the addon opens for the slot.
  const fds: number[] = [];
  let pipes = false;
  const word = opts.stdio;
  if (word === undefined || typeof word === 'string') {
    if (word !== undefined && !STDIO_WORDS.has(word)) {
      throw invalidArgValue('options.stdio', word, "must be 'pipe', 'inherit', 'ignore' or an array");
    }
    for (let i = 0; i < 3; i++) fds.push(fdEntry(word ?? 'pipe', i));
  } else {
    const stdio = validateArray(word, 'options.stdio', MAX_FD_ENTRIES);
    const count = Math.max(3, stdio.length);
    for (let i = 0; i < count; i++) fds.push(fdEntry(stdio[i], i));
  }
  for (let i = 0; i < fds.length; i++) if (fds[i]! <= FD_PIPE_IN) pipes = true;
  checkTerminalFd('controllingTerminal', controllingTerminal, fds);
  checkTerminalFd('foregroundTerminal', foregroundTerminal, fds);
  // Only PATH lookups read PATH (a file with a slash is used as given).
  const paths = file.includes('/') ? [file] : lookupCandidates(file, pathOfChecked(envp), { cwd, allowRelative: allowRelativePath });

  let attrs: SysAttrs | null = null;
  let groups = creds.groups;
  if (sysattrs) {
    if (typeof opts.cgroup === 'string' || (opts.cgroup !== null && typeof opts.cgroup === 'object')) {
      // A cgroup directory is opened below, before the addon gets to check the
      // caller's stdio sources: check them first, so a closed number can never
      // be filled by that fd and reach the child as it.
      const sourceIndex: number[] = [];
      const sources: number[] = [];
      for (let i = 0; i < fds.length; i++) {
        if (fds[i]! >= 0) {
          sourceIndex.push(i);
          sources.push(fds[i]!);
        }
      }
      if (sources.length > 0) {
        const bad = n.spawnFirstClosedFd(sources);
        if (bad >= 0) throw closedFdError(sourceIndex[bad]!, sources[bad]!, file);
      }
    }
    if (typeof opts.cgroup === 'number' && n.spawnFirstClosedFd([opts.cgroup]) >= 0) {
      throw new SystemError(errnoOf('EBADF'), 'cgroup', { stage: 'cgroup', context: `options.cgroup: fd ${opts.cgroup} is not open` });
    }
    // The last step that can fail on bad input; it may make a cgroup, so every
    // argument check is behind us.
    attrs = resolveSysAttrs(opts, n.namespaceFlags);
    // In a user namespace whose setgroups is denied, an empty group list cannot
    // be set (and the caller's groups are unmapped there anyway): skipped, as Go does.
    if (attrs.setgroupsDenied && groups !== null && groups.length === 0) groups = null;
  }

  return {
    paths, argv0, args, envp, pwd, cwd, fds,
    uid: creds.uid ?? -1,
    gid: creds.gid ?? -1,
    groups, umask, rlimits, pgid, controllingTerminal, foregroundTerminal, pdeathsig, flags, attrs, pipes,
  };
}

// ---- Subprocess --------------------------------------------------------------

/** Live children the native watcher reports on, at their token (a small slot number). */
const watching: Array<Subprocess | undefined> = [];
/** Hands a reaped child its status (or the error of a lost one) and run()'s output. */
let settleChild: (child: Subprocess, res: ExitStatus | Error, output?: CapturedOutput) => void;
/** A run() child's result, when its output is captured natively. */
let runResultOf: (child: Subprocess) => Promise<RunResult> | null;

/** Where the watcher writes each batch of reaped children (see spawnSetExitHandler). */
let exitRecords = new Float64Array(0);
let exitRecordSize = 0;

const onChildExits: ExitHandler = (count, outputs) => {
  const r = exitRecords;
  for (let i = 0, at = 0; i < count; i++, at += exitRecordSize) {
    const token = r[at]!;
    const child = watching[token];
    if (child === undefined) continue;
    watching[token] = undefined;
    // A SystemError when waitid on our own child failed: someone else reaped it (ECHILD).
    settleChild(child, statusFromNumbers(r, at + 1), outputs?.[i]);
  }
};

/**
 * A reaped child's status from the addon's numbers at r[at] (native
 * WriteExitNumbers: status word, errno, pid, rusage), or the SystemError of a
 * reap that failed.
 */
function statusFromNumbers(r: Float64Array, at: number): ExitStatus | SystemError {
  if (r[at + 1] !== 0) return new SystemError(r[at + 1]!, 'waitid');
  const rusage: ResourceUsage = {
    userCPUTime: r[at + 3]!,
    systemCPUTime: r[at + 4]!,
    maxRSS: r[at + 5]!,
    minorPageFault: r[at + 6]!,
    majorPageFault: r[at + 7]!,
    voluntaryContextSwitches: r[at + 8]!,
    involuntaryContextSwitches: r[at + 9]!,
  };
  return statusFromWord(r[at + 2]!, r[at]!, rusage);
}

/** Children reaped in this turn whose 'exit' event is due, with their statuses. */
let exitEvents: Array<Subprocess | ExitStatus> = [];
const resolved = Promise.resolve();

/**
 * Emits the 'exit' events of one turn's children, in the order they were
 * reaped, from one microtask queued before any of their `exited` promises was
 * resolved: each child's listeners run before the code after its `await
 * exited`, as the event's contract says, without a process.nextTick per child.
 */
function emitExits(): void {
  const due = exitEvents;
  exitEvents = [];
  for (let i = 0; i < due.length; i += 2) (due[i] as Subprocess).emit('exit', due[i + 1] as ExitStatus);
}

function noop(): void {}

function stringTooLong(which: string, call = 'run'): Error {
  const err = new Error(`${call}(): the child's ${which} is too long for one string`) as Error & { code: string };
  err.code = 'ERR_STRING_TOO_LONG';
  return err;
}

/**
 * A running (or finished) child. Events: `'exit'` (status: ExitStatus), emitted
 * once, after `exited` resolves.
 */
export class Subprocess extends EventEmitter {
  /** The child's pid. Stays valid for kill() until the child is reaped. */
  readonly pid: number;
  /** Write end of the child's stdin pipe, when stdio[0] is 'pipe'. */
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** One entry per child fd: the parent's stream for 'pipe' entries, else null. */
  readonly stdio: ReadonlyArray<net.Socket | null>;
  /** Which engine started the child: 'clone3', 'clone' or 'fork'. */
  readonly engine: SpawnEngine;
  /** The child's process group when spawn gave it one (setsid / processGroup), else null. */
  readonly pgid: number | null;
  /**
   * The cgroup v2 directory the child was started in (`options.cgroup` as a
   * path, `'new'` or `{ parent }`), else null. A cgroup made for this child is
   * removed once the child is reaped and nothing is left in it.
   */
  get cgroup(): string | null {
    return this.#extra?.cgroup ?? null;
  }

  #pidfd: number;
  /** > 0: the native watcher reports this child's exit. */
  #token: number;
  #exited: Promise<ExitStatus> | null = null;
  /** Who waits on `exited` (made with it) and on run()'s result. */
  #waiters: { exited: Waiter<ExitStatus> | null; run: Waiter<RunResult> | null } | null = null;
  #status: ExitStatus | null = null;
  #lost: Error | null = null;
  #killSignal: number;
  #refed = true;
  #bySigchld = false;
  #streams: boolean;
  /** What most children never need (timers, an abort listener, a cgroup, killTimeout). */
  #extra: SubprocessExtra | null = null;

  static {
    settleChild = (child, res, output) => child.#settle(res, output);
    runResultOf = (child) => {
      // Natively captured: watched by the addon, with no stream for stdout or stderr.
      if (child.#token <= 0 || child.stdout !== null || child.stderr !== null || child.#waiters?.run || child.#gone) return null;
      return new Promise<RunResult>((resolve, reject) => {
        (child.#waiters ??= { exited: null, run: null }).run = { resolve, reject };
      });
    };
  }

  /** @internal Use spawn(). */
  constructor(
    pid: number,
    pidfd: number,
    engine: number,
    pgid: number | null,
    streams: Array<net.Socket | null>,
    hasStreams: boolean,
    killSignal: number,
    killTimeout: number | undefined,
    token: number,
  ) {
    super();
    this.pid = pid;
    this.#pidfd = pidfd;
    this.#token = token;
    this.engine = ENGINE_NAMES[engine] as SpawnEngine;
    this.pgid = pgid;
    this.stdio = streams;
    this.stdin = streams[0] ?? null;
    this.stdout = streams[1] ?? null;
    this.stderr = streams[2] ?? null;
    this.#streams = hasStreams;
    this.#killSignal = killSignal;
    if (killTimeout !== undefined) this.#extra = { killTimeout, timers: null, abort: null, cgroup: null, cgroupCreated: false };
    registerOwnedChild(pid, 'procctl');
    if (token > 0) {
      // The native watcher owns the pidfd and closes it after the reap.
      watching[token] = this;
    } else {
      this.#bySigchld = true;
      updateKeepAlive(+1);
      watchBySigchld(pid, (raw) => this.#settle(raw instanceof Error ? raw : decodeStatus(raw, raw.rusage)));
    }
  }

  /**
   * Resolves once the child has exited and been reaped. Rejects (with the
   * SystemError, code ECHILD) only when something else in the process reaped the
   * child first (a `wait4(-1)` / `reapZombies()` elsewhere), so its status is lost.
   */
  get exited(): Promise<ExitStatus> {
    if (this.#exited === null) {
      // Made on first use: a run() child, or one nobody awaits, never needs it.
      if (this.#status !== null) this.#exited = Promise.resolve(this.#status);
      else if (this.#lost !== null) {
        this.#exited = Promise.reject(this.#lost);
        this.#exited.catch(noop);  // see #settle
      } else {
        this.#exited = new Promise<ExitStatus>((resolve, reject) => {
          (this.#waiters ??= { exited: null, run: null }).exited = { resolve, reject };
        });
      }
    }
    return this.#exited;
  }

  /** True once the child has been reaped, by us or (status lost) by someone else. */
  get #gone(): boolean {
    return this.#status !== null || this.#lost !== null;
  }

  /** The exit status once reaped, else null. */
  get exitStatus(): ExitStatus | null {
    return this.#status;
  }

  #useExtra(): SubprocessExtra {
    return (this.#extra ??= { killTimeout: undefined, timers: null, abort: null, cgroup: null, cgroupCreated: false });
  }

  #settle(res: ExitStatus | Error, output?: CapturedOutput): void {
    if (this.#gone) return;
    // Either way the child is gone: the native side has closed the pidfd (forget
    // its number, which may be reused) and nothing is left to kill or time.
    this.#pidfd = -1;
    this.#token = 0;
    if (this.#refed && this.#bySigchld) updateKeepAlive(-1);
    releaseOwnedChild(this.pid);
    const extra = this.#extra;
    if (extra !== null) {
      if (extra.timers !== null) {
        for (const t of extra.timers) clearTimeout(t);
        extra.timers = null;
      }
      if (extra.abort !== null) {
        extra.abort.signal.removeEventListener('abort', extra.abort.listener);
        extra.abort = null;
      }
    }
    const waiters = this.#waiters;
    this.#waiters = null;
    if (res instanceof Error) {
      this.#lost = res;
      // A lost status must reach whoever awaits `exited`, but must not crash a
      // program that never looks at it as an unhandled rejection: handled
      // before it is rejected (and only then, so a resolved one costs no
      // reaction).
      if (this.#exited !== null) this.#exited.catch(noop);
      waiters?.exited?.reject(res);
      waiters?.run?.reject(res);
      if (this.listenerCount('error') > 0) process.nextTick(() => this.emit('error', res));
      return;
    }
    this.#status = res;
    // Queued before `exited` is resolved: the 'exit' listeners run first.
    if (exitEvents.length === 0) void resolved.then(emitExits);
    exitEvents.push(this, res);
    if (waiters !== null) {
      waiters.exited?.resolve(res);
      const run = waiters.run;
      if (run !== null) {
        const stdout = output?.[0];
        const stderr = output?.[1];
        if (stdout === null) run.reject(stringTooLong('stdout'));
        else if (stderr === null) run.reject(stringTooLong('stderr'));
        else run.resolve({ status: res, stdout: stdout ?? '', stderr: stderr ?? '' });
      }
    }
    // After the 'exit' listeners and the continuations of `await exited` had
    // their turn to start reading (see #releaseStreams).
    if (this.#streams) setImmediate(() => this.#releaseStreams());
    if (extra !== null && extra.cgroupCreated && extra.cgroup !== null) removeWhenEmpty(extra.cgroup);
  }

  /**
   * Once the child has exited, pipes nobody reads must not hold their fds for
   * ever (a net.Socket over a pipe only closes after reading to EOF): as
   * child_process does, stdin is destroyed (no reader is left) and every output
   * stream that nothing consumes (no 'data'/'readable' listener, never piped,
   * resumed or paused) is resumed, so what is left in it is read, discarded,
   * and the fd closed at EOF. Output that matters must be consumed by the time
   * the 'exit' event or `await exited` has returned.
   */
  #releaseStreams(): void {
    if (this.stdin !== null && !this.stdin.destroyed) this.stdin.destroy();
    for (const s of this.stdio) {
      if (s === null || s === this.stdin || s.destroyed || !s.readable) continue;
      if (s.readableFlowing === null && s.listenerCount('data') === 0 && s.listenerCount('readable') === 0) s.resume();
    }
  }

  /**
   * Sends `signal` (default SIGTERM) to the child, through its pidfd where there
   * is one (never a recycled pid). Returns false when the child has already been
   * reaped, true when the signal was sent.
   */
  kill(signal: SignalLike = 'SIGTERM'): boolean {
    const sig = toSignalNumber(signal, 'signal', { allowZero: true });
    // Reaped (by us or, lost, by someone else): the pid may already be recycled.
    if (this.#gone) return false;
    try {
      if (this.#pidfd >= 0) native().pidfdSendSignal(this.#pidfd, sig);
      else process.kill(this.pid, sig);  // not reaped yet, so the pid is still ours
    } catch (err) {
      if ((err as { code?: string }).code === 'ESRCH') return false;
      throw err;
    }
    return true;
  }

  /**
   * Sends `signal` to the child's process group: the group spawn gave it (setsid,
   * processGroup), else the group whose id is the child's pid (a child that made
   * itself a group leader). Returns false when no such group exists.
   */
  killGroup(signal: SignalLike = 'SIGTERM'): boolean {
    const sig = toSignalNumber(signal, 'signal', { allowZero: true });
    const pgid = this.pgid !== null && this.pgid > 0 ? this.pgid : this.pid;
    try {
      process.kill(-pgid, sig);
    } catch (err) {
      if ((err as { code?: string }).code === 'ESRCH') return false;
      throw err;
    }
    return true;
  }

  /** Lets the event loop exit while the child runs (as ChildProcess.unref). */
  unref(): this {
    this.#setRef(false);
    return this;
  }

  /** Undoes unref(). */
  ref(): this {
    this.#setRef(true);
    return this;
  }

  #setRef(on: boolean): void {
    if (this.#gone || this.#refed === on) return;
    this.#refed = on;
    if (this.#token > 0) native().spawnWatchRef(this.#token, on);
    else if (this.#bySigchld) updateKeepAlive(on ? +1 : -1);
    for (const s of this.stdio) {
      if (s) {
        if (on) s.ref();
        else s.unref();
      }
    }
  }

  /** Sends killSignal now, and SIGKILL (to the group when it leads one) after `ms`. */
  terminate(ms: number | undefined = this.#extra?.killTimeout): void {
    if (ms !== undefined) validateInteger(ms, 'ms', 0, INT32_MAX);
    if (this.#gone) return;
    this.kill(this.#killSignal);
    if (ms === undefined) return;
    const t = setTimeout(() => {
      this.#extra?.timers?.delete(t);
      if (this.#gone) return;
      if (this.pgid === this.pid) this.killGroup('SIGKILL');  // it leads its own group
      this.kill('SIGKILL');
    }, ms);
    (this.#useExtra().timers ??= new Set()).add(t);
  }

  /** @internal */
  _setCgroup(dir: string, created: boolean): void {
    const extra = this.#useExtra();
    extra.cgroup = dir;
    extra.cgroupCreated = created;
  }

  /**
   * Signals the child and every descendant, including those that moved to
   * another process group or session (killTree). With a cgroup spawn made for
   * it (`cgroup: 'new'` / `{ parent }`) that goes through the cgroup
   * (cgroup.kill for SIGKILL, else freeze, signal, thaw), which also reaches a
   * daemon that double-forked away from the tree, even after the child itself
   * was reaped. Otherwise the /proc walk, while the child is not yet reaped (0
   * after). Resolves to the number of processes signalled.
   */
  killTree(signal: SignalLike = 'SIGTERM'): Promise<number> {
    const sig = toSignalNumber(signal, 'signal');
    const extra = this.#extra;
    if (extra !== null && extra.cgroupCreated && extra.cgroup !== null) {
      if (!fs.existsSync(extra.cgroup)) return Promise.resolve(0);  // emptied and removed
      return killTree(this.pid, sig, { cgroup: extra.cgroup });
    }
    if (this.#gone) return Promise.resolve(0);
    return killTree(this.pid, sig);
  }

  /**
   * A new close-on-exec duplicate of the child's pidfd, for handing to other
   * code (poll it, `waitid(P_PIDFD)` it, pass it on); the caller closes it.
   * null when there is none (no pidfd on this system, or the child is reaped).
   * A method, not a property: every call makes an fd that must be closed.
   */
  duplicatePidfd(): number | null {
    if (this.#gone || this.#pidfd < 0) return null;
    return (native() as unknown as { duplicateFd(fd: number): number }).duplicateFd(this.#pidfd);
  }

  /** @internal */
  _watchAbort(signal: AbortSignal): void {
    const listener = (): void => this.terminate();
    this.#useExtra().abort = { signal, listener };
    signal.addEventListener('abort', listener, { once: true });
  }

  /** `await using child = spawn(...)`: kills (killSignal, SIGKILL after killTimeout ?? 5000 ms), reaps, closes pipes. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#gone) this.terminate(this.#extra?.killTimeout ?? 5000);
    // A status lost to another reaper is reported by `exited`, not by disposal.
    await this.exited.catch(() => undefined);
    for (const s of this.stdio) s?.destroy();
  }
}

/**
 * Starts `file` with `args`. `file` without a '/' is searched in the child's PATH
 * (as execvp). Throws a SystemError naming the failed stage when the child could
 * not be set up or exec'd (the failed child is already reaped, its fds closed).
 */
export function spawn(file: string, args: readonly string[] = [], options: SpawnOptions = {}): Subprocess {
  // Read once, own properties only: every later check sees the same values.
  return spawnSnapshot(file, args, snapshotOptions(options, SPAWN_OPTIONS, 'options', newOptionsRecord), false);
}

/**
 * The numbers of a spawn request, and the addon's results, in one buffer kept
 * for every spawn: filled right before the call and read right after it, with
 * no JS running in between (so a spawn from a getter cannot mix into another's).
 */
let spawnBuf = new Float64Array(64);

function spawnSnapshot(file: unknown, args: unknown, opts: Record<string, unknown>, capture: boolean): Subprocess;
function spawnSnapshot(file: unknown, args: unknown, opts: Record<string, unknown>, capture: true, sync: true): RunResult;
function spawnSnapshot(file: unknown, args: unknown, opts: Record<string, unknown>, capture: boolean, sync = false): Subprocess | RunResult {
  validateString(file, 'file');
  if (file === '') throw invalidArgValue('file', file, 'must not be empty');
  const argList = validateStringArray(args, 'args');
  if (!onMainThread()) throw workerError();
  const n = native();

  const killSignal = opts.killSignal === undefined ? 15 : toSignalNumber(opts.killSignal, 'options.killSignal');
  let killTimeout: number | undefined;
  if (opts.killTimeout !== undefined) killTimeout = validateInteger(opts.killTimeout, 'options.killTimeout', 0, INT32_MAX);
  let abortSignal: AbortSignal | undefined;
  if (opts.signal !== undefined) {
    const s = opts.signal;
    if (!inspectArg(s, 'options.signal', () => s instanceof AbortSignal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', s);
    abortSignal = s as AbortSignal;
  }
  // On Linux the addon reads PROCCTL_SPAWN_ENGINE itself (-1), from the C
  // environment: a process.env read costs about a microsecond.
  const engine = platform === 'linux' && !platformInjected ? -1 : engineFromEnv();

  const prep = prepare(file as string, argList, opts, n);
  const attrs = prep.attrs;
  if (abortSignal?.aborted) {
    if (attrs !== null) releaseSysAttrs(attrs, opts);
    throw abortError(abortSignal.reason);
  }
  // run(): stdout and stderr pipes are read natively and handed over as two
  // strings with the status, unless a stream is needed for another slot.
  let flags = prep.flags;
  if (sync) {
    // Nothing is left to write a stdin pipe or read any other: the call returns
    // only once the child is gone.
    const bad = prep.fds.findIndex((code, i) => code === FD_PIPE_IN || code === FD_SOCKET || (code === FD_PIPE_OUT && i !== 1 && i !== 2));
    if (bad >= 0) {
      if (attrs !== null) releaseSysAttrs(attrs, opts);
      throw invalidArgValue(`options.stdio[${bad}]`, 'pipe', "is not for runSync(), which captures only stdout and stderr: use 'ignore', 'inherit' or an fd (spawn() for a stdin pipe)");
    }
    flags |= FLAG_SYNC;
  }
  if (capture && prep.fds[0] !== FD_PIPE_IN && !socketsAbove(prep.fds, 2)) {
    if (prep.fds[1] === FD_PIPE_OUT) flags |= FLAG_CAPTURE_STDOUT;
    if (prep.fds[2] === FD_PIPE_OUT) flags |= FLAG_CAPTURE_STDERR;
  }

  const fds = prep.fds;
  const nfds = fds.length;
  if (spawnBuf.length < IN_FDS + nfds || spawnBuf.length < OUT_SYNC_END) spawnBuf = new Float64Array(Math.max(IN_FDS + nfds, OUT_SYNC_END));
  const out = spawnBuf;
  out[0] = prep.uid;
  out[1] = prep.gid;
  out[2] = prep.umask;
  out[3] = prep.pgid;
  out[4] = prep.controllingTerminal;
  out[5] = prep.foregroundTerminal;
  out[6] = prep.pdeathsig;
  out[7] = flags;
  out[8] = engine;
  out[9] = nfds;
  for (let i = 0; i < nfds; i++) out[IN_FDS + i] = fds[i]!;
  let outcome: SyncOutcome | undefined;
  try {
    outcome = n.spawn(prep.paths.length === 1 ? prep.paths[0]! : prep.paths, prep.argv0, prep.args, prep.envp, prep.pwd, prep.cwd,
      prep.groups, prep.rlimits, attrs === null ? null : attrs.req, out);
  } catch (err) {
    if (attrs !== null) releaseSysAttrs(attrs, opts);
    throw err;
  }
  const pid = out[OUT_PID]!;
  const stage = out[OUT_STAGE]!;
  if (stage === -1) {
    // PROCCTL_SPAWN_ENGINE names no engine; nothing was started.
    if (attrs !== null) releaseSysAttrs(attrs, opts);
    throw engineError(process.env.PROCCTL_SPAWN_ENGINE);
  }
  if (stage !== 0) {
    // The addon has reaped a child that failed and closed everything it opened.
    const errno = out[OUT_ERRNO]!;
    const fdIndex = out[OUT_FD_INDEX]!;
    if (attrs !== null) releaseSysAttrs(attrs, opts);
    if (fdIndex >= 0) throw closedFdError(fdIndex, prep.fds[fdIndex]!, file as string);
    const name = n.spawnStageNames[stage] ?? 'spawn';
    const errPath = name === 'chdir' && prep.cwd !== null ? prep.cwd : (file as string);
    throw new SystemError(errno, name, { path: errPath, stage: name, context: `spawn ${file as string}` });
  }
  if (outcome !== undefined) return syncResult(outcome, out, attrs, opts);
  const pidfd = out[OUT_PIDFD]!;
  const engineUsed = out[OUT_ENGINE]!;
  const token = out[OUT_TOKEN]!;

  const streams: Array<net.Socket | null> = [];
  let hasStreams = false;
  if (prep.pipes) {
    // Every result out of the shared buffer first: making a stream can run an
    // async hook, and that code could spawn.
    const ends: number[] = [];
    for (let i = 0; i < nfds; i++) ends.push(out[OUT_ENDS + i]!);
    for (let i = 0; i < nfds; i++) {
      const fd = ends[i]!;
      const code = fds[i]!;
      streams.push(fd >= 0 ? new (loadNet().Socket)({ fd, readable: code !== FD_PIPE_IN, writable: code !== FD_PIPE_OUT }) : null);
      if (fd >= 0) hasStreams = true;
    }
  } else {
    for (let i = 0; i < nfds; i++) streams.push(null);
  }
  // setsid and a new group (0): the child leads a group whose id is its pid.
  const pgid = (prep.flags & FLAG_SETSID) !== 0 || prep.pgid === 0 ? pid : prep.pgid > 0 ? prep.pgid : null;
  if (attrs !== null) closeSysAttrs(attrs, opts);
  const child = new Subprocess(pid, pidfd, engineUsed, pgid, streams, hasStreams, killSignal, killTimeout, token);
  if (attrs !== null && attrs.cgroupPath !== null) child._setCgroup(attrs.cgroupPath, attrs.cgroupCreated);
  if (abortSignal) child._watchAbort(abortSignal);
  return child;
}

/** What run() resolves to. */
export interface RunResult {
  status: ExitStatus;
  /** The child's stdout as UTF-8 ('' when stdio[1] was not 'pipe'). */
  stdout: string;
  stderr: string;
}

/**
 * Runs `file` to completion and collects its output. Same options as spawn();
 * stdio defaults to ['ignore', 'pipe', 'pipe']. Resolves once the child has been
 * reaped and both pipes have closed; rejects only when the spawn itself fails.
 * Both pipes are read as the child writes them, so a child that floods one of
 * them never blocks.
 */
export function run(file: string, args: readonly string[] = [], options: SpawnOptions = {}): Promise<RunResult> {
  // Bad arguments throw synchronously (as execFile does); a child that could not
  // be started (a SystemError naming the stage, or a refused relative PATH
  // lookup) rejects the promise.
  const opts = snapshotOptions(options, SPAWN_OPTIONS, 'options', newOptionsRecord);
  if (opts.stdio === undefined || opts.stdio === null) opts.stdio = ['ignore', 'pipe', 'pipe'];
  let child: Subprocess;
  try {
    child = spawnSnapshot(file, args, opts, true);
  } catch (err) {
    if (err instanceof SystemError || (err as { code?: unknown }).code === 'ERR_RELATIVE_PATH_LOOKUP') return Promise.reject(err);
    throw err;
  }
  // Output read natively when nothing else needed a stream; else the streams.
  return runResultOf(child) ?? collectRun(child);
}

/**
 * run() without the event loop: starts `file`, blocks until it has been reaped
 * and its stdout and stderr pipes have closed, and returns what run() resolves
 * to. For CLIs and scripts that have nothing else to do meanwhile, as
 * child_process.spawnSync; nothing else in this process runs until it returns
 * (signal handlers included: a SIGTERM's JS listener runs after the child is
 * done). Same options as run(), stdio defaulting to ['ignore', 'pipe', 'pipe'],
 * except what needs the loop: a stdin pipe or any pipe but stdout and stderr,
 * `signal` and `killTimeout` are ERR_INVALID_ARG_VALUE. A child that could not
 * be started throws the SystemError spawn() would.
 */
export function runSync(file: string, args: readonly string[] = [], options: SpawnOptions = {}): RunResult {
  const opts = snapshotOptions(options, SPAWN_OPTIONS, 'options', newOptionsRecord);
  if (opts.stdio === undefined || opts.stdio === null) opts.stdio = ['ignore', 'pipe', 'pipe'];
  for (const key of ['signal', 'killTimeout'] as const) {
    if (opts[key] !== undefined) throw invalidArgValue(`options.${key}`, opts[key], 'cannot act while runSync() blocks the event loop');
  }
  return spawnSnapshot(file, args, opts, true, true);
}

/** runSync's result from the addon's outcome; the made cgroup goes, as after an exit. */
function syncResult(o: SyncOutcome, out: Float64Array, attrs: SysAttrs | null, opts: Record<string, unknown>): RunResult {
  if (attrs !== null) {
    closeSysAttrs(attrs, opts);
    if (attrs.cgroupCreated && attrs.cgroupPath !== null) removeWhenEmpty(attrs.cgroupPath);
  }
  const status = statusFromNumbers(out, OUT_SYNC);
  if (status instanceof SystemError) throw status;
  if (o !== null && o[0] === null) throw stringTooLong('stdout', 'runSync');
  if (o !== null && o[1] === null) throw stringTooLong('stderr', 'runSync');
  return { status, stdout: o?.[0] ?? '', stderr: o?.[1] ?? '' };
}

async function collectRun(child: Subprocess): Promise<RunResult> {
  const collect = (s: Readable | null): Promise<string> =>
    s === null
      ? Promise.resolve('')
      : new Promise((resolve) => {
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
          s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
        });
  const [stdout, stderr, status] = await Promise.all([collect(child.stdout), collect(child.stderr), child.exited]);
  return { status, stdout, stderr };
}
