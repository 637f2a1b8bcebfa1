/**
 * True process replacement: `execve`, `execvp` and `reexec`, with the state Node
 * leaves behind cleaned first and an optional in-place
 * credential drop (gosu / setpriv style).
 *
 * What happens, in order:
 *   1. checks that change nothing: arguments, main thread, names resolved to
 *      ids, inherited fds open, and (when credentials change) that the target
 *      user may execute the file;
 *   2. queued `process.stdout` / `process.stderr` writes are flushed;
 *   3. native: every signal blocked; umask, cwd, fd flags (0-2 and `inheritFds`
 *      inheritable and blocking, all others close-on-exec), TTY mode, signal
 *      dispositions (1..31 to SIG_DFL) changed and saved;
 *   4. irreversible steps last: setsid, setgroups, setresgid, setresuid,
 *      PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS; the final signal mask; execve().
 *   5. on failure everything from step 3 is put back and a SystemError is thrown.
 *      If a step of 4 had already taken effect the error lists it in `unrestored`.
 *
 * Exit handlers do not run: no `'exit'` event, no `beforeExit`, no AtExit hooks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemError, errnoOf, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { nativeBinding, onMainThread, platform, supported } from './platform';
import { toSignalNumber, type SignalLike } from './signals';
import { resolveCredentials, type CredentialOptions, type Credentials } from './users';
import {
  MAX_FD_ENTRIES,
  inspectArg,
  normalizeEnv,
  snapshotOptions,
  validateArray,
  validateBoolean,
  validateFd,
  validateInteger,
  validateString,
  validateStringArray,
} from './validate';
import { emulateExec } from './fallback/exec';
import { type CapabilityOptions, type ResolvedCapabilities, resolveCapabilities } from './capabilities';
import { assertCgroup2Directory } from './cgroup';
import { DEFAULT_PATH, lookupCandidates, pathOfChecked, searchCandidates, searchPathOf, type RelativePathError } from './search';

export { DEFAULT_PATH, searchCandidates, searchPathOf, type RelativePathError };

/** An environment: an object (as `process.env`) or an array of `KEY=value` strings. */
export type ExecEnv = NodeJS.ProcessEnv | Readonly<Record<string, string | undefined>> | readonly string[];

/** Options of {@link execve} and {@link execvp}. */
export interface ExecOptions extends CredentialOptions {
  /** argv[0] of the new program. Default: `file` as given. */
  argv0?: string;
  /** The new program's environment. Default: `process.env`. */
  env?: ExecEnv;
  /** fds kept open across exec besides 0, 1 and 2 (made inheritable and blocking). */
  inheritFds?: readonly number[];
  /** Working directory of the new program; a relative `file` is resolved against it. */
  cwd?: string;
  /** Signals blocked in the new program. Default: none. */
  signalMask?: readonly SignalLike[];
  /** Start a new session (fails with EPERM when the caller leads a process group). */
  setsid?: boolean;
  /** Signal the new program gets when its parent dies (Linux), armed after the credential drop. */
  parentDeathSignal?: SignalLike;
  /** Set PR_SET_NO_NEW_PRIVS (Linux): no set-uid/file-capability gains for the new program. */
  noNewPrivs?: boolean;
  /** File mode creation mask of the new program (0..0o777). */
  umask?: number;
  /**
   * Wait until queued `process.stdout` / `process.stderr` writes are written
   * before exec (default true). While waiting, the event loop turns, so other
   * callbacks may run.
   */
  flushStdio?: boolean;
  /** Capabilities the new program keeps after the drop (ambient) and its bounding set (Linux). */
  capabilities?: CapabilityOptions;
  /** Root directory for the new program (chroot), entered before the credential drop; the file is looked up inside it. */
  chroot?: string;
  /** A cgroup v2 directory the process moves into (its cgroup.procs) before the exec (Linux). */
  cgroup?: string;
  /**
   * execvp: let the PATH search use relative entries (`''`, `.`, `bin`), which
   * resolve against the current directory. Default false: a program that would
   * be found through one is refused with `ERR_RELATIVE_PATH_LOOKUP` (as Go's
   * ErrDot), and relative entries are otherwise skipped.
   */
  allowRelativePath?: boolean;
}

