/**
 * The running process itself: its resource limits, its nice value and its CPU
 * affinity. Limits are per process; nice and affinity are per thread on Linux,
 * and a Node process has several threads (the main thread, libuv's pool, V8's
 * platform workers), so these set every thread, as one would expect of "the
 * process". Children started afterwards, by any API, inherit what is set here.
 */
import { requireNative } from './platform';
import { invalidArgValue } from './errors';
import { type RlimitName, type RlimitValue, rlimitResource, toRlimit } from './rlimits';
import { validateArray, validateInteger, validatePid, validateString } from './validate';

export type { RlimitName, RlimitValue } from './rlimits';

interface ResourcesNative {
  rlimitResources: Record<string, number>;
  getrlimit(resource: number): [number, number];
  setrlimit(resource: number, soft: number, hard: number, name: string): void;
  getNice(pid: number): number;
  setNice(pid: number, nice: number): void;
  getCpuAffinity(pid: number): number[];
  setCpuAffinity(pid: number, cpus: number[]): void;
}

/** The highest CPU number accepted (far above any machine's). */
const MAX_CPU = 65535;

function resourceOf(native: ResourcesNative, name: unknown): number {
  validateString(name, 'name');
  return rlimitResource(native.rlimitResources, name as string, name, 'name');
}

/**
 * Sets a resource limit of this process, with the names and value forms of
 * spawn's `rlimits` option: `setrlimit('nofile', 4096)` (soft = hard) or
 * `setrlimit('nofile', [1024, 4096])`, `Infinity` for unlimited. Every child
 * started afterwards, by procctl or child_process, inherits it. Raising a hard
 * limit needs privilege (EPERM); so does a `nofile` above `fs.nr_open`.
 */
export function setrlimit(name: RlimitName, value: RlimitValue): void {
  const native = requireNative<ResourcesNative>('rlimit', 'setrlimit');
  const resource = resourceOf(native, name);
  const [soft, hard] = toRlimit(value, 'value');
  native.setrlimit(resource, soft, hard, name);
}

/** `[soft, hard]` of a resource limit of this process, `Infinity` for unlimited. */
export function getrlimit(name: RlimitName): [number, number] {
  const native = requireNative<ResourcesNative>('rlimit', 'getrlimit');
  return native.getrlimit(resourceOf(native, name));
}

/**
 * Sets the nice value (-20..19) of a process (`pid` 0 or omitted: this one),
 * of every one of its threads. The arguments are those of `os.setPriority`:
 * `setPriority(10)` or `setPriority(pid, 10)`.
 *
 * How it differs from `os.setPriority`: on Linux that sets one thread (the
 * caller's, or the thread whose id is `pid`), so Node's other threads (libuv's
 * pool doing fs and crypto work, V8's workers) keep their old priority. Here
 * every thread of the process is set. Lowering the value (a higher priority)
 * needs CAP_SYS_NICE or RLIMIT_NICE: EACCES, and no thread is left changed.
 */
export function setPriority(pidOrPriority: number, priority?: number): void {
  const [pid, nice] = priority === undefined ? [0, pidOrPriority] : [pidOrPriority, priority];
  validatePid(pid);
  validateInteger(nice, 'priority', -20, 19);
  requireNative<ResourcesNative>('priority', 'setpriority').setNice(pid, nice);
}

/** The nice value of a process (`pid` 0: this one), as its main thread has it. */
export function getPriority(pid: number = 0): number {
  validatePid(pid);
  return requireNative<ResourcesNative>('priority', 'getpriority').getNice(pid);
}

/**
 * Restricts a process (`pid` 0: this one), every thread of it, to `cpus` (CPU
 * numbers as in /proc/cpuinfo). A CPU the process may not use (one that does
 * not exist, is offline, or is outside its cpuset) is a SystemError EINVAL,
 * and no thread changes: the kernel itself would silently drop it when others
 * are usable. Another user's process needs CAP_SYS_NICE (EPERM). Linux only.
 */
export function setCpuAffinity(cpus: readonly number[], pid: number = 0): void {
  const list = validateArray(cpus, 'cpus', MAX_CPU + 1).map((cpu, i) => validateInteger(cpu, `cpus[${i}]`, 0, MAX_CPU));
  if (list.length === 0) throw invalidArgValue('cpus', cpus, 'must name at least one CPU');
  validatePid(pid);
  requireNative<ResourcesNative>('cpuAffinity', 'sched_setaffinity').setCpuAffinity(pid, list);
}

/** The CPUs a process (`pid` 0: this one; its main thread) may run on, ascending. Linux only. */
export function getCpuAffinity(pid: number = 0): number[] {
  validatePid(pid);
  return requireNative<ResourcesNative>('cpuAffinity', 'sched_getaffinity').getCpuAffinity(pid);
}
