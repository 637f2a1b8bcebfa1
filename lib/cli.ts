/**
 * The `procctl` command line: `procctl init` (tini/dumb-init) and
 * `procctl exec` (gosu/setpriv). bin/procctl.js calls main().
 */
import { UsageError } from './cli/args';
import { complain, packageVersion } from './cli/common';
import { EXEC_USAGE, parseExecArgs, runExec } from './cli/exec';
import { runInit } from './cli/init';
import { setProcessName } from './prctl';
import { supported } from './platform';

export const USAGE = `Usage: procctl <command> [options] ...

Commands:
  init [options] [--] command [args...]   run command under a PID 1 that
                                           forwards signals and reaps zombies
  exec [options] USER[:GROUP] command ... drop privileges and exec in place

Run 'procctl <command> --help' for a command's options.
  -h, --help      show this help
  -V, --version   show the version
`;

function finish(code: number): void {
  // Let queued stderr reach the OS before exiting.
  process.exitCode = code;
  if (process.stderr.writableLength === 0) process.exit(code);
  process.stderr.write('', () => process.exit(code));
}

/**
 * `ps` and `top` show the process name (comm): Node 24 names its main thread
 * `MainThread`, older ones `node`. `procctl init` soon becomes `procctl-init`
 * (the native init's file name); `procctl exec` becomes the command it runs.
 */
function nameProcess(command: string): void {
  if (!supported.processName) return;
  try {
    setProcessName(`procctl ${command}`);
  } catch {
    // only a name: never worth failing the command for
  }
}

/** Runs the CLI with `argv` (without node and the script). */
export async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'init' || command === 'exec') nameProcess(command);
  try {
    switch (command) {
      case 'init': {
        finish(runInit(rest));
        return;
      }
      case 'exec': {
        const cfg = parseExecArgs(rest);
        if (cfg === 'help') return void process.stdout.write(EXEC_USAGE);
        if (cfg === 'version') return void process.stdout.write(`procctl ${packageVersion()}\n`);
        finish(await runExec(cfg));
        return;
      }
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        return;
      case '-V':
      case '--version':
        process.stdout.write(`procctl ${packageVersion()}\n`);
        return;
      case undefined:
        process.stderr.write(USAGE);
        finish(2);
        return;
      default:
        throw new UsageError(`unknown command '${command}': the commands are init and exec (run 'procctl --help')`, true);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      // init's messages are its own (lib/cli/init.ts); exec's and the top level's end with where to look.
      if (command === 'init') complain('init', err.message);
      else if (command === 'exec') complain('exec', err.saysWhatToDo ? err.message : `${err.message} (run 'procctl exec --help')`);
      else complain('', err.message);
      finish(2);
      return;
    }
    complain(command ?? '', `error: ${(err as Error).message}`);
    finish(1);
  }
}
