/**
 * `procctl init [options] -- command [args...]`: a tini / dumb-init equivalent.
 *
 * Runs the command as a child (in its own session by default, owning the
 * controlling terminal when init leads the terminal's session), forwards every
 * signal it receives to the child's process group (or the child alone with
 * --single-child), reaps every orphan that lands on it, and exits with the
 * child's status (128+n for a death by signal n).
 */
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import { forwardSignals } from '../forward';
import { nativeBinding } from '../platform';
import { isChildSubreaper, setChildSubreaper, setParentDeathSignal } from '../prctl';
import { getpgid, getsid } from '../process';
import { startReaper } from '../reaper';
import { signalName } from '../signals';
import { spawn, type ExitStatus, type SpawnOptions, type Subprocess } from '../spawn';
import { parseArgs, UsageError, type OptionSpec } from './args';
import { complain, errorText, execFailureStatus, parseIntArg, parseSignalArg } from './common';

export const INIT_USAGE = `Usage: procctl init [options] [--] command [args...]

Runs command as a child, forwards signals to it, reaps zombies, and exits with
the child's status (128+n when it dies of signal n). A tini/dumb-init for Node.

Options:
  -c, --single-child     signals go to the child only, and the child stays in
                         init's session (default: own session, whole group)
  -s, --subreaper        become a child subreaper (needed when not PID 1)
  -e, --remap-exit N     exit 0 when the child's status is N (repeatable)
  -r, --rewrite S:R      forward signal S as R; R = 0 drops S (repeatable)
  -p, --pdeathsig SIG    get SIG when init's own parent dies (it is forwarded)
  -v, --verbose          log forwarded signals and reaped orphans on stderr
  -h, --help             show this help
  -V, --version          show the version

Job control (own-session mode): SIGTSTP, SIGTTIN and SIGTTOU stop the child's
group with SIGSTOP and init stops itself; SIGCONT resumes both. When the child
exits, the rest of its process group gets SIGTERM.
Terminal: when init leads its terminal's session (docker run -t), the child's
new session takes the terminal; when init was started from a shell, the child
gets a new process group in init's session and the terminal's foreground.
Exit status 127: command not found; 126: found but could not be run.
`;

const OPTIONS: OptionSpec[] = [
  { long: 'single-child', short: 'c' },
  { long: 'subreaper', short: 's' },
  { long: 'remap-exit', short: 'e', value: true, repeat: true },
  { long: 'rewrite', short: 'r', value: true, repeat: true },
  { long: 'pdeathsig', short: 'p', value: true },
  { long: 'verbose', short: 'v' },
  { long: 'help', short: 'h' },
  { long: 'version', short: 'V' },
];

interface TtyNative {
  ttySetForeground(fd: number, pgrp: number): number;
  ttyGetForeground(fd: number): number;
  ttyGetSession(fd: number): number;
  /** TIOCNOTTY with the kernel's SIGHUP/SIGCONT to the foreground group discarded. */
  spawnDetachTerminal(fd: number): void;
  spawnHasControllingTerminal?: boolean;
}

export interface InitConfig {
  singleChild: boolean;
  subreaper: boolean;
  remap: Set<number>;
  rewrite: Map<number, number>;
  pdeathsig: number | null;
  verbose: boolean;
  command: string;
  args: string[];
}

