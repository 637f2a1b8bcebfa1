/**
 * Argument validation with Node's error codes. lib/ validates; the addon trusts
 * (keeping only cheap type checks so a wrong internal call cannot crash).
 */
import { types } from 'node:util';
import { invalidArgType, invalidArgValue, outOfRange } from './errors';

export const INT32_MAX = 0x7fffffff;
export const INT32_MIN = -0x80000000;

export function validateInteger(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

/** A pid argument: 0 means "the calling process" where the call allows it. */
export function validatePid(value: unknown, name = 'pid', min = 0): number {
  return validateInteger(value, name, min, INT32_MAX);
}

/** An open-file-descriptor number (0 .. INT32_MAX). */
export function validateFd(value: unknown, name = 'fd'): number {
  return validateInteger(value, name, 0, INT32_MAX);
}

export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** A string that will become a C string: no NUL bytes. */
export function validateString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value.includes('\u0000')) throw invalidArgValue(name, value, 'must be a string without null bytes');
  return value;
}

/**
 * Runs `look` on a caller's value. A revoked Proxy throws a TypeError on every
 * touch but `typeof`; that becomes ERR_INVALID_ARG_TYPE naming the argument.
 * Anything else `look` throws (a getter's or trap's own error) goes through.
 */
export function inspectArg<T>(value: unknown, name: string, look: () => T): T {
  try {
    return look();
  } catch (err) {
    if (err instanceof TypeError && types.isProxy(value) && /revoked/.test(err.message)) {
      throw invalidArgType(name, 'a usable value (not a revoked Proxy)', value);
    }
    throw err;
  }
}

export function validateObject(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' ||
      (types.isProxy(value) ? inspectArg(value, name, () => Array.isArray(value)) : Array.isArray(value))) {
    throw invalidArgType(name, 'of type object', value);
  }
  return value as Record<string, unknown>;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Most entries an argv or environment array may have (far above what execve's ARG_MAX lets through). */
export const MAX_ARGV_ENTRIES = 1 << 20;
/** Most fds a child may be given (stdio entries, inheritFds). */
export const MAX_FD_ENTRIES = 65536;
/** The kernel's NGROUPS_MAX. */
export const MAX_GROUPS = 65536;

/**
 * Reads an options object once: every own property it has (data, or a getter
 * called exactly once) is copied into a fresh null-prototype object, and the
 * caller validates that copy and never the original. Inherited properties (a
 * polluted `Object.prototype.user`) are never read; an own enumerable key the
 * call does not know is refused (a typo must not be a silent no-op).
 * `undefined` gives an empty snapshot (or `make()`'s record, all undefined).
 */
export function snapshotOptions(
  value: unknown, known: readonly string[], name = 'options', make?: () => Record<string, unknown>,
): Record<string, unknown> {
  // `make`: a caller's own record with every known option as an own field
  // (undefined) and no prototype, so its reads stay fast; else a null-prototype object.
  const out = make !== undefined ? make() : (Object.create(null) as Record<string, unknown>);
  if (value === undefined) return out;
  const obj = validateObject(value, name);
  // Only a Proxy can be revoked (and trap): plain objects skip the guard.
  if (!types.isProxy(value)) return copyOptions(obj, known, name, out, false);
  return inspectArg(value, name, () => copyOptions(obj, known, name, out, true));
}

/** Each list of known option names as a Set, made once per list. */
const knownSets = new WeakMap<readonly string[], Set<string>>();

function knownSet(known: readonly string[]): Set<string> {
  let set = knownSets.get(known);
  if (set === undefined) knownSets.set(known, (set = new Set(known)));
  return set;
}

function copyOptions(
  obj: Record<string, unknown>, known: readonly string[], name: string, out: Record<string, unknown>, proxy: boolean,
): Record<string, unknown> {
  const knownNames = knownSet(known);
  // The own string keys, as Reflect.ownKeys gives them without the symbols
  // (one ownKeys trap on a Proxy either way), at a third of its cost.
  const keys = Object.getOwnPropertyNames(obj);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (knownNames.has(key) && !proxy) {
      // An own property of an ordinary object: reading it gives its value, or
      // calls its getter once, exactly as its descriptor would.
      out[key] = obj[key];
      continue;
    }
    const desc = Reflect.getOwnPropertyDescriptor(obj, key);
    if (desc === undefined) continue;
    if (!knownNames.has(key)) {
      if (!desc.enumerable) continue;
      throw invalidArgValue(`${name}.${key}`, 'value' in desc ? desc.value : '[getter]', `is not a known option (known: ${known.join(', ')})`);
    }
    out[key] = 'value' in desc ? desc.value : desc.get === undefined ? undefined : desc.get.call(obj);
  }
  return out;
}

