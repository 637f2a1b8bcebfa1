// When something else reaps a procctl child first (wait4(-1), reapZombies), the
// status is gone: `exited` rejects with ECHILD instead of hanging or crashing.
import { describe, expect, it } from 'vitest';
import { runFixture } from './helpers';

for (const engine of ['auto', 'fork']) {
  describe(`a Subprocess reaped by someone else (engine ${engine})`, () => {
    it('exited rejects with ECHILD; kill() is refused', async () => {
      const r = await runFixture('spawn-lost.cjs', ['await'], { env: { ...process.env, PROCCTL_SPAWN_ENGINE: engine } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        engine: engine === 'auto' ? 'clone3' : 'fork',
        stolen: [[true, 3]],
        rejected: { code: 'ECHILD', isSystemError: true },
        killAfter: false,
        exitStatus: null,
      });
    });

    it('a program that never awaits exited keeps running', async () => {
      const r = await runFixture('spawn-lost.cjs', ['ignore'], { env: { ...process.env, PROCCTL_SPAWN_ENGINE: engine } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ stolen: [[true, 3]], killAfter: false });
    });
  });
}
