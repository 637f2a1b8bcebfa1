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
 *             passed) or {fd: N} (the driver's inherited fd N). Without
 *             `stdio`, ['inherit', 'inherit', 'inherit'] is used (the drivers'
 *             own 0..2: /dev/null and a log file) unless `baseStdio: false`.
 *   file/args the program to start (default: the probe, no arguments)
 *   parent    the state the wrapper (parent.c) puts the driver in: pty ('ctty':
 *             the driver leads a session whose terminal is a new pty on fd 0;
 *             'free': a pty no session controls on fd 0), groups, umask, ignore
 *             and block (signal names), fds [{fd, path, mode}], nonblock [fd],
 *             rlimits {name: [soft, hard]} ('-' keeps), ambient and dropBound
 *             (capability names), noNewPrivs
 *   fixtures  {name: 'group' | 'session'}: a sleeper each driver starts first,
 *             in a new process group (or session); "$name" in options is its pid
 *   setup     files under $work: {'dir/': {mode, owner}, 'file': {mode, owner,
 *             text}, 'file': {probe: true}} (a copy of the probe)
 *   refused   both sides must fail to start with this errno
 *   differs   a deliberate difference: {reason, fields: {field: {go, procctl}}}
 *             lists every field that differs, with both normalised values
 *             (null: the field is absent on that side)
 *   restatesDefault  options given at procctl's default value (the
 *             self-test does not expect dropping them to change anything)
 *   fix       the change procctl needs before this case can pass (the case
 *             asserts Go's behaviour meanwhile; nothing is skipped)
 *
 * Field names are the harness's flattened report (harness.cjs flatten()):
 * start, exit, pid, ppid, pgid, sid, tty, tpgid, uid, gid, groups, caps.*,
 * sig.blocked/ignored/caught, umask, fd.N, cwd, argv, env, rlimit.*, prctl.*,
 * ns.*, cgroup, ...
 *
 * Adding a spawn option (e.g. issue 11's chroot, namespaces, capabilities):
 * add cases using it here, and its mapping in driver.go's option switch (the
 * procctl driver passes options through unchanged).
 */

const FIX_IGNORE_STDIN = "issue 16 (1): stdio 'ignore' must open /dev/null read-only for fd 0";
const FIX_PWD = 'issue 16 (2): cwd with the inherited environment must set PWD to the new directory';
const FIX_KEEP_GROUPS = "issue 16 (3): groups: 'keep' (Go's Credential.NoSetGroups)";
const FIX_NOCTTY = "issue 16 (4): noControllingTerminal: true (Go's Noctty)";

const ENV = { HOME: '/nonexistent', PATH: '/usr/bin:/bin' };

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
    fix: FIX_PWD,
  },
  {
    name: 'cwd-relative-inherited-env',
    about: "a relative cwd with the parent's env: PWD is the absolute path",
    setup: { 'dir/': {} },
    options: { cwd: 'dir' },
    fix: FIX_PWD,
  },
  {
    name: 'stdio-ignore-stdin',
    about: "stdio ['ignore', 'inherit', 'inherit']",
    options: { stdio: ['ignore', 'inherit', 'inherit'] },
    fix: FIX_IGNORE_STDIN,
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
    fix: FIX_KEEP_GROUPS,
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
    fix: FIX_NOCTTY,
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
    fix: FIX_NOCTTY,
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
];
