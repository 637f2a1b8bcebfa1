// The one place a JS SystemError is built from an errno. lib/errors.ts hands its
// factory to the addon once per environment (setErrorFactory); every binding throws
// through it, so native and JS errors share one class, one message format, one code map.
#include "binding.h"

#include <cmath>

#include <cerrno>
#include <cstring>

namespace procctl {

namespace {

struct AddonData {
  Napi::FunctionReference error_factory;
};

AddonData* Data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw Napi::TypeError::New(info.Env(), "setErrorFactory expects a function");
  }
  Data(info.Env())->error_factory =
      Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

[[noreturn]] void ThrowArg(const Napi::CallbackInfo& info, const char* name,
                           const char* what) {
  std::string msg = std::string("The \"") + name + "\" argument must be " + what;
  Napi::TypeError err = Napi::TypeError::New(info.Env(), msg);
  err.Set("code", Napi::String::New(info.Env(), "ERR_INVALID_ARG_TYPE"));
  throw err;
}

}  // namespace

Napi::Error MakeSystemError(Napi::Env env, int err, const char* syscall,
                            const char* path, const char* context) {
  AddonData* data = Data(env);
  Napi::Value vpath = path ? Napi::String::New(env, path) : env.Undefined();
  Napi::Value vctx = context ? Napi::String::New(env, context) : env.Undefined();
  if (data != nullptr && !data->error_factory.IsEmpty()) {
    Napi::Value made = data->error_factory.Call(
        {Napi::Number::New(env, err), Napi::String::New(env, syscall), vpath, vctx});
    if (made.IsObject()) return Napi::Error(env, made);
  }
  // Factory not installed (addon loaded directly): still a useful error.
  Napi::Error e = Napi::Error::New(
      env, std::string(strerror(err)) + ", " + syscall);
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

void ThrowSystemError(Napi::Env env, int err, const char* syscall,
                      const char* path, const char* context) {
  throw MakeSystemError(env, err, syscall, path, context);
}

Napi::Value CheckResult(Napi::Env env, long r, const char* syscall) {
  if (r < 0) ThrowSystemError(env, static_cast<int>(-r), syscall);
  return Napi::Number::New(env, static_cast<double>(r));
}

int32_t ArgInt32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) ThrowArg(info, name, "a number");
  return info[i].As<Napi::Number>().Int32Value();
}

uint32_t ArgUint32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) ThrowArg(info, name, "a number");
  return info[i].As<Napi::Number>().Uint32Value();
}

int64_t ArgInt64(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) ThrowArg(info, name, "a number");
  return info[i].As<Napi::Number>().Int64Value();
}

double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) ThrowArg(info, name, "a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsBoolean()) ThrowArg(info, name, "a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsString()) ThrowArg(info, name, "a string");
  std::string s = info[i].As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) {
    Napi::TypeError err = Napi::TypeError::New(
        info.Env(), std::string("The \"") + name + "\" argument must not contain null bytes");
    err.Set("code", Napi::String::New(info.Env(), "ERR_INVALID_ARG_VALUE"));
    throw err;
  }
  return s;
}

std::vector<std::string> ArgStringArray(const Napi::CallbackInfo& info, size_t i,
                                        const char* name) {
  if (i >= info.Length() || !info[i].IsArray()) ThrowArg(info, name, "an array of strings");
  Napi::Array arr = info[i].As<Napi::Array>();
  const uint32_t length = arr.Length();
  if (length > kMaxRequestArray) ThrowArg(info, name, "an array of at most 1048576 strings");
  std::vector<std::string> out;
  out.reserve(length);
  for (uint32_t k = 0; k < length; k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsString()) ThrowArg(info, name, "an array of strings");
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s.find('\0') != std::string::npos) {
      Napi::TypeError err = Napi::TypeError::New(
          info.Env(), std::string("The \"") + name + "\" argument must not contain null bytes");
      err.Set("code", Napi::String::New(info.Env(), "ERR_INVALID_ARG_VALUE"));
      throw err;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<int32_t> ArgInt32Array(const Napi::CallbackInfo& info, size_t i,
                                   const char* name) {
  if (i >= info.Length() || !info[i].IsArray()) ThrowArg(info, name, "an array of numbers");
  Napi::Array arr = info[i].As<Napi::Array>();
  const uint32_t length = arr.Length();
  if (length > kMaxRequestArray) ThrowArg(info, name, "an array of at most 1048576 numbers");
  std::vector<int32_t> out;
  out.reserve(length);
  for (uint32_t k = 0; k < length; k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsNumber()) ThrowArg(info, name, "an array of numbers");
    out.push_back(v.As<Napi::Number>().Int32Value());
  }
  return out;
}

