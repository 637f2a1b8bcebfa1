// Resource limits and the nice value of the calling process (POSIX). The
// per-thread parts (nice on Linux, CPU affinity) are in resources_linux.cc.
#include "resources.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

namespace procctl {

namespace {

uint64_t FromRlim(rlim_t v) { return v == RLIM_INFINITY ? kRlimUnlimited : static_cast<uint64_t>(v); }
rlim_t ToRlim(uint64_t v) { return v == kRlimUnlimited ? RLIM_INFINITY : static_cast<rlim_t>(v); }

}  // namespace

int GetResourceLimit(int resource, uint64_t* soft, uint64_t* hard) {
  struct rlimit rl;
  if (getrlimit(resource, &rl) < 0) return -errno;
  *soft = FromRlim(rl.rlim_cur);
  *hard = FromRlim(rl.rlim_max);
  return 0;
}

// setrlimit(2) acts on the whole process (every thread shares the limits), and
// fork/clone copy them: every child started afterwards, by any API, has them.
int SetResourceLimit(int resource, uint64_t soft, uint64_t hard) {
  struct rlimit rl = {ToRlim(soft), ToRlim(hard)};
  return setrlimit(resource, &rl) < 0 ? -errno : 0;
}

int GetNice(pid_t pid, int* nice) {
  // On Linux PRIO_PROCESS with 0 is the calling thread; the process's own value
  // is its main thread's, whose tid is the pid.
  if (pid == 0) pid = getpid();
  // -1 is a valid nice value: only errno tells a failure apart.
  errno = 0;
  int v = getpriority(PRIO_PROCESS, static_cast<id_t>(pid));
  if (v == -1 && errno != 0) return -errno;
  *nice = v;
  return 0;
}

#ifndef __linux__
// Elsewhere PRIO_PROCESS names the whole process already.
int SetNiceAllThreads(pid_t pid, int nice) {
  return setpriority(PRIO_PROCESS, static_cast<id_t>(pid), nice) < 0 ? -errno : 0;
}
#endif

}  // namespace procctl
