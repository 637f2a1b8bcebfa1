// Making a cgroup v2 directory for one child and opening it, in one call: the
// hot part of spawn({ cgroup: 'new' }). Plain C++, no N-API types.
#pragma once

#include <string>

namespace procctl {

// Which step of CgroupMake failed.
enum CgroupMakeStep {
  kCgroupOwn = 0,    // this process's cgroup v2 path is unreadable or outside the mount
  kCgroupMkdir = 1,  // mkdir of the new directory
  kCgroupOpen = 2,   // opening it (the directory was removed again)
  kCgroupNotV2 = 3,  // what was made is not on a cgroup v2 filesystem (removed again)
};

// Creates `<base>/<name>` and opens it O_RDONLY|O_DIRECTORY|O_CLOEXEC, where
// base is `parent` when it is not empty, else this process's own cgroup v2
// directory: `mount_point` joined with the `0::` path of /proc/self/cgroup
// minus `mount_root` (the mount's root within the hierarchy). The opened
// directory must be on a cgroup v2 filesystem (statfs), so a stale mount point
// is told apart from a real cgroup.
// Returns the fd with *dir set, or -errno with *step saying where (and *dir set
// once it is known). Linux only (-ENOSYS elsewhere).
int CgroupMake(const std::string& parent, const std::string& mount_point, const std::string& mount_root,
               const std::string& name, std::string* dir, int* step);

}  // namespace procctl
