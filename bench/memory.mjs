// procctl's memory checks, each in a fresh Node process (run by spawn-bench.mjs):
//
//   node bench/memory.mjs idle                 RSS of a Node that loaded nothing
//   node bench/memory.mjs idle-procctl         ... that loaded procctl
//   node bench/memory.mjs spawn N              N sequential spawn+wait of /bin/true
//   node bench/memory.mjs run N                N sequential run('/bin/echo', ['hello'])
//   node bench/memory.mjs conc N procctl|child_process   N at once, then all reaped
//
// The loops sample RSS and the fd count 50 times and fit a line: a slope near 0
// bytes per spawn and an unchanged fd count mean nothing is kept per child.
// Prints one JSON line.
import { spawn as cpSpawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { fail, statusKb } from './peers/common.mjs';

const require = createRequire(import.meta.url);

const fdCount = () => fs.readdirSync('/proc/self/fd').length;

function zombies() {
  let n = 0;
  for (const t of fs.readdirSync('/proc/self/task')) {
    for (const c of fs.readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      try {
        const s = fs.readFileSync(`/proc/${c}/stat`, 'utf8');
        if (s.slice(s.lastIndexOf(')') + 2)[0] === 'Z') n++;
      } catch {}
    }
  }
  return n;
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function loop(n, once) {
  for (let i = 0; i < Math.min(1000, n / 10); i++) await once();  // warm-up: JIT, pools, first GCs
  const every = Math.max(1, Math.floor(n / 50));
  const samples = [{ i: 0, rssKb: statusKb('VmRSS'), fds: fdCount() }];
  const t0 = process.hrtime.bigint();
  for (let i = 1; i <= n; i++) {
    await once();
    if (i % every === 0) samples.push({ i, rssKb: statusKb('VmRSS'), fds: fdCount() });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await new Promise((r) => setImmediate(r));
  const pts = samples.map((s) => ({ x: s.i, y: s.rssKb * 1024 }));
  const half = pts.slice(Math.floor(pts.length / 2));
  return {
    n,
    seconds,
    rssKbFirst: samples[0].rssKb,
    rssKbLast: samples.at(-1).rssKb,
    rssKbMax: Math.max(...samples.map((s) => s.rssKb)),
    bytesPerSpawn: slope(pts),
    bytesPerSpawnSecondHalf: slope(half),
    fdsFirst: samples[0].fds,
    fdsLast: samples.at(-1).fds,
    fdsMax: Math.max(...samples.map((s) => s.fds)),
    zombiesAfter: zombies(),
    samples: samples.map((s) => [s.i, s.rssKb, s.fds]),
  };
}

const [mode, nArg, api] = process.argv.slice(2);
const n = Number(nArg);
let out;
if (mode === 'idle') {
  await new Promise((r) => setTimeout(r, 100));
  out = { rssKb: statusKb('VmRSS'), hwmKb: statusKb('VmHWM') };
} else {
  const p = require('../dist/index.js');
  const spawnOnce = async () => {
    const st = await p.spawn('/bin/true', [], { stdio: 'inherit' }).exited;
    if (st.exitCode !== 0) fail(`child exited with ${JSON.stringify(st)}`);
  };
  if (mode === 'idle-procctl') {
    await new Promise((r) => setTimeout(r, 100));
    out = { rssKb: statusKb('VmRSS'), hwmKb: statusKb('VmHWM') };
  } else if (mode === 'spawn') {
    out = await loop(n, spawnOnce);
  } else if (mode === 'run') {
    out = await loop(n, async () => {
      const r = await p.run('/bin/echo', ['hello']);
      if (r.stdout !== 'hello\n') fail(`unexpected output ${JSON.stringify(r.stdout)}`);
    });
  } else if (mode === 'conc') {
    const cpOnce = () => new Promise((resolve, reject) => {
      const c = cpSpawn('/bin/true', [], { stdio: 'inherit' });
      c.on('error', reject);
      c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
    });
    const once = api === 'child_process' ? cpOnce : spawnOnce;
    const before = statusKb('VmRSS');
    await Promise.all(Array.from({ length: n }, once));
    await new Promise((r) => setImmediate(r));
    out = { api, n, rssKbBefore: before, hwmKb: statusKb('VmHWM'), rssKbAfter: statusKb('VmRSS'), zombiesAfter: zombies() };
  } else {
    fail('usage: memory.mjs idle | idle-procctl | spawn N | run N | conc N procctl|child_process');
  }
}
process.stdout.write(JSON.stringify(out) + '\n');
