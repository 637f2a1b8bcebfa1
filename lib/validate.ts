/**
 * Argument validation with Node's error codes. lib/ validates; the addon trusts
 * (keeping only cheap type checks so a wrong internal call cannot crash).
 */
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

export function validateObject(value: unknown, name: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  return value as Record<string, unknown>;
}

/** `undefined` becomes `{}`; anything else must be a plain object. */
export function validateOptions(value: unknown, name = 'options'): Record<string, unknown> {
  if (value === undefined) return {};
  return validateObject(value, name);
}

export function validateArray(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'an instance of Array', value);
  return value;
}

export function validateStringArray(value: unknown, name: string): string[] {
  const arr = validateArray(value, name);
  return arr.map((v, i) => validateString(v, `${name}[${i}]`));
}

export function validateFunction(value: unknown, name: string): (...args: unknown[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value as (...args: unknown[]) => unknown;
}

/** Rejects option keys the call does not know (a typo must not be a silent no-op). */
export function rejectUnknownOptions(options: Record<string, unknown>, known: readonly string[], name = 'options'): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw invalidArgValue(`${name}.${key}`, options[key], `is not a known option (known: ${known.join(', ')})`);
    }
  }
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
    const entries = value.map((entry, i) => {
      const s = validateString(entry, `${name}[${i}]`);
      if (!s.includes('=')) throw invalidArgValue(`${name}[${i}]`, s, "must have the form 'KEY=value'");
      return s;
    });
    const keys = entries.map((s) => s.slice(0, s.indexOf('=')));
    const last = new Map(keys.map((key, i) => [key, i]));
    return last.size === entries.length ? entries : entries.filter((_, i) => last.get(keys[i]!) === i);
  }
  const obj = validateObject(value, name);
  const out: string[] = [];
  for (const [key, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    validateString(key, `${name} key`);
    if (key === '' || key.includes('=')) throw invalidArgValue(`${name} key`, key, "must be non-empty and contain no '='");
    const s = validateString(typeof v === 'string' ? v : String(v), `${name}.${key}`);
    out.push(`${key}=${s}`);
  }
  return out;
}
