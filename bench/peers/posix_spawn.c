/* The C floor of the side-by-side spawn benchmark (bench/spawn-bench.mjs).
 *
 *   posix_spawn MODE N HEAP_MB BUDGET_MS
 *
 * The peer contract of bench/peers/ (c_peer.h). Plain spawns use posix_spawn(3),
 * which glibc implements with clone(CLONE_VM|CLONE_VFORK). posix_spawn cannot
 * change credentials, so the drop uses the same kind of clone through vfork(2)
 * with raw syscalls in the child (the glibc set*id wrappers are not safe there:
 * they signal every thread of the shared address space). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c_peer.h"

extern char **environ;

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
    if (err) peer_die("posix_spawn", err);
    return pid;
  }
  pid = vfork();
  if (pid < 0) peer_die("vfork", errno);
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
  if (waitpid(pid, &st, 0) != pid) peer_die("waitpid", errno);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) peer_die("child failed", EINVAL);
}

/* Runs argv with stdout on a pipe and returns what it printed (static buffer). */
static const char *capture(char *const argv[], int drop) {
  static char buf[8192];
  size_t len = 0;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) peer_die("pipe2", errno);
  pid_t pid = start(argv, drop, fds[1]);
  close(fds[1]);
  for (;;) {
    ssize_t r = read(fds[0], buf + len, sizeof buf - 1 - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) peer_die("read", errno);
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fds[0]);
  buf[len] = 0;
  reap(pid);
  return buf;
}

static void start_wait(char *const argv[], int drop) { reap(start(argv, drop, -1)); }

static void concurrent(char *const argv[], int n) {
  pid_t *pids = calloc((size_t)n, sizeof *pids);
  if (!pids) peer_die("calloc", ENOMEM);
  for (int i = 0; i < n; i++) pids[i] = start(argv, 0, -1);
  for (int i = 0; i < n; i++) reap(pids[i]);
  free(pids);
}

int main(int argc, char **argv) {
  static const struct peer_ops ops = {"posix_spawn", start_wait, capture, concurrent};
  return peer_main(argc, argv, &ops);
}
