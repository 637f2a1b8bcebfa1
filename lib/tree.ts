/**
 * killTree: signal a process and every descendant, including those that left
 * its process group or session, without racing against forks.
 *
 * Two ways, chosen by the caller:
 * - the walk (no cgroup): every process is stopped (SIGSTOP) before its
 *   children are read from /proc/<pid>/task/<tid>/children, so nothing forks
 *   past the walk (one stopped while blocking the signal, as inside glibc's
 *   fork(), is first let run until it no longer blocks it); then all are
 *   signalled, then continued. It reaches what is
 *   still a descendant: a daemon that double-forked before the call was
 *   reparented away (to PID 1 or a subreaper) and is no longer in the tree.
 * - a cgroup v2 directory: everything in it and below it, whatever its
 *   parentage. SIGKILL through cgroup.kill (Linux 5.14+); any other signal
 *   (or no cgroup.kill): freeze, signal each pid in cgroup.procs, thaw.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemError, errnoOf, invalidArgValue } from './errors';
import {
  assertCgroup2Directory,
  cgroupContains,
  cgroupDirectoryOf,
  cgroupProcs,
  killCgroup,
  waitCgroupEvent,
  writeCgroupFile,
} from './cgroup';
import { requireNative } from './platform';
import { type SignalLike, toSignalNumber } from './signals';
import { snapshotOptions, validatePid, validateString } from './validate';

interface WalkOutcome {
  /** Positive errno of the walk as a whole; 0: none. */
  errno: number;
  signalled: number;
  refused: number;
  notStopped: number;
  withoutPidfd: number;
}

interface TreeNative {
  signalTree(pid: number, sig: number, stopTimeoutMs: number): Promise<WalkOutcome>;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, sig: number): void;
}

/**
 * How long the walk waits for each process to show as stopped. One that does not (uninterruptible sleep, a vfork parent whose child
 * is itself stopped) is signalled anyway.
 */
const STOP_TIMEOUT_MS = 5000;
/** How long a freeze may take before the pids are signalled anyway. */
const FREEZE_TIMEOUT_MS = 5000;

const SIGKILL = 9;

export interface KillTreeOptions {
  /**
   * A cgroup v2 directory (e.g. `/sys/fs/cgroup/unified/app`): signal every
   * process in it and in every cgroup below it instead of walking `pid`'s
   * descendants. This also reaches double-forked daemons.
   */
  cgroup?: string;
}

/**
 * Signals `pid` and every descendant, and resolves to the number of processes
 * signalled.
 *
 * Without `options.cgroup` the tree is walked: each process is stopped before
 * its children are read, so none can fork past the walk, then all get
 * `signal`, then SIGCONT (so a stopped process acts on a SIGTERM). A process
 * stopped by job control before the call is continued too, as a shell's `kill`
 * does for a stopped job. Not continued: after SIGKILL, SIGCONT, or a stop
 * signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: the tree stays stopped).
 *
 * Counted: processes the signal was delivered to. Not counted: zombies (already
 * dead), processes of another user that the caller may not signal (EPERM is an
 * error only when nothing at all could be signalled), the calling process
 * itself. Rejects with ESRCH when `pid` does not exist; a zombie `pid` resolves
 * to 0. `pid` may not be the caller or one of its ancestors
 * (ERR_INVALID_ARG_VALUE): the walk would stop the caller.
 *
 * With `options.cgroup`, every process in that cgroup and below is signalled
 * whatever its parentage, and `pid` is only checked for form (the child may
 * already have been reaped while its daemons live on). SIGKILL goes through
 * `cgroup.kill`; the count is then the processes listed just before.
 * Another signal: the cgroup is frozen, each pid signalled, then thawed (also a
 * cgroup the caller had frozen). Neither cgroup.kill nor cgroup.freeze usable:
 * a SystemError with stage 'cgroup', the errno and the path, never a fallback
 * to the walk. A cgroup that contains the calling process is refused
 * (ERR_INVALID_ARG_VALUE): it would freeze or kill the caller.
 *
 * Linux only (ENOSYS elsewhere).
 */
