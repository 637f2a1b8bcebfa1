/**
 * The three ways to give a container a PID 1 that reaps and passes signals on:
 * `procctl init` (the CLI, which execs into the native init), the native init by
 * its own path ({@link nativeInitPath}), and no init at all: the Node program is
 * PID 1 itself ({@link actAsInit}).
 *
 * What a PID 1 lacks, and actAsInit gives back:
 * - orphans are re-parented to PID 1 and stay zombies unless it reaps them: the
 *   Reaper reaps them and leaves every child somebody waits for alone
 *   (child_process and procctl children keep their 'exit' events);
 * - the kernel drops any signal whose action is SIG_DFL when it is sent to a
 *   PID 1 (from inside its namespace or from the host: `docker stop`'s SIGTERM),
 *   and Node's own SIGINT/SIGTERM handler (terminal reset, then re-raise) ends
 *   in that same drop, so a Node program without a listener never stops and is
 *   killed after the grace period. While no JS listener handles SIGTERM, SIGINT
 *   or SIGHUP, a native handler runs Node's (if any) and exits at once with
 *   128+n, as the default action ends any other process, even while JS is busy.
 *   A JS listener replaces it while it is there (it then runs, and the program
 *   decides); after the last listener is removed the handler is put back.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { platform, requireNative, supported } from './platform';
import { startReaper, type Reaper } from './reaper';
import { signalName, toSignalNumber, type SignalLike } from './signals';
import { snapshotOptions, validateArray, validateBoolean } from './validate';

interface Pid1Native {
  signalExitAsDefaultInstall(sig: number): number;
  signalExitAsDefaultRemove(sig: number): number;
}

const INIT_NAME = 'procctl-init';

/**
 * The path of the native init executable (`procctl-init`) for this platform, or
 * null when there is none (Windows, or nothing was built or shipped). Looked up
 * in order: `$PROCCTL_INIT`; next to the addon named by `$PROCCTL_ADDON`;
 * `build/Release` and `build/Debug` (built by `npm ci` / `npm rebuild`);
 * `prebuilds/<platform>-<arch>/`. The executable is static on Linux, so the
 * same file works in glibc and musl images.
 */
export function nativeInitPath(): string | null {
  if (platform === 'win32') return null;
  const root = path.join(__dirname, '..');
  const candidates: string[] = [];
  if (process.env.PROCCTL_INIT) candidates.push(path.resolve(process.env.PROCCTL_INIT));
  if (process.env.PROCCTL_ADDON) candidates.push(path.join(path.dirname(path.resolve(process.env.PROCCTL_ADDON)), INIT_NAME));
  candidates.push(
    path.join(root, 'build', 'Release', INIT_NAME),
    path.join(root, 'build', 'Debug', INIT_NAME),
    path.join(root, 'prebuilds', `${platform}-${process.arch}`, INIT_NAME),
  );
  for (const file of candidates) {
    try {
      accessSync(file, fsConstants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

export interface ActAsInitOptions {
  /**
   * Become a child subreaper (Linux) when not PID 1, so that orphaned
   * descendants come to this process as they would to a PID 1. Default: true
   * when not PID 1 where subreapers exist. Ignored as PID 1.
   */
  subreaper?: boolean;
  /**
   * Signals that end the program at once with 128+n when it is PID 1 and has no
   * listener for them. Default: SIGTERM, SIGINT, SIGHUP.
   */
  exitSignals?: SignalLike[];
}

/** What {@link actAsInit} set up. */
export interface InitMode {
  /** True when this process is PID 1 (of its PID namespace). */
  readonly pid1: boolean;
  /** The running Reaper (its 'reap' events name each orphan reaped). */
  readonly reaper: Reaper;
  /** The signals given their default action back (empty when not PID 1). */
  readonly exitSignals: readonly NodeJS.Signals[];
  /** Stops the Reaper and puts every signal action back. Idempotent. */
  stop(): void;
}

/**
 * One call for a Node program that is its own PID 1 (in a container, `CMD
 * ["node", "server.js"]` with no init), or that wants to act as one for its
 * descendants: starts the Reaper (a subreaper when not PID 1) and, as PID 1,
 * gives SIGTERM/SIGINT/SIGHUP their usual effect (exit 128+n) while no JS
 * listener handles them. Throws ERR_REAPER_RUNNING when a Reaper already runs.
 */
export function actAsInit(options: ActAsInitOptions = {}): InitMode {
  const opts = snapshotOptions(options, ['subreaper', 'exitSignals']);
  const subreaperOpt = opts.subreaper;
  const exitOpt = opts.exitSignals;
  const pid1 = process.pid === 1;
  const subreaper = subreaperOpt === undefined ? !pid1 && supported.childSubreaper : validateBoolean(subreaperOpt, 'options.subreaper');
  const numbers =
    exitOpt === undefined
      ? [15, 2, 1]
      : validateArray(exitOpt, 'options.exitSignals').map((s, i) => toSignalNumber(s, `options.exitSignals[${i}]`));
  const names = [...new Set(numbers)].map((n) => signalName(n)!).filter((n) => n !== 'SIGKILL' && n !== 'SIGSTOP');

  const native = pid1 && names.length > 0 ? requireNative<Pid1Native>('signalForwarding', 'actAsInit') : null;
  const reaper = startReaper({ subreaper: subreaper && !pid1 });
  const exitSignals = native ? names : [];
  const install = (name: NodeJS.Signals): void => {
    if (native && process.listenerCount(name) === 0) native.signalExitAsDefaultInstall(toSignalNumber(name, 'signal'));
  };
  // libuv resets a signal to SIG_DFL when its last JS listener goes away.
  const onRemove = (event: string | symbol): void => {
    if (typeof event === 'string' && (exitSignals as string[]).includes(event)) install(event as NodeJS.Signals);
  };
  for (const name of exitSignals) install(name);
  if (native) process.on('removeListener', onRemove);

  let stopped = false;
  return {
    pid1,
    reaper,
    exitSignals,
    stop() {
      if (stopped) return;
      stopped = true;
      if (native) {
        process.removeListener('removeListener', onRemove);
        for (const name of exitSignals) native.signalExitAsDefaultRemove(toSignalNumber(name, 'signal'));
      }
      reaper.stop();
    },
  };
}
