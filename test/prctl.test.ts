// prctl calls in child fixtures, observed through /proc/<pid> and wait4 from outside.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { killLiveFixtures, procStatus, runFixture, startFixture, needsRealKernel, QEMU } from './helpers';

afterEach(killLiveFixtures);

describe('parent-death signal', () => {
  it('set, read back by name, cleared with 0, set by number', async () => {
    const { report } = await startFixture('prctl.cjs', ['pdeathsig', 'SIGUSR2', '9']);
    expect(report).toMatchObject({ before: null, after: 'SIGUSR2', cleared: null, byNumber: 'SIGKILL' });
  });

  it('kills the fixture when its parent is SIGKILLed', async (ctx) => {
    needsRealKernel(ctx, QEMU.subreaper);
    const r = await runFixture('pdeath-top.cjs', ['SIGTERM']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout);
    expect(report.armed).toBe('SIGTERM');
    expect(report.signal).toBe('SIGTERM');
    expect(report.exitCode).toBe(null);
  });

  it('delivers the signal asked for (SIGHUP)', async (ctx) => {
    needsRealKernel(ctx, QEMU.subreaper);
    const r = await runFixture('pdeath-top.cjs', ['SIGHUP']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ armed: 'SIGHUP', signal: 'SIGHUP' });
  });
});

describe('child subreaper', () => {
  it('adopts an orphaned grandchild, which it can then reap', async (ctx) => {
    needsRealKernel(ctx, QEMU.subreaper);
    const r = await runFixture('subreaper.cjs');
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout);
    expect(report.before).toBe(false);
    expect(report.after).toBe(true);
    expect(report.orphanPpid).toBe(report.pid);
    expect(report.reaped).toEqual({ pid: report.orphan, signal: 'SIGTERM', shellCode: 143 });
  });

  it('without it, the orphan goes elsewhere', async (ctx) => {
    needsRealKernel(ctx, QEMU.subreaper);
    const r = await runFixture('subreaper.cjs', ['off']);
    const report = JSON.parse(r.stdout);
    expect(report.after).toBe(false);
    expect(report.orphanPpid).not.toBe(report.pid);
  });
});

describe('no-new-privs', () => {
  it('is visible as NoNewPrivs: 1 in /proc/<pid>/status', async () => {
    const { child, report } = await startFixture('prctl.cjs', ['nnp']);
    expect(report).toMatchObject({ before: false, after: true });
    expect(procStatus(child.pid!).NoNewPrivs).toBe('1');
  });
});

describe('process name', () => {
  it('shows in /proc/<pid>/comm', async () => {
    const { child, report } = await startFixture('prctl.cjs', ['name', 'procctl-demo']);
    expect(report).toMatchObject({ set: 'procctl-demo', get: 'procctl-demo' });
    expect(readFileSync(`/proc/${child.pid}/comm`, 'utf8')).toBe('procctl-demo\n');
  });

  it('accepts exactly 15 bytes', async () => {
    const { child } = await startFixture('prctl.cjs', ['name', 'abcdefghijklmno']);
    expect(readFileSync(`/proc/${child.pid}/comm`, 'utf8')).toBe('abcdefghijklmno\n');
  });

  it('truncates on request at a character boundary', async () => {
    // 'é' is 2 bytes: 14 ASCII bytes + 'é' would be 16, so it is dropped whole.
    const { child, report } = await startFixture('prctl.cjs', ['name', 'abcdefghijklmné', 'truncate']);
    expect(report.set).toBe('abcdefghijklmn');
    expect(readFileSync(`/proc/${child.pid}/comm`, 'utf8')).toBe('abcdefghijklmn\n');
  });
});
