/**
 * File descriptor flags that decide what crosses exec and spawn.
 *
 * Node marks every fd it opens close-on-exec (stdio included) and puts pipes it
 * uses into non-blocking mode. These calls read and change both.
 */
import { requireNative } from './platform';
import { validateBoolean, validateFd } from './validate';

interface FdNative {
  getCloexec(fd: number): boolean;
  setCloexec(fd: number, on: boolean): void;
  getNonblock(fd: number): boolean;
  setNonblock(fd: number, on: boolean): void;
}

function fdNative(call: string): FdNative {
  return requireNative<FdNative>('fdFlags', call);
}

/**
 * Whether `fd` survives execve (FD_CLOEXEC clear). Note procctl's `execve` keeps
 * only 0-2 and its `inheritFds`, and `spawn` only its `stdio` entries, whatever
 * this flag says; it matters for other exec paths (child_process, execve(2) by
 * other code).
 */
export function setInheritable(fd: number, inheritable: boolean): void {
  validateFd(fd);
  validateBoolean(inheritable, 'inheritable');
  fdNative('fcntl').setCloexec(fd, !inheritable);
}

export function isInheritable(fd: number): boolean {
  validateFd(fd);
  return !fdNative('fcntl').getCloexec(fd);
}

/**
 * Sets or clears O_NONBLOCK. It belongs to the open file description, so it
 * changes for every process sharing it (a terminal, a pipe handed down).
 */
export function setBlocking(fd: number, blocking: boolean): void {
  validateFd(fd);
  validateBoolean(blocking, 'blocking');
  fdNative('fcntl').setNonblock(fd, !blocking);
}

export function isBlocking(fd: number): boolean {
  validateFd(fd);
  return !fdNative('fcntl').getNonblock(fd);
}
