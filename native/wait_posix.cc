// wait4 mechanics (POSIX).
#include "proc.h"

#include <cerrno>
#include <sys/resource.h>
#include <sys/wait.h>

namespace procctl {

static double TvUs(const struct timeval& tv) {
  return static_cast<double>(tv.tv_sec) * 1e6 + static_cast<double>(tv.tv_usec);
}

void RusageFrom(const struct rusage& ru, Rusage* out) {
  out->user_us = TvUs(ru.ru_utime);
  out->system_us = TvUs(ru.ru_stime);
  out->max_rss_kb = ru.ru_maxrss;
  out->minor_faults = ru.ru_minflt;
  out->major_faults = ru.ru_majflt;
  out->voluntary_switches = ru.ru_nvcsw;
  out->involuntary_switches = ru.ru_nivcsw;
}

long SysWait4(pid_t pid, bool nohang, bool untraced, bool continued, WaitResult* out) {
  int options = 0;
  if (nohang) options |= WNOHANG;
  if (untraced) options |= WUNTRACED;
  if (continued) options |= WCONTINUED;
  struct rusage ru = {};
  int status = 0;
  pid_t r;
  do {
    r = wait4(pid, &status, options, &ru);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  out->pid = r;
  out->status = status;
  RusageFrom(ru, &out->rusage);
  return r;
}

}  // namespace procctl
