// In-place exec mechanics (POSIX; prctl and close_range on Linux only).
//
// This runs in the real process (no fork), on Node's main thread, so ordinary
// libc calls are fine here, and glibc's set*id broadcast to every thread is
// exactly what an in-place credential drop needs: the whole process changes.
//
// Order (each line says why):
//   1. block every signal: nothing may run a handler, or die by a default
//      action, half-way through; on failure pending signals reach Node's handlers.
//   2. reversible changes, each saved: umask, cwd, fd flags, TTY mode,
//      pdeathsig, and ignored signals (see IgnoredToNoop).
//   3. irreversible changes last, just before execve: setsid, the terminal
//      guard (seccomp needs the privilege the drop gives up), then groups
//      before gid before uid (setgroups and setresgid need the privilege
//      setresuid gives up), then every capability set cleared (a uid is not a
//      capability set), then PR_SET_PDEATHSIG (any uid/gid change clears it),
//      then PR_SET_NO_NEW_PRIVS.
//   4. the final signal mask, then execve() on each candidate.
//   5. failure: undo step 2 in reverse; report what step 3 left changed.
#include "exec.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "caps_linux.h"
#include "tty_guard.h"
#endif

// libuv (exported by the node binary): restores the termios libuv saved before it
// put a TTY into raw mode; a no-op when libuv never changed the mode.
extern "C" int uv_tty_reset_mode(void);

namespace procctl {

namespace {

constexpr int kMaxClassicSignal = 31;

struct SavedFd {
  int fd;
  int fd_flags;  // F_GETFD
  int fl_flags;  // F_GETFL
};

// Everything step 2 changed, to put back on failure.
struct Saved {
  sigset_t mask;
  bool umask_changed = false;
  mode_t umask = 0;
  int cwd_fd = -1;
  std::vector<SavedFd> kept;        // 0..2 and inherit_fds, flags before
  std::vector<int> made_cloexec;    // other fds we set FD_CLOEXEC on
  bool tty_saved = false;
  struct termios tty;
  bool pdeathsig_saved = false;
  int pdeathsig = 0;
  bool actions_saved[kMaxClassicSignal + 1] = {};
  struct sigaction actions[kMaxClassicSignal + 1];
};

bool IsKept(const std::vector<int>& keep, int fd) {
  return fd <= 2 || std::binary_search(keep.begin(), keep.end(), fd);
}

// Records and sets FD_CLOEXEC on one fd that is not kept.
int MarkCloexec(int fd, Saved* saved) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return errno == EBADF ? 0 : -errno;  // closed meanwhile
  if (flags & FD_CLOEXEC) return 0;
  if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return -errno;
  saved->made_cloexec.push_back(fd);
  return 0;
}

// Every open fd >= 3 that is not kept becomes close-on-exec. The listing records
// which ones we changed (to undo on failure); close_range then also covers fds
// another thread opened after the listing.
int CloexecOthers(const std::vector<int>& keep, Saved* saved) {
#ifdef __linux__
  const char* dir_path = "/proc/self/fd";
#else
  const char* dir_path = "/dev/fd";
#endif
  DIR* dir = opendir(dir_path);
  if (dir != nullptr) {
    int dir_fd = dirfd(dir);
    std::vector<int> fds;
    while (struct dirent* ent = readdir(dir)) {
      char* end = nullptr;
      long fd = strtol(ent->d_name, &end, 10);
      if (end == ent->d_name || *end != '\0' || fd < 3 || fd == dir_fd) continue;
      if (!IsKept(keep, static_cast<int>(fd))) fds.push_back(static_cast<int>(fd));
    }
    closedir(dir);
    for (int fd : fds) {
      int r = MarkCloexec(fd, saved);
      if (r < 0) return r;
    }
  } else {
    // No /proc (or /dev/fd): probe every possible fd number.
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > (1L << 20)) max = 1L << 20;
    for (int fd = 3; fd < max; fd++) {
      if (IsKept(keep, fd)) continue;
      int r = MarkCloexec(fd, saved);
      if (r < 0) return r;
    }
  }
#if defined(__linux__) && defined(SYS_close_range)
  // CLOSE_RANGE_CLOEXEC (Linux 5.11+); ENOSYS/EINVAL on older kernels, where the
  // listing above has already done the work.
  const unsigned int kCloseRangeCloexec = 1U << 2;
  unsigned int from = 3;
  for (int fd : keep) {
    if (fd < 3) continue;
    if (static_cast<unsigned int>(fd) > from) {
      syscall(SYS_close_range, from, static_cast<unsigned int>(fd) - 1, kCloseRangeCloexec);
    }
    from = static_cast<unsigned int>(fd) + 1;
  }
  syscall(SYS_close_range, from, ~0U, kCloseRangeCloexec);
#endif
  return 0;
}

