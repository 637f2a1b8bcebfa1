// Node peers: procctl and child_process (see common.mjs for the contract).
//   node bench/peers/node.mjs procctl|procctl-sync|child_process MODE N HEAP_MB BUDGET_MS
import { execFile, spawn as cpSpawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { NOBODY, fail, main } from './common.mjs';

const require = createRequire(import.meta.url);
const which = process.argv[2];
process.argv.splice(2, 1);

function procctlApi() {
  const { spawn, run } = require('../../dist/index.js');
  const dropOpts = { user: NOBODY, group: NOBODY, groups: [] };
  const waitOk = async (child) => {
    const st = await child.exited;
    if (st.exitCode !== 0) fail(`child exited with ${JSON.stringify(st)}`);
  };
  return {
    seq: (drop) => waitOk(spawn('/bin/true', [], drop ? { ...dropOpts, stdio: 'inherit' } : { stdio: 'inherit' })),
    capture: async (argv, drop) => {
      const r = await run(argv[0], argv.slice(1), drop ? dropOpts : {});
      if (r.status.exitCode !== 0) fail(`child exited with ${JSON.stringify(r.status)}`);
      return r.stdout;
    },
    conc: (n) => Promise.all(Array.from({ length: n }, () => waitOk(spawn('/bin/true', [], { stdio: 'inherit' })))),
  };
}

/** procctl's runSync: blocks per child, so it has no concurrent workload (as Bun.spawnSync). */
function procctlSyncApi() {
  const { runSync } = require('../../dist/index.js');
  const dropOpts = { user: NOBODY, group: NOBODY, groups: [] };
  const ok = (r) => {
    if (r.status.exitCode !== 0) fail(`child exited with ${JSON.stringify(r.status)}`);
    return r;
  };
  return {
    seq: (drop) => {
      ok(runSync('/bin/true', [], drop ? { ...dropOpts, stdio: 'inherit' } : { stdio: 'inherit' }));
    },
    capture: (argv, drop) => ok(runSync(argv[0], argv.slice(1), drop ? dropOpts : {})).stdout,
    conc: null,
  };
}

function childProcessApi() {
  const dropOpts = { uid: NOBODY, gid: NOBODY };  // libuv then calls setgroups(0, NULL)
  const once = (opts) => new Promise((resolve, reject) => {
    const c = cpSpawn('/bin/true', [], opts);
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
  return {
    seq: (drop) => once(drop ? { ...dropOpts, stdio: 'inherit' } : { stdio: 'inherit' }),
    capture: (argv, drop) => new Promise((resolve, reject) => {
      execFile(argv[0], argv.slice(1), drop ? dropOpts : {}, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    }),
    conc: (n) => Promise.all(Array.from({ length: n }, () => once({ stdio: 'inherit' }))),
  };
}

const apis = { procctl: procctlApi, 'procctl-sync': procctlSyncApi, child_process: childProcessApi };
if (!apis[which]) fail(`usage: node.mjs ${Object.keys(apis).join('|')} MODE N HEAP_MB BUDGET_MS`);
await main(apis[which]());
