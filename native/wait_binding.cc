// Binding for wait4 and the shared wait-status / rusage conversions.
#include "binding.h"

#include <sys/wait.h>

namespace procctl {

Napi::Object RusageToJs(Napi::Env env, const Rusage& ru) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("userCPUTime", Napi::Number::New(env, ru.user_us));
  o.Set("systemCPUTime", Napi::Number::New(env, ru.system_us));
  o.Set("maxRSS", Napi::Number::New(env, static_cast<double>(ru.max_rss_kb)));
  o.Set("minorPageFault", Napi::Number::New(env, static_cast<double>(ru.minor_faults)));
  o.Set("majorPageFault", Napi::Number::New(env, static_cast<double>(ru.major_faults)));
  o.Set("voluntaryContextSwitches",
        Napi::Number::New(env, static_cast<double>(ru.voluntary_switches)));
  o.Set("involuntaryContextSwitches",
        Napi::Number::New(env, static_cast<double>(ru.involuntary_switches)));
  return o;
}

Napi::Object WaitStatusToJs(Napi::Env env, pid_t pid, int status) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", Napi::Number::New(env, pid));
  o.Set("status", Napi::Number::New(env, status));
  Napi::Value null = env.Null();
  bool exited = WIFEXITED(status), signaled = WIFSIGNALED(status);
  bool stopped = WIFSTOPPED(status);
#ifdef WIFCONTINUED
  bool continued = WIFCONTINUED(status);
#else
  bool continued = false;
#endif
  o.Set("exitCode", exited ? Napi::Number::New(env, WEXITSTATUS(status)) : null);
  int sig = signaled ? WTERMSIG(status) : stopped ? WSTOPSIG(status) : 0;
  o.Set("signalNumber", sig ? Napi::Number::New(env, sig) : null);
#ifdef WCOREDUMP
  o.Set("coreDumped", Napi::Boolean::New(env, signaled && WCOREDUMP(status)));
#else
  o.Set("coreDumped", Napi::Boolean::New(env, false));
#endif
  o.Set("stopped", Napi::Boolean::New(env, stopped));
  o.Set("continued", Napi::Boolean::New(env, continued));
  return o;
}

namespace {

// wait4(pid, {nohang, untraced, continued}) -> null | decoded status with rusage.
Napi::Value Wait4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = ArgInt32(info, 0, "pid");
  bool nohang = ArgBool(info, 1, "nohang");
  bool untraced = ArgBool(info, 2, "untraced");
  bool continued = ArgBool(info, 3, "continued");
  WaitResult res = {};
  long r = SysWait4(pid, nohang, untraced, continued, &res);
  if (r < 0) ThrowSystemError(env, static_cast<int>(-r), "wait4");
  if (r == 0) return env.Null();
  Napi::Object o = WaitStatusToJs(env, res.pid, res.status);
  o.Set("rusage", RusageToJs(env, res.rusage));
  return o;
}

}  // namespace

void InitWait(Napi::Env env, Napi::Object exports) {
  exports.Set("wait4", Napi::Function::New(env, Wait4));
}

}  // namespace procctl
