// Binding for signals (to be filled in by its issue).
#include "binding.h"

namespace procctl {

void InitSignals(Napi::Env env, Napi::Object exports) {
  (void)env;
  (void)exports;
}

}  // namespace procctl
