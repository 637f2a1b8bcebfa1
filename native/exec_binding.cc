// Binding for exec (to be filled in by its issue).
#include "binding.h"

namespace procctl {

void InitExec(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace procctl
