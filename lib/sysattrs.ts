/**
 * The spawn options beyond credentials, session and fds: what Go's SysProcAttr
 * adds (capabilities, a cgroup, namespaces with uid/gid maps and a hostname,
 * chroot) and what systemd.exec sets (nice, scheduling policy, CPU affinity, I/O
 * priority, oom_score_adj). Validated here, before anything is opened or
 * started; applied in the child between clone and exec (native/spawn_child.cc).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CapabilityOptions, resolveCapabilities } from './capabilities';
import { assertCgroup2Directory, cgroupError, makeCgroup, removeCgroup } from './cgroup';
import { SystemError, errnoOf, invalidArgType, invalidArgValue, unsupportedError } from './errors';
import { platform, supported } from './platform';
import { INT32_MAX, snapshotArray, snapshotOptions, validateBoolean, validateInteger, validateString } from './validate';

/** A namespace a child can be started in (clone flags CLONE_NEW*). */
export type NamespaceName = 'pid' | 'mount' | 'net' | 'uts' | 'ipc' | 'user' | 'cgroup';

/** One line of a user namespace's uid_map / gid_map: `count` ids from `inside` map to ids from `outside`. */
export interface IdMapping {
  inside: number;
  outside: number;
  count: number;
}

/**
 * Where the child runs: a cgroup v2 directory (path) or an open fd of one, to
 * join; `'new'` for a fresh cgroup under this process's own; `{ parent }` for a
 * fresh one under that directory.
 */
export type CgroupOption = string | number | 'new' | { parent: string };

export type SchedulingPolicy = 'other' | 'batch' | 'idle' | 'fifo' | 'rr';

export interface SysAttrOptions {
  /** Capabilities kept after the drop (ambient) and the bounding set (Linux). */
  capabilities?: CapabilityOptions;
  /**
   * cgroup v2 to start in, from the child's first instruction (clone3's
   * CLONE_INTO_CGROUP; the child joins it itself before anything else where
   * clone3 is missing). A fresh one (`'new'`, `{ parent }`) is exposed as
   * `subprocess.cgroup` and removed once the child is reaped and it is empty.
   */
  cgroup?: CgroupOption;
  /** New namespaces for the child (Go's Cloneflags). With 'pid' the child is PID 1 there and must reap. */
  namespaces?: readonly NamespaceName[];
  /** With namespaces ['user']: the uid_map the parent writes before the child goes on. */
  uidMap?: readonly IdMapping[];
  /** With namespaces ['user']: the gid_map. */
  gidMap?: readonly IdMapping[];
  /**
   * With a new user namespace and a `gidMap`: let the child call setgroups()
   * there. Default false: 'deny' is written to /proc/<pid>/setgroups before the
   * gid_map (which an unprivileged parent must do anyway), as Go's
   * GidMappingsEnableSetgroups default. Without a gidMap nothing is written.
   */
  userNamespaceSetgroups?: boolean;
  /** With namespaces ['uts']: the child's hostname. */
  hostname?: string;
  /** Root directory for the child, entered before `cwd` (and before the credential drop). */
  chroot?: string;
  /** Nice value -20..19 (lower needs privilege, so it is set before the drop). */
  nice?: number;
  /** Scheduling policy: realtime ('fifo', 'rr') with a priority 1..99, or 'other', 'batch', 'idle'. */
  scheduling?: { policy: SchedulingPolicy; priority?: number; resetOnFork?: boolean };
  /** CPUs the child may run on. */
  cpuAffinity?: readonly number[];
  /** I/O scheduling class and level (ionice). */
  ioPriority?: { class: 'realtime' | 'best-effort' | 'idle'; level?: number };
  /** oom_score_adj -1000..1000 (lower needs privilege, so it is set before the drop). */
  oomScoreAdj?: number;
}

export const SYSATTR_OPTIONS = [
  'capabilities', 'cgroup', 'namespaces', 'uidMap', 'gidMap', 'userNamespaceSetgroups', 'hostname', 'chroot',
  'nice', 'scheduling', 'cpuAffinity', 'ioPriority', 'oomScoreAdj',
] as const;

/** The native request fields these options become. */
export interface SysAttrRequest {
  ambientCaps: number[] | null;
  boundingKeep: number[] | null;
  namespaces: number;
  hostname: string | null;
  uidMap: string | null;
  gidMap: string | null;
  setgroupsDeny: boolean;
  chroot: string | null;
  cgroupFd: number;
  nice: number | null;
  schedPolicy: number | null;
  schedPriority: number;
  cpuAffinity: number[] | null;
  ioprio: number | null;
  oomScoreAdj: number | null;
}

/** What spawn must do once the child is started (or failed to be). */
export interface SysAttrs {
  req: SysAttrRequest;
  /** The cgroup fd to close after the clone (-1: none). */
  cgroupFd: number;
  /** The cgroup path, for subprocess.cgroup (null: none asked for, or an fd given). */
  cgroupPath: string | null;
  /** The cgroup was made for this child: removed once it is reaped and empty. */
  cgroupCreated: boolean;
  /** With a new user namespace: setgroups is denied there. */
  userNamespace: boolean;
  setgroupsDenied: boolean;
}

