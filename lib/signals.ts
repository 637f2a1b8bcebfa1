/**
 * Signals by name or number, as `process.kill` takes them, and names in results.
 */
import { constants } from 'node:os';
import { invalidArgType, outOfRange, unknownSignal } from './errors';

const signalTable: Record<string, number> = constants.signals as unknown as Record<string, number>;
const namesByNumber = new Map<number, string>();
for (const [name, num] of Object.entries(signalTable)) {
  // Aliases (SIGIOT = SIGABRT, SIGPOLL = SIGIO): keep the first, canonical one.
  if (!namesByNumber.has(num)) namesByNumber.set(num, name);
}
// glibc spells the canonical names these ways; prefer them over aliases.
for (const preferred of ['SIGABRT', 'SIGIO', 'SIGCHLD', 'SIGSYS']) {
  const n = signalTable[preferred];
  if (n !== undefined) namesByNumber.set(n, preferred);
}

/** A signal given by name ('SIGTERM') or number (15). */
export type SignalLike = NodeJS.Signals | number;

/** The highest classic signal number (realtime signals start above it on Linux). */
export const MAX_CLASSIC_SIGNAL = 31;

/** The signal's canonical name, or null for 0 and unknown numbers. */
export function signalName(num: number): NodeJS.Signals | null {
  return (namesByNumber.get(num) as NodeJS.Signals | undefined) ?? null;
}

/** The signal's number for a name known to this platform. */
export function signalNumber(name: string): number | undefined {
  return signalTable[name];
}

/**
 * Validates a signal argument and returns its number. Names must be known to
 * `os.constants.signals` on this platform; numbers must be 1..64 (or 0 when allowed).
 */
export function toSignalNumber(value: unknown, name: string, opts: { allowZero?: boolean } = {}): number {
  if (typeof value === 'string') {
    const n = signalTable[value];
    if (n === undefined) throw unknownSignal(value);
    return n;
  }
  if (typeof value === 'number') {
    const min = opts.allowZero ? 0 : 1;
    if (!Number.isInteger(value) || value < min || value > 64) {
      throw outOfRange(name, `an integer >= ${min} && <= 64`, value);
    }
    return value;
  }
  throw invalidArgType(name, 'of type string or number', value);
}

/** Every classic signal number 1..31 this platform names. */
export function classicSignals(): number[] {
  const out: number[] = [];
  for (let n = 1; n <= MAX_CLASSIC_SIGNAL; n++) if (namesByNumber.has(n)) out.push(n);
  return out;
}
