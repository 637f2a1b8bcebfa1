// procctl-init's parent side: start-up, starting the child, the signal loop,
// reaping, job control and exit. One thread; every signal it forwards stays
// blocked and is taken with sigwaitinfo(), so nothing runs in a signal handler
// and no signal is lost between two waits (a pending one waits for the loop).
//
// Lines logged here (and their wording) are what docs/init.md documents and the
// tests read: "started CMD as pid N (MODE)", "received SIGX, forwarded SIGY to
// ...", "reaped orphan N (status S)", "child N ended with status S".
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

namespace procctl_init {

namespace {

Config g_cfg;
Mode g_mode;
pid_t g_child = 0;      // the command's pid; 0 once it has been reaped
pid_t g_own_pgrp = 0;
bool g_pid1 = false;
sigset_t g_forwarded;   // 1..31 but SIGKILL and SIGSTOP: blocked, taken by the loop

const char* ModeText(Mode m) {
  switch (m) {
    case Mode::kSessionTty: return "new session owning the terminal";
    case Mode::kSession: return "new session";
    case Mode::kGroup: return "new process group, terminal foreground";
    case Mode::kSame: return "same session";
  }
  return "";
}

bool ToGroup() { return g_mode != Mode::kSame; }

bool IsJobControl(int sig) { return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

int StatusCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// The child's session or group decides: with a terminal that is init's own
// controlling terminal, a child in a new session can own it only if init leads
// that session and lets go of it (docker run -t, script, setsid -c; dumb-init's
// way). Started from a shell, the terminal belongs to the shell's session:
// taking it would leave the shell without one after init exits, so the child
// gets a new group in init's session and the terminal's foreground (tini's way).
Mode ChooseMode() {
  if (g_cfg.single_child) return Mode::kSame;
  if (!isatty(0)) return Mode::kSession;
  pid_t tty_session = tcgetsid(0);  // ENOTTY when fd 0 is a terminal, but not ours
  if (tty_session < 0 || tty_session != getsid(0)) return Mode::kSession;
  return getsid(0) == getpid() ? Mode::kSessionTty : Mode::kGroup;
}

// TIOCNOTTY from a session leader makes the kernel send SIGHUP and SIGCONT to
// the terminal's foreground group, normally init's own. Both are blocked, so
// they wait as pending; setting SIG_IGN discards a pending signal (POSIX), and
// then the launcher's own action goes back. Neither reaches the child.
bool LetGoOfTerminal() {
  if (ioctl(0, TIOCNOTTY) < 0) {
    Log(1, "could not let go of the terminal (%s)", strerror(errno));
    return false;
  }
  struct sigaction ignore, old;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  const int kSent[] = {SIGHUP, SIGCONT};
  for (int sig : kSent) {
    if (sigaction(sig, &ignore, &old) == 0) sigaction(sig, &old, nullptr);
  }
  Log(2, "let go of the terminal for the child (discarded the SIGHUP and SIGCONT that sends)");
  return true;
}

// 0xEFFFFFFC is the fixed inode number of the initial PID namespace (Linux 3.8+).
bool InInitialPidNamespace() {
#ifdef __linux__
  struct stat st;
  return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == 0xEFFFFFFCu;
#else
  return true;
#endif
}

// Whether this PID namespace's PID 1 is a program known to reap the orphans it
// adopts (by its name in /proc/1/comm, as ps shows it).
bool PidOneReaps() {
  char comm[32] = {0};
  int fd = open("/proc/1/comm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, comm, sizeof comm - 1);
  close(fd);
  if (n <= 0) return false;
  if (comm[n - 1] == '\n') comm[n - 1] = '\0';
  const char* const kInits[] = {"init", "systemd", "tini", "docker-init", "dumb-init", "procctl-init",
                                "catatonit", "s6-svscan", "runsvdir", "runit", "supervisord"};
  for (const char* name : kInits) {
    if (strcmp(comm, name) == 0) return true;
  }
  return false;
}

bool IsSubreaper() {
#if defined(__linux__) && defined(PR_GET_CHILD_SUBREAPER)
  int on = 0;
  return prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0) == 0 && on != 0;
#else
  return false;
#endif
}

// Orphans are at stake when init is neither PID 1 nor a subreaper inside a
// container whose PID 1 is not an init: they go to whatever the image started
// (npm for `npx procctl init`, sh, node), which reaps nothing. On the host, or
// under a container's own init (docker run --init), they go to a process that
// reaps: no warning then unless -v (dumb-init prints nothing there; tini always
// warns). The warning goes to stderr, never stdout (the child's output stream).
void ReaperCheck() {
  if (g_pid1) {
    Log(2, "running as PID 1");
    return;
  }
  if (IsSubreaper()) {
    Log(2, "running as a child subreaper");
    return;
  }
  bool at_stake = !InInitialPidNamespace() && !PidOneReaps();
  if (at_stake) {
    Say("warning: not PID 1 and not a child subreaper, and this PID namespace's PID 1 is not an init, so orphans "
        "are not reaped (use -s, or make init the container's entrypoint itself: not through npx or sh -c)");
  } else if (g_cfg.verbosity >= 1) {
    Say("warning: not PID 1 and not a child subreaper, so orphans are not re-parented here and cannot be reaped (use -s)");
  }
}

void Suspend(const char* why) {
  if (g_pid1) {
    // The kernel ignores a stop signal a namespace's PID 1 sends itself.
    Log(1, "%s: PID 1 cannot stop itself", why);
    return;
  }
  Log(1, "%s: suspending", why);
  kill(getpid(), SIGSTOP);
  Log(1, "resumed");
}

// Sends to the child's group (or the child alone with -c). Before the child has
// made its group (right after fork) the group does not exist yet: the child then
// gets the signal itself, pending until its mask opens just before exec.
const char* SendToChild(int sig) {
  static char target[48];
  if (g_child <= 0) return "nobody (the child has exited)";
  if (ToGroup()) {
    if (kill(-g_child, sig) == 0) {
      snprintf(target, sizeof target, "process group %d", static_cast<int>(g_child));
      return target;
    }
  }
  kill(g_child, sig);
  snprintf(target, sizeof target, "pid %d", static_cast<int>(g_child));
  return target;
}

// Resumed with a SIGCONT (fg): give the terminal back to the child's group if the
// shell gave it to init's, before the child is told to continue.
void TakeBackForeground() {
  if (g_mode != Mode::kGroup || g_child <= 0) return;
  if (tcgetpgrp(0) == g_own_pgrp && tcsetpgrp(0, g_child) == 0) {
    Log(2, "gave the terminal's foreground to process group %d", static_cast<int>(g_child));
  }
}

struct Received {
  int sig;
  pid_t pid;
  int code;  // si_code: <= 0 sent by a process (kill, sigqueue), > 0 by the kernel
};

void HandleSignal(const Received& r) {
  const char* name = SignalName(r.sig);
  if (r.code <= 0 && r.pid == getpid()) {
    // e.g. SIGPIPE from writing a log line to a closed pipe: init's own business.
    Log(3, "%s raised by init itself: not forwarded", name);
    return;
  }
  Log(3, "%s from pid %d (si_code %d)", name, static_cast<int>(r.pid), r.code);
  if (r.sig == SIGCONT) TakeBackForeground();
  int to = g_cfg.rewrite[r.sig] >= 0 ? g_cfg.rewrite[r.sig] : r.sig;
  if (to != 0) {
    const char* target = SendToChild(to);
    Log(1, "received %s, forwarded %s to %s", name, SignalName(to), target);
  } else {
    Log(1, "received %s, dropped", name);
  }
  // dumb-init's rule: the signal that arrived decides, whatever it became. A
  // shell waiting for init (its job) sees it stopped and gives its prompt back.
  if (IsJobControl(r.sig)) Suspend(name);
}

[[noreturn]] void ChildEnded(int code, bool reaped) {
  pid_t pid = g_child;
  Log(1, "child %d ended with status %d", static_cast<int>(pid), code);
  if (ToGroup() && kill(-pid, SIGTERM) == 0) {
    // Before the child is reaped its pid, and so its group id, cannot be reused.
    Log(1, "sent SIGTERM to process group %d", static_cast<int>(pid));
  }
  int status;
  if (!reaped) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  g_child = 0;
  pid_t other;
  while ((other = waitpid(-1, &status, WNOHANG)) > 0) {
    if (WIFEXITED(status) || WIFSIGNALED(status)) Log(1, "reaped orphan %d (status %d)", static_cast<int>(other), StatusCode(status));
  }
  if (g_mode == Mode::kGroup && tcgetpgrp(0) == pid && tcsetpgrp(0, g_own_pgrp) == 0) {
    Log(2, "gave the terminal's foreground back to process group %d", static_cast<int>(g_own_pgrp));
  }
  if (g_cfg.remap[code]) {
    Log(2, "status %d remapped to 0 (-e)", code);
    code = 0;
  }
  _exit(code);
}

// A child stopped from the terminal (^Z while it owned the foreground): init is
// the shell's job, so it stops too, or the shell would wait for ever.
void ChildStopped(int sig) {
  char why[64];
  snprintf(why, sizeof why, "child %d stopped by %s", static_cast<int>(g_child), SignalName(sig));
  Suspend(why);
}

void Reap() {
  for (;;) {
    if (g_child > 0) {
      // Peek first: the group gets its SIGTERM while the child's pid is still held.
      siginfo_t info;
      memset(&info, 0, sizeof info);
      if (waitid(P_PID, static_cast<id_t>(g_child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == g_child) {
        ChildEnded(info.si_code == CLD_EXITED ? (info.si_status & 0xff) : 128 + info.si_status, false);
      }
    }
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG | (g_mode == Mode::kGroup ? WUNTRACED : 0));
    if (pid <= 0) return;
    if (pid == g_child) {
      if (WIFSTOPPED(status)) {
        ChildStopped(WSTOPSIG(status));
        continue;
      }
      ChildEnded(StatusCode(status), true);  // it ended between the peek and here
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      Log(1, "reaped orphan %d (status %d)", static_cast<int>(pid), StatusCode(status));
    } else {
      Log(3, "process %d stopped", static_cast<int>(pid));
    }
  }
}

#ifdef __linux__
bool TakeSignal(Received* r, bool block) {
  siginfo_t info;
  int sig;
  if (block) {
    sig = sigwaitinfo(&g_forwarded, &info);
  } else {
    struct timespec zero = {0, 0};
    sig = sigtimedwait(&g_forwarded, &info, &zero);
  }
  if (sig <= 0) return false;
  r->sig = sig;
  r->pid = info.si_pid;
  r->code = info.si_code;
  return true;
}
#else
// No sigwaitinfo(): sigwait() and sigpending(); the sender is unknown.
bool TakeSignal(Received* r, bool block) {
  if (!block) {
    sigset_t pending;
    if (sigpending(&pending) < 0) return false;
    bool any = false;
    for (int sig = 1; sig <= kMaxSignal && !any; sig++) {
      any = sigismember(&pending, sig) == 1 && sigismember(&g_forwarded, sig) == 1;
    }
    if (!any) return false;
  }
  int sig;
  if (sigwait(&g_forwarded, &sig) != 0) return false;
  r->sig = sig;
  r->pid = 0;
  r->code = 1;
  return true;
}

void WakeHandler(int) {}
#endif

// Children of init report their failure before exec over a close-on-exec pipe:
// EOF means the exec succeeded.
int StartChild(int cwd_fd, const sigset_t& launcher_mask, bool sigchld_ignored, const sigset_t& wake) {
  int fds[2];
  if (pipe(fds) < 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0) {
    Say("cannot run '%s': pipe: %s", g_cfg.command[0], strerror(errno));
    return 1;
  }
  ChildPlan plan;
  plan.mode = g_mode;
  plan.argv = g_cfg.command;
  plan.report_fd = fds[1];
  plan.cwd_fd = cwd_fd;
  plan.mask = launcher_mask;
  plan.restore_sigchld_ignored = sigchld_ignored;
  plan.reset_to_default = wake;
  pid_t pid = fork();
  if (pid < 0) {
    Say("cannot run '%s': fork: %s", g_cfg.command[0], strerror(errno));
    return 1;
  }
  if (pid == 0) ChildMain(plan);
  close(fds[1]);
  if (cwd_fd >= 0) close(cwd_fd);
  g_child = pid;
  ChildReport rep;
  ssize_t n;
  for (;;) {
    do {
      n = read(fds[0], &rep, sizeof rep);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof rep)) break;
    if (!rep.fatal) {
      Say("warning: the command cannot own the terminal (%s); running it without one", strerror(rep.err));
      g_mode = Mode::kSession;
      continue;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    g_child = 0;
    close(fds[0]);
    const char* file = g_cfg.command[0];
    if (rep.stage == kChildRelativePath) {
      Say("cannot run '%s': it is found only through a relative PATH entry, which is not searched (give a path, e.g. ./%s)", file, file);
      return 127;
    }
    if (rep.stage == kChildExec) {
      Say("cannot run '%s': %s", file, strerror(rep.err));
    } else {
      Say("cannot run '%s': %s: %s", file, ChildStageName(rep.stage), strerror(rep.err));
    }
    return rep.err == ENOENT || rep.err == ENOTDIR ? 127 : 126;
  }
  close(fds[0]);
  Log(1, "started %s as pid %d (%s)", g_cfg.command[0], static_cast<int>(pid), ModeText(g_mode));
  return -1;
}

void LogChildSignals(const sigset_t& mask) {
  if (g_cfg.verbosity < 2) return;
  unsigned long long blocked = 0, ignored = 0;
  for (int sig = 1; sig <= kMaxSignal; sig++) {
    if (sigismember(&mask, sig) == 1) blocked |= 1ULL << (sig - 1);
    struct sigaction act;
    if (sigaction(sig, nullptr, &act) == 0 && !(act.sa_flags & SA_SIGINFO) && act.sa_handler == SIG_IGN) ignored |= 1ULL << (sig - 1);
  }
  Log(2, "the child gets the launcher's signal state: blocked %#llx, ignored %#llx", blocked, ignored);
}

int Run() {
  g_pid1 = getpid() == 1;
  g_own_pgrp = getpgrp();
  [[maybe_unused]] pid_t parent_at_start = getppid();  // for -p's check (Linux)

  // Every forwarded signal is blocked before anything else can happen; the mask
  // the launcher gave is what the child gets back.
  sigemptyset(&g_forwarded);
  for (int sig = 1; sig <= kMaxSignal; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaddset(&g_forwarded, sig);
  }
  sigset_t launcher_mask;
  sigprocmask(SIG_BLOCK, &g_forwarded, &launcher_mask);
  // A launcher's SIG_IGN for SIGCHLD would make children vanish without a status.
  struct sigaction chld;
  bool sigchld_ignored = sigaction(SIGCHLD, nullptr, &chld) == 0 && !(chld.sa_flags & SA_SIGINFO) && chld.sa_handler == SIG_IGN;
  if (sigchld_ignored) signal(SIGCHLD, SIG_DFL);
  LogChildSignals(launcher_mask);
  sigset_t wake;
  sigemptyset(&wake);
#ifndef __linux__
  // Elsewhere a blocked signal whose default action is to ignore it may be
  // discarded instead of waiting for sigwait(): give those a handler that does
  // nothing (exec resets it; the child resets it before its mask opens).
  for (int sig = 1; sig <= kMaxSignal; sig++) {
    struct sigaction act;
    if (sigismember(&g_forwarded, sig) != 1 || sigaction(sig, nullptr, &act) != 0) continue;
    if ((act.sa_flags & SA_SIGINFO) || act.sa_handler != SIG_DFL) continue;
    struct sigaction wake_act;
    memset(&wake_act, 0, sizeof wake_act);
    wake_act.sa_handler = WakeHandler;
    sigemptyset(&wake_act.sa_mask);
    if (sigaction(sig, &wake_act, nullptr) == 0) sigaddset(&wake, sig);
  }
#endif

  const int kJobControl[] = {SIGTSTP, SIGTTIN, SIGTTOU};
  for (int sig : kJobControl) {
    // dumb-init's job control: the group stops with SIGSTOP (a program that
    // ignores SIGTSTP would otherwise leave the shell waiting). -c forwards as is.
    if (!g_cfg.single_child && g_cfg.rewrite[sig] < 0) g_cfg.rewrite[sig] = SIGSTOP;
  }

  bool parent_gone = false;
  if (g_cfg.pdeathsig != 0) {
#ifdef __linux__
    if (prctl(PR_SET_PDEATHSIG, static_cast<unsigned long>(g_cfg.pdeathsig), 0, 0, 0) < 0) {
      Say("cannot set the parent-death signal: %s", strerror(errno));
      return 1;
    }
    parent_gone = getppid() != parent_at_start;  // died before prctl: forward it once started
#else
    Say("-p/--pdeathsig is not available on this platform");
    return 1;
#endif
  }
  if (g_cfg.subreaper) {
#if defined(__linux__) && defined(PR_SET_CHILD_SUBREAPER)
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
      Say("cannot become a child subreaper: %s", strerror(errno));
      return 1;
    }
#else
    Say("-s/--subreaper is not available on this platform");
    return 1;
#endif
  }
  ReaperCheck();

  g_mode = ChooseMode();
  if (g_mode == Mode::kSessionTty && !LetGoOfTerminal()) g_mode = Mode::kGroup;

  // Init itself moves to / before the child exists, so the child can never see
  // it anywhere else; the child goes back to the launcher's directory.
#ifdef O_PATH
  int cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
#else
  int cwd_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
#endif
  if (cwd_fd >= 0 && chdir("/") < 0) {
    close(cwd_fd);
    cwd_fd = -1;
  }
  if (cwd_fd < 0) Log(2, "stays in its working directory (cannot open it: %s)", strerror(errno));

  int rc = StartChild(cwd_fd, launcher_mask, sigchld_ignored, wake);
  if (rc >= 0) return rc;
  if (parent_gone) {
    Received r = {g_cfg.pdeathsig, 0, 1};
    HandleSignal(r);
  }

  for (;;) {
    // Take every pending signal, forward them, then reap: a SIGCONT that resumed
    // init is forwarded before a stop of the child that it ends is looked at.
    Received batch[kMaxSignal];
    int count = 0;
    if (!TakeSignal(&batch[count], true)) {
      if (errno == EINTR || errno == EAGAIN) continue;
      Say("sigwait: %s", strerror(errno));
      return 1;
    }
    count++;
    while (count < kMaxSignal && TakeSignal(&batch[count], false)) count++;
    for (int i = 0; i < count; i++) {
      if (batch[i].sig != SIGCHLD) HandleSignal(batch[i]);
    }
    Reap();
  }
}

}  // namespace

}  // namespace procctl_init

int main(int argc, char** argv) {
  int rc = procctl_init::ParseArgs(argc, argv, &procctl_init::g_cfg);
  if (rc >= 0) return rc;
  return procctl_init::Run();
}