/** Parses init's argv (after the word `init`). Returns 'help' / 'version' for those. */
export function parseInitArgs(argv: readonly string[]): InitConfig | 'help' | 'version' {
  const { options, operands } = parseArgs(argv, OPTIONS);
  if (options.has('help')) return 'help';
  if (options.has('version')) return 'version';
  if (operands.length === 0) throw new UsageError('no command given (usage: procctl init [options] -- command [args...])');
  const remap = new Set((options.get('remap-exit') ?? []).map((v) => parseIntArg(v, '--remap-exit', 0, 255)));
  const rewrite = new Map<number, number>();
  for (const v of options.get('rewrite') ?? []) {
    const colon = v.indexOf(':');
    if (colon < 0) throw new UsageError(`--rewrite: '${v}' is not S:R (for example TERM:QUIT or 15:3)`);
    const from = parseSignalArg(v.slice(0, colon), '--rewrite');
    const name = signalName(from);
    if (name === 'SIGKILL' || name === 'SIGSTOP' || name === 'SIGCHLD') throw new UsageError(`--rewrite: ${name} is never forwarded`);
    rewrite.set(from, parseSignalArg(v.slice(colon + 1), '--rewrite', true));
  }
  const pd = options.get('pdeathsig');
  return {
    singleChild: options.has('single-child'),
    subreaper: options.has('subreaper'),
    remap,
    rewrite,
    pdeathsig: pd ? parseSignalArg(pd[0]!, '--pdeathsig') : null,
    verbose: options.has('verbose'),
    command: operands[0]!,
    args: operands.slice(1),
  };
}

/** True when fd 0 is a terminal and it is this process's controlling terminal. */
function controllingTty(native: TtyNative | null): boolean {
  if (native === null || !isatty(0)) return false;
  try {
    return native.ttyGetSession(0) === getsid(0);
  } catch {
    return false;
  }
}

/**
 * session-tty: own session, and the terminal on fd 0 as its controlling terminal;
 * session: own session, no terminal; group: new group in init's session, made the
 * terminal's foreground; same: init's session and group.
 */
type Mode = 'session-tty' | 'session' | 'group' | 'same';

const MODE_TEXT: Record<Mode, string> = {
  'session-tty': 'new session owning the terminal',
  session: 'new session',
  group: 'new process group, terminal foreground',
  same: 'same session',
};

interface Launched {
  pid: number;
  target: Subprocess;
  exited: Promise<ExitStatus>;
  mode: Mode;
}

/** Starts the child with procctl's spawn: stdio inherited, session/group as asked. */
function launch(cfg: InitConfig, mode: Mode): Launched {
  const opts: SpawnOptions = { stdio: ['inherit', 'inherit', 'inherit'] };
  if (mode === 'session' || mode === 'session-tty') opts.setsid = true;
  if (mode === 'session-tty') opts.controllingTerminal = 0;
  if (mode === 'group') {
    opts.processGroup = 0;
    opts.foregroundTerminal = 0;  // in the child before exec: no window where it runs in the background
  }
  const sub = spawn(cfg.command, cfg.args, opts);
  return { pid: sub.pid, target: sub, exited: sub.exited, mode };
}

/**
 * The mode for the default (not --single-child) case. The child gets its own
 * session; with a controlling terminal on stdin it should also own that terminal
 * (dumb-init's way), which init can arrange only when the terminal belongs to
 * init's own session, i.e. init leads it (docker run -t, kubectl -it, script,
 * setsid -c): init lets go of it (TIOCNOTTY) and the child takes it after setsid,
 * no privilege needed. When init was started from a shell, the terminal belongs
 * to the shell's session: taking it (by force, as root) would leave that shell
 * without a terminal after init exits, so the child gets a new process group in
 * init's session and the terminal's foreground instead (tini's way).
 */
function defaultMode(tty: TtyNative | null, hasTty: boolean): Mode {
  if (!hasTty) return 'session';
  if (tty?.spawnHasControllingTerminal === true && getsid(0) === process.pid) return 'session-tty';
  return 'group';
}

