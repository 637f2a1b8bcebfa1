/**
 * `procctl init [options] [--] command [args...]`: execs into the native init
 * (`procctl-init`, built from native/init/ next to the addon), which parses the
 * options and does the work: one implementation, whichever way init is started.
 * Only Node's start-up stands between the launcher and the native init here, and
 * Node resets what it inherited before any JS runs: the launcher's ignored and
 * blocked signals are gone (the native init started by its own path keeps them),
 * and the exec passes on fds 0-2 only (Node marks 0-15 close-on-exec at start-up
 * and its own fds are not told apart from the launcher's).
 */
import { execve } from '../exec';
import { nativeInitPath } from '../pid1';
import { addonUnavailableReason, platform, supported } from '../platform';
import { complain, errorText, execFailureStatus } from './common';

/** argv[0] of the native init when started through Node: its messages then say "procctl init:". */
const ARGV0 = 'procctl init';

/** Execs into the native init with `argv` (the words after `init`); returns a status only on failure. */
export function runInit(argv: readonly string[]): number {
  if (!supported.execve) {
    const why = platform === 'win32' ? 'not available on win32' : (addonUnavailableReason ?? 'the native addon is not loaded');
    complain('init', `needs the native addon to start the native init (${why})`);
    return 1;
  }
  const file = nativeInitPath();
  if (file === null) {
    complain(
      'init',
      `the native init executable (procctl-init) is missing: it is built next to the addon by \`npm ci\` or \`npm rebuild procctl\` (build/Release/procctl-init), or shipped in prebuilds/${platform}-${process.arch}/; set PROCCTL_INIT=/path/to/procctl-init to use another`,
    );
    return 1;
  }
  try {
    return execve(file, [...argv], { argv0: ARGV0 });
  } catch (err) {
    complain('init', `cannot start ${file}: ${errorText(err)}`);
    return execFailureStatus(err);
  }
}
