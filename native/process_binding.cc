// Binding for the direct process calls: session/group, _exit, prctl.
#include "binding.h"

#include <cerrno>

namespace procctl {

namespace {

Napi::Value Setsid(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SysSetsid(), "setsid");
}
Napi::Value Getsid(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SysGetsid(ArgInt32(info, 0, "pid")), "getsid");
}
Napi::Value Setpgid(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(),
               SysSetpgid(ArgInt32(info, 0, "pid"), ArgInt32(info, 1, "pgid")),
               "setpgid");
}
Napi::Value Getpgid(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), SysGetpgid(ArgInt32(info, 0, "pid")), "getpgid");
}
Napi::Value Exit(const Napi::CallbackInfo& info) {
  SysExit(ArgInt32(info, 0, "code"));
}

Napi::Value SetPdeathsig(const Napi::CallbackInfo& info) {
  CheckResult(info.Env(), PrSetParentDeathSignal(ArgInt32(info, 0, "signal")), "prctl");
  return info.Env().Undefined();
}
Napi::Value GetPdeathsig(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), PrGetParentDeathSignal(), "prctl");
}
Napi::Value SetSubreaper(const Napi::CallbackInfo& info) {
  CheckResult(info.Env(), PrSetChildSubreaper(ArgBool(info, 0, "on")), "prctl");
  return info.Env().Undefined();
}
Napi::Value GetSubreaper(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(),
                            CheckResult(info.Env(), PrGetChildSubreaper(), "prctl")
                                    .As<Napi::Number>()
                                    .Int32Value() != 0);
}
Napi::Value SetNoNewPrivs(const Napi::CallbackInfo& info) {
  CheckResult(info.Env(), PrSetNoNewPrivs(), "prctl");
  return info.Env().Undefined();
}
Napi::Value GetNoNewPrivs(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(),
                            CheckResult(info.Env(), PrGetNoNewPrivs(), "prctl")
                                    .As<Napi::Number>()
                                    .Int32Value() != 0);
}
Napi::Value SetName(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  CheckResult(info.Env(), PrSetName(name.c_str()), "prctl");
  return info.Env().Undefined();
}
Napi::Value GetName(const Napi::CallbackInfo& info) {
  char buf[17];
  CheckResult(info.Env(), PrGetName(buf), "prctl");
  return Napi::String::New(info.Env(), buf);
}

}  // namespace

void InitProcess(Napi::Env env, Napi::Object exports) {
  exports.Set("setsid", Napi::Function::New(env, Setsid));
  exports.Set("getsid", Napi::Function::New(env, Getsid));
  exports.Set("setpgid", Napi::Function::New(env, Setpgid));
  exports.Set("getpgid", Napi::Function::New(env, Getpgid));
  exports.Set("exit", Napi::Function::New(env, Exit));
  exports.Set("setParentDeathSignal", Napi::Function::New(env, SetPdeathsig));
  exports.Set("getParentDeathSignal", Napi::Function::New(env, GetPdeathsig));
  exports.Set("setChildSubreaper", Napi::Function::New(env, SetSubreaper));
  exports.Set("isChildSubreaper", Napi::Function::New(env, GetSubreaper));
  exports.Set("setNoNewPrivs", Napi::Function::New(env, SetNoNewPrivs));
  exports.Set("getNoNewPrivs", Napi::Function::New(env, GetNoNewPrivs));
  exports.Set("setProcessName", Napi::Function::New(env, SetName));
  exports.Set("getProcessName", Napi::Function::New(env, GetName));
}

}  // namespace procctl