/** Runs init; resolves to the exit status. */
export async function runInit(cfg: InitConfig): Promise<number> {
  const log = (msg: string): void => {
    if (cfg.verbose) complain('init', msg);
  };
  if (cfg.pdeathsig !== null) setParentDeathSignal(cfg.pdeathsig);
  if (cfg.subreaper && !isChildSubreaper()) setChildSubreaper(true);
  if (process.pid !== 1 && !isChildSubreaper()) {
    complain('init', 'warning: not PID 1 and not a child subreaper, so orphans are not re-parented here and cannot be reaped (use -s)');
  }
  const reaper = startReaper();
  reaper.on('reap', (st) => log(`reaped orphan ${st.pid} (status ${st.shellCode})`));

  const tty = nativeBinding<TtyNative>();
  const hasTty = controllingTty(tty);
  let wanted: Mode = cfg.singleChild ? 'same' : defaultMode(tty, hasTty);

  const toGroup = wanted !== 'same';
  const rewrite: Record<number, number> = {};
  if (toGroup) {
    // dumb-init's job control: the group stops with SIGSTOP (a TSTP it could ignore
    // would leave the shell waiting), and init stops itself so its parent sees it stopped.
    for (const s of ['SIGTSTP', 'SIGTTIN', 'SIGTTOU'] as const) rewrite[requireSignal(s)] = requireSignal('SIGSTOP');
  }
  for (const [from, to] of cfg.rewrite) rewrite[from] = to;

  // Forwarding starts before the child does: a signal that arrives while the child
  // is being started is queued and delivered right after, never lost and never
  // left to its default action on init.
  let child: Launched | null = null;
  const queued: number[] = [];
  const relay = {
    pid: process.pid, // unused: kill/killGroup below are always called instead
    kill(sig?: NodeJS.Signals | number) {
      if (child) child.target.kill(sig);
      else queued.push(Number(sig));
    },
    killGroup(sig?: NodeJS.Signals | number) {
      if (child) child.target.killGroup(sig);
      else queued.push(Number(sig));
    },
  };
  const forwarder = forwardSignals(relay, {
    toGroup,
    rewrite,
    stopOnExit: false,
    onSignal: (received, forwarded) => {
      log(`received ${received}, ${forwarded ? `forwarded ${forwarded}` : 'dropped'}`);
      if (toGroup && forwarded === 'SIGSTOP' && (received === 'SIGTSTP' || received === 'SIGTTIN' || received === 'SIGTTOU')) {
        process.kill(process.pid, 'SIGSTOP');
      }
    },
  });

  if (wanted === 'session-tty' && tty) {
    // The kernel sends SIGHUP and SIGCONT to the terminal's foreground group (ours)
    // when its session leader lets go; the native call discards both, so neither is
    // forwarded to the child nor kills init.
    try {
      tty.spawnDetachTerminal(0);
    } catch (err) {
      log(`could not let go of the terminal: ${errorText(err)}`);
      wanted = 'group';
    }
  }
  try {
    try {
      child = launch(cfg, wanted);
    } catch (err) {
      // The terminal is free (we let go of it), so only an odd fd 0 makes the
      // child's TIOCSCTTY fail (e.g. opened write-only, unprivileged): run the
      // command in its own session without the terminal rather than not at all.
      if (wanted !== 'session-tty' || (err as { stage?: string }).stage !== 'tiocsctty') throw err;
      complain('init', `warning: the command cannot own the terminal (${errorText(err)}); running it without one`);
      wanted = 'session';
      child = launch(cfg, wanted);
    }
  } catch (err) {
    forwarder.stop();
    reaper.stop();
    complain('init', `cannot run '${cfg.command}': ${errorText(err)}`);
    return execFailureStatus(err);
  }
  const started = child;
  log(`started ${cfg.command} as pid ${started.pid} (${MODE_TEXT[started.mode]})`);

  const ourGroup = getpgid(0);
  const gaveTty = started.mode === 'group';
  for (const sig of queued.splice(0)) {
    if (toGroup) started.target.killGroup(sig);
    else started.target.kill(sig);
  }

  const status = await started.exited;
  forwarder.stop();
  let code = status.exitCode !== null ? status.exitCode : 128 + (status.signalNumber ?? 0);
  log(`child ${started.pid} ended with status ${code}`);
  if (toGroup) {
    try {
      process.kill(-started.pid, 'SIGTERM');
      log(`sent SIGTERM to process group ${started.pid}`);
    } catch {
      // group already empty
    }
  }
  reaper.reapNow();
  reaper.stop();
  if (gaveTty && tty) {
    try {
      tty.ttySetForeground(0, ourGroup);
    } catch {
      // the terminal went away
    }
  }
  if (cfg.remap.has(code)) code = 0;
  return code;
}

function requireSignal(name: NodeJS.Signals): number {
  return constants.signals[name];
}
