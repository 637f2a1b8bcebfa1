/**
 * Every ```dockerfile block of README.md and docs/init.md, run exactly as
 * written, with its ENTRYPOINT + CMD as PID 1 in `unshare --pid --fork
 * --mount-proc` (a container's PID namespace) and WORKDIR /app played by an
 * application directory made here (node_modules/procctl is this checkout, as
 * `npm ci` would install it). RUN lines run with `sh -c` there, as Docker does.
 * Each must: reap an orphan the app leaves, deliver one SIGTERM to the app, and
 * exit with the app's status.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT, run, waitFor } from './helpers';

interface Block {
  file: string;
  title: string;
  workdir: string | null;
  run: string[];
  entrypoint: string[];
  cmd: string[];
}

function dockerfileBlocks(file: string): Block[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const blocks: Block[] = [];
  for (const m of text.matchAll(/```dockerfile\n([^]*?)```/g)) {
    const b: Block = { file, title: '', workdir: null, run: [], entrypoint: [], cmd: [] };
    for (const line of m[1]!.split('\n')) {
      const [, instr, rest] = /^(\w+)\s+(.*)$/.exec(line.trim()) ?? [];
      if (line.startsWith('#') && b.title === '') b.title = line.replace(/^#\s*/, '');
      if (instr === 'WORKDIR') b.workdir = rest!;
      else if (instr === 'RUN') b.run.push(rest!);
      else if (instr === 'ENTRYPOINT') b.entrypoint = JSON.parse(rest!) as string[];
      else if (instr === 'CMD') b.cmd = JSON.parse(rest!) as string[];
      else if (instr !== undefined && !line.startsWith('#')) throw new Error(`${file}: no test for the Dockerfile instruction ${instr}`);
    }
    blocks.push(b);
  }
  return blocks;
}

const BLOCKS = [...dockerfileBlocks('README.md'), ...dockerfileBlocks('docs/init.md')];

// The app: leaves an orphan (its sh exits at once), says when the orphan has been
// reaped (gone from /proc, not a zombie), then counts SIGTERMs for 300 ms after
// the first and exits 42.
const SERVER = `'use strict';
const cp = require('node:child_process');
const fs = require('node:fs');
let terms = 0;
process.on('SIGTERM', () => {
  terms += 1;
  if (terms === 1) setTimeout(() => { console.log('terms=' + terms); process.exit(42); }, 300);
});
const orphan = Number(cp.execFileSync('sh', ['-c', '(sleep 0.1; exit 3) >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).trim());
setInterval(() => {}, 1 << 30); // a server stays up until told to stop
const timer = setInterval(() => {
  if (fs.existsSync('/proc/' + orphan)) return;
  clearInterval(timer);
  console.log('ready uid=' + process.getuid() + ' pid=' + process.pid);
}, 10);
`;

describe('the Dockerfile lines in README.md and docs/init.md, as PID 1', () => {
  it('there are blocks for the three ways, and none uses npx', () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(4);
    expect(BLOCKS.some((b) => b.entrypoint.includes('init'))).toBe(true);
    expect(BLOCKS.some((b) => b.entrypoint[0]?.endsWith('procctl-init'))).toBe(true);
    expect(BLOCKS.some((b) => b.entrypoint.length === 0)).toBe(true);
    for (const b of BLOCKS) expect([...b.entrypoint, ...b.cmd, ...b.run].join(' ')).not.toMatch(/\bnpx\b/);
  });

  for (const block of BLOCKS) {
    it(`${block.file}: ${block.title || [...block.entrypoint, ...block.cmd].join(' ')}`, async () => {
      expect(block.workdir).toBe('/app');
      const app = mkdtempSync(path.join(tmpdir(), 'procctl-app-'));
      try {
        // readable by anyone: one block runs the app as nobody
        chmodSync(app, 0o755);
        mkdirSync(path.join(app, 'node_modules', '.bin'), { recursive: true });
        symlinkSync(ROOT, path.join(app, 'node_modules', 'procctl'));
        symlinkSync('../procctl/bin/procctl.js', path.join(app, 'node_modules', '.bin', 'procctl'));
        const asInit = block.entrypoint.length === 0;
        writeFileSync(path.join(app, 'server.js'), (asInit ? "require('procctl').actAsInit();\n" : '') + SERVER, { mode: 0o644 });
        for (const line of block.run) {
          const r = await run('sh', ['-c', line], { cwd: app });
          expect(r, line).toMatchObject({ code: 0, stderr: '' });
        }
        const argv = [...block.entrypoint, ...block.cmd];
        const child = spawn('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', ...argv], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
        try {
          const ready = await waitFor(() => /ready uid=(\d+) pid=(\d+)/.exec(stdout), 20_000, 'the app, with its orphan reaped').catch((e: Error) => {
            throw new Error(`${e.message}\nstdout: ${stdout}\nstderr: ${stderr}`);
          });
          const pid1 = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
          if (asInit) {
            expect(ready[2]).toBe('1'); // the app itself is PID 1
          } else {
            expect(readFileSync(`/proc/${pid1}/comm`, 'utf8').trim()).toBe('procctl-init');
          }
          expect(ready[1]).toBe(argv.includes('exec') ? '65534' : '0');
          process.kill(pid1, 'SIGTERM');
          expect(await exited).toBe(42);
          expect(stdout).toContain('terms=1\n');
          expect(stderr).toBe('');
        } finally {
          if (child.exitCode === null) child.kill('SIGKILL');
        }
      } finally {
        rmSync(app, { recursive: true, force: true });
      }
    });
  }
});
