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
import * as net from 'node:net';
import type { Readable, Stream, Writable } from 'node:stream';
import { isMainThread } from 'node:worker_threads';
import { registerOwnedChild, releaseOwnedChild } from './children';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemError, errnoOf, invalidArgType, invalidArgValue, unsupportedError } from './errors';
import { removeCgroup } from './cgroup';
import { killTree } from './tree';
import { type RlimitName, type RlimitValue, rlimitResource, toRlimit } from './rlimits';
import { lookupCandidates, pathOfChecked } from './search';
import { SYSATTR_OPTIONS, type SysAttrOptions, type SysAttrRequest, type SysAttrs, closeSysAttrs, releaseSysAttrs, resolveSysAttrs } from './sysattrs';
import { platform, requireNative, supported } from './platform';
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
import { type RawStatus, type WaitStatus, decodeStatus } from './wait';

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

const SPAWN_OPTIONS = [
  'argv0', 'env', 'cwd', 'stdio', 'user', 'group', 'groups', 'umask', 'rlimits', 'noNewPrivs',
  'setsid', 'controllingTerminal', 'foregroundTerminal', 'noControllingTerminal', 'processGroup', 'parentDeathSignal',
  'signal', 'killSignal', 'killTimeout', 'allowRelativePath', ...SYSATTR_OPTIONS,
] as const;

/** A reaped child as the addon reports it: always with rusage. */
type RawExit = RawStatus & { rusage: ExitStatus['rusage'] };

interface SpawnRequest extends SysAttrRequest {
  paths: string[];
  argv: string[];
  /** null: the parent's environ, copied natively (much cheaper than walking process.env). */
  envp: string[] | null;
  /** With envp null: the PWD the child's copy of environ gets (the cwd option made absolute). */
  pwd: string | null;
  cwd: string | null;
  fds: number[];
  uid: number | null;
  gid: number | null;
  groups: number[] | null;
  umask: number | null;
  rlimits: number[];
  setsid: boolean;
  /** Child fd to make the controlling terminal after setsid; -1: none. */
  controllingTerminal: number;
  /** Child fd whose terminal's foreground becomes the child's group; -1: none. */
  foregroundTerminal: number;
  noControllingTerminal: boolean;
  pgid: number | null;
  pdeathsig: number;
  noNewPrivs: boolean;
  engine: number;
}

interface SpawnNative {
  spawn(req: SpawnRequest): { pid: number; pidfd: number; engine: number; stage: string | null; errno: number; fdIndex?: number };
  spawnPipe(): [number, number];
  spawnSocketPair(): [number, number];
  spawnCloseFd(fd: number): void;
  spawnFirstClosedFd(fds: number[]): number;
  spawnHasControllingTerminal?: boolean;
  pidfdSendSignal(pidfd: number, sig: number): void;
  watchPidfd(pidfd: number, cb: (res: RawExit | Error) => void): object;
  setWatchRef(handle: object, ref: boolean): void;
  wait4(pid: number, nohang: boolean, untraced: boolean, continued: boolean): RawExit | null;
  rlimitResources: Record<string, number>;
  namespaceFlags: Record<string, number>;
}

const ENGINES: Record<string, number> = { auto: 0, clone3: 1, clone: 2, fork: 3 };
const ENGINE_NAMES = ['auto', 'clone3', 'clone', 'fork'] as const;
/** The engine a spawn actually used. */
export type SpawnEngine = 'clone3' | 'clone' | 'fork';

function engineFromEnv(): number {
  const name = process.env.PROCCTL_SPAWN_ENGINE;
  if (name === undefined || name === '') return platform === 'linux' ? 0 : ENGINES.fork;
  const n = ENGINES[name];
  if (n === undefined) throw invalidArgValue('PROCCTL_SPAWN_ENGINE', name, 'must be auto, clone3, clone or fork');
  return platform === 'linux' ? n : ENGINES.fork;
}

