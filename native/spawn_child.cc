// CHILD-SIDE CODE ONLY. Everything in this file runs between clone/fork and
// execve, in a child that (with CLONE_VM) shares the parent's memory while the
// parent is suspended. It must be async-signal-safe: raw system calls only, no
// allocation, no locks, no libc wrappers that lock, broadcast (set*id) or touch
// errno (errno is the parent's thread-local variable here), no V8, no environ.
// It reads the SpawnRequest prepared by the parent and either execs or exits 127
// after recording {stage, errno}. Nothing else belongs in this file.
#include "spawn.h"

#include <cerrno>  // the E* constants only: errno itself is never read here
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>  // TIOCSCTTY
#include <unistd.h>

#ifdef __linux__
#include <linux/sched.h>  // CLONE_NEWPID
#include <linux/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include "caps_linux.h"
#include "tty_guard.h"
#else
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#endif

namespace procctl {

namespace {

#ifdef __linux__

// A system call that returns -errno instead of touching errno. x86_64 and
// aarch64 use inline assembly (as glibc's INTERNAL_SYSCALL does); other
// architectures go through syscall(2) and give errno back at once.
#if defined(__x86_64__)
inline long Raw6(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0,
                 long f = 0) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
inline long Raw6(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0,
                 long f = 0) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
}
#else
inline long Raw6(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0,
                 long f = 0) {
  int saved = errno;
  long r = syscall(n, a, b, c, d, e, f);
  if (r == -1) r = -errno;
  errno = saved;
  return r;
}
#endif

#define SYS(...) Raw6(__VA_ARGS__)
#define ARG(x) reinterpret_cast<long>(x)

long Fcntl(int fd, int cmd, long arg) { return SYS(SYS_fcntl, fd, cmd, arg); }
long Dup2(int from, int to) { return SYS(SYS_dup3, from, to, 0); }
long Close(int fd) { return SYS(SYS_close, fd); }
long Write(int fd, const void* buf, unsigned long n) { return SYS(SYS_write, fd, ARG(buf), n); }
long SetSid() { return SYS(SYS_setsid); }
long SetPgid(pid_t pid, pid_t pgid) { return SYS(SYS_setpgid, pid, pgid); }
long Umask(int mask) { return SYS(SYS_umask, mask); }
long Chdir(const char* p) { return SYS(SYS_chdir, ARG(p)); }
long Prctl(int op, long a) { return SYS(SYS_prctl, op, a, 0, 0, 0); }
long GetPpid() { return SYS(SYS_getppid); }
long GetPid() { return SYS(SYS_getpid); }
long Kill(pid_t pid, int sig) { return SYS(SYS_kill, pid, sig); }
long Ioctl(int fd, unsigned long req, long arg) { return SYS(SYS_ioctl, fd, static_cast<long>(req), arg); }
long GetPgrp() { return SYS(SYS_getpgid, 0); }
long Execve(const char* p, char* const* argv, char* const* envp) {
  return SYS(SYS_execve, ARG(p), ARG(argv), ARG(envp));
}
[[noreturn]] void Exit(int code) {
  for (;;) SYS(SYS_exit_group, code);
}
long SetGroups(int n, const gid_t* list) { return SYS(SYS_setgroups, n, ARG(list)); }
long SetResGid(gid_t g) { return SYS(SYS_setresgid, g, g, g); }
long SetResUid(uid_t u) { return SYS(SYS_setresuid, u, u, u); }
long Prlimit(int resource, uint64_t soft, uint64_t hard) {
  uint64_t lim[2] = {soft, hard};
  return SYS(SYS_prlimit64, 0, resource, ARG(lim), 0);
}
// The kernel's sigaction layout (handler, flags, restorer, mask) zeroed means
// SIG_DFL with no flags; a 64-bit mask is the kernel's sigset size here.
long SigDefault(int sig) {
  unsigned long act[4] = {0, 0, 0, 0};
  return SYS(SYS_rt_sigaction, sig, ARG(act), 0, 8);
}
long SigSetMask(uint64_t mask) { return SYS(SYS_rt_sigprocmask, SIG_SETMASK, ARG(&mask), 0, 8); }
constexpr int kMaxSignal = 64;

// Whether the child has a controlling terminal: /dev/tty opens exactly then
// (ENXIO otherwise). Any other answer (no /dev/tty node in a minimal image) is
// taken as "maybe", so the guard goes in: it fails closed.
bool MayHaveControllingTerminal() {
  long fd = SYS(SYS_openat, AT_FDCWD, ARG("/dev/tty"), O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
  if (fd >= 0) {
    Close(static_cast<int>(fd));
    return true;
  }
  return fd != -ENXIO;
}

long InstallTerminalGuard() {
#ifdef PROCCTL_HAVE_TTY_GUARD
  struct sock_fprog prog = {tty_guard::kLength, const_cast<struct sock_filter*>(tty_guard::kProgram)};
  return SYS(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ARG(&prog), 0, 0);
#else
  return -ENOSYS;
#endif
}

// Capability steps (caps_linux.h) through the raw syscall.
long Sys5(long n, long a, long b, long c, long d, long e) { return SYS(n, a, b, c, d, e); }
long SetCapabilities(uint64_t keep) { return caps::SetSets(Sys5, keep); }
long AddAmbientCapabilities(uint64_t keep) { return caps::AddAmbient(Sys5, keep); }
long DropCapabilities() { return caps::SetSets(Sys5, 0); }
long RestrictBoundingSet(uint64_t keep) { return caps::RestrictBounding(Sys5, keep); }

// Moves this process into the cgroup open on `dir_fd` ("0" is the writer itself).
long JoinCgroup(int dir_fd) {
  long fd = SYS(SYS_openat, dir_fd, ARG("cgroup.procs"), O_WRONLY | O_CLOEXEC, 0);
  if (fd < 0) return fd;
  long r = Write(static_cast<int>(fd), "0", 1);
  Close(static_cast<int>(fd));
  return r < 0 ? r : 0;
}

long WriteProcSelf(const char* path, const char* text, int len) {
  long fd = SYS(SYS_openat, AT_FDCWD, ARG(path), O_WRONLY | O_CLOEXEC, 0);
  if (fd < 0) return fd;
  long r = Write(static_cast<int>(fd), text, static_cast<unsigned long>(len));
  Close(static_cast<int>(fd));
  return r < 0 ? r : 0;
}

long ReadByte(int fd) {
  char c;
  long r;
  do {
    r = SYS(SYS_read, fd, ARG(&c), 1);
  } while (r == -EINTR);
  return r;
}

long SetHostname(const char* name, int len) { return SYS(SYS_sethostname, ARG(name), len); }
long UnshareCgroupNamespace() { return SYS(SYS_unshare, CLONE_NEWCGROUP); }
long Chroot(const char* dir) { return SYS(SYS_chroot, ARG(dir)); }
long KeepCaps(bool on) { return caps::KeepAcrossSetuid(Sys5, on); }
long SetNice(int nice) { return SYS(SYS_setpriority, 0 /* PRIO_PROCESS */, 0, nice); }
long SetScheduler(int policy, int priority) {
  int param = priority;  // struct sched_param is one int
  return SYS(SYS_sched_setscheduler, 0, policy, ARG(&param));
}
long SetAffinity(const unsigned long* mask, int bytes) { return SYS(SYS_sched_setaffinity, 0, bytes, ARG(mask)); }
long SetIoprio(int value) { return SYS(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, value); }

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

// Marks every fd >= first close-on-exec: close_range (5.11+), else a walk of
// /proc/self/fd with getdents64, else a bounded loop up to RLIMIT_NOFILE.
// Close-on-exec rather than close so the fork engine's error pipe survives.
long CloexecFrom(int first) {
  if (SYS(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return 0;
  long dir = SYS(SYS_openat, AT_FDCWD, ARG("/proc/self/fd"), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir >= 0) {
    alignas(8) char buf[1024];
    for (;;) {
      long n = SYS(SYS_getdents64, dir, ARG(buf), sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
        off += d->d_reclen;
        int fd = 0;
        const char* p = d->d_name;
        if (*p < '0' || *p > '9') continue;
        for (; *p >= '0' && *p <= '9'; p++) fd = fd * 10 + (*p - '0');
        if (fd >= first && fd != dir) Fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    }
    Close(static_cast<int>(dir));
    return 0;
  }
  uint64_t lim[2] = {0, 0};
  long max = 65536;
  if (SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, ARG(lim)) == 0 && lim[0] < 65536) max = static_cast<long>(lim[0]);
  for (long fd = first; fd < max; fd++) Fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  return 0;
}

#else  // !__linux__: the fork engine on macOS/BSD. After fork() the child is a
       // single-threaded copy, so these plain calls (all async-signal-safe in
       // POSIX, or set*id which has no thread list to broadcast to here) are safe.

long R(long r) { return r < 0 ? -errno : r; }
long Fcntl(int fd, int cmd, long arg) { return R(fcntl(fd, cmd, arg)); }
long Dup2(int from, int to) { return R(dup2(from, to)); }
long Close(int fd) { return R(close(fd)); }
long Write(int fd, const void* buf, unsigned long n) { return R(write(fd, buf, n)); }
long SetSid() { return R(setsid()); }
long SetPgid(pid_t pid, pid_t pgid) { return R(setpgid(pid, pgid)); }
long Umask(int mask) { return umask(static_cast<mode_t>(mask)); }
long Chdir(const char* p) { return R(chdir(p)); }
[[maybe_unused]] long GetPpid() { return getppid(); }
[[maybe_unused]] long GetPid() { return getpid(); }
[[maybe_unused]] long Kill(pid_t pid, int sig) { return R(kill(pid, sig)); }
long Ioctl(int fd, unsigned long req, long arg) { return R(ioctl(fd, req, arg)); }
long GetPgrp() { return getpgrp(); }
long Execve(const char* p, char* const* argv, char* const* envp) { return R(execve(p, argv, envp)); }
[[noreturn]] void Exit(int code) { _exit(code); }
long SetGroups(int n, const gid_t* list) { return R(setgroups(n, list)); }
long SetResGid(gid_t g) { return R(setgid(g)); }
long SetResUid(uid_t u) { return R(setuid(u)); }
long Prlimit(int resource, uint64_t soft, uint64_t hard) {
  struct rlimit lim;
  lim.rlim_cur = static_cast<rlim_t>(soft);
  lim.rlim_max = static_cast<rlim_t>(hard);
  return R(setrlimit(resource, &lim));
}
long SigDefault(int sig) {
  struct sigaction sa = {};
  sa.sa_handler = SIG_DFL;
  return R(sigaction(sig, &sa, nullptr));
}
long SigSetMask(uint64_t) {
  sigset_t none;
  sigemptyset(&none);
  return R(sigprocmask(SIG_SETMASK, &none, nullptr));
}
constexpr int kMaxSignal = NSIG - 1;
// No seccomp here: a child that keeps a controlling terminal after a drop
// cannot be guarded, so such a spawn fails (the caller asks for setsid or
// noControllingTerminal instead). /dev/tty opens only with a controlling terminal.
bool MayHaveControllingTerminal() {
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  return errno != ENXIO;
}
long InstallTerminalGuard() { return -ENOSYS; }
// setuid() from root clears every privilege on these systems; nothing is left to drop.
long DropCapabilities() { return 0; }
// Linux-only steps: lib/spawn.ts refuses their options elsewhere.
long SetCapabilities(uint64_t) { return -ENOSYS; }
long AddAmbientCapabilities(uint64_t) { return -ENOSYS; }
long RestrictBoundingSet(uint64_t) { return -ENOSYS; }
long JoinCgroup(int) { return -ENOSYS; }
long WriteProcSelf(const char*, const char*, int) { return -ENOSYS; }
long ReadByte(int fd) {
  char c;
  ssize_t r;
  do {
    r = read(fd, &c, 1);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}
long SetHostname(const char*, int) { return -ENOSYS; }
long UnshareCgroupNamespace() { return -ENOSYS; }
long Chroot(const char* dir) { return R(chroot(dir)); }
long KeepCaps(bool) { return 0; }
long SetNice(int nice) { return R(setpriority(PRIO_PROCESS, 0, nice)); }
long SetScheduler(int, int) { return -ENOSYS; }
long SetAffinity(const unsigned long*, int) { return -ENOSYS; }
long SetIoprio(int) { return -ENOSYS; }
long CloexecFrom(int first) {
  struct rlimit lim;
  long max = 65536;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < 65536) max = static_cast<long>(lim.rlim_cur);
  for (long fd = first; fd < max; fd++) fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  return 0;
}

#endif

[[noreturn]] void Fail(ChildContext* ctx, int32_t stage, long neg_errno) {
  ctx->err->stage = stage;
  ctx->err->err = static_cast<int32_t>(-neg_errno);
  if (ctx->err_fd >= 0) {
    SpawnError copy = *ctx->err;
    Write(ctx->err_fd, &copy, sizeof copy);
  }
  Exit(127);
}

}  // namespace

#ifdef __linux__
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
void UnshareFds(ChildContext* ctx) {
  const SpawnRequest& req = *ctx->req;
  long keep = 0;  // fds below this are the child's; the rest are not copied
  for (int i = 0; i < req.fd_count; i++) {
    if (req.fd_map[i] >= keep) keep = static_cast<long>(req.fd_map[i]) + 1;
  }
  if (req.set_cgroup && req.cgroup_fd >= keep) keep = static_cast<long>(req.cgroup_fd) + 1;
  long r = SYS(SYS_close_range, keep, ~0U, CLOSE_RANGE_UNSHARE);
  if (r < 0) r = SYS(SYS_unshare, CLONE_FILES);
  if (r < 0) {
    ctx->files_shared = false;  // tells the parent to spawn again without CLONE_FILES
    Fail(ctx, kStageCloseRange, r);
  }
}
#else
void UnshareFds(ChildContext*) {}
#endif

// The fd remap, in two passes so no dup2 overwrites a source still needed: first
// every source below its slot moves above the map, then slots are filled in
// ascending order. The fork engine's error pipe must not sit in a slot about to
// be filled: it moves above the map too.
void RemapFds(ChildContext* ctx) {
  const SpawnRequest& req = *ctx->req;
  const int n = req.fd_count;
  int* map = req.fd_map;
  long r;
  if (ctx->err_fd >= 0 && ctx->err_fd < n) {
    if ((r = Fcntl(ctx->err_fd, F_DUPFD_CLOEXEC, n)) < 0) Fail(ctx, kStageDup2, r);
    ctx->err_fd = static_cast<int>(r);
  }
  // Pass 1: a source below its slot could be overwritten by an earlier dup2.
  for (int i = 0; i < n; i++) {
    if (map[i] >= 0 && map[i] < i) {
      if ((r = Fcntl(map[i], F_DUPFD_CLOEXEC, n)) < 0) Fail(ctx, kStageDup2, r);
      map[i] = static_cast<int>(r);
    }
  }
  // Pass 2: ascending, so slot k is written only at step k.
  for (int i = 0; i < n; i++) {
    if (map[i] < 0) {
      Close(i);
    } else if (map[i] == i) {
      // dup2 onto itself would keep FD_CLOEXEC (Node marks 0..15 cloexec).
      if ((r = Fcntl(i, F_SETFD, 0)) < 0) Fail(ctx, kStageDup2, r);
    } else if ((r = Dup2(map[i], i)) < 0) {
      Fail(ctx, kStageDup2, r);
    }
  }
  if ((r = CloexecFrom(n)) < 0) Fail(ctx, kStageCloseRange, r);
}

// Terminal steps, on the child's fds after the remap.
void ApplyTerminal(ChildContext* ctx) {
  const SpawnRequest& req = *ctx->req;
  long r;
  // Leave the caller's controlling terminal (Go's Noctty); before TIOCSCTTY, in Go's order.
  if (req.no_controlling_terminal) {
#ifdef TIOCNOTTY
    r = Ioctl(0, TIOCNOTTY, 0);
#else
    r = -ENOSYS;
#endif
    if (r < 0) Fail(ctx, kStageTiocnotty, r);
  }
  // Controlling terminal: after setsid (only a session leader without one may
  // take a terminal), before the credential drop (forcing needs CAP_SYS_ADMIN).
  // Signals are all blocked, and taking a terminal sends none to the caller.
  // Without force first: a terminal nobody controls (the parent let go of it
  // with TIOCNOTTY) needs no privilege. Then force (Linux: steal it from the
  // session that controls it; that session just loses it, no SIGHUP is sent).
  if (req.controlling_terminal >= 0) {
#ifdef TIOCSCTTY
    r = Ioctl(req.controlling_terminal, TIOCSCTTY, 0);
    if (r == -EPERM) r = Ioctl(req.controlling_terminal, TIOCSCTTY, 1);
#else
    r = -ENOSYS;
#endif
    if (r < 0) Fail(ctx, kStageTiocsctty, r);
  }
  // Foreground group for a child in a new group of the caller's session (tini's
  // way), before exec, so a job-control shell never starts in the background
  // (it would stop itself with SIGTTIN). From a background group TIOCSPGRP
  // raises SIGTTOU unless it is blocked: it is.
  if (req.foreground_terminal >= 0) {
    int pgrp = static_cast<int>(GetPgrp());
    if ((r = Ioctl(req.foreground_terminal, TIOCSPGRP, reinterpret_cast<long>(&pgrp))) < 0) Fail(ctx, kStageTcsetpgrp, r);
  }
}

// Scheduling and placement: before the credential drop, which takes away the
// privilege a raise needs, so nothing can be raised back after it. The policy
// goes before nice (a policy change may reset it).
void ApplyPlacement(ChildContext* ctx) {
  const SpawnRequest& req = *ctx->req;
  long r;
  if (req.set_sched && (r = SetScheduler(req.sched_policy, req.sched_priority)) < 0) Fail(ctx, kStageSchedSetscheduler, r);
  if (req.set_nice && (r = SetNice(req.nice)) < 0) Fail(ctx, kStageSetpriority, r);
  if (req.affinity != nullptr && (r = SetAffinity(req.affinity, req.affinity_bytes)) < 0) Fail(ctx, kStageSchedSetaffinity, r);
  if (req.set_ioprio && (r = SetIoprio(req.ioprio)) < 0) Fail(ctx, kStageIoprioSet, r);
  // oom_score_adj belongs to the mm here (the kernel copies it to every process
  // sharing it, the parent included): spawn_linux.cc saves and restores the
  // parent's own value around the clone.
  if (req.oom_score_adj != nullptr && (r = WriteProcSelf("/proc/self/oom_score_adj", req.oom_score_adj, req.oom_score_adj_len)) < 0) {
    Fail(ctx, kStageOomScoreAdj, r);
  }
}

// noinline: the clone engines call this on a fresh stack; it must never return.
__attribute__((noinline)) void SpawnChildMain(ChildContext* ctx) {
  const SpawnRequest& req = *ctx->req;
  long r;

  // 6. Default dispositions for every signal. The parent's handlers (libuv's)
  // must never run here: they would write into the parent's event-loop pipe.
  // SIG_IGN is reset too (Node ignores SIGPIPE and SIGXFSZ, and that survives exec).
  for (int sig = 1; sig <= kMaxSignal; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    SigDefault(sig);  // EINVAL for the few numbers the kernel reserves: harmless
  }

  // 6'. A private fd table: with the clone3 engine the child starts on the
  // parent's (CLONE_FILES), and only the fds it will use are copied (below the
  // highest of them), so no step below can touch the parent's table. Without
  // close_range's UNSHARE (before 5.9), a full copy.
  if (ctx->files_shared) UnshareFds(ctx);

  // 6a. A new user namespace: nothing may run in it before the parent has
  // written its uid/gid maps. EOF means the parent gave up (and reports why).
  if (ctx->sync_fd >= 0 && ReadByte(ctx->sync_fd) != 1) Exit(127);

  // 6b. Into the cgroup first, where clone3 could not start us in it, so
  // nothing the child does is counted elsewhere; before the remap can reuse the fd.
  if (req.set_cgroup && (r = JoinCgroup(req.cgroup_fd)) < 0) Fail(ctx, kStageCgroup, r);
  // A cgroup namespace is rooted where its creator is: here that is the cgroup
  // just joined, as clone3 would have had it.
  if (req.unshare_cgroup_ns && (r = UnshareCgroupNamespace()) < 0) Fail(ctx, kStageCgroup, r);

  // 7. Session or process group, while signals are still blocked.
  if (req.setsid) {
    if ((r = SetSid()) < 0) Fail(ctx, kStageSetsid, r);
  } else if (req.setpgid) {
    if ((r = SetPgid(0, req.pgid)) < 0) Fail(ctx, kStageSetpgid, r);
  }
  if (req.hostname != nullptr && (r = SetHostname(req.hostname, req.hostname_len)) < 0) Fail(ctx, kStageSethostname, r);

  // 8. fd remap, then the terminal.
  RemapFds(ctx);
  ApplyTerminal(ctx);

  // 9. rlimits, after the remap (a low RLIMIT_NOFILE must not block the dup2s).
  for (int i = 0; i < req.rlimit_count; i++) {
    const SpawnRlimit& l = req.rlimits[i];
    if ((r = Prlimit(l.resource, l.soft, l.hard)) < 0) Fail(ctx, kStagePrlimit, r);
  }

  // 10. umask, then scheduling and placement.
  if (req.umask_value >= 0) Umask(req.umask_value);
  ApplyPlacement(ctx);

  // Whether there is a terminal to guard is asked before the chroot: the new
  // root may have no /dev/tty, which would read as "maybe".
  const bool guard = req.guard_terminal && MayHaveControllingTerminal();

  // 10a. chroot while still privileged (CAP_SYS_CHROOT), then "/" unless a cwd
  // follows: a cwd left outside the new root would be a way out of it.
  if (req.chroot != nullptr) {
    if ((r = Chroot(req.chroot)) < 0) Fail(ctx, kStageChroot, r);
    if (req.cwd == nullptr && (r = Chdir("/")) < 0) Fail(ctx, kStageChroot, r);
  }

  // 10b. The bounding set needs CAP_SETPCAP; the terminal guard needs the
  // privilege seccomp asks for without no_new_privs (CAP_SYS_ADMIN). Both go
  // with the drop. The guard only where a dropped program would still share the
  // caller's terminal.
  if (req.set_bounding && (r = RestrictBoundingSet(req.bounding_keep)) < 0) Fail(ctx, kStageCapabilities, r);
  if (guard && (r = InstallTerminalGuard()) < 0) Fail(ctx, kStageSeccomp, r);

  // 11. Credentials: groups, then gid, then uid. The first two need CAP_SETGID,
  // which setuid away from root drops. Capabilities to keep survive the uid
  // change only with keep-caps (Go's order).
  if (req.set_groups) {
    if ((r = SetGroups(req.group_count, req.groups)) < 0) Fail(ctx, kStageSetgroups, r);
  }
  if (req.set_gid) {
    if ((r = SetResGid(req.gid)) < 0) Fail(ctx, kStageSetgid, r);
  }
  if (req.set_ambient && req.set_uid && (r = KeepCaps(true)) < 0) Fail(ctx, kStageCapabilities, r);
  if (req.set_uid) {
    if ((r = SetResUid(req.uid)) < 0) Fail(ctx, kStageSetuid, r);
  }
  // 11b. A uid is not a capability set: every set holds exactly what was asked
  // for (nothing, by default, after a drop to a non-root uid).
  if (req.set_ambient && req.drop_privileges) {
    if ((r = SetCapabilities(req.ambient_caps)) < 0) Fail(ctx, kStageCapabilities, r);
    KeepCaps(false);
  } else if (req.set_ambient) {
    // Staying root: its sets are left whole, the ambient ones added.
    if ((r = AddAmbientCapabilities(req.ambient_caps)) < 0) Fail(ctx, kStageCapabilities, r);
    if (req.set_uid) KeepCaps(false);
  } else if (req.drop_privileges) {
    if ((r = DropCapabilities()) < 0) Fail(ctx, kStageCapabilities, r);
  }

  // 12. chdir after the drop, so the directory is checked as the target user.
  if (req.cwd != nullptr) {
    if ((r = Chdir(req.cwd)) < 0) Fail(ctx, kStageChdir, r);
  }

#ifdef __linux__
  // 13. Parent-death signal after the set*id calls (they clear it); the parent
  // may already be gone, so compare getppid() with the pid recorded before clone.
  // In a new PID namespace the parent is outside it and getppid() says 0 either
  // way, so there is nothing to compare.
  if (req.parent_death_signal > 0) {
    if ((r = Prctl(PR_SET_PDEATHSIG, req.parent_death_signal)) < 0) Fail(ctx, kStagePrctl, r);
    if (!(req.namespace_flags & CLONE_NEWPID) && GetPpid() != req.parent_pid) {
      Kill(static_cast<pid_t>(GetPid()), req.parent_death_signal);
    }
  }
  // 14. no_new_privs last among the prctls: irreversible.
  if (req.no_new_privs) {
    if ((r = Prctl(PR_SET_NO_NEW_PRIVS, 1)) < 0) Fail(ctx, kStageNoNewPrivs, r);
  }
#endif

  // 15. The child's own signal mask: empty, as child_process gives.
  if ((r = SigSetMask(0)) < 0) Fail(ctx, kStageSigmask, r);

  // 16. execve each candidate; keep the first error that is not "not here".
  long first_err = 0;
  for (int i = 0; i < req.exec_path_count; i++) {
    r = Execve(req.exec_paths[i], req.argv, req.envp);
    if (r != -ENOENT && r != -ENOTDIR && first_err == 0) first_err = r;
  }
  Fail(ctx, kStageExec, first_err != 0 ? first_err : -ENOENT);
}

int SpawnChildEntry(void* arg) { SpawnChildMain(static_cast<ChildContext*>(arg)); }

int CloneVmProbe(void* flag) {
  *static_cast<volatile int*>(flag) = 1;
  Exit(0);
}

}  // namespace procctl
