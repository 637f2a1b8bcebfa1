/** Helpers shared by the CLI commands. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { signalName, signalNumber } from '../signals';
import { UsageError } from './args';

/** `TERM`, `SIGTERM`, `sigterm` or `15` -> 15; `0` only when allowed. */
export function parseSignalArg(text: string, what: string, allowZero = false): number {
  const t = text.trim();
  if (/^[0-9]+$/.test(t)) {
    const n = Number(t);
    if (n === 0 && allowZero) return 0;
    if (n >= 1 && n <= 31 && signalName(n) !== null) return n;
    throw new UsageError(`${what}: '${text}' is not a signal number 1..31${allowZero ? ' (or 0)' : ''}`);
  }
  const upper = t.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const n = signalNumber(name);
  if (n === undefined || n > 31) throw new UsageError(`${what}: unknown signal '${text}'`);
  return n;
}

export function parseIntArg(text: string, what: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(text.trim())) throw new UsageError(`${what}: '${text}' is not a number`);
  const n = Number(text.trim());
  if (n < min || n > max) throw new UsageError(`${what}: ${n} is out of range ${min}..${max}`);
  return n;
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** One line on stderr, prefixed with the command (`procctl: ...` when there is none). */
export function complain(command: string, message: string): void {
  process.stderr.write(`${command ? `procctl ${command}` : 'procctl'}: ${message}\n`);
}

/**
 * A Node-style argument error in the CLI's words: "The argument 'user' is not a
 * user in the passwd database. Received 'bob'" -> "'bob' is not a user in the
 * passwd database". Anything else: errorText().
 */
export function argErrorText(err: unknown): string {
  if (err instanceof Error) {
    const value = /^The argument '[^']*' (.*?)\.? Received (.*)$/s.exec(err.message);
    if (value) return `${value[2]} ${value[1]}`;
    const range = /^The value of "[^"]*" is out of range\. It must be (.*?)\.? Received (.*)$/s.exec(err.message);
    if (range) return `${range[2]} is out of range (it must be ${range[1]})`;
  }
  return errorText(err);
}

/** The strerror-like text of a SystemError-ish error ('No such file or directory'). */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const m = /^[A-Z0-9]+: ([^,]+)/.exec(err.message);
    if (m && (err as { code?: unknown }).code) return m[1]!;
    return err.message;
  }
  return String(err);
}

/** Shell-style exit status for a failure to start `file`: 127 not found, 126 found but not runnable. */
export function execFailureStatus(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' ? 127 : 126;
}
