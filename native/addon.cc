// Addon entry point: registers each module's exports and nothing else.
#include "binding.h"

namespace procctl {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitErrors(env, exports);
  InitProcess(env, exports);
  InitWait(env, exports);
  InitFd(env, exports);
  InitExec(env, exports);
  InitSpawn(env, exports);
  InitSignals(env, exports);
  InitUsers(env, exports);
  InitTree(env, exports);
  InitResources(env, exports);
  return exports;
}

}  // namespace procctl

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return procctl::Init(env, exports);
}

NODE_API_MODULE(procctl, InitAddon)
