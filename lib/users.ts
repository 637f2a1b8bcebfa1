/**
 * Users and groups by name or id, resolved in the parent before any fork or exec,
 * and the gosu-style `user[:group]` spec.
 *
 * Rules: a number is an id; a string of digits is an id too (as in
 * gosu); any other string is a name that must exist. Unknown names are errors,
 * never a silent run as root.
 */
import { invalidArgType, invalidArgValue, outOfRange } from './errors';
import { requireNative } from './platform';
import { MAX_GROUPS, validateArray, validateString, INT32_MAX } from './validate';

interface UsersNative {
  lookupUser(key: string | number): UserEntry | null;
  lookupGroup(key: string | number): GroupEntry | null;
  userGroupList(name: string, gid: number): number[];
}

/** A passwd entry. */
export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** A group entry. */
export interface GroupEntry {
  name: string;
  gid: number;
}

/** A user or group by name or numeric id. */
export type IdLike = string | number;

/** What spawn and exec ask for: the credentials to switch to. */
export interface CredentialOptions {
  /** User name or uid. Sets the uid, and the gid from the passwd entry unless `group` is given. */
  user?: IdLike;
  /** Group name or gid. */
  group?: IdLike;
  /**
   * Supplementary groups: names/ids, `'init'` for the user's groups from the group
   * database, `[]` to clear, `'keep'` to leave the caller's list as it is (Go's
   * NoSetGroups, setpriv's --keep-groups). When `user` is set and this is not,
   * they are cleared: root's groups never leak into a dropped process unless
   * `'keep'` says so.
   */
  groups?: readonly IdLike[] | 'init' | 'keep';
}

/** Resolved numeric credentials; null fields are left unchanged. */
export interface Credentials {
  uid: number | null;
  gid: number | null;
  /** The supplementary group list to set, or null to leave it. */
  groups: number[] | null;
  /** The passwd entry of the user, when there is one. */
  userEntry: UserEntry | null;
}

const MAX_ID = 0xfffffffe; // (uid_t)-1 means "unchanged" to the kernel

function users(): UsersNative {
  return requireNative<UsersNative>('spawn', 'getpwnam_r');
}

function parseId(value: IdLike, name: string): number | string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > MAX_ID) {
      throw outOfRange(name, `an integer id >= 0 && <= ${MAX_ID}`, value);
    }
    return value;
  }
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string or number', value);
  validateString(value, name);
  if (value === '') throw invalidArgValue(name, value, 'must not be empty');
  if (/^[0-9]+$/.test(value)) {
    const n = Number(value);
    if (n > MAX_ID) throw invalidArgValue(name, value, `must be an id 0..${MAX_ID}`);
    return n;
  }
  return value;
}

/** The passwd entry for a name or uid; null for a uid with no entry. Unknown names throw. */
export function lookupUser(value: IdLike, name = 'user'): UserEntry | null {
  const key = parseId(value, name);
  const entry = users().lookupUser(key);
  if (entry === null && typeof key === 'string') {
    throw invalidArgValue(name, value, 'is not a user in the passwd database');
  }
  return entry;
}

/** The gid for a group name or id. Unknown names throw. */
export function resolveGroup(value: IdLike, name = 'group'): number {
  const key = parseId(value, name);
  if (typeof key === 'number') return key;
  const entry = users().lookupGroup(key);
  if (entry === null) throw invalidArgValue(name, value, 'is not a group in the group database');
  return entry.gid;
}

/** The user's groups from the group database (initgroups semantics), primary gid included. */
export function userGroups(entry: UserEntry, gid = entry.gid): number[] {
  return [...new Set(users().userGroupList(entry.name, gid))];
}

/**
 * Resolves `{ user, group, groups }` to numbers. Throws ERR_INVALID_ARG_VALUE for
 * unknown names, `'init'` without a named user, or a numeric user with no passwd
 * entry and no `group` (its gid would otherwise silently stay root's).
 */
