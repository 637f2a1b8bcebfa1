// _exit, flushStdio, setsid/getsid, setpgid/getpgid: each in a child fixture,
// observed from outside (exit status, output, /proc/<pid>/stat).
import { afterEach, describe, expect, it } from 'vitest';
import { alive, killLiveFixtures, procStat, runFixture, startFixture, waitFor } from './helpers';

afterEach(killLiveFixtures);

describe('_exit', () => {
  it('exits with the code at once; no exit or beforeExit handler runs', async () => {
    const r = await runFixture('exit.cjs', ['7']);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });

  it('defaults to 0 and passes 255 through', async () => {
    expect((await runFixture('exit.cjs', ['0', 'default'])).code).toBe(0);
    expect((await runFixture('exit.cjs', ['255'])).code).toBe(255);
  });

  it('loses nothing written to a pipe when flushStdio() is awaited first', async () => {
    const r = await runFixture('exit.cjs', ['3', 'flush']);
    expect(r.code).toBe(3);
    expect(r.stdout.length).toBe(4 * 1024 * 1024 + 5);
    expect(r.stdout.endsWith('\nEND\n')).toBe(true);
    expect(r.stdout).not.toContain('exit-handler-ran');
  });
});

describe('setsid / getsid', () => {
  it('makes the fixture a session and process-group leader with no terminal', async () => {
    const { child, report } = await startFixture('session.cjs', ['setsid']);
    const pid = child.pid!;
    expect(report.sid).toBe(pid);
    expect(report.getsid).toBe(pid);
    expect(report.getsidOfPid).toBe(pid);
    expect(report.getpgid).toBe(pid);
    expect((report.before as { sid: number }).sid).not.toBe(pid);
    const stat = procStat(pid);
    expect(Number(stat[5])).toBe(pid); // pgrp
    expect(Number(stat[6])).toBe(pid); // session
    expect(Number(stat[7])).toBe(0); // tty_nr: no controlling terminal
    expect(report.again).toEqual({ code: 'EPERM', syscall: 'setsid', message: 'EPERM: operation not permitted, setsid' });
  });
});

describe('setpgid / getpgid', () => {
  it('setpgid() puts the caller in a new group of its own', async () => {
    const { child, report } = await startFixture('session.cjs', ['setpgid']);
    const pid = child.pid!;
    expect(report.getpgid).toBe(pid);
    expect(report.getpgidOfPid).toBe(pid);
    expect(Number(procStat(pid)[5])).toBe(pid);
    expect(Number(procStat(pid)[6])).not.toBe(pid); // still in the old session
  });

  it('setpgid on a child that has already exec\'d fails with EACCES (kernel rule)', async () => {
    const { child, report } = await startFixture('session.cjs', ['setpgid-child']);
    const sleeper = report.child as number;
    expect(report.error).toEqual({ code: 'EACCES', syscall: 'setpgid', message: 'EACCES: permission denied, setpgid' });
    expect(Number(procStat(sleeper)[5])).not.toBe(sleeper);
    child.kill('SIGTERM');
    await waitFor(() => !alive(sleeper) || procStat(sleeper)[3] === 'Z', 5000, 'sleeper killed');
  });
});
