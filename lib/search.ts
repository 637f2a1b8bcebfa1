/**
 * The PATH search shared by execvp, spawn and `procctl exec`.
 *
 * A relative PATH entry (`''`, `.`, `bin`) names a directory relative to the
 * current directory, so whoever controls that directory chooses the program:
 * with `PATH=:/usr/bin`, root's `exec nobody id` would run `./id`. As Go does
 * since 1.19 (os/exec's ErrDot), a lookup that would resolve through a relative
 * entry fails unless the caller opts in, and relative entries are otherwise
 * skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateString, validateStringArray } from './validate';

/** execvp(3)'s search path when the environment has no PATH (glibc's _CS_PATH). */
export const DEFAULT_PATH = '/bin:/usr/bin';

/**
 * The PATH that execvp and spawn search: that of the environment being passed
 * (normalizeEnv has left one PATH= at most; `null` for process.env, which spawn
 * reads live), else DEFAULT_PATH.
 */
export function searchPathOf(envp: readonly string[] | null): string {
  if (envp === null) return process.env.PATH ?? DEFAULT_PATH;
  return pathOfChecked(validateStringArray(envp, 'envp'));
}

/** searchPathOf for an envp this module's callers have already validated. */
export function pathOfChecked(envp: readonly string[] | null): string {
  if (envp === null) return process.env.PATH ?? DEFAULT_PATH;
  for (let i = envp.length - 1; i >= 0; i--) {
    if (envp[i]!.startsWith('PATH=')) return envp[i]!.slice(5);
  }
  return DEFAULT_PATH;
}

/** execvp(3)'s candidates: `file` itself when it has a slash, else one per PATH entry, in order. */
export function searchCandidates(file: string, searchPath: string): string[] {
  validateString(file, 'file');
  validateString(searchPath, 'searchPath');
  if (file.includes('/')) return [file];
  if (file === '') return [];
  // An empty PATH entry means the current directory, as in execvp(3).
  return searchPath.split(':').map((dir) => (dir === '' ? file : `${dir.replace(/\/+$/, '')}/${file}`));
}

/** The error for a lookup that would run a program found through a relative PATH entry. */
export interface RelativePathError extends Error {
  code: 'ERR_RELATIVE_PATH_LOOKUP';
  /** The program as asked for. */
  file: string;
  /** The relative candidate that would have run (e.g. `./id`, or `id` for an empty entry). */
  path: string;
}

function relativePathError(file: string, candidate: string, entry: string): RelativePathError {
  const shown = candidate.includes('/') ? candidate : `./${candidate}`;
  const err = new Error(
    `'${file}' resolves to '${shown}' through the relative PATH entry '${entry}' (relative to the current directory); ` +
      `refused: give a path with a slash to run it, or pass allowRelativePath: true`,
  ) as RelativePathError;
  err.code = 'ERR_RELATIVE_PATH_LOOKUP';
  err.file = file;
  err.path = candidate;
  return err;
}

function isExecutableFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * The candidates to try for `file`: searchCandidates, with relative PATH entries
 * removed, unless `allowRelative`. If the first executable the search would
 * reach sits behind a relative entry (checked against `cwd`, where the new
 * program will start), throws ERR_RELATIVE_PATH_LOOKUP instead. Costs nothing
 * extra when PATH has no relative entry.
 */
export function lookupCandidates(file: string, searchPath: string, opts: { cwd?: string | null; allowRelative?: boolean } = {}): string[] {
  const all = searchCandidates(file, searchPath);
  if (file.includes('/') || opts.allowRelative === true) return all;
  const entries = searchPath.split(':');
  if (entries.every((dir) => dir.startsWith('/'))) return all;
  const base = opts.cwd === undefined || opts.cwd === null ? process.cwd() : path.resolve(process.cwd(), opts.cwd);
  const out: string[] = [];
  let foundAbsolute = false;
  for (let i = 0; i < entries.length; i++) {
    const candidate = all[i]!;
    if (entries[i]!.startsWith('/')) {
      out.push(candidate);
      if (!foundAbsolute && isExecutableFile(candidate)) foundAbsolute = true;
    } else if (!foundAbsolute && isExecutableFile(path.resolve(base, candidate))) {
      throw relativePathError(file, candidate, entries[i]!);
    }
  }
  return out;
}
