/* The kernel's share of spawn({ cgroup: 'new' }), for bench/cgroup-bench.mjs: the
 * same system calls from C, no runtime around them.
 *
 *   cgroup_clone3 PARENT_DIR N
 *
 * Runs N spawn+wait of /bin/true without a cgroup, then N with one made per child
 * (mkdir, open, clone3 with CLONE_INTO_CGROUP, wait, close, rmdir), and prints
 * {"plainUs":..., "cgroupUs":...} per spawn. Both use clone3(CLONE_VFORK) with a
 * copied address space, so the difference is the cgroup's alone. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

extern char **environ;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int spawn_wait(int cgroup_fd) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_VFORK | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.exit_signal = SIGCHLD;
  args.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    char *argv[] = {"/bin/true", NULL};
    execve(argv[0], argv, environ);
    _exit(127);
  }
  if (pid < 0) return -1;
  int status;
  if (waitpid((pid_t)pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PARENT_DIR N\n", argv[0]);
    return 2;
  }
  const char *parent = argv[1];
  int n = atoi(argv[2]);
  char dir[4096];
  double t0 = now_us();
  for (int i = 0; i < n; i++) {
    if (spawn_wait(-1) < 0) { perror("spawn"); return 1; }
  }
  double t1 = now_us();
  for (int i = 0; i < n; i++) {
    snprintf(dir, sizeof dir, "%s/procctl-c-%d-%d", parent, (int)getpid(), i);
    if (mkdir(dir, 0777) < 0) { perror(dir); return 1; }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || spawn_wait(fd) < 0) { perror("spawn into cgroup"); rmdir(dir); return 1; }
    close(fd);
    if (rmdir(dir) < 0) { perror(dir); return 1; }
  }
  double t2 = now_us();
  printf("{\"plainUs\":%.1f,\"cgroupUs\":%.1f}\n", (t1 - t0) / n, (t2 - t1) / n);
  return 0;
}
