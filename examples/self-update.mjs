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

let updating = false;
process.on('SIGHUP', () => {
  if (updating) return;
  updating = true;
  const listenFd = duplicateFd(fdOf(server)); // stays open when Node closes its handle
  console.log(JSON.stringify({ updating: true, generation }));
  server.close(() => {
    reexec({
      inheritFds: [listenFd],
      env: { ...process.env, SELF_UPDATE_GENERATION: String(generation + 1) },
    });
  });
  server.closeIdleConnections();
});
