// Spawn engine, parent side, Linux: clone3(CLONE_VM|CLONE_VFORK|CLONE_PIDFD) on
// a private mmap'd stack, falling back to glibc's clone() (+ pidfd_open) and to
// the plain fork engine. Also the pidfd helpers (send a signal, reap with rusage).
//
// Why CLONE_VM|CLONE_VFORK: a fork() of a big Node process copies its page tables
// (hundreds of ms at a few GB); sharing the memory costs nothing, and the parent
// sleeps until the child has exec'd or exited, so the child can use the prepared
// request in place and report failures through a struct in that shared memory.
#ifdef __linux__

#include "spawn.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace procctl {

namespace {

// One child stack, reused: spawn runs on the main thread only (lib/spawn.ts
// refuses workers) and the parent is suspended while the child uses it.
constexpr size_t kStackSize = 256 * 1024;
constexpr size_t kGuard = 4096;
void* g_stack = nullptr;
// Whether the clone3 child starts on the parent's fd table (see ChildContext):
// cleared for good the first time a child could not make its own copy.
bool g_share_files = true;

void* ChildStackTop() {
  if (g_stack == nullptr) {
    void* p = mmap(nullptr, kStackSize + kGuard, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    mprotect(p, kGuard, PROT_NONE);  // overflow faults instead of scribbling
    g_stack = p;
  }
  return static_cast<char*>(g_stack) + kStackSize + kGuard;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#if defined(__x86_64__)
// struct clone_args up to `cgroup` (CLONE_ARGS_SIZE_VER2, Linux 5.7). The
// shorter VER0 size is passed unless a cgroup is asked for, so kernels 5.3-5.6
// keep working for everything else.
struct CloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
  uint64_t set_tid, set_tid_size, cgroup;
};
constexpr size_t kCloneArgsVer0 = 64;
constexpr size_t kCloneArgsVer2 = 88;

// clone3 returns in the child on the new stack, where no C frame exists: the
// child branch must be assembly that calls the entry function straight away
// (glibc does the same in its clone3.S). Returns the pid or -errno in the parent.
long Clone3(CloneArgs* args, size_t size, ChildContext* ctx) {
  long ret;
  register long fn __asm__("r12") = reinterpret_cast<long>(&SpawnChildEntry);
  register long arg __asm__("r13") = reinterpret_cast<long>(ctx);
  __asm__ volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"
      "mov $231, %%eax\n\t"  // exit_group(127): SpawnChildEntry never returns
      "mov $127, %%edi\n\t"
      "syscall\n\t"
      "hlt\n\t"
      "1:\n\t"
      : "=a"(ret)
      : "a"(static_cast<long>(SYS_clone3)), "D"(args), "S"(size), "r"(fn), "r"(arg)
      : "rcx", "r11", "memory", "cc");
  return ret;
}
constexpr bool kHaveClone3 = true;
#else
constexpr bool kHaveClone3 = false;
#endif

// Blocks every signal with the raw syscall: glibc's sigprocmask would leave its
// internal signals (SIGCANCEL, SIGSETXID) open, and no handler may run in a
// CLONE_VM child (libuv's would write to the parent's loop pipe).
void BlockAll(uint64_t* old) {
  uint64_t all = ~0ULL;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, 8);
}
void RestoreMask(const uint64_t* old) { syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, nullptr, 8); }

// oom_score_adj is the mm's, not the task's: the kernel copies a CLONE_VM
// child's write to every process sharing the mm, this one included. Saved
// before the clone and written back after it.
int ReadOwnOomScoreAdj(char* buf, size_t size) {
  int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  return static_cast<int>(n);
}

void WriteOwnOomScoreAdj(const char* buf, int len) {
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (write(fd, buf, static_cast<size_t>(len)) < 0) {
    // Nothing better to do: the value stays what the child set.
  }
  close(fd);
}

void ReapBlocking(pid_t pid) {
  int status;
  while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {
  }
}

}  // namespace