// Clears FD_CLOEXEC and O_NONBLOCK on fd, saving both first. A closed 0..2 is
// skipped (the new program then finds it closed, as it was).
int KeepFd(int fd, bool required, Saved* saved) {
  SavedFd s{fd, fcntl(fd, F_GETFD), 0};
  if (s.fd_flags < 0) return (errno == EBADF && !required) ? 0 : -errno;
  s.fl_flags = fcntl(fd, F_GETFL);
  if (s.fl_flags < 0) return -errno;
  saved->kept.push_back(s);
  if ((s.fd_flags & FD_CLOEXEC) && fcntl(fd, F_SETFD, s.fd_flags & ~FD_CLOEXEC) < 0) return -errno;
  if ((s.fl_flags & O_NONBLOCK) && fcntl(fd, F_SETFL, s.fl_flags & ~O_NONBLOCK) < 0) return -errno;
  return 0;
}

void Restore(Saved* saved) {
  // Signals are blocked again by the caller, so handlers come back atomically.
  for (int sig = kMaxClassicSignal; sig >= 1; sig--) {
    if (saved->actions_saved[sig]) sigaction(sig, &saved->actions[sig], nullptr);
  }
#ifdef __linux__
  if (saved->pdeathsig_saved) {
    prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(saved->pdeathsig), 0, 0, 0);
  }
#endif
  if (saved->tty_saved) tcsetattr(STDIN_FILENO, TCSANOW, &saved->tty);
  for (int fd : saved->made_cloexec) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  for (auto it = saved->kept.rbegin(); it != saved->kept.rend(); ++it) {
    fcntl(it->fd, F_SETFL, it->fl_flags);
    fcntl(it->fd, F_SETFD, it->fd_flags);
  }
  if (saved->cwd_fd >= 0) {
    if (fchdir(saved->cwd_fd) < 0) {
      // The old cwd is still open through cwd_fd; nothing better to do.
    }
    close(saved->cwd_fd);
  }
  if (saved->umask_changed) umask(saved->umask);
}

void Fail(ExecFailure* failure, int err, const char* syscall, const char* stage) {
  failure->err = err;
  failure->syscall = syscall;
  failure->stage = stage;
}

// Stands in for SIG_IGN while exec runs: execve() resets a caught signal to
// SIG_DFL in the new program but keeps SIG_IGN, and Node ignores SIGPIPE and
// SIGXFSZ. Setting SIG_DFL ourselves would open a window in which a signal
// taken by one of Node's other threads kills the process; a handler that does
// nothing behaves as SIG_IGN until the exec and as SIG_DFL after it.
void IgnoreHandler(int) {}

// Whether the calling process has a controlling terminal (/dev/tty opens only
// then; ENXIO otherwise). Any other error counts as "maybe": the guard fails closed.
bool MayHaveControllingTerminal() {
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  return errno != ENXIO;
}

// 0 or errno. See tty_guard.h: on this thread only, which is the one that execs.
int InstallTerminalGuard() {
#ifdef PROCCTL_HAVE_TTY_GUARD
  struct sock_fprog prog = {tty_guard::kLength, const_cast<struct sock_filter*>(tty_guard::kProgram)};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) return errno;
  return 0;
#else
  return ENOSYS;
#endif
}

#ifdef __linux__
// The capability steps of caps_linux.h, on this thread (the one that execs).
long SysCall(long n, long a, long b, long c, long d, long e) {
  long r = syscall(n, a, b, c, d, e);
  return r < 0 ? -errno : r;
}
#endif

