/**
 * Linux prctl(2) calls: parent-death signal, child subreaper, no-new-privs,
 * process name. Elsewhere each throws ENOSYS naming the platform.
 */
import { invalidArgValue } from './errors';
import { requireNative } from './platform';
import { signalName, toSignalNumber, type SignalLike } from './signals';
import { snapshotOptions, validateBoolean, validateString } from './validate';

interface PrctlNative {
  setParentDeathSignal(sig: number): void;
  getParentDeathSignal(): number;
  setChildSubreaper(on: boolean): void;
  isChildSubreaper(): boolean;
  setNoNewPrivs(): void;
  getNoNewPrivs(): boolean;
  setProcessName(name: string): void;
  getProcessName(): string;
}

/**
 * Asks the kernel to send `signal` to this process when its parent dies
 * (PR_SET_PDEATHSIG); 0 disarms it. Note the kernel's rules: "parent" is the
 * *thread* that created this process, and set*id calls or exec of a setuid
 * binary clear the setting. If the parent is already gone when this is called,
 * nothing is sent: compare `process.ppid` with the pid you expected.
 */
export function setParentDeathSignal(signal: SignalLike | 0): void {
  const sig = toSignalNumber(signal, 'signal', { allowZero: true });
  requireNative<PrctlNative>('parentDeathSignal', 'prctl').setParentDeathSignal(sig);
}

/** The armed parent-death signal's name, or null when none is set. */
export function getParentDeathSignal(): NodeJS.Signals | null {
  const n = requireNative<PrctlNative>('parentDeathSignal', 'prctl').getParentDeathSignal();
  return n === 0 ? null : signalName(n);
}

/**
 * Makes this process a child subreaper (PR_SET_CHILD_SUBREAPER): orphaned
 * descendants are re-parented to it instead of to PID 1, so it must reap them
 * (see `reapZombies` and the Reaper).
 */
export function setChildSubreaper(on: boolean): void {
  validateBoolean(on, 'on');
  requireNative<PrctlNative>('childSubreaper', 'prctl').setChildSubreaper(on);
}

export function isChildSubreaper(): boolean {
  return requireNative<PrctlNative>('childSubreaper', 'prctl').isChildSubreaper();
}

/**
 * Sets PR_SET_NO_NEW_PRIVS: execve can no longer grant privileges (setuid bits,
 * file capabilities). Irreversible, and inherited by every child.
 */
export function setNoNewPrivs(): void {
  requireNative<PrctlNative>('noNewPrivs', 'prctl').setNoNewPrivs();
}

export function getNoNewPrivs(): boolean {
  return requireNative<PrctlNative>('noNewPrivs', 'prctl').getNoNewPrivs();
}

/** The kernel keeps at most this many bytes of a process name (16 with the NUL). */
export const PROCESS_NAME_MAX_BYTES = 15;

/**
 * Sets the name `ps`, `top` and `/proc/<pid>/comm` show (PR_SET_NAME on the main
 * thread). The kernel keeps 15 bytes: a longer name is refused with
 * ERR_INVALID_ARG_VALUE rather than silently cut, unless `{ truncate: true }`,
 * which cuts it at a UTF-8 character boundary.
 */
export function setProcessName(name: string, options: { truncate?: boolean } = {}): string {
  validateString(name, 'name');
  const opts = snapshotOptions(options, ['truncate']);
  const truncate = opts.truncate === undefined ? false : validateBoolean(opts.truncate, 'options.truncate');
  let bytes = Buffer.from(name, 'utf8');
  if (bytes.length > PROCESS_NAME_MAX_BYTES) {
    if (!truncate) {
      throw invalidArgValue('name', name, `is ${bytes.length} bytes long; the kernel keeps at most ${PROCESS_NAME_MAX_BYTES} (pass { truncate: true } to cut it)`);
    }
    let end = PROCESS_NAME_MAX_BYTES;
    // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    bytes = bytes.subarray(0, end);
  }
  const set = bytes.toString('utf8');
  requireNative<PrctlNative>('processName', 'prctl').setProcessName(set);
  return set;
}

export function getProcessName(): string {
  return requireNative<PrctlNative>('processName', 'prctl').getProcessName();
}