export async function killTree(pid: number, signal: SignalLike = 'SIGTERM', options?: KillTreeOptions): Promise<number> {
  validatePid(pid, 'pid', 1);
  const sig = toSignalNumber(signal, 'signal');
  const opts = snapshotOptions(options, ['cgroup']);
  let cgroup: string | undefined;
  if (opts.cgroup !== undefined) {
    cgroup = validateString(opts.cgroup, 'options.cgroup');
    if (cgroup === '') throw invalidArgValue('options.cgroup', cgroup, 'must be a cgroup v2 directory');
  }
  const native = requireNative<TreeNative>('killTree', 'killTree');
  if (cgroup !== undefined) return signalCgroup(native, path.resolve(cgroup), sig);

  const { errno, signalled } = await native.signalTree(pid, sig, STOP_TIMEOUT_MS);
  if (errno === 0) return signalled;
  if (errno === errnoOf('EDEADLK')) {
    throw invalidArgValue('pid', pid, 'is the calling process or one of its ancestors (the walk would stop the caller)');
  }
  if (errno === errnoOf('EINVAL')) {
    throw new SystemError(errno, 'pidfd_open', { context: `killTree: ${pid} is a thread id, not a process id` });
  }
  // ESRCH: no such process; EPERM: none of it could be signalled; else reading /proc failed.
  const syscall = errno === errnoOf('ESRCH') || errno === errnoOf('EPERM') ? 'kill' : 'open';
  throw new SystemError(errno, syscall, { context: `killTree ${pid}` });
}

async function signalCgroup(native: TreeNative, dir: string, sig: number): Promise<number> {
  assertCgroup2Directory(dir);
  const hasKill = fs.existsSync(path.join(dir, 'cgroup.kill'));
  if (!fs.existsSync(path.join(dir, 'cgroup.freeze')) && !(sig === SIGKILL && hasKill)) {
    const why = sig === SIGKILL ? 'no cgroup.kill (Linux 5.14+) and no cgroup.freeze (Linux 5.2+)' : 'no cgroup.freeze (Linux 5.2+; the root cgroup has none)';
    throw new SystemError(errnoOf('ENOENT'), 'cgroup', {
      stage: 'cgroup',
      path: path.join(dir, 'cgroup.freeze'),
      context: `cannot signal the cgroup: ${why} in '${dir}'`,
    });
  }
  // Freezing or killing a cgroup the caller is in would freeze or kill the caller.
  const own = cgroupDirectoryOf('self');
  if (own !== null && cgroupContains(dir, own)) {
    throw invalidArgValue('options.cgroup', dir, `contains the calling process (its cgroup is '${own}')`);
  }
  if (sig === SIGKILL) {
    const listed = cgroupProcs(dir);
    if (killCgroup(dir)) return listed.length;
  }
  // Frozen, nothing in the cgroup can fork or exit (but by someone else's
  // SIGKILL), so the list read while frozen is complete and stays true. A
  // process frozen while it blocks the signal runs on after the thaw before
  // the signal acts: glibc's fork() blocks every signal around the clone, so
  // one frozen inside fork() (the clone is restarted after the thaw) creates
  // a child that was not listed. Such processes are watched until they no
  // longer block the signal (or have exited), and the cgroup is then frozen
  // again and what is new in it signalled, up to CGROUP_ROUNDS times.
  const signalledPids = new Map<number, number>(); // pid -> pidfd (-1: signalled by pid)
  try {
    let signalled = 0;
    let refused = 0;
    for (let round = 1; ; round++) {
      writeCgroupFile(dir, 'cgroup.freeze', '1');
      let blocking: number[];
      try {
        await waitCgroupEvent(dir, 'frozen', 1, FREEZE_TIMEOUT_MS);
        const r = signalMembers(native, dir, sig, signalledPids);
        signalled += r.signalled;
        refused += r.refused;
        blocking = r.blocking;
      } finally {
        writeCgroupFile(dir, 'cgroup.freeze', '0');
      }
      if (blocking.length === 0 || round === CGROUP_ROUNDS) break;
      await untilUnblocked(blocking, sig, NUDGE_MS);
    }
    if (signalled === 0 && refused > 0) {
      throw new SystemError(errnoOf('EPERM'), 'kill', { context: `killTree: cgroup '${dir}'` });
    }
    return signalled;
  } finally {
    for (const pidfd of signalledPids.values()) if (pidfd >= 0) fs.closeSync(pidfd);
  }
}

