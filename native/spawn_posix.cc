// Spawn engine, parent side, plain fork(): the path for macOS and for Linux
// kernels without clone-with-VM (also selectable on Linux, so it is tested).
// The child reports a failed step over a close-on-exec pipe: EOF means exec
// succeeded (Go's forkExec does the same). Also stage names and stdio pipes.
#include "spawn.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#include <sys/syscall.h>
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#endif

namespace procctl {

const char* SpawnStageName(int32_t stage) {
  switch (stage) {
    case kStageSigaction: return "sigaction";
    case kStageSetsid: return "setsid";
    case kStageSetpgid: return "setpgid";
    case kStageDup2: return "dup2";
    case kStageCloseRange: return "close_range";
    case kStagePrlimit: return "prlimit";
    case kStageSetgroups: return "setgroups";
    case kStageSetgid: return "setgid";
    case kStageSetuid: return "setuid";
    case kStageChdir: return "chdir";
    case kStagePrctl: return "prctl";
    case kStageNoNewPrivs: return "no_new_privs";
    case kStageSigmask: return "sigprocmask";
    case kStageExec: return "exec";
    case kStageClone: return "clone";
    case kStageTiocsctty: return "tiocsctty";
    case kStageTcsetpgrp: return "tcsetpgrp";
    case kStageTiocnotty: return "tiocnotty";
    case kStageSeccomp: return "seccomp";
    case kStageCapabilities: return "capabilities";
    case kStageCgroup: return "cgroup";
    case kStageSethostname: return "sethostname";
    case kStageChroot: return "chroot";
    case kStageSetpriority: return "setpriority";
    case kStageSchedSetscheduler: return "sched_setscheduler";
    case kStageSchedSetaffinity: return "sched_setaffinity";
    case kStageIoprioSet: return "ioprio_set";
    case kStageOomScoreAdj: return "oom_score_adj";
    case kStageUserNamespace: return "user_namespace";
    default: return "spawn";
  }
}

namespace {

int SetCloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return -errno;
  return 0;
}

[[maybe_unused]] int CloexecPair(int fds[2]) {
  int r = SetCloexec(fds[0]);
  if (r == 0) r = SetCloexec(fds[1]);
  if (r < 0) {
    close(fds[0]);
    close(fds[1]);
  }
  return r;
}

// Every signal blocked around fork, so no handler runs in the child before it
// has reset the dispositions (see spawn_linux.cc for why the raw call on Linux).
void BlockAll(sigset_t* old) {
#ifdef __linux__
  uint64_t all = ~0ULL;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, 8);
#else
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, old);
#endif
}

void RestoreMask(const sigset_t* old) {
#ifdef __linux__
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, nullptr, 8);
#else
  pthread_sigmask(SIG_SETMASK, old, nullptr);
#endif
}

}  // namespace

int MakePipe(int fds[2]) {
#ifdef __linux__
  if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
  return 0;
#else
  if (pipe(fds) < 0) return -errno;
  return CloexecPair(fds);
#endif
}

int MakeSocketPair(int fds[2]) {
#ifdef SOCK_CLOEXEC
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) return -errno;
  return 0;
#else
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) return -errno;
  return CloexecPair(fds);
#endif
}

#ifdef __linux__
// Writes `text` to /proc/<pid>/<file>. 0 or -errno.
int WriteProcFile(pid_t pid, const char* file, const char* text) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", static_cast<int>(pid), file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t len = strlen(text);
  ssize_t n = write(fd, text, len);
  int e = errno;
  close(fd);
  if (n < 0) return -e;
  return static_cast<size_t>(n) == len ? 0 : -EIO;
}

// The maps of a new user namespace, written while the child waits on the sync
// pipe: setgroups "deny" before gid_map (an unprivileged writer must), as Go.
int WriteUserNamespaceMaps(const SpawnRequest& req, pid_t pid) {
  int r = 0;
  if (req.uid_map != nullptr) r = WriteProcFile(pid, "uid_map", req.uid_map);
  if (r == 0 && req.setgroups_deny) r = WriteProcFile(pid, "setgroups", "deny");
  if (r == 0 && req.gid_map != nullptr) r = WriteProcFile(pid, "gid_map", req.gid_map);
  return r;
}
#endif

