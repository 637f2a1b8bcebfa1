/**
 * Test helpers: run a fixture script in a child process and observe it from
 * outside (exit code, signal, output, /proc).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as readline from 'node:readline';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');
export const FIXTURES = path.join(__dirname, 'fixtures');

/** What code running as another user (nobody) needs to find, readable by everyone. */
export interface PublicCopy {
  /** Stands in for ROOT. */
  root: string;
  fixtures: string;
  /** bin/procctl.js in the copy. */
  bin: string;
  /** The environment for code run from the copy (PROCCTL_ADDON re-pointed). */
  env: NodeJS.ProcessEnv;
}

let publicCopyMade: PublicCopy | null = null;

/**
 * A world-readable copy of what a fixture run as another user loads: dist/, bin/,
 * test/fixtures/, examples/, package.json, node-gyp-build and the addon this run
 * uses. The checkout may sit in a directory only root can enter (a clone in
 * /root, mode 0700), where nobody cannot even reach its own script. Made once
 * per test process, removed when it exits.
 */
export function publicCopy(): PublicCopy {
  if (publicCopyMade !== null) return publicCopyMade;
  const root = mkdtempSync(path.join(os.tmpdir(), 'procctl-public-'));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  for (const part of ['dist', 'bin', 'test/fixtures', 'examples', 'package.json', 'node_modules/node-gyp-build', 'build/Release/procctl.node', 'build/Release/procctl-init', 'prebuilds']) {
    const from = path.join(ROOT, part);
    if (existsSync(from)) cpSync(from, path.join(root, part), { recursive: true });
  }
  // The native init this run finds (next to a PROCCTL_ADDON build, or named by
  // PROCCTL_INIT), at the same place in the copy: command lines that name it
  // by its path in the checkout are rewritten to the copy.
  const inits = [process.env.PROCCTL_INIT, process.env.PROCCTL_ADDON && path.join(path.dirname(path.resolve(process.env.PROCCTL_ADDON)), 'procctl-init')];
  for (const file of inits) {
    if (!file) continue;
    const rel = path.relative(ROOT, path.resolve(file));
    if (!rel.startsWith('..') && !path.isAbsolute(rel) && existsSync(file)) cpSync(file, path.join(root, rel));
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (process.env.PROCCTL_ADDON) {
    const addon = path.join(root, 'addon', 'procctl.node');
    cpSync(path.resolve(process.env.PROCCTL_ADDON), addon);
    const init = path.join(path.dirname(path.resolve(process.env.PROCCTL_ADDON)), 'procctl-init');
    if (existsSync(init)) cpSync(init, path.join(root, 'addon', 'procctl-init'));
    env.PROCCTL_ADDON = addon;
  }
  const open = (dir: string): void => {
    chmodSync(dir, 0o755);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) open(full);
      else chmodSync(full, 0o755);
    }
  };
  open(root);
  publicCopyMade = { root, fixtures: path.join(root, 'test', 'fixtures'), bin: path.join(root, 'bin', 'procctl.js'), env };
  return publicCopyMade;
}

/**
 * Removes the public copy now. Call it from a suite's afterAll: vitest ends its
 * worker processes without an 'exit' event, so the exit hook alone leaves the
 * copy in the temp directory.
 */
export function removePublicCopy(): void {
  if (publicCopyMade === null) return;
  rmSync(publicCopyMade.root, { recursive: true, force: true });
  publicCopyMade = null;
}

/** `extra` over the public copy's environment, with PROCCTL_ADDON kept pointing into the copy. */
export function publicEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const pub = publicCopy();
  const env = { ...pub.env, ...extra };
  if (pub.env.PROCCTL_ADDON !== undefined) env.PROCCTL_ADDON = pub.env.PROCCTL_ADDON;
  return env;
}

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
  if (opts.asNobody) {
    // Paths into the checkout are paths into the world-readable copy for nobody.
    const pub = publicCopy();
    const argv = ['runuser', '-u', 'nobody', '--', 'script', '-qec', cmd.split(ROOT).join(pub.root), '/dev/null'];
    return [argv[0]!, argv.slice(1), { cwd: pub.root, env: publicEnv({ ...opts.env, SHELL: '/bin/bash' }) }];
  }
  const argv = ['script', '-qec', cmd, '/dev/null'];
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

/**
 * Runs `node test/fixtures/<name> ...args`. With a non-root `uid` the fixture
 * runs from the world-readable copy (see publicCopy).
 */
export function runFixture(name: string, args: string[] = [], opts: RunOptions = {}): Promise<RunResult> {
  if (opts.uid !== undefined && opts.uid !== 0) {
    const pub = publicCopy();
    return run(process.execPath, [path.join(pub.fixtures, name), ...args], { cwd: pub.root, ...opts, env: publicEnv(opts.env) });
  }
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

/** A fixture that reports JSON lines on stdout and takes commands on stdin, asked one step at a time. */
export interface InteractiveFixture {
  child: ChildProcess;
  /** The next JSON line (rejects if the fixture exits first). */
  next(): Promise<Record<string, any>>;
  /** Writes `line` and a newline to its stdin. */
  send(line: string): void;
  exited: Promise<{ code: number | null; stderr: string }>;
}

/**
 * Starts `node test/fixtures/<file> ...args` (`file` may also be a path of its
 * own, such as an example) for a step-by-step conversation; it is added to
 * {@link liveFixtures}.
 */
export function interactiveFixture(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): InteractiveFixture {
  const argv = [process.execPath, path.isAbsolute(file) ? file : path.join(FIXTURES, file), ...args];
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  liveFixtures.push(child);
  const queue: Record<string, any>[] = [];
  const waiting: Array<(v: Record<string, any>) => void> = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    const msg = JSON.parse(l) as Record<string, any>;
    if (waiting.length > 0) waiting.shift()!(msg);
    else queue.push(msg);
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return {
    child,
    next: () =>
      queue.length > 0
        ? Promise.resolve(queue.shift()!)
        : new Promise((resolve, reject) => {
            waiting.push(resolve);
            void exited.then(({ code }) => reject(new Error(`${file} exited (${code}) before its next report: ${stderr}`)));
          }),
    send: (line) => child.stdin!.write(`${line}\n`),
    exited,
  };
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
  volume: 'thousands of emulated spawns take minutes under qemu-user; the native runs check the growth',
} as const;
