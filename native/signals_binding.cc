// Binding for native signal forwarding, the Reaper's peek, and PID 1's default
// signal actions (lib/pid1.ts).
#include "binding.h"
#include "reaper.h"
#include "signals.h"

#include <uv.h>

#include <vector>

namespace procctl {

namespace {

Napi::Value PipeFd(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SignalPipeReadFd(), "pipe2");
}
Napi::Value Install(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SignalForwardInstall(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value Restore(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SignalForwardRestore(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value Snapshot(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SignalSnapshot(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value SnapshotRestore(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SignalSnapshotRestore(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value Disposition(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SignalDisposition(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value SetDisposition(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(),
               SignalSetDisposition(ArgInt32(info, 0, "signal"), ArgBool(info, 1, "ignore")),
               "sigaction");
}
Napi::Value ExitAsDefaultInstall(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SignalExitAsDefaultInstall(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value ExitAsDefaultRemove(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SignalExitAsDefaultRemove(ArgInt32(info, 0, "signal")), "sigaction");
}

Napi::Value PeekExited(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), ReaperPeekExited(), "waitid");
}

// The pids of every child libuv is waiting for on Node's loop: child_process
// children, ref'd or unref'd, whenever and by whoever they were spawned. libuv
// keeps a uv_process_t for each until it has reaped it, so the Reaper must
// leave these pids alone. uv_walk visits unref'd handles too (unlike
// process._getActiveHandles()).
Napi::Value LibuvChildren(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    throw Napi::Error::New(env, "no event loop");
  }
  std::vector<int> pids;
  uv_walk(
      loop,
      [](uv_handle_t* handle, void* arg) {
        if (handle->type != UV_PROCESS || uv_is_closing(handle)) return;
        int pid = reinterpret_cast<uv_process_t*>(handle)->pid;
        if (pid > 0) static_cast<std::vector<int>*>(arg)->push_back(pid);
      },
      &pids);
  Napi::Array out = Napi::Array::New(env, pids.size());
  for (size_t i = 0; i < pids.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, pids[i]));
  return out;
}

}  // namespace

void InitSignals(Napi::Env env, Napi::Object exports) {
  exports.Set("signalPipeFd", Napi::Function::New(env, PipeFd));
  exports.Set("signalForwardInstall", Napi::Function::New(env, Install));
  exports.Set("signalForwardRestore", Napi::Function::New(env, Restore));
  exports.Set("signalSnapshot", Napi::Function::New(env, Snapshot));
  exports.Set("signalSnapshotRestore", Napi::Function::New(env, SnapshotRestore));
  exports.Set("signalDisposition", Napi::Function::New(env, Disposition));
  exports.Set("signalSetDisposition", Napi::Function::New(env, SetDisposition));
  exports.Set("reaperPeekExited", Napi::Function::New(env, PeekExited));
  exports.Set("reaperLibuvChildren", Napi::Function::New(env, LibuvChildren));
  exports.Set("signalExitAsDefaultInstall", Napi::Function::New(env, ExitAsDefaultInstall));
  exports.Set("signalExitAsDefaultRemove", Napi::Function::New(env, ExitAsDefaultRemove));
}

}  // namespace procctl
