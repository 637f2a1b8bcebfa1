// Session, process group, _exit and fd flag mechanics (POSIX).
#include "proc.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace procctl {

static long Ret(long r) { return r < 0 ? -errno : r; }

long SysSetsid() { return Ret(setsid()); }
long SysGetsid(pid_t pid) { return Ret(getsid(pid)); }
long SysSetpgid(pid_t pid, pid_t pgid) { return Ret(setpgid(pid, pgid)); }
long SysGetpgid(pid_t pid) { return Ret(getpgid(pid)); }

// _exit(2), not exit(3): no atexit handlers, no stdio flush, no Node AtExit hooks.
void SysExit(int code) { _exit(code); }

int ReadToEndAndClose(int fd, std::string* out, size_t limit) {
  out->clear();
  char buf[4096];
  while (out->size() < limit) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return 0;
}

long FdGetCloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return -errno;
  return (flags & FD_CLOEXEC) ? 1 : 0;
}

long FdSetCloexec(int fd, bool on) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return -errno;
  int next = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (next != flags && fcntl(fd, F_SETFD, next) < 0) return -errno;
  return 0;
}

long FdGetNonblock(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  return (flags & O_NONBLOCK) ? 1 : 0;
}

// O_NONBLOCK lives on the open file description: every fd sharing it (and any
// other process holding it) sees the change.
long FdSetNonblock(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  int next = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (next != flags && fcntl(fd, F_SETFL, next) < 0) return -errno;
  return 0;
}

}  // namespace procctl