const SCHED_POLICIES: Record<SchedulingPolicy, number> = { other: 0, fifo: 1, rr: 2, batch: 3, idle: 5 };
const SCHED_RESET_ON_FORK = 0x40000000;
const IOPRIO_CLASSES = { realtime: 1, 'best-effort': 2, idle: 3 } as const;
const IOPRIO_CLASS_SHIFT = 13;
const MAX_ID = 0xfffffffe;

function requireLinux(feature: keyof typeof supported, option: string): void {
  if (!supported[feature]) throw unsupportedError('spawn', platform, `options.${option} needs Linux`);
}

function idMap(value: unknown, name: string): string {
  const entries = snapshotArray(value, name, 340);  // the kernel takes 340 lines at most
  if (entries.length === 0) throw invalidArgValue(name, value, 'must have at least one mapping');
  return entries
    .map((e, i) => {
      const m = snapshotOptions(e, ['inside', 'outside', 'count'], `${name}[${i}]`);
      const inside = validateInteger(m.inside, `${name}[${i}].inside`, 0, MAX_ID);
      const outside = validateInteger(m.outside, `${name}[${i}].outside`, 0, MAX_ID);
      const count = validateInteger(m.count, `${name}[${i}].count`, 1, MAX_ID);
      return `${inside} ${outside} ${count}\n`;
    })
    .join('');
}

function openCgroupDir(dir: string): number {
  assertCgroup2Directory(dir);
  try {
    return fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);  // O_CLOEXEC (libuv)
  } catch (err) {
    throw cgroupError(err, dir, 'cannot open cgroup');
  }
}

/**
 * Validates everything and resolves it to request fields. The only side
 * effects, last and only when every check passed: a fresh cgroup is made
 * (cgroup 'new' / { parent }) and the cgroup directory opened. Undo them with
 * releaseSysAttrs() when the spawn does not go ahead.
 */