// Whether clone(CLONE_VM|CLONE_VFORK) really shares memory and waits for the
// child. qemu-user (an arm64 image built on x86-64) runs it as a plain fork:
// the child's failure report would never reach the parent, and the parent
// would not wait for the exec. Asked once, with a child that only sets a flag,
// and only where clone3 (which qemu lacks) could not be used.
bool CloneSharesMemory(void* stack_top) {
  static int known = -1;
  if (known >= 0) return known == 1;
  volatile int flag = 0;
  uint64_t old_mask = 0;
  BlockAll(&old_mask);
  long pid = clone(CloneVmProbe, stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, const_cast<int*>(&flag));
  RestoreMask(&old_mask);
  if (pid < 0) return true;  // the real clone reports its own error
  ReapBlocking(static_cast<pid_t>(pid));
  known = flag == 1 ? 1 : 0;
  return known == 1;
}

bool JoinThenCgroupNamespace(SpawnRequest* req) {
  if (!req->set_cgroup || !(req->namespace_flags & CLONE_NEWCGROUP)) return false;
  req->namespace_flags &= ~static_cast<uint64_t>(CLONE_NEWCGROUP);
  req->unshare_cgroup_ns = true;
  return true;
}

int PidfdSendSignal(int pidfd, int sig) {
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0) return -errno;
  return 0;
}

int PidfdReap(int pidfd, WaitResult* out) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  struct rusage ru = {};
  long r;
  do {
    r = syscall(SYS_waitid, P_PIDFD, pidfd, &info, WEXITED | WNOHANG, &ru);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  if (info.si_pid == 0) return 0;
  // Rebuild the wait4-style status word so one decoder serves both paths.
  int status;
  switch (info.si_code) {
    case CLD_EXITED: status = (info.si_status & 0xff) << 8; break;
    case CLD_KILLED: status = info.si_status & 0x7f; break;
    case CLD_DUMPED: status = (info.si_status & 0x7f) | 0x80; break;
    default: status = 0; break;
  }
  out->pid = info.si_pid;
  out->status = status;
  RusageFrom(ru, &out->rusage);
  return 1;
}

