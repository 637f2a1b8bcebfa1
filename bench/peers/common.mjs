// What the Node and Bun peers share: the contract every peer in bench/peers/ follows
// (the C, Go, Rust and Python peers implement the same in their own language).
//
//   <peer> MODE N HEAP_MB BUDGET_MS
//
// Grow RSS to HEAP_MB in 64 MiB chunks with one byte written per page; run MODE
// (seq: spawn+wait /bin/true; drop: the same as uid/gid 65534 with no supplementary
// groups, checked once first; conc: N spawns at once, then all reaped; capture:
// /bin/echo hello with stdout captured) N times or until BUDGET_MS has passed; print
// one JSON line {mode, n, totalNs, medianNs, rssKb, hwmKb}. A child that fails or
// prints the wrong thing ends the peer with status 1: a broken benchmark must not
// produce a figure.
import * as fs from 'node:fs';

export const NOBODY = 65534;
export const TRUE_ARGV = ['/bin/true'];
export const ECHO_ARGV = ['/bin/echo', 'hello'];
export const STATUS_ARGV = ['/bin/cat', '/proc/self/status'];
const CHUNK = 64 << 20;
const PAGE = 4096;

export function statusKb(field) {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : -1;
}

export function parseArgs(argv) {
  const [mode, n, heapMb, budgetMs] = argv;
  if (!['seq', 'drop', 'conc', 'capture'].includes(mode)) throw new Error(`unknown mode ${mode}`);
  return { mode, n: Number(n), heapMb: Number(heapMb), budgetNs: BigInt(budgetMs) * 1_000_000n };
}

export function growHeap(mb) {
  const held = [];
  while (statusKb('VmRSS') < mb * 1024) {
    const b = Buffer.allocUnsafeSlow(CHUNK);
    for (let i = 0; i < CHUNK; i += PAGE) b[i] = 1;
    held.push(b);
  }
  return held;
}

export function fail(what) {
  process.stderr.write(`${what}\n`);
  process.exit(1);
}

/** The child's /proc/self/status must show the drop: all four uids and gids 65534, no groups. */
export function verifyDrop(statusText) {
  const ok = /^Uid:\t65534\t65534\t65534\t65534$/m.test(statusText) &&
    /^Gid:\t65534\t65534\t65534\t65534$/m.test(statusText) &&
    /^Groups:[ \t]*$/m.test(statusText);
  if (!ok) fail(`drop not applied; the child's status:\n${statusText}`);
}

export function checkEcho(out) {
  if (out !== 'hello\n') fail(`unexpected output ${JSON.stringify(out)}`);
}

const now = () => process.hrtime.bigint();

/**
 * Runs one peer. `api` gives: seq(drop) (spawn /bin/true and wait, as nobody when
 * drop), capture(argv, drop) -> stdout text, and conc(n) (start n, then reap all);
 * each may return a promise.
 */
export async function main(api) {
  const { mode, n, heapMb, budgetNs } = parseArgs(process.argv.slice(2));
  const held = growHeap(heapMb);
  const rssKb = statusKb('VmRSS');
  const drop = mode === 'drop';
  if (drop) verifyDrop(await api.capture(STATUS_ARGV, true));
  let done = 0;
  let totalNs;
  const times = [];
  if (mode === 'conc') {
    if (!api.conc) fail('conc: not supported by this API');
    const t0 = now();
    await api.conc(n);
    totalNs = now() - t0;
    done = n;
    times.push(totalNs);
  } else {
    const once = mode === 'capture' ? async () => checkEcho(await api.capture(ECHO_ARGV, false)) : () => api.seq(drop);
    const w0 = now();
    for (let i = 0; i < 10 && now() - w0 < budgetNs / 4n; i++) await once();
    const t0 = now();
    while (done < n) {
      const a = now();
      await once();
      const b = now();
      times.push(b - a);
      done++;
      if (b - t0 > budgetNs && done >= 3) break;
    }
    totalNs = now() - t0;
  }
  times.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const out = { mode, n: done, totalNs: Number(totalNs), medianNs: Number(times[Math.floor(times.length / 2)]), rssKb, hwmKb: statusKb('VmHWM') };
  held.length = 0;
  process.stdout.write(JSON.stringify(out) + '\n');
}