/** Options of {@link reexec}: the exec options, plus what to change in the command line. */
export interface ReexecOptions extends ExecOptions {
  /** Script arguments (replacing `process.argv.slice(2)`). */
  args?: readonly string[];
  /** Node options (replacing `process.execArgv`). */
  execArgv?: readonly string[];
  /**
   * Run the script open on this fd (say, the update just verified) instead of
   * `process.argv[1]`: Node is given `/dev/fd/N` and `--preserve-symlinks-main`,
   * and the fd is kept open. Without that flag Node would resolve /dev/fd/N to
   * the path the file was opened from and load whatever is there now. The
   * script runs as CommonJS (the path has no extension) and its relative
   * require()s resolve from /dev/fd, so it is a self-contained bundle.
   */
  scriptFd?: number;
}

/** Options of {@link fexecve}: those of {@link execve} but the PATH search's. */
export type FexecveOptions = Omit<ExecOptions, 'allowRelativePath'>;

/** The error exec throws: a SystemError, with the irreversible steps that had taken effect. */
export interface ExecError extends SystemError {
  /**
   * Steps that took effect and could not be undone before the failure
   * ('setsid', 'seccomp' (the terminal guard), 'setgroups', 'setresgid',
   * 'setresuid', 'capabilities', 'PR_SET_NO_NEW_PRIVS').
   * Absent when the process is exactly as before the call.
   */
  unrestored?: string[];
}

/** The environment variable {@link reexec} uses to name the fds it passed on. */
export const INHERITED_FDS_ENV = 'PROCCTL_INHERITED_FDS';

interface ExecPlanJs {
  paths: string[];
  /** >= 0: exec the program open on this fd; `paths` then only names it. */
  execFd: number;
  argv: string[];
  envp: string[];
  inheritFds: number[];
  cwd?: string;
  signalMask: number[];
  setsid: boolean;
  groups: number[] | null;
  gid: number | null;
  uid: number | null;
  parentDeathSignal: number;
  noNewPrivs: boolean;
  umask: number;
  resetTty: boolean;
  ambientCaps: number[] | null;
  boundingKeep: number[] | null;
  chroot: string | null;
  cgroup: string | null;
}

interface ExecFailureJs {
  errno: number;
  syscall: string;
  stage: string;
  pathIndex: number;
  unrestored: string[];
}

interface ExecNative {
  execInPlace(plan: ExecPlanJs): ExecFailureJs;
  runLoopOnce(): boolean;
  duplicateFd(fd: number): number;
  getNonblock(fd: number): boolean;
}

const EXEC_OPTIONS = [
  'argv0',
  'env',
  'inheritFds',
  'cwd',
  'signalMask',
  'user',
  'group',
  'groups',
  'setsid',
  'parentDeathSignal',
  'noNewPrivs',
  'umask',
  'flushStdio',
  'allowRelativePath',
  'capabilities',
  'chroot',
  'cgroup',
] as const;

const FEXECVE_OPTIONS = EXEC_OPTIONS.filter((o) => o !== 'allowRelativePath');

/** Options that need the native addon (the fallback cannot emulate them). */
const NATIVE_ONLY_OPTIONS = ['signalMask', 'user', 'group', 'groups', 'setsid', 'parentDeathSignal', 'noNewPrivs', 'umask', 'capabilities', 'chroot', 'cgroup'] as const;

/**
 * What an exec call already under way is doing: 'flushing' while it turns the
 * event loop to write queued stdout/stderr (callbacks run then, and one of them
 * may call exec again), 'emulating' once the fallback has started the program
 * (this process only waits to exit with its status). A second exec then is
 * refused, changing nothing: it would run a program other than the one the
 * first call was about to run, or start a second one.
 */
let execBusy: 'flushing' | 'emulating' | null = null;

function refuseNested(call: string): void {
  if (execBusy === null) return;
  const why =
    execBusy === 'flushing'
      ? 'from a callback that ran while an earlier exec call was flushing stdout/stderr'
      : 'after an emulated exec (fallback) already started its program';
  const err = new Error(`${call}() refused: called ${why}; nothing was changed`) as Error & { code: string };
  err.code = 'ERR_EXEC_IN_PROGRESS';
  throw err;
}

