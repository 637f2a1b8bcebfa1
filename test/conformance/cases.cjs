'use strict';
/**
 * The conformance cases, as data. Each is run by the Go driver (os/exec +
 * SysProcAttr) and by the procctl driver from the same description, both
 * starting the probe; the harness compares what the two probes report.
 *
 *   name      unique, kebab-case (the harness CLI and `vitest -t` select by it)
 *   about     what a user writes, in one line
 *   options   procctl spawn options as a user writes them; the Go driver maps
 *             each to its Go counterpart (driver.go). Strings may use `$work`
 *             (the case's work directory); `Infinity` is unlimited; stdio
 *             entries may also be {file, flags} (opened by the driver, the fd
 *             passed) or {fd: N} (the driver's inherited fd N), and `cgroup`
 *             {file, flags: 'directory'} (a directory opened by the driver, the
 *             fd passed); `$cgroup` is the case's own cgroup (`cgroup: true`).
 *             Without `stdio`, ['inherit', 'inherit', 'inherit'] is used (the
 *             drivers' own 0..2: /dev/null and a log file) unless
 *             `baseStdio: false`.
 *   file/args the program to start (default: the probe, no arguments)
 *   parent    the state the wrapper (parent.c) puts the driver in: pty ('ctty':
 *             the driver leads a session whose terminal is a new pty on fd 0;
 *             'free': a pty no session controls on fd 0), groups, umask, ignore
 *             and block (signal names), fds [{fd, path, mode}], nonblock [fd],
 *             rlimits {name: [soft, hard]} ('-' keeps), ambient and dropBound
 *             (capability names), noNewPrivs, env (variables added to the
 *             drivers' fixed environment, e.g. a PATH), mountProc (a directory
 *             under $work where proc is mounted, in a private mount namespace
 *             the driver runs in: a chroot's /proc)
 *   fixtures  {name: 'group' | 'session'}: a sleeper each driver starts first,
 *             in a new process group (or session); "$name" in options is its pid
 *   setup     files under $work: {'dir/': {mode, owner}, 'file': {mode, owner,
 *             text}, 'file': {probe: true}} (a copy of the probe), 'node':
 *             {device: [major, minor]} (a character device)
 *   cgroup    true: a cgroup v2 made next to the harness's own for each side and
 *             removed after it ($cgroup in options, '<case>' in reports)
 *   needs     'cgroup2': a writable cgroup v2 where the harness runs; without
 *             it the case is skipped and says why
 *   refused   both sides must fail to start with this errno
 *   differs   a deliberate difference: {reason, fields: {field: {go, procctl}}}
 *             lists every field that differs, with both normalised values
 *             (null: the field is absent on that side)
 *   procctlOnly  an option Go 1.19 has no counterpart for: {options, reason,
 *             fields}. `options` (names, or `capabilities.bounding` for one
 *             key) are left out of the Go side only; `fields` lists what
 *             procctl's child then shows that Go's does not, as in `differs`
 *             (`start` for a refusal only procctl makes). Named procctl-only-*.
 *   restatesDefault  options given at procctl's default value (the
 *             self-test does not expect dropping them to change anything)
 *   fix       the change procctl needs before this case can pass (the case
 *             asserts Go's behaviour meanwhile; nothing is skipped)
 *
 * Field names are the harness's flattened report (harness.cjs flatten()):
 * start, exit, report, pid, ppid, pgid, sid, tty, tpgid, uid, gid, groups,
 * caps.*, sig.blocked/ignored/caught, umask, seccomp, fd.N, cwd, root,
 * root.dir, argv, env, rlimit.*, prctl.*, sched.policy/priority/nice/affinity/
 * ioprio, oom_score_adj, ns.*, cgroup, uid_map, gid_map, setgroups, hostname.
 *
 * Adding a spawn option: add cases using it here, and its mapping in
 * driver.go's option switch (the procctl driver passes options through
 * unchanged); an option Go 1.19 cannot express gets procctl-only cases.
 */

const ENV = { HOME: '/nonexistent', PATH: '/usr/bin:/bin' };

/**
 * A root directory to chroot into: the static probe as /bin/probe (bin is
 * world-writable for its report), /sub, and /proc mounted by the wrapper in a
 * private mount namespace (the probe reads /proc/self).
 */
const CHROOT_SETUP = {
  'root/': {},
  'root/proc/': {},
  'root/sub/': {},
  'root/bin/': { mode: 0o1777 },
  'root/bin/probe': { probe: true, mode: 0o755 },
  'root/dev/': {},
  'root/dev/tty': { device: [5, 0], mode: 0o666 },
};
/** The same without /dev (a minimal root: a static program and /proc). */
const CHROOT_SETUP_NO_DEV = Object.fromEntries(Object.entries(CHROOT_SETUP).filter(([k]) => !k.startsWith('root/dev/')));
const CHROOT_PARENT = { mountProc: 'root/proc' };

// Defects found by the suite: each case asserts Go's behaviour until procctl is fixed.
const FIX_SETGROUPS_WITHOUT_GID_MAP = "procctl writes 'deny' to /proc/<pid>/setgroups for every new user namespace (userNamespaceSetgroups defaults to false); Go writes setgroups only together with GidMappings, so without a gidMap the child's setgroups stays 'allow' (write 'deny' only with a gidMap, as docs/spawn.md's \"Go's default\" says, or name this a deliberate difference)";
const FIX_ROOT_AMBIENT_DUMPABLE = "capabilities.ambient without a drop (uid 0) narrows the child's permitted set to the ambient ones before exec; exec as root then grows it back to the full set, and the kernel marks a process whose permitted set grew non-dumpable, so the program starts with dumpable 0 (no core dumps, /proc/<pid> root-owned); Go only adds the capabilities, and its child is dumpable (keep the permitted set of a uid-0 child, or narrow it only with a drop)";
const FIX_GUARD_AFTER_CHROOT = "the terminal guard asks for /dev/tty after the chroot, where a minimal root has no /dev: ENOENT counts as 'may have a terminal', so a dropped child without any controlling terminal gets the seccomp filter (Seccomp 2); Go's child has none, and docs/spawn.md says a child with no terminal gets no filter (check before the chroot, where /dev/tty is the caller's)";