std::vector<std::string> PropStringArray(Napi::Env env, const Napi::Object& obj,
                                         const char* key, const char* where) {
  Napi::Value v = obj.Get(key);
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(where) + key + " must be an array");
  Napi::Array arr = v.As<Napi::Array>();
  const uint32_t length = arr.Length();
  if (length > kMaxRequestArray) throw Napi::RangeError::New(env, std::string(where) + key + " is too long");
  std::vector<std::string> out;
  out.reserve(length);
  for (uint32_t i = 0; i < length; i++) {
    Napi::Value e = arr.Get(i);
    if (!e.IsString()) throw Napi::TypeError::New(env, std::string(where) + key + " must hold strings");
    std::string str = e.As<Napi::String>().Utf8Value();
    if (str.find('\0') != std::string::npos) {
      Napi::TypeError err = Napi::TypeError::New(env, std::string(where) + key + " must not contain null bytes");
      err.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_VALUE"));
      throw err;
    }
    out.push_back(std::move(str));
  }
  return out;
}

std::vector<double> PropNumberArray(Napi::Env env, const Napi::Object& obj,
                                    const char* key, const char* where) {
  Napi::Value v = obj.Get(key);
  std::vector<double> out;
  if (v.IsNull() || v.IsUndefined()) return out;
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(where) + key + " must be an array");
  Napi::Array arr = v.As<Napi::Array>();
  const uint32_t length = arr.Length();
  if (length > kMaxRequestArray) throw Napi::RangeError::New(env, std::string(where) + key + " is too long");
  out.reserve(length);
  for (uint32_t i = 0; i < length; i++) {
    Napi::Value e = arr.Get(i);
    if (!e.IsNumber()) throw Napi::TypeError::New(env, std::string(where) + key + " must hold numbers");
    out.push_back(e.As<Napi::Number>().DoubleValue());
  }
  return out;
}

double PropInteger(Napi::Env env, const Napi::Object& obj, const char* key, double min,
                   double max, double dflt, const char* where) {
  Napi::Value v = obj.Get(key);
  if (v.IsNull() || v.IsUndefined()) return dflt;
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(where) + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  // NaN fails every comparison, so it lands here too.
  if (!(d >= min && d <= max) || std::floor(d) != d) {
    throw Napi::RangeError::New(env, std::string(where) + key + " is out of range");
  }
  return d;
}

uint32_t IdValue(Napi::Env env, double d, const char* key, const char* where) {
  if (!(d >= 0 && d <= 4294967294.0) || std::floor(d) != d) {
    throw Napi::RangeError::New(env, std::string(where) + key + " is not an id 0..4294967294");
  }
  return static_cast<uint32_t>(d);
}

bool PropId(Napi::Env env, const Napi::Object& obj, const char* key, const char* where,
            uint32_t* out) {
  Napi::Value v = obj.Get(key);
  if (v.IsNull() || v.IsUndefined()) return false;
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(where) + key + " must be a number");
  *out = IdValue(env, v.As<Napi::Number>().DoubleValue(), key, where);
  return true;
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory));
}

}  // namespace procctl
