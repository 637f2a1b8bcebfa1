// Mechanics of the direct process calls: plain C++ over POSIX/Linux calls.
// Every function returns its result (>= 0) or -errno. No N-API types here.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>
#include <cstddef>
#include <cstdint>
#include <string>

namespace procctl {

// Session and process group.
long SysSetsid();
long SysGetsid(pid_t pid);
long SysSetpgid(pid_t pid, pid_t pgid);
long SysGetpgid(pid_t pid);
[[noreturn]] void SysExit(int code);

// Linux prctl; -ENOSYS elsewhere.
long PrSetParentDeathSignal(int sig);
long PrGetParentDeathSignal();  // the signal number, 0 when unset
long PrSetChildSubreaper(bool on);
long PrGetChildSubreaper();     // 0 or 1
long PrSetNoNewPrivs();
long PrGetNoNewPrivs();         // 0 or 1
long PrSetName(const char* name);
long PrGetName(char out[17]);   // NUL-terminated, at most 15 bytes of name

// Reads `fd` to EOF (retrying EINTR) into *out, at most `limit` bytes, and
// closes it. 0, or -errno of a failed read.
int ReadToEndAndClose(int fd, std::string* out, size_t limit = static_cast<size_t>(-1));

// File descriptor flags.
long FdGetCloexec(int fd);      // 0 or 1
long FdSetCloexec(int fd, bool on);
long FdGetNonblock(int fd);     // 0 or 1
long FdSetNonblock(int fd, bool on);

// wait4: the raw status and the child's resource usage.
struct Rusage {
  double user_us, system_us;  // CPU time in microseconds, as process.resourceUsage()
  long max_rss_kb;
  long minor_faults, major_faults;
  long voluntary_switches, involuntary_switches;
};
void RusageFrom(const struct rusage& ru, Rusage* out);

struct WaitResult {
  pid_t pid;
  int status;  // raw wait status; decode with the W* macros
  Rusage rusage;
};
// Returns the pid reaped, 0 when `nohang` and nothing is ready, or -errno.
long SysWait4(pid_t pid, bool nohang, bool untraced, bool continued, WaitResult* out);

}  // namespace procctl
