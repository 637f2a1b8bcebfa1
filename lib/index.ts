/**
 * procctl: low-level process control for Node.js.
 */
export { SystemError, type SystemErrorDetails } from './errors';
export { supported, platform, type Supported } from './platform';
export { signalName, type SignalLike } from './signals';
export { _exit, flushStdio, setsid, getsid, setpgid, getpgid } from './process';
export {
  setParentDeathSignal,
  getParentDeathSignal,
  setChildSubreaper,
  isChildSubreaper,
  setNoNewPrivs,
  getNoNewPrivs,
  setProcessName,
  getProcessName,
  PROCESS_NAME_MAX_BYTES,
} from './prctl';
export { wait4, reapZombies, type WaitStatus, type Wait4Options, type ResourceUsage } from './wait';
export { setInheritable, isInheritable, setBlocking, isBlocking } from './fd';
export {
  lookupUser,
  parseUserSpec,
  type UserEntry,
  type GroupEntry,
  type IdLike,
  type CredentialOptions,
  type UserSpec,
} from './users';
export * from './exec';
export * from './spawn';
export * from './reaper';
export * from './forward';
export { killTree, type KillTreeOptions } from './tree';
export {
  setrlimit,
  getrlimit,
  setPriority,
  getPriority,
  setCpuAffinity,
  getCpuAffinity,
  type RlimitName,
} from './resources';
export { actAsInit, nativeInitPath, type ActAsInitOptions, type InitMode } from './pid1';
