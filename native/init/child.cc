// CHILD-SIDE CODE ONLY: runs in init's child between fork() and execve().
//
// Why plain fork() and not the addon's clone engine (native/spawn_child.cc): the
// init is one small thread, so fork() copies a few hundred KB of page tables and
// the child may call libc freely (no other thread can hold a lock). And the
// addon's child resets every signal disposition to SIG_DFL and empties the mask,
// which is right for a child of Node but wrong here: a drop-in for tini must hand
// the child the signal state init's launcher gave init (nohup's SIG_IGN, a
// blocked set), which the parent recorded before blocking everything itself.
// Handlers do not survive exec, SIG_IGN does, so only the mask (and SIGCHLD,
// which init needs at SIG_DFL) is put back here.
//
// Order: session or group (and the terminal) while every signal is still
// blocked (TIOCSPGRP from a background group would raise SIGTTOU), then the
// working directory, the launcher's mask last, then exec.
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

extern char** environ;

namespace procctl_init {

namespace {

void Report(int fd, int stage, int err, bool fatal) {
  ChildReport r = {stage, err, fatal ? 1 : 0};
  ssize_t n;
  do {
    n = write(fd, &r, sizeof r);
  } while (n < 0 && errno == EINTR);
}

[[noreturn]] void Fail(const ChildPlan& plan, int stage, int err) {
  Report(plan.report_fd, stage, err, true);
  _exit(127);
}

bool IsExecutableFile(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

// execvp(3)'s PATH search with one difference: a relative entry ('', '.', 'bin')
// is never searched. When the file would be found through one, the exec is
// refused (as Go's exec.LookPath does since Go 1.19, and procctl's other CLI):
// an init usually runs as root, and PATH=":/usr/bin" would run ./id from the
// directory it was started in. A file that is not a valid executable fails
// with ENOEXEC (no /bin/sh fallback), as procctl's execvp and spawn do.
[[noreturn]] void Exec(const ChildPlan& plan) {
  char* const* argv = plan.argv;
  const char* file = argv[0];
  if (file[0] == '\0') Fail(plan, kChildExec, ENOENT);
  if (strchr(file, '/') != nullptr) {
    execve(file, argv, environ);
    Fail(plan, kChildExec, errno);
  }
  const char* path = getenv("PATH");
  if (path == nullptr) path = "/bin:/usr/bin";
  size_t file_len = strlen(file);
  bool denied = false;
  char candidate[4096];
  for (const char* p = path;;) {
    const char* end = strchr(p, ':');
    size_t dir_len = end != nullptr ? static_cast<size_t>(end - p) : strlen(p);
    if (dir_len + 1 + file_len < sizeof candidate) {
      memcpy(candidate, p, dir_len);
      size_t n = dir_len;
      if (n > 0) candidate[n++] = '/';
      memcpy(candidate + n, file, file_len + 1);
      if (dir_len == 0 || p[0] != '/') {
        if (IsExecutableFile(candidate)) Fail(plan, kChildRelativePath, 0);
      } else {
        execve(candidate, argv, environ);
        switch (errno) {
          case EACCES: denied = true; break;
          case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT: break;
          default: Fail(plan, kChildExec, errno);
        }
      }
    }
    if (end == nullptr) break;
    p = end + 1;
  }
  Fail(plan, kChildExec, denied ? EACCES : ENOENT);
}

}  // namespace

const char* ChildStageName(int stage) {
  switch (stage) {
    case kChildSetsid: return "setsid";
    case kChildSetpgid: return "setpgid";
    case kChildTcsetpgrp: return "tcsetpgrp";
    case kChildTiocsctty: return "TIOCSCTTY";
    case kChildChdir: return "fchdir";
    case kChildSigmask: return "sigprocmask";
    case kChildExec: return "exec";
    case kChildRelativePath: return "PATH search";
    default: return "start";
  }
}

void ChildMain(const ChildPlan& plan) {
  switch (plan.mode) {
    case Mode::kSessionTty:
    case Mode::kSession:
      if (setsid() < 0) Fail(plan, kChildSetsid, errno);
      if (plan.mode == Mode::kSessionTty) {
        // Init let go of the terminal, so taking it needs no privilege. Forcing
        // (root only) is the same last resort the addon's spawn uses. If both
        // fail (fd 0 opened write-only, unprivileged) the command still runs, in
        // its own session without a terminal; the parent says so.
        int r = ioctl(0, TIOCSCTTY, 0);
        if (r < 0 && errno == EPERM) r = ioctl(0, TIOCSCTTY, 1);
        if (r < 0) Report(plan.report_fd, kChildTiocsctty, errno, false);
      }
      break;
    case Mode::kGroup:
      // tini's way, done here before exec so that a job-control shell never
      // starts in the background (it would stop itself waiting for a SIGCONT).
      if (setpgid(0, 0) < 0) Fail(plan, kChildSetpgid, errno);
      if (tcsetpgrp(0, getpid()) < 0 && errno != ENOTTY && errno != ENXIO) Fail(plan, kChildTcsetpgrp, errno);
      break;
    case Mode::kSame:
      break;
  }
  // Init moved itself to / so that it pins no mount; the command keeps the
  // directory it was started in.
  if (plan.cwd_fd >= 0 && fchdir(plan.cwd_fd) < 0) Fail(plan, kChildChdir, errno);
  if (plan.restore_sigchld_ignored) signal(SIGCHLD, SIG_IGN);
  // Exec would reset a handler anyway, but a signal init forwarded before the
  // exec is delivered as soon as the mask opens: its default action must apply.
  for (int sig = 1; sig <= kMaxSignal; sig++) {
    if (sigismember(&plan.reset_to_default, sig) == 1) signal(sig, SIG_DFL);
  }
  if (sigprocmask(SIG_SETMASK, &plan.mask, nullptr) < 0) Fail(plan, kChildSigmask, errno);
  Exec(plan);
}

}  // namespace procctl_init
