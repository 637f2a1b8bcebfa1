// Mechanics of the calls that act on a whole running process: its resource
// limits, its nice value and its CPU affinity. Plain C++, no N-API types; every
// call returns >= 0 or -errno.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace procctl {

// Resource limits of the calling process (inherited by every child started
// afterwards). kRlimUnlimited stands for RLIM_INFINITY.
constexpr uint64_t kRlimUnlimited = UINT64_MAX;
int GetResourceLimit(int resource, uint64_t* soft, uint64_t* hard);
int SetResourceLimit(int resource, uint64_t soft, uint64_t hard);

// The nice value of `pid` (0: the calling process), as its main thread has it.
// Returns 0 with *nice set, or -errno.
int GetNice(pid_t pid, int* nice);
// Sets the nice value of every thread of `pid` (0: the calling process). On
// Linux setpriority(PRIO_PROCESS) acts on one thread, so each task in
// /proc/<pid>/task is set, until a listing finds no thread left unset. On a
// failure the threads already changed are put back (best effort: putting a
// raised value back may itself need privilege).
int SetNiceAllThreads(pid_t pid, int nice);

// CPU affinity (Linux; -ENOSYS elsewhere). `pid` 0: the calling process.
int GetCpuAffinity(pid_t pid, std::vector<int>* cpus);
// Every thread of `pid` gets exactly `cpus`. The kernel silently drops CPUs a
// process may not use (absent, offline, outside its cpuset); that is an error
// here (-EINVAL, with those CPUs in *rejected), and every thread keeps, or gets
// back, the mask it had.
int SetCpuAffinityAllThreads(pid_t pid, const std::vector<int>& cpus, std::vector<int>* rejected);

}  // namespace procctl
