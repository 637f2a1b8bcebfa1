/*
 * The conformance suite's parent-state wrapper: puts the process into the state
 * a case describes (signals ignored or blocked, an fd left without
 * close-on-exec, a lowered soft NOFILE, ambient capabilities, a terminal ...)
 * and execs the driver (Go or procctl) in it, so that both drivers start from
 * the same inherited state and what they pass on to the probe can be compared.
 *
 *   parent [options] -- driver args...
 *
 * Every fd from 3 up is closed first. Each option is then one system call,
 * applied in the order given:
 *   --groups G,G..     setgroups
 *   --umask OCTAL      umask
 *   --ignore SIG,..    signal(SIG, SIG_IGN)                  (numbers)
 *   --block SIG,..     sigprocmask(SIG_BLOCK)                 (numbers)
 *   --fd N:PATH:MODE   open PATH (r, w, rw) as fd N, inheritable
 *   --nonblock N       set O_NONBLOCK on fd N's open file description
 *   --rlimit R:SOFT:HARD  setrlimit(R) (numbers; "-" keeps that value)
 *   --ambient CAP      raise CAP in the inheritable and ambient sets (numbers)
 *   --drop-bound CAP   drop CAP from the bounding set (kept out across exec as root)
 *   --no-new-privs     PR_SET_NO_NEW_PRIVS
 *   --mount-proc DIR   a private mount namespace with a proc file system at DIR
 *                      (a chroot's /proc), gone with the last process in it
 *   --pty ctty|free    fork; the driver runs on a new pty's slave as fd 0: with
 *                      `ctty` it leads a new session whose controlling terminal
 *                      that pty is; with `free` it stays in our session and no
 *                      session controls the pty. The pty's name and device number
 *                      are printed on stderr as "conformance-pty: /dev/pts/N DEV"
 *                      (DEV as /proc/<pid>/stat's tty_nr shows it); this process keeps
 *                      the master open until the driver exits, and exits with
 *                      the driver's status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "conformance-parent: %s: %s\n", what, strerror(errno));
  exit(125);
}

static void usage(const char *what) {
  fprintf(stderr, "conformance-parent: bad option %s\n", what);
  exit(125);
}

/* Comma-separated numbers into list; returns the count. */
static int numbers(const char *s, long *list, int max) {
  int n = 0;
  while (*s && n < max) {
    char *end;
    list[n++] = strtol(s, &end, 0);
    if (end == s) usage(s);
    s = *end == ',' ? end + 1 : end;
  }
  return n;
}

static void raise_ambient(int cap) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &hdr, data) != 0) die("capget");
  data[cap / 32].inheritable |= 1u << (cap % 32);
  if (syscall(SYS_capset, &hdr, data) != 0) die("capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) die("PR_CAP_AMBIENT_RAISE");
}

static void open_at(const char *spec) {
  char path[4096];
  char mode[8];
  int fd;
  if (sscanf(spec, "%d:%4095[^:]:%7s", &fd, path, mode) != 3) usage(spec);
  int flags = strcmp(mode, "r") == 0 ? O_RDONLY : strcmp(mode, "w") == 0 ? O_WRONLY | O_CREAT : O_RDWR | O_CREAT;
  int got = open(path, flags, 0644);
  if (got < 0) die(path);
  if (got != fd) {
    if (dup2(got, fd) < 0) die("dup2");
    close(got);
  }
}

static rlim_t limit_value(const char *s, rlim_t keep) {
  if (strcmp(s, "-") == 0) return keep;
  if (strcmp(s, "unlimited") == 0) return RLIM_INFINITY;
  return (rlim_t)strtoull(s, NULL, 10);
}

static void set_rlimit(const char *spec) {
  int resource;
  char soft[32], hard[32];
  if (sscanf(spec, "%d:%31[^:]:%31s", &resource, soft, hard) != 3) usage(spec);
  struct rlimit lim;
  if (getrlimit(resource, &lim) != 0) die("getrlimit");
  lim.rlim_cur = limit_value(soft, lim.rlim_cur);
  lim.rlim_max = limit_value(hard, lim.rlim_max);
  if (setrlimit(resource, &lim) != 0) die("setrlimit");
}

