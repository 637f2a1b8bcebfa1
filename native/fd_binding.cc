// Binding for fd flag calls (FD_CLOEXEC, O_NONBLOCK).
#include "binding.h"

namespace procctl {

namespace {

Napi::Value Flag(const Napi::CallbackInfo& info, long r, const char* syscall) {
  if (r < 0) ThrowSystemError(info.Env(), static_cast<int>(-r), syscall);
  return Napi::Boolean::New(info.Env(), r == 1);
}

Napi::Value GetCloexec(const Napi::CallbackInfo& info) {
  return Flag(info, FdGetCloexec(ArgInt32(info, 0, "fd")), "fcntl");
}
Napi::Value SetCloexec(const Napi::CallbackInfo& info) {
  Flag(info, FdSetCloexec(ArgInt32(info, 0, "fd"), ArgBool(info, 1, "on")), "fcntl");
  return info.Env().Undefined();
}
Napi::Value GetNonblock(const Napi::CallbackInfo& info) {
  return Flag(info, FdGetNonblock(ArgInt32(info, 0, "fd")), "fcntl");
}
Napi::Value SetNonblock(const Napi::CallbackInfo& info) {
  Flag(info, FdSetNonblock(ArgInt32(info, 0, "fd"), ArgBool(info, 1, "on")), "fcntl");
  return info.Env().Undefined();
}

}  // namespace

void InitFd(Napi::Env env, Napi::Object exports) {
  exports.Set("getCloexec", Napi::Function::New(env, GetCloexec));
  exports.Set("setCloexec", Napi::Function::New(env, SetCloexec));
  exports.Set("getNonblock", Napi::Function::New(env, GetNonblock));
  exports.Set("setNonblock", Napi::Function::New(env, SetNonblock));
}

}  // namespace procctl
