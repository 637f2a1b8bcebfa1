/**
 * `procctl exec [options] USER[:GROUP] command [args...]`: a gosu / setpriv
 * equivalent. Drops privileges and execs the command in place: same PID,
 * nothing left running.
 *
 * USER[:GROUP] follows gosu (parseUserSpec): numeric fields are ids, names must
 * exist, USER alone brings the user's supplementary groups, USER:GROUP brings
 * only GROUP, an empty USER keeps the current user, HOME comes from the passwd
 * entry (or `/`). One deliberate difference: a numeric USER with no passwd
 * entry and no GROUP runs with gid = the same number and no supplementary
 * groups, where gosu and Docker keep the caller's gid (0 for root). procctl
 * never silently keeps any of root's groups; write `1000:0` to get gosu's result.
 */
import { existsSync, fstatSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { allCapabilities, capabilityName, capabilityNumber } from '../capabilities';
import { execvp, type ExecOptions } from '../exec';
import { forwardSignals } from '../forward';
import { addonUnavailableReason, platform, supported } from '../platform';
import { setParentDeathSignal } from '../prctl';
import { getpgid } from '../process';
import { spawn, type SpawnOptions } from '../spawn';
import { lookupUser, parseUserSpec, resolveGroup } from '../users';
import { parseArgs, UsageError, type OptionSpec } from './args';
import { argErrorText, complain, errorText, execFailureStatus, parseIntArg, parseSignalArg } from './common';

export const EXEC_USAGE = `Usage: procctl exec [options] USER[:GROUP] command [args...]

Switches to USER (and GROUP) and executes command in place (same PID), like
gosu or setpriv. Numeric fields are ids; names must exist. USER alone brings
the user's supplementary groups; USER:GROUP brings only GROUP; an empty USER
(':GROUP') keeps the current user. HOME is set from the passwd entry, or '/'.
A numeric USER with no passwd entry and no GROUP gets gid = uid, no groups.

Options:
  --groups A,B        supplementary groups instead (names or ids)
  --clear-groups      no supplementary groups
  --pdeathsig SIG     signal to receive when the parent dies (armed after the drop)
  --setsid            start a new session first (when procctl leads its
                      process group, as from an interactive shell, the
                      command runs as a child in a new session and procctl
                      waits for it and exits with its status, as setsid -w)
  --no-new-privs      set PR_SET_NO_NEW_PRIVS (setuid binaries grant nothing)
  --keep-fd N         keep fd N open across the exec (repeatable)
  --umask MODE        set the umask (octal, e.g. 027)
  --caps LIST         capabilities the command keeps after the drop, e.g.
                      +net_bind_service (ambient; default: none at all)
  --bounding-set LIST change the bounding set, setpriv-style: [+-]cap or
                      [+-]all, in order, e.g. -all,+net_bind_service
  -h, --help          show this help
  -V, --version       show the version

Options go before USER: everything after USER is the command and its arguments.

Exit status: 2 for a usage error (an unknown option, a bad option value, a
missing USER or command); 1 when USER[:GROUP] or a --groups entry does not
resolve, or a step before the exec fails; 127 when command is not found, 126
when it cannot be executed; otherwise the command's own status.
`;

const OPTIONS: OptionSpec[] = [
  { long: 'groups', value: true },
  { long: 'clear-groups' },
  { long: 'pdeathsig', value: true },
  { long: 'setsid' },
  { long: 'no-new-privs' },
  { long: 'keep-fd', value: true, repeat: true },
  { long: 'umask', value: true },
  { long: 'caps', value: true },
  { long: 'bounding-set', value: true },
  { long: 'help', short: 'h' },
  { long: 'version', short: 'V' },
];

export interface ExecConfig {
  spec: string;
  groups: string[] | null;
  clearGroups: boolean;
  pdeathsig: number | null;
  setsid: boolean;
  noNewPrivs: boolean;
  keepFds: number[];
  /** --caps: capability numbers to keep (ambient), or null. */
  ambientCaps: number[] | null;
  /** --bounding-set: the capability numbers the bounding set keeps, or null. */
  boundingKeep: number[] | null;
  umask: number | null;
  command: string;
  args: string[];
}

export function parseExecArgs(argv: readonly string[]): ExecConfig | 'help' | 'version' {
  const { options, operands } = parseArgs(argv, OPTIONS);
  if (options.has('help')) return 'help';
  if (options.has('version')) return 'version';
  if (operands.length < 2) {
    const what = operands.length === 0 ? 'no USER and no command given' : `no command given after '${operands[0]}'`;
    throw new UsageError(`${what} (usage: procctl exec [options] USER[:GROUP] command [args...])`, true);
  }
  const command = operands[1]!;
  if (command.startsWith('-') && command !== '-') {
    // `procctl exec nobody --umask 027 id` would otherwise try to run '--umask'.
    throw new UsageError(
      `'${command}' after USER '${operands[0]}' would be run as the command: options go before USER ` +
        `(procctl exec ${command} ... ${operands[0]} command); to run a program whose name starts with '-', give its path (./${command})`,
      true,
    );
  }
  if (options.has('groups') && options.has('clear-groups')) throw new UsageError('--groups and --clear-groups exclude each other');
  const groupsArg = options.get('groups');
  const groups = groupsArg ? groupsArg[0]!.split(',').filter((g) => g !== '') : null;
  const umaskArg = options.get('umask');
  let umask: number | null = null;
  if (umaskArg) {
    // Up to 0777 (a leading 0 allowed): a umask has no setuid/setgid/sticky bits,
    // and '1022' must not quietly become 022.
    if (!/^0?[0-7]{1,3}$/.test(umaskArg[0]!)) throw new UsageError(`--umask: '${umaskArg[0]}' is not an octal mode 0..0777 like 022`);
    umask = parseInt(umaskArg[0]!, 8);
  }
  const pd = options.get('pdeathsig');
  const ambientCaps = options.has('caps') ? parseCapsArg(options.get('caps')![0]!) : null;
  const boundingKeep = options.has('bounding-set') ? parseBoundingArg(options.get('bounding-set')![0]!) : null;
  const dropped = ambientCaps?.filter((c) => boundingKeep !== null && !boundingKeep.includes(c)) ?? [];
  if (dropped.length > 0) {
    throw new UsageError(`--caps ${dropped.map((c) => capabilityName(c)).join(',')}: not in --bounding-set, so it cannot be kept`);
  }
  return {
    spec: operands[0]!,
    groups,
    clearGroups: options.has('clear-groups'),
    pdeathsig: pd ? parseSignalArg(pd[0]!, '--pdeathsig') : null,
    setsid: options.has('setsid'),
    noNewPrivs: options.has('no-new-privs'),
    keepFds: (options.get('keep-fd') ?? []).map((v) => parseIntArg(v, '--keep-fd', 3, 0x7fffffff)),
    ambientCaps,
    boundingKeep,
    umask,
    command,
    args: operands.slice(2),
  };
}

function capArg(item: string, what: string): number {
  try {
    return capabilityNumber(item, what);
  } catch {
    throw new UsageError(`${what}: '${item}' is not a Linux capability (e.g. net_bind_service)`);
  }
}

/** --caps +a,+b: capabilities the command keeps. Only additions: none are kept by default. */
export function parseCapsArg(text: string): number[] {
  const out = new Set<number>();
  for (const item of text.split(',').filter((x) => x !== '')) {
    if (item.startsWith('-')) throw new UsageError(`--caps: '${item}': nothing is kept unless named, so there is nothing to remove`);
    out.add(capArg(item.replace(/^\+/, ''), '--caps'));
  }
  if (out.size === 0) throw new UsageError('--caps: name at least one capability, e.g. +net_bind_service');
  return [...out];
}

/** The last capability this kernel knows, from /proc (procctl's table when it cannot be read). */
function lastCapability(): number {
  try {
    const n = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    if (Number.isInteger(n) && n >= 0 && n < 64) return n;
  } catch {
    // not Linux, or no /proc
  }
  return Math.max(...allCapabilities());
}

/** --bounding-set, as setpriv reads it: [+-]cap or [+-]all, applied in order to the full set. */
export function parseBoundingArg(text: string): number[] {
  const all = Array.from({ length: lastCapability() + 1 }, (_, i) => i);
  const keep = new Set(all);
  const items = text.split(',').filter((x) => x !== '');
  if (items.length === 0) throw new UsageError('--bounding-set: give [+-]cap or [+-]all items, e.g. -all,+net_bind_service');
  for (const item of items) {
    const sign = item[0];
    if (sign !== '+' && sign !== '-') throw new UsageError(`--bounding-set: '${item}' must start with + or -`);
    const name = item.slice(1);
    const caps = name === 'all' ? all : [capArg(name, '--bounding-set')];
    for (const c of caps) {
      if (sign === '+') keep.add(c);
      else keep.delete(c);
    }
  }
  return [...keep].sort((a, b) => a - b);
}

/** A USER[:GROUP] or --groups entry that does not resolve; the message says which and why. */
export class SpecError extends Error {
  override name = 'SpecError';
}

/** The credentials and HOME a spec resolves to. Throws a SpecError naming the bad part. */
export interface ResolvedSpec {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

export function resolveSpec(spec: string, groups: string[] | null, clearGroups: boolean): ResolvedSpec {
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? '' : spec.slice(colon + 1);
  const specHint = 'USER is a name from the passwd database or a numeric uid, GROUP a name from the group database or a numeric gid';
  let out: ResolvedSpec;
  try {
    if (/^[0-9]+$/.test(userPart) && groupPart === '' && lookupUser(userPart) === null) {
      // gosu would keep the caller's gid here; we never keep root's groups (module note).
      const id = Number(userPart);
      if (id > 0xfffffffe) throw new Error(`user id ${userPart} is out of range 0..4294967294`);
      out = { uid: id, gid: id, groups: [], home: '/' };
    } else {
      const parsed = parseUserSpec(spec);
      out = { uid: parsed.uid!, gid: parsed.gid!, groups: parsed.groups ?? [], home: parsed.home };
    }
  } catch (err) {
    throw new SpecError(`invalid user spec '${spec}': ${argErrorText(err)} (${specHint})`);
  }
  if (clearGroups) out.groups = [];
  if (groups !== null) {
    out.groups = [
      ...new Set(
        groups.map((g) => {
          try {
            return resolveGroup(g, '--groups');
          } catch (err) {
            throw new SpecError(`invalid --groups entry '${g}': ${argErrorText(err)} (give group names from the group database or numeric gids, comma-separated)`);
          }
        }),
      ),
    ];
  }
  return out;
}

/** Refuses to run when procctl itself (script or node binary) is setuid/setgid. */
export function setuidProblem(files: string[]): string | null {
  for (const f of files) {
    try {
      const st = statSync(f);
      if (st.mode & 0o6000) return `${f} is setuid/setgid; refusing to run (procctl is not meant to be installed setuid)`;
    } catch {
      // not there: nothing to check
    }
  }
  return null;
}

/** Why exec cannot work on this machine at all (and what to do), or null. */
export function execUnavailable(): string | null {
  if (supported.execve) return null;
  if (platform === 'win32') return 'not available on Windows: dropping privileges and exec-ing in place need Linux or macOS';
  return (
    `the native addon is not available (${addonUnavailableReason ?? 'unknown reason'}); ` +
    "reinstall with 'npm rebuild procctl', which needs a prebuilt binary for this platform or a C++ compiler, make and Python"
  );
}

/**
 * One line saying why `command` could not be started and what to do. For a PATH
 * search, `err.path` is the candidate that decided the error (EACCES beats ENOENT,
 * as in execvp(3)), so the message names it.
 */
export function execFailureText(command: string, err: unknown, creds: { uid: number; gid: number }): string {
  const e = err as { code?: unknown; path?: unknown };
  const file = typeof e.path === 'string' ? e.path : command;
  const who = `uid ${creds.uid} gid ${creds.gid}`;
  const searched = !command.includes('/');
  switch (e.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return searched
        ? `cannot run '${command}': no such file or directory in PATH (${process.env.PATH ?? '/bin:/usr/bin'}); check the name, or give its full path`
        : `cannot run '${command}': no such file or directory`;
    case 'EACCES':
      if (existsSync(file)) return `cannot run '${command}': permission denied: ${file} is not executable by ${who} (check its mode and its directories' modes)`;
      return (
        `cannot run '${command}': permission denied: ${who} cannot search a directory of ${file}` +
        (searched ? ", a PATH candidate, and no other PATH directory has it; give the command's full path or a PATH that USER can search" : '')
      );
    case 'ENOEXEC':
      return `cannot run '${command}': ${file} is neither a binary for this machine nor a script starting with #!`;
    default:
      return `cannot run '${command}': ${errorText(err)}${file !== command ? ` (${file})` : ''}`;
  }
}

/** Resolves and execs; returns an exit status only when something failed (or, for --setsid from a group leader, the command's). */
export function runExec(cfg: ExecConfig): number | Promise<number> {
  const problem = setuidProblem([process.execPath, process.argv[1] ?? '', path.join(__dirname, '..', 'cli.js')].filter(Boolean));
  if (problem) {
    complain('exec', problem);
    return 1;
  }
  const unavailable = execUnavailable();
  if (unavailable) {
    complain('exec', unavailable);
    return 1;
  }
  let creds: ResolvedSpec;
  try {
    creds = resolveSpec(cfg.spec, cfg.groups, cfg.clearGroups);
  } catch (err) {
    complain('exec', err instanceof SpecError ? err.message : `invalid user spec '${cfg.spec}': ${argErrorText(err)}`);
    return 1;
  }
  const options: ExecOptions = {
    user: creds.uid,
    group: creds.gid,
    groups: creds.groups,
    env: { ...process.env, HOME: creds.home },
  };
  if (cfg.setsid) options.setsid = true;
  if (cfg.pdeathsig !== null) options.parentDeathSignal = cfg.pdeathsig;
  if (cfg.noNewPrivs) options.noNewPrivs = true;
  if (cfg.umask !== null) options.umask = cfg.umask;
  if (cfg.keepFds.length > 0) options.inheritFds = cfg.keepFds;
  if (cfg.ambientCaps !== null || cfg.boundingKeep !== null) {
    const name = (n: number): string => capabilityName(n) ?? String(n);
    options.capabilities = {
      ...(cfg.ambientCaps !== null ? { ambient: cfg.ambientCaps.map(name) } : {}),
      ...(cfg.boundingKeep !== null ? { bounding: cfg.boundingKeep.map(name) } : {}),
    };
  }
  if (cfg.setsid && leadsProcessGroup()) return runInNewSession(cfg, options, creds);
  try {
    execvp(cfg.command, cfg.args, options);
  } catch (err) {
    return reportFailure(cfg, err, creds);
  }
  return 1; // unreachable: execvp returns only by throwing
}

/** Says why the command could not be started and what to do; returns the exit status for that. */
function reportFailure(cfg: ExecConfig, err: unknown, creds: ResolvedSpec): number {
  if ((err as { code?: unknown }).code === 'ERR_RELATIVE_PATH_LOOKUP') {
    complain('exec', (err as Error).message.replace(/, or pass allowRelativePath: true$/, ''));
    return 126;
  }
  const stage = (err as { stage?: unknown; syscall?: unknown }).stage ?? (err as { syscall?: unknown }).syscall;
  if (stage === 'execve' || stage === 'exec' || stage === undefined) {
    complain('exec', execFailureText(cfg.command, err, creds));
    return execFailureStatus(err);
  }
  complain('exec', `${String(stage)} failed before '${cfg.command}' could run: ${errorText(err)} (procctl exec must run as root, or as a user allowed to switch to ${cfg.spec})`);
  return 1;
}

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** A process group leader cannot setsid(); a Node started by a job-control shell leads its group. */
function leadsProcessGroup(): boolean {
  try {
    return getpgid(0) === process.pid;
  } catch {
    return false;
  }
}

/**
 * --setsid where setsid() in place is impossible: the command runs as a child
 * in a new session (with every other option applied in the child), this
 * process forwards the signals it gets and exits with the command's status
 * (128+n for a death by signal n), as `setsid -w` does.
 */
async function runInNewSession(cfg: ExecConfig, options: ExecOptions, creds: ResolvedSpec): Promise<number> {
  // The same fds the in-place exec would keep: 0..2 as they are ('ignore' for a
  // closed one), and each --keep-fd at its own number.
  const stdio: Array<number | 'inherit' | 'ignore' | null> = [0, 1, 2].map((fd) => (isOpen(fd) ? 'inherit' : 'ignore'));
  for (const fd of cfg.keepFds) {
    while (stdio.length <= fd) stdio.push(null);
    stdio[fd] = fd;
  }
  const opts: SpawnOptions = {
    user: options.user,
    group: options.group,
    groups: options.groups,
    env: options.env,
    setsid: true,
    stdio,
  };
  if (options.parentDeathSignal !== undefined) {
    // The command dies with us, and we learn of our parent's death as the
    // in-place exec would have (the signal is then forwarded to the command).
    opts.parentDeathSignal = options.parentDeathSignal;
    setParentDeathSignal(options.parentDeathSignal);
  }
  if (options.noNewPrivs) opts.noNewPrivs = true;
  if (options.umask !== undefined) opts.umask = options.umask;
  if (options.capabilities !== undefined) opts.capabilities = options.capabilities;
  let child;
  try {
    child = spawn(cfg.command, cfg.args, opts);
  } catch (err) {
    return reportFailure(cfg, err, creds);
  }
  forwardSignals(child);
  const status = await child.exited;
  return status.exitCode !== null ? status.exitCode : 128 + (status.signalNumber ?? 0);
}
