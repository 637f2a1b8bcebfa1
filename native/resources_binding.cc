// Binding for resource limits, nice and CPU affinity of a running process.
// lib/resources.ts validates names and ranges first; the checks here only keep
// a wrong internal call from doing something else than asked.
#include "binding.h"
#include "resources.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <string>

namespace procctl {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

Napi::Value LimitToJs(Napi::Env env, uint64_t v) {
  if (v == kRlimUnlimited) return Napi::Number::New(env, INFINITY);
  return Napi::Number::New(env, static_cast<double>(v));
}

// -1 stands for unlimited (lib/rlimits.ts toRlimit).
uint64_t LimitFromJs(Napi::Env env, double v) {
  if (v == -1) return kRlimUnlimited;
  if (!(v >= 0 && v <= kMaxSafeInteger) || std::floor(v) != v) throw Napi::RangeError::New(env, "setrlimit: value out of range");
  return static_cast<uint64_t>(v);
}

// getrlimit(resource) -> [soft, hard], Infinity for unlimited
Napi::Value GetRlimit(const Napi::CallbackInfo& info) {
  uint64_t soft = 0, hard = 0;
  int r = GetResourceLimit(ArgInt32(info, 0, "resource"), &soft, &hard);
  if (r < 0) ThrowSystemError(info.Env(), -r, "getrlimit");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, LimitToJs(info.Env(), soft));
  out.Set(1u, LimitToJs(info.Env(), hard));
  return out;
}

// setrlimit(resource, soft, hard, name)
Napi::Value SetRlimit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int resource = ArgInt32(info, 0, "resource");
  const uint64_t soft = LimitFromJs(env, ArgNumber(info, 1, "soft"));
  const uint64_t hard = LimitFromJs(env, ArgNumber(info, 2, "hard"));
  const std::string name = ArgString(info, 3, "name");
  int r = SetResourceLimit(resource, soft, hard);
  if (r < 0) ThrowSystemError(env, -r, "setrlimit", nullptr, name.c_str());
  return env.Undefined();
}

Napi::Value GetNiceJs(const Napi::CallbackInfo& info) {
  int nice = 0;
  int r = GetNice(ArgInt32(info, 0, "pid"), &nice);
  if (r < 0) ThrowSystemError(info.Env(), -r, "getpriority");
  return Napi::Number::New(info.Env(), nice);
}

Napi::Value SetNiceJs(const Napi::CallbackInfo& info) {
  const int32_t nice = ArgInt32(info, 1, "priority");
  if (nice < -20 || nice > 19) throw Napi::RangeError::New(info.Env(), "setPriority: priority out of range");
  return CheckResult(info.Env(), SetNiceAllThreads(ArgInt32(info, 0, "pid"), nice), "setpriority");
}

Napi::Value GetAffinity(const Napi::CallbackInfo& info) {
  std::vector<int> cpus;
  int r = GetCpuAffinity(ArgInt32(info, 0, "pid"), &cpus);
  if (r < 0) ThrowSystemError(info.Env(), -r, "sched_getaffinity");
  Napi::Array out = Napi::Array::New(info.Env(), cpus.size());
  for (size_t i = 0; i < cpus.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), cpus[i]));
  return out;
}

// setCpuAffinity(pid, cpus): a refusal names the CPUs the process may not use.
Napi::Value SetAffinity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const pid_t pid = ArgInt32(info, 0, "pid");
  std::vector<int32_t> cpus = ArgInt32Array(info, 1, "cpus");
  if (cpus.empty()) throw Napi::RangeError::New(env, "setCpuAffinity: no CPU given");
  for (int32_t cpu : cpus) {
    if (cpu < 0 || cpu > 65535) throw Napi::RangeError::New(env, "setCpuAffinity: CPU out of range");
  }
  std::vector<int> wanted(cpus.begin(), cpus.end());
  std::vector<int> rejected;
  int r = SetCpuAffinityAllThreads(pid, wanted, &rejected);
  if (r == 0) return env.Undefined();
  if (r == -EINVAL) {
    // The kernel refused the whole mask (no usable CPU in it), or dropped some.
    std::vector<int> list = rejected.empty() ? wanted : rejected;
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    std::string context = list.size() > 1 ? "CPUs" : "CPU";
    for (size_t i = 0; i < list.size(); i++) context += (i == 0 ? " " : ", ") + std::to_string(list[i]);
    context += list.size() > 1 ? " are" : " is";
    context += " absent, offline or outside this process's cpuset; no thread changed";
    ThrowSystemError(env, EINVAL, "sched_setaffinity", nullptr, context.c_str());
  }
  ThrowSystemError(env, -r, "sched_setaffinity");
}

}  // namespace

void InitResources(Napi::Env env, Napi::Object exports) {
  exports.Set("getrlimit", Napi::Function::New(env, GetRlimit));
  exports.Set("setrlimit", Napi::Function::New(env, SetRlimit));
  exports.Set("getNice", Napi::Function::New(env, GetNiceJs));
  exports.Set("setNice", Napi::Function::New(env, SetNiceJs));
  exports.Set("getCpuAffinity", Napi::Function::New(env, GetAffinity));
  exports.Set("setCpuAffinity", Napi::Function::New(env, SetAffinity));
}

}  // namespace procctl
