// User and group database look-ups with the reentrant NSS calls.
#include "users.h"

#include <cerrno>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace procctl {

namespace {

// The *_r calls report "buffer too small" with ERANGE: grow and retry.
template <typename Fn>
int WithBuffer(Fn fn) {
  std::vector<char> buf(1024);
  for (;;) {
    int r = fn(buf.data(), buf.size());
    if (r != ERANGE || buf.size() > (1u << 22)) return r;
    buf.resize(buf.size() * 4);
  }
}

int FromPasswd(int r, struct passwd* found, UserEntry* out) {
  // Some NSS modules report "not found" as ENOENT/ESRCH/EBADF/EPERM instead of 0.
  if (found == nullptr) return (r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM) ? 0 : -r;
  out->name = found->pw_name ? found->pw_name : "";
  out->uid = found->pw_uid;
  out->gid = found->pw_gid;
  out->home = found->pw_dir ? found->pw_dir : "";
  out->shell = found->pw_shell ? found->pw_shell : "";
  return 1;
}

int FromGroup(int r, struct group* found, GroupEntry* out) {
  if (found == nullptr) return (r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM) ? 0 : -r;
  out->name = found->gr_name ? found->gr_name : "";
  out->gid = found->gr_gid;
  return 1;
}

}  // namespace

int LookupUserByName(const std::string& name, UserEntry* out) {
  int result = 0;
  WithBuffer([&](char* buf, size_t len) {
    struct passwd pw, *found = nullptr;
    int r = getpwnam_r(name.c_str(), &pw, buf, len, &found);
    if (r != ERANGE) result = FromPasswd(r, found, out);
    return r;
  });
  return result;
}

int LookupUserById(uid_t uid, UserEntry* out) {
  int result = 0;
  WithBuffer([&](char* buf, size_t len) {
    struct passwd pw, *found = nullptr;
    int r = getpwuid_r(uid, &pw, buf, len, &found);
    if (r != ERANGE) result = FromPasswd(r, found, out);
    return r;
  });
  return result;
}

int LookupGroupByName(const std::string& name, GroupEntry* out) {
  int result = 0;
  WithBuffer([&](char* buf, size_t len) {
    struct group gr, *found = nullptr;
    int r = getgrnam_r(name.c_str(), &gr, buf, len, &found);
    if (r != ERANGE) result = FromGroup(r, found, out);
    return r;
  });
  return result;
}

int LookupGroupById(gid_t gid, GroupEntry* out) {
  int result = 0;
  WithBuffer([&](char* buf, size_t len) {
    struct group gr, *found = nullptr;
    int r = getgrgid_r(gid, &gr, buf, len, &found);
    if (r != ERANGE) result = FromGroup(r, found, out);
    return r;
  });
  return result;
}

int UserGroupList(const std::string& name, gid_t gid, std::vector<gid_t>* out) {
  int n = 32;
  for (int tries = 0; tries < 16; tries++) {
    out->assign(static_cast<size_t>(n), 0);
    int count = n;
#ifdef __APPLE__
    // macOS declares getgrouplist with int group ids.
    int r = getgrouplist(name.c_str(), static_cast<int>(gid),
                         reinterpret_cast<int*>(out->data()), &count);
#else
    int r = getgrouplist(name.c_str(), gid, out->data(), &count);
#endif
    if (r >= 0) {
      out->resize(static_cast<size_t>(count));
      return 0;
    }
    n = count > n ? count : n * 2;
  }
  return -ENOMEM;
}

}  // namespace procctl