/** What resolveCredentials gives when nothing is asked for (most spawns). */
const UNCHANGED: Credentials = Object.freeze({ uid: null, gid: null, groups: null, userEntry: null });

export function resolveCredentials(opts: CredentialOptions, prefix = 'options'): Credentials {
  if (opts.user === undefined && opts.group === undefined && opts.groups === undefined) return UNCHANGED;
  let uid: number | null = null;
  let gid: number | null = null;
  let groups: number[] | null = null;
  let userEntry: UserEntry | null = null;

  if (opts.user !== undefined) {
    const key = parseId(opts.user, `${prefix}.user`);
    if (typeof key === 'number' && opts.group !== undefined && opts.groups !== 'init') {
      // An id with its group given: the passwd entry would add nothing (its gid
      // is overridden, its groups not asked for), so it is not read.
      uid = key;
    } else {
      userEntry = lookupUser(opts.user, `${prefix}.user`);
      uid = userEntry ? userEntry.uid : (key as number);
      if (userEntry) gid = userEntry.gid;
    }
  }
  if (opts.group !== undefined) gid = resolveGroup(opts.group, `${prefix}.group`);
  if (uid !== null && gid === null) {
    throw invalidArgValue(`${prefix}.user`, opts.user, 'has no passwd entry, so its group is unknown: give options.group too');
  }

  if (opts.groups === 'init') {
    if (userEntry === null) {
      throw invalidArgValue(`${prefix}.groups`, 'init', "needs options.user naming a user in the passwd database");
    }
    groups = userGroups(userEntry, gid ?? userEntry.gid);
  } else if (opts.groups === 'keep') {
    groups = null;
  } else if (opts.groups !== undefined) {
    if (!Array.isArray(opts.groups)) {
      throw invalidArgType(`${prefix}.groups`, "an array of group names/ids, 'init' or 'keep'", opts.groups);
    }
    const list = validateArray(opts.groups, `${prefix}.groups`, MAX_GROUPS);
    groups = [...new Set(list.map((g, i) => resolveGroup(g as IdLike, `${prefix}.groups[${i}]`)))];
  } else if (uid !== null) {
    // Secure default (CPython CVE-2023-6507): a dropped uid never keeps root's groups.
    groups = [];
  }
  return { uid, gid, groups, userEntry };
}

/** A parsed gosu-style `user[:group]` spec. */
export interface UserSpec extends Credentials {
  /** HOME for the target user: the passwd entry's home, or `/`. */
  home: string;
}

/**
 * Parses `USER[:GROUP]` with gosu's rules: numeric fields are ids, names must
 * exist, USER alone brings the user's supplementary groups from the group database,
 * USER:GROUP brings exactly GROUP, an empty USER keeps the current user. HOME comes
 * from the passwd entry, or `/`.
 */
export function parseUserSpec(spec: string): UserSpec {
  validateString(spec, 'spec');
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? null : spec.slice(colon + 1);

  let entry: UserEntry | null = null;
  let uid: number;
  if (userPart === '') {
    uid = process.getuid ? process.getuid() : 0;
    entry = users().lookupUser(uid);
  } else {
    entry = lookupUser(userPart, 'user');
    uid = entry ? entry.uid : (parseId(userPart, 'user') as number);
  }
  if (uid > INT32_MAX && uid > MAX_ID) throw invalidArgValue('user', userPart, 'is out of range');

  let gid: number;
  let groups: number[];
  if (groupPart !== null && groupPart !== '') {
    gid = resolveGroup(groupPart, 'group');
    groups = [gid];
  } else {
    if (entry === null) {
      throw invalidArgValue('user', userPart, 'has no passwd entry: give USER:GROUP');
    }
    gid = entry.gid;
    groups = userGroups(entry, gid);
  }
  return { uid, gid, groups, userEntry: entry, home: entry && entry.home ? entry.home : '/' };
}
