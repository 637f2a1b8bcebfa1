// Exit watching for spawned children (spawn_watch.cc), as the spawn binding
// sees it. Binding layer: N-API types.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>

#include "proc.h"

namespace procctl {

// The longest output run() and runSync() hand over as one string: V8's limit
// for a one-byte string (2^29 - 24); a longer one is null and JS says why.
constexpr size_t kMaxRunStringBytes = (size_t{1} << 29) - 24;

// A reaped child's numbers as JS reads them (lib/spawn.ts statusFromNumbers):
// the raw status word (-1 when the reap failed), the reap's errno (0: none), the
// pid, then the rusage: userUs, systemUs, maxRssKb, minorFaults, majorFaults,
// voluntarySwitches, involuntarySwitches. The exit watcher writes them after a
// token, runSync into the request's buffer.
constexpr size_t kExitNumbers = 10;
void WriteExitNumbers(double* to, int err, pid_t pid, const WaitResult& res);

// run()'s and runSync()'s output as JS gets it: a string, null when `bytes` is
// too long for one, undefined when nothing was captured. Empties `bytes`.
napi_value RunOutputValue(napi_env env, bool captured, std::string* bytes);

// Registers a started child with the watcher of this environment: its pidfd
// and, for run(), the parent's (non-blocking) read ends of its stdout and stderr
// pipes (-1: none), whose bytes are then collected natively and handed over with
// the exit status. On success the watcher owns every fd given and closes it, and
// *token names the child in the exit handler's call and in WatchSetRef. On
// failure (-errno) nothing is registered and the caller still owns the fds.
int WatchChild(napi_env env, pid_t pid, int pidfd, int out_fd, int err_fd, double* token);

void InitSpawnWatch(Napi::Env env, Napi::Object exports);

}  // namespace procctl
