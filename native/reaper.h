// Mechanics for the Reaper: peek at waitable children without reaping them.
// Plain C++, returns >= 0 or -errno. No N-API types here.
#pragma once

#include <sys/types.h>

namespace procctl {

// waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT): the pid of one child of the
// calling thread that has exited and can be reaped, left in place (not reaped);
// 0 when none has exited; -ECHILD when there are no children at all.
// Used only where /proc/<pid>/task/<tid>/children cannot be read.
long ReaperPeekExited();

}  // namespace procctl