function refuseWorker(call: string): void {
  refuseNested(call);
  if (onMainThread()) return;
  const err = new TypeError(
    `${call}() is not supported in worker threads: it would replace the whole process. Call it from the main thread.`,
  ) as TypeError & { code: string };
  err.code = 'ERR_WORKER_UNSUPPORTED_OPERATION';
  throw err;
}

interface Prepared {
  file: string;
  argv: string[];
  envp: string[];
  /** The PATH the search uses (execvp). */
  searchPath: string;
  inheritFds: number[];
  cwd?: string;
  signalMask: number[];
  credentials: Credentials;
  setsid: boolean;
  parentDeathSignal: number;
  noNewPrivs: boolean;
  umask: number;
  flushStdio: boolean;
  allowRelativePath: boolean;
  capabilities: ResolvedCapabilities;
  chroot: string | null;
  cgroup: string | null;
  given: Record<string, unknown>;
}

/** The cwd a relative one means, and the environment with PWD set to it (Go's rule for an inherited environment). */
function withPwd(envp: string[], cwd: string): string[] {
  const pwd = `PWD=${path.resolve(process.cwd(), cwd)}`;
  return [...envp.filter((e) => !e.startsWith('PWD=')), pwd];
}

function prepare(call: string, file: unknown, args: unknown, options: unknown, knownExtra: readonly string[] = []): Prepared {
  refuseWorker(call);
  validateString(file, 'file');
  const argList = args === undefined ? [] : validateStringArray(args, 'args');
  // Read once, own properties only: every check below sees the same values.
  const opts = snapshotOptions(options, [...EXEC_OPTIONS, ...knownExtra]);
  return prepareSnapshot(call, file as string, argList, opts);
}

function prepareSnapshot(call: string, file: string, argList: string[], opts: Record<string, unknown>): Prepared {
  const argv0 = opts.argv0 === undefined ? file : validateString(opts.argv0, 'options.argv0');
  let cwd = opts.cwd === undefined ? undefined : validateString(opts.cwd, 'options.cwd');
  const chroot = opts.chroot === undefined ? null : validateString(opts.chroot, 'options.chroot');
  // Under a chroot the cwd names a directory inside the new root.
  if (chroot !== null && cwd !== undefined) cwd = path.resolve('/', cwd);
  let envp = opts.env === undefined || opts.env === process.env ? normalizeEnv(process.env) : normalizeEnv(opts.env);
  if (cwd !== undefined && (opts.env === undefined || opts.env === process.env)) envp = withPwd(envp, cwd);
  const inheritFds =
    opts.inheritFds === undefined
      ? []
      : validateArray(opts.inheritFds, 'options.inheritFds', MAX_FD_ENTRIES).map((fd, i) => validateFd(fd, `options.inheritFds[${i}]`));
  const signalMask =
    opts.signalMask === undefined
      ? []
      : validateArray(opts.signalMask, 'options.signalMask', 64).map((s, i) => {
          const n = toSignalNumber(s, `options.signalMask[${i}]`);
          if (n === 9 || n === 19) throw invalidArgValue(`options.signalMask[${i}]`, s, 'cannot be blocked (SIGKILL, SIGSTOP)');
          return n;
        });
  const setsid = opts.setsid === undefined ? false : validateBoolean(opts.setsid, 'options.setsid');
  const noNewPrivs = opts.noNewPrivs === undefined ? false : validateBoolean(opts.noNewPrivs, 'options.noNewPrivs');
  const flushStdio = opts.flushStdio === undefined ? true : validateBoolean(opts.flushStdio, 'options.flushStdio');
  const allowRelativePath = opts.allowRelativePath === undefined ? false : validateBoolean(opts.allowRelativePath, 'options.allowRelativePath');
  const parentDeathSignal =
    opts.parentDeathSignal === undefined ? 0 : toSignalNumber(opts.parentDeathSignal, 'options.parentDeathSignal');
  const umask = opts.umask === undefined ? -1 : validateInteger(opts.umask, 'options.umask', 0, 0o777);
  let cgroup: string | null = null;
  if (opts.cgroup !== undefined) {
    cgroup = path.resolve(validateString(opts.cgroup, 'options.cgroup'));
    if (supported.execve) assertCgroup2Directory(cgroup);
  }
  const capabilities: ResolvedCapabilities = opts.capabilities === undefined ? { ambient: null, boundingKeep: null } : resolveCapabilities(opts.capabilities);

  if (supported.execve) {
    // Refuse what this platform lacks before anything changes (macOS: no prctl).
    if (parentDeathSignal !== 0 && !supported.parentDeathSignal) {
      throw new SystemError(errnoOf('ENOSYS'), 'prctl', { stage: 'PR_SET_PDEATHSIG', context: `options.parentDeathSignal: not available on ${platform}` });
    }
    if (noNewPrivs && !supported.noNewPrivs) {
      throw new SystemError(errnoOf('ENOSYS'), 'prctl', { stage: 'PR_SET_NO_NEW_PRIVS', context: `options.noNewPrivs: not available on ${platform}` });
    }
    if (opts.capabilities !== undefined && !supported.capabilities) {
      throw new SystemError(errnoOf('ENOSYS'), 'capset', { stage: 'capabilities', context: `options.capabilities: not available on ${platform}` });
    }
    if (cgroup !== null && !supported.cgroups) {
      throw new SystemError(errnoOf('ENOSYS'), 'cgroup', { stage: 'cgroup', context: `options.cgroup: not available on ${platform}` });
    }
  }
  const wantsCredentials = opts.user !== undefined || opts.group !== undefined || opts.groups !== undefined;
  let credentials: Credentials = { uid: null, gid: null, groups: null, userEntry: null };
  if (wantsCredentials && supported.execve) {
    credentials = resolveCredentials(
      { user: opts.user as CredentialOptions['user'], group: opts.group as CredentialOptions['group'], groups: opts.groups as CredentialOptions['groups'] },
      'options',
    );
  }
  return {
    file,
    argv: [argv0, ...argList],
    envp,
    searchPath: pathOfChecked(envp),
    inheritFds,
    cwd,
    signalMask,
    credentials,
    setsid,
    parentDeathSignal,
    noNewPrivs,
    umask,
    flushStdio,
    allowRelativePath,
    capabilities,
    chroot,
    cgroup,
    given: opts,
  };
}

