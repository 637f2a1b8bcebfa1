// Bun peers: Bun.spawn and Bun.spawnSync (see common.mjs for the contract).
//   bun bench/peers/bun.mjs spawn|spawnSync MODE N HEAP_MB BUDGET_MS
import { NOBODY, TRUE_ARGV as TRUE, fail, main } from './common.mjs';

const which = process.argv[2];
process.argv.splice(2, 1);
const inherit = ['inherit', 'inherit', 'inherit'];
const dropOpts = { uid: NOBODY, gid: NOBODY };

const apis = {
  spawn: {
    seq: async (drop) => {
      const code = await Bun.spawn(TRUE, { stdio: inherit, ...(drop ? dropOpts : {}) }).exited;
      if (code !== 0) fail(`exit ${code}`);
    },
    capture: async (argv, drop) => {
      const p = Bun.spawn(argv, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', ...(drop ? dropOpts : {}) });
      const [out, code] = await Promise.all([p.stdout.text(), p.exited]);
      if (code !== 0) fail(`exit ${code}`);
      return out;
    },
    conc: async (n) => {
      const codes = await Promise.all(Array.from({ length: n }, () => Bun.spawn(TRUE, { stdio: inherit }).exited));
      if (codes.some((c) => c !== 0)) fail('a child failed');
    },
  },
  spawnSync: {
    seq: (drop) => {
      const r = Bun.spawnSync(TRUE, { stdio: inherit, ...(drop ? dropOpts : {}) });
      if (r.exitCode !== 0) fail(`exit ${r.exitCode}`);
    },
    capture: (argv, drop) => {
      const r = Bun.spawnSync(argv, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', ...(drop ? dropOpts : {}) });
      if (r.exitCode !== 0) fail(`exit ${r.exitCode}`);
      return r.stdout.toString();
    },
    // spawnSync waits for each child: it cannot have 1000 running at once.
    conc: null,
  },
};
if (!apis[which]) fail(`usage: bun.mjs ${Object.keys(apis).join('|')} MODE N HEAP_MB BUDGET_MS`);
await main(apis[which]);