export function resolveSysAttrs(opts: Record<string, unknown>, namespaceFlags: Record<string, number>): SysAttrs {
  const req: SysAttrRequest = {
    ambientCaps: null, boundingKeep: null, namespaces: 0, hostname: null, uidMap: null, gidMap: null,
    setgroupsDeny: false, chroot: null, cgroupFd: -1, nice: null, schedPolicy: null, schedPriority: 0,
    cpuAffinity: null, ioprio: null, oomScoreAdj: null,
  };
  const out: SysAttrs = { req, cgroupFd: -1, cgroupPath: null, cgroupCreated: false, userNamespace: false, setgroupsDenied: false };

  if (opts.capabilities !== undefined) {
    requireLinux('capabilities', 'capabilities');
    const caps = resolveCapabilities(opts.capabilities);
    req.ambientCaps = caps.ambient;
    req.boundingKeep = caps.boundingKeep;
  }

  const names = new Set<string>();
  if (opts.namespaces !== undefined) {
    requireLinux('namespaces', 'namespaces');
    for (const [i, n] of snapshotArray(opts.namespaces, 'options.namespaces', 16).entries()) {
      const name = validateString(n, `options.namespaces[${i}]`);
      const flag = Object.prototype.hasOwnProperty.call(namespaceFlags, name) ? namespaceFlags[name] : undefined;
      if (flag === undefined) throw invalidArgValue(`options.namespaces[${i}]`, n, `is not a namespace (${Object.keys(namespaceFlags).join(', ')})`);
      names.add(name);
      req.namespaces |= flag;
    }
  }
  out.userNamespace = names.has('user');
  for (const key of ['uidMap', 'gidMap', 'userNamespaceSetgroups'] as const) {
    if (opts[key] !== undefined && !out.userNamespace) throw invalidArgValue(`options.${key}`, opts[key], "needs options.namespaces to include 'user'");
  }
  if (opts.uidMap !== undefined) req.uidMap = idMap(opts.uidMap, 'options.uidMap');
  if (opts.gidMap !== undefined) req.gidMap = idMap(opts.gidMap, 'options.gidMap');
  const allowSetgroups = opts.userNamespaceSetgroups === undefined ? false : validateBoolean(opts.userNamespaceSetgroups, 'options.userNamespaceSetgroups');
  // As Go: 'deny' goes before a gid_map (an unprivileged writer must write it
  // first); without a gid_map nothing is written and setgroups stays allowed.
  req.setgroupsDeny = out.userNamespace && req.gidMap !== null && !allowSetgroups;
  out.setgroupsDenied = req.setgroupsDeny;
  if (opts.hostname !== undefined) {
    const h = validateString(opts.hostname, 'options.hostname');
    if (!names.has('uts')) throw invalidArgValue('options.hostname', h, "needs options.namespaces to include 'uts' (it would rename the host)");
    if (h === '' || Buffer.byteLength(h) > 64) throw invalidArgValue('options.hostname', h, 'must be 1..64 bytes');
    req.hostname = h;
  }
  if (opts.chroot !== undefined) req.chroot = validateString(opts.chroot, 'options.chroot');

  if (opts.nice !== undefined) req.nice = validateInteger(opts.nice, 'options.nice', -20, 19);
  if (opts.scheduling !== undefined) {
    requireLinux('scheduling', 'scheduling');
    const s = snapshotOptions(opts.scheduling, ['policy', 'priority', 'resetOnFork'], 'options.scheduling');
    const policyName = validateString(s.policy, 'options.scheduling.policy');
    if (!Object.prototype.hasOwnProperty.call(SCHED_POLICIES, policyName)) {
      throw invalidArgValue('options.scheduling.policy', policyName, `must be one of ${Object.keys(SCHED_POLICIES).join(', ')}`);
    }
    const realtime = policyName === 'fifo' || policyName === 'rr';
    const priority = s.priority === undefined ? (realtime ? undefined : 0) : validateInteger(s.priority, 'options.scheduling.priority', realtime ? 1 : 0, realtime ? 99 : 0);
    if (priority === undefined) throw invalidArgValue('options.scheduling.priority', undefined, `is required for '${policyName}' (1..99)`);
    const reset = s.resetOnFork === undefined ? false : validateBoolean(s.resetOnFork, 'options.scheduling.resetOnFork');
    req.schedPolicy = SCHED_POLICIES[policyName as SchedulingPolicy] | (reset ? SCHED_RESET_ON_FORK : 0);
    req.schedPriority = priority;
  }
  if (opts.cpuAffinity !== undefined) {
    requireLinux('scheduling', 'cpuAffinity');
    const cpus = snapshotArray(opts.cpuAffinity, 'options.cpuAffinity', 65536).map((c, i) => validateInteger(c, `options.cpuAffinity[${i}]`, 0, 65535));
    if (cpus.length === 0) throw invalidArgValue('options.cpuAffinity', [], 'must name at least one CPU');
    req.cpuAffinity = [...new Set(cpus)];
  }
  if (opts.ioPriority !== undefined) {
    requireLinux('scheduling', 'ioPriority');
    const io = snapshotOptions(opts.ioPriority, ['class', 'level'], 'options.ioPriority');
    const cls = validateString(io.class, 'options.ioPriority.class');
    if (!Object.prototype.hasOwnProperty.call(IOPRIO_CLASSES, cls)) throw invalidArgValue('options.ioPriority.class', cls, "must be 'realtime', 'best-effort' or 'idle'");
    const level = cls === 'idle'
      ? (io.level === undefined ? 0 : validateInteger(io.level, 'options.ioPriority.level', 0, 0))
      : (io.level === undefined ? 4 : validateInteger(io.level, 'options.ioPriority.level', 0, 7));
    req.ioprio = (IOPRIO_CLASSES[cls as keyof typeof IOPRIO_CLASSES] << IOPRIO_CLASS_SHIFT) | level;
  }
  if (opts.oomScoreAdj !== undefined) {
    requireLinux('scheduling', 'oomScoreAdj');
    req.oomScoreAdj = validateInteger(opts.oomScoreAdj, 'options.oomScoreAdj', -1000, 1000);
  }

  // The cgroup last: the only step with a side effect (a new directory).
  if (opts.cgroup !== undefined) {
    requireLinux('cgroups', 'cgroup');
    const c = opts.cgroup;
    if (typeof c === 'number') {
      out.cgroupFd = validateInteger(c, 'options.cgroup', 0, INT32_MAX);
      req.cgroupFd = out.cgroupFd;
      return out;  // the caller's fd: checked open with the stdio sources, not closed by us
    }
    let made: { dir: string; fd: number };
    if (c === 'new') {
      made = makeCgroup();
      out.cgroupCreated = true;
    } else if (typeof c === 'string') {
      const dir = path.resolve(validateString(c, 'options.cgroup'));
      made = { dir, fd: openCgroupDir(dir) };
    } else if (c !== null && typeof c === 'object') {
      const parent = validateString(snapshotOptions(c, ['parent'], 'options.cgroup').parent, 'options.cgroup.parent');
      made = makeCgroup(path.resolve(parent));
      out.cgroupCreated = true;
    } else {
      throw invalidArgType('options.cgroup', "a cgroup directory, an fd, 'new' or { parent }", c);
    }
    out.cgroupFd = req.cgroupFd = made.fd;
    out.cgroupPath = made.dir;
  }
  return out;
}

/** Closes what resolveSysAttrs opened (the cgroup fd it opened itself). */
export function closeSysAttrs(attrs: SysAttrs, opts: Record<string, unknown>): void {
  if (attrs.cgroupFd >= 0 && typeof opts.cgroup !== 'number') {
    try {
      fs.closeSync(attrs.cgroupFd);
    } catch {
      // already closed
    }
  }
}

/** Undoes resolveSysAttrs when no child was started: the fd closed, a made cgroup removed. */
export function releaseSysAttrs(attrs: SysAttrs, opts: Record<string, unknown>): void {
  closeSysAttrs(attrs, opts);
  if (attrs.cgroupCreated && attrs.cgroupPath !== null) removeCgroup(attrs.cgroupPath);
}
