// Self-updating HTTP server: on SIGHUP it re-executes itself (same PID, same
// listening socket) without dropping a connection.
//
//   node examples/self-update.mjs            # prints {"ready":true,"port":...}
//   curl 'http://127.0.0.1:<port>/?delay=2000' &   # a slow request in flight
//   kill -HUP <pid>                          # new code takes over; curl still gets its answer
//
// How: the listening socket is duplicated, Node's own handle is closed (so this
// generation stops accepting while the kernel keeps queueing new connections in
// the socket's backlog), requests in flight finish, then reexec() hands the
// duplicate to the next generation, which picks it up with inheritedFds().
//
// A verified update: with SELF_UPDATE_FILE (a self-contained CommonJS bundle)
// and SELF_UPDATE_SHA256 (its expected SHA-256, hex), SIGHUP runs that file
// instead of this one, but only once its hash matches. The hash is computed
// from the open fd, and that same fd is what runs (reexec({ scriptFd })): a
// file swapped in at the path after the check is never the one that runs.
//
//   SELF_UPDATE_FILE=/srv/app/next.cjs SELF_UPDATE_SHA256=<hex> node examples/self-update.mjs
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { reexec, inheritedFds, duplicateFd, fdOf } from '../dist/index.mjs';

const generation = Number(process.env.SELF_UPDATE_GENERATION ?? '1');

const server = http.createServer((req, res) => {
  const delay = Number(new URL(req.url, 'http://localhost').searchParams.get('delay') ?? 0);
  // Headers at once, the body after `delay` ms: a client knows its request is
  // being handled (accepted by this generation) before the answer comes.
  res.setHeader('content-type', 'application/json');
  res.flushHeaders();
  setTimeout(() => {
    res.end(JSON.stringify({ pid: process.pid, generation }) + '\n');
  }, delay);
});

function ready() {
  console.log(JSON.stringify({ ready: true, port: server.address().port, pid: process.pid, generation }));
}

const [fd] = inheritedFds();
if (fd !== undefined) server.listen({ fd }, ready);
else server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', ready);

/**
 * The fd of `file` when what it holds hashes to `expected`, else null. Read
 * through the fd (positional reads), so the bytes hashed are the bytes that run.
 */
function openVerified(file, expected) {
  const fd = fs.openSync(file, 'r');
  const hash = crypto.createHash('sha256');
  const buf = Buffer.alloc(65536);
  for (let pos = 0, n; (n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) hash.update(buf.subarray(0, n));
  const actual = hash.digest();
  const wanted = Buffer.from(expected ?? '', 'hex');
  if (wanted.length === actual.length && crypto.timingSafeEqual(actual, wanted)) return fd;
  fs.closeSync(fd);
  return null;
}

let updating = false;
process.on('SIGHUP', () => {
  if (updating) return;
  let scriptFd;
  const update = process.env.SELF_UPDATE_FILE;
  if (update) {
    scriptFd = openVerified(update, process.env.SELF_UPDATE_SHA256);
    if (scriptFd === null) {
      console.log(JSON.stringify({ refused: update, reason: 'SHA-256 mismatch', generation }));
      return;
    }
  }
  updating = true;
  const listenFd = duplicateFd(fdOf(server)); // stays open when Node closes its handle
  console.log(JSON.stringify({ updating: true, generation, verified: scriptFd !== undefined }));
  server.close(() => {
    reexec({
      inheritFds: [listenFd],
      scriptFd,
      env: { ...process.env, SELF_UPDATE_GENERATION: String(generation + 1) },
    });
  });
  server.closeIdleConnections();
});
