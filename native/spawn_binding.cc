// Binding for spawn: converts the request prepared and validated by lib/spawn.ts
// into the plain SpawnRequest (C strings and arrays built before the clone),
// opens the child's /dev/null and pipes, runs the engine, hands the child to
// the exit watcher, and reports through a Float64Array (pid, pidfd, engine,
// stage, errno, ...). Also pidfd_send_signal and the rlimit resource numbers.
#include "binding.h"
#include "spawn.h"
#include "small_vec.h"
#include "spawn_watch.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <vector>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif
#ifdef __APPLE__
#include <pthread.h>
#endif

#ifdef __APPLE__
#include <crt_externs.h>  // a bundle cannot link `environ` directly
#define environ (*_NSGetEnviron())
#else
extern "C" char** environ;
#endif

namespace procctl {

namespace {

constexpr const char* kWhere = "spawn: ";

constexpr double kInt32Max = 2147483647.0;
constexpr uint32_t kMaxFds = 65536;
constexpr uint32_t kMaxGroups = 65536;

// What a negative fds entry asks for (a non-negative one is a parent fd).
enum FdCode : int {
  kFdClosed = -1,
  kFdNullRead = -2,   // /dev/null, read-only (stdin 'ignore')
  kFdNullWrite = -3,  // /dev/null, write-only (an output 'ignore')
  kFdPipeIn = -4,     // a pipe the child reads; the parent keeps the write end
  kFdPipeOut = -5,    // a pipe the child writes; the parent keeps the read end
  kFdSocket = -6,     // a socketpair; the parent keeps one end
};
constexpr int kFdLowestCode = kFdSocket;

// flags bits.
constexpr uint32_t kFlagSetsid = 1;
constexpr uint32_t kFlagNoControllingTerminal = 2;
constexpr uint32_t kFlagNoNewPrivs = 4;
constexpr uint32_t kFlagCaptureStdout = 8;
constexpr uint32_t kFlagCaptureStderr = 16;
constexpr uint32_t kFlagSync = 32;  // runSync: wait here, return the result (no watcher, no JS ends)
constexpr uint32_t kFlagsAll = 63;

// Result slots of the out Float64Array.
enum Out : int {
  kOutPid = 0,
  kOutPidfd,
  kOutEngine,
  kOutStage,
  kOutErrno,
  kOutFdIndex,
  kOutToken,  // > 0: the watcher reports the exit (spawnSetExitHandler); 0: JS waits
  kOutEnds = 8,  // kOutEnds + i: the parent's end for fds[i], or -1
  // runSync (kFlagSync), from kOutEnds on instead: WriteExitNumbers (spawn_watch.h).
  kOutSyncEnd = kOutEnds + static_cast<int>(kExitNumbers),
};

[[noreturn]] void Throw(napi_env env, const std::string& what, bool range = false) {
  if (range) throw Napi::RangeError::New(env, kWhere + what);
  throw Napi::TypeError::New(env, kWhere + what);
}

bool IsNullish(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

// C strings read from JS, NUL-terminated, in one block with pointers into it:
// no allocation at all for the few short strings of a common spawn.
class CStrings {
 public:
  // An array of strings, at most kMaxRequestArray of them.
  void Read(napi_env env, napi_value v, const char* what) {
    uint32_t length = 0;
    if (napi_get_array_length(env, v, &length) != napi_ok) Throw(env, std::string(what) + " must be an array");
    if (length > kMaxRequestArray) Throw(env, std::string(what) + " is too long", true);
    offsets_.Reserve(length);
    for (uint32_t i = 0; i < length; i++) {
      napi_value e;
      napi_get_element(env, v, i, &e);
      Append(env, e, what);
    }
  }
  // One string; false for null/undefined.
  bool ReadOne(napi_env env, napi_value v, const char* what) {
    if (IsNullish(env, v)) return false;
    Append(env, v, what);
    return true;
  }
  size_t size() const { return offsets_.size(); }
  const char* at(size_t i) const { return bytes_.data() + offsets_[i]; }
  // NULL-terminated pointers into the block; valid while this object lives
  // and nothing more is read into it.
  char** Pointers() {
    ptrs_.resize(0);
    ptrs_.Reserve(offsets_.size() + 1);
    for (size_t off : offsets_) ptrs_.push_back(bytes_.data() + off);
    ptrs_.push_back(nullptr);
    return ptrs_.data();
  }

 private:
  void Append(napi_env env, napi_value e, const char* what) {
    size_t len = 0;
    // Fails for anything but a string.
    if (napi_get_value_string_utf8(env, e, nullptr, 0, &len) != napi_ok) Throw(env, std::string(what) + " must hold strings");
    size_t off = bytes_.size();
    bytes_.resize(off + len + 1);
    size_t got = 0;
    napi_get_value_string_utf8(env, e, bytes_.data() + off, len + 1, &got);
    if (memchr(bytes_.data() + off, '\0', got) != nullptr) {
      Napi::TypeError err = Napi::TypeError::New(env, std::string(kWhere) + what + " must not contain null bytes");
      err.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_VALUE"));
      throw err;
    }
    bytes_.resize(off + got + 1);
    offsets_.push_back(off);
  }
  SmallVec<char, 256> bytes_;
  SmallVec<size_t, 8> offsets_;
  SmallVec<char*, 8> ptrs_;
};

// A JS array of numbers (null/undefined: none, false), at most `max` entries.
template <size_t N>
bool NumbersArg(napi_env env, napi_value v, const char* what, uint32_t max, SmallVec<double, N>* out) {
  if (IsNullish(env, v)) return false;
  uint32_t length = 0;
  if (napi_get_array_length(env, v, &length) != napi_ok) Throw(env, std::string(what) + " must be an array");
  if (length > max) Throw(env, std::string(what) + " is too long", true);
  out->Reserve(length);
  for (uint32_t k = 0; k < length; k++) {
    napi_value e;
    double d;
    napi_get_element(env, v, k, &e);
    if (napi_get_value_double(env, e, &d) != napi_ok) Throw(env, std::string(what) + " must hold numbers");
    out->push_back(d);
  }
  return true;
}

uint64_t RlimValue(napi_env env, double v) {
  if (v == -1) return static_cast<uint64_t>(RLIM_INFINITY);
  if (!(v >= 0 && v <= 9007199254740991.0) || std::floor(v) != v) Throw(env, "rlimits value out of range", true);
  return static_cast<uint64_t>(v);
}

// PROCCTL_SPAWN_ENGINE, read from the C environment (process.env writes land
// there): a getenv costs nothing next to a read through process.env. -1: not
// an engine name, which lib/spawn.ts reports with its own error.
int EngineFromEnvironment() {
  const char* name = getenv("PROCCTL_SPAWN_ENGINE");
  if (name == nullptr || name[0] == '\0' || strcmp(name, "auto") == 0) return kEngineAuto;
  if (strcmp(name, "clone3") == 0) return kEngineClone3;
  if (strcmp(name, "clone") == 0) return kEngineClone;
  if (strcmp(name, "fork") == 0) return kEngineFork;
  return -1;
}

// fds this call opened, closed when the call ends unless handed on.
class Opened {
 public:
  ~Opened() {
    for (int fd : fds_) {
      if (fd >= 0) close(fd);
    }
  }
  void Add(int fd) { fds_.push_back(fd); }
  void CloseAll() {
    for (int& fd : fds_) {
      if (fd >= 0) close(fd);
      fd = -1;
    }
  }
  void Release(int fd) {
    for (int& f : fds_) {
      if (f == fd) f = -1;
    }
  }

 private:
  SmallVec<int, 8> fds_;
};

// The optional SysProcAttr-style fields (lib/sysattrs.ts), read by name: only
// spawns that use them pay for the reads.
struct SysAttrStrings {
  std::string hostname, uid_map, gid_map, chroot_dir, oom_text;
  std::vector<unsigned long> affinity;
};

void ReadSysAttrs(Napi::Env env, Napi::Object o, SpawnRequest* req, SysAttrStrings* keep) {
  auto capMask = [&](const char* key, bool* present) {
    Napi::Value v = o.Get(key);
    *present = v.IsArray();
    uint64_t mask = 0;
    for (double d : PropNumberArray(env, o, key, kWhere)) {
      if (!(d >= 0 && d < 64) || std::floor(d) != d) Throw(env, std::string(key) + " entry out of range", true);
      mask |= 1ULL << static_cast<int>(d);
    }
    return mask;
  };
  req->ambient_caps = capMask("ambientCaps", &req->set_ambient);
  req->bounding_keep = capMask("boundingKeep", &req->set_bounding);

  req->namespace_flags = static_cast<uint64_t>(PropInteger(env, o, "namespaces", 0, 4294967295.0, 0, kWhere));
  auto optString = [&](const char* key, std::string* out) {
    Napi::Value v = o.Get(key);
    if (v.IsNull() || v.IsUndefined()) return false;
    if (!v.IsString()) Throw(env, std::string(key) + " must be a string");
    *out = v.As<Napi::String>().Utf8Value();
    if (out->find('\0') != std::string::npos) Throw(env, std::string(key) + " must not contain null bytes");
    return true;
  };
  if (optString("hostname", &keep->hostname)) {
    req->hostname = keep->hostname.c_str();
    req->hostname_len = static_cast<int>(keep->hostname.size());
  }
  if (optString("uidMap", &keep->uid_map)) req->uid_map = keep->uid_map.c_str();
  if (optString("gidMap", &keep->gid_map)) req->gid_map = keep->gid_map.c_str();
  Napi::Value deny = o.Get("setgroupsDeny");
  req->setgroups_deny = deny.IsBoolean() && deny.As<Napi::Boolean>().Value();
  if (optString("chroot", &keep->chroot_dir)) req->chroot = keep->chroot_dir.c_str();
  double cgroup_fd = PropInteger(env, o, "cgroupFd", -1, kInt32Max, -1, kWhere);
  req->set_cgroup = cgroup_fd >= 0;
  req->cgroup_fd = static_cast<int>(cgroup_fd);

  // Scheduling and placement (lib/spawn.ts checked names and ranges).
  double nice = PropInteger(env, o, "nice", -20, 19, 100, kWhere);
  req->set_nice = nice != 100;
  req->nice = static_cast<int>(nice);
  double policy = PropInteger(env, o, "schedPolicy", 0, 2147483647.0, -1, kWhere);
  req->set_sched = policy >= 0;
  req->sched_policy = static_cast<int>(policy);
  req->sched_priority = static_cast<int>(PropInteger(env, o, "schedPriority", 0, 99, 0, kWhere));
  Napi::Value affv = o.Get("cpuAffinity");
  if (affv.IsArray()) {
    constexpr int kBits = 8 * sizeof(unsigned long);
    for (double d : PropNumberArray(env, o, "cpuAffinity", kWhere)) {
      if (!(d >= 0 && d < 65536) || std::floor(d) != d) Throw(env, "cpuAffinity entry out of range", true);
      size_t cpu = static_cast<size_t>(d);
      if (keep->affinity.size() <= cpu / kBits) keep->affinity.resize(cpu / kBits + 1, 0);
      keep->affinity[cpu / kBits] |= 1UL << (cpu % kBits);
    }
    if (keep->affinity.empty()) Throw(env, "cpuAffinity must name a CPU", true);
    req->affinity = keep->affinity.data();
    req->affinity_bytes = static_cast<int>(keep->affinity.size() * sizeof(unsigned long));
  }
  double ioprio = PropInteger(env, o, "ioprio", 0, 65535, -1, kWhere);
  req->set_ioprio = ioprio >= 0;
  req->ioprio = static_cast<int>(ioprio);
  double oom = PropInteger(env, o, "oomScoreAdj", -1000, 1000, 2000, kWhere);
  if (oom != 2000) {
    keep->oom_text = std::to_string(static_cast<int>(oom));
    req->oom_score_adj = keep->oom_text.c_str();
    req->oom_score_adj_len = static_cast<int>(keep->oom_text.size());
  }
}

// spawn(paths, argv0, args, envp, pwd, cwd, groups, rlimits, attrs, buf)
// Positional, so the hot path reads no property by name; the numbers travel in
// `buf`, a Float64Array lib/spawn.ts keeps (no N-API call per number):
//   in:  uid, gid, umask, pgid, controllingTerminal, foregroundTerminal,
//        pdeathsig, flags, engine, nfds, then nfds fds entries (kIn*);
//   out: pid, pidfd, engine, stage, errno, fdIndex, token, -, then the parent's
//        end of each fds entry (kOut*), written only once every input is read.
// `paths` is one path or an array of candidates. lib/spawn.ts has validated all
// of it; this re-checks every number's range so a direct call can never reach
// the child with a wrapped id, a NaN or a bad fd, and starts nothing when a
// check fails. engine -1: PROCCTL_SPAWN_ENGINE. A stage of -1 in the results:
// PROCCTL_SPAWN_ENGINE names no engine (nothing was started).
constexpr size_t kSpawnArgs = 10;
enum In : int {
  kInUid = 0,
  kInGid,
  kInUmask,
  kInPgid,
  kInControllingTerminal,
  kInForegroundTerminal,
  kInPdeathsig,
  kInFlags,
  kInEngine,
  kInFdCount,
  kInFds,  // kInFds + i: fds[i]
};

// A number from buf in [min, max], whole (NaN, fractions and anything outside
// are a RangeError, never a wrapped or truncated value).
double IntIn(napi_env env, double d, const char* what, double min, double max) {
  if (!(d >= min && d <= max) || std::floor(d) != d) Throw(env, std::string(what) + " is out of range", true);
  return d;
}

// A uid/gid from buf: -1 leaves it unchanged; else 0 .. 2^32-2 (the kernel reads
// (uid_t)-1 as "unchanged"), anything else a RangeError.
bool IdIn(napi_env env, double d, const char* what, uint32_t* out) {
  if (d == -1) return false;
  *out = IdValue(Napi::Env(env), d, what, kWhere);
  return true;
}

// runSync: the child is running; wait for it here. The numbers go to out from
// kOutEnds on (see Out); returns [stdout, stderr] when either was captured, each
// a string (null: too long for one; undefined: not captured), else null.
napi_value WaitSync(napi_env env, pid_t pid, int pidfd, int capture_fds[2], Opened* child_ends, Opened* parent_ends,
                    double* out) {
  child_ends->CloseAll();  // else the pipes never reach EOF
  const bool captured[2] = {capture_fds[0] >= 0, capture_fds[1] >= 0};
  for (int k = 0; k < 2; k++) {
    if (captured[k]) parent_ends->Release(capture_fds[k]);  // WaitChildSync closes them
  }
  WaitResult res = {};
  std::string outs[2];
  int r = WaitChildSync(pid, pidfd, capture_fds, &res, outs);
  if (pidfd >= 0) close(pidfd);
  WriteExitNumbers(out + kOutEnds, -r, pid, res);
  napi_value result;
  if (!captured[0] && !captured[1]) {
    napi_get_null(env, &result);
    return result;
  }
  napi_create_array_with_length(env, 2, &result);
  for (uint32_t k = 0; k < 2; k++) napi_set_element(env, result, k, RunOutputValue(env, captured[k], &outs[k]));
  return result;
}

napi_value Spawn(napi_env env, size_t argc, napi_value* args) {
  if (argc < kSpawnArgs) Throw(env, "expects 10 arguments");
  napi_typedarray_type buf_type;
  size_t buf_len = 0;
  void* buf_data = nullptr;
  if (napi_get_typedarray_info(env, args[9], &buf_type, &buf_len, &buf_data, nullptr, nullptr) != napi_ok ||
      buf_type != napi_float64_array || buf_len < kInFds) {
    Throw(env, "buf must be a Float64Array of at least 10 entries");
  }
  double* buf = static_cast<double*>(buf_data);

  // Everything the child reads is built here, before the clone (checklist 1).
  CStrings paths, argv, envp, pwd, cwd;
  napi_valuetype paths_type;
  napi_typeof(env, args[0], &paths_type);
  if (paths_type == napi_string) {
    paths.ReadOne(env, args[0], "paths");
  } else {
    paths.Read(env, args[0], "paths");
  }
  if (!argv.ReadOne(env, args[1], "argv0")) Throw(env, "argv0 must be a string");
  argv.Read(env, args[2], "args");
  bool has_pwd = pwd.ReadOne(env, args[4], "pwd");
  bool has_cwd = cwd.ReadOne(env, args[5], "cwd");
  // envp null: the parent's current environment (process.env writes go to
  // environ on the main thread, where we are), as pointers into environ itself:
  // nothing runs JS or touches the environment before the clone. `pwd` (when
  // given) replaces every PWD= entry, as Go does when it sets Dir with an
  // inherited environment.
  SmallVec<char*, 64> env_ptrs;
  std::string pwd_entry;
  const bool inherit_env = IsNullish(env, args[3]);
  if (inherit_env) {
    for (char** e = environ; e != nullptr && *e != nullptr; e++) {
      if (has_pwd && strncmp(*e, "PWD=", 4) == 0) continue;
      env_ptrs.push_back(*e);
    }
    if (has_pwd) {
      pwd_entry = std::string("PWD=") + pwd.at(0);
      env_ptrs.push_back(&pwd_entry[0]);
    }
    env_ptrs.push_back(nullptr);
  } else {
    envp.Read(env, args[3], "envp");
  }

  // Every number is read (and checked) before anything is written to buf.
  const double nfds_in = buf[kInFdCount];
  if (!(nfds_in >= 0 && nfds_in <= kMaxFds) || std::floor(nfds_in) != nfds_in) Throw(env, "fds count out of range", true);
  const size_t nfds = static_cast<size_t>(nfds_in);
  if (buf_len < kInFds + nfds || buf_len < kOutEnds + nfds) Throw(env, "buf is too short for the fds");
  SmallVec<int, 8> fds;
  for (size_t i = 0; i < nfds; i++) {
    double d = buf[kInFds + i];
    if (!(d >= kFdLowestCode && d <= kInt32Max) || std::floor(d) != d) Throw(env, "fds entry out of range", true);
    fds.push_back(static_cast<int>(d));
  }

  SpawnRequest req = {};
  uint32_t id = 0;
  req.set_uid = IdIn(env, buf[kInUid], "uid", &id);
  req.uid = static_cast<uid_t>(id);
  id = 0;
  req.set_gid = IdIn(env, buf[kInGid], "gid", &id);
  req.gid = static_cast<gid_t>(id);
  req.umask_value = static_cast<int>(IntIn(env, buf[kInUmask], "umask", -1, 0777));
  double pgid = IntIn(env, buf[kInPgid], "pgid", -1, kInt32Max);
  req.controlling_terminal = static_cast<int>(IntIn(env, buf[kInControllingTerminal], "controllingTerminal", -1, kInt32Max));
  req.foreground_terminal = static_cast<int>(IntIn(env, buf[kInForegroundTerminal], "foregroundTerminal", -1, kInt32Max));
  req.parent_death_signal = static_cast<int>(IntIn(env, buf[kInPdeathsig], "pdeathsig", 0, 64));
  uint32_t flags = static_cast<uint32_t>(IntIn(env, buf[kInFlags], "flags", 0, kFlagsAll));
  if ((flags & kFlagSync) && buf_len < kOutSyncEnd) Throw(env, "buf is too short for runSync's results");
  int engine = static_cast<int>(IntIn(env, buf[kInEngine], "engine", -1, kEngineFork));
  SmallVec<double, 8> groupd;
  req.set_groups = NumbersArg(env, args[6], "groups", kMaxGroups, &groupd);
  SmallVec<gid_t, 8> groups;
  for (double d : groupd) groups.push_back(static_cast<gid_t>(IdValue(Napi::Env(env), d, "groups", kWhere)));
  SmallVec<double, 6> rl;  // [resource, soft, hard]*
  NumbersArg(env, args[7], "rlimits", 3 * 64, &rl);
  if (rl.size() % 3 != 0) Throw(env, "rlimits must be triples");
  SmallVec<SpawnRlimit, 2> rlimits;
  for (size_t i = 0; i + 2 < rl.size(); i += 3) {
    if (!(rl[i] >= 0 && rl[i] < 64) || std::floor(rl[i]) != rl[i]) Throw(env, "rlimits resource out of range", true);
    rlimits.push_back({static_cast<int>(rl[i]), RlimValue(env, rl[i + 1]), RlimValue(env, rl[i + 2])});
  }
  SysAttrStrings sysattr_strings;
  if (!IsNullish(env, args[8])) {
    napi_valuetype t;
    napi_typeof(env, args[8], &t);
    if (t != napi_object) Throw(env, "attrs must be an object or null");
    ReadSysAttrs(Napi::Env(env), Napi::Object(env, args[8]), &req, &sysattr_strings);
  }
  double* out = buf;

  req.setsid = (flags & kFlagSetsid) != 0;
  req.no_controlling_terminal = (flags & kFlagNoControllingTerminal) != 0;
  req.no_new_privs = (flags & kFlagNoNewPrivs) != 0;
  // lib/spawn.ts checks these; a direct call must still not reach the child with
  // a request the child cannot honour (TIOCSCTTY needs a session leader).
  if (req.controlling_terminal >= 0 && (!req.setsid || req.controlling_terminal >= static_cast<int>(nfds))) {
    Throw(env, "controllingTerminal needs setsid and a child fd");
  }
  req.setpgid = pgid >= 0;
  req.pgid = static_cast<pid_t>(pgid);
  if (req.setpgid && req.setsid) Throw(env, "pgid and setsid exclude each other");
  if (req.foreground_terminal >= 0 && (!req.setpgid || req.foreground_terminal >= static_cast<int>(nfds))) {
    Throw(env, "foregroundTerminal needs a process group and a child fd");
  }
  bool capture[2] = {(flags & kFlagCaptureStdout) != 0, (flags & kFlagCaptureStderr) != 0};
  for (int k = 0; k < 2; k++) {
    if (capture[k] && (nfds <= static_cast<size_t>(k + 1) || fds[k + 1] != kFdPipeOut)) {
      Throw(env, "capture needs a pipe the child writes at fd 1 or 2");
    }
  }
  bool any_pipe = false;
  for (int fd : fds) any_pipe = any_pipe || fd <= kFdPipeIn;
  // Recorded before the clone for the child's getppid() check, which only the
  // parent-death signal needs.
  req.parent_pid = req.parent_death_signal > 0 ? getpid() : 0;
  // runSync with nothing to read waits with a blocking wait4: a pidfd would only
  // cost its file and one more poll (Linux: ~10 us of a ~500 us spawn).
  req.no_pidfd = (flags & kFlagSync) != 0 && !capture[0] && !capture[1];
  // Not options: a drop to a non-root uid always clears the capability sets, and
  // guards the terminal unless a new session (or Noctty) took it away.
  req.drop_privileges = req.set_uid && req.uid != 0;
  req.guard_terminal = req.drop_privileges && !req.setsid && !req.no_controlling_terminal;

  out[kOutPid] = -1;
  out[kOutPidfd] = -1;
  out[kOutEngine] = 0;
  out[kOutStage] = kStageNone;
  out[kOutErrno] = 0;
  out[kOutFdIndex] = -1;
  out[kOutToken] = 0;
  if (engine < 0 && (engine = EngineFromEnvironment()) < 0) {
    out[kOutStage] = -1;
    return nullptr;
  }
  SmallVec<int, 8> fd_map;
  fd_map.append(fds.data(), nfds);
  req.fd_map = fd_map.data();
  req.fd_count = static_cast<int>(nfds);
  // Checked before anything is opened, with nothing of ours opened since lib/
  // was called: a closed source is EBADF, never a stand-in fd of ours.
  int closed = FirstClosedSource(req);
  if (closed >= 0) {
    out[kOutStage] = kStageDup2;
    out[kOutErrno] = EBADF;
    out[kOutFdIndex] = closed;
    return nullptr;
  }

  // /dev/null and pipes, close-on-exec. The child's ends (and /dev/null) are
  // closed here after the clone; the parent's ends go to JS or to the watcher.
  Opened child_ends, parent_ends;
  SmallVec<int, 8> parent_end;
  parent_end.resize(nfds, -1);
  int dev_null[2] = {-1, -1};  // read-only, write-only
  for (size_t i = 0; i < nfds; i++) {
    int code = fds[i];
    if (code == kFdNullRead || code == kFdNullWrite) {
      int which = code == kFdNullRead ? 0 : 1;
      if (dev_null[which] < 0) {
        dev_null[which] = open("/dev/null", (which == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
        if (dev_null[which] < 0) ThrowSystemError(Napi::Env(env), errno, "open", "/dev/null");
        child_ends.Add(dev_null[which]);
      }
      fd_map[i] = dev_null[which];
    } else if (code == kFdPipeIn || code == kFdPipeOut) {
      int p[2];
      int r = MakePipe(p);
      if (r < 0) ThrowSystemError(Napi::Env(env), -r, "pipe2");
      int mine = code == kFdPipeIn ? p[1] : p[0];
      int theirs = code == kFdPipeIn ? p[0] : p[1];
      child_ends.Add(theirs);
      parent_ends.Add(mine);
      fd_map[i] = theirs;
      parent_end[i] = mine;
      // The watcher reads without ever blocking the loop. The flag belongs to
      // the read end's own open file description, not the child's write end.
      if (i >= 1 && i <= 2 && capture[i - 1] && fcntl(mine, F_SETFL, O_NONBLOCK) < 0) {
        ThrowSystemError(Napi::Env(env), errno, "fcntl");
      }
    } else if (code == kFdSocket) {
      int p[2];
      int r = MakeSocketPair(p);
      if (r < 0) ThrowSystemError(Napi::Env(env), -r, "socketpair");
      child_ends.Add(p[1]);
      parent_ends.Add(p[0]);
      fd_map[i] = p[1];
      parent_end[i] = p[0];
    }
  }

  char** path_ptrs = paths.Pointers();
  req.exec_paths = const_cast<const char* const*>(path_ptrs);
  req.exec_path_count = static_cast<int>(paths.size());
  req.argv = argv.Pointers();
  req.envp = inherit_env ? env_ptrs.data() : envp.Pointers();
  req.cwd = has_cwd ? cwd.at(0) : nullptr;
  req.groups = groups.data();
  req.group_count = static_cast<int>(groups.size());
  req.rlimits = rlimits.data();
  req.rlimit_count = static_cast<int>(rlimits.size());

  SpawnResult res = {};
  int r = SpawnProcess(req, engine, &res);
  if (r < 0) {
    out[kOutStage] = kStageClone;
    out[kOutErrno] = -r;
    return nullptr;
  }
  out[kOutPid] = res.pid;
  out[kOutEngine] = res.engine;
  if (res.error.stage != kStageNone) {
    out[kOutStage] = res.error.stage;
    out[kOutErrno] = res.error.err;
    return nullptr;
  }
  int pidfd = res.pidfd;
  int capture_fds[2] = {capture[0] ? parent_end[1] : -1, capture[1] ? parent_end[2] : -1};
  if (flags & kFlagSync) return WaitSync(env, res.pid, pidfd, capture_fds, &child_ends, &parent_ends, out);
  double token = 0;
  if (pidfd >= 0) {
    if (WatchChild(env, res.pid, pidfd, capture_fds[0], capture_fds[1], &token) == 0) {
      for (int k = 0; k < 2; k++) {
        if (capture_fds[k] >= 0) {
          parent_ends.Release(capture_fds[k]);
          parent_end[k + 1] = -1;
        }
      }
    } else {
      // Not watched (out of epoll space): JS waits for it through SIGCHLD and
      // reads any pipes itself, as with the fork engine.
      close(pidfd);
      pidfd = -1;
    }
  }
  out[kOutPidfd] = pidfd;
  out[kOutToken] = token;
  if (any_pipe) {
    for (size_t i = 0; i < nfds; i++) {
      out[kOutEnds + i] = parent_end[i];
      if (parent_end[i] >= 0) parent_ends.Release(parent_end[i]);
    }
  }
  return nullptr;
}

// The binding's entry, without node-addon-api's CallbackInfo (which allocates
// for more than six arguments): errors thrown as C++ exceptions become JS ones.
napi_value SpawnEntry(napi_env env, napi_callback_info cbinfo) {
  napi_value args[kSpawnArgs];
  size_t argc = kSpawnArgs;
  if (napi_get_cb_info(env, cbinfo, &argc, args, nullptr, nullptr) != napi_ok) return nullptr;
  try {
    return Spawn(env, argc, args);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "ERR_MEMORY_ALLOCATION_FAILED", "spawn: out of memory");
  }
  return nullptr;
}

Napi::Value SendSignal(const Napi::CallbackInfo& info) {
  int r = PidfdSendSignal(ArgInt32(info, 0, "pidfd"), ArgInt32(info, 1, "signal"));
  if (r < 0) ThrowSystemError(info.Env(), -r, "pidfd_send_signal");
  return info.Env().Undefined();
}

// detachTerminal(fd): TIOCNOTTY on our controlling terminal, SIGHUP/SIGCONT
// from the kernel discarded (see spawn_tty.cc).
Napi::Value DetachTerminal(const Napi::CallbackInfo& info) {
  int r = DetachControllingTerminal(ArgInt32(info, 0, "fd"));
  if (r < 0) ThrowSystemError(info.Env(), -r, "ioctl", nullptr, "TIOCNOTTY");
  return info.Env().Undefined();
}

// firstClosedFd(fds): the index of the first entry that is not an open fd, or -1.
Napi::Value FirstClosedFd(const Napi::CallbackInfo& info) {
  std::vector<int32_t> fds = ArgInt32Array(info, 0, "fds");
  for (size_t i = 0; i < fds.size(); i++) {
    if (fds[i] < 0 || fcntl(fds[i], F_GETFD) < 0) return Napi::Number::New(info.Env(), static_cast<double>(i));
  }
  return Napi::Number::New(info.Env(), -1);
}

// getDumpable(): PR_GET_DUMPABLE of this process, for the test that checks spawn
// restores it after a credential-dropping CLONE_VM child.
Napi::Value GetDumpable(const Napi::CallbackInfo& info) {
#ifdef __linux__
  return Napi::Number::New(info.Env(), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
#else
  return Napi::Number::New(info.Env(), -1);
#endif
}

// Whether this environment runs on the process's initial thread, which is
// Node's main thread (a Worker never does): lib/ can then skip loading
// worker_threads (and the stream modules it pulls in). Only "yes" is trusted;
// otherwise lib/ asks worker_threads.
bool OnInitialThread() {
#ifdef __linux__
  return syscall(SYS_gettid) == getpid();
#elif defined(__APPLE__)
  return pthread_main_np() != 0;
#else
  return false;
#endif
}

Napi::Object RlimitResources(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  auto set = [&](const char* name, int value) { o.Set(name, Napi::Number::New(env, value)); };
  set("core", RLIMIT_CORE);
  set("cpu", RLIMIT_CPU);
  set("data", RLIMIT_DATA);
  set("fsize", RLIMIT_FSIZE);
  set("nofile", RLIMIT_NOFILE);
  set("stack", RLIMIT_STACK);
  set("as", RLIMIT_AS);
#ifdef RLIMIT_NPROC
  set("nproc", RLIMIT_NPROC);
#endif
#ifdef RLIMIT_MEMLOCK
  set("memlock", RLIMIT_MEMLOCK);
#endif
#ifdef RLIMIT_RSS
  set("rss", RLIMIT_RSS);
#endif
#ifdef __linux__
  set("locks", RLIMIT_LOCKS);
  set("sigpending", RLIMIT_SIGPENDING);
  set("msgqueue", RLIMIT_MSGQUEUE);
  set("nice", RLIMIT_NICE);
  set("rtprio", RLIMIT_RTPRIO);
  set("rttime", RLIMIT_RTTIME);
#endif
  return o;
}

Napi::Object NamespaceFlags(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
#ifdef __linux__
  auto set = [&](const char* name, double value) { o.Set(name, Napi::Number::New(env, value)); };
  set("mount", CLONE_NEWNS);
  set("uts", CLONE_NEWUTS);
  set("ipc", CLONE_NEWIPC);
  set("user", CLONE_NEWUSER);
  set("pid", CLONE_NEWPID);
  set("net", CLONE_NEWNET);
  set("cgroup", CLONE_NEWCGROUP);
#endif
  return o;
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  napi_value spawn;
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, SpawnEntry, nullptr, &spawn));
  exports.Set("spawn", Napi::Value(env, spawn));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, SendSignal));
  exports.Set("spawnFirstClosedFd", Napi::Function::New(env, FirstClosedFd));
  exports.Set("spawnDetachTerminal", Napi::Function::New(env, DetachTerminal));
  exports.Set("spawnHasControllingTerminal", Napi::Boolean::New(env, SpawnSupportsControllingTerminal()));
  exports.Set("rlimitResources", RlimitResources(env));
  exports.Set("namespaceFlags", NamespaceFlags(env));
  Napi::Array stages = Napi::Array::New(env);
  for (int32_t stage = kStageNone; stage <= kStageUserNamespace; stage++) {
    stages.Set(static_cast<uint32_t>(stage), Napi::String::New(env, SpawnStageName(stage)));
  }
  exports.Set("spawnStageNames", stages);
  exports.Set("spawnGetDumpable", Napi::Function::New(env, GetDumpable));
  exports.Set("onInitialThread", Napi::Boolean::New(env, OnInitialThread()));
  InitSpawnWatch(env, exports);
}

}  // namespace procctl
