/**
 * Resource limits by name, as spawn's `rlimits` option and setrlimit/getrlimit
 * take them: one number (soft = hard) or `[soft, hard]`, `Infinity` for
 * unlimited. The names and their numbers come from the addon
 * (`rlimitResources`: what this platform has).
 */
import { platform } from './platform';
import { invalidArgType, invalidArgValue } from './errors';
import { validateArray, validateInteger } from './validate';

/** A resource limit: one number (soft = hard), or [soft, hard]; Infinity = unlimited. */
export type RlimitValue = number | readonly [number, number];

/** Names as prlimit(1) spells them. */
export type RlimitName =
  | 'core' | 'cpu' | 'data' | 'fsize' | 'nofile' | 'stack' | 'as' | 'nproc' | 'memlock' | 'rss'
  | 'locks' | 'sigpending' | 'msgqueue' | 'nice' | 'rtprio' | 'rttime';

/** `value` as [soft, hard], -1 standing for unlimited. Node-style errors name it `name`. */
export function toRlimit(value: unknown, name: string): [number, number] {
  const one = (v: unknown, n: string): number => {
    if (v === Infinity) return -1;
    return validateInteger(v, n, 0, Number.MAX_SAFE_INTEGER);
  };
  if (typeof value === 'number') {
    const v = one(value, name);
    return [v, v];
  }
  if (Array.isArray(value)) {
    const pair = validateArray(value, name, 2);
    if (pair.length !== 2) throw invalidArgValue(name, value, 'must be a number or a [soft, hard] pair');
    const soft = one(pair[0], `${name}[0]`);
    const hard = one(pair[1], `${name}[1]`);
    if (hard !== -1 && (soft === -1 || soft > hard)) throw invalidArgValue(name, value, 'must have soft <= hard');
    return [soft, hard];
  }
  throw invalidArgType(name, 'a number or a [soft, hard] array', value);
}

/** The RLIMIT_* number of `key` in the addon's table, or a Node-style error naming `name`. */
export function rlimitResource(resources: Readonly<Record<string, number>>, key: string, value: unknown, name: string): number {
  const resource = Object.prototype.hasOwnProperty.call(resources, key) ? resources[key] : undefined;
  if (resource === undefined) {
    throw invalidArgValue(name, value, `is not a resource limit on ${platform} (known: ${Object.keys(resources).join(', ')})`);
  }
  return resource;
}
