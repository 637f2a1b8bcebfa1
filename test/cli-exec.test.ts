import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT, run, needsRoot } from './helpers';

const BIN = path.join(ROOT, 'bin', 'procctl.js');
// Prints what a user would check after a privilege drop.
const REPORT = [
  'echo "id=$(id -u):$(id -g):$(id -un 2>/dev/null || echo -):$(id -gn 2>/dev/null || echo -)"',
  'echo "uid=$(grep ^Uid: /proc/self/status | cut -f2-)"',
  'echo "gid=$(grep ^Gid: /proc/self/status | cut -f2-)"',
  'echo "groups=$(grep ^Groups: /proc/self/status | cut -f2- | xargs)"',
  'echo "home=$HOME"',
  'echo "pid=$$"',
].join('; ');

async function execAs(spec: string, extra: string[] = []) {
  const r = await run(process.execPath, [BIN, 'exec', ...extra, spec, 'sh', '-c', REPORT]);
  const get = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(r.stdout)?.[1]?.replace(/\s+/g, ' ').trim();
  return { ...r, id: get('id'), uid: get('uid'), gid: get('gid'), groups: get('groups'), home: get('home'), shellPid: Number(get('pid')) };
}

describe('procctl exec', () => {
  it('named user: uid, gid, the user\'s groups and HOME; same PID (exec in place)', async (ctx) => {
    needsRoot(ctx, 'switches to nobody');
    const r = await execAs('nobody');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.id).toBe('65534:65534:nobody:nogroup');
    expect(r.uid).toBe('65534 65534 65534 65534');
    expect(r.gid).toBe('65534 65534 65534 65534');
    expect(r.groups).toBe('65534');
    expect(r.home).toBe('/nonexistent');
    expect(r.shellPid).toBe(r.pid);
  });

  it('USER:GROUP brings exactly GROUP; names and ids mix', async (ctx) => {
    needsRoot(ctx, 'switches to nobody');
    const named = await execAs('nobody:users');
    expect(named.id).toBe('65534:100:nobody:users');
    expect(named.gid).toBe('100 100 100 100');
    expect(named.groups).toBe('100');
    const mixed = await execAs('nobody:60');
    expect(mixed.id).toBe('65534:60:nobody:games');
    expect(mixed.groups).toBe('60');
    const mixed2 = await execAs('65534:games');
    expect(mixed2.id).toBe('65534:60:nobody:games');
    expect(mixed2.home).toBe('/nonexistent');
  });

  it('numeric ids with no passwd entry: gid = uid unless given, no groups, HOME=/', async (ctx) => {
    needsRoot(ctx, 'switches to uids without passwd entries');
    const bare = await execAs('4321');
    expect(bare.code).toBe(0);
    expect(bare.uid).toBe('4321 4321 4321 4321');
    expect(bare.gid).toBe('4321 4321 4321 4321');
    expect(bare.groups).toBe('');
    expect(bare.home).toBe('/');
    const both = await execAs('4321:4322');
    expect(both.uid).toBe('4321 4321 4321 4321');
    expect(both.gid).toBe('4322 4322 4322 4322');
    expect(both.groups).toBe('4322');
  });

  it('an empty USER keeps the current user; --groups and --clear-groups', async (ctx) => {
    needsRoot(ctx, "sets root's groups");
    const keep = await execAs(':games');
    expect(keep.uid).toBe('0 0 0 0');
    expect(keep.gid).toBe('60 60 60 60');
    expect(keep.groups).toBe('60');
    expect(keep.home).toBe('/root');
    const groups = await execAs('nobody', ['--groups', 'users,games,4000']);
    expect(groups.groups).toBe('60 100 4000');
    const cleared = await execAs('root', ['--clear-groups']);
    expect(cleared.uid).toBe('0 0 0 0');
    expect(cleared.groups).toBe('');
  });

  it('bad specs fail with status 1 and a message, running nothing', async () => {
    for (const spec of ['no-such-user', 'nobody:no-such-group', 'no-such-user:users', '99999999999']) {
      const r = await run(process.execPath, [BIN, 'exec', spec, 'sh', '-c', 'echo RAN']);
      expect(r.code, spec).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^procctl exec: invalid user spec/);
    }
    const badGroup = await run(process.execPath, [BIN, 'exec', '--groups', 'users,nope', 'nobody', 'true']);
    expect(badGroup.code).toBe(1);
    // The entry that failed is named, not the (good) user spec.
    expect(badGroup.stderr.trim()).toBe(
      "procctl exec: invalid --groups entry 'nope': 'nope' is not a group in the group database (give group names from the group database or numeric gids, comma-separated)",
    );
    const badUser = await run(process.execPath, [BIN, 'exec', 'no-such-user', 'true']);
    expect(badUser.stderr.trim()).toBe(
      "procctl exec: invalid user spec 'no-such-user': 'no-such-user' is not a user in the passwd database (USER is a name from the passwd database or a numeric uid, GROUP a name from the group database or a numeric gid)",
    );
  });

  it('without the native addon: says so and how to get it back, not "invalid user spec"', async () => {
    const r = await run(process.execPath, [BIN, 'exec', 'nobody', 'sh', '-c', 'echo RAN'], { env: { ...process.env, PROCCTL_NO_ADDON: '1' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      "procctl exec: the native addon is not available (disabled by PROCCTL_NO_ADDON=1); reinstall with 'npm rebuild procctl', which needs a prebuilt binary for this platform or a C++ compiler, make and Python",
    );
    const win = await run(process.execPath, [BIN, 'exec', 'nobody', 'true'], { env: { ...process.env, PROCCTL_PLATFORM: 'win32' } });
    expect(win.code).toBe(1);
    expect(win.stderr.trim()).toBe('procctl exec: not available on Windows: dropping privileges and exec-ing in place need Linux or macOS');
  });

  it('options after USER: a usage error (status 2) that says options go before USER', async () => {
    const r = await run(process.execPath, [BIN, 'exec', 'nobody', '--umask', '027', 'sh', '-c', 'echo RAN']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      "procctl exec: '--umask' after USER 'nobody' would be run as the command: options go before USER (procctl exec --umask ... nobody command); to run a program whose name starts with '-', give its path (./--umask)",
    );
  });

  it('a PATH directory the target user cannot search: 126, naming the candidate and what to do', async (ctx) => {
    needsRoot(ctx, 'switches to nobody');
    // A 0700 directory first in PATH (as /root/... often is): execvp(3) reports EACCES for it.
    const dir = mkdtempSync(path.join(tmpdir(), 'procctl-exec-'));
    try {
      chmodSync(dir, 0o700);
      const r = await run(process.execPath, [BIN, 'exec', 'nobody', 'no-such-command-anywhere'], { env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` } });
      expect(r.code).toBe(126);
      expect(r.stderr.trim()).toBe(
        `procctl exec: cannot run 'no-such-command-anywhere': permission denied: uid 65534 gid 65534 cannot search a directory of ${dir}/no-such-command-anywhere, ` +
          "a PATH candidate, and no other PATH directory has it; give the command's full path or a PATH that USER can search",
      );
      // A file that is there but not executable for the user is named as such.
      writeFileSync(path.join(dir, 'f'), '#!/bin/sh\n', { mode: 0o700 });
      chmodSync(dir, 0o755);
      const notExec = await run(process.execPath, [BIN, 'exec', 'nobody', path.join(dir, 'f')]);
      expect(notExec.code).toBe(126);
      expect(notExec.stderr.trim()).toBe(
        `procctl exec: cannot run '${path.join(dir, 'f')}': permission denied: ${path.join(dir, 'f')} is not executable by uid 65534 gid 65534 (check its mode and its directories' modes)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--setsid, --no-new-privs, --umask, --pdeathsig, --keep-fd', async (ctx) => {
    needsRoot(ctx, 'switches to nobody');
    const script = 'echo "sid=$(cut -d" " -f6 /proc/$$/stat) pid=$$ nnp=$(grep ^NoNewPrivs: /proc/self/status | cut -f2) umask=$(umask) fd5=$(cat <&5)"';
    const dir = mkdtempSync(path.join(tmpdir(), 'procctl-exec-'));
    try {
      writeFileSync(path.join(dir, 'f'), 'kept');
      const r = await run('sh', ['-c', `exec 5<${dir}/f; exec ${process.execPath} ${BIN} exec --setsid --no-new-privs --umask 027 --pdeathsig TERM --keep-fd 5 nobody sh -c '${script.replace(/'/g, "'\\''")}'`]);
      expect(r.stderr).toBe('');
      const m = /sid=(\d+) pid=(\d+) nnp=(\d) umask=(\d+) fd5=(.*)/.exec(r.stdout)!;
      expect(m[1]).toBe(m[2]);
      expect(m[3]).toBe('1');
      expect(m[4]).toBe('0027');
      expect(m[5]).toBe('kept');
      // Without --keep-fd the fd is closed in the new program.
      const closed = await run('sh', ['-c', `exec 5<${dir}/f; exec ${process.execPath} ${BIN} exec nobody sh -c 'cat <&5 && echo open || echo closed'`]);
      expect(closed.stdout.trim()).toBe('closed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`--` ends the options; options after USER belong to the command', async (ctx) => {
    needsRoot(ctx, 'switches to nobody');
    const r = await run(process.execPath, [BIN, 'exec', '--', 'nobody', 'sh', '-c', 'echo "$(id -un) $*"', 'x', '--help', '-V', '--setsid']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('nobody --help -V --setsid\n');
    // A USER starting with '-' can only be given after `--` (here it is then an unknown user).
    const dash = await run(process.execPath, [BIN, 'exec', '--', '-nobody', 'true']);
    expect(dash.code).toBe(1);
    expect(dash.stderr).toMatch(/^procctl exec: invalid user spec '-nobody'/);
  });

  it('127 for a missing command, 126 for a non-executable one', async () => {
    // (a PATH entry nobody cannot search, like /root/..., would make it EACCES -> 126, as execvp(3))
    const missing = await run(process.execPath, [BIN, 'exec', 'nobody', 'no-such-command-anywhere'], { env: { ...process.env, PATH: '/usr/bin:/bin' } });
    expect(missing.code).toBe(127);
    expect(missing.stderr.trim()).toBe(
      "procctl exec: cannot run 'no-such-command-anywhere': no such file or directory in PATH (/usr/bin:/bin); check the name, or give its full path",
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'procctl-exec-'));
    try {
      writeFileSync(path.join(dir, 's'), '#!/bin/sh\n', { mode: 0o644 });
      const notExec = await run(process.execPath, [BIN, 'exec', 'nobody', path.join(dir, 's')]);
      expect(notExec.code).toBe(126);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to run when its own script is setuid or setgid', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'procctl-suid-'));
    try {
      const shim = path.join(dir, 'procctl-suid.js');
      writeFileSync(shim, `require(${JSON.stringify(path.join(ROOT, 'dist', 'cli.js'))}).main(process.argv.slice(2));\n`);
      for (const mode of [0o4755, 0o2755]) {
        chmodSync(shim, mode);
        const r = await run(process.execPath, [shim, 'exec', 'nobody', 'sh', '-c', 'echo RAN']);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain('is setuid/setgid; refusing to run');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('help, version and usage errors', async () => {
    const help = await run(process.execPath, [BIN, 'exec', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: procctl exec');
    // The help's exit statuses are the ones the checks below observe.
    expect(help.stdout).toContain('Exit status: 2 for a usage error (an unknown option, a bad option value, a\nmissing USER or command); 1 when USER[:GROUP] or a --groups entry does not\nresolve');
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const version = await run(process.execPath, [BIN, 'exec', flag]);
      expect(version.code, flag).toBe(0);
      expect(version.stdout, flag).toBe(`procctl ${pkg.version}\n`);
    }
    // Bad option values: status 2, one line naming the option, nothing run.
    for (const [args, text] of [
      [['--keep-fd', '-1'], '--keep-fd'],
      [['--keep-fd', '2'], '--keep-fd'],
      [['--keep-fd', '1.5'], '--keep-fd'],
      [['--pdeathsig', 'NOPE'], '--pdeathsig'],
      [['--pdeathsig', '0'], '--pdeathsig'],
      [['--umask', '1022'], '--umask'],
      [['--umask', '8'], '--umask'],
      [['--setsid=1'], '--setsid'],
      [['--bogus'], '--bogus'],
      [['-x'], '-x'],
    ] as const) {
      const r = await run(process.execPath, [BIN, 'exec', ...args, 'nobody', 'sh', '-c', 'echo RAN']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(text);
      expect(r.stderr).toMatch(/^procctl exec: .*\(run 'procctl exec --help'\)\n$/);
    }
    const short = await run(process.execPath, [BIN, 'exec', 'nobody']);
    expect(short.code).toBe(2);
    expect(short.stderr.trim()).toBe("procctl exec: no command given after 'nobody' (usage: procctl exec [options] USER[:GROUP] command [args...])");
    const both = await run(process.execPath, [BIN, 'exec', '--groups', 'users', '--clear-groups', 'nobody', 'true']);
    expect(both.code).toBe(2);
    const umask = await run(process.execPath, [BIN, 'exec', '--umask', '999', 'nobody', 'true']);
    expect(umask.code).toBe(2);
    expect(umask.stderr).toContain('--umask');
  });
});

describe('procctl (top level)', () => {
  it('an unknown command: status 2, one line in the same form as every other error', async () => {
    const r = await run(process.execPath, [BIN, 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("procctl: unknown command 'bogus': the commands are init and exec (run 'procctl --help')\n");
  });
});
