/*
 * The conformance probe: started by the Go driver and by the procctl driver from
 * the same case, it reports what the kernel says about the process it became.
 * Built static (cc -static) so that no dynamic loader opens files, reads
 * LD_* variables or changes anything before main() looks.
 *
 * Order matters: the fd table is listed before the probe opens anything of its
 * own, and nothing is changed before everything has been read. The report is
 * written last, as JSON, to report.json next to the probe's own executable
 * (the drivers' stdio may be /dev/null, a pty or closed, so stdout is no channel).
 * Raw values are reported (hex masks, /proc lines): the harness decodes them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MAX_FDS 1024

static char out[1 << 20];
static size_t used;

static void put(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out + used, sizeof out - used, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof out - used) {
    fputs("probe: report too large\n", stderr);
    _exit(3);
  }
  used += (size_t)n;
}

/* A JSON string; bytes >= 0x80 pass through (the harness reads UTF-8). */
static void put_str(const char *s) {
  put("\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') put("\\%c", *p);
    else if (*p < 0x20 || *p == 0x7f) put("\\u%04x", *p);
    else put("%c", *p);
  }
  put("\"");
}

static void put_key(const char *key) {
  put_str(key);
  put(":");
}

/* The whole of a small /proc file as a JSON string, or null when unreadable. */
static void put_file(const char *path) {
  static char buf[1 << 16];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    put("null");
    return;
  }
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(fd);
  buf[len] = 0;
  /* /proc/self/environ and friends use NULs; none is read here, but be safe. */
  for (size_t i = 0; i < len; i++) if (buf[i] == 0) buf[i] = '\n';
  put_str(buf);
}

static void put_link(const char *path) {
  char buf[PATH_MAX];
  ssize_t n = readlink(path, buf, sizeof buf - 1);
  if (n < 0) {
    put("null");
    return;
  }
  buf[n] = 0;
  put_str(buf);
}

static void put_rlimit_value(rlim_t v) {
  if (v == RLIM_INFINITY) put("\"unlimited\"");
  else put("%llu", (unsigned long long)v);
}