// --- the credential preflight: can the target user execute the file? -------

interface Who {
  uid: number;
  gids: number[];
}

function allows(st: fs.Stats, who: Who, bit: number): boolean {
  if (who.uid === 0) return bit !== 1 || st.isDirectory() || (st.mode & 0o111) !== 0;
  if (st.uid === who.uid) return ((st.mode >> 6) & bit) !== 0;
  if (who.gids.includes(st.gid)) return ((st.mode >> 3) & bit) !== 0;
  return (st.mode & bit) !== 0;
}

/** 0 when `who` may execute `file` (as far as mode bits tell), else the errno execve would give. */
function executableBy(file: string, who: Who, cwd: string, root = '/'): number {
  // Under a chroot the walk starts at the new root: the directories above it
  // are never crossed by the new program.
  const inRoot = path.resolve(cwd, file);
  const abs = path.join(root, inRoot);
  const parts = inRoot.split('/').filter(Boolean);
  let dir = root;
  for (let i = 0; i < parts.length - 1; i++) {
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch (e) {
      return errnoOf((e as NodeJS.ErrnoException).code ?? 'ENOENT');
    }
    if (!st.isDirectory()) return errnoOf('ENOTDIR');
    if (!allows(st, who, 1)) return errnoOf('EACCES');
    dir = path.join(dir, parts[i]);
  }
  let st: fs.Stats;
  try {
    const dst = fs.statSync(dir);
    if (!dst.isDirectory()) return errnoOf('ENOTDIR');
    if (!allows(dst, who, 1)) return errnoOf('EACCES');
    st = fs.statSync(abs);
  } catch (e) {
    return errnoOf((e as NodeJS.ErrnoException).code ?? 'ENOENT');
  }
  if (!st.isFile() || !allows(st, who, 1)) return errnoOf('EACCES');
  return 0;
}