// Capability sets after the uid change: exactly `keep` (0 after a plain drop).
// 0 or errno.
int SetCapabilities(uint64_t keep) {
#ifdef __linux__
  long r = caps::SetSets(SysCall, keep);
  return r < 0 ? static_cast<int>(-r) : 0;
#else
  return keep == 0 ? 0 : ENOSYS;
#endif
}

// Adds `keep` to the inheritable and ambient sets of a thread that stays root. 0 or errno.
int AddAmbientCapabilities(uint64_t keep) {
#ifdef __linux__
  long r = caps::AddAmbient(SysCall, keep);
  return r < 0 ? static_cast<int>(-r) : 0;
#else
  return keep == 0 ? 0 : ENOSYS;
#endif
}

// Joins the cgroup at `dir` (the whole process: cgroup.procs). 0 or errno.
int JoinCgroup(const std::string& dir) {
  std::string procs = dir + "/cgroup.procs";
  int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int e = write(fd, "0", 1) == 1 ? 0 : errno;
  close(fd);
  return e;
}

// Whether the program open on `fd` must stay open across its exec. The kernel
// runs a script ('#!', or a binfmt_misc format) by handing its interpreter the
// path /dev/fd/N, which the interpreter opens after the exec: were the fd
// close-on-exec (as exec's fd policy makes every fd not named, and as libuv
// opens every file), execveat would fail with ENOENT. An ELF image is mapped
// by the kernel itself and needs nothing left open.
bool ExecFdNeedsKeeping(int fd) {
  unsigned char magic[4];
  ssize_t n = pread(fd, magic, sizeof magic, 0);
#ifdef __linux__
  if (n < 0) {
    // O_PATH (or write-only): read the same file through a fresh descriptor.
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    int rfd = open(path, O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
      n = pread(rfd, magic, sizeof magic, 0);
      close(rfd);
    }
  }
#endif
  // Unreadable: keep it, an ELF image runs either way.
  return !(n == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F');
}

// execveat(fd, "", AT_EMPTY_PATH); before Linux 3.19 (or under a seccomp
// profile without it) the /proc/self/fd/N path. Returns only on failure, with
// errno set.
void ExecFd(int fd, char* const* argv, char* const* envp) {
#ifdef __linux__
#ifndef SYS_execveat
#define SYS_execveat 322
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
  syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
  if (errno != ENOSYS && errno != EPERM) return;
  char path[40];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  execve(path, argv, envp);
#else
  (void)fd;
  (void)argv;
  (void)envp;
  errno = ENOSYS;
#endif
}

// Errors after which execvp(3) goes on to the next PATH entry.
bool TryNextCandidate(int err) {
  return err == ENOENT || err == ENOTDIR || err == ESTALE || err == ENODEV ||
         err == ETIMEDOUT || err == EACCES;
}

// Step 3 and 4. Returns false with *failure filled when a step failed.
bool DropAndExec(const ExecPlan& plan, char* const* argv, char* const* envp,
                 pid_t parent_before, ExecFailure* failure) {
  if (plan.setsid) {
    if (setsid() < 0) return Fail(failure, errno, "setsid", "setsid"), false;
    failure->unrestored.push_back("setsid");
  }
  if (!plan.cgroup.empty()) {
    int e = JoinCgroup(plan.cgroup);
    if (e != 0) return Fail(failure, e, "cgroup", "cgroup"), false;
    failure->unrestored.push_back("cgroup");
  }
  if (plan.has_chroot) {
    // The whole process moves (threads share their root), so this is for good.
    if (chroot(plan.chroot.c_str()) < 0) return Fail(failure, errno, "chroot", "chroot"), false;
    failure->unrestored.push_back("chroot");
    // A cwd left outside the new root would be a way out of it.
    const char* dir = plan.has_cwd ? plan.cwd.c_str() : "/";
    if (chdir(dir) < 0) return Fail(failure, errno, "chdir", "chdir"), false;
  }
#ifdef __linux__
  if (plan.set_bounding) {
    long r = caps::RestrictBounding(SysCall, plan.bounding_keep);
    if (r < 0) return Fail(failure, static_cast<int>(-r), "prctl", "capabilities"), false;
    failure->unrestored.push_back("bounding set");
  }
#endif
  const bool dropping = plan.set_uid && plan.uid != 0;
  if (dropping && !plan.setsid && MayHaveControllingTerminal()) {
    int e = InstallTerminalGuard();
    if (e != 0) return Fail(failure, e, "prctl", "seccomp"), false;
    failure->unrestored.push_back("seccomp");
  }
  if (plan.set_groups) {
    if (setgroups(plan.groups.size(), plan.groups.empty() ? nullptr : plan.groups.data()) < 0) {
      return Fail(failure, errno, "setgroups", "setgroups"), false;
    }
    failure->unrestored.push_back("setgroups");
  }
  if (plan.set_gid) {
#ifdef __linux__
    if (setresgid(plan.gid, plan.gid, plan.gid) < 0) return Fail(failure, errno, "setresgid", "setresgid"), false;
#else
    if (setgid(plan.gid) < 0) return Fail(failure, errno, "setgid", "setgid"), false;
#endif
    failure->unrestored.push_back("setresgid");
  }
#ifdef __linux__
  if (plan.set_ambient && plan.set_uid) caps::KeepAcrossSetuid(SysCall, true);
#endif
  if (plan.set_uid) {
#ifdef __linux__
    if (setresuid(plan.uid, plan.uid, plan.uid) < 0) return Fail(failure, errno, "setresuid", "setresuid"), false;
#else
    if (setuid(plan.uid) < 0) return Fail(failure, errno, "setuid", "setuid"), false;
#endif
    failure->unrestored.push_back("setresuid");
  }
  if (plan.set_ambient || dropping) {
    // Staying root: its sets are left whole and the ambient ones added
    // (narrowing them would have the exec grow them back: non-dumpable).
    int e = dropping ? SetCapabilities(plan.set_ambient ? plan.ambient_caps : 0) : AddAmbientCapabilities(plan.ambient_caps);
    if (e != 0) return Fail(failure, e, "capset", "capabilities"), false;
    failure->unrestored.push_back("capabilities");
  }
#ifdef __linux__
  if (plan.parent_death_signal > 0) {
    // After the drop: changing uid/gid clears the death signal.
    if (prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(plan.parent_death_signal), 0, 0, 0) < 0) {
      return Fail(failure, errno, "prctl", "PR_SET_PDEATHSIG"), false;
    }
    // The parent died before the signal was armed: deliver it now (it stays
    // pending while everything is blocked and acts once the final mask is set).
    if (getppid() != parent_before) kill(getpid(), plan.parent_death_signal);
  }
  if (plan.no_new_privs) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0, 0, 0) < 0) {
      return Fail(failure, errno, "prctl", "PR_SET_NO_NEW_PRIVS"), false;
    }
    failure->unrestored.push_back("PR_SET_NO_NEW_PRIVS");
  }
