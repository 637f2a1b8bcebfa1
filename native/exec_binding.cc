// Binding for in-place exec: JS plan object -> ExecPlan, ExecFailure -> a plain
// object lib/exec.ts turns into a SystemError (with the failed stage), plus the
// two small helpers exec needs: spinning the event loop to flush stdout/stderr
// and duplicating a listening fd.
#include "binding.h"
#include "exec.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#include <uv.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace procctl {

namespace {

Napi::Value Get(const Napi::Object& plan, const char* key) { return plan.Get(key); }

std::vector<std::string> StringArray(Napi::Env env, const Napi::Object& plan, const char* key) {
  return PropStringArray(env, plan, key, "plan.");
}

std::vector<double> NumberArray(Napi::Env env, const Napi::Object& plan, const char* key) {
  return PropNumberArray(env, plan, key, "plan.");
}

bool Bool(const Napi::Object& plan, const char* key) {
  Napi::Value v = Get(plan, key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

// execInPlace(plan): returns only on failure, with
// {errno, syscall, stage, pathIndex, unrestored: string[]}.
Napi::Value ExecInPlaceJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "plan must be an object");
  Napi::Object obj = info[0].As<Napi::Object>();

  ExecPlan plan;
  plan.paths = StringArray(env, obj, "paths");
  if (plan.paths.empty()) throw Napi::TypeError::New(env, "plan.paths must not be empty (with execFd: the fd's path, for messages)");
  plan.argv = StringArray(env, obj, "argv");
  plan.envp = StringArray(env, obj, "envp");
  for (double d : NumberArray(env, obj, "inheritFds")) {
    if (!(d >= 0 && d <= 2147483647.0) || std::floor(d) != d) throw Napi::RangeError::New(env, "plan.inheritFds entry out of range");
    plan.inherit_fds.push_back(static_cast<int>(d));
  }
  Napi::Value cwd = Get(obj, "cwd");
  if (cwd.IsString()) {
    plan.has_cwd = true;
    plan.cwd = cwd.As<Napi::String>().Utf8Value();
    if (plan.cwd.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "plan.cwd must not contain null bytes");
  }
  for (double d : NumberArray(env, obj, "signalMask")) {
    if (!(d >= 1 && d <= 64) || std::floor(d) != d) throw Napi::RangeError::New(env, "plan.signalMask entry out of range");
    plan.signal_mask.push_back(static_cast<int>(d));
  }
  plan.setsid = Bool(obj, "setsid");
  Napi::Value groups = Get(obj, "groups");
  if (groups.IsArray()) {
    plan.set_groups = true;
    for (double d : NumberArray(env, obj, "groups")) plan.groups.push_back(static_cast<gid_t>(IdValue(env, d, "groups", "plan.")));
    if (plan.groups.size() > 65536) throw Napi::RangeError::New(env, "plan.groups has too many entries");
  }
  uint32_t id = 0;
  if (PropId(env, obj, "gid", "plan.", &id)) plan.set_gid = true, plan.gid = static_cast<gid_t>(id);
  if (PropId(env, obj, "uid", "plan.", &id)) plan.set_uid = true, plan.uid = static_cast<uid_t>(id);
  plan.parent_death_signal = static_cast<int>(PropInteger(env, obj, "parentDeathSignal", 0, 64, 0, "plan."));
  plan.no_new_privs = Bool(obj, "noNewPrivs");
  plan.umask = static_cast<int>(PropInteger(env, obj, "umask", -1, 0777, -1, "plan."));
  auto capMask = [&](const char* key, bool* present) {
    *present = Get(obj, key).IsArray();
    uint64_t mask = 0;
    for (double d : NumberArray(env, obj, key)) {
      if (!(d >= 0 && d < 64) || std::floor(d) != d) throw Napi::RangeError::New(env, std::string("plan.") + key + " entry out of range");
      mask |= 1ULL << static_cast<int>(d);
    }
    return mask;
  };
  plan.ambient_caps = capMask("ambientCaps", &plan.set_ambient);
  plan.bounding_keep = capMask("boundingKeep", &plan.set_bounding);
  Napi::Value chroot = Get(obj, "chroot");
  if (chroot.IsString()) {
    plan.has_chroot = true;
    plan.chroot = chroot.As<Napi::String>().Utf8Value();
    if (plan.chroot.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "plan.chroot must not contain null bytes");
  }
  Napi::Value cgroup = Get(obj, "cgroup");
  if (cgroup.IsString()) {
    plan.cgroup = cgroup.As<Napi::String>().Utf8Value();
    if (plan.cgroup.empty() || plan.cgroup.find('\0') != std::string::npos) throw Napi::TypeError::New(env, "plan.cgroup must be a directory");
  }
  plan.exec_fd = static_cast<int>(PropInteger(env, obj, "execFd", -1, 2147483647.0, -1, "plan."));
  Napi::Value reset_tty = Get(obj, "resetTty");
  plan.reset_tty = !reset_tty.IsBoolean() || reset_tty.As<Napi::Boolean>().Value();

  ExecFailure failure;
  ExecInPlace(plan, &failure);

  Napi::Object out = Napi::Object::New(env);
  out.Set("errno", Napi::Number::New(env, failure.err));
  out.Set("syscall", Napi::String::New(env, failure.syscall));
  out.Set("stage", Napi::String::New(env, failure.stage));
  out.Set("pathIndex", Napi::Number::New(env, failure.path_index));
  Napi::Array unrestored = Napi::Array::New(env, failure.unrestored.size());
  for (size_t i = 0; i < failure.unrestored.size(); i++) {
    unrestored.Set(static_cast<uint32_t>(i), Napi::String::New(env, failure.unrestored[i]));
  }
  out.Set("unrestored", unrestored);
  return out;
}

// Runs one turn of the event loop (blocking until something happens), so queued
// stdout/stderr writes make progress while execve waits for them.
//
// This is a uv_run() nested inside a callback of the outer one, which libuv does
// not support in general. Node's setImmediate processing is the part that breaks:
// re-entered from inside an immediate callback with more immediates queued, it
// aborts the process (FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal). So the
// check and idle handles (Node's immediate queue runs from a uv_check_t; its
// uv_idle_t keeps the poll from blocking while immediates wait) are stopped for
// the nested turn and started again after it: queued immediates wait until exec
// has returned. Timers and I/O callbacks still run (see docs/exec.md).
struct PausedHandles {
  std::vector<std::pair<uv_check_t*, uv_check_cb>> checks;
  std::vector<std::pair<uv_idle_t*, uv_idle_cb>> idles;
};

Napi::Value RunLoopOnce(const Napi::CallbackInfo& info) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(info.Env(), &loop) != napi_ok || loop == nullptr) {
    throw Napi::Error::New(info.Env(), "no event loop");
  }
  PausedHandles paused;
  uv_walk(
      loop,
      [](uv_handle_t* handle, void* arg) {
        if (!uv_is_active(handle) || uv_is_closing(handle)) return;
        auto* p = static_cast<PausedHandles*>(arg);
        if (handle->type == UV_CHECK) {
          auto* check = reinterpret_cast<uv_check_t*>(handle);
          p->checks.emplace_back(check, check->check_cb);
        } else if (handle->type == UV_IDLE) {
          auto* idle = reinterpret_cast<uv_idle_t*>(handle);
          p->idles.emplace_back(idle, idle->idle_cb);
        }
      },
      &paused);
  for (auto& c : paused.checks) uv_check_stop(c.first);
  for (auto& i : paused.idles) uv_idle_stop(i.first);
  int alive = uv_run(loop, UV_RUN_ONCE);
  // A paused handle may have been closed and freed by its owner during that
  // turn: only handles still in the loop's list (closed ones leave it before
  // their close callback frees them) are touched again.
  std::vector<uv_handle_t*> live;
  uv_walk(
      loop, [](uv_handle_t* handle, void* arg) { static_cast<std::vector<uv_handle_t*>*>(arg)->push_back(handle); },
      &live);
  auto still_open = [&live](void* h) {
    auto* handle = static_cast<uv_handle_t*>(h);
    return std::find(live.begin(), live.end(), handle) != live.end() && !uv_is_closing(handle);
  };
  // Started again in reverse, so they keep their order (uv_*_start inserts at
  // the head of the loop's list).
  for (auto it = paused.checks.rbegin(); it != paused.checks.rend(); ++it) {
    if (still_open(it->first)) uv_check_start(it->first, it->second);
  }
  for (auto it = paused.idles.rbegin(); it != paused.idles.rend(); ++it) {
    if (still_open(it->first)) uv_idle_start(it->first, it->second);
  }
  return Napi::Boolean::New(info.Env(), alive != 0);
}

// A close-on-exec duplicate (>= 3) of fd: keeps a listening socket open after
// Node closes its own handle, so it can be passed on with inheritFds.
Napi::Value DuplicateFd(const Napi::CallbackInfo& info) {
  int fd = ArgInt32(info, 0, "fd");
  int r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (r < 0) ThrowSystemError(info.Env(), errno, "fcntl");
  return Napi::Number::New(info.Env(), r);
}

}  // namespace

void InitExec(Napi::Env env, Napi::Object exports) {
  exports.Set("execInPlace", Napi::Function::New(env, ExecInPlaceJs));
  exports.Set("runLoopOnce", Napi::Function::New(env, RunLoopOnce));
  exports.Set("duplicateFd", Napi::Function::New(env, DuplicateFd));
}

}  // namespace procctl