/** Who the new program runs as, when the credentials change (else null). */
function targetOf(p: Prepared): Who | null {
  const c = p.credentials;
  if (c.uid === null && c.gid === null && c.groups === null) return null;
  const uid = c.uid ?? (process.geteuid ? process.geteuid() : 0);
  const gid = c.gid ?? (process.getegid ? process.getegid() : 0);
  const groups = c.groups ?? (process.getgroups ? process.getgroups() : []);
  return { uid, gids: [gid, ...groups] };
}

/**
 * fexecve's form of the preflight: the file open on `fd`, by its mode bits. A
 * script must also be readable: its interpreter opens /dev/fd/N as that user.
 */
function preflightCredentialsFd(p: Prepared, fd: number): void {
  const who = targetOf(p);
  if (who === null) return;
  let err = 0;
  try {
    const st = fs.fstatSync(fd);
    const head = Buffer.alloc(2);
    let script = true;
    try {
      script = fs.readSync(fd, head, 0, 2, 0) === 2 && head.toString('latin1') === '#!';
    } catch {
      // O_PATH or write-only: the native side reads it another way; assume the stricter case.
    }
    if (!st.isFile() || !allows(st, who, 1) || (script && !allows(st, who, 4))) err = errnoOf('EACCES');
  } catch (e) {
    err = errnoOf((e as NodeJS.ErrnoException).code ?? 'EBADF');
  }
  if (err === 0) return;
  throw new SystemError(err, 'execveat', {
    path: p.file,
    stage: 'execve',
    context: `fd ${fd} ('${p.file}') as uid ${who.uid} gid ${who.gids[0]}; checked before changing credentials, nothing was changed`,
  });
}

/**
 * Credential changes cannot be undone, so before making them check, from the
 * mode bits, that the target user can execute one of the candidates. Throws the
 * error execve would give; changes nothing.
 */
function preflightCredentials(p: Prepared, candidates: string[]): void {
  const who = targetOf(p);
  if (who === null) return;
  const { uid, gids: [gid] } = who;
  // With a chroot, cwd is inside it (default '/'), as the native side enters it.
  const root = p.chroot === null ? '/' : path.resolve(process.cwd(), p.chroot);
  const cwd = p.chroot !== null ? path.resolve('/', p.cwd ?? '/') : p.cwd === undefined ? process.cwd() : path.resolve(process.cwd(), p.cwd);
  let firstError = 0;
  let firstPath = p.file;
  for (const candidate of candidates) {
    const err = executableBy(candidate, who, cwd, root);
    if (err === 0) return;
    const isNotFound = err === errnoOf('ENOENT') || err === errnoOf('ENOTDIR');
    if (firstError === 0 || (!isNotFound && (firstError === errnoOf('ENOENT') || firstError === errnoOf('ENOTDIR')))) {
      firstError = err;
      firstPath = isNotFound ? p.file : candidate;
    }
  }
  throw new SystemError(firstError || errnoOf('ENOENT'), 'execve', {
    path: firstPath,
    stage: 'execve',
    context: `'${firstPath}' as uid ${uid} gid ${gid}; checked before changing credentials, nothing was changed`,
  });
}

// --- flushing ---------------------------------------------------------------

/**
 * True while `process.stdout` / `process.stderr` hold unwritten data. Only a
 * non-blocking fd can have any: Node writes to TTYs, files and blocking pipes
 * synchronously, and libuv makes a pipe non-blocking when Node opens its stream.
 * Checking the fd first also keeps exec from creating a stream (and so changing
 * the fd's flags) that the program never used.
 */
function pendingStdio(native: ExecNative): boolean {
  for (const fd of [1, 2]) {
    let nonblocking = false;
    try {
      nonblocking = native.getNonblock(fd);
    } catch {
      continue; // closed
    }
    if (!nonblocking) continue;
    const stream = fd === 1 ? process.stdout : process.stderr;
    if (!stream.destroyed && stream.writableLength > 0) return true;
  }
  return false;
}

function flushStdioSync(native: ExecNative): void {
  // Each turn of the loop lets libuv write more of the queued data; a write that
  // fails (EPIPE) destroys the stream, which ends the wait too.
  while (pendingStdio(native)) {
    if (!native.runLoopOnce()) break; // nothing left alive in the loop
  }
}

// --- the exec itself --------------------------------------------------------

