// Reaper mechanics: a non-reaping peek at exited children (see reaper.h).
#include "reaper.h"

#include <cerrno>
#include <cstring>
#include <sys/wait.h>

namespace procctl {

long ReaperPeekExited() {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  int options = WEXITED | WNOHANG | WNOWAIT;
#ifdef __WNOTHREAD
  // Children of other threads (a Worker's child_process children) are theirs.
  options |= __WNOTHREAD;
#endif
  int r;
  do {
    r = waitid(P_ALL, 0, &info, options);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  return info.si_pid;  // 0 when nothing has exited (WNOHANG)
}

}  // namespace procctl
