// Binding-layer helpers shared by every *_binding.cc file: argument reading and
// the conversion of a negative errno into the JS SystemError built by lib/errors.ts.
// Only binding files include this; the mechanics (*_posix.cc, *_linux.cc) never
// see an N-API type.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace procctl {

// Builds (does not throw) the JS SystemError for a positive errno value.
// `path` and `context` may be null; `context` is appended in parentheses.
Napi::Error MakeSystemError(Napi::Env env, int err, const char* syscall,
                            const char* path = nullptr,
                            const char* context = nullptr);

// Throws the JS SystemError (C++ exception, turned into a JS throw by node-addon-api).
[[noreturn]] void ThrowSystemError(Napi::Env env, int err, const char* syscall,
                                   const char* path = nullptr,
                                   const char* context = nullptr);

// A mechanics result (>= 0, or -errno) as a JS number; a negative one throws the
// SystemError for `syscall`.
Napi::Value CheckResult(Napi::Env env, long r, const char* syscall);

// Argument readers. lib/ validates with Node's error codes first; these are the
// cheap second line so a wrong internal call throws a TypeError instead of crashing.
int32_t ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* name);
uint32_t ArgUint32(const Napi::CallbackInfo& info, size_t i, const char* name);
int64_t ArgInt64(const Napi::CallbackInfo& info, size_t i, const char* name);
double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* name);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
// A JS array of strings as owned C++ strings (for argv/envp building).
std::vector<std::string> ArgStringArray(const Napi::CallbackInfo& info, size_t i,
                                        const char* name);
std::vector<int32_t> ArgInt32Array(const Napi::CallbackInfo& info, size_t i,
                                   const char* name);

// Array-valued properties of a request object built by lib/ (spawn, exec plans).
// `where` prefixes error messages ("spawn: ", "plan."). Strings with NUL bytes
// throw ERR_INVALID_ARG_VALUE; a null/undefined number array is empty; an array
// longer than kMaxRequestArray throws a RangeError before anything is read.
constexpr uint32_t kMaxRequestArray = 1u << 20;
std::vector<std::string> PropStringArray(Napi::Env env, const Napi::Object& obj,
                                         const char* key, const char* where);
std::vector<double> PropNumberArray(Napi::Env env, const Napi::Object& obj,
                                    const char* key, const char* where);
// A whole number in [min, max] (NaN, fractions and anything outside are a
// RangeError, never a wrapped or truncated value), or `dflt` when the property
// is null/undefined.
double PropInteger(Napi::Env env, const Napi::Object& obj, const char* key, double min,
                   double max, double dflt, const char* where);
// A uid/gid: null/undefined -> false (leave unchanged); else 0 .. 2^32-2 (the
// kernel reads (uid_t)-1 as "unchanged"), anything else a RangeError.
bool PropId(Napi::Env env, const Napi::Object& obj, const char* key, const char* where,
            uint32_t* out);
// One array entry as an id (see PropId), for groups lists.
uint32_t IdValue(Napi::Env env, double d, const char* key, const char* where);

// Per-module registration, called once from addon.cc.
void InitErrors(Napi::Env env, Napi::Object exports);
void InitProcess(Napi::Env env, Napi::Object exports);
void InitWait(Napi::Env env, Napi::Object exports);
void InitFd(Napi::Env env, Napi::Object exports);
void InitExec(Napi::Env env, Napi::Object exports);
void InitSpawn(Napi::Env env, Napi::Object exports);
void InitSignals(Napi::Env env, Napi::Object exports);
void InitUsers(Napi::Env env, Napi::Object exports);
void InitTree(Napi::Env env, Napi::Object exports);
void InitResources(Napi::Env env, Napi::Object exports);

}  // namespace procctl

#include "proc.h"

namespace procctl {
// {userCPUTime, systemCPUTime, maxRSS, minorPageFault, majorPageFault,
//  voluntaryContextSwitches, involuntaryContextSwitches}: process.resourceUsage() names.
Napi::Object RusageToJs(Napi::Env env, const Rusage& ru);
// {pid, status, exited, exitCode, signalNumber, coreDumped, stopped, continued}
// from a raw wait status; lib/wait.ts turns numbers into names.
Napi::Object WaitStatusToJs(Napi::Env env, pid_t pid, int status);
}  // namespace procctl
