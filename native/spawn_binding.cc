// Binding for spawn (to be filled in by its issue).
#include "binding.h"

namespace procctl {

void InitSpawn(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace procctl
