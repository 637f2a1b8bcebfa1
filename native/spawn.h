// Spawn mechanics: the plain structs the binding fills in before the clone, and
// the engines that start a child from them. No N-API types here.
//
// Everything the child needs is prepared in the parent, before the clone:
// C arrays for argv/envp/exec candidates, numeric credentials, the fd map. The
// child code (spawn_child.cc) only reads these and makes raw system calls.
#pragma once

#include <string>

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
  kStageTiocnotty,  // ioctl(TIOCNOTTY) on fd 0: leaving the controlling terminal (Go's Noctty)
  kStageSeccomp,    // the terminal guard: a seccomp filter refusing TIOCSTI/TIOCLINUX
  kStageCapabilities,  // clearing (or setting exactly) the capability sets; bounding-set drops
  kStageCgroup,       // joining the cgroup (cgroup.procs) where clone3 cannot start the child in it
  kStageSethostname,  // the hostname of a new UTS namespace
  kStageChroot,
  kStageSetpriority,  // nice
  kStageSchedSetscheduler,
  kStageSchedSetaffinity,
  kStageIoprioSet,
  kStageOomScoreAdj,
  kStageUserNamespace,  // in the parent: writing uid_map / gid_map / setgroups
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
  // ioctl(0, TIOCNOTTY) after the remap: the child leaves the caller's controlling
  // terminal without starting a session (Go's SysProcAttr.Noctty).
  bool no_controlling_terminal;
  // A drop to a non-root uid: clear every capability set after setresuid (the
  // kernel's setuid fixup leaves the inheritable set, a non-root parent's ambient
  // set and anything under SECBIT_NO_SETUID_FIXUP), and, when the child still has
  // a controlling terminal (no setsid), install the terminal guard before the
  // drop so the new program cannot push input into that terminal (TIOCSTI).
  bool drop_privileges;
  bool guard_terminal;
  // The caller reaps by pid and polls nothing (runSync without capture): no
  // pidfd is made (CLONE_PIDFD's file, pidfd_open), since a blocking wait4 on
  // its own unreaped child needs none.
  bool no_pidfd;

  // Capabilities. set_ambient: after the uid change keep exactly `ambient_caps`
  // (a mask of CAP_* bits) in the inheritable, permitted, effective and ambient
  // sets (keep-caps across setresuid, as Go's AmbientCaps). set_bounding: drop
  // every capability not in `bounding_keep` from the bounding set (needs
  // CAP_SETPCAP, so before the drop).
  bool set_ambient;
  uint64_t ambient_caps;
  bool set_bounding;
  uint64_t bounding_keep;

  // Namespaces: CLONE_NEW* flags for the clone. A new user namespace is started
  // by the fork engine only (the parent must write the maps while the child
  // waits, which CLONE_VFORK would not let it do).
  uint64_t namespace_flags;
  const char* hostname;  // non-null: sethostname() in the child (a new UTS namespace)
  int hostname_len;
  const char* uid_map;   // non-null: written to /proc/<pid>/uid_map by the parent
  const char* gid_map;
  bool setgroups_deny;   // "deny" to /proc/<pid>/setgroups before gid_map

  const char* chroot;    // non-null: chroot() before the credential drop, then chdir("/")

  // The cgroup to start in: an open directory fd. clone3 places the child there
  // at clone time (CLONE_INTO_CGROUP); otherwise the child writes itself to its
  // cgroup.procs first thing.
  bool set_cgroup;
  int cgroup_fd;
  // Set by the engines, not the caller: the child joins the cgroup itself, so a
  // new cgroup namespace is made after that (unshare), rooted at the new cgroup.
  bool unshare_cgroup_ns;

  // Scheduling and placement, applied before the credential drop (raising a
  // priority needs the privilege the drop gives up).
  bool set_nice;
  int nice;
  bool set_sched;
  int sched_policy;      // SCHED_* | SCHED_RESET_ON_FORK
  int sched_priority;
  const unsigned long* affinity;  // non-null: a cpu_set_t-style mask
  int affinity_bytes;
  bool set_ioprio;
  int ioprio;            // IOPRIO_PRIO_VALUE(class, level)
  const char* oom_score_adj;  // non-null: written to /proc/self/oom_score_adj (decimal)
  int oom_score_adj_len;
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
  int sync_fd; // fork engine with a new user namespace: the child reads one byte
               // here (the parent has written the maps) before anything else; else -1
  // The clone3 engine starts the child sharing the parent's fd table
  // (CLONE_FILES), and its first fd step makes a private copy of only the fds
  // it uses (close_range CLOSE_RANGE_UNSHARE): neither the parent's clone nor
  // the child's exec then costs anything per open fd of the parent (a process
  // holding 1000 children's pidfds would otherwise copy and close 1000 fds per
  // spawn). Nothing before that step may create, close or change an fd. The
  // child clears it when neither close_range nor unshare may make that copy
  // (a seccomp profile refusing both): the parent then spawns again without
  // CLONE_FILES, and from then on never uses it.
  bool files_shared;
};
[[noreturn]] void SpawnChildMain(ChildContext* ctx);
// clone()'s entry point for the child (int (*)(void*)); calls SpawnChildMain.
// Lives in spawn_child.cc with the rest of the child-side code.
int SpawnChildEntry(void* arg);

// clone()'s entry for the probe of whether CLONE_VM really shares memory: sets
// *(int*)flag and exits. Child-side (spawn_child.cc).
int CloneVmProbe(void* flag);

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

// runSync (spawn_sync.cc): blocks until `pid` is reaped (through `pidfd` when it
// is >= 0) and both `fds` (non-blocking read ends, -1 for none) reach EOF,
// appending what they carry to out[0] and out[1] and closing them. 0 with *res
// filled, or -errno when the reap failed (ECHILD: someone else reaped it).
int WaitChildSync(pid_t pid, int pidfd, int fds[2], WaitResult* res, std::string out[2]);

// Linux: where the child joins its cgroup itself (no CLONE_INTO_CGROUP), a
// requested cgroup namespace is moved from the clone flags to an unshare after
// the join, so it is rooted at that cgroup as clone3 would root it. Returns
// whether it changed `req`.
bool JoinThenCgroupNamespace(SpawnRequest* req);

// Plain fork engine (spawn_posix.cc); used on macOS and by request on Linux.
int SpawnFork(const SpawnRequest& req, SpawnResult* result);

// The index of the first fd_map source that is not an open fd, or -1. Checked
// before the clone so that a closed source can never be filled by an fd of
// our own (the fork engine's error pipe) and reach the child as that.
int FirstClosedSource(const SpawnRequest& req);

// Pipes for stdio, both ends close-on-exec. 0 or -errno.
int MakePipe(int fds[2]);
int MakeSocketPair(int fds[2]);

}  // namespace procctl
