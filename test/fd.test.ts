import { describe, expect, it } from 'vitest';
import { runFixture } from './helpers';

describe('fd inheritance and blocking flags', () => {
  it('controls what a child process inherits and what fdinfo shows; EBADF once closed', async () => {
    const r = await runFixture('fd.cjs');
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      inheritableInitially: false,
      inChildInitially: false,
      inheritableAfter: true,
      inChildAfter: true,
      inChildCleared: false,
      blockingInitially: true,
      blockingAfter: false,
      nonblockInFdinfo: true,
      nonblockCleared: true,
      isInheritable: 'EBADF fcntl',
      isBlocking: 'EBADF fcntl',
      setInheritable: 'EBADF EBADF: bad file descriptor, fcntl',
      setBlocking: 'EBADF',
    });
  });
});
