// Native signal forwarding: a sigaction handler that turns a signal sent by
// another process into one byte on a pipe read by the JS event loop.
//
// The handler is async-signal-safe: it reads a few globals, calls write(2),
// getpid(2) and sigaction(2)/tgkill(2) only. It never runs JS.
//
// A delivered signal is either
//   - sent by someone else (si_code <= 0: SI_USER, SI_QUEUE, SI_TKILL..., and
//     si_pid != our pid): written to the pipe, to be forwarded by JS; or
//   - ours: a real fault (SIGSEGV from a bad access has si_code > 0), a signal
//     the process sent itself (V8's SIGPROF ticks, a write to a closed pipe
//     raising SIGPIPE), or a kernel-generated one. It goes to whatever was
//     installed before us: a handler is called (V8's WebAssembly trap handler
//     for SIGSEGV keeps working), SIG_IGN does nothing, SIG_DFL is applied by
//     resetting the disposition and re-raising (for a fault: returning, so the
//     faulting instruction runs again and the default action happens).
#include "signals.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/syscall.h>  // SYS_tgkill: macOS has no such header
#endif

namespace procctl {

namespace {

constexpr int kMaxSignal = 32;  // classic signals 1..31

// Written once under the JS thread before any handler can read it.
volatile sig_atomic_t g_write_fd = -1;
int g_read_fd = -1;

struct Saved {
  struct sigaction previous;
  int refs;
};
Saved g_saved[kMaxSignal];

bool IsFaultSignal(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
         sig == SIGSYS;
}

void RaiseDefault(int sig, bool fault) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
  // A fault re-executes the instruction on return and now takes the default
  // action. Anything else is sent again; it stays pending (blocked while this
  // handler runs) and takes effect when the handler returns.
  if (!fault) {
#ifdef __linux__
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
#else
    kill(getpid(), sig);
#endif
  }
}

void ForwardHandler(int sig, siginfo_t* info, void* ucontext) {
  int saved_errno = errno;
  bool from_other = info != nullptr && info->si_code <= 0 && info->si_pid != getpid();
  if (from_other) {
    int fd = g_write_fd;
    if (fd >= 0) {
      unsigned char byte = static_cast<unsigned char>(sig);
      ssize_t r;
      do {
        r = write(fd, &byte, 1);
      } while (r < 0 && errno == EINTR);
      // A full pipe (64 KiB of unread signals) drops this one, as the kernel
      // coalesces a pending signal: no retry from a handler.
    }
    errno = saved_errno;
    return;
  }
  if (sig <= 0 || sig >= kMaxSignal) {
    errno = saved_errno;
    return;
  }
  const struct sigaction& prev = g_saved[sig].previous;
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction != nullptr) prev.sa_sigaction(sig, info, ucontext);
  } else if (prev.sa_handler == SIG_IGN) {
    // ignored before us: still ignored
  } else if (prev.sa_handler == SIG_DFL) {
    bool fault = IsFaultSignal(sig) && info != nullptr && info->si_code > 0;
    // Default actions that do nothing (SIGCHLD, SIGURG, SIGWINCH, SIGCONT)
    // are not forwarded by us anyway; the rest terminate or stop.
    RaiseDefault(sig, fault);
  } else {
    prev.sa_handler(sig);
  }
  errno = saved_errno;
}

bool HandlerIsOurs(const struct sigaction& act) {
  return (act.sa_flags & SA_SIGINFO) && act.sa_sigaction == ForwardHandler;
}

}  // namespace

long SignalPipeReadFd() {
  if (g_read_fd >= 0) return g_read_fd;
  int fds[2];
#ifdef __linux__
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) return -errno;
#else
  if (pipe(fds) < 0) return -errno;
  for (int fd : fds) {
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
#endif
  g_read_fd = fds[0];
  g_write_fd = fds[1];
  return g_read_fd;
}

