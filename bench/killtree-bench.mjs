#!/usr/bin/env node
// killTree on a 1000-process tree: the /proc walk (stop, read children, signal,
// continue) against a cgroup v2 (cgroup.kill for SIGKILL; freeze, signal,
// thaw for SIGTERM).
//
//   node bench/killtree-bench.mjs [--rounds N] [--shape 9,10,10]
//
// Linux, as root (a cgroup is created under this process's own cgroup v2, and
// removed). Each round builds a fresh tree with perl: the root forks 9
// children, each of those 10, each of those 10 (1 + 9 + 90 + 900 = 1000
// processes, every one sleeping), waits until all have started, then times the
// killTree call alone ("call", and the CPU time this process spent in it,
// pool thread included: "cpu") and until the last process of the tree is gone
// ("all gone": reaped by its parent or by this process, a child subreaper).
// Modes alternate within each round, so load from anything else on the machine
// hits all alike; the median round of each mode is reported with min and max.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';

const require = createRequire(import.meta.url);
const p = require('../dist/index.js');
const cgroup = require('../dist/cgroup.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const rounds = Number(arg('--rounds', '5'));
const shape = arg('--shape', '9,10,10').split(',').map(Number);
const size = shape.reduce((acc, f, i) => acc + shape.slice(0, i + 1).reduce((a, b) => a * b, 1), 1);

// Every process prints one byte once it runs (so the tree is complete when
// `size` bytes arrived), then sleeps. Children fork before printing.
const PERL = `
$| = 1;
my @shape = split /,/, $ARGV[0];
sub node {
  my ($level) = @_;
  if ($level < @shape) {
    for (1 .. $shape[$level]) {
      my $pid = fork();
      die "fork: $!" unless defined $pid;
      if ($pid == 0) { node($level + 1); exit 0; }
    }
  }
  print "x";
  sleep 1000 while 1;
}
node(0);
`;

/** Starts the tree (in `dir` when given) and resolves once all `size` processes run. */
function buildTree(dir) {
  const args = dir ? ['-c', 'echo $$ > "$CG/cgroup.procs" && exec perl -e "$PERL" "$SHAPE"'] : ['-c', 'exec perl -e "$PERL" "$SHAPE"'];
  const child = spawn('sh', args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PERL, SHAPE: shape.join(','), ...(dir ? { CG: dir } : {}) },
  });
  return new Promise((resolve, reject) => {
    let seen = 0;
    child.stdout.on('data', (d) => {
      seen += d.length;
      if (seen === size) resolve(child);
    });
    child.on('exit', (code, sig) => {
      if (seen < size) reject(new Error(`tree ended early (${code ?? sig}) after ${seen} of ${size}`));
    });
  });
}

/** Every pid below and including `root`, from /proc (untimed bookkeeping). */
function treePids(root) {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    for (const t of fs.readdirSync(`/proc/${out[i]}/task`)) {
      const text = fs.readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
      if (text) out.push(...text.split(' ').map(Number));
    }
  }
  return out;
}

const gone = (pid) => !fs.existsSync(`/proc/${pid}`);

async function untilGone(pids) {
  let rest = pids;
  while ((rest = rest.filter((pid) => !gone(pid))).length > 0) await new Promise((r) => setImmediate(r));
}

const modes = {
  'walk SIGTERM': { cgroup: false, sig: 'SIGTERM' },
  'walk SIGKILL': { cgroup: false, sig: 'SIGKILL' },
  'cgroup SIGTERM (freeze)': { cgroup: true, sig: 'SIGTERM' },
  'cgroup SIGKILL (cgroup.kill)': { cgroup: true, sig: 'SIGKILL' },
};

async function main() {
  if (process.platform !== 'linux') throw new Error('killTree is Linux only');
  const reaper = p.startReaper({ subreaper: true });
  const results = Object.fromEntries(Object.keys(modes).map((m) => [m, { call: [], cpu: [], all: [], counts: [] }]));
  const made = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, mode] of Object.entries(modes)) {
        const dir = mode.cgroup ? cgroup.createCgroup() : null;
        if (dir) made.push(dir);
        const root = await buildTree(dir);
        const pids = treePids(root.pid);
        if (pids.length !== size) throw new Error(`tree has ${pids.length} processes, expected ${size}`);
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const count = await p.killTree(root.pid, mode.sig, dir ? { cgroup: dir } : undefined);
        const t1 = process.hrtime.bigint();
        const cpu = process.cpuUsage(cpu0);
        await untilGone(pids);
        const t2 = process.hrtime.bigint();
        results[name].call.push(Number(t1 - t0) / 1e6);
        results[name].all.push(Number(t2 - t0) / 1e6);
        results[name].cpu.push((cpu.user + cpu.system) / 1000);
        results[name].counts.push(count);
        if (dir) {
          await cgroup.waitCgroupEvent(dir, 'populated', 0, 10_000);
          cgroup.removeCgroup(dir);
          made.pop();
        }
      }
    }
  } finally {
    for (const dir of made) cgroup.removeCgroup(dir);
    reaper.stop();
  }
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${s[Math.floor(s.length / 2)].toFixed(1)} ms (min ${s[0].toFixed(1)}, max ${s[s.length - 1].toFixed(1)})`;
  };
  console.log(`killTree on a ${size}-process tree (shape ${shape.join(',')}), ${rounds} rounds, median:`);
  for (const [name, r] of Object.entries(results)) {
    console.log(`  ${name.padEnd(30)} call ${stats(r.call)}, cpu ${stats(r.cpu)}; all gone ${stats(r.all)}; signalled ${[...new Set(r.counts)].join('/')}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
