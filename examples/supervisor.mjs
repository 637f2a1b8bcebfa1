// A small supervisor, the way container entrypoints are written in C, in Node:
// - binds a TCP port as root (a low port works too),
// - runs N workers as `nobody`, each given the listening socket as fd 3 and
//   SIGTERM as its parent-death signal (no orphaned workers if we are SIGKILLed),
// - reaps every orphan that lands on it (it is a child subreaper),
// - restarts a worker that dies, and on SIGTERM/SIGINT stops them all and exits.
//
//   sudo node examples/supervisor.mjs [port] [workers]
//
// Each line on stdout is a JSON event, so a test (or a human) can follow along.
import * as net from 'node:net';
import { spawn, startReaper, fdOf, duplicateFd } from '../dist/index.mjs';

const port = Number(process.argv[2] ?? 8080);
const count = Number(process.argv[3] ?? 2);
const log = (event) => console.log(JSON.stringify(event));

// The worker: serves HTTP on the inherited fd 3 and says who it runs as.
const WORKER = `
const http = require('node:http');
http.createServer((req, res) => {
  res.end(JSON.stringify({ pid: process.pid, uid: process.getuid(), gid: process.getgid() }) + '\\n');
}).listen({ fd: 3 });
`;

const server = net.createServer();
await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
const boundPort = server.address().port;
// The supervisor must never accept a connection itself (its loop would race the
// workers and drop what it took): keep a plain duplicate of the listening socket,
// which nothing here polls, and close the server.
const listenFd = duplicateFd(fdOf(server));
server.close();
log({ event: 'listening', port: boundPort, pid: process.pid });

const reaper = startReaper({ subreaper: true });
reaper.on('reap', (st) => log({ event: 'reaped-orphan', pid: st.pid, status: st.shellCode }));

const workers = new Map(); // slot -> Subprocess
let stopping = false;

function startWorker(slot) {
  const w = spawn(process.execPath, ['-e', WORKER], {
    user: 'nobody', // groups default to [] when user is set: root's groups never leak
    parentDeathSignal: 'SIGTERM',
    stdio: ['ignore', 'inherit', 'inherit', listenFd],
  });
  workers.set(slot, w);
  log({ event: 'worker-started', slot, pid: w.pid });
  w.exited.then((st) => {
    log({ event: 'worker-exited', slot, pid: w.pid, status: st.shellCode });
    if (workers.get(slot) === w) workers.delete(slot);
    if (!stopping) setTimeout(() => startWorker(slot), 100); // restart, with a small back-off
  });
}

for (let i = 0; i < count; i++) startWorker(i);

async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log({ event: 'stopping', signal });
  const all = [...workers.values()];
  for (const w of all) w.kill('SIGTERM');
  await Promise.all(all.map((w) => w.exited));
  reaper.stop();
  log({ event: 'stopped' });
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
