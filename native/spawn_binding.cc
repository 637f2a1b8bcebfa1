// Binding for spawn: converts the request prepared and validated by lib/spawn.ts
// into the plain SpawnRequest (owned C strings and arrays, built before the
// clone), runs the engine, and returns {pid, pidfd, engine, stage, errno}.
// Also the stdio pipes, pidfd_send_signal and the rlimit resource numbers.
#include "binding.h"
#include "spawn.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#include <sys/prctl.h>
#endif

#ifdef __APPLE__
#include <crt_externs.h>  // a bundle cannot link `environ` directly
#define environ (*_NSGetEnviron())
#else
extern "C" char** environ;
#endif

namespace procctl {

void InitSpawnWatch(Napi::Env env, Napi::Object exports);

namespace {

constexpr const char* kWhere = "spawn: ";

std::vector<std::string> StringArrayProp(Napi::Env env, Napi::Object o, const char* key) {
  return PropStringArray(env, o, key, kWhere);
}

std::vector<double> NumberArrayProp(Napi::Env env, Napi::Object o, const char* key) {
  return PropNumberArray(env, o, key, kWhere);
}

double IntProp(Napi::Env env, Napi::Object o, const char* key, double min, double max, double dflt) {
  return PropInteger(env, o, key, min, max, dflt, kWhere);
}

bool BoolProp(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

std::vector<char*> CArray(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(&s[0]);
  out.push_back(nullptr);
  return out;
}

uint64_t RlimValue(Napi::Env env, double v) {
  if (v == -1) return static_cast<uint64_t>(RLIM_INFINITY);
  if (!(v >= 0 && v <= 9007199254740991.0) || std::floor(v) != v) {
    throw Napi::RangeError::New(env, "spawn: rlimits value out of range");
  }
  return static_cast<uint64_t>(v);
}

constexpr double kInt32Max = 2147483647.0;
constexpr uint32_t kMaxFds = 65536;
constexpr uint32_t kMaxGroups = 65536;

// The caller's environ, as the child will see it: `pwd` (when given) replaces
// every PWD= entry, as Go does when it sets Dir with an inherited environment.
std::vector<std::string> CurrentEnviron(const std::string* pwd) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; e++) {
    if (pwd != nullptr && strncmp(*e, "PWD=", 4) == 0) continue;
    out.emplace_back(*e);
  }
  if (pwd != nullptr) out.push_back("PWD=" + *pwd);
  return out;
}

// spawn({paths, argv, envp, pwd, cwd, fds, uid, gid, groups, umask, rlimits,
//        setsid, controllingTerminal, foregroundTerminal, noControllingTerminal,
//        pgid, pdeathsig, noNewPrivs, engine})
// lib/spawn.ts has validated all of it; this re-checks every number's range so a
// direct call can never reach the child with a wrapped id, a NaN or a bad fd.
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "spawn expects a request object");
  Napi::Object o = info[0].As<Napi::Object>();

  // Everything the child reads is built here, before the clone (checklist 1).
  std::vector<std::string> paths = StringArrayProp(env, o, "paths");
  std::vector<std::string> argv = StringArrayProp(env, o, "argv");
  if (argv.empty()) throw Napi::TypeError::New(env, "spawn: argv must not be empty");
  // envp null: the parent's current environment (process.env writes go to
  // environ on the main thread, where we are), copied here before the clone.
  std::vector<std::string> envp;
  if (o.Get("envp").IsNull()) {
    Napi::Value pwdv = o.Get("pwd");
    std::string pwd = pwdv.IsString() ? pwdv.As<Napi::String>().Utf8Value() : std::string();
    if (pwd.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "spawn: pwd must not contain null bytes");
    envp = CurrentEnviron(pwdv.IsString() ? &pwd : nullptr);
  } else {
    envp = StringArrayProp(env, o, "envp");
  }
  std::vector<const char*> cpaths;
  for (auto& p : paths) cpaths.push_back(p.c_str());
  std::vector<char*> cargv = CArray(argv);
  std::vector<char*> cenvp = CArray(envp);
  Napi::Value cwdv = o.Get("cwd");
  std::string cwd = cwdv.IsString() ? cwdv.As<Napi::String>().Utf8Value() : std::string();
  if (cwd.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "spawn: cwd must not contain null bytes");

  std::vector<double> fdv = NumberArrayProp(env, o, "fds");
  if (fdv.size() > kMaxFds) throw Napi::RangeError::New(env, "spawn: too many fds");
  std::vector<int> fds;
  for (double d : fdv) {
    if (!(d >= -1 && d <= kInt32Max) || std::floor(d) != d) throw Napi::RangeError::New(env, "spawn: fds entry out of range");
    fds.push_back(static_cast<int>(d));
  }
  std::vector<gid_t> groups;
  Napi::Value groupsv = o.Get("groups");
  bool set_groups = groupsv.IsArray();
  std::vector<double> groupd = NumberArrayProp(env, o, "groups");
  if (groupd.size() > kMaxGroups) throw Napi::RangeError::New(env, "spawn: too many groups");
  for (double d : groupd) groups.push_back(static_cast<gid_t>(IdValue(env, d, "groups", kWhere)));
  std::vector<double> rl = NumberArrayProp(env, o, "rlimits");  // [resource, soft, hard]*
  if (rl.size() % 3 != 0 || rl.size() > 3 * 64) throw Napi::TypeError::New(env, "spawn: rlimits must be triples");
  std::vector<SpawnRlimit> rlimits;
  for (size_t i = 0; i + 2 < rl.size(); i += 3) {
    if (!(rl[i] >= 0 && rl[i] < 64) || std::floor(rl[i]) != rl[i]) throw Napi::RangeError::New(env, "spawn: rlimits resource out of range");
    rlimits.push_back({static_cast<int>(rl[i]), RlimValue(env, rl[i + 1]), RlimValue(env, rl[i + 2])});
  }

  SpawnRequest req = {};
  req.exec_paths = cpaths.data();
  req.exec_path_count = static_cast<int>(cpaths.size());
  req.argv = cargv.data();
  req.envp = cenvp.data();
  req.cwd = cwdv.IsString() ? cwd.c_str() : nullptr;
  req.fd_map = fds.data();
  req.fd_count = static_cast<int>(fds.size());
  uint32_t id = 0;
  req.set_uid = PropId(env, o, "uid", kWhere, &id);
  req.uid = static_cast<uid_t>(id);
  id = 0;
  req.set_gid = PropId(env, o, "gid", kWhere, &id);
  req.gid = static_cast<gid_t>(id);
  req.set_groups = set_groups;
  req.groups = groups.data();
  req.group_count = static_cast<int>(groups.size());
  req.umask_value = static_cast<int>(IntProp(env, o, "umask", -1, 0777, -1));
  req.rlimits = rlimits.data();
  req.rlimit_count = static_cast<int>(rlimits.size());
  req.setsid = BoolProp(o, "setsid");
  req.controlling_terminal = static_cast<int>(IntProp(env, o, "controllingTerminal", -1, kInt32Max, -1));
  req.foreground_terminal = static_cast<int>(IntProp(env, o, "foregroundTerminal", -1, kInt32Max, -1));
  req.no_controlling_terminal = BoolProp(o, "noControllingTerminal");
  // lib/spawn.ts checks these; a direct call must still not reach the child with
  // a request the child cannot honour (TIOCSCTTY needs a session leader).
  if (req.controlling_terminal >= 0 && (!req.setsid || req.controlling_terminal >= req.fd_count)) {
    throw Napi::TypeError::New(env, "spawn: controllingTerminal needs setsid and a child fd");
  }
  double pgid = IntProp(env, o, "pgid", -1, kInt32Max, -1);
  req.setpgid = pgid >= 0;
  req.pgid = static_cast<pid_t>(pgid);
  if (req.setpgid && req.setsid) throw Napi::TypeError::New(env, "spawn: pgid and setsid exclude each other");
  if (req.foreground_terminal >= 0 && (!req.setpgid || req.foreground_terminal >= req.fd_count)) {
    throw Napi::TypeError::New(env, "spawn: foregroundTerminal needs a process group and a child fd");
  }
  req.parent_death_signal = static_cast<int>(IntProp(env, o, "pdeathsig", 0, 64, 0));
  req.parent_pid = getpid();
  req.no_new_privs = BoolProp(o, "noNewPrivs");
  // Not options: a drop to a non-root uid always clears the capability sets, and
  // guards the terminal unless a new session (or Noctty) took it away.
  req.drop_privileges = req.set_uid && req.uid != 0;
  req.guard_terminal = req.drop_privileges && !req.setsid && !req.no_controlling_terminal;
  int engine = static_cast<int>(IntProp(env, o, "engine", kEngineAuto, kEngineFork, kEngineAuto));

  // Capabilities: lists of CAP_* numbers (0..63) as masks.
  auto capMask = [&](const char* key, bool* present) {
    Napi::Value v = o.Get(key);
    *present = v.IsArray();
    uint64_t mask = 0;
    for (double d : NumberArrayProp(env, o, key)) {
      if (!(d >= 0 && d < 64) || std::floor(d) != d) throw Napi::RangeError::New(env, std::string("spawn: ") + key + " entry out of range");
      mask |= 1ULL << static_cast<int>(d);
    }
    return mask;
  };
  req.ambient_caps = capMask("ambientCaps", &req.set_ambient);
  req.bounding_keep = capMask("boundingKeep", &req.set_bounding);

  req.namespace_flags = static_cast<uint64_t>(IntProp(env, o, "namespaces", 0, 4294967295.0, 0));
  std::string hostname, uid_map, gid_map, chroot_dir;
  auto optString = [&](const char* key, std::string* out) {
    Napi::Value v = o.Get(key);
    if (v.IsNull() || v.IsUndefined()) return false;
    if (!v.IsString()) throw Napi::TypeError::New(env, std::string("spawn: ") + key + " must be a string");
    *out = v.As<Napi::String>().Utf8Value();
    if (out->find('\0') != std::string::npos) throw Napi::TypeError::New(env, std::string("spawn: ") + key + " must not contain null bytes");
    return true;
  };
  if (optString("hostname", &hostname)) {
    req.hostname = hostname.c_str();
    req.hostname_len = static_cast<int>(hostname.size());
  }
  if (optString("uidMap", &uid_map)) req.uid_map = uid_map.c_str();
  if (optString("gidMap", &gid_map)) req.gid_map = gid_map.c_str();
  req.setgroups_deny = BoolProp(o, "setgroupsDeny");
  if (optString("chroot", &chroot_dir)) req.chroot = chroot_dir.c_str();
  double cgroup_fd = IntProp(env, o, "cgroupFd", -1, kInt32Max, -1);
  req.set_cgroup = cgroup_fd >= 0;
  req.cgroup_fd = static_cast<int>(cgroup_fd);

  // Scheduling and placement (lib/spawn.ts checked names and ranges).
  double nice = IntProp(env, o, "nice", -20, 19, 100);
  req.set_nice = nice != 100;
  req.nice = static_cast<int>(nice);
  double policy = IntProp(env, o, "schedPolicy", 0, 2147483647.0, -1);
  req.set_sched = policy >= 0;
  req.sched_policy = static_cast<int>(policy);
  req.sched_priority = static_cast<int>(IntProp(env, o, "schedPriority", 0, 99, 0));
  std::vector<unsigned long> affinity;
  Napi::Value affv = o.Get("cpuAffinity");
  if (affv.IsArray()) {
    constexpr int kBits = 8 * sizeof(unsigned long);
    for (double d : NumberArrayProp(env, o, "cpuAffinity")) {
      if (!(d >= 0 && d < 65536) || std::floor(d) != d) throw Napi::RangeError::New(env, "spawn: cpuAffinity entry out of range");
      size_t cpu = static_cast<size_t>(d);
      if (affinity.size() <= cpu / kBits) affinity.resize(cpu / kBits + 1, 0);
      affinity[cpu / kBits] |= 1UL << (cpu % kBits);
    }
    if (affinity.empty()) throw Napi::RangeError::New(env, "spawn: cpuAffinity must name a CPU");
    req.affinity = affinity.data();
    req.affinity_bytes = static_cast<int>(affinity.size() * sizeof(unsigned long));
  }
  double ioprio = IntProp(env, o, "ioprio", 0, 65535, -1);
  req.set_ioprio = ioprio >= 0;
  req.ioprio = static_cast<int>(ioprio);
  double oom = IntProp(env, o, "oomScoreAdj", -1000, 1000, 2000);
  std::string oom_text;
  if (oom != 2000) {
    oom_text = std::to_string(static_cast<int>(oom));
    req.oom_score_adj = oom_text.c_str();
    req.oom_score_adj_len = static_cast<int>(oom_text.size());
  }

  Napi::Object out = Napi::Object::New(env);
  // Checked last, just before the clone, with nothing of ours opened since lib/
  // checked them first: a closed source is EBADF, never a stand-in fd.
  int closed = FirstClosedSource(req);
  if (closed >= 0) {
    out.Set("pid", Napi::Number::New(env, -1));
    out.Set("stage", Napi::String::New(env, SpawnStageName(kStageDup2)));
    out.Set("errno", Napi::Number::New(env, EBADF));
    out.Set("fdIndex", Napi::Number::New(env, closed));
    return out;
  }
  SpawnResult res = {};
  int r = SpawnProcess(req, engine, &res);
  if (r < 0) {
    out.Set("pid", Napi::Number::New(env, -1));
    out.Set("stage", Napi::String::New(env, SpawnStageName(kStageClone)));
    out.Set("errno", Napi::Number::New(env, -r));
    return out;
  }
  out.Set("pid", Napi::Number::New(env, res.pid));
  out.Set("pidfd", Napi::Number::New(env, res.pidfd));
  out.Set("engine", Napi::Number::New(env, res.engine));
  if (res.error.stage != kStageNone) {
    out.Set("stage", Napi::String::New(env, SpawnStageName(res.error.stage)));
    out.Set("errno", Napi::Number::New(env, res.error.err));
  } else {
    out.Set("stage", env.Null());
  }
  return out;
}

