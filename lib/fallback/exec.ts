/**
 * exec where it cannot be done in place (Windows, or no native addon): the
 * program is spawned with the same stdio, SIGINT/SIGTERM/SIGHUP sent to this
 * process are forwarded to it, and this process exits with its exit status
 * (128 + n when a signal ended it), as a shell that ran `exec` would seem to.
 *
 * Differences from a real exec, documented in docs/exec.md: the PID changes; the
 * call returns (to a caller that should do nothing more) and the event loop
 * keeps running until the program ends; the program is started once queued
 * stdout/stderr writes are flushed.
 */
import type { StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import { constants } from 'node:os';
import * as path from 'node:path';
import { SystemError, errnoOf } from '../errors';
import { registerOwnedChild, releaseOwnedChild } from '../children';
import { _exit, flushStdio } from '../process';

export interface EmulatedExec {
  argv: string[];
  envp: string[];
  cwd?: string;
  inheritFds: number[];
  flushStdio: boolean;
}

/** Signals forwarded to the program. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function envObject(envp: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const entry of envp) {
    const eq = entry.indexOf('=');
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** The first candidate this process may execute, or the error execve would give. */
function resolveProgram(file: string, candidates: string[], cwd: string | undefined, envp: string[]): string {
  const base = cwd === undefined ? process.cwd() : path.resolve(process.cwd(), cwd);
  let eacces: string | null = null;
  const exts =
    process.platform === 'win32'
      ? ['', ...(envObject(envp).PATHEXT ?? process.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean)]
      : [''];
  for (const candidate of candidates) {
    for (const ext of exts) {
      const abs = path.resolve(base, candidate + ext);
      try {
        const st = fs.statSync(abs);
        if (st.isDirectory()) {
          eacces ??= candidate + ext;
          continue;
        }
        fs.accessSync(abs, fs.constants.X_OK);
        return abs;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM') eacces ??= candidate + ext;
      }
    }
  }
  if (eacces !== null) throw new SystemError(errnoOf('EACCES'), 'execve', { path: eacces, stage: 'execve' });
  throw new SystemError(errnoOf('ENOENT'), 'execve', { path: file, stage: 'execve' });
}

/**
 * Emulates exec: see the module comment. Throws (changing nothing) when no
 * candidate can be run; otherwise returns to a caller that must do nothing more.
 */
export function emulateExec(call: string, file: string, candidates: string[], opts: EmulatedExec): void {
  const program = resolveProgram(file, candidates, opts.cwd, opts.envp);
  const top = Math.max(2, ...opts.inheritFds);
  const stdio: StdioOptions = [];
  for (let fd = 0; fd <= top; fd++) stdio.push(fd <= 2 ? 'inherit' : opts.inheritFds.includes(fd) ? fd : 'ignore');

  const start = (): void => {
    // node:child_process only here, where the emulation runs, not when procctl loads.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    // Forwarding is in place before the program exists: a signal that arrives
    // while it is being started waits and is sent right after, never lost.
    let child: ReturnType<typeof spawn> | null = null;
    const early: NodeJS.Signals[] = [];
    const forward = (signal: NodeJS.Signals): void => {
      if (child === null) early.push(signal);
      else child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    child = spawn(program, opts.argv.slice(1), {
      argv0: opts.argv[0],
      env: envObject(opts.envp),
      cwd: opts.cwd,
      stdio,
      windowsHide: false,
    });
    for (const signal of early.splice(0)) child.kill(signal);
    if (child.pid !== undefined) registerOwnedChild(child.pid, `${call}-fallback`);
    child.on('error', (err: NodeJS.ErrnoException) => {
      // The program could not be started after all (it changed since the check).
      process.stderr.write(`procctl ${call}: ${err.message}\n`, () => _exit(err.code === 'ENOENT' ? 127 : 126));
    });
    child.on('exit', (code, signal) => {
      if (child.pid !== undefined) releaseOwnedChild(child.pid);
      const status = code ?? 128 + ((signal && (constants.signals as Record<string, number>)[signal]) || 0);
      _exit(status & 0xff);
    });
  };

  if (opts.flushStdio) {
    flushStdio().then(start, start);
  } else {
    start();
  }
}