int SpawnProcess(const SpawnRequest& req, int engine, SpawnResult* result) {
  result->pid = -1;
  result->pidfd = -1;
  result->error = {kStageNone, 0};
  // A new user namespace needs its maps written by the parent while the child
  // waits; a CLONE_VFORK parent sleeps until the exec, so (as Go) no CLONE_VM.
  if (engine == kEngineFork || (req.namespace_flags & CLONE_NEWUSER)) return SpawnFork(req, result);

  void* stack_top = ChildStackTop();
  if (stack_top == nullptr) return -errno;

  // A set*id in a CLONE_VM child resets the dumpable flag of the shared mm, so
  // the parent's own flag (core dumps, ptrace, /proc ownership) must be put back.
  bool creds = req.set_uid || req.set_gid || req.set_groups;
  int dumpable = creds ? prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) : -1;

  char oom[32];
  int oom_len = req.oom_score_adj != nullptr ? ReadOwnOomScoreAdj(oom, sizeof oom) : -1;

  SpawnError err = {kStageNone, 0};
  bool files_refused = false;  // the child could not unshare the fd table
  int pidfd = -1;
  long pid = -ENOSYS;
  uint64_t old_mask = 0;
  const int ns_flags = static_cast<int>(req.namespace_flags);
  BlockAll(&old_mask);

  if (kHaveClone3 && (engine == kEngineAuto || engine == kEngineClone3)) {
#if defined(__x86_64__)
    // clone3 starts the child inside the cgroup (CLONE_INTO_CGROUP), so the
    // child does not join it itself: it runs from a copy of the request.
    SpawnRequest in_cgroup = req;
    in_cgroup.set_cgroup = false;
    ChildContext ctx3 = {req.set_cgroup ? &in_cgroup : &req, &err, -1, -1, g_share_files};
    CloneArgs args = {};
    args.flags = CLONE_VM | CLONE_VFORK | req.namespace_flags;
    if (g_share_files) args.flags |= CLONE_FILES;
    if (!req.no_pidfd) {
      args.flags |= CLONE_PIDFD;
      args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    }
    args.exit_signal = SIGCHLD;
    args.stack = reinterpret_cast<uint64_t>(g_stack) + kGuard;
    args.stack_size = kStackSize;
    size_t size = kCloneArgsVer0;
    if (req.set_cgroup) {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = static_cast<uint64_t>(req.cgroup_fd);
      size = kCloneArgsVer2;
    }
    pid = Clone3(&args, size, &ctx3);
    if (pid > 0) result->engine = kEngineClone3;
    files_refused = pid > 0 && g_share_files && !ctx3.files_shared;
    // The cgroup refused (or this kernel has no CLONE_INTO_CGROUP): the clone()
    // path below, where the child joins it itself and a refusal gets its own
    // stage and errno.
    if (pid < 0 && req.set_cgroup) pid = -ENOSYS;
#endif
  }
  // No clone3 (kernel < 5.3, or a seccomp profile that refuses it): glibc's
  // clone, where it does what it says (not under qemu-user: the fork engine).
  if ((pid == -ENOSYS || pid == -EPERM || pid == -EINVAL) && !CloneSharesMemory(stack_top)) {
    RestoreMask(&old_mask);
    if (dumpable >= 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != dumpable) prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
    return SpawnFork(req, result);
  }
  if (pid == -ENOSYS || pid == -EPERM || pid == -EINVAL) {
    SpawnRequest joining = req;
    ChildContext ctxj = {&joining, &err, -1, -1, false};
    int flags = ns_flags;
    if (JoinThenCgroupNamespace(&joining)) flags &= ~CLONE_NEWCGROUP;
    pidfd = -1;
    const int pidfd_flag = req.no_pidfd ? 0 : CLONE_PIDFD;
    pid = clone(SpawnChildEntry, stack_top, CLONE_VM | CLONE_VFORK | pidfd_flag | SIGCHLD | flags, &ctxj, &pidfd);
    if (pid < 0 && errno == EINVAL && pidfd_flag != 0) {  // kernel < 5.2: no CLONE_PIDFD
      pidfd = -1;
      pid = clone(SpawnChildEntry, stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD | flags, &ctxj);
    }
    if (pid < 0) pid = -errno;
    if (pid > 0) result->engine = kEngineClone;
  }

  RestoreMask(&old_mask);
  if (dumpable >= 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != dumpable) {
    prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
  }
  if (oom_len > 0) WriteOwnOomScoreAdj(oom, oom_len);
  if (files_refused) {
    // The child failed at its first step, before it changed anything: reap it
    // and spawn again on a copied fd table.
    ReapBlocking(static_cast<pid_t>(pid));
    if (pidfd >= 0) close(pidfd);
    g_share_files = false;
    return SpawnProcess(req, engine, result);
  }
  if (pid < 0) {
    // Last resort (e.g. a sandbox that refuses CLONE_VM): the fork engine.
    if (engine == kEngineAuto && (pid == -ENOSYS || pid == -EPERM || pid == -EINVAL)) {
      return SpawnFork(req, result);
    }
    return static_cast<int>(pid);
  }

  if (pidfd < 0 && !req.no_pidfd) {
    long fd = syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0);
    pidfd = fd >= 0 ? static_cast<int>(fd) : -1;
  }
  result->pid = static_cast<pid_t>(pid);
  if (err.stage != kStageNone) {
    // The child exited after recording the failure: reap it, leave nothing open.
    ReapBlocking(result->pid);
    if (pidfd >= 0) close(pidfd);
    result->error = err;
    return 0;
  }
  result->pidfd = pidfd;
  return 0;
}

}  // namespace procctl

#endif  // __linux__
