// Spawn mechanics: the plain structs the binding fills in before the clone, and
// the engines that start a child from them. No N-API types here.
//
// Everything the child needs is prepared in the parent, before the clone:
// C arrays for argv/envp/exec candidates, numeric credentials, the fd map. The
// child code (spawn_child.cc) only reads these and makes raw system calls.
#pragma once

#include <sys/types.h>
#include <cstdint>

#include "proc.h"

namespace procctl {

// Which step of the child setup failed. The names are the syscalls (or steps)
// reported as `stage` in the JS error; keep in sync with SpawnStageName().
enum SpawnStage : int32_t {
  kStageNone = 0,
  kStageSigaction,
  kStageSetsid,
  kStageSetpgid,
  kStageDup2,       // fd remap (fcntl F_DUPFD / dup2 / F_SETFD)
  kStageCloseRange, // closing (marking close-on-exec) every fd the caller did not name
  kStagePrlimit,
  kStageSetgroups,
  kStageSetgid,
  kStageSetuid,
  kStageChdir,
  kStagePrctl,      // PR_SET_PDEATHSIG
  kStageNoNewPrivs, // PR_SET_NO_NEW_PRIVS
  kStageSigmask,
  kStageExec,
  kStageClone,      // in the parent: the clone/fork itself
  kStageTiocsctty,  // ioctl(TIOCSCTTY): taking the controlling terminal after setsid
  kStageTcsetpgrp,  // ioctl(TIOCSPGRP): making the child's new group the foreground
};

const char* SpawnStageName(int32_t stage);

struct SpawnRlimit {
  int resource;       // RLIMIT_*
  uint64_t soft, hard;  // RLIM_INFINITY for "unlimited"
};

// Written by the child when a step fails; read by the parent after the clone.
struct SpawnError {
  int32_t stage;
  int32_t err;  // positive errno
};

// Everything the child reads. Pointers stay valid until the spawn returns.
struct SpawnRequest {
  const char* const* exec_paths;  // candidates to execve, in order (PATH search done)
  int exec_path_count;
  char* const* argv;              // NULL-terminated
  char* const* envp;              // NULL-terminated
  const char* cwd;                // nullptr: inherit

  // fd_map[i] = parent fd that becomes fd i in the child, -1 = none (closed).
  // The binding copies the map; the child rewrites its copy in place.
  int* fd_map;
  int fd_count;

  bool set_uid, set_gid, set_groups;
  uid_t uid;
  gid_t gid;
  const gid_t* groups;
  int group_count;

  int umask_value;       // -1: inherit
  const SpawnRlimit* rlimits;
  int rlimit_count;

  bool setsid;
  // After setsid and the fd remap: make this child fd the controlling terminal
  // (ioctl TIOCSCTTY, first without force, then forced). -1: none.
  int controlling_terminal;
  // After setpgid and the remap: make the child's group the foreground group of
  // the terminal on this child fd (TIOCSPGRP; SIGTTOU is blocked). -1: none.
  int foreground_terminal;
  bool setpgid;          // join/create group `pgid` (0 = new group led by the child)
  pid_t pgid;
  int parent_death_signal;  // 0: none
  pid_t parent_pid;         // recorded before the clone, for the getppid() check
  bool no_new_privs;
};

// Which engine to use. kEngineAuto picks clone3, then clone, then fork.
enum SpawnEngine : int32_t {
  kEngineAuto = 0,
  kEngineClone3 = 1,  // clone3(CLONE_VM|CLONE_VFORK|CLONE_PIDFD) on its own stack
  kEngineClone = 2,   // clone(CLONE_VM|CLONE_VFORK[|CLONE_PIDFD]) + pidfd_open fallback
  kEngineFork = 3,    // plain fork(), error over a CLOEXEC pipe, no pidfd
};

struct SpawnResult {
  pid_t pid;      // > 0 on success
  int pidfd;      // -1 when there is none (fork engine, old kernel)
  int engine;     // the engine actually used
  SpawnError error;  // stage != kStageNone: the child failed and has been reaped
};

// Starts the child. Returns 0 (see result->error for a child-side failure, in
// which case the child is already reaped and its pidfd closed) or -errno when the
// clone/fork itself failed.
int SpawnProcess(const SpawnRequest& req, int engine, SpawnResult* result);

// The child side: runs between clone/fork and exec (spawn_child.cc). Never
// returns: it execs or _exits(127) after recording the failing stage in *err and,
// when err_fd >= 0, writing it to that pipe.
struct ChildContext {
  const SpawnRequest* req;
  SpawnError* err;
  int err_fd;  // fork engine: write end of the CLOEXEC error pipe; else -1
};
[[noreturn]] void SpawnChildMain(ChildContext* ctx);
// clone()'s entry point for the child (int (*)(void*)); calls SpawnChildMain.
// Lives in spawn_child.cc with the rest of the child-side code.
int SpawnChildEntry(void* arg);

// Whether this build can give a child a controlling terminal (TIOCSCTTY exists).
bool SpawnSupportsControllingTerminal();

// Parent side, for a session leader about to hand its terminal to a child in a
// new session (spawn_tty.cc): ioctl(fd, TIOCNOTTY) with SIGHUP and SIGCONT
// ignored for the duration, because the kernel sends both to the terminal's
// foreground group (usually the caller's own) when a session leader lets go.
// 0 or -errno (ENOTTY: fd is not this process's controlling terminal).
int DetachControllingTerminal(int fd);

// Linux pidfd helpers (-ENOSYS elsewhere).
int PidfdSendSignal(int pidfd, int sig);
// Reaps the child behind `pidfd` if it has exited: 1 reaped (out filled), 0 not yet, -errno.
int PidfdReap(int pidfd, WaitResult* out);

// Plain fork engine (spawn_posix.cc); used on macOS and by request on Linux.
int SpawnFork(const SpawnRequest& req, SpawnResult* result);

// Pipes for stdio, both ends close-on-exec. 0 or -errno.
int MakePipe(int fds[2]);
int MakeSocketPair(int fds[2]);

}  // namespace procctl