function native(): SpawnNative {
  return requireNative<SpawnNative>('spawn', 'spawn');
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

interface Prepared {
  req: SpawnRequest;
  attrs: SysAttrs;
  /** Child-side ends and /dev/null: closed in the parent right after the spawn. */
  closeAfter: number[];
  /** Parent ends of 'pipe' entries, by child fd. */
  parentEnds: Map<number, { fd: number; readable: boolean; writable: boolean }>;
  pgid: number | null;
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

function prepare(file: string, args: readonly string[], opts: Record<string, unknown>, n: SpawnNative): Prepared {
  const argv0 = opts.argv0 === undefined ? file : validateString(opts.argv0, 'options.argv0');
  let cwd = opts.cwd === undefined ? null : validateString(opts.cwd, 'options.cwd');
  // Under a chroot the cwd names a directory inside the new root (a relative
  // one would be resolved from a directory outside it).
  if (opts.chroot !== undefined && cwd !== null) cwd = path.resolve('/', cwd);
  // process.env itself (the default, or passed as is) is the real environ: let the
  // addon copy it rather than walking the process.env proxy (~30 us per spawn).
  const inheritedEnv = opts.env === undefined || opts.env === process.env;
  const envp = inheritedEnv ? null : normalizeEnv(opts.env);
  // Go's rule: with an inherited environment, a cwd also sets PWD (a program
  // trusting PWD must not see the parent's directory). An explicit env is left as given.
  const pwd = inheritedEnv && cwd !== null ? path.resolve(process.cwd(), cwd) : null;

  // Credentials are resolved here, before any fork: an unknown name throws now.
  const creds = resolveCredentials(opts as CredentialOptions);

  let umask: number | null = null;
  if (opts.umask !== undefined) umask = validateInteger(opts.umask, 'options.umask', 0, 0o777);

  const rlimits: number[] = [];
  if (opts.rlimits !== undefined) {
    for (const [key, value] of snapshotRecord(opts.rlimits, 'options.rlimits')) {
      const resource = rlimitResource(n.rlimitResources, key, value, `options.rlimits.${key}`);
      if (value === undefined) continue;
      const [soft, hard] = toRlimit(value, `options.rlimits.${key}`);
      rlimits.push(resource, soft, hard);
    }
  }

  const noNewPrivs = opts.noNewPrivs === undefined ? false : validateBoolean(opts.noNewPrivs, 'options.noNewPrivs');
  if (noNewPrivs && !supported.noNewPrivs) throw unsupportedError('spawn', platform, 'options.noNewPrivs needs Linux');
  const setsid = opts.setsid === undefined ? false : validateBoolean(opts.setsid, 'options.setsid');
  const noControllingTerminal =
    opts.noControllingTerminal === undefined ? false : validateBoolean(opts.noControllingTerminal, 'options.noControllingTerminal');
  const allowRelativePath = opts.allowRelativePath === undefined ? false : validateBoolean(opts.allowRelativePath, 'options.allowRelativePath');
  let pgid: number | null = null;
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
    if (pgid === null) {
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

  // stdio -> fd map. Nothing is opened until every option above has been checked.
  let stdio: readonly unknown[];
  if (opts.stdio === undefined) stdio = ['pipe', 'pipe', 'pipe'];
  else if (typeof opts.stdio === 'string') {
    if (!STDIO_WORDS.has(opts.stdio)) {
      throw invalidArgValue('options.stdio', opts.stdio, "must be 'pipe', 'inherit', 'ignore' or an array");
    }
    stdio = [opts.stdio, opts.stdio, opts.stdio];
  } else stdio = validateArray(opts.stdio, 'options.stdio', MAX_FD_ENTRIES);
  const count = Math.max(3, stdio.length);
  const entries: Array<'pipe' | 'inherit' | 'ignore' | number | null> = [];
  for (let i = 0; i < count; i++) {
    const e = stdio[i];
    if (e === null || e === undefined) entries.push(i <= 2 ? 'pipe' : null);
    else if (e === 'pipe' || e === 'inherit' || e === 'ignore') entries.push(e);
    else if (typeof e === 'number') entries.push(validateInteger(e, `options.stdio[${i}]`, 0, INT32_MAX));
    else if (typeof e === 'object') entries.push(fdOfStream(e as StreamWithFd, `options.stdio[${i}]`));
    else throw invalidArgValue(`options.stdio[${i}]`, e, "must be 'pipe', 'inherit', 'ignore', an fd or a stream with an fd");
  }
  for (const [name, fd] of [['controllingTerminal', controllingTerminal], ['foregroundTerminal', foregroundTerminal]] as const) {
    if (fd >= 0 && (fd >= count || entries[fd] === null)) {
      throw invalidArgValue(`options.${name}`, fd, 'must be a child fd that options.stdio does not leave closed');
    }
  }
  // Every caller-named source must be open now, before procctl opens anything
  // of its own: a closed number would otherwise be filled by one of our pipes
  // (or /dev/null) and reach the child as that.
  const sourceIndex: number[] = [];
  const sources: number[] = [];
  for (let i = 0; i < count; i++) {
    const e = entries[i];
    if (typeof e === 'number' || e === 'inherit') {
      sourceIndex.push(i);
      sources.push(e === 'inherit' ? i : e);
    }
  }
  if (sources.length > 0) {
    const bad = n.spawnFirstClosedFd(sources);
    if (bad >= 0) throw closedFdError(sourceIndex[bad]!, sources[bad]!, file);
  }
  const paths = lookupCandidates(file, pathOfChecked(envp), { cwd, allowRelative: allowRelativePath });
  if (typeof opts.cgroup === 'number' && n.spawnFirstClosedFd([opts.cgroup]) >= 0) {
    throw new SystemError(errnoOf('EBADF'), 'cgroup', { stage: 'cgroup', context: `options.cgroup: fd ${opts.cgroup} is not open` });
  }
  // The last step that can fail on bad input; it may make a cgroup, so every
  // argument check is behind us.
  const attrs = resolveSysAttrs(opts, n.namespaceFlags);
  // In a user namespace whose setgroups is denied, an empty group list cannot
  // be set (and the caller's groups are unmapped there anyway): skipped, as Go does.
  const groups = attrs.setgroupsDenied && creds.groups !== null && creds.groups.length === 0 ? null : creds.groups;

  const closeAfter: number[] = [];
  const parentEnds = new Map<number, { fd: number; readable: boolean; writable: boolean }>();
  const fds: number[] = [];
  // /dev/null for 'ignore': read-only as stdin (a child that writes to fd 0 by
  // mistake gets EBADF, as with Go and libuv), write-only as an output.
  const devNull: { r: number; w: number } = { r: -1, w: -1 };
  try {
    for (let i = 0; i < count; i++) {
      const e = entries[i];
      if (e === null || e === undefined) fds.push(-1);
      else if (typeof e === 'number') fds.push(e);
      else if (e === 'inherit') fds.push(i);
      else if (e === 'ignore') {
        const which = i === 0 ? 'r' : 'w';
        if (devNull[which] < 0) {
          devNull[which] = fs.openSync('/dev/null', which === 'r' ? fs.constants.O_RDONLY : fs.constants.O_WRONLY);  // O_CLOEXEC (libuv)
          closeAfter.push(devNull[which]);
        }
        fds.push(devNull[which]);
      } else if (i <= 2) {
        const [r, w] = n.spawnPipe();
        if (i === 0) {
          closeAfter.push(r);
          fds.push(r);
          parentEnds.set(i, { fd: w, readable: false, writable: true });
        } else {
          closeAfter.push(w);
          fds.push(w);
          parentEnds.set(i, { fd: r, readable: true, writable: false });
        }
      } else {
        const [a, b] = n.spawnSocketPair();
        closeAfter.push(b);
        fds.push(b);
        parentEnds.set(i, { fd: a, readable: true, writable: true });
      }
    }
  } catch (err) {
    for (const fd of closeAfter) n.spawnCloseFd(fd);
    for (const end of parentEnds.values()) n.spawnCloseFd(end.fd);
    releaseSysAttrs(attrs, opts);
    throw err;
  }

  const req: SpawnRequest = {
    ...attrs.req,
    paths,
    argv: [argv0, ...args],
    envp,
    pwd,
    cwd,
    fds,
    uid: creds.uid,
    gid: creds.gid,
    groups,
    umask,
    rlimits,
    setsid,
    controllingTerminal,
    foregroundTerminal,
    noControllingTerminal,
    pgid,
    pdeathsig,
    noNewPrivs,
    engine: engineFromEnv(),
  };
  return { req, attrs, closeAfter, parentEnds, pgid: setsid ? -1 : pgid };
}

// ---- Subprocess --------------------------------------------------------------

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
  /**
   * Resolves once the child has exited and been reaped. Rejects (with the
   * SystemError, code ECHILD) only when something else in the process reaped the
   * child first (a `wait4(-1)` / `reapZombies()` elsewhere), so its status is lost.
   */
  readonly exited: Promise<ExitStatus>;
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
    return this.#cgroup;
  }

  #pidfd: number;
  #watch: object | null = null;
  #status: ExitStatus | null = null;
  #resolve!: (s: ExitStatus) => void;
  #reject!: (err: Error) => void;
  #killSignal: number;
  #killTimeout: number | undefined;
  #timers = new Set<NodeJS.Timeout>();
  #abort: { signal: AbortSignal; listener: () => void } | null = null;
  #refed = true;
  #bySigchld = false;
  #lost: Error | null = null;
  #native: SpawnNative;
  #cgroup: string | null = null;
  #cgroupCreated = false;

  /** @internal Use spawn(). */
  constructor(
    n: SpawnNative,
    pid: number,
    pidfd: number,
    engine: number,
    pgid: number | null,
    streams: Array<net.Socket | null>,
    killSignal: number,
    killTimeout: number | undefined,
  ) {
    super();
    this.#native = n;
    this.pid = pid;
    this.#pidfd = pidfd;
    this.engine = ENGINE_NAMES[engine] as SpawnEngine;
    this.pgid = pgid;
    this.stdio = streams;
    this.stdin = streams[0] ?? null;
    this.stdout = streams[1] ?? null;
    this.stderr = streams[2] ?? null;
    this.#killSignal = killSignal;
    this.#killTimeout = killTimeout;
    this.exited = new Promise<ExitStatus>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A lost status (see `exited`) must reach whoever awaits `exited`, but must not
    // crash a program that never looks at it as an unhandled rejection.
    this.exited.catch(() => {});
    registerOwnedChild(pid, 'procctl');
    if (pidfd >= 0) {
      // The native watcher owns the pidfd from here and closes it after the reap.
      this.#watch = n.watchPidfd(pidfd, (res) => this.#onExit(res));
    } else {
      this.#bySigchld = true;
      updateKeepAlive(+1);
      watchBySigchld(pid, (raw) => this.#onExit(raw));
    }
  }

  /** True once the child has been reaped, by us or (status lost) by someone else. */
  get #gone(): boolean {
    return this.#status !== null || this.#lost !== null;
  }

  /** The exit status once reaped, else null. */
  get exitStatus(): ExitStatus | null {
    return this.#status;
  }

  #onExit(res: RawExit | Error): void {
    if (this.#gone) return;
    // Either way the child is gone: the native side has closed the pidfd (forget
    // its number, which may be reused) and nothing is left to kill or time.
    this.#pidfd = -1;
    this.#watch = null;
    if (this.#refed && this.#bySigchld) updateKeepAlive(-1);
    releaseOwnedChild(this.pid);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    if (this.#abort) {
      this.#abort.signal.removeEventListener('abort', this.#abort.listener);
      this.#abort = null;
    }
    if (res instanceof Error) {
      // waitid/wait4 on our own child failed: someone else reaped it (ECHILD).
      this.#lost = res;
      this.#reject(res);
      if (this.listenerCount('error') > 0) process.nextTick(() => this.emit('error', res));
      return;
    }
    const status = decodeStatus(res, res.rusage);
    this.#status = status;
    this.#resolve(status);
    process.nextTick(() => this.emit('exit', status));
    // After the 'exit' listeners and the continuations of `await exited` had
    // their turn to start reading (see #releaseStreams).
    setImmediate(() => this.#releaseStreams());
    if (this.#cgroupCreated && this.#cgroup !== null) removeWhenEmpty(this.#cgroup);
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
      if (this.#pidfd >= 0) this.#native.pidfdSendSignal(this.#pidfd, sig);
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
    if (this.#watch !== null) this.#native.setWatchRef(this.#watch, on);
    else if (this.#bySigchld) updateKeepAlive(on ? +1 : -1);
    for (const s of this.stdio) {
      if (s) {
        if (on) s.ref();
        else s.unref();
      }
    }
  }

  /** Sends killSignal now, and SIGKILL (to the group when it leads one) after `ms`. */
  terminate(ms: number | undefined = this.#killTimeout): void {
    if (ms !== undefined) validateInteger(ms, 'ms', 0, INT32_MAX);
    if (this.#gone) return;
    this.kill(this.#killSignal);
    if (ms === undefined) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (this.#gone) return;
      if (this.pgid === this.pid) this.killGroup('SIGKILL');  // it leads its own group
      this.kill('SIGKILL');
    }, ms);
    this.#timers.add(t);
  }

  /** @internal */
  _setCgroup(dir: string, created: boolean): void {
    this.#cgroup = dir;
    this.#cgroupCreated = created;
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
    if (this.#cgroupCreated && this.#cgroup !== null) {
      if (!fs.existsSync(this.#cgroup)) return Promise.resolve(0);  // emptied and removed
      return killTree(this.pid, sig, { cgroup: this.#cgroup });
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
    return (this.#native as unknown as { duplicateFd(fd: number): number }).duplicateFd(this.#pidfd);
  }

  /** @internal */
  _watchAbort(signal: AbortSignal): void {
    const listener = (): void => this.terminate();
    this.#abort = { signal, listener };
    signal.addEventListener('abort', listener, { once: true });
  }

  /** `await using child = spawn(...)`: kills (killSignal, SIGKILL after killTimeout ?? 5000 ms), reaps, closes pipes. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#gone) this.terminate(this.#killTimeout ?? 5000);
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
  return spawnSnapshot(file, args, snapshotOptions(options, SPAWN_OPTIONS));
}

function spawnSnapshot(file: unknown, args: unknown, opts: Record<string, unknown>): Subprocess {
  validateString(file, 'file');
  if (file === '') throw invalidArgValue('file', file, 'must not be empty');
  const argList = validateStringArray(args, 'args');
  if (!isMainThread) throw workerError();
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

  const prep = prepare(file as string, argList, opts, n);
  if (abortSignal?.aborted) {
    for (const fd of prep.closeAfter) n.spawnCloseFd(fd);
    for (const end of prep.parentEnds.values()) n.spawnCloseFd(end.fd);
    releaseSysAttrs(prep.attrs, opts);
    throw abortError(abortSignal.reason);
  }

  let res: ReturnType<SpawnNative['spawn']>;
  try {
    res = n.spawn(prep.req);
  } catch (err) {
    releaseSysAttrs(prep.attrs, opts);
    throw err;
  } finally {
    for (const fd of prep.closeAfter) n.spawnCloseFd(fd);
  }
  if (res.stage !== null) {
    for (const end of prep.parentEnds.values()) n.spawnCloseFd(end.fd);
    releaseSysAttrs(prep.attrs, opts);
    if (res.fdIndex !== undefined) throw closedFdError(res.fdIndex, prep.req.fds[res.fdIndex]!, file as string);
    const errPath = res.stage === 'chdir' && prep.req.cwd !== null ? prep.req.cwd : (file as string);
    throw new SystemError(res.errno, res.stage, { path: errPath, stage: res.stage, context: `spawn ${file as string}` });
  }

  const streams: Array<net.Socket | null> = [];
  for (let i = 0; i < prep.req.fds.length; i++) {
    const end = prep.parentEnds.get(i);
    streams.push(end ? new net.Socket({ fd: end.fd, readable: end.readable, writable: end.writable }) : null);
  }
  // -1 (setsid) and 0 (new group): the child leads a group whose id is its pid.
  const pgid = prep.pgid === -1 || prep.pgid === 0 ? res.pid : prep.pgid;
  closeSysAttrs(prep.attrs, opts);
  const child = new Subprocess(n, res.pid, res.pidfd, res.engine, pgid, streams, killSignal, killTimeout);
  if (prep.attrs.cgroupPath !== null) child._setCgroup(prep.attrs.cgroupPath, prep.attrs.cgroupCreated);
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
 */
export function run(file: string, args: readonly string[] = [], options: SpawnOptions = {}): Promise<RunResult> {
  // Bad arguments throw synchronously (as execFile does); a child that could not
  // be started (a SystemError naming the stage, or a refused relative PATH
  // lookup) rejects the promise.
  const opts = snapshotOptions(options, SPAWN_OPTIONS);
  if (opts.stdio === undefined || opts.stdio === null) opts.stdio = ['ignore', 'pipe', 'pipe'];
  let child: Subprocess;
  try {
    child = spawnSnapshot(file, args, opts);
  } catch (err) {
    if (err instanceof SystemError || (err as { code?: unknown }).code === 'ERR_RELATIVE_PATH_LOOKUP') return Promise.reject(err);
    throw err;
  }
  return collectRun(child);
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