int SpawnFork(const SpawnRequest& req, SpawnResult* result) {
  result->pid = -1;
  result->pidfd = -1;
  result->engine = kEngineFork;
  result->error = {kStageNone, 0};

  int pipefd[2];
  int r = MakePipe(pipefd);
  if (r < 0) return r;
#ifdef __linux__
  const bool user_ns = (req.namespace_flags & CLONE_NEWUSER) != 0;
#else
  const bool user_ns = false;
#endif
  int sync[2] = {-1, -1};
  if (user_ns && (r = MakePipe(sync)) < 0) {
    close(pipefd[0]);
    close(pipefd[1]);
    return r;
  }

  SpawnError err = {kStageNone, 0};
  // The child joins a cgroup itself here, so a cgroup namespace comes after that.
  SpawnRequest joining = req;
#ifdef __linux__
  JoinThenCgroupNamespace(&joining);
#endif
  ChildContext ctx = {&joining, &err, pipefd[1], sync[0], false};
  sigset_t old;
  BlockAll(&old);
#ifdef __linux__
  // A raw clone(SIGCHLD), not glibc's fork(): fork() runs the pthread_atfork
  // handlers in the child before our code (libuv's closes and re-creates its
  // own fds), which can hand the child another fd under a number it was told
  // to pass on. The child code makes raw syscalls only, so it needs none of
  // what fork() sets up for libc.
  long raw = syscall(SYS_clone, SIGCHLD | static_cast<long>(joining.namespace_flags), 0, 0, 0, 0);
  pid_t pid = static_cast<pid_t>(raw);
#else
  pid_t pid = fork();
#endif
  if (pid == 0) {
    // The write end of the sync pipe must not be held by the child too, or a
    // parent that died before writing would leave it waiting for ever.
    if (sync[1] >= 0) close(sync[1]);
    SpawnChildMain(&ctx);  // never returns
  }
  int fork_errno = errno;
  RestoreMask(&old);
  close(pipefd[1]);
  if (sync[0] >= 0) close(sync[0]);
  if (pid < 0) {
    close(pipefd[0]);
    if (sync[1] >= 0) close(sync[1]);
    return -fork_errno;
  }

#ifdef __linux__
  if (user_ns) {
    r = WriteUserNamespaceMaps(req, pid);
    if (r == 0 && write(sync[1], "x", 1) != 1) r = -errno;
    close(sync[1]);  // EOF without a byte: the child exits without running anything
    if (r < 0) {
      close(pipefd[0]);
      int status;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      result->pid = pid;
      result->error = {kStageUserNamespace, -r};
      return 0;
    }
  }
#endif

  // EOF: the pipe closed on exec. A full record: the child failed and exits 127.
  SpawnError got = {kStageNone, 0};
  size_t have = 0;
  while (have < sizeof got) {
    ssize_t n = read(pipefd[0], reinterpret_cast<char*>(&got) + have, sizeof got - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  close(pipefd[0]);
  result->pid = pid;
  if (have == sizeof got && got.stage != kStageNone) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result->error = got;
    return 0;
  }
#ifdef __linux__
  // The namespace path is chosen by spawn itself, not by a caller asking for
  // the fork engine: give it a pidfd, as the clone engines have.
  if (user_ns && !req.no_pidfd) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    result->pidfd = fd >= 0 ? static_cast<int>(fd) : -1;
  }
#endif
  return 0;
}

int FirstClosedSource(const SpawnRequest& req) {
  for (int i = 0; i < req.fd_count; i++) {
    if (req.fd_map[i] >= 0 && fcntl(req.fd_map[i], F_GETFD) < 0) return i;
  }
  return -1;
}

#ifndef __linux__
int SpawnProcess(const SpawnRequest& req, int, SpawnResult* result) { return SpawnFork(req, result); }
int PidfdSendSignal(int, int) { return -ENOSYS; }
int PidfdReap(int, WaitResult*) { return -ENOSYS; }
#endif

}  // namespace procctl
