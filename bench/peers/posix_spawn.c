/* The C floor of the side-by-side spawn benchmark (bench/spawn-bench.mjs).
 *
 *   posix_spawn MODE N HEAP_MB BUDGET_MS
 *
 * Same contract as every peer in bench/peers/: grow RSS to HEAP_MB in 64 MiB chunks,
 * one byte written per page; run MODE (seq | drop | conc | capture) N times or until
 * BUDGET_MS has passed; print one JSON line. Plain spawns use posix_spawn(3), which
 * glibc implements with clone(CLONE_VM|CLONE_VFORK). posix_spawn cannot change
 * credentials, so the drop uses the same kind of clone through vfork(2) with raw
 * syscalls in the child (the glibc set*id wrappers are not safe there: they signal
 * every thread of the shared address space). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { NOBODY = 65534, CHUNK = 64 << 20, PAGE = 4096 };

static void die(const char *what, int err) {
  fprintf(stderr, "posix_spawn peer: %s: %s\n", what, strerror(err));
  exit(1);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  size_t len = strlen(field);
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, len) == 0 && line[len] == ':') kb = strtol(line + len + 1, NULL, 10);
  fclose(f);
  return kb;
}

static void grow_heap(long mb) {
  while (status_kb("VmRSS") < mb * 1024) {
    char *p = malloc(CHUNK);
    if (!p) die("malloc", ENOMEM);
    for (size_t i = 0; i < CHUNK; i += PAGE) p[i] = 1;
    /* kept for the life of the process on purpose */
  }
}

/* Starts argv[0]; out >= 0 becomes the child's stdout. */
static pid_t start(char *const argv[], int drop, int out) {
  pid_t pid;
  if (!drop) {
    posix_spawn_file_actions_t fa, *fap = NULL;
    if (out >= 0) {
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_adddup2(&fa, out, 1);
      fap = &fa;
    }
    int err = posix_spawn(&pid, argv[0], fap, NULL, argv, environ);
    if (fap) posix_spawn_file_actions_destroy(fap);
    if (err) die("posix_spawn", err);
    return pid;
  }
  pid = vfork();
  if (pid < 0) die("vfork", errno);
  if (pid == 0) {
    /* groups, then gid, then uid: the first two need the privilege the last drops */
    if (out >= 0 && syscall(SYS_dup2, out, 1) < 0) _exit(126);
    if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, NOBODY, NOBODY, NOBODY) < 0 ||
        syscall(SYS_setresuid, NOBODY, NOBODY, NOBODY) < 0)
      _exit(126);
    syscall(SYS_execve, argv[0], argv, environ);
    _exit(127);
  }
  return pid;
}

static void reap(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) die("waitpid", errno);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) die("child failed", EINVAL);
}

/* Runs argv with stdout on a pipe and returns what it printed (static buffer). */
static const char *capture(char *const argv[], int drop) {
  static char buf[8192];
  size_t len = 0;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) die("pipe2", errno);
  pid_t pid = start(argv, drop, fds[1]);
  close(fds[1]);
  for (;;) {
    ssize_t r = read(fds[0], buf + len, sizeof buf - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("read", errno);
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fds[0]);
  buf[len] = 0;
  reap(pid);
  return buf;
}

/* The drop must really happen: Uid, Gid all 65534 and no supplementary group. */
static void verify_drop(void) {
  char *argv[] = {"/bin/cat", "/proc/self/status", NULL};
  const char *s = capture(argv, 1);
  const char *u = strstr(s, "\nUid:\t65534\t65534\t65534\t65534\n");
  const char *g = strstr(s, "\nGid:\t65534\t65534\t65534\t65534\n");
  const char *gr = strstr(s, "\nGroups:");
  if (!u || !g || !gr || strspn(gr + 8, " \t") != strcspn(gr + 8, "\n")) die("drop not applied", EPERM);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s seq|drop|conc|capture N HEAP_MB BUDGET_MS\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  int n = atoi(argv[2]);
  long heap_mb = atol(argv[3]);
  int64_t budget = (int64_t)atol(argv[4]) * 1000000;
  int drop = strcmp(mode, "drop") == 0;
  int conc = strcmp(mode, "conc") == 0;
  int cap = strcmp(mode, "capture") == 0;
  if (!drop && !conc && !cap && strcmp(mode, "seq") != 0) die(mode, EINVAL);
  char *true_argv[] = {"/bin/true", NULL};
  char *echo_argv[] = {"/bin/echo", "hello", NULL};

  grow_heap(heap_mb);
  long rss = status_kb("VmRSS");
  if (drop) verify_drop();

  int64_t *times = calloc((size_t)n + 1, sizeof *times);
  pid_t *pids = calloc((size_t)n + 1, sizeof *pids);
  if (!times || !pids) die("calloc", ENOMEM);
  int done = 0;
  int64_t t0, total;
  if (conc) {
    t0 = now_ns();
    for (int i = 0; i < n; i++) pids[i] = start(true_argv, 0, -1);
    for (int i = 0; i < n; i++) reap(pids[i]);
    total = now_ns() - t0;
    done = n;
  } else {
    int64_t w0 = now_ns();
    for (int i = 0; i < 10 && now_ns() - w0 < budget / 4; i++) {
      if (cap) capture(echo_argv, 0);
      else reap(start(true_argv, drop, -1));
    }
    t0 = now_ns();
    while (done < n) {
      int64_t a = now_ns();
      if (cap) {
        if (strcmp(capture(echo_argv, 0), "hello\n") != 0) die("unexpected output", EINVAL);
      } else {
        reap(start(true_argv, drop, -1));
      }
      int64_t b = now_ns();
      times[done++] = b - a;
      if (b - t0 > budget && done >= 3) break;
    }
    total = now_ns() - t0;
  }
  qsort(times, (size_t)done, sizeof *times, cmp_i64);
  printf("{\"mode\":\"%s\",\"n\":%d,\"totalNs\":%lld,\"medianNs\":%lld,\"rssKb\":%ld,\"hwmKb\":%ld}\n", mode, done,
         (long long)total, conc ? (long long)total : (long long)times[done / 2], rss, status_kb("VmHWM"));
  return 0;
}