const FIX_CGROUP_NAMESPACE_ROOT = "with cgroup and namespaces ['cgroup'], the clone and fork engines (used for every user namespace, and where clone3 is missing) create the cgroup namespace at the clone, rooted at the caller's cgroup, and join the cgroup after: the child sees itself at /procctl-<pid>-N and its parent at /, where clone3 (CLONE_INTO_CGROUP) roots the namespace at the new cgroup (the child at /, the parent at /..). Join first and unshare(CLONE_NEWCGROUP) after, on those engines";

/** Why the cgroup cases are procctl-only. */
const NO_CGROUP_FD = "Go 1.19's SysProcAttr has no UseCgroupFD/CgroupFD (added in Go 1.20): a Go 1.19 program can only move the child into a cgroup after Start, when it already runs; the case asserts procctl's /proc/self/cgroup and that nothing else differs";
const NO_BOUNDING = 'Go has no SysProcAttr field for the bounding set (AmbientCaps only): the case asserts procctl\'s CapBnd and that nothing else differs';

/** The probe's view of a 'new' cgroup procctl made under the harness's (the driver's) own. */
const NEW_CGROUP = '/procctl-<driver>-1';

module.exports = [
  // ---- one option at a time -------------------------------------------------
  {
    name: 'baseline',
    about: "stdio 'inherit' and nothing else",
    options: {},
  },
  {
    name: 'defaults',
    about: 'no options at all',
    baseStdio: false,
    options: {},
    differs: {
      reason: "procctl's stdio default is 'pipe' for 0..2 (as child_process); Go's nil Stdin/Stdout/Stderr is the null device",
      fields: {
        'fd.0': { go: 'r /dev/null', procctl: 'r pipe' },
        'fd.1': { go: 'w /dev/null', procctl: 'w pipe' },
        'fd.2': { go: 'w /dev/null', procctl: 'w pipe' },
      },
    },
  },
  {
    name: 'argv0',
    about: "argv0 'renamed' with two arguments",
    args: ['one', 'two'],
    options: { argv0: 'renamed' },
  },
  {
    name: 'env-object',
    about: 'env as an object: exactly those variables, in key order',
    options: { env: { ZED: 'last-key-first', ALPHA: '1', EMPTY: '' } },
  },
  {
    name: 'env-array-duplicates',
    about: 'env as an array with a duplicate key: the last one wins, in its place',
    options: { env: ['A=first', 'B=2', 'A=second', 'C=3'] },
  },
  {
    name: 'env-empty',
    about: 'env {}: an empty environment',
    options: { env: {} },
  },
  {
    name: 'cwd-explicit-env',
    about: 'cwd with an explicit env: the env is passed as given',
    setup: { 'dir/': {} },
    options: { cwd: '$work/dir', env: { ...ENV, PWD: '/somewhere/else' } },
  },
  {
    name: 'cwd-inherited-env',
    about: "cwd with the parent's env: PWD names the new directory",
    setup: { 'dir/': {} },
    options: { cwd: '$work/dir' },
  },
  {
    name: 'cwd-relative-inherited-env',
    about: "a relative cwd with the parent's env: PWD is the absolute path",
    setup: { 'dir/': {} },
    options: { cwd: 'dir' },
  },
  {
    name: 'stdio-ignore-stdin',
    about: "stdio ['ignore', 'inherit', 'inherit']",
    options: { stdio: ['ignore', 'inherit', 'inherit'] },
  },
  {
    name: 'stdio-ignore-output',
    about: "stdio ['inherit', 'ignore', 'ignore']",
    options: { stdio: ['inherit', 'ignore', 'ignore'] },
  },
  {
    name: 'stdio-pipe',
    about: "stdio 'pipe'",
    options: { stdio: 'pipe' },
    restatesDefault: ['stdio'],
  },
  {
    name: 'stdio-files',
    about: 'stdio as opened files: fd 0 read, fd 1 append, fd 2 write',
    setup: { in: { text: 'input' } },
    options: { stdio: [{ file: '$work/in', flags: 'r' }, { file: '$work/out', flags: 'a' }, { file: '$work/err', flags: 'w' }] },
  },
  {
    name: 'extra-files',
    about: "fds 3 and 4 (Go's ExtraFiles)",
    setup: { a: { text: 'a' }, b: { text: 'b' } },
    options: { stdio: ['inherit', 'inherit', 'inherit', { file: '$work/a', flags: 'r' }, { file: '$work/b', flags: 'r+' }] },
  },
  {
    name: 'extra-files-gap',
    about: 'fd 3 left closed, fd 4 a file',
    options: { stdio: ['inherit', 'inherit', 'inherit', null, { file: '$work/b', flags: 'w' }] },
  },
  {
    name: 'extra-files-socketpair',
    about: "'pipe' as fd 3: a socketpair",
    options: { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] },
  },
  {
    name: 'extra-files-swapped',
    about: "the parent's fds 3 and 4 passed swapped, as child fds 4 and 3",
    parent: { fds: [{ fd: 3, path: '$work/three', mode: 'rw' }, { fd: 4, path: '$work/four', mode: 'w' }] },
    options: { stdio: ['inherit', 'inherit', 'inherit', { fd: 4 }, { fd: 3 }] },
  },
  {
    name: 'user',
    about: "user 'nobody'",
    options: { user: 'nobody' },
  },
  {
    name: 'user-group',
    about: "user 'nobody', group 'users'",
    options: { user: 'nobody', group: 'users' },
  },
  {
    name: 'user-groups',
    about: "user 'nobody' with groups ['users', 'games']",
    options: { user: 'nobody', groups: ['users', 'games'] },
  },
  {
    name: 'user-groups-init',
    about: "a user with supplementary groups, groups 'init'",
    options: { user: 'procctl_conform', groups: 'init' },
  },
  {
    name: 'user-drops-parent-groups',
    about: "user alone, from a parent with supplementary groups: none leak",
    parent: { groups: ['users', 'games'] },
    options: { user: 'nobody' },
  },
  {
    name: 'groups-keep',
    about: "user 'nobody', groups 'keep': the parent's supplementary groups stay",
    parent: { groups: ['users', 'games'] },
    options: { user: 'nobody', groups: 'keep' },
  },
  {
    name: 'group-only',
    about: "group 'games' alone: gid changes, uid and supplementary groups stay",
    parent: { groups: ['users'] },
    options: { group: 'games' },
  },
  {
    name: 'groups-only',
    about: "groups ['games'] alone: uid and gid stay",
    parent: { groups: ['users'] },
    options: { groups: ['games'] },
  },
  {
    name: 'umask',
    about: 'umask 0o027',
    options: { umask: 0o027 },
  },
  {
    name: 'rlimits',
    about: 'rlimits with the soft limit below the hard one',
    options: { rlimits: { nofile: [64, 512], core: [0, Infinity], fsize: [1 << 30, Infinity] } },
  },
  {
    name: 'rlimits-one-number',
    about: 'rlimits nofile: 100 (soft = hard)',
    options: { rlimits: { nofile: 100 } },
  },
  {
    name: 'no-new-privs',
    about: 'noNewPrivs: true',
    options: { noNewPrivs: true },
  },
  {
    name: 'setsid',
    about: 'setsid: true',
    options: { setsid: true },
  },
  {
    name: 'process-group-new',
    about: 'processGroup: 0',
    options: { processGroup: 0 },
  },
  {
    name: 'process-group-join',
    about: 'processGroup: an existing group of the same session',
    fixtures: { leader: 'group' },
    options: { processGroup: '$leader' },
  },
  {
    name: 'parent-death-signal',
    about: "parentDeathSignal 'SIGTERM'",
    options: { parentDeathSignal: 'SIGTERM' },
  },

  // ---- terminals --------------------------------------------------------------
  {
    name: 'setsid-controlling-terminal',
    about: 'setsid with controllingTerminal 0 on a pty no session controls',
    parent: { pty: 'free' },
    options: { setsid: true, controllingTerminal: 0 },
  },
  {
    name: 'setsid-steal-terminal',
    about: "setsid with controllingTerminal 0 on the parent's own terminal (root steals it)",
    parent: { pty: 'ctty' },
    options: { setsid: true, controllingTerminal: 0 },
  },
  {
    name: 'foreground-job',
    about: "a foreground job on the parent's terminal: processGroup 0, foregroundTerminal 0",
    parent: { pty: 'ctty' },
    options: { processGroup: 0, foregroundTerminal: 0 },
  },
  {
    name: 'foreground-join-group',
    about: 'join an existing group and make it the foreground',
    parent: { pty: 'ctty' },
    fixtures: { leader: 'group' },
    options: { processGroup: '$leader', foregroundTerminal: 0 },
  },
  {
    name: 'no-controlling-terminal',
    about: "noControllingTerminal: the child lets go of the parent's terminal",
    parent: { pty: 'ctty' },
    options: { noControllingTerminal: true },
  },
  {
    name: 'inherit-terminal',
    about: "the parent's terminal on fd 0, no terminal options",
    parent: { pty: 'ctty' },
    options: {},
  },

  // ---- combinations users write ---------------------------------------------
  {
    name: 'drop-with-groups',
    about: 'credential drop with group and groups, umask and rlimits (a worker)',
    options: { user: 'nobody', group: 'users', groups: ['games'], umask: 0o077, rlimits: { nofile: [256, 1024] } },
  },
  {
    name: 'supervised-worker',
    about: "the README's worker: nobody, setsid, pdeathsig, rlimits, umask, a socket as fd 3",
    options: {
      user: 'nobody', setsid: true, parentDeathSignal: 'SIGTERM', rlimits: { nofile: [4096, 8192] }, umask: 0o027,
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    },
  },
  {
    name: 'pdeathsig-as-nobody',
    about: "parentDeathSignal 'SIGKILL' with user 'nobody' (armed after the drop)",
    options: { user: 'nobody', parentDeathSignal: 'SIGKILL' },
  },
  {
    name: 'cwd-private-to-user',
    about: "cwd only the new user can enter (0700, owned by nobody)",
    setup: { 'home/': { mode: 0o700, owner: 'nobody' } },
    options: { user: 'nobody', cwd: '$work/home', env: { ...ENV, HOME: '$work/home' } },
  },
  {
    name: 'no-new-privs-as-nobody',
    about: 'noNewPrivs with user and setsid',
    options: { user: 'nobody', noNewPrivs: true, setsid: true },
  },

  // ---- refusals: both sides fail with the same errno -------------------------
  {
    name: 'refuse-cwd-unreadable-to-user',
    about: "cwd the new user cannot enter (0700 root): EACCES",
    setup: { 'private/': { mode: 0o700 } },
    options: { user: 'nobody', cwd: '$work/private' },
    refused: 'EACCES',
  },
  {
    name: 'refuse-cwd-missing',
    about: 'cwd that does not exist: ENOENT',
    options: { cwd: '$work/missing' },
    refused: 'ENOENT',
  },
  {
    name: 'refuse-exec-not-executable',
    about: 'a file without execute permission: EACCES',
    setup: { 'plain.sh': { text: '#!/bin/sh\n', mode: 0o644 } },
    file: '$work/plain.sh',
    options: {},
    refused: 'EACCES',
  },
  {
    name: 'refuse-exec-directory',
    about: 'a directory: EACCES',
    setup: { 'dir/': {} },
    file: '$work/dir',
    options: {},
    refused: 'EACCES',
  },
  {
    name: 'refuse-exec-missing',
    about: 'a path that does not exist: ENOENT',
    file: '$work/missing',
    options: {},
    refused: 'ENOENT',
  },
  {
    name: 'refuse-exec-no-interpreter-line',
    about: 'an executable text file without #!: ENOEXEC (no fallback to sh)',
    setup: { 'script': { text: 'exit 0\n', mode: 0o755 } },
    file: '$work/script',
    options: {},
    refused: 'ENOEXEC',
  },
  {
    name: 'refuse-exec-root-only-as-nobody',
    about: 'a program only root may run (0700), started as nobody: EACCES',
    setup: { 'root-only': { probe: true, mode: 0o700 } },
    file: '$work/root-only',
    options: { user: 'nobody' },
    refused: 'EACCES',
  },
  {
    name: 'refuse-join-group-of-other-session',
    about: 'processGroup of a group in another session: EPERM',
    fixtures: { other: 'session' },
    options: { processGroup: '$other' },
    refused: 'EPERM',
  },
  {
    name: 'refuse-terminal-not-a-tty',
    about: 'setsid with controllingTerminal on /dev/null: ENOTTY',
    options: { setsid: true, controllingTerminal: 0 },
    refused: 'ENOTTY',
  },
  {
    name: 'refuse-foreground-not-a-tty',
    about: 'foregroundTerminal on /dev/null: ENOTTY',
    options: { processGroup: 0, foregroundTerminal: 0 },
    refused: 'ENOTTY',
  },
  {
    name: 'refuse-foreground-not-our-terminal',
    about: "foregroundTerminal on a terminal that is not the caller's: ENOTTY",
    parent: { pty: 'free' },
    options: { processGroup: 0, foregroundTerminal: 0 },
    refused: 'ENOTTY',
  },
  {
    name: 'refuse-no-controlling-terminal-not-a-tty',
    about: 'noControllingTerminal with /dev/null on fd 0: ENOTTY',
    options: { noControllingTerminal: true },
    refused: 'ENOTTY',
  },
  {
    name: 'refuse-drop-without-cap-setgid',
    about: 'user nobody from a root parent without CAP_SETGID: EPERM',
    parent: { dropBound: ['cap_setgid'] },
    options: { user: 'nobody' },
    refused: 'EPERM',
  },
  {
    name: 'refuse-rlimit-raise-hard',
    about: 'raising a hard limit without CAP_SYS_RESOURCE: EPERM',
    parent: { rlimits: { core: [0, 0] }, dropBound: ['cap_sys_resource'] },
    options: { rlimits: { core: [0, 1024] } },
    refused: 'EPERM',
  },

  // ---- parent states that leak -----------------------------------------------
  {
    name: 'parent-ignores-sigpipe',
    about: 'a parent that ignores SIGPIPE and SIGXFSZ',
    parent: { ignore: ['SIGPIPE', 'SIGXFSZ'] },
    options: {},
  },
  {
    name: 'parent-ignores-sighup',
    about: 'a parent started with SIGHUP and SIGINT ignored (nohup, a background job of sh)',
    parent: { ignore: ['SIGHUP', 'SIGINT', 'SIGQUIT'] },
    options: {},
    differs: {
      reason: "Node resets every signal but SIGPIPE and SIGXFSZ to its default at start-up, so the ignored SIGHUP and SIGINT never reach procctl, and procctl resets the rest; Go keeps an inherited SIG_IGN for SIGHUP and SIGINT and passes it on",
      fields: { 'sig.ignored': { go: 'SIGHUP SIGINT', procctl: '' } },
    },
  },
  {
    name: 'parent-blocks-signals',
    about: 'a parent started with SIGUSR2 and SIGTERM blocked',
    parent: { block: ['SIGUSR2', 'SIGTERM'] },
    options: {},
    differs: {
      reason: "procctl gives every child an empty signal mask (as child_process does); Go passes on the mask its process started with, less the signals its runtime never blocks (SIGTERM is one), so a signal blocked by whoever started the Go program stays blocked in its children",
      fields: { 'sig.blocked': { go: 'SIGUSR2', procctl: '' } },
    },
  },
  {
    name: 'parent-inherited-fd',
    about: 'a parent holding fd 42 without close-on-exec',
    parent: { fds: [{ fd: 42, path: '$work/leaked', mode: 'rw' }] },
    options: {},
    differs: {
      reason: 'procctl passes exactly the fds in stdio and closes every other fd in the child; Go passes on any fd its process holds without close-on-exec',
      fields: { 'fd.42': { go: 'rw <work>/leaked', procctl: null } },
    },
  },
  {
    name: 'parent-lowered-nofile',
    about: 'a parent started with a soft NOFILE of 256',
    parent: { rlimits: { nofile: [256, '-'] } },
    options: {},
  },
  {
    name: 'parent-stdout-nonblocking',
    about: "a parent whose stdout is non-blocking (O_NONBLOCK on the shared file), stdio 'inherit'",
    parent: { nonblock: [1, 2] },
    options: {},
  },
  {
    name: 'parent-ambient-caps',
    about: 'a root parent with CAP_NET_BIND_SERVICE ambient',
    parent: { ambient: ['cap_net_bind_service'] },
    options: {},
  },
  {
    name: 'parent-ambient-caps-drop',
    about: "a root parent with CAP_NET_BIND_SERVICE ambient, user 'nobody'",
    parent: { ambient: ['cap_net_bind_service'] },
    options: { user: 'nobody' },
    differs: {
      reason: "after a drop to a non-root uid procctl clears every capability set, the inheritable one included (a file with cap=ei would otherwise regain it: CVE-2022-24769); Go relies on the kernel's setuid fixup, which leaves the inheritable set",
      fields: {
        'caps.inh': { go: 'cap_net_bind_service', procctl: '' },
      },
    },
  },
  {
    name: 'parent-umask',
    about: 'a parent with umask 077',
    parent: { umask: 0o077 },
    options: {},
  },
  {
    name: 'parent-no-new-privs',
    about: 'a parent with no_new_privs set',
    parent: { noNewPrivs: true },
    options: {},
  },
  {
    name: 'parent-without-cap-setuid',
    about: 'a root parent without CAP_SETUID in its bounding set',
    parent: { dropBound: ['cap_setuid'] },
    options: {},
  },
  {
    name: 'path-search-child-env',
    about: 'a file name without a slash, found only in the PATH of the env given to the child',
    setup: { 'bin/': { mode: 0o1777 }, 'bin/probe': { probe: true, mode: 0o755 } },
    file: 'probe',
    options: { env: { PATH: '$work/bin' } },
    differs: {
      reason: "procctl searches the PATH of the environment the child gets (as execvp and child_process do); Go's exec.Command searches the parent's PATH",
      fields: { start: { go: 'ENOENT', procctl: 'ok' } },
    },
  },
  // ---- the terminal guard and relative PATH entries -------------------------------
  {
    name: 'terminal-guard-as-nobody',
    about: "user 'nobody' keeping the parent's controlling terminal (a pty)",
    parent: { pty: 'ctty' },
    options: { user: 'nobody' },
    differs: {
      reason: "a dropped child that keeps the caller's controlling terminal gets a seccomp filter refusing TIOCSTI and TIOCLINUX (it could otherwise push input into root's shell through the terminal); Go's child has no filter",
      fields: { seccomp: { go: '0', procctl: '2' } },
    },
  },
  {
    name: 'terminal-guard-not-needed-setsid',
    about: "user 'nobody' with setsid on the parent's pty: no terminal kept, no filter",
    parent: { pty: 'ctty' },
    options: { user: 'nobody', setsid: true },
  },
  {
    name: 'terminal-guard-not-needed-noctty',
    about: "user 'nobody' with noControllingTerminal on the parent's pty: no terminal kept, no filter",
    parent: { pty: 'ctty' },
    options: { user: 'nobody', noControllingTerminal: true },
  },
  {
    name: 'refuse-relative-path-entry',
    about: "a name found first through a relative PATH entry ('bin'): refused (Go's ErrDot)",
    parent: { env: { PATH: 'bin:/usr/bin:/bin' } },
    setup: { 'bin/': { mode: 0o1777 }, 'bin/probe': { probe: true, mode: 0o755 } },
    file: 'probe',
    options: {},
    refused: 'ERR_RELATIVE_PATH_LOOKUP',
  },
  {
    name: 'refuse-empty-path-entry',
    about: "a name found first through an empty PATH entry (the current directory): refused",
    parent: { env: { PATH: ':/usr/bin:/bin' } },
    setup: { 'probe': { probe: true, mode: 0o755 } },
    file: 'probe',
    options: {},
    refused: 'ERR_RELATIVE_PATH_LOOKUP',
  },
  {
    name: 'relative-path-entry-not-reached',
    about: 'a relative PATH entry after the absolute one the name is found in: no refusal',
    parent: { env: { PATH: '$work/abs:bin' } },
    setup: { 'abs/': { mode: 0o1777 }, 'abs/probe': { probe: true, mode: 0o755 }, 'bin/': { mode: 0o1777 }, 'bin/probe': { probe: true, mode: 0o755 } },
    file: 'probe',
    options: {},
  },
  {
    name: 'allow-relative-path',
    about: "allowRelativePath: true runs bin/probe found through 'bin' (Go: clearing ErrDot from cmd.Err)",
    parent: { env: { PATH: 'bin:/usr/bin:/bin' } },
    setup: { 'bin/': { mode: 0o1777 }, 'bin/probe': { probe: true, mode: 0o755 } },
    file: 'probe',
    options: { allowRelativePath: true },
  },

  // ---- capabilities ------------------------------------------------------------
  {
    name: 'ambient-caps-as-nobody',
    about: "user 'nobody' keeping CAP_NET_BIND_SERVICE (a worker that binds port 80)",
    options: { user: 'nobody', capabilities: { ambient: ['CAP_NET_BIND_SERVICE'] } },
  },
  {
    name: 'ambient-caps-as-root',
    about: 'capabilities.ambient without a drop',
    options: { capabilities: { ambient: ['net_bind_service', 'CAP_NET_RAW'] } },
    fix: FIX_ROOT_AMBIENT_DUMPABLE,
  },
  {
    name: 'ambient-caps-worker',
    about: "nobody with groups, setsid, pdeathsig and two ambient capabilities, lower case names",
    options: {
      user: 'nobody', groups: ['users'], setsid: true, parentDeathSignal: 'SIGTERM',
      capabilities: { ambient: ['cap_net_bind_service', 'cap_net_raw'] },
    },
  },
  {
    name: 'ambient-caps-parent-has-ambient',
    about: 'a parent with CAP_NET_RAW ambient starts nobody keeping CAP_NET_BIND_SERVICE',
    parent: { ambient: ['cap_net_raw'] },
    options: { user: 'nobody', capabilities: { ambient: ['CAP_NET_BIND_SERVICE'] } },
    differs: {
      reason: "procctl leaves exactly the asked-for capabilities in every set after the drop; Go adds them to the inheritable set it inherited, so the parent's inheritable CAP_NET_RAW stays there (where a file with cap_net_raw=ei turns it back into a privilege)",
      fields: { 'caps.inh': { go: 'cap_net_bind_service cap_net_raw', procctl: 'cap_net_bind_service' } },
    },
  },
  {
    name: 'refuse-ambient-cap-outside-bounding',
    about: 'an ambient capability the parent lost from its bounding set: EPERM',
    parent: { dropBound: ['cap_net_raw'] },
    options: { capabilities: { ambient: ['CAP_NET_RAW'] } },
    differs: {
      reason: "both refuse to start the child; Go 1.19 loses the errno of the refused capset (its child reports a shadowed err1, so Start says 'errno 0'), procctl reports EPERM at stage 'capabilities'",
      fields: { start: { go: 'errno 0', procctl: 'EPERM' } },
    },
  },
  {
    name: 'procctl-only-bounding-set',
    about: 'capabilities.bounding keeping two capabilities (root)',
    options: { capabilities: { bounding: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'] } },
    procctlOnly: {
      options: ['capabilities'],
      reason: NO_BOUNDING,
      fields: {
        // Root's permitted and effective sets after exec are the bounding set.
        'caps.prm': { go: '<harness bounding set>', procctl: 'cap_kill cap_net_bind_service' },
        'caps.eff': { go: '<harness bounding set>', procctl: 'cap_kill cap_net_bind_service' },
        'caps.bnd': { go: '<harness bounding set>', procctl: 'cap_kill cap_net_bind_service' },
      },
    },
  },
  {
    name: 'procctl-only-bounding-drop-all',
    about: "capabilities.bounding 'drop-all' with user nobody",
    options: { user: 'nobody', capabilities: { bounding: 'drop-all' } },
    procctlOnly: {
      options: ['capabilities'],
      reason: NO_BOUNDING,
      fields: { 'caps.bnd': { go: '<harness bounding set>', procctl: '' } },
    },
  },
  {
    name: 'procctl-only-bounding-with-ambient',
    about: "nobody keeping CAP_NET_BIND_SERVICE, with a bounding set of just that",
    options: { user: 'nobody', capabilities: { ambient: ['CAP_NET_BIND_SERVICE'], bounding: ['CAP_NET_BIND_SERVICE'] } },
    procctlOnly: {
      options: ['capabilities.bounding'],
      reason: NO_BOUNDING,
      fields: { 'caps.bnd': { go: '<harness bounding set>', procctl: 'cap_net_bind_service' } },
    },
  },
  {
    name: 'procctl-only-refuse-bounding-without-setpcap',
    about: 'capabilities.bounding from a parent without CAP_SETPCAP: EPERM',
    parent: { dropBound: ['cap_setpcap'] },
    options: { capabilities: { bounding: 'drop-all' } },
    procctlOnly: {
      options: ['capabilities'],
      reason: `${NO_BOUNDING}; here, that procctl refuses to start the child rather than run it with the bounding set it has`,
      fields: { start: { go: 'ok', procctl: 'EPERM' } },
    },
  },

  // ---- cgroups (procctl only) ----------------------------------------------------
  {
    name: 'procctl-only-cgroup-new',
    needs: 'cgroup2',
    about: "cgroup 'new': a fresh cgroup under the caller's, removed once the child is reaped",
    options: { cgroup: 'new' },
    procctlOnly: { options: ['cgroup'], reason: NO_CGROUP_FD, fields: { cgroup: { go: 'same', procctl: NEW_CGROUP } } },
  },
  {
    name: 'procctl-only-cgroup-path',
    needs: 'cgroup2',
    about: 'cgroup: an existing cgroup v2 directory',
    cgroup: true,
    options: { cgroup: '$cgroup' },
    procctlOnly: { options: ['cgroup'], reason: NO_CGROUP_FD, fields: { cgroup: { go: 'same', procctl: '<case>' } } },
  },
  {
    name: 'procctl-only-cgroup-fd',
    needs: 'cgroup2',
    about: 'cgroup: an open fd of a cgroup v2 directory',
    cgroup: true,
    options: { cgroup: { file: '$cgroup', flags: 'directory' } },
    procctlOnly: { options: ['cgroup'], reason: NO_CGROUP_FD, fields: { cgroup: { go: 'same', procctl: '<case>' } } },
  },
  {
    name: 'procctl-only-cgroup-parent',
    needs: 'cgroup2',
    about: 'cgroup { parent }: a fresh cgroup under a given one',
    cgroup: true,
    options: { cgroup: { parent: '$cgroup' } },
    procctlOnly: { options: ['cgroup'], reason: NO_CGROUP_FD, fields: { cgroup: { go: 'same', procctl: '<case>/procctl-<driver>-1' } } },
  },
  {
    name: 'procctl-only-cgroup-worker',
    needs: 'cgroup2',
    about: "cgroup 'new' with user nobody, setsid and rlimits",
    options: { cgroup: 'new', user: 'nobody', setsid: true, rlimits: { nofile: [256, 512] } },
    procctlOnly: { options: ['cgroup'], reason: NO_CGROUP_FD, fields: { cgroup: { go: 'same', procctl: NEW_CGROUP } } },
  },
  {
    name: 'procctl-only-cgroup-namespace',
    needs: 'cgroup2',
    about: "cgroup 'new' with namespaces ['cgroup']: the new cgroup is the namespace's root",
    options: { cgroup: 'new', namespaces: ['cgroup'] },
    procctlOnly: {
      options: ['cgroup'],
      reason: `${NO_CGROUP_FD}. In a cgroup namespace rooted at its new cgroup the child sees itself at "/" and its parent (the driver, in the harness's cgroup) one level up`,
      fields: { 'cgroup.parent': { go: '/', procctl: '/..' } },
    },
  },
  {
    name: 'procctl-only-cgroup-user-namespace',
    needs: 'cgroup2',
    about: "cgroup 'new' with user, cgroup and pid namespaces and maps (a rootless container; the fork engine)",
    options: {
      cgroup: 'new', namespaces: ['user', 'cgroup', 'pid'], uidMap: [{ inside: 0, outside: 65534, count: 1 }],
      gidMap: [{ inside: 0, outside: 65534, count: 1 }],
    },
    procctlOnly: {
      options: ['cgroup'],
      reason: `${NO_CGROUP_FD}. As with clone3 (procctl-only-cgroup-namespace), the namespace's root is the new cgroup`,
      fields: { 'cgroup.parent': { go: '/', procctl: '/..' } },
    },
    fix: FIX_CGROUP_NAMESPACE_ROOT,
  },
  {
    name: 'procctl-only-refuse-cgroup-not-cgroup',
    about: 'cgroup: a directory that is not a cgroup v2: ENOTDIR',
    setup: { 'plain/': {} },
    options: { cgroup: '$work/plain' },
    procctlOnly: { options: ['cgroup'], reason: `${NO_CGROUP_FD}; here, that procctl refuses to start the child outside the cgroup asked for`, fields: { start: { go: 'ok', procctl: 'ENOTDIR' } } },
  },

  // ---- namespaces ----------------------------------------------------------------
  {
    name: 'namespaces',
    about: "namespaces ['mount', 'uts', 'ipc', 'net', 'cgroup'] (Go's Cloneflags)",
    options: { namespaces: ['mount', 'uts', 'ipc', 'net', 'cgroup'] },
  },
  {
    name: 'namespace-pid',
    about: "namespaces ['pid']: the probe is PID 1 of its namespace",
    options: { namespaces: ['pid'] },
  },
  {
    name: 'namespace-pid-pdeathsig',
    about: "namespaces ['pid'] with parentDeathSignal (getppid() is 0 in the new namespace)",
    options: { namespaces: ['pid'], parentDeathSignal: 'SIGKILL' },
  },
  {
    name: 'user-namespace-maps',
    about: 'a user namespace with root inside mapped to nobody outside, user 0, group 0',
    options: {
      namespaces: ['user'], uidMap: [{ inside: 0, outside: 65534, count: 1 }], gidMap: [{ inside: 0, outside: 65534, count: 1 }],
      user: 0, group: 0,
    },
    restatesDefault: ['group'],
  },
  {
    name: 'user-namespace-pid-maps',
    about: 'user and pid namespaces with maps, setsid: a container init',
    options: {
      namespaces: ['user', 'pid', 'mount', 'uts'], uidMap: [{ inside: 0, outside: 65534, count: 1 }],
      gidMap: [{ inside: 0, outside: 65534, count: 1 }], user: 0, group: 0, setsid: true,
    },
    restatesDefault: ['group'],
  },
  {
    name: 'user-namespace-range-as-user',
    about: 'a user namespace mapping 0..65535 to 100000.., a user with supplementary groups inside',
    // Not nobody: the caller's own uid 0 is unmapped there and would show as 65534 too.
    options: {
      namespaces: ['user'], uidMap: [{ inside: 0, outside: 100000, count: 65536 }],
      gidMap: [{ inside: 0, outside: 100000, count: 65536 }], user: 'procctl_conform',
    },
  },
  {
    name: 'user-namespace-setgroups-allowed',
    about: 'userNamespaceSetgroups: true with groups [0] inside (GidMappingsEnableSetgroups)',
    options: {
      namespaces: ['user'], uidMap: [{ inside: 0, outside: 65534, count: 1 }], gidMap: [{ inside: 0, outside: 65534, count: 1 }],
      userNamespaceSetgroups: true, user: 0, group: 0, groups: [0],
    },
    restatesDefault: ['group'],
  },
  {
    name: 'user-namespace-without-maps',
    about: "namespaces ['user'] alone: no maps written",
    options: { namespaces: ['user'] },
    fix: FIX_SETGROUPS_WITHOUT_GID_MAP,
  },
  {
    name: 'refuse-user-namespace-overlapping-map',
    about: 'a uid map whose inside ranges overlap: EINVAL',
    options: { namespaces: ['user'], uidMap: [{ inside: 0, outside: 1000, count: 10 }, { inside: 5, outside: 2000, count: 10 }] },
    refused: 'EINVAL',
  },
  {
    name: 'refuse-namespace-without-cap-sys-admin',
    about: "namespaces ['net'] from a parent without CAP_SYS_ADMIN: EPERM",
    parent: { dropBound: ['cap_sys_admin'] },
    options: { namespaces: ['net'] },
    refused: 'EPERM',
  },
  {
    name: 'procctl-only-hostname',
    about: "namespaces ['uts'] with hostname",
    options: { namespaces: ['uts'], hostname: 'conformance-probe' },
    procctlOnly: {
      options: ['hostname'],
      reason: "Go has no SysProcAttr field for the hostname: a Go program starts a helper that calls sethostname and execs the real program; procctl sets it between clone and exec",
      fields: { hostname: { go: 'same', procctl: 'conformance-probe' } },
    },
  },
  {
    name: 'procctl-only-hostname-user-namespace',
    about: 'user and uts namespaces with maps and a hostname (rootless)',
    options: {
      namespaces: ['user', 'uts'], uidMap: [{ inside: 0, outside: 65534, count: 1 }], gidMap: [{ inside: 0, outside: 65534, count: 1 }],
      hostname: 'conformance-probe',
    },
    procctlOnly: {
      options: ['hostname'],
      reason: 'Go has no SysProcAttr field for the hostname (see procctl-only-hostname)',
      fields: { hostname: { go: 'same', procctl: 'conformance-probe' } },
    },
  },

  // ---- chroot -------------------------------------------------------------------
  {
    name: 'chroot',
    about: 'chroot without cwd',
    parent: CHROOT_PARENT,
    setup: CHROOT_SETUP,
    file: '/bin/probe',
    options: { chroot: '$work/root' },
    differs: {
      reason: "procctl enters / of the new root when no cwd is given: a working directory left outside the root is a way out of it (\"..\" from there is never stopped by the root); Go leaves the child in the parent's directory, outside the root",
      fields: { cwd: { go: '<work>', procctl: '/' } },
    },
  },
  {
    name: 'chroot-cwd',
    about: "chroot with an absolute cwd inside the new root, the parent's env",
    parent: CHROOT_PARENT,
    setup: CHROOT_SETUP,
    file: '/bin/probe',
    options: { chroot: '$work/root', cwd: '/sub' },
  },
  {
    name: 'chroot-as-nobody-minimal-root',
    about: "chroot into a root without /dev, user 'nobody', no terminal anywhere",
    parent: CHROOT_PARENT,
    setup: CHROOT_SETUP_NO_DEV,
    file: '/bin/probe',
    options: { chroot: '$work/root', cwd: '/', user: 'nobody' },
    fix: FIX_GUARD_AFTER_CHROOT,
  },
  {
    name: 'chroot-cwd-user',
    about: "chroot with cwd and user 'nobody': a home only nobody can enter, inside the root",
    parent: CHROOT_PARENT,
    setup: { ...CHROOT_SETUP, 'root/home/': { mode: 0o700, owner: 'nobody' } },
    file: '/bin/probe',
    options: { chroot: '$work/root', cwd: '/home', user: 'nobody', groups: ['users'], env: { ...ENV, HOME: '/home' } },
  },
  {
    name: 'chroot-relative-cwd',
    about: "chroot with a relative cwd ('sub', which exists inside and outside the root)",
    parent: CHROOT_PARENT,
    setup: { ...CHROOT_SETUP, 'sub/': {} },
    file: '/bin/probe',
    options: { chroot: '$work/root', cwd: 'sub' },
    differs: {
      reason: "procctl resolves a relative cwd inside the new root (from its /); Go's chdir after the chroot resolves it from the directory the child was left in, outside the root, and sets PWD to that",
      fields: {
        cwd: { go: '<work>/sub', procctl: '/sub' },
        env: { go: '["PATH=/usr/local/bin:/usr/bin:/bin","HOME=/root","LANG=C","PWD=<work>/sub"]', procctl: '["PATH=/usr/local/bin:/usr/bin:/bin","HOME=/root","LANG=C","PWD=/sub"]' },
      },
    },
  },
  {
    name: 'refuse-chroot-missing',
    about: 'chroot to a directory that does not exist: ENOENT',
    options: { chroot: '$work/missing' },
    refused: 'ENOENT',
  },
  {
    name: 'refuse-chroot-exec-outside-root',
    about: 'chroot with a program that exists only outside the new root: ENOENT',
    parent: CHROOT_PARENT,
    setup: CHROOT_SETUP,
    options: { chroot: '$work/root' },
    refused: 'ENOENT',
  },
  {
    name: 'refuse-chroot-without-cap-sys-chroot',
    about: 'chroot from a parent without CAP_SYS_CHROOT: EPERM',
    parent: { ...CHROOT_PARENT, dropBound: ['cap_sys_chroot'] },
    setup: CHROOT_SETUP,
    file: '/bin/probe',
    options: { chroot: '$work/root' },
    refused: 'EPERM',
  },

  // ---- scheduling and placement -----------------------------------------------------
  // Go has no SysProcAttr field for these: a Go program sets them on the OS
  // thread that forks (nice, policy, affinity and I/O priority are per thread on
  // Linux, and fork copies them) or on itself (oom_score_adj), before Start.
  {
    name: 'nice',
    about: 'nice 5',
    options: { nice: 5 },
  },
  {
    name: 'scheduling-batch',
    about: "scheduling { policy: 'batch' }",
    options: { scheduling: { policy: 'batch' } },
  },
  {
    name: 'scheduling-fifo',
    about: "scheduling { policy: 'fifo', priority: 10 }",
    options: { scheduling: { policy: 'fifo', priority: 10 } },
  },
  {
    name: 'procctl-only-scheduling-reset-on-fork',
    about: "scheduling { policy: 'rr', priority: 5, resetOnFork: true }",
    options: { scheduling: { policy: 'rr', priority: 5, resetOnFork: true } },
    procctlOnly: {
      options: ['scheduling.resetOnFork'],
      reason: "set on the Go thread that forks, SCHED_RESET_ON_FORK would reset the child's policy at that very fork; procctl sets it in the child, so the program runs realtime and its own children start as 'other'",
      fields: { 'sched.policy': { go: 'rr', procctl: 'rr reset-on-fork' } },
    },
  },
  {
    name: 'cpu-affinity',
    about: 'cpuAffinity [0]',
    options: { cpuAffinity: [0] },
  },
  {
    name: 'io-priority',
    about: "ioPriority { class: 'best-effort', level: 2 }",
    options: { ioPriority: { class: 'best-effort', level: 2 } },
  },
  {
    name: 'io-priority-idle',
    about: "ioPriority { class: 'idle' }",
    options: { ioPriority: { class: 'idle' } },
  },
  {
    name: 'oom-score-adj',
    about: 'oomScoreAdj 500',
    options: { oomScoreAdj: 500 },
  },
  {
    name: 'placement-as-nobody',
    about: "user 'nobody' at nice -5 (set before the drop), SCHED_BATCH, CPU 0, best-effort 2, oom_score_adj 500",
    options: {
      user: 'nobody', nice: -5, scheduling: { policy: 'batch' }, cpuAffinity: [0], ioPriority: { class: 'best-effort', level: 2 }, oomScoreAdj: 500,
    },
  },
  {
    name: 'refuse-cpu-affinity-missing-cpu',
    about: 'cpuAffinity [1000], a CPU that does not exist: EINVAL',
    options: { cpuAffinity: [1000] },
    refused: 'EINVAL',
  },
  {
    name: 'refuse-realtime-without-cap-sys-nice',
    about: "scheduling 'fifo' from a parent without CAP_SYS_NICE: EPERM",
    parent: { dropBound: ['cap_sys_nice'] },
    options: { scheduling: { policy: 'fifo', priority: 10 } },
    refused: 'EPERM',
  },
  {
    name: 'refuse-nice-negative-without-cap-sys-nice',
    about: 'nice -5 from a parent without CAP_SYS_NICE: EACCES',
    parent: { dropBound: ['cap_sys_nice'] },
    options: { nice: -5 },
    refused: 'EACCES',
  },
  {
    name: 'refuse-oom-score-adj-without-cap-sys-resource',
    about: 'oomScoreAdj -500 from a parent without CAP_SYS_RESOURCE: EACCES',
    parent: { dropBound: ['cap_sys_resource'] },
    options: { oomScoreAdj: -500 },
    refused: 'EACCES',
  },
];
