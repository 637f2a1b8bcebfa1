/* procctl's floor: the system calls procctl's Linux spawn makes, from C, with no
 * JavaScript, no Node and no addon around them. What it costs is what the kernel
 * charges for procctl's way of spawning (its hardening included); what procctl
 * takes above it is Node's and the addon's share.
 *
 *   procctl_floor MODE N HEAP_MB BUDGET_MS
 *
 * The peer contract of bench/peers/ (c_peer.h). Per child, as
 * native/spawn_linux.cc and native/spawn_child.cc do it:
 *   parent: every source fd checked open (fcntl F_GETFD); for run()'s capture,
 *     /dev/null and two close-on-exec pipes; all signals blocked; clone with
 *     CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_FILES on a stack kept for
 *     the life of the process; the mask restored; with a credential change the
 *     dumpable flag of the shared mm read before and put back after.
 *   child: every signal but SIGKILL/SIGSTOP back to SIG_DFL; its own fd table
 *     (close_range UNSHARE above the highest fd it uses); the fd remap; every
 *     other fd close-on-exec; with the drop, the /dev/tty check, setgroups,
 *     setresgid, setresuid, the ambient set cleared, capset to nothing and
 *     capget to confirm it; an empty signal mask; execve.
 *   parent again, as runSync() waits: with nothing to read, no pidfd (the
 *     clone goes without CLONE_PIDFD) and one blocking wait4 with rusage; for
 *     run()'s capture, poll on the pidfd and the pipes (read to EOF), waitid
 *     P_PIDFD with rusage, close. conc, as spawn()'s exit watcher: the pidfds in
 *     one epoll set, each removed and closed once reaped. (spawn() makes and
 *     watches a pidfd for every child, which this floor's seq and drop do not.)
 * The parent ignores SIGPIPE, as Node does, so the child's reset has a
 * disposition to undo. Linux only (it is the floor of the Linux engine). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c_peer.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define UNSHARE_RANGE (1U << 1)
#define CLOEXEC_RANGE (1U << 2)
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

extern char **environ;

enum { STACK = 256 << 10 };

/* What the child reads: its program, the fds for 0..2 (-1: keep the caller's
 * own, made inheritable), whether to drop, and where to report a failure. */
struct job {
  char *const *argv;
  int src[3];
  int drop;
  int want_pidfd;
  int fail_errno;
};

static char child_stack[STACK] __attribute__((aligned(16)));

static int child_main(void *arg) {
  struct job *j = arg;
  unsigned long dfl[4] = {0, 0, 0, 0};
  for (int sig = 1; sig <= 64; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, dfl, NULL, 8);
  int keep = 3;
  for (int i = 0; i < 3; i++)
    if (j->src[i] >= keep) keep = j->src[i] + 1;
  long r = syscall(SYS_close_range, keep, ~0U, UNSHARE_RANGE);
  /* every source is above 2 here, so no dup3 overwrites one still to be used */
  for (int i = 0; r >= 0 && i < 3; i++)
    r = j->src[i] < 0 ? syscall(SYS_fcntl, i, F_SETFD, 0) : syscall(SYS_dup3, j->src[i], i, 0);
  if (r >= 0) r = syscall(SYS_close_range, 3, ~0U, CLOEXEC_RANGE);
  if (r == 0 && j->drop) {
    long tty = syscall(SYS_openat, AT_FDCWD, "/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
    if (tty >= 0) syscall(SYS_close, tty); /* a terminal to guard: not in this bench */
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct caps[2];
    memset(caps, 0, sizeof caps);
    if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY) < 0 ||
        syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY) < 0 ||
        syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
        syscall(SYS_capset, &hdr, caps) < 0 || syscall(SYS_capget, &hdr, caps) < 0 || caps[0].permitted != 0)
      r = -1;
  }
  uint64_t none = 0;
  if (r == 0) r = syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
  if (r == 0) syscall(SYS_execve, j->argv[0], j->argv, environ);
  j->fail_errno = errno ? errno : EINVAL; /* shared memory: the parent reads it */
  syscall(SYS_exit_group, 127);
  return 127;
}