/* Nothing to unmount afterwards: the namespace ends with the driver and its children. */
static void mount_proc(const char *dir) {
  if (unshare(CLONE_NEWNS) != 0) die("unshare(CLONE_NEWNS)");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("mount --make-rprivate /");
  if (mount("proc", dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) die(dir);
}

static void pty(const char *mode) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) die("posix_openpt");
  const char *name = ptsname(master);
  if (name == NULL) die("ptsname");
  struct stat st;
  if (stat(name, &st) != 0) die(name);
  /* tty_nr's encoding: minor low byte, major, then the minor's high bits. */
  unsigned long nr = (minor(st.st_rdev) & 0xff) | (major(st.st_rdev) << 8) | ((minor(st.st_rdev) & ~0xffUL) << 12);
  fprintf(stderr, "conformance-pty: %s %lu\n", name, nr);
  fflush(stderr);
  int ctty = strcmp(mode, "ctty") == 0;
  if (!ctty && strcmp(mode, "free") != 0) usage(mode);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    if (ctty && setsid() < 0) die("setsid");
    /* A session leader without a terminal that opens one without O_NOCTTY gets it. */
    int slave = open(name, O_RDWR | (ctty ? 0 : O_NOCTTY));
    if (slave < 0) die(name);
    if (slave != 0) {
      if (dup2(slave, 0) < 0) die("dup2");
      close(slave);
    }
    return;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) die("waitpid");
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    kill(getpid(), WTERMSIG(status));
  }
  exit(WIFEXITED(status) ? WEXITSTATUS(status) : 125);
}

int main(int argc, char **argv) {
  /* Whatever the harness's own parent left open must not reach the drivers:
   * fds 3 and up exist only when a case asks for them (--fd). */
  if (syscall(SYS_close_range, 3, ~0U, 0) != 0) {
    struct rlimit lim;
    long max = getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < 65536 ? (long)lim.rlim_cur : 65536;
    for (long fd = 3; fd < max; fd++) close((int)fd);
  }
  int i = 1;
  for (; i < argc; i++) {
    const char *opt = argv[i];
    if (strcmp(opt, "--") == 0) {
      i++;
      break;
    }
    if (i + 1 >= argc && strcmp(opt, "--no-new-privs") != 0) usage(opt);
    long list[64];
    int n;
    if (strcmp(opt, "--groups") == 0) {
      gid_t g[64];
      n = numbers(argv[++i], list, 64);
      for (int k = 0; k < n; k++) g[k] = (gid_t)list[k];
      if (setgroups((size_t)n, g) != 0) die("setgroups");
    } else if (strcmp(opt, "--umask") == 0) {
      umask((mode_t)strtol(argv[++i], NULL, 8));
    } else if (strcmp(opt, "--ignore") == 0) {
      n = numbers(argv[++i], list, 64);
      for (int k = 0; k < n; k++)
        if (signal((int)list[k], SIG_IGN) == SIG_ERR) die("signal");
    } else if (strcmp(opt, "--block") == 0) {
      sigset_t set;
      sigemptyset(&set);
      n = numbers(argv[++i], list, 64);
      for (int k = 0; k < n; k++) sigaddset(&set, (int)list[k]);
      if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) die("sigprocmask");
    } else if (strcmp(opt, "--fd") == 0) {
      open_at(argv[++i]);
    } else if (strcmp(opt, "--nonblock") == 0) {
      int fd = atoi(argv[++i]);
      int fl = fcntl(fd, F_GETFL);
      if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) die("F_SETFL");
    } else if (strcmp(opt, "--rlimit") == 0) {
      set_rlimit(argv[++i]);
    } else if (strcmp(opt, "--ambient") == 0) {
      raise_ambient(atoi(argv[++i]));
    } else if (strcmp(opt, "--drop-bound") == 0) {
      if (prctl(PR_CAPBSET_DROP, atoi(argv[++i]), 0, 0, 0) != 0) die("PR_CAPBSET_DROP");
    } else if (strcmp(opt, "--no-new-privs") == 0) {
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
    } else if (strcmp(opt, "--mount-proc") == 0) {
      mount_proc(argv[++i]);
    } else if (strcmp(opt, "--pty") == 0) {
      pty(argv[++i]);
    } else {
      usage(opt);
    }
  }
  if (i >= argc) usage("(no command)");
  execvp(argv[i], argv + i);
  die(argv[i]);
}
