/**
 * cgroup v2, found where it is mounted: /sys/fs/cgroup on a pure v2 host,
 * /sys/fs/cgroup/unified on a hybrid one (v1 controllers beside it), anywhere a
 * container mounted it, or nowhere. Everything here reads /proc/self/mountinfo
 * and /proc/self/cgroup; nothing assumes a path.
 *
 * Failures are SystemErrors with stage 'cgroup' and the path they are about,
 * never a silent fallback: a caller that asked for a cgroup gets one or an error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemError, errnoOf } from './errors';
import { requireNative } from './platform';

interface CgroupNative {
  /** [fd, dir] made and opened, or [-errno, dir, step] (0 own cgroup, 1 mkdir, 2 open, 3 not cgroup v2). */
  cgroupMake(parent: string, mountPoint: string, mountRoot: string, name: string): [number, string, number?];
}

/** A cgroup v2 mount: where it is, and which cgroup its root directory is (in a cgroup namespace, '/'). */
interface Cgroup2Mount {
  mountPoint: string;
  root: string;
}

/** mountinfo escapes space, tab, newline and backslash as \\ooo. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/**
 * The mount is looked up once (mountinfo is long to parse, and spawn with
 * `cgroup: 'new'` needs it every time) and again only when the cached mount
 * point stops being a cgroup v2 root.
 */
let cachedMount: Cgroup2Mount | null | undefined;

function readCgroup2Mount(): Cgroup2Mount | null {
  if (cachedMount !== undefined && (cachedMount === null || fs.existsSync(path.join(cachedMount.mountPoint, 'cgroup.procs')))) {
    return cachedMount;
  }
  cachedMount = parseCgroup2Mount();
  return cachedMount;
}

/** The cached mount as it is (makeCgroup checks what it made instead), or parsed afresh. */
function cgroup2MountUnchecked(fresh: boolean): Cgroup2Mount | null {
  if (fresh || cachedMount === undefined || cachedMount === null) cachedMount = parseCgroup2Mount();
  return cachedMount;
}

function parseCgroup2Mount(): Cgroup2Mount | null {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const fstype = line.slice(dash + 3).split(' ')[0];
    if (fstype !== 'cgroup2') continue;
    const fields = line.slice(0, dash).split(' ');
    if (fields.length < 5) continue;
    return { root: unescapeMountField(fields[3]!), mountPoint: unescapeMountField(fields[4]!) };
  }
  return null;
}

/** Where the cgroup v2 hierarchy is mounted in this mount namespace, or null when it is not. */
export function cgroup2MountPoint(): string | null {
  return readCgroup2Mount()?.mountPoint ?? null;
}

/** The cgroup v2 path of `pid` ('self' by default) as /proc shows it ('0::/a/b' -> '/a/b'), or null. */
export function cgroupOf(pid: number | 'self' = 'self'): string | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('0::')) return line.slice(3);
  }
  return null;
}

/**
 * The directory of `pid`'s cgroup v2 (default: this process), or null when
 * there is no cgroup v2 mount, or that cgroup is outside what the mount shows.
 */
export function cgroupDirectoryOf(pid: number | 'self' = 'self'): string | null {
  const mount = readCgroup2Mount();
  const own = cgroupOf(pid);
  if (mount === null || own === null) return null;
  const root = mount.root === '/' ? '' : mount.root;
  if (own !== root && !own.startsWith(`${root}/`) && root !== '') return null;
  return path.join(mount.mountPoint, own.slice(root.length));
}

/** A SystemError for a cgroup operation, naming the path. */
export function cgroupError(err: unknown, where: string, what: string): SystemError {
  const code = (err as { code?: unknown }).code;
  const errno = typeof code === 'string' ? safeErrno(code) : errnoOf('EIO');
  return new SystemError(errno, 'cgroup', { stage: 'cgroup', path: where, context: `${what} '${where}'` });
}

function safeErrno(code: string): number {
  try {
    return errnoOf(code);
  } catch {
    return errnoOf('EIO');
  }
}

let created = 0;

function noVisibleCgroup(): SystemError {
  return new SystemError(errnoOf('ENOENT'), 'cgroup', {
    stage: 'cgroup',
    context: 'no cgroup v2 hierarchy is mounted (or this process\'s cgroup is not visible in it)',
  });
}

