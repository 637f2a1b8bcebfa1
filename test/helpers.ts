/**
 * Test helpers: run a fixture script in a child process and observe it from
 * outside (exit code, signal, output, /proc).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');
export const FIXTURES = path.join(__dirname, 'fixtures');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export interface RunOptions extends SpawnOptions {
  /** Kill the child (SIGKILL) and fail after this many ms. Default 20 s. */
  timeout?: number;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
}

/**
 * [file, args, options] that run `cmd` under script(1), which gives it a pty as
 * its controlling terminal; `asNobody` runs script itself as nobody. script runs
 * `$SHELL -c cmd`, and CI may have no SHELL (then dash runs it, which lacks
 * bash's `read -a`), so the shell is fixed to bash here.
 */
export function ptyCommand(cmd: string, opts: { asNobody?: boolean; env?: NodeJS.ProcessEnv } = {}): [string, string[], SpawnOptions] {
  const argv = ['script', '-qec', cmd, '/dev/null'];
  if (opts.asNobody) argv.unshift('runuser', '-u', 'nobody', '--');
  return [argv[0]!, argv.slice(1), { cwd: ROOT, env: { ...process.env, ...opts.env, SHELL: '/bin/bash' } }];
}

/** Runs any command to completion, collecting output. */
export function run(cmd: string, args: string[] = [], opts: RunOptions = {}): Promise<RunResult> {
  const { timeout = 20_000, input, ...spawnOpts } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOpts });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out after ${timeout} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeout);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1 });
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    }
  });
}

/** Runs `node test/fixtures/<name> ...args`. */
export function runFixture(name: string, args: string[] = [], opts: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [path.join(FIXTURES, name), ...args], { cwd: ROOT, ...opts });
}

/** /proc/<pid>/status as a key -> value map. */
export function procStatus(pid: number | 'self'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

const procReaders = createRequire(__filename)('./fixtures/proc.cjs') as {
  procStat(pid: number | 'self'): string[] | null;
};

/** Fields of /proc/<pid>/stat, 1-based as in proc(5): 4 ppid, 5 pgrp, 6 session. Throws once it is gone. */
export function procStat(pid: number): string[] {
  const fields = procReaders.procStat(pid);
  if (fields === null) throw new Error(`process ${pid} is gone`);
  return fields;
}

/** The open fds of a process, with their targets. */
export function openFds(pid: number | 'self'): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.set(Number(name), readlinkSync(`/proc/${pid}/fd/${name}`));
    } catch {
      // closed while listing (the readdir fd itself)
    }
  }
  return out;
}

/** Direct children of `pid` that are zombies. */
export function zombieChildren(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    let children: string;
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of children.trim().split(/\s+/).filter(Boolean)) {
      try {
        if (procStat(Number(c))[3] === 'Z') out.push(Number(c));
      } catch {
        // already gone
      }
    }
  }
  return out;
}

/** Polls `fn` until it returns a truthy value or `timeout` ms pass. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeout = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True while `pid` exists (a zombie counts as existing). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Fixtures started with {@link startFixture} that a test's afterEach should kill. */
export const liveFixtures: ChildProcess[] = [];

/** SIGKILLs every fixture started with {@link startFixture} that is still running. */
export function killLiveFixtures(): void {
  for (const c of liveFixtures.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/**
 * Starts a long-running fixture (`node test/fixtures/<name>`) and resolves with
 * its first stdout line parsed as JSON, while the fixture stays up to be
 * inspected from outside. Rejects if it exits first.
 */
export function startFixture(name: string, args: string[]): Promise<{ child: ChildProcess; report: Record<string, unknown> }> {
  const child = spawn(process.execPath, [path.join(FIXTURES, name), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  liveFixtures.push(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve({ child, report: JSON.parse(buf.slice(0, nl)) });
    });
    child.on('exit', (code) => reject(new Error(`fixture exited ${code}: ${err}`)));
  });
}

/** The tests run as root (CI does): credential drops, PID namespaces and subreapers are then tested for real. */
export const isRoot = process.getuid?.() === 0;

/**
 * Skips the running test, printing why, when the suite does not run as root; as
 * root it does nothing, so nothing is ever skipped in CI. Call it first in a test
 * (or in a beforeEach for a block that needs root throughout): `needsRoot(ctx, 'switches to nobody')`.
 */
export function needsRoot(ctx: { skip: (note?: string) => never; task: { name: string } }, why: string): void {
  if (isRoot) return;
  const note = `needs root: ${why} (running as uid ${process.getuid?.()})`;
  console.log(`skipped '${ctx.task.name}': ${note}`);
  ctx.skip(note);
}

/**
 * Set (to 'qemu-user') by .ci/run for the arm64 run, where the tests' Node and
 * children are emulated. Some kernel behaviour reaches an emulated process only
 * through qemu's imitation of it.
 */
export const emulator = process.env.PROCCTL_TEST_EMULATOR ?? '';

/** Skips the running test, printing why, under an emulator that does not reproduce what it checks. */
export function needsRealKernel(ctx: { skip: (note?: string) => never; task: { name: string } }, why: string): void {
  if (!emulator) return;
  const note = `not under ${emulator}: ${why}`;
  console.log(`skipped '${ctx.task.name}': ${note}`);
  ctx.skip(note);
}

/** Why each kind of test cannot run under qemu-user (its linux-user emulation). */
export const QEMU = {
  procStat: 'qemu-user makes up /proc/self/stat for an emulated process (session, pgrp and tty read 0)',
  subreaper: 'qemu-user rejects PR_SET_CHILD_SUBREAPER with EINVAL',
  clone3: 'qemu-user has no clone3, so spawn cannot use the clone3 engine',
  vfork: "qemu-user runs clone(CLONE_VM|CLONE_VFORK) as a plain fork, so the clone engine's child cannot report its error to the parent",
  volume: 'thousands of emulated spawns take minutes under qemu-user; the native runs check the growth',
} as const;