function execPrepared(call: string, p: Prepared, candidates: string[], useFallback: boolean, execFd = -1): never {
  if (execFd >= 0 && (useFallback || !supported.fexecve)) {
    throw new SystemError(errnoOf('ENOSYS'), call, { context: `exec by fd is not available on ${platform}` });
  }
  if (useFallback || !supported.execve) {
    for (const key of NATIVE_ONLY_OPTIONS) {
      if (p.given[key] !== undefined) {
        throw new SystemError(errnoOf('ENOSYS'), call, {
          context: `options.${key} needs the native addon, not available on ${platform}`,
        });
      }
    }
    emulateExec(call, p.file, candidates, {
      argv: p.argv,
      envp: p.envp,
      cwd: p.cwd,
      inheritFds: p.inheritFds,
      flushStdio: p.flushStdio,
    });
    // Started (or about to start, once stdio is flushed): this process now only
    // waits to exit with the program's status.
    execBusy = 'emulating';
    return undefined as never;
  }
  const native = nativeBinding<ExecNative>();
  if (native === null) throw new SystemError(errnoOf('ENOSYS'), call, { context: `not available on ${platform}` });
  if (execFd >= 0) {
    preflightCredentialsFd(p, execFd);
  } else {
    if (candidates.length === 0) {
      throw new SystemError(errnoOf('ENOENT'), 'execve', { path: p.file, stage: 'execve' });
    }
    preflightCredentials(p, candidates);
  }
  if (p.flushStdio) {
    // Nothing has been changed yet: a callback that throws while the loop turns
    // is an ordinary uncaught exception (the 'uncaughtException' handler, or the
    // process ends), and one that calls exec again is refused (refuseNested).
    execBusy = 'flushing';
    try {
      flushStdioSync(native);
    } finally {
      execBusy = null;
    }
  }

  const failure = native.execInPlace({
    paths: execFd >= 0 ? [p.file] : candidates,
    execFd,
    argv: p.argv,
    envp: p.envp,
    inheritFds: p.inheritFds,
    cwd: p.cwd,
    signalMask: p.signalMask,
    setsid: p.setsid,
    groups: p.credentials.groups,
    gid: p.credentials.gid,
    uid: p.credentials.uid,
    parentDeathSignal: p.parentDeathSignal,
    noNewPrivs: p.noNewPrivs,
    umask: p.umask,
    resetTty: true,
    ambientCaps: p.capabilities.ambient,
    boundingKeep: p.capabilities.boundingKeep,
    chroot: p.chroot,
    cgroup: p.cgroup,
  });
  let errPath: string | undefined;
  if (failure.syscall === 'execve') errPath = failure.pathIndex >= 0 ? candidates[failure.pathIndex] : p.file;
  else if (failure.syscall === 'chdir') errPath = p.cwd;
  else if (execFd >= 0 && (failure.syscall === 'execveat' || failure.stage === 'fd')) errPath = p.file;
  let context: string | undefined;
  if (failure.stage !== failure.syscall) context = failure.stage;
  if (execFd >= 0 && errPath !== undefined) context = `fd ${execFd} ('${errPath}')`;
  if (failure.unrestored.length > 0) {
    const where = errPath !== undefined ? `'${errPath}'` : context;
    context = `${where ? `${where}; ` : ''}already changed and not undone: ${failure.unrestored.join(', ')}`;
  }
  const err = new SystemError(failure.errno, failure.syscall, {
    ...(errPath !== undefined ? { path: errPath } : {}),
    stage: failure.stage,
    ...(context !== undefined ? { context } : {}),
  }) as ExecError;
  if (failure.unrestored.length > 0) err.unrestored = failure.unrestored;
  throw err;
}

/**
 * Replaces the running program with `file` (a path; relative paths are resolved
 * against `options.cwd` when given), keeping the PID. `args` are argv[1..].
 * Returns only by throwing: a SystemError ({@link ExecError}) with `code`,
 * `errno`, `syscall` ('execve' or the step that failed), `path` and `stage`, after
 * everything that can be undone was undone.
 *
 * @example
 * execve('/bin/sh', ['-c', 'echo $$'], { env: { PATH: '/usr/bin:/bin' } });
 */