/** How many times the cgroup is frozen and signalled at most (see signalCgroup). */
const CGROUP_ROUNDS = 4;
/** How long a process that blocks the signal is given to stop blocking it, in ms. */
const NUDGE_MS = 20;

/** Signals 1-31 blocked by the (main) thread of `pid`, from field 32 of /proc/<pid>/stat; 0 when it is gone. */
function blockedMask(pid: number): number {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[32 - 3] ?? 0);
}

/** Whether `pid` blocks `sig` (only signals 1-31 can be told; SIGKILL cannot be blocked). */
function blocks(pid: number, sig: number): boolean {
  if (sig === SIGKILL || sig > 31) return false;
  return ((blockedMask(pid) >>> (sig - 1)) & 1) === 1;
}

/** Resolves once none of `pids` blocks `sig` any more (or has exited), or after `ms`. */
async function untilUnblocked(pids: number[], sig: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  let left = pids;
  while (left.length > 0 && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    left = left.filter((pid) => blocks(pid, sig));
  }
}

/**
 * Signals every process in the (frozen) cgroup `dir` and below that is not
 * in `done` (pid -> pidfd of those signalled in an earlier round; a listed pid
 * whose old pidfd names an ended process is a new process and is signalled).
 * Each pid gets a pidfd first, and only those still listed after that are
 * signalled: a frozen process cannot exit (but by someone else's SIGKILL) nor
 * fork, so a pid still listed is the same process its pidfd names. Returns
 * the counts and the pids signalled that block the signal.
 */
function signalMembers(
  native: TreeNative,
  dir: string,
  sig: number,
  done: Map<number, number>,
): { signalled: number; refused: number; blocking: number[] } {
  const pidfds = new Map<number, number>(); // pid -> pidfd, or -1 to signal by pid
  const blocking: number[] = [];
  let signalled = 0;
  let refused = 0;
  try {
    for (const pid of cgroupProcs(dir)) {
      const old = done.get(pid);
      if (old !== undefined) {
        if (old < 0 || isSameProcess(native, old)) continue;
        fs.closeSync(old); // that pid is another process now
        done.delete(pid);
      }
      try {
        pidfds.set(pid, native.pidfdOpen(pid));
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ENOSYS' || code === 'EMFILE' || code === 'ENFILE') pidfds.set(pid, -1);
        else if (code !== 'ESRCH') throw err;
      }
    }
    const still = new Set(cgroupProcs(dir));
    for (const [pid, pidfd] of pidfds) {
      if (!still.has(pid)) continue;
      try {
        if (pidfd >= 0) native.pidfdSendSignal(pidfd, sig);
        else process.kill(pid, sig);
        signalled++;
        done.set(pid, pidfd);
        pidfds.delete(pid); // kept open in `done` for the next round
        if (blocks(pid, sig)) blocking.push(pid);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'EPERM') refused++;
        else if (code !== 'ESRCH') throw err;
      }
    }
  } finally {
    for (const pidfd of pidfds.values()) if (pidfd >= 0) fs.closeSync(pidfd);
  }
  return { signalled, refused, blocking };
}

/** Whether the process `pidfd` names is still there (signal 0 through the pidfd). */
function isSameProcess(native: TreeNative, pidfd: number): boolean {
  try {
    native.pidfdSendSignal(pidfd, 0);
    return true;
  } catch {
    return false;
  }
}
