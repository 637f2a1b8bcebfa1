// The README quick start's main job: the demo, run under `procctl init`, and alone.
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { isRoot, ROOT, run } from './helpers';

const DEMO = path.join(ROOT, 'examples/demo.mjs');

function checkDemo(stdout: string): void {
  expect(stdout).toMatch(/setProcessName -> \/proc\/self\/comm\s+procctl-demo/);
  expect(stdout).toMatch(/adopted orphan reaped\s+\{"pid":\d+,"exitCode":42,"shellCode":42\}/);
  expect(stdout).toMatch(/wait4\(\) with no children\s+SystemError ECHILD: no child processes, wait4/);
  expect(stdout).toMatch(/child _exit\(7\): status \/ stdout\s+7 \/ ""\n/);
  if (isRoot) {
    expect(stdout).toMatch(/run\('id', \{ user: 'nobody' \}\)\s+uid=65534\(nobody\) gid=65534\(nogroup\) groups=65534\(nogroup\)\n/);
  } else {
    // Not root: the demo says what it left out and why instead of going quiet.
    expect(stdout).toMatch(/run\('id', \{ user: 'nobody' \}\)\s+left out: switching to another user needs root \(this is uid \d+\)\n/);
  }
  const sid = /spawn sleep \{ setsid \} -> sid\s+(\d+) \(pid (\d+)\)/.exec(stdout);
  expect(sid).not.toBeNull();
  expect(sid![1]).toBe(sid![2]);
  expect(stdout).toMatch(/kill\(SIGTERM\) -> exited\s+\{"signal":"SIGTERM","shellCode":143\}/);
  // execvp replaced the demo in place: same pid, and SIGPIPE is no longer ignored.
  const before = /execvp\(sh\) from pid\s+(\d+)/.exec(stdout);
  const after = /sh now runs as pid (\d+); SigIgn:\s+(\w+)/.exec(stdout);
  expect(before).not.toBeNull();
  expect(after).not.toBeNull();
  expect(after![1]).toBe(before![1]);
  expect(after![2]).toBe('0000000000000000');
}

describe('examples/demo.mjs', () => {
  it('runs every call and ends by exec-ing sh in place', async () => {
    const r = await run(process.execPath, [DEMO], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/setpgid\(0, 0\) -> pgid\s+\d+/);
    checkDemo(r.stdout);
  });

  it('runs under `procctl init -s` (the quick start), as a session leader', async () => {
    const r = await run(process.execPath, [path.join(ROOT, 'bin/procctl.js'), 'init', '-s', '--', process.execPath, DEMO], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/setpgid\(0, 0\) as session leader\s+EPERM: operation not permitted, setpgid/);
    checkDemo(r.stdout);
  });
});
