// procctl-init's command line, signal names, usage text and message output.
//
// Conventions a drop-in for tini and dumb-init must keep (docs/init.md lists them):
// getopt's option syntax (grouped flags, -vvv, -e143, --opt=value, the first
// operand ends the options), help and version on stdout with status 0, every
// usage error on stderr with status 1 (both peers exit 1; the status then cannot
// be mistaken for the 126/127 of a command that could not be run).
#include "init.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PROCCTL_VERSION
#define PROCCTL_VERSION "unknown"
#endif

namespace procctl_init {

namespace {

const char* g_name = "procctl-init";
int g_verbosity = 0;

struct SignalEntry {
  const char* name;  // without the SIG prefix
  int number;
};

// Every name the platform has for 1..31; aliases after the main name.
const SignalEntry kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},
    {"KILL", SIGKILL},   {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},     {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
    {"CONT", SIGCONT},   {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},   {"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"SYS", SIGSYS},
#ifdef SIGSTKFLT
    {"STKFLT", SIGSTKFLT},
#endif
#ifdef SIGPWR
    {"PWR", SIGPWR},
#endif
#ifdef SIGEMT
    {"EMT", SIGEMT},
#endif
#ifdef SIGINFO
    {"INFO", SIGINFO},
#endif
    {"IOT", SIGABRT},    {"CLD", SIGCHLD},
#ifdef SIGPOLL
    {"POLL", SIGPOLL},
#endif
};

void WriteAll(int fd, const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr closed or broken: nothing else to tell
    buf += n;
    len -= static_cast<size_t>(n);
  }
}

void VSay(const char* fmt, va_list ap) {
  char line[1024];
  int n = snprintf(line, sizeof line - 1, "%s: ", g_name);
  if (n < 0) return;
  int m = vsnprintf(line + n, sizeof line - 1 - n, fmt, ap);
  if (m < 0) return;
  size_t len = static_cast<size_t>(n) + static_cast<size_t>(m);
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  WriteAll(2, line, len);
}

void Out(int fd, const char* text) { WriteAll(fd, text, strlen(text)); }

// "Try 'NAME --help'" after every usage error: status 1.
int UsageError(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int UsageError(const char* fmt, ...) {
  if (fmt != nullptr) {
    va_list ap;
    va_start(ap, fmt);
    VSay(fmt, ap);
    va_end(ap);
  }
  char hint[256];
  snprintf(hint, sizeof hint, "Try '%s --help' for more information.\n", g_name);
  Out(2, hint);
  return 1;
}

bool ParseNumber(const char* text, int min, int max, int* out) {
  if (*text == '\0') return false;
  long v = 0;
  for (const char* p = text; *p != '\0'; p++) {
    if (*p < '0' || *p > '9') return false;
    v = v * 10 + (*p - '0');
    if (v > max) return false;
  }
  if (v < min) return false;
  *out = static_cast<int>(v);
  return true;
}

// TERM, SIGTERM, sigterm or 15 (1..31; 0 too when allow_zero). -1 when it is none.
int ParseSignal(const char* text, bool allow_zero) {
  int n;
  if (ParseNumber(text, allow_zero ? 0 : 1, kMaxSignal, &n)) return n;
  const char* name = text;
  if (strncasecmp(name, "SIG", 3) == 0) name += 3;
  for (const SignalEntry& e : kSignals) {
    if (strcasecmp(name, e.name) == 0) return e.number <= kMaxSignal ? e.number : -1;
  }
  return -1;
}

void PrintHelp() {
  char text[3072];
  snprintf(text, sizeof text,
           "Usage: %s [options] [--] command [args...]\n"
           "\n"
           "Runs command as a child, forwards the signals it receives to it, reaps every\n"
           "zombie that lands on it, and exits with the child's status (128+n when the\n"
           "child dies of signal n). A tini / dumb-init equivalent, from procctl.\n"
           "\n"
           "Options:\n"
           "  -c, --single-child     signals go to the child only, and the child stays in\n"
           "                         init's session and group (default: its own session,\n"
           "                         signals to its whole process group)\n"
           "  -s, --subreaper        become a child subreaper (needed when not PID 1)\n"
           "  -e, --remap-exit N     exit 0 when the child's status is N (repeatable)\n"
           "  -r, --rewrite S:R      forward signal S as R, R = 0 drops S (repeatable);\n"
           "                         names or numbers: TERM:QUIT, 15:3\n"
           "  -p, --pdeathsig SIG    get SIG when init's parent dies (it is forwarded)\n"
           "  -v, --verbose          log signals, reaped processes and the child's exit\n"
           "                         on stderr; -vv and -vvv log more\n"
           "  -h, --help             show this help and exit\n"
           "  -V, --version          show the version and exit\n"
           "\n"
           "Job control: SIGTSTP, SIGTTIN and SIGTTOU sent to init are forwarded (as\n"
           "SIGSTOP to the child's group unless rewritten, or as they are with -c) and\n"
           "init stops itself; SIGCONT resumes both. A child stopped from the terminal\n"
           "stops init too, so the shell gets its prompt back. When the child exits, the\n"
           "rest of its process group gets SIGTERM.\n"
           "Exit status: the child's; 127 command not found, 126 found but not runnable,\n"
           "1 usage error.\n",
           g_name);
  Out(1, text);
}

}  // namespace

void SetLogConfig(const char* name, int verbosity) {
  g_name = name;
  g_verbosity = verbosity;
}

void Say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  VSay(fmt, ap);
  va_end(ap);
}

