/**
 * Which platform procctl is running on, the native addon (if it loaded), and the
 * `supported` table.
 *
 * The platform is injectable for tests: `PROCCTL_PLATFORM=win32` (or `darwin`)
 * makes procctl behave as it would there (read once, at load), and
 * `PROCCTL_NO_ADDON=1` behaves as if the addon were missing. `PROCCTL_ADDON=path`
 * loads a specific build (the cmake-js or a sanitizer build) instead of the
 * node-gyp-build lookup.
 */
import * as path from 'node:path';
import { makeSystemError, unsupportedError } from './errors';

/** The platform procctl behaves as (process.platform unless injected). */
export const platform: NodeJS.Platform = (process.env.PROCCTL_PLATFORM as NodeJS.Platform | undefined) || process.platform;

/** True when the platform was injected for testing. */
export const platformInjected = platform !== process.platform;

/** Why the addon is not in use, or null when it is. */
export let addonUnavailableReason: string | null = null;

type NativeModule = Record<string, unknown> & { setErrorFactory(fn: typeof makeSystemError): void };

function loadAddon(): NativeModule | null {
  if (process.env.PROCCTL_NO_ADDON === '1') {
    addonUnavailableReason = 'disabled by PROCCTL_NO_ADDON=1';
    return null;
  }
  if (platform === 'win32') {
    addonUnavailableReason = 'no native addon on win32';
    return null;
  }
  try {
    let mod: NativeModule;
    const override = process.env.PROCCTL_ADDON;
    if (override) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(path.resolve(override)) as NativeModule;
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const load = require('node-gyp-build') as (dir: string) => NativeModule;
      mod = load(path.join(__dirname, '..'));
    }
    mod.setErrorFactory(makeSystemError);
    return mod;
  } catch (err) {
    addonUnavailableReason = `native addon failed to load: ${(err as Error).message}`;
    return null;
  }
}

const addon = loadAddon();

const isLinux = platform === 'linux' && addon !== null;
const isPosix = (platform === 'linux' || platform === 'darwin') && addon !== null;

/**
 * The addon's functions, typed by the module that uses them, or null where the
 * addon is not in use. Each lib/ module declares the slice of the binding it calls.
 */
export function nativeBinding<T>(): T | null {
  return addon as unknown as T | null;
}

let mainThread: boolean | undefined;

/**
 * Whether this code runs on Node's main thread (not in a Worker). The addon
 * answers "yes" for the process's initial thread without loading worker_threads
 * (and the stream modules it pulls in); anything else asks worker_threads.
 */
export function onMainThread(): boolean {
  if (mainThread === undefined) {
    const initial = (addon as { onInitialThread?: unknown } | null)?.onInitialThread === true;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mainThread = initial || (require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread;
  }
  return mainThread;
}

/** Per-feature availability on this platform. Frozen; read it, don't write it. */
export interface Supported {
  readonly platform: NodeJS.Platform;
  /** The native addon loaded (false on Windows, or when it failed to load). */
  readonly addon: boolean;
  /** `_exit`: native everywhere the addon is; `process.reallyExit` otherwise. */
  readonly exit: boolean;
  readonly setsid: boolean;
  readonly getsid: boolean;
  readonly setpgid: boolean;
  readonly getpgid: boolean;
  /** PR_SET_PDEATHSIG (Linux). */
  readonly parentDeathSignal: boolean;
  /** PR_SET_CHILD_SUBREAPER (Linux). */
  readonly childSubreaper: boolean;
  /** PR_SET_NO_NEW_PRIVS (Linux). */
  readonly noNewPrivs: boolean;
  /** PR_SET_NAME (Linux). */
  readonly processName: boolean;
  readonly wait4: boolean;
  /** setInheritable / setBlocking and their getters. */
  readonly fdFlags: boolean;
  /** True in-place execve (false: emulated by spawning and exiting with its status). */
  readonly execve: boolean;
  /** spawn with process attributes. */
  readonly spawn: boolean;
  /** Children watched, signalled and reaped through pidfds (Linux 5.3+; older kernels fall back to SIGCHLD at run time). */
  readonly pidfd: boolean;
  /** spawn without fork()'s page-table copy: clone(CLONE_VM|CLONE_VFORK) (Linux); plain fork() elsewhere. */
  readonly spawnFastPath: boolean;
  /** Reaper / wait4(-1) based reaping. */
  readonly reaper: boolean;
  /** forwardSignals, including the native path for SIGUSR1 and the fault signals. */
  readonly signalForwarding: boolean;
  /** spawn/exec `capabilities` (ambient set, bounding set) and the clearing of every set on a drop (Linux). */
  readonly capabilities: boolean;
  /** spawn `cgroup` (join a cgroup v2 or a new one per child) and Subprocess.killTree through it (Linux; needs a cgroup v2 hierarchy at run time). */
  readonly cgroups: boolean;
  /** spawn `namespaces`, `uidMap`/`gidMap`, `hostname` (Linux). */
  readonly namespaces: boolean;
  /** spawn `nice`, `scheduling`, `cpuAffinity`, `ioPriority`, `oomScoreAdj` (Linux; `nice` everywhere POSIX). */
  readonly scheduling: boolean;
  /** killTree: the /proc walk, and cgroup v2 (Linux). */
  readonly killTree: boolean;
  /** setrlimit / getrlimit of this process. */
  readonly rlimit: boolean;
  /** setPriority / getPriority (every thread of the process on Linux). */
  readonly priority: boolean;
  /** setCpuAffinity / getCpuAffinity (Linux). */
  readonly cpuAffinity: boolean;
  /** fexecve and reexec({ scriptFd }): exec the program open on an fd (Linux). */
  readonly fexecve: boolean;
}

export const supported: Supported = Object.freeze({
  platform,
  addon: addon !== null,
  exit: true,
  setsid: isPosix,
  getsid: isPosix,
  setpgid: isPosix,
  getpgid: isPosix,
  parentDeathSignal: isLinux,
  childSubreaper: isLinux,
  noNewPrivs: isLinux,
  processName: isLinux,
  wait4: isPosix,
  fdFlags: isPosix,
  execve: isPosix,
  spawn: isPosix,
  pidfd: isLinux,
  spawnFastPath: isLinux,
  reaper: isPosix,
  signalForwarding: isPosix,
  capabilities: isLinux,
  cgroups: isLinux,
  namespaces: isLinux,
  scheduling: isLinux,
  killTree: isLinux,
  rlimit: isPosix,
  priority: isPosix,
  cpuAffinity: isLinux,
  fexecve: isLinux,
});

/** Why `feature` is missing here, for the ENOSYS error's message. */
function missingReason(): string {
  if (addon === null && platform !== 'win32' && addonUnavailableReason) return addonUnavailableReason;
  return `not available on ${platform}`;
}

/**
 * The binding for a call that needs `feature`, or a thrown ENOSYS SystemError
 * naming the call and the platform that lacks it.
 */
export function requireNative<T>(feature: Exclude<keyof Supported, 'platform'>, call: string): T {
  if (!supported[feature] || addon === null) throw unsupportedError(call, platform, missingReason());
  return addon as unknown as T;
}
