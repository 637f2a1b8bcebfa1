/**
 * Linux capabilities by name, and the `capabilities` option shared by spawn and
 * exec: which capabilities a program keeps after a drop (the ambient set) and
 * which its bounding set still allows.
 */
import { invalidArgType, invalidArgValue } from './errors';
import { MAX_GROUPS, snapshotArray, snapshotOptions, validateString } from './validate';

/** The kernel's capability numbers (linux/capability.h), by lower-case name without CAP_. */
const CAPABILITY_NUMBERS: Readonly<Record<string, number>> = Object.freeze({
  chown: 0, dac_override: 1, dac_read_search: 2, fowner: 3, fsetid: 4, kill: 5, setgid: 6, setuid: 7,
  setpcap: 8, linux_immutable: 9, net_bind_service: 10, net_broadcast: 11, net_admin: 12, net_raw: 13,
  ipc_lock: 14, ipc_owner: 15, sys_module: 16, sys_rawio: 17, sys_chroot: 18, sys_ptrace: 19,
  sys_pacct: 20, sys_admin: 21, sys_boot: 22, sys_nice: 23, sys_resource: 24, sys_time: 25,
  sys_tty_config: 26, mknod: 27, lease: 28, audit_write: 29, audit_control: 30, setfcap: 31,
  mac_override: 32, mac_admin: 33, syslog: 34, wake_alarm: 35, block_suspend: 36, audit_read: 37,
  perfmon: 38, bpf: 39, checkpoint_restore: 40,
});

/** A capability by its kernel name, with or without `CAP_`, any case: 'CAP_NET_BIND_SERVICE', 'net_bind_service'. */
export type CapabilityName = string;

/** What spawn/exec do with capabilities. */
export interface CapabilityOptions {
  /**
   * Capabilities the new program keeps: raised into its inheritable, permitted,
   * effective and ambient sets after the uid change (kept across it), so a
   * `nobody` worker can bind port 80 with `['CAP_NET_BIND_SERVICE']`. Each must
   * be in the caller's permitted set: otherwise the call fails (stage
   * 'capabilities', EPERM), never runs without it. Default: none.
   */
  ambient?: readonly CapabilityName[];
  /**
   * The bounding set: `'keep'` (default) leaves it, `'drop-all'` empties it, a
   * list keeps exactly those (needs CAP_SETPCAP). Capabilities outside it can
   * never be gained again, by this program or anything it runs.
   */
  bounding?: readonly CapabilityName[] | 'keep' | 'drop-all';
}

/** The number of a capability name; ERR_INVALID_ARG_VALUE for a name the kernel does not have. */
export function capabilityNumber(value: unknown, name: string): number {
  const s = validateString(value, name);
  const key = s.toLowerCase().replace(/^cap_/, '');
  const n = Object.prototype.hasOwnProperty.call(CAPABILITY_NUMBERS, key) ? CAPABILITY_NUMBERS[key] : undefined;
  if (n === undefined) throw invalidArgValue(name, value, "is not a Linux capability (e.g. 'CAP_NET_BIND_SERVICE')");
  return n;
}

/** The name of a capability number ('cap_net_bind_service'), or null. */
export function capabilityName(n: number): string | null {
  for (const [name, num] of Object.entries(CAPABILITY_NUMBERS)) if (num === n) return `cap_${name}`;
  return null;
}

/** Every capability number procctl knows (0..40). */
export function allCapabilities(): number[] {
  return Object.values(CAPABILITY_NUMBERS);
}

function capabilityList(value: unknown, name: string): number[] {
  return [...new Set(snapshotArray(value, name, MAX_GROUPS).map((c, i) => capabilityNumber(c, `${name}[${i}]`)))];
}

/** The validated option: null fields leave the set alone. */
export interface ResolvedCapabilities {
  ambient: number[] | null;
  /** Capabilities the bounding set keeps (everything else dropped), or null to leave it. */
  boundingKeep: number[] | null;
}

export function resolveCapabilities(value: unknown, name = 'options.capabilities'): ResolvedCapabilities {
  const opts = snapshotOptions(value, ['ambient', 'bounding'], name);
  const ambient = opts.ambient === undefined ? null : capabilityList(opts.ambient, `${name}.ambient`);
  let boundingKeep: number[] | null = null;
  const b = opts.bounding;
  if (b === 'drop-all') boundingKeep = [];
  else if (Array.isArray(b)) boundingKeep = capabilityList(b, `${name}.bounding`);
  else if (b !== undefined && b !== 'keep') throw invalidArgType(`${name}.bounding`, "an array of capability names, 'keep' or 'drop-all'", b);
  if (ambient !== null && boundingKeep !== null) {
    const missing = ambient.filter((c) => !boundingKeep!.includes(c));
    if (missing.length > 0) {
      throw invalidArgValue(`${name}.ambient`, missing.map((c) => capabilityName(c)), 'names capabilities the bounding set drops');
    }
  }
  return { ambient, boundingKeep };
}
