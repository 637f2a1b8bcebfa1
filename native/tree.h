// Mechanics of killTree's walk: signal a process and every descendant found
// through /proc/<pid>/task/<tid>/children, each one stopped before its children
// are read so that nothing can fork past the walk. Plain C++, no N-API types;
// every call returns >= 0 or -errno. Linux only (-ENOSYS elsewhere).
#pragma once

#include <sys/types.h>

namespace procctl {

struct TreeSignalOutcome {
  int signalled = 0;    // processes the signal was delivered to
  int refused = 0;      // seen, but EPERM: not the caller's to signal
  int not_stopped = 0;  // did not reach a stopped state within the bound (signalled anyway)
  int without_pidfd = 0;  // signalled by pid after a start-time check (no pidfd: old kernel, fd limit)
};

// Stops `root` and its descendants (SIGSTOP, waiting up to `stop_timeout_ms`
// for each to show 't'/'T' in /proc/<pid>/stat), sends `sig` to every
// one, then SIGCONT to those it stopped (not after SIGKILL, SIGCONT or a stop
// signal). The caller itself is never stopped or signalled.
// Returns 0 with *out filled, or -errno:
//   -ESRCH   root does not exist;
//   -EPERM   nothing could be signalled for lack of permission;
//   -EDEADLK root is the calling process or one of its ancestors;
//   -EINVAL  root is a thread id, not a process id (pidfd_open refuses it);
//   other    an error reading /proc (every process stopped so far is continued).
// A zombie root gives 0 with nothing signalled.
int SignalTree(pid_t root, int sig, int stop_timeout_ms, TreeSignalOutcome* out);

// pidfd_open(pid, 0): a close-on-exec pidfd, or -errno (-ENOSYS before Linux 5.3).
int PidfdOpen(pid_t pid);

}  // namespace procctl
