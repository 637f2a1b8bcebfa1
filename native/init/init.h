// procctl-init: the native init executable (`procctl init` execs into it; it can
// also be run by its own path). A tini / dumb-init equivalent in one thread and a
// few hundred KB: no Node, no allocation after start-up, no C++ runtime.
//
// Files: options.cc (command line, signal names, usage), child.cc (the child
// between fork and exec), main.cc (start-up, the signal loop, reaping, exit).
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace procctl_init {

// How the child is started, chosen once at start-up (see ChooseMode in main.cc).
enum class Mode {
  kSessionTty,  // own session owning the terminal (init led the terminal's session)
  kSession,     // own session, no terminal
  kGroup,       // new process group in init's session, made the terminal's foreground
  kSame,        // --single-child: init's session and group
};

constexpr int kMaxSignal = 31;  // the classic signals; forwarded ones are 1..31

struct Config {
  const char* name;       // for messages: basename of argv[0] ("procctl init" through Node)
  bool single_child;
  bool subreaper;
  int pdeathsig;          // 0: none
  int verbosity;          // number of -v
  bool remap[256];        // -e N: exit 0 instead of N
  int rewrite[kMaxSignal + 1];  // -r S:R; -1: not rewritten, 0: dropped
  char* const* command;   // the child's argv, NULL-terminated
};

// Parses argv into *cfg. Returns -1 to go on, or the status to exit with at once
// (0 after --help / --version, 1 after a usage error, already reported).
int ParseArgs(int argc, char** argv, Config* cfg);

// "SIGTERM" for 15; "signal 40" style text for numbers without a name.
const char* SignalName(int sig);

// One line on stderr, "NAME: message". Log() writes only when verbosity >= level.
void Say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void Log(int level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void SetLogConfig(const char* name, int verbosity);

// What the child reports over the close-on-exec pipe before exec (child.cc).
enum ChildStage : int {
  kChildOk = 0,
  kChildSetsid,
  kChildSetpgid,
  kChildTcsetpgrp,
  kChildTiocsctty,  // not fatal: the child goes on without the terminal
  kChildChdir,
  kChildSigmask,
  kChildExec,
  kChildRelativePath,  // resolved only through a relative PATH entry: refused
};
struct ChildReport {
  int stage;
  int err;  // positive errno (0 for kChildRelativePath)
  int fatal;
};
const char* ChildStageName(int stage);

// Everything the child needs, prepared by the parent before fork.
struct ChildPlan {
  Mode mode;
  char* const* argv;
  int report_fd;            // write end of the close-on-exec report pipe
  int cwd_fd;               // the launcher's working directory (init moved to /), or -1
  sigset_t mask;            // the launcher's signal mask, given back to the child
  bool restore_sigchld_ignored;  // the launcher ignored SIGCHLD: so does the child
  sigset_t reset_to_default;     // init's own wake-up handlers (not on Linux): SIG_DFL
};

// Runs in the child after fork(): session/group/terminal, signal state, exec.
// Never returns (exec, or _exit(127) after reporting a fatal stage).
[[noreturn]] void ChildMain(const ChildPlan& plan);

}  // namespace procctl_init