/* Starts one child; returns its pidfd, or minus its pid without one. */
static int start(struct job *j) {
  for (int i = 0; i < 3; i++)
    if (fcntl(j->src[i] < 0 ? i : j->src[i], F_GETFD) < 0) peer_die("source fd", errno);
  int dumpable = j->drop ? prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) : -1;
  sigset_t all, old;
  sigfillset(&all);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8);
  int pidfd = -1;
  j->fail_errno = 0;
  long pid = clone(child_main, child_stack + STACK,
                   CLONE_VM | CLONE_VFORK | (j->want_pidfd ? CLONE_PIDFD : 0) | CLONE_FILES | SIGCHLD, j, &pidfd);
  int clone_errno = errno;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8);
  if (dumpable >= 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != dumpable) prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
  if (pid < 0) peer_die("clone", clone_errno);
  if (j->fail_errno != 0) peer_die("child", j->fail_errno);
  return j->want_pidfd ? pidfd : -(int)pid;
}

static void reap(int pidfd) {
  siginfo_t info;
  struct rusage ru;
  memset(&info, 0, sizeof info);
  if (syscall(SYS_waitid, P_PIDFD, pidfd, &info, WEXITED | WNOHANG, &ru) < 0) peer_die("waitid", errno);
  if (info.si_pid == 0) peer_die("waitid: not exited", EAGAIN);
  if (info.si_code != CLD_EXITED || info.si_status != 0) peer_die("child failed", EINVAL);
  close(pidfd);
}

static void run_wait(char *const argv[], int drop) {
  struct job j = {argv, {-1, -1, -1}, drop, 0, 0};
  pid_t pid = -start(&j);
  int status;
  struct rusage ru;
  pid_t got;
  while ((got = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR) {
  }
  if (got != pid) peer_die("wait4", errno);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) peer_die("child failed", EINVAL);
}

/* run()'s capture: stdin /dev/null, stdout and stderr on pipes read to EOF. */
static const char *capture(char *const argv[], int drop) {
  static char out[8192];
  char err[512];
  size_t lens[2] = {0, 0};
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int po[2], pe[2];
  if (null_fd < 0 || pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) peer_die("pipes", errno);
  struct job j = {argv, {null_fd, po[1], pe[1]}, drop, 1, 0};
  int pidfd = start(&j);
  close(null_fd);
  close(po[1]);
  close(pe[1]);
  struct pollfd p[3] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
  int open_pipes = 2, exited = 0;
  while (open_pipes > 0 || !exited) {
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      peer_die("poll", errno);
    }
    for (int k = 0; k < 2; k++) {
      if (p[k].fd < 0 || !p[k].revents) continue;
      char *buf = k == 0 ? out : err;
      size_t cap = k == 0 ? sizeof out : sizeof err;
      ssize_t r = read(p[k].fd, buf + lens[k], cap - 1 - lens[k]);
      if (r > 0) {
        lens[k] += (size_t)r;
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      close(p[k].fd);
      p[k].fd = -1;
      open_pipes--;
    }
    if (p[2].fd >= 0 && p[2].revents) {
      exited = 1;
      p[2].fd = -1;
    }
  }
  reap(pidfd);
  out[lens[0]] = 0;
  return out;
}

/* n children at once, their pidfds in one epoll set, each reaped as it ends. */
static void concurrent(char *const argv[], int n) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) peer_die("epoll_create1", errno);
  for (int i = 0; i < n; i++) {
    struct job j = {argv, {-1, -1, -1}, 0, 1, 0};
    int pidfd = start(&j);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = pidfd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev) < 0) peer_die("epoll_ctl", errno);
  }
  struct epoll_event evs[64];
  for (int left = n; left > 0;) {
    int k = epoll_wait(ep, evs, 64, -1);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) peer_die("epoll_wait", errno);
    for (int i = 0; i < k; i++) {
      epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, NULL);
      reap(evs[i].data.fd);
      left--;
    }
  }
  close(ep);
}

int main(int argc, char **argv) {
  static const struct peer_ops ops = {"procctl_floor", run_wait, capture, concurrent};
  signal(SIGPIPE, SIG_IGN);
  return peer_main(argc, argv, &ops);
}
