// User and group database look-ups (getpwnam_r / getgrnam_r / getgrouplist),
// done in the parent before any fork: the child never touches NSS.
#pragma once

#include <sys/types.h>
#include <string>
#include <vector>

namespace procctl {

struct UserEntry {
  std::string name;
  uid_t uid;
  gid_t gid;
  std::string home;
  std::string shell;
};

struct GroupEntry {
  std::string name;
  gid_t gid;
};

// 1 found, 0 not found, -errno on a look-up failure.
int LookupUserByName(const std::string& name, UserEntry* out);
int LookupUserById(uid_t uid, UserEntry* out);
int LookupGroupByName(const std::string& name, GroupEntry* out);
int LookupGroupById(gid_t gid, GroupEntry* out);
// The user's groups from the group database, `gid` included. 0 or -errno.
int UserGroupList(const std::string& name, gid_t gid, std::vector<gid_t>* out);

}  // namespace procctl
