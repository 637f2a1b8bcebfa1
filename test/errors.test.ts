import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { run, ROOT } from './helpers';

const require = createRequire(import.meta.url);
const procctl = require('../dist/index.js') as typeof import('../lib/index');

describe('package entry points', () => {
  it('loads with require() and import in plain Node, sharing one module', async () => {
    const script = [
      "import { setsid, SystemError, supported } from 'procctl';",
      "import { createRequire } from 'node:module';",
      "const cjs = createRequire(import.meta.url)('procctl');",
      "console.log(typeof setsid, setsid === cjs.setsid, SystemError === cjs.SystemError, Object.isFrozen(supported));",
    ].join('\n');
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('function true true true');
  });
});

describe('SystemError', () => {
  it('has Node-style code, negative errno, syscall and message', () => {
    let caught: unknown;
    try {
      procctl.setpgid(0x7ffffff0, 0);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(procctl.SystemError);
    expect(caught).toBeInstanceOf(Error);
    const e = caught as InstanceType<typeof procctl.SystemError>;
    expect(e.code).toBe('ESRCH');
    expect(e.errno).toBe(-3);
    expect(e.syscall).toBe('setpgid');
    expect(e.message).toBe('ESRCH: no such process, setpgid');
  });

  it('describes codes libuv has no text for (ECHILD)', () => {
    const e = new procctl.SystemError(10, 'wait4');
    expect(e.message).toBe('ECHILD: no child processes, wait4');
  });
});