export function execve(file: string, args: readonly string[] = [], options: ExecOptions = {}): never {
  const p = prepare('execve', file, args, options);
  return execPrepared('execve', p, p.file === '' ? [] : [p.file], false);
}

/**
 * Like {@link execve}, but a `file` without a slash is searched in the PATH of
 * the environment being passed (`options.env`, else `process.env`; `/bin:/usr/bin`
 * when it has none). Every candidate is tried; ENOENT/ENOTDIR and EACCES go on to
 * the next one, any other error (ENOEXEC, E2BIG, ...) stops the search; when
 * nothing ran the error is EACCES if some candidate gave it, else ENOENT.
 * Unlike execvp(3), a file without a valid format is not handed to /bin/sh: it
 * fails with ENOEXEC.
 *
 * @example
 * execvp('node', ['--version']);
 * execvp('id', [], { user: 'nobody', parentDeathSignal: 'SIGTERM' });
 */
export function execvp(file: string, args: readonly string[] = [], options: ExecOptions = {}): never {
  const p = prepare('execvp', file, args, options);
  return execPrepared('execvp', p, lookupCandidates(p.file, p.searchPath, { cwd: p.cwd, allowRelative: p.allowRelativePath }), false);
}

/** The path the kernel shows for `fd` (without the ' (deleted)' of an unlinked file), else '/dev/fd/N'. */
function pathOfFd(fd: number): string {
  try {
    const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    if (target.startsWith('/')) return target.replace(/ \(deleted\)$/, '');
  } catch {
    // closed (exec reports EBADF), or no /proc
  }
  return `/dev/fd/${fd}`;
}

/**
 * Replaces the running program with the one open on `fd`, keeping the PID:
 * execveat(fd, "", AT_EMPTY_PATH), or /proc/self/fd/N where execveat is
 * missing. What was checked through that fd (a hash, a signature) is what runs,
 * whatever happens to its path meanwhile. Everything else is as {@link execve}:
 * the same options (but the PATH search's), the same clean-up, the same errors.
 * `argv[0]` defaults to the path the fd was opened from.
 *
 * The fd is closed in the new program when the file is ELF. Anything else (a
 * `#!` script, a binfmt_misc format) stays open: the kernel hands the
 * interpreter the path /dev/fd/N, which it opens after the exec, and a
 * close-on-exec fd (libuv opens every file so, and exec makes every fd not
 * named so) would make the exec fail with ENOENT.
 *
 * Linux only (ENOSYS elsewhere).
 *
 * @example
 * const fd = fs.openSync('/opt/app/bin/tool', 'r');
 * verify(fd);                       // read and hash through the fd
 * fexecve(fd, ['--serve']);
 */
export function fexecve(fd: number, args: readonly string[] = [], options: FexecveOptions = {}): never {
  refuseWorker('fexecve');
  validateFd(fd);
  const argList = args === undefined ? [] : validateStringArray(args, 'args');
  const opts = snapshotOptions(options, FEXECVE_OPTIONS);
  const p = prepareSnapshot('fexecve', pathOfFd(fd), argList, opts);
  return execPrepared('fexecve', p, [], false, fd);
}

function isEvalRun(execArgv: readonly string[]): boolean {
  return execArgv.some((a) => a === '-e' || a === '--eval' || a === '-p' || a === '--print' || a.startsWith('--eval=') || a.startsWith('--print='));
}

/**
 * Re-executes the running Node program in place: `process.execPath` with
 * `process.execArgv`, the script and its arguments (`options.args` /
 * `options.execArgv` replace them). The PID, the terminal and the fds named in
 * `inheritFds` stay; the new program finds those fds with {@link inheritedFds}
 * (they are named in `PROCCTL_INHERITED_FDS`).
 *
 * @example
 * const fd = duplicateFd(server._handle.fd);
 * reexec({ inheritFds: [fd] });
 * // in the new program:
 * const [fd] = inheritedFds();
 * http.createServer(handler).listen({ fd });
 */