#else
  (void)parent_before;
  if (plan.parent_death_signal > 0) return Fail(failure, ENOSYS, "prctl", "PR_SET_PDEATHSIG"), false;
  if (plan.no_new_privs) return Fail(failure, ENOSYS, "prctl", "PR_SET_NO_NEW_PRIVS"), false;
#endif

  sigset_t final_mask;
  sigemptyset(&final_mask);
  for (int sig : plan.signal_mask) sigaddset(&final_mask, sig);
  pthread_sigmask(SIG_SETMASK, &final_mask, nullptr);

  if (plan.exec_fd >= 0) {
    ExecFd(plan.exec_fd, argv, envp);
    Fail(failure, errno, "execveat", "execve");
    return false;
  }
  int first_eacces = -1;
  for (size_t i = 0; i < plan.paths.size(); i++) {
    execve(plan.paths[i].c_str(), argv, envp);
    int err = errno;
    if (!TryNextCandidate(err)) {
      Fail(failure, err, "execve", "execve");
      failure->path_index = static_cast<int>(i);
      return false;
    }
    if (err == EACCES && first_eacces < 0) first_eacces = static_cast<int>(i);
    if (plan.paths.size() == 1) {
      Fail(failure, err, "execve", "execve");
      failure->path_index = 0;
      return false;
    }
  }
  if (first_eacces >= 0) {
    Fail(failure, EACCES, "execve", "execve");
    failure->path_index = first_eacces;
  } else {
    Fail(failure, ENOENT, "execve", "execve");
    failure->path_index = -1;
  }
  return false;
}

}  // namespace