long SignalForwardInstall(int sig) {
  if (sig <= 0 || sig >= kMaxSignal || sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
  if (g_write_fd < 0) return -EBADF;
  Saved& s = g_saved[sig];
  if (s.refs > 0) {
    s.refs++;
    return 0;
  }
  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.sa_sigaction = ForwardHandler;
  act.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigemptyset(&act.sa_mask);
  // The previous action must be in place before our handler can run: a signal
  // pending while sigaction() runs is delivered as the syscall returns, and a
  // handler reading a not-yet-saved `previous` would take SIG_DFL for it (a
  // V8 profiler tick, SIGPROF, would then kill the process).
  struct sigaction prev;
  if (sigaction(sig, nullptr, &prev) < 0) return -errno;
  s.previous = prev;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  struct sigaction replaced;
  if (sigaction(sig, &act, &replaced) < 0) return -errno;
  // Another thread changed the action between the two calls (rare): keep what
  // was really replaced. Signals of this kind that arrive meanwhile see the
  // action read first, which was valid a moment ago.
  if (replaced.sa_handler != prev.sa_handler || replaced.sa_flags != prev.sa_flags) s.previous = replaced;
  s.refs = 1;
  return 0;
}

long SignalForwardRestore(int sig) {
  if (sig <= 0 || sig >= kMaxSignal) return -EINVAL;
  Saved& s = g_saved[sig];
  if (s.refs == 0) return 0;
  if (--s.refs > 0) return 0;
  struct sigaction cur;
  if (sigaction(sig, nullptr, &cur) < 0) return -errno;
  if (!HandlerIsOurs(cur)) return 0;
  if (sigaction(sig, &s.previous, nullptr) < 0) return -errno;
  return 1;
}

namespace {
Saved g_snapshots[kMaxSignal];
}  // namespace

long SignalSnapshot(int sig) {
  if (sig <= 0 || sig >= kMaxSignal || sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
  Saved& s = g_snapshots[sig];
  if (s.refs++ > 0) return 0;
  if (sigaction(sig, nullptr, &s.previous) < 0) {
    s.refs = 0;
    return -errno;
  }
  return 0;
}

long SignalSnapshotRestore(int sig) {
  if (sig <= 0 || sig >= kMaxSignal) return -EINVAL;
  Saved& s = g_snapshots[sig];
  if (s.refs == 0) return 0;
  if (--s.refs > 0) return 0;
  struct sigaction cur;
  if (sigaction(sig, nullptr, &cur) < 0) return -errno;
  bool is_default = !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL;
  if (!is_default) return 0;  // a listener remains, or someone installed their own
  if (sigaction(sig, &s.previous, nullptr) < 0) return -errno;
  return 1;
}

long SignalDisposition(int sig) {
  struct sigaction cur;
  if (sigaction(sig, nullptr, &cur) < 0) return -errno;
  if (cur.sa_flags & SA_SIGINFO) return 2;
  if (cur.sa_handler == SIG_DFL) return 0;
  if (cur.sa_handler == SIG_IGN) return 1;
  return 2;
}

long SignalSetDisposition(int sig, bool ignore) {
  if (sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.sa_handler = ignore ? SIG_IGN : SIG_DFL;
  sigemptyset(&act.sa_mask);
  if (sigaction(sig, &act, nullptr) < 0) return -errno;
  return 0;
}

namespace {
// The action that was in place before ExitAsDefault (Node installs its own
// SIGINT/SIGTERM handler at start-up: it resets the terminal, then re-raises).
struct sigaction g_exit_prev[kMaxSignal];

// The exit a signal's default action would give a process that is not PID 1.
// The previous handler runs first (Node's puts the terminal back; its re-raise
// stays pending, everything is blocked here). A PID 1 cannot die of the signal
// itself: the kernel drops it even when re-raised with SIG_DFL, so the status is
// 128+n, as a shell reports it.
void ExitAsDefault(int sig, siginfo_t* info, void* ucontext) {
  const struct sigaction& prev = g_exit_prev[sig];
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction != nullptr) prev.sa_sigaction(sig, info, ucontext);
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
  }
  _exit(128 + sig);
}

bool IsExitAsDefault(const struct sigaction& act) {
  return (act.sa_flags & SA_SIGINFO) && act.sa_sigaction == ExitAsDefault;
}
}  // namespace

long SignalExitAsDefaultInstall(int sig) {
  if (sig <= 0 || sig >= kMaxSignal || sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
  struct sigaction cur;
  if (sigaction(sig, nullptr, &cur) < 0) return -errno;
  if (IsExitAsDefault(cur)) return 1;
  if (!(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_IGN) return 0;  // ignored: it stays so
  struct sigaction act;
  memset(&act, 0, sizeof act);
  act.sa_sigaction = ExitAsDefault;
  act.sa_flags = SA_SIGINFO;
  sigfillset(&act.sa_mask);
  g_exit_prev[sig] = cur;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (sigaction(sig, &act, nullptr) < 0) return -errno;
  return 1;
}

long SignalExitAsDefaultRemove(int sig) {
  if (sig <= 0 || sig >= kMaxSignal) return -EINVAL;
  struct sigaction cur;
  if (sigaction(sig, nullptr, &cur) < 0) return -errno;
  if (!IsExitAsDefault(cur)) return 0;
  if (sigaction(sig, &g_exit_prev[sig], nullptr) < 0) return -errno;
  return 1;
}

}  // namespace procctl
