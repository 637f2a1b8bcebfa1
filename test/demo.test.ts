// The README's demo script runs and shows each call working.
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { ROOT, run } from './helpers';

describe('examples/demo.mjs', () => {
  it('runs every direct call and exits 0 without exit handlers', async () => {
    const r = await run(process.execPath, [path.join(ROOT, 'examples/demo.mjs')], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/setProcessName -> \/proc\/self\/comm\s+procctl-demo/);
    expect(r.stdout).toMatch(/adopted orphan reaped\s+\{"pid":\d+,"exitCode":42,"shellCode":42\}/);
    expect(r.stdout).toMatch(/wait4\(\) with no children\s+SystemError ECHILD: no child processes, wait4/);
    expect(r.stdout).not.toContain('this exit handler never runs');
  });
});