/**
 * Creates a fresh cgroup under `parent` (default: this process's own cgroup v2
 * directory) and opens it (O_RDONLY | O_DIRECTORY, close-on-exec), for clone3's
 * CLONE_INTO_CGROUP. Errors: ENOENT when there is no cgroup v2 hierarchy, the
 * mkdir's or open's errno (EACCES, EROFS, ...) otherwise; stage 'cgroup'. A
 * cgroup whose open fails is removed again.
 *
 * spawn({ cgroup: 'new' }) comes here every time, so the addon does the work in
 * one call (read /proc/self/cgroup, mkdir, open, and check that what it opened
 * is cgroup v2) against the cached mount, which is parsed again only when that
 * fails as a moved mount would.
 */
export function makeCgroup(parent?: string): { dir: string; fd: number } {
  // This process's own cgroup is one by construction; a given parent is checked.
  if (parent !== undefined) assertCgroup2Directory(parent);
  const native = requireNative<CgroupNative>('cgroups', 'cgroup');
  let name = `procctl-${process.pid}-${++created}`;
  let taken = 0;
  let reparsed = false;
  for (;;) {
    let mount: Cgroup2Mount | null = null;
    if (parent === undefined) {
      mount = cgroup2MountUnchecked(false);
      if (mount === null) throw noVisibleCgroup();
    }
    const [r, dir, step] = native.cgroupMake(parent ?? '', mount?.mountPoint ?? '', mount?.root ?? '/', name);
    if (r >= 0) return { dir, fd: r };
    // The name is taken: left by an earlier process that had this pid (a cgroup
    // still populated at exit stays). Take the next one.
    if (step === 1 && r === -errnoOf('EEXIST') && ++taken < 1000) {
      name = `procctl-${process.pid}-${++created}`;
      continue;
    }
    // A failure a moved or unmounted cgroup2 would also give: parse mountinfo
    // again, and try again once if the mount is not the one that was cached.
    if (mount !== null && !reparsed && step !== 2) {
      reparsed = true;
      const fresh = cgroup2MountUnchecked(true);
      if (fresh === null) throw noVisibleCgroup();
      if (fresh.mountPoint !== mount.mountPoint || fresh.root !== mount.root) continue;
    }
    if (step === 0) throw noVisibleCgroup();
    if (step === 3) {
      throw new SystemError(errnoOf('ENOTDIR'), 'cgroup', { stage: 'cgroup', path: dir, context: `not a cgroup v2 directory '${dir}'` });
    }
    const what = step === 1 ? 'cannot create cgroup' : 'cannot open cgroup';
    throw new SystemError(-r, 'cgroup', { stage: 'cgroup', path: dir, context: `${what} '${dir}'` });
  }
}

/**
 * Creates a fresh cgroup under `parent` (default: this process's own cgroup v2
 * directory) and returns its path; the errors of makeCgroup.
 */
export function createCgroup(parent?: string): string {
  const { dir, fd } = makeCgroup(parent);
  fs.closeSync(fd);
  return dir;
}

/**
 * Throws unless `dir` is a cgroup v2 directory: ENOENT when it does not exist,
 * ENOTDIR when it is something else (a v1 cgroup, a plain directory); stage 'cgroup'.
 */
export function assertCgroup2Directory(dir: string): void {
  if (isCgroup2Directory(dir)) return;
  const missing = !fs.existsSync(dir);
  throw new SystemError(errnoOf(missing ? 'ENOENT' : 'ENOTDIR'), 'cgroup', {
    stage: 'cgroup',
    path: dir,
    context: `${missing ? 'no such cgroup' : 'not a cgroup v2 directory'} '${dir}'`,
  });
}

/**
 * True when `dir` is a cgroup of a v2 hierarchy: it has cgroup.procs, and
 * cgroup.events (every v2 cgroup but the root has it) or it is the v2 root.
 * A v1 cgroup has cgroup.procs but neither.
 */
export function isCgroup2Directory(dir: string): boolean {
  if (!fs.existsSync(path.join(dir, 'cgroup.procs'))) return false;
  return fs.existsSync(path.join(dir, 'cgroup.events')) || isCgroup2Root(dir);
}

function isCgroup2Root(dir: string): boolean {
  const mount = readCgroup2Mount();
  return mount !== null && path.resolve(dir) === path.resolve(mount.mountPoint);
}

/**
 * Removes the cgroup at `dir` and every empty cgroup below it, deepest first.
 * Returns false (and leaves what is left) when a cgroup still holds processes.
 */
export function removeCgroup(dir: string): boolean {
  // Most cgroups have no child cgroups: rmdir first, walk only when it is refused.
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') return true;
    if (code !== 'EBUSY' && code !== 'ENOTEMPTY') return false;
  }
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    return (err as { code?: string }).code === 'ENOENT';
  }
  const subdirs = entries.filter((e) => e.isDirectory());
  if (subdirs.length === 0) return false;  // refused for its own processes
  let ok = true;
  for (const e of subdirs) if (!removeCgroup(path.join(dir, e.name))) ok = false;
  if (!ok) return false;
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'ENOENT';
  }
}

