import { defineConfig } from 'vitest/config';

// The tests run root's tools from sbin (runuser, useradd, groupadd). A root shell
// entered with plain `su`, or a bare CI environment, may not have sbin in PATH.
const dirs = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':');
const PATH = [...dirs, ...['/usr/local/sbin', '/usr/sbin', '/sbin'].filter((d) => !dirs.includes(d))].join(':');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Separate processes, not worker threads: spawn and exec refuse to run from a
    // worker thread (PDEATHSIG follows the creating thread).
    pool: 'forks',
    env: { PATH },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
