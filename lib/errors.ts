/**
 * Errors, built in one place.
 *
 * System errors look like Node's own (`fs`, `child_process`): an `Error` with
 * `code` ('ESRCH'), a negative `errno`, `syscall`, and `path` / `stage` where they
 * apply, with the message `ESRCH: no such process, setpgid`. The native addon
 * builds its errors through {@link makeSystemError} too, so there is one class.
 *
 * Argument errors are `TypeError` / `RangeError` carrying Node's codes.
 */
import { getSystemErrorMap, inspect } from 'node:util';
import { constants } from 'node:os';

const errnoNames: Record<string, number> = constants.errno as unknown as Record<string, number>;
const systemErrors = getSystemErrorMap();

// Codes libuv's table (and so getSystemErrorMap) does not describe; wording as strerror(3).
const extraDescriptions: Record<string, string> = {
  EBADMSG: 'bad message',
  ECHILD: 'no child processes',
  EDEADLK: 'resource deadlock avoided',
  EDOM: 'numerical argument out of domain',
  EDQUOT: 'disk quota exceeded',
  EIDRM: 'identifier removed',
  EINPROGRESS: 'operation now in progress',
  EMULTIHOP: 'multihop attempted',
  ENETRESET: 'network dropped connection on reset',
  ENOEXEC: 'exec format error',
  ENOLCK: 'no locks available',
  ENOLINK: 'link has been severed',
  ENOMSG: 'no message of desired type',
  ENOSR: 'out of streams resources',
  ENOSTR: 'device not a stream',
  ESTALE: 'stale file handle',
  ETIME: 'timer expired',
};

/** Extra fields a system error may carry. */
export interface SystemErrorDetails {
  /** The file the call was about (execve, spawn). */
  path?: string;
  /** The step of a multi-step call that failed (spawn/exec stages: 'setgroups', 'chdir', ...). */
  stage?: string;
  /** Appended to the message in parentheses, e.g. `spawn /usr/bin/id`. */
  context?: string;
}

/** A failed system call. `instanceof SystemError` works for every error procctl throws from the OS. */
export class SystemError extends Error {
  /** Symbolic code, e.g. 'EPERM'. */
  readonly code: string;
  /** Negative errno, as in Node's fs errors (-1 for EPERM). */
  readonly errno: number;
  /** The system call (or stage) that failed. */
  readonly syscall: string;
  readonly path?: string;
  readonly stage?: string;

  constructor(errnum: number, syscall: string, details: SystemErrorDetails = {}) {
    const positive = Math.abs(errnum);
    const [code, description] = describeErrno(positive);
    let message = `${code}: ${description}, ${syscall}`;
    if (details.path !== undefined && details.context === undefined) message += ` '${details.path}'`;
    if (details.context !== undefined) message += ` (${details.context})`;
    super(message);
    this.name = 'SystemError';
    this.code = code;
    this.errno = -positive;
    this.syscall = syscall;
    if (details.path !== undefined) this.path = details.path;
    if (details.stage !== undefined) this.stage = details.stage;
  }
}

/** [code, description] for a positive errno, using libuv's table (the one Node prints). */
export function describeErrno(positive: number): [string, string] {
  const known = systemErrors.get(-positive);
  if (known) return [known[0], known[1]];
  for (const [name, value] of Object.entries(errnoNames)) {
    if (value === positive) return [name, extraDescriptions[name] ?? `errno ${positive}`];
  }
  return [`E${positive}`, `unknown error ${positive}`];
}

/** The positive errno for a code name ('ENOSYS' -> 38 on Linux). */
export function errnoOf(code: string): number {
  const n = errnoNames[code];
  if (typeof n === 'number') return n;
  throw new Error(`unknown errno code ${code}`);
}

/** Factory the addon calls: (positive errno, syscall, path?, context?). */
export function makeSystemError(
  errnum: number,
  syscall: string,
  path?: string,
  context?: string,
): SystemError {
  const details: SystemErrorDetails = {};
  if (path !== undefined) details.path = path;
  if (context !== undefined) details.context = context;
  return new SystemError(errnum, syscall, details);
}

/** The error thrown by a call this platform does not have. */
export function unsupportedError(call: string, platform: string, why?: string): SystemError {
  const err = new SystemError(errnoOf('ENOSYS'), call, {
    context: why ?? `not available on ${platform}`,
  });
  return err;
}

type ArgErrorCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE' | 'ERR_UNKNOWN_SIGNAL';

/** A TypeError/RangeError with a Node error code, shaped like Node's own. */
export interface ArgumentError extends Error {
  code: ArgErrorCode | string;
}

function withCode<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  // Node prints these as "TypeError [ERR_X]: message".
  err.name = `${err.name} [${code}]`;
  const stack = err.stack;
  err.name = err.name.replace(/ \[.*\]$/, '');
  if (stack !== undefined) err.stack = stack;
  return err as E & { code: string };
}

/**
 * A short, never-throwing rendering of a caller's value for an error message:
 * the value may be a Proxy, have a throwing getter or toString, or a null prototype.
 */
function safeInspect(value: unknown): string {
  try {
    return inspect(value, { depth: 0, breakLength: Infinity, maxArrayLength: 4, maxStringLength: 64, showProxy: false, getters: false, customInspect: false });
  } catch {
    return `[${typeof value}]`;
  }
}

/** How Node describes a received value in argument errors. */
export function describeReceived(value: unknown): string {
  if (value === null) return 'Received null';
  if (value === undefined) return 'Received undefined';
  if (typeof value === 'function') {
    let fname = '';
    try {
      fname = String((value as { name?: unknown }).name ?? '');
    } catch {
      // a throwing `name` getter
    }
    return `Received function ${fname || '<anonymous>'}`;
  }
  if (typeof value === 'object') {
    let ctorName: unknown;
    try {
      ctorName = (value as { constructor?: { name?: unknown } }).constructor?.name;
    } catch {
      ctorName = undefined;
    }
    return typeof ctorName === 'string' && ctorName !== '' ? `Received an instance of ${ctorName}` : `Received ${safeInspect(value)}`;
  }
  let shown = safeInspect(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `Received type ${typeof value} (${shown})`;
}

export function invalidArgType(name: string, expected: string, value: unknown): TypeError & { code: string } {
  return withCode(
    new TypeError(`The "${name}" argument must be ${expected}. ${describeReceived(value)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError & { code: string } {
  let shown = safeInspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  return withCode(
    new TypeError(`The argument '${name}' ${reason}. Received ${shown}`),
    'ERR_INVALID_ARG_VALUE',
  );
}

export function unknownSignal(value: string): TypeError & { code: string } {
  return withCode(new TypeError(`Unknown signal: ${value}`), 'ERR_UNKNOWN_SIGNAL');
}

export function outOfRange(name: string, range: string, value: unknown): RangeError & { code: string } {
  return withCode(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${safeInspect(value)}`),
    'ERR_OUT_OF_RANGE',
  );
}