/**
 * Copies an array once, own elements only: `length` is read once and bounded,
 * each index is read once, and a hole is an error (reading it would reach
 * `Array.prototype` / `Object.prototype`).
 */
export function snapshotArray(value: unknown, name: string, max: number): unknown[] {
  if (!types.isProxy(value)) return copyArray(value, name, max);
  return inspectArg(value, name, () => copyArray(value, name, max));
}

function copyArray(value: unknown, name: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  const length: number = value.length;
  if (length > max) throw outOfRange(`${name}.length`, `<= ${max}`, length);
  const out = new Array<unknown>(length);
  for (let i = 0; i < length; i++) {
    if (!hasOwn.call(value, i)) throw invalidArgValue(`${name}[${i}]`, undefined, 'is missing (sparse arrays are not accepted)');
    out[i] = value[i];
  }
  return out;
}

/** The own enumerable string-keyed entries of an object, each value read once. */
export function snapshotRecord(value: unknown, name: string): Array<[string, unknown]> {
  const obj = validateObject(value, name);
  return inspectArg(value, name, () => Object.keys(obj).map((key): [string, unknown] => [key, obj[key]]));
}

export function validateArray(value: unknown, name: string, max = MAX_ARGV_ENTRIES): unknown[] {
  return snapshotArray(value, name, max);
}

export function validateStringArray(value: unknown, name: string, max = MAX_ARGV_ENTRIES): string[] {
  const arr = snapshotArray(value, name, max);
  for (let i = 0; i < arr.length; i++) validateString(arr[i], `${name}[${i}]`);
  return arr as string[];
}

export function validateFunction(value: unknown, name: string): (...args: unknown[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value as (...args: unknown[]) => unknown;
}

/**
 * An environment as an object or a `KEY=value` array, returned as `KEY=value` strings.
 * Undefined values in an object are skipped, as child_process does. Of an array's
 * duplicate keys only the last entry is kept (Go's os/exec does the same): programs
 * disagree on which of two they read (glibc's getenv takes the first, sh the
 * last), so the new program and the PATH search would not see the same value.
 */
export function normalizeEnv(value: unknown, name = 'options.env'): string[] {
  if (Array.isArray(value)) {
    const entries = validateStringArray(value, name);
    entries.forEach((s, i) => {
      if (!s.includes('=') || s.startsWith('=')) throw invalidArgValue(`${name}[${i}]`, s, "must have the form 'KEY=value'");
    });
    const keys = entries.map((s) => s.slice(0, s.indexOf('=')));
    const last = new Map(keys.map((key, i) => [key, i]));
    return last.size === entries.length ? entries : entries.filter((_, i) => last.get(keys[i]!) === i);
  }
  const out: string[] = [];
  for (const [key, v] of snapshotRecord(value, name)) {
    if (v === undefined) continue;
    validateString(key, `${name} key`);
    if (key === '' || key.includes('=')) throw invalidArgValue(`${name} key`, key, "must be non-empty and contain no '='");
    // Numbers and booleans are spelled as child_process spells them; an object
    // has no faithful string form (and its toString may throw), so it is refused.
    const t = typeof v;
    if (t !== 'string' && t !== 'number' && t !== 'boolean' && t !== 'bigint') {
      throw invalidArgType(`${name}.${key}`, 'of type string', v);
    }
    const s = validateString(String(v), `${name}.${key}`);
    out.push(`${key}=${s}`);
  }
  return out;
}