int main(int argc, char **argv, char **envp) {
  /* 1. The fd table, before the probe opens anything. */
  int fds[MAX_FDS];
  int nfds = 0;
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    perror("probe: /proc/self/fd");
    return 3;
  }
  DIR *d = fdopendir(dir);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    int fd = atoi(e->d_name);
    if (fd != dir && nfds < MAX_FDS) fds[nfds++] = fd;
  }
  /* readdir order is the kernel's (ascending); sort anyway for a stable report. */
  for (int i = 1; i < nfds; i++)
    for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
      int t = fds[j];
      fds[j] = fds[j - 1];
      fds[j - 1] = t;
    }
  int fd_flags[MAX_FDS], fl_flags[MAX_FDS];
  for (int i = 0; i < nfds; i++) {
    fd_flags[i] = fcntl(fds[i], F_GETFD);
    fl_flags[i] = fcntl(fds[i], F_GETFL);
  }

  put("{");
  put_key("fds");
  put("[");
  for (int i = 0; i < nfds; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
    put("%s{\"fd\":%d,\"cloexec\":%s,\"flags\":%d,\"target\":", i ? "," : "", fds[i],
        (fd_flags[i] >= 0 && (fd_flags[i] & FD_CLOEXEC)) ? "true" : "false", fl_flags[i]);
    put_link(path);
    put("}");
  }
  put("],");
  if (d) closedir(d);

  /* 2. Identity, credentials, signals, session: the kernel's own text. */
  put_key("status");
  put_file("/proc/self/status");
  put(",");
  put_key("stat");
  put_file("/proc/self/stat");
  put(",");
  put_key("pid");
  put("%d,", (int)getpid());

  /* 3. Places. */
  put_key("cwd");
  put_link("/proc/self/cwd");
  put(",");
  put_key("root");
  put_link("/proc/self/root");
  put(",");
  /* Which directory "/" is (inside a chroot the link above says "/" too). */
  struct stat root;
  put_key("root_id");
  if (stat("/", &root) == 0) put("\"%llu:%llu\",", (unsigned long long)root.st_dev, (unsigned long long)root.st_ino);
  else put("null,");
  put_key("exe");
  put_link("/proc/self/exe");
  put(",");

  /* 4. argv and the environment, in order. */
  put_key("argv");
  put("[");
  for (int i = 0; i < argc; i++) {
    if (i) put(",");
    put_str(argv[i]);
  }
  put("],");
  put_key("env");
  put("[");
  for (int i = 0; envp[i]; i++) {
    if (i) put(",");
    put_str(envp[i]);
  }
  put("],");

  /* 5. Resource limits, by the kernel's resource number. */
  put_key("rlimits");
  put("[");
  for (int r = 0; r < RLIM_NLIMITS; r++) {
    struct rlimit lim;
    if (r) put(",");
    if (getrlimit(r, &lim) != 0) {
      put("null");
      continue;
    }
    put("[");
    put_rlimit_value(lim.rlim_cur);
    put(",");
    put_rlimit_value(lim.rlim_max);
    put("]");
  }
  put("],");

  /* 6. prctl state that a spawner can set or leak. */
  int pdeathsig = -1, subreaper = -1;
  prctl(PR_GET_PDEATHSIG, &pdeathsig, 0, 0, 0);
  prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0);
  put_key("prctl");
  put("{\"pdeathsig\":%d,\"no_new_privs\":%d,\"dumpable\":%d,\"child_subreaper\":%d,"
      "\"keepcaps\":%d,\"securebits\":%d},",
      pdeathsig, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0),
      subreaper, prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
  /* The policy as sched_getscheduler() returns it (SCHED_RESET_ON_FORK included),
   * the realtime priority, nice, and the I/O priority (class << 13 | level). */
  struct sched_param sp = {0};
  sched_getparam(0, &sp);
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  put_key("sched");
  put("{\"policy\":%d,\"priority\":%d,\"nice\":%d,\"ioprio\":%ld},", sched_getscheduler(0), sp.sched_priority,
      errno ? 99 : nice, syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0));
  put_key("oom_score_adj");
  put_file("/proc/self/oom_score_adj");
  put(",");

  /* 7. Namespaces and cgroup. */
  static const char *const ns[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
                                   "time", "time_for_children", "user", "uts"};
  put_key("ns");
  put("{");
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i]);
    put("%s", i ? "," : "");
    put_key(ns[i]);
    put_link(path);
  }
  put("},");
  put_key("cgroup");
  put_file("/proc/self/cgroup");
  put(",");
  /* The parent's (the driver's) cgroup as this process sees it: in a cgroup
   * namespace, relative to the namespace's root, which shows where that root is.
   * The parent by /proc/self/stat (getppid() is 0 in a new PID namespace). */
  {
    char stat[512], path[64];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, stat, sizeof stat - 1);
    if (fd >= 0) close(fd);
    int ppid = 0;
    if (n > 0) {
      stat[n] = 0;
      char *end = strrchr(stat, ')');
      if (end) sscanf(end + 2, "%*c %d", &ppid);
    }
    snprintf(path, sizeof path, "/proc/%d/cgroup", ppid);
    put_key("parent_cgroup");
    put_file(path);
    put(",");
  }
  /* A user namespace's id maps (the host's own outside one). */
  put_key("uid_map");
  put_file("/proc/self/uid_map");
  put(",");
  put_key("gid_map");
  put_file("/proc/self/gid_map");
  put(",");
  put_key("setgroups");
  put_file("/proc/self/setgroups");
  put(",");
  struct utsname u;
  put_key("hostname");
  if (uname(&u) == 0) put_str(u.nodename);
  else put("null");
  put("}\n");

  /* The report: next to the executable. Write failures must not kill the probe
   * silently (an fsize limit of 0 would raise SIGXFSZ). */
  signal(SIGXFSZ, SIG_IGN);
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 32);
  if (n <= 0) {
    perror("probe: /proc/self/exe");
    return 3;
  }
  exe[n] = 0;
  char *slash = strrchr(exe, '/');
  strcpy(slash ? slash + 1 : exe, "report.json");
  int fd = open(exe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    fprintf(stderr, "probe: %s: %s\n", exe, strerror(errno));
    return 3;
  }
  for (size_t off = 0; off < used;) {
    ssize_t w = write(fd, out + off, used - off);
    if (w <= 0) {
      fprintf(stderr, "probe: write %s: %s\n", exe, strerror(errno));
      return 3;
    }
    off += (size_t)w;
  }
  close(fd);
  return 0;
}
