// runSync()'s wait (Linux and macOS): the caller blocks until its child has been
// reaped and the captured pipes have reached EOF, reading both pipes as the
// child writes them, so a child that floods one never blocks on it. Plain C++,
// no N-API: the binding (spawn_binding.cc) turns the result into JS values.
//
// Why poll() and not the exit watcher's epoll set: nothing here may turn Node's
// loop (a sync call must not run other JS), and a private poll of at most three
// fds needs no set-up or teardown. With a pidfd the exit wakes the poll; without
// one (the fork engine on old kernels, macOS) the pipes are polled with a short
// timeout and the child checked with wait4(WNOHANG) in between, or, with no pipe
// left to read, wait4 blocks.
#include "spawn.h"

#include <cerrno>
#include <poll.h>
#include <unistd.h>

namespace procctl {

namespace {

// Reads what `*fd` has until it would block; at EOF or an error that ends the
// stream, closes it and sets it to -1.
void Drain(int* fd, std::string* into) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n > 0) {
      into->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    close(*fd);
    *fd = -1;
    return;
  }
}

}  // namespace

int WaitChildSync(pid_t pid, int pidfd, int fds[2], WaitResult* res, std::string out[2]) {
  bool reaped = false;
  int err = 0;
  constexpr int kPollMsWithoutPidfd = 10;
  while (!reaped || fds[0] >= 0 || fds[1] >= 0) {
    if (!reaped && pidfd < 0 && fds[0] < 0 && fds[1] < 0) {
      long r = SysWait4(pid, false, false, false, res);
      if (r == -EINTR) continue;
      if (r < 0) err = static_cast<int>(-r);
      reaped = true;
      continue;
    }
    struct pollfd p[3];
    int n = 0, at_pidfd = -1, at_pipe[2] = {-1, -1};
    if (!reaped && pidfd >= 0) {
      at_pidfd = n;
      p[n++] = {pidfd, POLLIN, 0};
    }
    for (int k = 0; k < 2; k++) {
      if (fds[k] < 0) continue;
      at_pipe[k] = n;
      p[n++] = {fds[k], POLLIN, 0};
    }
    int r = poll(p, static_cast<nfds_t>(n), !reaped && pidfd < 0 ? kPollMsWithoutPidfd : -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      // Cannot wait on the fds (ENOMEM): stop reading, still reap.
      for (int k = 0; k < 2; k++) {
        if (fds[k] >= 0) close(fds[k]);
        fds[k] = -1;
      }
      continue;
    }
    for (int k = 0; k < 2; k++) {
      if (at_pipe[k] >= 0 && p[at_pipe[k]].revents != 0) Drain(&fds[k], &out[k]);
    }
    if (reaped) continue;
    if (at_pidfd >= 0 && p[at_pidfd].revents == 0) continue;
    long w = pidfd >= 0 ? PidfdReap(pidfd, res) : SysWait4(pid, true, false, false, res);
    if (w == 0) continue;  // not yet (a spurious wake-up, or the poll's timeout)
    if (w < 0) err = static_cast<int>(-w);
    reaped = true;
  }
  return -err;
}

}  // namespace procctl
