// Binding for native signal forwarding, the Reaper's peek, and the terminal calls
// of `procctl init`.
#include "binding.h"
#include "reaper.h"
#include "signals.h"

namespace procctl {

namespace {

Napi::Value Check(Napi::Env env, long r, const char* syscall) {
  if (r < 0) ThrowSystemError(env, static_cast<int>(-r), syscall);
  return Napi::Number::New(env, static_cast<double>(r));
}

Napi::Value PipeFd(const Napi::CallbackInfo& info) {
  return Check(info.Env(), SignalPipeReadFd(), "pipe2");
}
Napi::Value Install(const Napi::CallbackInfo& info) {
  return Check(info.Env(), SignalForwardInstall(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value Restore(const Napi::CallbackInfo& info) {
  return Check(info.Env(), SignalForwardRestore(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value Snapshot(const Napi::CallbackInfo& info) {
  return Check(info.Env(), SignalSnapshot(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value SnapshotRestore(const Napi::CallbackInfo& info) {
  return Check(info.Env(), SignalSnapshotRestore(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value Disposition(const Napi::CallbackInfo& info) {
  return Check(info.Env(), SignalDisposition(ArgInt32(info, 0, "signal")), "sigaction");
}
Napi::Value SetDisposition(const Napi::CallbackInfo& info) {
  return Check(info.Env(),
               SignalSetDisposition(ArgInt32(info, 0, "signal"), ArgBool(info, 1, "ignore")),
               "sigaction");
}
Napi::Value SetForeground(const Napi::CallbackInfo& info) {
  return Check(info.Env(), TtySetForeground(ArgInt32(info, 0, "fd"), ArgInt32(info, 1, "pgrp")),
               "tcsetpgrp");
}
Napi::Value GetForeground(const Napi::CallbackInfo& info) {
  return Check(info.Env(), TtyGetForeground(ArgInt32(info, 0, "fd")), "tcgetpgrp");
}
Napi::Value GetSession(const Napi::CallbackInfo& info) {
  return Check(info.Env(), TtyGetSession(ArgInt32(info, 0, "fd")), "tcgetsid");
}

Napi::Value PeekExited(const Napi::CallbackInfo& info) {
  return Check(info.Env(), ReaperPeekExited(), "waitid");
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
  exports.Set("ttySetForeground", Napi::Function::New(env, SetForeground));
  exports.Set("ttyGetForeground", Napi::Function::New(env, GetForeground));
  exports.Set("ttyGetSession", Napi::Function::New(env, GetSession));
}

}  // namespace procctl
