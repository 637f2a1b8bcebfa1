// prctl mechanics. Linux only; every call is -ENOSYS on other platforms so the
// binding stays the same shape everywhere.
#include "proc.h"

#include <cerrno>
#include <cstring>

#ifdef __linux__
#include <sys/prctl.h>
#endif

namespace procctl {

#ifdef __linux__

static long Ret(long r) { return r < 0 ? -errno : r; }

long PrSetParentDeathSignal(int sig) {
  return Ret(prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(sig), 0, 0, 0));
}

long PrGetParentDeathSignal() {
  int sig = 0;
  if (prctl(PR_GET_PDEATHSIG, reinterpret_cast<unsigned long>(&sig), 0, 0, 0) < 0)
    return -errno;
  return sig;
}

long PrSetChildSubreaper(bool on) {
  return Ret(prctl(PR_SET_CHILD_SUBREAPER, on ? 1UL : 0UL, 0, 0, 0));
}

long PrGetChildSubreaper() {
  int on = 0;
  if (prctl(PR_GET_CHILD_SUBREAPER, reinterpret_cast<unsigned long>(&on), 0, 0, 0) < 0)
    return -errno;
  return on ? 1 : 0;
}

long PrSetNoNewPrivs() { return Ret(prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0, 0, 0)); }

long PrGetNoNewPrivs() { return Ret(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)); }

// PR_SET_NAME names the calling thread; called on the main thread it is what
// ps, top and /proc/<pid>/comm show for the process.
long PrSetName(const char* name) {
  return Ret(prctl(PR_SET_NAME, reinterpret_cast<unsigned long>(name), 0, 0, 0));
}

long PrGetName(char out[17]) {
  memset(out, 0, 17);
  if (prctl(PR_GET_NAME, reinterpret_cast<unsigned long>(out), 0, 0, 0) < 0)
    return -errno;
  out[16] = '\0';
  return 0;
}

#else

long PrSetParentDeathSignal(int) { return -ENOSYS; }
long PrGetParentDeathSignal() { return -ENOSYS; }
long PrSetChildSubreaper(bool) { return -ENOSYS; }
long PrGetChildSubreaper() { return -ENOSYS; }
long PrSetNoNewPrivs() { return -ENOSYS; }
long PrGetNoNewPrivs() { return -ENOSYS; }
long PrSetName(const char*) { return -ENOSYS; }
long PrGetName(char out[17]) { out[0] = '\0'; return -ENOSYS; }

#endif

}  // namespace procctl
