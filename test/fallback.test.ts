// Fallback paths with an injected platform: every call on a platform without it
// throws ENOSYS naming the platform; `supported` says so; _exit still works.
import { describe, expect, it } from 'vitest';
import { runFixture } from './helpers';

async function underPlatform(env: Record<string, string>, code = 0) {
  const r = await runFixture('fallback.cjs', [String(code)], { env: { ...process.env, ...env } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(code);
  expect(r.stdout).not.toContain('exit-handler-ran');
  return JSON.parse(r.stdout) as {
    supported: Record<string, unknown>;
    results: Record<string, { ok?: unknown; code?: string; syscall?: string; message?: string; isSystemError?: boolean }>;
  };
}

describe('injected platform: win32', () => {
  it('every direct call throws ENOSYS naming win32, and _exit still exits', async () => {
    const out = await underPlatform({ PROCCTL_PLATFORM: 'win32' }, 5);
    expect(out.supported).toMatchObject({ platform: 'win32', addon: false, exit: true, setsid: false, wait4: false, fdFlags: false, parentDeathSignal: false });
    for (const [name, result] of Object.entries(out.results)) {
      expect(result, name).toMatchObject({ code: 'ENOSYS', isSystemError: true });
      expect(result.message, name).toMatch(/^ENOSYS: function not implemented, \w+ \(not available on win32\)$/);
    }
    expect(out.results.setsid!.message).toBe('ENOSYS: function not implemented, setsid (not available on win32)');
  });
});

describe('injected platform: darwin', () => {
  it('POSIX calls work, prctl calls throw ENOSYS naming darwin', async () => {
    const out = await underPlatform({ PROCCTL_PLATFORM: 'darwin' });
    expect(out.supported).toMatchObject({ platform: 'darwin', addon: true, setsid: true, wait4: true, parentDeathSignal: false, childSubreaper: false, noNewPrivs: false, processName: false });
    for (const name of ['setParentDeathSignal', 'getParentDeathSignal', 'setChildSubreaper', 'isChildSubreaper', 'getNoNewPrivs', 'setProcessName', 'getProcessName']) {
      expect(out.results[name], name).toMatchObject({ code: 'ENOSYS', syscall: 'prctl', message: 'ENOSYS: function not implemented, prctl (not available on darwin)' });
    }
    expect(typeof out.results.getsid!.ok).toBe('number');
    expect(out.results.reapZombies).toEqual({ ok: [] });
    expect(out.results.isInheritable).toEqual({ ok: false });
  });
});

describe('no addon (PROCCTL_NO_ADDON=1)', () => {
  it('says why in the ENOSYS error', async () => {
    const out = await underPlatform({ PROCCTL_NO_ADDON: '1' });
    expect(out.supported).toMatchObject({ platform: 'linux', addon: false, setsid: false });
    expect(out.results.setsid!.message).toBe('ENOSYS: function not implemented, setsid (disabled by PROCCTL_NO_ADDON=1)');
  });
});
