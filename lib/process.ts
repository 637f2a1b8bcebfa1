/**
 * Direct process calls that need no fork: _exit, session and process group.
 */
import { requireNative, nativeBinding } from './platform';
import { validateInteger, validatePid, INT32_MAX } from './validate';

interface ProcessNative {
  exit(code: number): never;
  setsid(): number;
  getsid(pid: number): number;
  setpgid(pid: number, pgid: number): number;
  getpgid(pid: number): number;
}

/**
 * Ends the process at once with `code` (0..255), through `_exit(2)`.
 *
 * Nothing else runs: no `'exit'` or `'beforeExit'` event, no `process.on('exit')`
 * handler, no AtExit hook of an addon. Writes still queued in `process.stdout` /
 * `process.stderr` are lost; when stdout is a pipe whose reader is slow that can
 * be a lot. Call `await flushStdio()` first when the output matters.
 */
export function _exit(code: number = 0): never {
  validateInteger(code, 'code', 0, 255);
  const native = nativeBinding<ProcessNative>();
  if (native !== null) native.exit(code);
  // No addon (Windows): reallyExit is Node's raw exit: no 'exit' event.
  (process as unknown as { reallyExit(code: number): never }).reallyExit(code);
  throw new Error('unreachable');
}

function drain(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded || stream.writableLength === 0) {
      resolve();
      return;
    }
    // Writes complete in order, so the callback of an empty write fires once
    // everything queued before it is written (or the stream failed).
    stream.write('', () => resolve());
  });
}

/**
 * Resolves once everything queued in `process.stdout` and `process.stderr` has
 * been handed to the OS. Use it before `_exit` or `execve` when output matters.
 */
export async function flushStdio(): Promise<void> {
  await Promise.all([drain(process.stdout), drain(process.stderr)]);
}

/**
 * Makes the calling process a session leader and process-group leader, with no
 * controlling terminal. Returns the new session id (the pid). Fails with EPERM
 * when the caller already leads a process group (a Node process started from a
 * shell usually does: spawn it with `setsid: true` instead, or `detached` in
 * child_process).
 */
export function setsid(): number {
  return requireNative<ProcessNative>('setsid', 'setsid').setsid();
}

/** The session id of `pid` (0: the calling process). */
export function getsid(pid: number = 0): number {
  validatePid(pid);
  return requireNative<ProcessNative>('getsid', 'getsid').getsid(pid);
}

/**
 * Moves `pid` (0: the caller) into process group `pgid` (0: a new group whose id
 * is `pid`). Works on the caller and on its own children before they exec.
 */
export function setpgid(pid: number = 0, pgid: number = 0): void {
  validatePid(pid);
  validateInteger(pgid, 'pgid', 0, INT32_MAX);
  requireNative<ProcessNative>('setpgid', 'setpgid').setpgid(pid, pgid);
}

/** The process group id of `pid` (0: the calling process). */
export function getpgid(pid: number = 0): number {
  validatePid(pid);
  return requireNative<ProcessNative>('getpgid', 'getpgid').getpgid(pid);
}
