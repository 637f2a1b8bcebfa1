/* Baseline for bench/spawn-bench.mjs: posix_spawn("/bin/true") + waitpid, N
 * times, optionally after allocating and touching MB megabytes so the parent's
 * RSS is as big as the Node process it is compared with.
 * Usage: posix_spawn_bench N [MB]   Prints one JSON line. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  }
  fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  long mb = argc > 2 ? atol(argv[2]) : 0;
  char *mem = NULL;
  if (mb > 0) {
    mem = malloc((size_t)mb << 20);
    if (!mem) { perror("malloc"); return 1; }
    memset(mem, 1, (size_t)mb << 20);  /* touch every page */
  }
  char *args[] = {"/bin/true", NULL};
  double t0 = now_ms();
  for (int i = 0; i < n; i++) {
    pid_t pid;
    int err = posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ);
    if (err) { fprintf(stderr, "posix_spawn: %s\n", strerror(err)); return 1; }
    int status;
    if (waitpid(pid, &status, 0) != pid || status != 0) { perror("waitpid"); return 1; }
  }
  double ms = now_ms() - t0;
  printf("{\"n\":%d,\"msPerSpawn\":%.4f,\"rssKb\":%ld,\"touched\":%d}\n", n, ms / n, rss_kb(), mem ? mem[12345] : 0);
  free(mem);
  return 0;
}
