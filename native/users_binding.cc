// Binding for user/group look-ups: lookupUser, lookupGroup, userGroupList.
#include "binding.h"
#include "users.h"

namespace procctl {

namespace {

Napi::Value UserToJs(Napi::Env env, const UserEntry& u) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", Napi::String::New(env, u.name));
  o.Set("uid", Napi::Number::New(env, u.uid));
  o.Set("gid", Napi::Number::New(env, u.gid));
  o.Set("home", Napi::String::New(env, u.home));
  o.Set("shell", Napi::String::New(env, u.shell));
  return o;
}

// lookupUser(name: string | uid: number) -> entry | null
Napi::Value LookupUser(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UserEntry u;
  int r = info.Length() > 0 && info[0].IsNumber()
              ? LookupUserById(ArgUint32(info, 0, "uid"), &u)
              : LookupUserByName(ArgString(info, 0, "name"), &u);
  if (r < 0) ThrowSystemError(env, -r, "getpwnam_r");
  return r == 0 ? env.Null() : UserToJs(env, u);
}

Napi::Value LookupGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GroupEntry g;
  int r = info.Length() > 0 && info[0].IsNumber()
              ? LookupGroupById(ArgUint32(info, 0, "gid"), &g)
              : LookupGroupByName(ArgString(info, 0, "name"), &g);
  if (r < 0) ThrowSystemError(env, -r, "getgrnam_r");
  if (r == 0) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", Napi::String::New(env, g.name));
  o.Set("gid", Napi::Number::New(env, g.gid));
  return o;
}

Napi::Value GroupList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<gid_t> groups;
  int r = UserGroupList(ArgString(info, 0, "name"), ArgUint32(info, 1, "gid"), &groups);
  if (r < 0) ThrowSystemError(env, -r, "getgrouplist");
  Napi::Array arr = Napi::Array::New(env, groups.size());
  for (size_t i = 0; i < groups.size(); i++) arr.Set(static_cast<uint32_t>(i), Napi::Number::New(env, groups[i]));
  return arr;
}

}  // namespace

void InitUsers(Napi::Env env, Napi::Object exports) {
  exports.Set("lookupUser", Napi::Function::New(env, LookupUser));
  exports.Set("lookupGroup", Napi::Function::New(env, LookupGroup));
  exports.Set("userGroupList", Napi::Function::New(env, GroupList));
}

}  // namespace procctl