export function reexec(options: ReexecOptions = {}): never {
  refuseWorker('reexec');
  const opts = snapshotOptions(options, [...EXEC_OPTIONS, 'args', 'execArgv', 'scriptFd']);
  let execArgv = opts.execArgv === undefined ? process.execArgv : validateStringArray(opts.execArgv, 'options.execArgv');
  const scriptFd = opts.scriptFd === undefined ? null : validateFd(opts.scriptFd, 'options.scriptFd');
  const evalRun = isEvalRun(process.execArgv);
  const current = evalRun || process.argv.length < 2 ? [] : [process.argv[1]!];
  const userArgs = opts.args === undefined ? process.argv.slice(current.length + 1) : validateStringArray(opts.args, 'options.args');
  let script = current;
  if (scriptFd !== null) {
    // Linux's /dev/fd/N opens the file afresh; elsewhere it would share the fd's
    // offset, left at the end by whatever read the file to check it.
    if (!supported.fexecve) throw new SystemError(errnoOf('ENOSYS'), 'reexec', { context: `options.scriptFd is not available on ${platform}` });
    if (isEvalRun(execArgv)) {
      throw invalidArgValue('options.scriptFd', scriptFd, 'cannot replace an -e/-p program: pass options.execArgv without it');
    }
    script = [`/dev/fd/${scriptFd}`];
    if (!execArgv.includes('--preserve-symlinks-main')) execArgv = [...execArgv, '--preserve-symlinks-main'];
  }
  delete opts.args;
  delete opts.execArgv;
  delete opts.scriptFd;

  const inherited = opts.env === undefined || opts.env === process.env;
  let envp = inherited ? normalizeEnv(process.env) : normalizeEnv(opts.env);
  envp = envp.filter((e) => !e.startsWith(`${INHERITED_FDS_ENV}=`));
  if (inherited && opts.cwd !== undefined) envp = withPwd(envp, validateString(opts.cwd, 'options.cwd'));
  const fds =
    opts.inheritFds === undefined
      ? []
      : validateArray(opts.inheritFds, 'options.inheritFds', MAX_FD_ENTRIES).map((fd, i) => validateFd(fd, `options.inheritFds[${i}]`));
  if (fds.length > 0) envp.push(`${INHERITED_FDS_ENV}=${fds.join(',')}`);
  if (opts.argv0 === undefined) opts.argv0 = process.argv0;
  opts.env = envp;
  // The script's fd is kept open but not announced: it is not the program's to reuse.
  opts.inheritFds = scriptFd === null ? fds : [...fds, scriptFd];

  const p = prepareSnapshot('reexec', process.execPath, [...execArgv, ...script, ...userArgs], opts);
  return execPrepared('reexec', p, [p.file], false);
}

/**
 * The fds a previous program passed on with `reexec({ inheritFds })`, read from
 * `PROCCTL_INHERITED_FDS` (empty when there are none). Entries that are not
 * fd numbers >= 3 are ignored.
 */
export function inheritedFds(): number[] {
  const raw = process.env[INHERITED_FDS_ENV];
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => (/^[0-9]+$/.test(s.trim()) ? Number(s.trim()) : -1))
    .filter((n) => Number.isSafeInteger(n) && n >= 3);
}

/**
 * A close-on-exec duplicate (>= 3) of `fd`. With it a server can close its own
 * handle (so Node stops accepting) while the listening socket stays open and
 * keeps queueing connections, then pass the duplicate to `reexec`.
 */
export function duplicateFd(fd: number): number {
  validateFd(fd);
  const native = nativeBinding<ExecNative>();
  if (native === null || !supported.fdFlags) {
    throw new SystemError(errnoOf('ENOSYS'), 'fcntl', { context: `not available on ${platform}` });
  }
  return native.duplicateFd(fd);
}

/** The fd number of a `net.Server` or `net.Socket` (its libuv handle's fd). */
export function fdOf(handleOwner: { _handle?: unknown } | null | undefined): number {
  const fd = inspectArg(handleOwner, 'handleOwner', () => {
    const handle = handleOwner && typeof handleOwner === 'object' ? (handleOwner as { _handle?: { fd?: unknown } })._handle : undefined;
    return handle && typeof handle === 'object' ? handle.fd : undefined;
  });
  if (typeof fd !== 'number') throw invalidArgType('handleOwner', 'a listening net.Server or a connected net.Socket', handleOwner);
  if (fd < 0) throw outOfRange('handleOwner fd', '>= 0 (the handle has no fd on this platform)', fd);
  return fd;
}
