// killTree's walk (Linux): stop, read children, signal, continue.
//
// Why stop before reading: a running process can fork between the read of its
// children and the signal, and that child would escape. Once SIGSTOP is queued
// no fork of that process can complete (copy_process() restarts on a pending
// signal, checked under the same lock the signal is queued with), and once it is
// stopped its children list is final except for exits. proc(5) only promises a
// reliable `children` file for stopped processes, so we wait for the 't'/'T'
// state, by checking with a short, growing pause, bounded per process.
//
// Why pidfds: between the walk and the signal a process can die and its pid be
// reused. A pidfd names the process, not the number. Each pid read from a
// children file is opened and then checked to still have the stopped parent as
// its parent (a stopped parent cannot fork a new child with that pid, so the
// check pins the identity). Without a pidfd (kernel < 5.3, or no fd left) the
// start time (field 22 of /proc/<pid>/stat) is recorded and compared right
// before each signal.
//
// Runs on a libuv pool thread: no N-API, no globals, only this call's own state.
#include "tree.h"

#include "spawn.h"

#include <cerrno>

#ifdef __linux__

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

namespace procctl {

int PidfdOpen(pid_t pid) {
  long fd = syscall(SYS_pidfd_open, pid, 0);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

namespace {

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void PauseNs(int64_t ns) {
  struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

bool IsStopSignal(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

struct ProcStat {
  char state;
  pid_t ppid;
  long threads;
  unsigned long long start;    // clock ticks after boot
  unsigned long long blocked;  // signals 1-31 the (main) thread blocks, bit n-1 for signal n
};

// Fields after the last ')' (comm may hold spaces and parentheses): state is
// field 3, ppid 4, num_threads 20, starttime 22, blocked 32.
bool ParseStat(const char* buf, ProcStat* out) {
  const char* close = strrchr(buf, ')');
  if (close == nullptr || close[1] != ' ') return false;
  const char* p = close + 2;
  out->state = *p;
  int field = 3;
  while (*p != '\0' && field < 32) {
    p = strchr(p, ' ');
    if (p == nullptr) return false;
    p++;
    field++;
    if (field == 4) out->ppid = static_cast<pid_t>(strtol(p, nullptr, 10));
    if (field == 20) out->threads = strtol(p, nullptr, 10);
    if (field == 22) out->start = strtoull(p, nullptr, 10);
  }
  if (field != 32) return false;
  out->blocked = strtoull(p, nullptr, 10);
  return true;
}

// A stopped process that blocks the signal about to be sent runs on when it is
// continued, before that signal can act. glibc's fork() blocks every signal
// around the clone syscall, so a process stopped there (the clone is restarted
// after the stop) creates one more child once continued, after its children
// were read, and that child never gets the signal. Such a process is continued
// for a moment (up to kNudgeNs) until it no longer blocks the signal, then
// stopped again and read then; at most kMaxNudges times, after which it is
// taken as it is (a process that blocks the signal for good, e.g. to read it
// from a signalfd).
constexpr int kMaxNudges = 3;
constexpr int64_t kNudgeNs = 20 * 1000000;

class Walk {
 public:
  Walk(int sig, int stop_timeout_ms) : sig_(sig), stop_timeout_ns_(static_cast<int64_t>(stop_timeout_ms) * 1000000) {}
  ~Walk() {
    for (auto& m : members_) {
      if (m.pidfd >= 0) close(m.pidfd);
    }
  }
  int Run(pid_t root, TreeSignalOutcome* out);

 private:
  struct Member {
    pid_t pid;
    int pidfd;                // -1: signalled by pid after a start-time check
    unsigned long long start;
    bool stopped_by_us = false;  // our SIGSTOP was delivered: owes a SIGCONT
    bool stopped = false;        // seen stopped ('t'/'T')
    bool refused = false;        // EPERM
    bool gone = false;           // exited (or became a zombie) during the walk
    long threads = 0;            // from the stat read once it was stopped; 0: unknown
    bool had_children = false;   // a parent whose list may grow by clone(CLONE_PARENT)
    int64_t stop_deadline = 0;   // when to stop waiting for it to show as stopped
    int nudges = 0;              // times continued because it blocked the signal (kMaxNudges)
    bool nudging = false;        // continued for that: to be stopped again
    int64_t nudge_deadline = 0;  // when to stop it again even if it still blocks the signal
  };
  enum AddResult { kAdded, kSkipped, kZombie };

  int Open(const char* path, int flags);
  int ReadFile(const char* path, std::string* out);
  int ReadStat(pid_t pid, ProcStat* out);
  int ReadChildren(const Member& m, std::vector<pid_t>* out);
  int ReadThreadChildren(pid_t pid, long tid, std::vector<pid_t>* out);
  int Add(pid_t pid, pid_t parent, AddResult* result);
  int Send(Member& m, int sig);
  bool Stop(Member& m, int64_t now);
  int Expand(size_t i, std::vector<size_t>* pending, std::vector<size_t>* unstoppable);
  int WalkFrom(const std::vector<size_t>& from);
  int Rescan(std::vector<size_t>* found);
  void ContinueStopped();
  bool IsCallerOrAncestor(pid_t pid);
  bool Blocks(const ProcStat& st) const;

  int sig_;
  int64_t stop_timeout_ns_;
  pid_t self_ = getpid();
  bool pidfd_ok_ = true;
  size_t relief_cursor_ = 0;
  std::vector<Member> members_;
  std::unordered_set<pid_t> seen_;
  TreeSignalOutcome* out_ = nullptr;
};

// open(2), handing back one of our pidfds when the fd table is full: that
// member goes on by start time, which is as safe while it is stopped.
int Walk::Open(const char* path, int flags) {
  for (;;) {
    int fd = open(path, flags | O_CLOEXEC);
    if (fd >= 0) return fd;
    int err = errno;
    if (err != EMFILE && err != ENFILE) return -err;
    while (relief_cursor_ < members_.size() && members_[relief_cursor_].pidfd < 0) relief_cursor_++;
    if (relief_cursor_ >= members_.size()) return -err;
    close(members_[relief_cursor_].pidfd);
    members_[relief_cursor_].pidfd = -1;
  }
}

int Walk::ReadFile(const char* path, std::string* out) {
  int fd = Open(path, O_RDONLY);
  if (fd < 0) return fd;
  return ReadToEndAndClose(fd, out);
}

int Walk::ReadStat(pid_t pid, ProcStat* out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  std::string text;
  int r = ReadFile(path, &text);
  if (r == -ENOENT) return -ESRCH;
  if (r < 0) return r;
  return ParseStat(text.c_str(), out) ? 0 : -EIO;
}

int Walk::ReadThreadChildren(pid_t pid, long tid, std::vector<pid_t>* out) {
  char path[96];
  snprintf(path, sizeof path, "/proc/%d/task/%ld/children", static_cast<int>(pid), tid);
  std::string text;
  int r = ReadFile(path, &text);
  if (r == -ENOENT || r == -ESRCH) return 0;  // that thread (or the process) ended
  if (r < 0) return r;
  const char* p = text.c_str();
  for (;;) {
    char* end = nullptr;
    long c = strtol(p, &end, 10);
    if (end == p) break;
    if (c > 0) out->push_back(static_cast<pid_t>(c));
    p = end;
  }
  return 0;
}

// The children of every thread of a member. A stopped single-threaded process
// has one task, its own pid (a stopped process cannot start threads), so the
// task directory is listed only for the others.
int Walk::ReadChildren(const Member& m, std::vector<pid_t>* out) {
  if (m.stopped && m.threads == 1) return ReadThreadChildren(m.pid, m.pid, out);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", static_cast<int>(m.pid));
  int dfd = Open(path, O_RDONLY | O_DIRECTORY);
  if (dfd == -ENOENT || dfd == -ESRCH) return 0;
  if (dfd < 0) return dfd;
  DIR* dir = fdopendir(dfd);
  if (dir == nullptr) {
    int err = errno;
    close(dfd);
    return -err;
  }
  std::vector<long> tids;
  while (struct dirent* ent = readdir(dir)) {
    char* end = nullptr;
    long tid = strtol(ent->d_name, &end, 10);
    if (end != ent->d_name && *end == '\0' && tid > 0) tids.push_back(tid);
  }
  closedir(dir);
  for (long tid : tids) {
    int r = ReadThreadChildren(m.pid, tid, out);
    if (r < 0) return r;
  }
  return 0;
}

bool Walk::IsCallerOrAncestor(pid_t pid) {
  if (pid == self_) return true;
  pid_t p = getppid();
  // Bounded: a cycle cannot happen, but a ppid chain read while processes exit
  // could in principle jump around.
  for (int depth = 0; p > 0 && depth < 4096; depth++) {
    if (p == pid) return true;
    if (p == 1) break;
    ProcStat st;
    if (ReadStat(p, &st) < 0) break;
    p = st.ppid;
  }
  return false;
}

// Opens and checks one process before it joins the walk. `parent` > 0: it was
// read from that (stopped) process's children, and must still be its child.
int Walk::Add(pid_t pid, pid_t parent, AddResult* result) {
  *result = kSkipped;
  if (pid == self_ || seen_.count(pid) != 0) return 0;
  int fd = -1;
  if (pidfd_ok_) {
    fd = PidfdOpen(pid);
    if (fd == -ENOSYS) {
      pidfd_ok_ = false;
    } else if (fd == -ESRCH) {
      return 0;
    } else if (fd == -EINVAL || fd == -ENOENT) {
      // A thread id, not a process id (EINVAL before Linux 6.9, ENOENT after).
      return parent > 0 ? 0 : -EINVAL;
    } else if (fd == -EMFILE || fd == -ENFILE) {
      // Go on by start time for this one.
    } else if (fd < 0) {
      return fd;
    }
    if (fd < 0) fd = -1;
  }
  ProcStat st;
  int r = ReadStat(pid, &st);
  if (r < 0 || (parent > 0 && st.ppid != parent) || st.state == 'Z' || st.state == 'X') {
    if (fd >= 0) close(fd);
    if (r < 0 && r != -ESRCH) return r;
    if (r == 0 && (st.state == 'Z' || st.state == 'X')) *result = kZombie;
    return 0;
  }
  Member m;
  m.pid = pid;
  m.pidfd = fd;
  m.start = st.start;
  m.stopped = st.state == 't' || st.state == 'T';
  m.threads = st.threads;
  members_.push_back(m);
  seen_.insert(pid);
  *result = kAdded;
  return 0;
}

int Walk::Send(Member& m, int sig) {
  if (m.pidfd >= 0) return PidfdSendSignal(m.pidfd, sig);
  ProcStat st;
  if (ReadStat(m.pid, &st) < 0 || st.start != m.start) return -ESRCH;  // gone, or the pid is someone else's now
  return kill(m.pid, sig) < 0 ? -errno : 0;
}

// SIGSTOP to one member; true when it now owes us a SIGCONT.
bool Walk::Stop(Member& m, int64_t now) {
  int r = Send(m, SIGSTOP);
  if (r == 0) {
    m.stopped_by_us = true;
    m.stop_deadline = now + stop_timeout_ns_;
    return true;
  }
  if (r == -EPERM) {
    m.refused = true;
    out_->refused++;
  } else {
    m.gone = true;
  }
  return false;
}

// Reads a member's children, adds them and sends each its SIGSTOP; the new
// ones go to `pending` (or, refused, straight to `unstoppable`).
int Walk::Expand(size_t i, std::vector<size_t>* pending, std::vector<size_t>* unstoppable) {
  std::vector<pid_t> children;
  int r = ReadChildren(members_[i], &children);
  if (r < 0) return r;
  members_[i].had_children = !children.empty();
  const pid_t parent = members_[i].pid;
  const int64_t now = NowNs();
  for (pid_t c : children) {
    AddResult added;
    r = Add(c, parent, &added);
    if (r < 0) return r;
    if (added != kAdded) continue;
    const size_t k = members_.size() - 1;
    if (Stop(members_[k], now)) pending->push_back(k);
    else if (members_[k].refused) unstoppable->push_back(k);
  }
  return 0;
}

// A work queue rather than level by level: a process's children are read as
// soon as it shows as stopped (and stopped in turn), so one slow process holds
// up only its own subtree. Between passes that find nothing new the walk
// pauses, 20 us doubling to 1 ms.
int Walk::WalkFrom(const std::vector<size_t>& from) {
  std::vector<size_t> pending;
  std::vector<size_t> unstoppable;
  const int64_t now = NowNs();
  for (size_t i : from) {
    if (Stop(members_[i], now)) pending.push_back(i);
    else if (members_[i].refused) unstoppable.push_back(i);
  }
  int64_t pause = 20000;
  while (!pending.empty() || !unstoppable.empty()) {
    // Refused processes cannot be stopped: their children are read as they are
    // (best effort) and the walk goes on below them.
    std::vector<size_t> refused;
    refused.swap(unstoppable);
    for (size_t i : refused) {
      int r = Expand(i, &pending, &unstoppable);
      if (r < 0) return r;
    }
    bool progressed = !refused.empty();
    std::vector<size_t> still;
    for (size_t i : pending) {
      Member& m = members_[i];
      ProcStat st;
      if (ReadStat(m.pid, &st) < 0 || st.start != m.start || st.state == 'Z' || st.state == 'X') {
        m.gone = true;  // died (someone else's SIGKILL): its children went elsewhere
        continue;
      }
      const bool is_stopped = st.state == 't' || st.state == 'T';
      if (m.nudging) {
        // Continued because it blocked the signal (see kMaxNudges): stopped
        // again once it runs without blocking it, or when its moment is up.
        if ((!is_stopped && !Blocks(st)) || NowNs() >= m.nudge_deadline) {
          m.nudging = false;
          if (Send(m, SIGSTOP) != 0) {
            m.gone = true;
            continue;
          }
          m.stop_deadline = NowNs() + stop_timeout_ns_;
          progressed = true;
        }
        still.push_back(i);
        continue;
      }
      if (is_stopped && Blocks(st) && m.nudges < kMaxNudges) {
        m.nudges++;
        if (Send(m, SIGCONT) != 0) {
          m.gone = true;
          continue;
        }
        m.nudging = true;
        m.nudge_deadline = NowNs() + std::min(kNudgeNs, stop_timeout_ns_);
        progressed = true;
        still.push_back(i);
        continue;
      }
      if (is_stopped) {
        m.stopped = true;
        m.threads = st.threads;
      } else if (NowNs() >= m.stop_deadline) {
        // Uninterruptible sleep, or a vfork parent waiting for its child's
        // exec: read its children anyway and signal it like the others.
        out_->not_stopped++;
      } else {
        still.push_back(i);
        continue;
      }
      progressed = true;
      int r = Expand(i, &still, &unstoppable);
      if (r < 0) return r;
    }
    pending.swap(still);
    if (progressed) {
      pause = 20000;
    } else if (!pending.empty()) {
      PauseNs(pause);
      pause = std::min<int64_t>(pause * 2, 1000000);
    }
  }
  return 0;
}

// Children that appeared under an already-read parent: a clone(CLONE_PARENT)
// by one of its children before that child was stopped, or a fork by a process
// that never stopped. A stopped process that had no children can gain none.
int Walk::Rescan(std::vector<size_t>* found) {
  std::vector<pid_t> children;
  const size_t count = members_.size();
  for (size_t i = 0; i < count; i++) {
    const Member& m = members_[i];
    if (m.gone || (m.stopped && !m.had_children)) continue;
    const pid_t parent = m.pid;
    children.clear();
    int r = ReadChildren(m, &children);
    if (r < 0) return r;
    for (pid_t c : children) {
      if (seen_.count(c) != 0) continue;
      AddResult added;
      r = Add(c, parent, &added);
      if (r < 0) return r;
      if (added == kAdded) found->push_back(members_.size() - 1);
    }
  }
  return 0;
}

// Whether a process blocks sig_ and will be continued after it is sent (not
// for SIGKILL, which cannot be blocked and cuts a fork short, nor for SIGCONT
// or a stop signal, after which the walk continues nothing). The mask in
// /proc/<pid>/stat covers signals 1-31 only.
bool Walk::Blocks(const ProcStat& st) const {
  if (sig_ == SIGKILL || sig_ == SIGCONT || IsStopSignal(sig_) || sig_ > 31) return false;
  return ((st.blocked >> (sig_ - 1)) & 1ULL) != 0;
}

void Walk::ContinueStopped() {
  for (auto& m : members_) {
    if (m.stopped_by_us && !m.gone) Send(m, SIGCONT);
  }
}

int Walk::Run(pid_t root, TreeSignalOutcome* out) {
  out_ = out;
  if (IsCallerOrAncestor(root)) return -EDEADLK;
  AddResult added;
  int r = Add(root, 0, &added);
  if (r < 0) return r;
  if (added == kZombie) return 0;
  if (added != kAdded) return -ESRCH;

  r = WalkFrom({0});
  // A handful of rounds: each one can only find what a process created before
  // it was stopped, so the second is almost always empty.
  for (int round = 0; r == 0 && round < 16; round++) {
    std::vector<size_t> found;
    r = Rescan(&found);
    if (r < 0 || found.empty()) break;
    r = WalkFrom(found);
  }
  if (r < 0) {
    ContinueStopped();
    return r;
  }

  for (auto& m : members_) {
    if (m.gone || m.refused) continue;
    if (!m.stopped) {
      // Not seen stopped, so it may have exited meanwhile: a zombie is not counted.
      ProcStat st;
      if (ReadStat(m.pid, &st) < 0 || st.start != m.start || st.state == 'Z' || st.state == 'X') {
        m.gone = true;
        continue;
      }
    }
    int s = Send(m, sig_);
    if (s == 0) {
      out->signalled++;
      if (m.pidfd < 0) out->without_pidfd++;
    } else if (s == -EPERM) {
      m.refused = true;
      out->refused++;
    } else {
      m.gone = true;
    }
  }
  // The stopped ones get SIGCONT so they can act on the signal (a pending
  // SIGTERM does nothing to a stopped process). Not after SIGKILL (already
  // dead), SIGCONT (already running) or a stop signal (stopping was the point).
  if (sig_ != SIGKILL && sig_ != SIGCONT && !IsStopSignal(sig_)) ContinueStopped();
  if (out->signalled == 0 && out->refused > 0) return -EPERM;
  return 0;
}

}  // namespace

int SignalTree(pid_t root, int sig, int stop_timeout_ms, TreeSignalOutcome* out) {
  if (root <= 0 || sig <= 0 || stop_timeout_ms < 0) return -EINVAL;
  Walk walk(sig, stop_timeout_ms);
  return walk.Run(root, out);
}

}  // namespace procctl

#else  // !__linux__

namespace procctl {
int SignalTree(pid_t, int, int, TreeSignalOutcome*) { return -ENOSYS; }
int PidfdOpen(pid_t) { return -ENOSYS; }
}  // namespace procctl

#endif
