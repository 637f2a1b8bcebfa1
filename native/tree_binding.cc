// Binding for killTree: the walk runs on a libuv pool thread (it waits for
// processes to stop, which may take a while on a busy machine, and the event
// loop must keep turning meanwhile), and settles a promise. Also pidfd_open,
// which the cgroup path uses to signal the pids it read from cgroup.procs.
#include "binding.h"
#include "cgroup.h"
#include "tree.h"

namespace procctl {

namespace {

class SignalTreeWorker : public Napi::AsyncWorker {
 public:
  SignalTreeWorker(Napi::Env env, pid_t root, int sig, int stop_timeout_ms)
      : Napi::AsyncWorker(env, "procctl.killTree"),
        deferred_(Napi::Promise::Deferred::New(env)),
        root_(root),
        sig_(sig),
        stop_timeout_ms_(stop_timeout_ms) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override { result_ = SignalTree(root_, sig_, stop_timeout_ms_, &outcome_); }

  // Settles with {errno (positive, 0 = none), signalled, refused, notStopped,
  // withoutPidfd}; lib/tree.ts turns an errno into the right error.
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("errno", Napi::Number::New(env, result_ < 0 ? -result_ : 0));
    o.Set("signalled", Napi::Number::New(env, outcome_.signalled));
    o.Set("refused", Napi::Number::New(env, outcome_.refused));
    o.Set("notStopped", Napi::Number::New(env, outcome_.not_stopped));
    o.Set("withoutPidfd", Napi::Number::New(env, outcome_.without_pidfd));
    deferred_.Resolve(o);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  pid_t root_;
  int sig_;
  int stop_timeout_ms_;
  int result_ = 0;
  TreeSignalOutcome outcome_;
};

// signalTree(pid, sig, stopTimeoutMs) -> Promise<outcome>
Napi::Value SignalTreeJs(const Napi::CallbackInfo& info) {
  const int32_t pid = ArgInt32(info, 0, "pid");
  const int32_t sig = ArgInt32(info, 1, "sig");
  const int32_t timeout = ArgInt32(info, 2, "stopTimeoutMs");
  if (pid <= 0 || sig <= 0 || sig > 64 || timeout < 0) {
    throw Napi::RangeError::New(info.Env(), "signalTree: pid, sig or stopTimeoutMs out of range");
  }
  auto* worker = new SignalTreeWorker(info.Env(), pid, sig, timeout);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value PidfdOpenJs(const Napi::CallbackInfo& info) {
  return CheckResult(info.Env(), PidfdOpen(ArgInt32(info, 0, "pid")), "pidfd_open");
}

// cgroupMake(parent, mountPoint, mountRoot, name) -> [fd, dir] on success,
// [-errno, dir, step] on failure (CgroupMakeStep): lib/cgroup.ts words the error.
Napi::Value CgroupMakeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string parent = ArgString(info, 0, "parent");
  std::string mount_point = ArgString(info, 1, "mountPoint");
  std::string mount_root = ArgString(info, 2, "mountRoot");
  std::string name = ArgString(info, 3, "name");
  std::string dir;
  int step = 0;
  int r = CgroupMake(parent, mount_point, mount_root, name, &dir, &step);
  Napi::Array out = Napi::Array::New(env, r < 0 ? 3 : 2);
  out.Set(0u, Napi::Number::New(env, r));
  out.Set(1u, Napi::String::New(env, dir));
  if (r < 0) out.Set(2u, Napi::Number::New(env, step));
  return out;
}

}  // namespace

void InitTree(Napi::Env env, Napi::Object exports) {
  exports.Set("signalTree", Napi::Function::New(env, SignalTreeJs));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpenJs));
  exports.Set("cgroupMake", Napi::Function::New(env, CgroupMakeJs));
}

}  // namespace procctl
