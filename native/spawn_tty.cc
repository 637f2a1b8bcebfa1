// Terminal helpers for spawn, parent side (plain C++, no N-API): whether this
// build can hand a child a controlling terminal, and how a session leader lets
// go of its own so that a child in a new session can take it unprivileged
// (what dumb-init does before its setsid child runs).
#include "spawn.h"

#include <cerrno>
#include <csignal>
#include <sys/ioctl.h>
#include <unistd.h>

namespace procctl {

bool SpawnSupportsControllingTerminal() {
#ifdef TIOCSCTTY
  return true;
#else
  return false;
#endif
}

int DetachControllingTerminal(int fd) {
#ifdef TIOCNOTTY
  // A session leader that drops its terminal makes the kernel send SIGHUP and
  // SIGCONT to the terminal's foreground group, which is normally the caller's
  // own: ignored signals are discarded when generated, so set SIG_IGN around the
  // ioctl and put the exact previous actions (libuv's handlers) back after.
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  struct sigaction old_hup, old_cont;
  if (sigaction(SIGHUP, &ignore, &old_hup) < 0) return -errno;
  if (sigaction(SIGCONT, &ignore, &old_cont) < 0) {
    int e = errno;
    sigaction(SIGHUP, &old_hup, nullptr);
    return -e;
  }
  int r = ioctl(fd, TIOCNOTTY);
  int e = errno;
  sigaction(SIGCONT, &old_cont, nullptr);
  sigaction(SIGHUP, &old_hup, nullptr);
  return r < 0 ? -e : 0;
#else
  (void)fd;
  return -ENOSYS;
#endif
}

}  // namespace procctl
