// Spawn cost with a cgroup per child (`cgroup: 'new'`: mkdir, clone3 into it,
// rmdir once reaped) against the same spawn without one, interleaved in rounds,
// medians per spawn. The target: within 1.2x. Each round also runs the
// same system calls from C (peers/cgroup_clone3.c, when `cc` is there): the
// kernel's own share, which no library can go below.
//   node bench/cgroup-bench.mjs [spawnsPerRound=300] [rounds=5]
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const p = require('../dist/index.js');
const cg = require('../dist/cgroup.js');

const perRound = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 5);

if (!p.supported.cgroups || cg.cgroupDirectoryOf('self') === null) {
  console.log('cgroup-bench: no cgroup v2 here, nothing to measure');
  process.exit(0);
}

async function timeSpawns(opts) {
  const made = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < perRound; i++) {
    const c = p.spawn('/bin/true', [], { stdio: 'ignore', ...opts });
    await c.exited;  // the cgroup is removed right after the reap: counted in
    if (c.cgroup !== null) made.push(c.cgroup);
  }
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / perRound;
  const left = made.filter((d) => existsSync(d));
  if (left.length > 0) throw new Error(`${left.length} cgroups were left behind, e.g. ${left[0]}`);
  return us;
}

/** The C floor, built into a temporary directory; null (and why) without a compiler. */
function buildFloor() {
  const out = mkdtempSync(path.join(tmpdir(), 'procctl-cgbench-'));
  const bin = path.join(out, 'cgroup_clone3');
  try {
    execFileSync('cc', ['-O2', '-o', bin, fileURLToPath(new URL('peers/cgroup_clone3.c', import.meta.url))], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { bin, out };
  } catch (err) {
    rmSync(out, { recursive: true, force: true });
    console.log(`cgroup-bench: no C floor (${String(err.stderr ?? err.message).trim().split('\n')[0]})`);
    return null;
  }
}
const floor = buildFloor();
const floorParent = cg.cgroupDirectoryOf('self');
function timeFloor() {
  return JSON.parse(execFileSync(floor.bin, [floorParent, String(perRound)], { encoding: 'utf8' }));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const plain = [];
const withCgroup = [];
const floorRatios = [];
console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await timeSpawns({});  // warm-up
await timeSpawns({ cgroup: 'new' });
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so drift in the machine's speed spreads evenly.
  if (r % 2 === 0) {
    plain.push(await timeSpawns({}));
    withCgroup.push(await timeSpawns({ cgroup: 'new' }));
  } else {
    withCgroup.push(await timeSpawns({ cgroup: 'new' }));
    plain.push(await timeSpawns({}));
  }
  if (floor !== null) {
    const f = timeFloor();
    floorRatios.push(f.cgroupUs / f.plainUs);
  }
}
if (floor !== null) rmSync(floor.out, { recursive: true, force: true });
const a = median(plain);
const b = median(withCgroup);
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`spawn+wait of /bin/true, ${rounds} rounds x ${perRound}, medians per spawn:`);
console.log(`  without a cgroup:      ${a.toFixed(1)} us`);
console.log(`  cgroup: 'new':         ${b.toFixed(1)} us`);
console.log(`  ratio:                 ${(b / a).toFixed(2)}x (target <= 1.2x)`);
if (floorRatios.length > 0) {
  console.log(`  C, same system calls:  ${median(floorRatios).toFixed(2)}x (median of ${floorRatios.length} rounds: mkdir, open, clone3 into it, rmdir)`);
}
