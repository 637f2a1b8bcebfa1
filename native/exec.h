// Mechanics of in-place exec: put the calling process into the state a fresh
// program expects (default signals, an empty mask, blocking inheritable stdio),
// drop credentials, execve(), and on failure put every reversible change back.
// Plain C++, no N-API types.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include <string>
#include <vector>

namespace procctl {

// Everything ExecInPlace needs, resolved and validated by lib/exec.ts first
// (numeric ids, PATH candidates), so nothing here looks anything up.
struct ExecPlan {
  // Paths tried in order with execve(): one for execve, the PATH candidates for execvp.
  std::vector<std::string> paths;
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  // Kept open across exec besides 0..2 (FD_CLOEXEC and O_NONBLOCK cleared).
  std::vector<int> inherit_fds;
  bool has_cwd = false;
  std::string cwd;
  // Signals blocked in the new program (empty: nothing blocked).
  std::vector<int> signal_mask;
  bool setsid = false;
  bool set_groups = false;
  std::vector<gid_t> groups;
  bool set_gid = false;
  gid_t gid = 0;
  bool set_uid = false;
  uid_t uid = 0;
  int parent_death_signal = 0;  // 0: not armed
  bool no_new_privs = false;
  int umask = -1;               // -1: unchanged
  bool reset_tty = true;        // undo libuv's raw mode on a TTY stdin
  // Capabilities kept after the uid change (a CAP_* mask), and the bounding set to keep.
  bool set_ambient = false;
  uint64_t ambient_caps = 0;
  bool set_bounding = false;
  uint64_t bounding_keep = 0;
  bool has_chroot = false;
  std::string chroot;
  std::string cgroup;           // non-empty: join this cgroup v2 directory first
  // >= 0: exec the program open on this fd (fexecve) instead of `paths`:
  // execveat(fd, "", AT_EMPTY_PATH), or /proc/self/fd/N where execveat is
  // missing. Unless the file is ELF it stays open across the exec: a script's
  // interpreter (and a binfmt_misc handler) is given /dev/fd/N and opens it.
  int exec_fd = -1;
};

// Why ExecInPlace returned.
struct ExecFailure {
  int err = 0;                  // positive errno
  const char* syscall = "";     // the call that failed: "execve", "setresuid", "prctl", ...
  const char* stage = "";       // the step: as syscall, or "PR_SET_PDEATHSIG" etc.
  int path_index = -1;          // for execve: the candidate the error is about; -1: none found
  // Steps that took effect and cannot be undone (setsid, setgroups, setresgid,
  // setresuid, PR_SET_NO_NEW_PRIVS). Empty: the process is exactly as before.
  std::vector<const char*> unrestored;
};

// Prepares the process and execs plan.paths in turn (execvp rules: ENOENT-like
// errors and EACCES go on to the next candidate, any other error stops). Returns
// only when nothing was exec'd, with every reversible change undone.
// Must run on the main thread with no JS running elsewhere in this isolate.
void ExecInPlace(const ExecPlan& plan, ExecFailure* failure);

}  // namespace procctl
