import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { ROOT, alive, procStatus, waitFor, needsRoot } from './helpers';

function get(port: number): Promise<{ pid: number; uid: number; gid: number }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

function startSupervisor() {
  const child = spawn(process.execPath, [path.join(ROOT, 'examples', 'supervisor.mjs'), '0', '2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const started = () => events.filter((e) => e.event === 'worker-started').map((e) => e.pid as number);
  return { child, events, exited, started, stderr: () => stderr };
}

describe('examples/supervisor.mjs', () => {
  it('serves from workers running as nobody on the inherited socket, restarts dead workers, stops cleanly', async (ctx) => {
    needsRoot(ctx, 'runs workers as nobody');
    const s = startSupervisor();
    const listening = await waitFor(() => s.events.find((e) => e.event === 'listening'), 10_000, 'listening');
    const port = listening.port as number;
    await waitFor(() => s.started().length === 2, 10_000, 'two workers');
    const [w0, w1] = s.started() as [number, number];
    for (const w of [w0, w1]) {
      const st = procStatus(w);
      expect(st.Uid).toBe('65534\t65534\t65534\t65534');
      expect(st.Groups).toBe('');
      expect(st.PPid).toBe(String(s.child.pid));
    }
    // Every request is answered by a worker (never the root supervisor).
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(port)));
    for (const a of answers) {
      expect(a.uid).toBe(65534);
      expect([w0, w1]).toContain(a.pid);
    }
    // A worker that dies is reported and replaced.
    process.kill(w0, 'SIGKILL');
    await waitFor(() => s.events.find((e) => e.event === 'worker-exited' && e.pid === w0), 5000, 'exit reported');
    expect(s.events.find((e) => e.event === 'worker-exited' && e.pid === w0)!.status).toBe(137);
    await waitFor(() => s.started().length === 3, 5000, 'replacement');
    const w2 = s.started()[2]!;
    expect(procStatus(w2).Uid).toBe('65534\t65534\t65534\t65534');
    const again = await Promise.all(Array.from({ length: 10 }, () => get(port)));
    for (const a of again) expect([w1, w2]).toContain(a.pid);
    // SIGTERM: workers stopped and waited for, exit 0, nothing left.
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.events.at(-1)).toEqual({ event: 'stopped' });
    expect(alive(w1)).toBe(false);
    expect(alive(w2)).toBe(false);
    expect(s.stderr()).toBe('');
  });

  it('workers die with the supervisor when it is SIGKILLed (parent-death signal)', async (ctx) => {
    needsRoot(ctx, 'runs workers as nobody');
    const s = startSupervisor();
    await waitFor(() => s.started().length === 2, 10_000, 'two workers');
    const workers = s.started();
    s.child.kill('SIGKILL');
    await s.exited;
    await waitFor(() => workers.every((w) => !alive(w) || procStatus(w).State.startsWith('Z')), 5000, 'workers gone');
  });
});
