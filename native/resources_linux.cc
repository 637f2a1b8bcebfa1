// The per-thread parts of acting on a whole process (Linux): the nice value and
// the CPU affinity belong to each thread (setpriority(PRIO_PROCESS, tid) and
// sched_setaffinity(tid) change one task), and a Node process has several (the
// main thread, libuv's pool, V8's platform workers). Each is set through
// /proc/<pid>/task, listing again until no thread is left unset: a thread
// started meanwhile copies its creator's value, which may not have been set yet.
#include "resources.h"

#include <cerrno>

#ifdef __linux__

#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace procctl {

namespace {

int ListTasks(pid_t pid, std::vector<pid_t>* out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", static_cast<int>(pid));
  DIR* dir = opendir(path);
  if (dir == nullptr) return errno == ENOENT ? -ESRCH : -errno;
  out->clear();
  while (struct dirent* ent = readdir(dir)) {
    char* end = nullptr;
    long tid = strtol(ent->d_name, &end, 10);
    if (end != ent->d_name && *end == '\0' && tid > 0) out->push_back(static_cast<pid_t>(tid));
  }
  closedir(dir);
  return 0;
}

// Calls apply(tid) once for every thread of `pid`, the main thread first (a
// refusal then comes before anything changed). A thread that ended meanwhile
// (-ESRCH) is skipped. Stops at the first other error.
template <typename Apply>
int ForEachThread(pid_t pid, Apply apply) {
  std::vector<pid_t> done;
  int r = apply(pid);
  if (r < 0) return r;
  done.push_back(pid);
  std::vector<pid_t> tasks;
  for (int round = 0; round < 16; round++) {
    r = ListTasks(pid, &tasks);
    if (r < 0) return r;
    bool found = false;
    for (pid_t tid : tasks) {
      if (std::find(done.begin(), done.end(), tid) != done.end()) continue;
      found = true;
      r = apply(tid);
      if (r == -ESRCH) continue;
      if (r < 0) return r;
      done.push_back(tid);
    }
    if (!found) return 0;
  }
  return 0;
}

using Mask = std::vector<unsigned long>;
constexpr size_t kBitsPerWord = 8 * sizeof(unsigned long);

// The thread's mask, in a buffer as large as the kernel's cpumask needs.
int GetMask(pid_t tid, Mask* mask) {
  for (size_t words = 1024 / kBitsPerWord; words <= (1u << 20) / kBitsPerWord; words *= 2) {
    mask->assign(words, 0);
    if (sched_getaffinity(tid, words * sizeof(unsigned long), reinterpret_cast<cpu_set_t*>(mask->data())) == 0) return 0;
    if (errno != EINVAL) return -errno;
  }
  return -EINVAL;
}

int SetMask(pid_t tid, const Mask& mask) {
  if (sched_setaffinity(tid, mask.size() * sizeof(unsigned long), reinterpret_cast<const cpu_set_t*>(mask.data())) < 0) return -errno;
  return 0;
}

bool HasCpu(const Mask& mask, int cpu) {
  size_t word = static_cast<size_t>(cpu) / kBitsPerWord;
  return word < mask.size() && ((mask[word] >> (static_cast<size_t>(cpu) % kBitsPerWord)) & 1UL) != 0;
}

}  // namespace

int SetNiceAllThreads(pid_t pid, int nice) {
  if (pid == 0) pid = getpid();
  std::vector<std::pair<pid_t, int>> changed;
  int r = ForEachThread(pid, [&](pid_t tid) {
    int before = 0;
    int g = GetNice(tid, &before);
    if (g < 0) return g;
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) < 0) return -errno;
    changed.emplace_back(tid, before);
    return 0;
  });
  if (r < 0) {
    for (auto it = changed.rbegin(); it != changed.rend(); ++it) setpriority(PRIO_PROCESS, static_cast<id_t>(it->first), it->second);
  }
  return r;
}

int GetCpuAffinity(pid_t pid, std::vector<int>* cpus) {
  if (pid == 0) pid = getpid();
  Mask mask;
  int r = GetMask(pid, &mask);
  if (r < 0) return r;
  cpus->clear();
  for (size_t cpu = 0; cpu < mask.size() * kBitsPerWord; cpu++) {
    if (HasCpu(mask, static_cast<int>(cpu))) cpus->push_back(static_cast<int>(cpu));
  }
  return 0;
}

int SetCpuAffinityAllThreads(pid_t pid, const std::vector<int>& cpus, std::vector<int>* rejected) {
  if (pid == 0) pid = getpid();
  int highest = 0;
  for (int cpu : cpus) highest = std::max(highest, cpu);
  Mask wanted((static_cast<size_t>(highest) / kBitsPerWord) + 1, 0);
  for (int cpu : cpus) wanted[static_cast<size_t>(cpu) / kBitsPerWord] |= 1UL << (static_cast<size_t>(cpu) % kBitsPerWord);

  std::vector<std::pair<pid_t, Mask>> changed;
  int r = ForEachThread(pid, [&](pid_t tid) {
    Mask before;
    int g = GetMask(tid, &before);
    if (g < 0) return g;
    int s = SetMask(tid, wanted);
    if (s < 0) return s;
    changed.emplace_back(tid, std::move(before));
    // Read back: what the kernel dropped (a CPU that does not exist, is
    // offline or outside the cpuset) makes the whole call fail.
    Mask now;
    g = GetMask(tid, &now);
    if (g < 0) return g;
    for (int cpu : cpus) {
      if (!HasCpu(now, cpu) && std::find(rejected->begin(), rejected->end(), cpu) == rejected->end()) rejected->push_back(cpu);
    }
    return rejected->empty() ? 0 : -EINVAL;
  });
  if (r < 0) {
    for (auto it = changed.rbegin(); it != changed.rend(); ++it) SetMask(it->first, it->second);
  }
  std::sort(rejected->begin(), rejected->end());
  return r;
}

}  // namespace procctl

#else  // !__linux__

namespace procctl {
int GetCpuAffinity(pid_t, std::vector<int>*) { return -ENOSYS; }
int SetCpuAffinityAllThreads(pid_t, const std::vector<int>&, std::vector<int>*) { return -ENOSYS; }
}  // namespace procctl

#endif