/** Whether the cgroup (or any below it) still holds a process: cgroup.events 'populated'. */
export function cgroupPopulated(dir: string): boolean {
  try {
    return /^populated 1$/m.test(fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

/** The cgroup directories at and below `dir`, parents first. */
function cgroupTree(dir: string): string[] {
  const out = [dir];
  for (let i = 0; i < out.length; i++) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(out[i]!, { withFileTypes: true });
    } catch (err) {
      // Removed meanwhile (below the top): nothing there any more.
      if (i > 0 && (err as { code?: string }).code === 'ENOENT') continue;
      throw cgroupError(err, out[i]!, 'cannot list cgroup');
    }
    for (const e of entries) if (e.isDirectory()) out.push(path.join(out[i]!, e.name));
  }
  return out;
}

/**
 * The pids in `dir`'s cgroup.procs and in that of every cgroup below it (the
 * processes a cgroup.kill or a freeze of `dir` reaches).
 */
export function cgroupProcs(dir: string): number[] {
  const pids: number[] = [];
  for (const d of cgroupTree(dir)) {
    const file = path.join(d, 'cgroup.procs');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if (d !== dir && (err as { code?: string }).code === 'ENOENT') continue;
      throw cgroupError(err, file, 'cannot read');
    }
    for (const line of text.split('\n')) if (line !== '') pids.push(Number(line));
  }
  return pids;
}

/**
 * Writes `value` to a cgroup interface file. O_WRONLY, no O_CREAT: some of
 * them (cgroup.kill) cannot be opened for reading, and none may be created.
 */
export function writeCgroupFile(dir: string, name: string, value: string): void {
  const file = path.join(dir, name);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY);
  } catch (err) {
    throw cgroupError(err, file, 'cannot open');
  }
  try {
    fs.writeSync(fd, value);
  } catch (err) {
    throw cgroupError(err, file, `cannot write '${value}' to`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * SIGKILL to every process in `dir` and below, at once, by the kernel
 * (cgroup.kill, Linux 5.14+). Returns false, having done nothing, where the
 * cgroup has no cgroup.kill (older kernel) or refuses it (EOPNOTSUPP: a
 * threaded cgroup); any other failure (EROFS, EACCES) throws.
 */
export function killCgroup(dir: string): boolean {
  try {
    writeCgroupFile(dir, 'cgroup.kill', '1');
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EOPNOTSUPP') return false;
    throw err;
  }
}

/** The value of `key` ('populated', 'frozen') in `dir`'s cgroup.events, or null when unreadable. */
export function cgroupEvent(dir: string, key: 'populated' | 'frozen'): number | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8');
  } catch {
    return null;
  }
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
}

/**
 * Resolves true once `dir`'s cgroup.events shows `key value` (say 'frozen 1',
 * or 'populated 0'), false after `timeoutMs`. Driven by inotify on
 * cgroup.events (the kernel reports every change there as a modification);
 * a slow re-check every `recheckMs` covers a watch that cannot be set up or
 * misses an event.
 */
export function waitCgroupEvent(dir: string, key: 'populated' | 'frozen', value: number, timeoutMs: number, recheckMs = 100): Promise<boolean> {
  return new Promise((resolve) => {
    let watcher: fs.FSWatcher | null = null;
    let recheck: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const finish = (ok: boolean): void => {
      watcher?.close();
      watcher = null;
      clearInterval(recheck);
      clearTimeout(deadline);
      resolve(ok);
    };
    const check = (): boolean => {
      if (cgroupEvent(dir, key) !== value) return false;
      finish(true);
      return true;
    };
    try {
      // Set up before the first check, so a change between the two is seen.
      watcher = fs.watch(path.join(dir, 'cgroup.events'), { persistent: false }, () => check());
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
      });
    } catch {
      watcher = null;
    }
    if (check()) return;
    recheck = setInterval(check, recheckMs);
    deadline = setTimeout(() => finish(cgroupEvent(dir, key) === value), timeoutMs);
  });
}

/** Whether `candidate` is the cgroup directory `dir` or one below it (both resolved through symlinks). */
export function cgroupContains(dir: string, candidate: string): boolean {
  const real = (p: string): string => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const base = real(dir);
  const c = real(candidate);
  return c === base || c.startsWith(`${base}/`);
}