Napi::Value PairToJs(Napi::Env env, int r, const int fds[2], const char* syscall) {
  if (r < 0) ThrowSystemError(env, -r, syscall);
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, fds[0]));
  a.Set(1u, Napi::Number::New(env, fds[1]));
  return a;
}

// pipe() -> [readEnd, writeEnd], both close-on-exec.
Napi::Value Pipe(const Napi::CallbackInfo& info) {
  int fds[2] = {-1, -1};
  return PairToJs(info.Env(), MakePipe(fds), fds, "pipe2");
}

// socketpair() -> [a, b], AF_UNIX stream, both close-on-exec.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  int fds[2] = {-1, -1};
  return PairToJs(info.Env(), MakeSocketPair(fds), fds, "socketpair");
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

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  close(ArgInt32(info, 0, "fd"));
  return info.Env().Undefined();
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
  exports.Set("spawn", Napi::Function::New(env, Spawn));
  exports.Set("spawnPipe", Napi::Function::New(env, Pipe));
  exports.Set("spawnSocketPair", Napi::Function::New(env, SocketPair));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, SendSignal));
  exports.Set("spawnCloseFd", Napi::Function::New(env, CloseFd));
  exports.Set("spawnFirstClosedFd", Napi::Function::New(env, FirstClosedFd));
  exports.Set("spawnDetachTerminal", Napi::Function::New(env, DetachTerminal));
  exports.Set("spawnHasControllingTerminal", Napi::Boolean::New(env, SpawnSupportsControllingTerminal()));
  exports.Set("rlimitResources", RlimitResources(env));
  exports.Set("namespaceFlags", NamespaceFlags(env));
  exports.Set("spawnGetDumpable", Napi::Function::New(env, GetDumpable));
  InitSpawnWatch(env, exports);
}

}  // namespace procctl
