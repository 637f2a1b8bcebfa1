/* What the C peers of bench/spawn-bench.mjs share (posix_spawn.c, procctl_floor.c):
 * the peer contract of bench/peers/, around each peer's own way to spawn.
 *
 *   PEER MODE N HEAP_MB BUDGET_MS
 *
 * Grow RSS to HEAP_MB in 64 MiB chunks, one byte written per page; run MODE
 * (seq | drop | conc | capture) N times or until BUDGET_MS has passed; print one
 * JSON line {mode, n, totalNs, medianNs, rssKb, hwmKb}. A drop is checked once
 * first (/bin/cat /proc/self/status must show uid and gid 65534 and no groups). A
 * child that fails or prints the wrong text ends the peer with status 1.
 * Included by exactly one .c file each: everything here is static. */
#ifndef PROCCTL_BENCH_C_PEER_H
#define PROCCTL_BENCH_C_PEER_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { NOBODY = 65534, CHUNK = 64 << 20, PAGE = 4096 };

/* What a peer brings: spawn argv and wait for it (seq, or as 65534 with drop);
 * the same with stdout captured, returning what it printed; n at once, then all
 * reaped. Each ends the peer through peer_die on any failure. */
struct peer_ops {
  const char *name;
  void (*run)(char *const argv[], int drop);
  const char *(*capture)(char *const argv[], int drop);
  void (*concurrent)(char *const argv[], int n);
};

static const char *peer_name = "peer";

static void peer_die(const char *what, int err) {
  fprintf(stderr, "%s peer: %s: %s\n", peer_name, what, strerror(err));
  exit(1);
}

static int64_t peer_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long peer_status_kb(const char *field) {
  char line[256];
  long kb = -1;
  size_t len = strlen(field);
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, len) == 0 && line[len] == ':') kb = strtol(line + len + 1, NULL, 10);
  fclose(f);
  return kb;
}

static void peer_grow_heap(long mb) {
  while (peer_status_kb("VmRSS") < mb * 1024) {
    char *p = malloc(CHUNK);
    if (!p) peer_die("malloc", ENOMEM);
    for (size_t i = 0; i < CHUNK; i += PAGE) p[i] = 1; /* held for the life of the process on purpose */
  }
}

/* The drop must really happen: Uid, Gid all 65534 and no supplementary group. */
static void peer_verify_drop(const struct peer_ops *ops) {
  char *argv[] = {"/bin/cat", "/proc/self/status", NULL};
  const char *s = ops->capture(argv, 1);
  const char *gr = strstr(s, "\nGroups:");
  if (!strstr(s, "\nUid:\t65534\t65534\t65534\t65534\n") || !strstr(s, "\nGid:\t65534\t65534\t65534\t65534\n") || !gr ||
      strspn(gr + 8, " \t") != strcspn(gr + 8, "\n"))
    peer_die("drop not applied", EPERM);
}

static int peer_by_value(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static int peer_main(int argc, char **argv, const struct peer_ops *ops) {
  peer_name = ops->name;
  if (argc < 5) {
    fprintf(stderr, "usage: %s seq|drop|conc|capture N HEAP_MB BUDGET_MS\n", argv[0]);
    return 2;
  }
  const char *mode = argv[1];
  int n = atoi(argv[2]);
  int64_t budget = (int64_t)atol(argv[4]) * 1000000;
  int drop = strcmp(mode, "drop") == 0, conc = strcmp(mode, "conc") == 0, cap = strcmp(mode, "capture") == 0;
  if (!drop && !conc && !cap && strcmp(mode, "seq") != 0) peer_die(mode, EINVAL);
  if (n < 1) peer_die("N", EINVAL);
  char *true_argv[] = {"/bin/true", NULL};
  char *echo_argv[] = {"/bin/echo", "hello", NULL};

  peer_grow_heap(atol(argv[3]));
  long rss = peer_status_kb("VmRSS");
  if (drop) peer_verify_drop(ops);

  int64_t *times = calloc((size_t)n, sizeof *times);
  if (!times) peer_die("calloc", ENOMEM);
  int done = 0;
  int64_t t0, total;
  if (conc) {
    t0 = peer_now_ns();
    ops->concurrent(true_argv, n);
    total = peer_now_ns() - t0;
    done = n;
  } else {
    int64_t w0 = peer_now_ns();
    for (int i = 0; i < 10 && peer_now_ns() - w0 < budget / 4; i++) {
      if (cap) ops->capture(echo_argv, 0);
      else ops->run(true_argv, drop);
    }
    t0 = peer_now_ns();
    while (done < n) {
      int64_t a = peer_now_ns();
      if (cap) {
        if (strcmp(ops->capture(echo_argv, 0), "hello\n") != 0) peer_die("unexpected output", EINVAL);
      } else {
        ops->run(true_argv, drop);
      }
      int64_t b = peer_now_ns();
      times[done++] = b - a;
      if (b - t0 > budget && done >= 3) break;
    }
    total = peer_now_ns() - t0;
  }
  qsort(times, (size_t)done, sizeof *times, peer_by_value);
  printf("{\"mode\":\"%s\",\"n\":%d,\"totalNs\":%lld,\"medianNs\":%lld,\"rssKb\":%ld,\"hwmKb\":%ld}\n", mode, done,
         (long long)total, conc ? (long long)total : (long long)times[done / 2], rss, peer_status_kb("VmHWM"));
  return 0;
}

#endif