void Log(int level, const char* fmt, ...) {
  if (g_verbosity < level) return;
  va_list ap;
  va_start(ap, fmt);
  VSay(fmt, ap);
  va_end(ap);
}

const char* SignalName(int sig) {
  static char names[kMaxSignal + 1][12];
  static char other[24];
  for (const SignalEntry& e : kSignals) {
    if (e.number == sig && sig <= kMaxSignal) {
      if (names[sig][0] == '\0') snprintf(names[sig], sizeof names[sig], "SIG%s", e.name);
      return names[sig];
    }
  }
  snprintf(other, sizeof other, "signal %d", sig);
  return other;
}

int ParseArgs(int argc, char** argv, Config* cfg) {
  memset(cfg, 0, sizeof *cfg);
  for (int& r : cfg->rewrite) r = -1;
  const char* name = "procctl-init";
  if (argc > 0 && argv[0] != nullptr && argv[0][0] != '\0') {
    const char* slash = strrchr(argv[0], '/');
    name = slash != nullptr ? slash + 1 : argv[0];
  }
  cfg->name = name;
  SetLogConfig(name, 0);

  static const struct option kLong[] = {
      {"single-child", no_argument, nullptr, 'c'},
      {"subreaper", no_argument, nullptr, 's'},
      {"remap-exit", required_argument, nullptr, 'e'},
      {"rewrite", required_argument, nullptr, 'r'},
      {"pdeathsig", required_argument, nullptr, 'p'},
      {"verbose", no_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {nullptr, 0, nullptr, 0},
  };
  // '+': options end at the first operand (`init cmd --flag` passes --flag on).
  // ':' and opterr = 0: the messages are ours, in glibc's words, so that glibc
  // and musl builds say the same.
  opterr = 0;
  int opt;
  while ((opt = getopt_long(argc, argv, "+:cse:r:p:vhV", kLong, nullptr)) != -1) {
    const char* word = optind > 0 && optind <= argc ? argv[optind - 1] : "";
    bool long_word = strncmp(word, "--", 2) == 0;
    if (opt == '?' && long_word && optopt == 0) return UsageError("unrecognized option '%s'", word);
    if (opt == '?' && long_word) {
      return UsageError("option '%.*s' doesn't allow an argument", static_cast<int>(strcspn(word, "=")), word);
    }
    if (opt == '?') return UsageError("invalid option -- '%c'", optopt);
    if (opt == ':' && long_word) return UsageError("option '%s' requires an argument", word);
    if (opt == ':') return UsageError("option requires an argument -- '%c'", optopt);
    switch (opt) {
      case 'c': cfg->single_child = true; break;
      case 's': cfg->subreaper = true; break;
      case 'v': cfg->verbosity++; break;
      case 'h': PrintHelp(); return 0;
      case 'V': Out(1, "procctl " PROCCTL_VERSION "\n"); return 0;
      case 'e': {
        int n;
        if (!ParseNumber(optarg, 0, 255, &n)) return UsageError("-e/--remap-exit: '%s' is not an exit status 0..255", optarg);
        cfg->remap[n] = true;
        break;
      }
      case 'p': {
        int sig = ParseSignal(optarg, false);
        if (sig < 0) return UsageError("-p/--pdeathsig: '%s' is not a signal (a name such as TERM, or a number 1..31)", optarg);
        cfg->pdeathsig = sig;
        break;
      }
      case 'r': {
        const char* colon = strchr(optarg, ':');
        char from_text[32];
        size_t len = colon != nullptr ? static_cast<size_t>(colon - optarg) : 0;
        int from = -1, to = -1;
        if (colon != nullptr && len < sizeof from_text) {
          memcpy(from_text, optarg, len);
          from_text[len] = '\0';
          from = ParseSignal(from_text, false);
          to = ParseSignal(colon + 1, true);
        }
        if (from < 0 || to < 0) {
          return UsageError("-r/--rewrite: '%s' is not S:R (signal names or numbers 1..31, R = 0 drops S: TERM:QUIT, 15:3, HUP:0)", optarg);
        }
        if (from == SIGKILL || from == SIGSTOP || from == SIGCHLD) {
          return UsageError("-r/--rewrite: %s is never forwarded, so it cannot be rewritten", SignalName(from));
        }
        cfg->rewrite[from] = to;
        break;
      }
      default:
        return UsageError("unexpected option -- '%c'", opt);
    }
  }
  if (optind >= argc) {
    char text[256];
    snprintf(text, sizeof text, "Usage: %s [options] [--] command [args...]\n", g_name);
    Out(2, text);
    return UsageError(nullptr);
  }
  cfg->command = argv + optind;
  SetLogConfig(name, cfg->verbosity);
  return -1;
}

}  // namespace procctl_init