void ExecInPlace(const ExecPlan& plan, ExecFailure* failure) {
  // Everything allocated before the first change.
  std::vector<char*> argv;
  argv.reserve(plan.argv.size() + 1);
  for (const auto& s : plan.argv) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(plan.envp.size() + 1);
  for (const auto& s : plan.envp) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);
  std::vector<int> keep;
  for (int fd : plan.inherit_fds) {
    if (fd > 2) keep.push_back(fd);
  }
  // Checks that change nothing: the program's fd and every named fd must be open.
  if (plan.exec_fd >= 0) {
    if (fcntl(plan.exec_fd, F_GETFD) < 0) return Fail(failure, errno, "fcntl", "fd");
    if (plan.exec_fd > 2 && ExecFdNeedsKeeping(plan.exec_fd)) keep.push_back(plan.exec_fd);
  }
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  const pid_t parent_before = getppid();

  for (int fd : keep) {
    if (fcntl(fd, F_GETFD) < 0) return Fail(failure, errno, "fcntl", "inheritFds");
  }

  Saved* saved = new Saved();
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved->mask);

  bool ok = true;
  if (plan.umask >= 0) {
    saved->umask = umask(static_cast<mode_t>(plan.umask));
    saved->umask_changed = true;
  }
  // Under a chroot the directory is entered after it (DropAndExec), inside the new root.
  if (ok && plan.has_cwd && !plan.has_chroot) {
#ifdef O_PATH
    saved->cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
#else
    saved->cwd_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#endif
    if (saved->cwd_fd < 0) {
      Fail(failure, errno, "open", "cwd");
      ok = false;
    } else if (chdir(plan.cwd.c_str()) < 0) {
      Fail(failure, errno, "chdir", "chdir");
      ok = false;
    }
  }
  if (ok) {
    for (int fd = 0; fd <= 2 && ok; fd++) {
      int r = KeepFd(fd, false, saved);
      if (r < 0) Fail(failure, -r, "fcntl", "stdio"), ok = false;
    }
    for (size_t i = 0; i < keep.size() && ok; i++) {
      int r = KeepFd(keep[i], true, saved);
      if (r < 0) Fail(failure, -r, "fcntl", "inheritFds"), ok = false;
    }
  }
  if (ok) {
    int r = CloexecOthers(keep, saved);
    if (r < 0) Fail(failure, -r, "fcntl", "FD_CLOEXEC"), ok = false;
  }
  if (ok && plan.reset_tty && isatty(STDIN_FILENO)) {
    saved->tty_saved = tcgetattr(STDIN_FILENO, &saved->tty) == 0;
    uv_tty_reset_mode();
  }
#ifdef __linux__
  if (ok) {
    int sig = 0;
    if (prctl(PR_GET_PDEATHSIG, reinterpret_cast<unsigned long>(&sig), 0, 0, 0) == 0) {
      saved->pdeathsig = sig;
      saved->pdeathsig_saved = true;
    }
  }
#endif
  if (ok) {
    // Ignored signals get a do-nothing handler (IgnoreHandler); caught ones and
    // defaults are left alone, execve() resets the caught ones itself.
    struct sigaction noop;
    memset(&noop, 0, sizeof noop);
    noop.sa_handler = IgnoreHandler;
    sigemptyset(&noop.sa_mask);
    for (int sig = 1; sig <= kMaxClassicSignal && ok; sig++) {
      if (sig == SIGKILL || sig == SIGSTOP) continue;
      struct sigaction cur;
      if (sigaction(sig, nullptr, &cur) < 0) continue;  // not a signal on this platform
      if ((cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_IGN) continue;
      if (sigaction(sig, &noop, &saved->actions[sig]) < 0) {
        Fail(failure, errno, "sigaction", "sigaction");
        ok = false;
      } else {
        saved->actions_saved[sig] = true;
      }
    }
  }

  if (ok) DropAndExec(plan, argv.data(), envp.data(), parent_before, failure);

  // Only failures get here.
  pthread_sigmask(SIG_SETMASK, &all, nullptr);
  Restore(saved);
  pthread_sigmask(SIG_SETMASK, &saved->mask, nullptr);
  delete saved;
}

}  // namespace procctl
