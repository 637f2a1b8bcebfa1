// spawn({ cgroup: 'new' }) pays for a mkdir and an rmdir in the kernel; this
// file keeps the rest of making the cgroup (finding this process's own cgroup,
// building the path, creating and opening it) to one call with no JS file APIs
// in between. See cgroup.h.
#include "cgroup.h"

#include "proc.h"

#include <cerrno>

#ifdef __linux__

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

namespace procctl {

namespace {

// The `0::` line of /proc/self/cgroup (the v2 hierarchy), without the prefix.
// Hybrid hosts list a dozen v1 hierarchies before it.
int OwnCgroupPath(std::string* out) {
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  std::string text;
  int r = ReadToEndAndClose(fd, &text, 1u << 20);  // no real file is this long
  if (r < 0) return r;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (text.compare(at, 3, "0::") == 0) {
      out->assign(text, at + 3, end - at - 3);
      return 0;
    }
    at = end + 1;
  }
  return -ENOENT;
}

// Appends the components of `rel` to `*path` one '/' apart. False for a '.' or
// '..' component: a cgroup outside this namespace's view shows as /../x, and
// has no directory under the mount.
bool AppendComponents(std::string* path, const std::string& rel) {
  size_t at = 0;
  while (at <= rel.size()) {
    size_t end = rel.find('/', at);
    if (end == std::string::npos) end = rel.size();
    size_t len = end - at;
    if (len > 0) {
      if ((len == 1 && rel[at] == '.') || (len == 2 && rel[at] == '.' && rel[at + 1] == '.')) return false;
      if (path->empty() || path->back() != '/') path->push_back('/');
      path->append(rel, at, len);
    }
    at = end + 1;
  }
  return true;
}

}  // namespace

int CgroupMake(const std::string& parent, const std::string& mount_point, const std::string& mount_root,
               const std::string& name, std::string* dir, int* step) {
  dir->clear();
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    *step = kCgroupMkdir;
    return -EINVAL;
  }
  if (!parent.empty()) {
    // Already an absolute, resolved path (lib/sysattrs.ts): taken as it is.
    *dir = parent;
  } else {
    *step = kCgroupOwn;
    std::string own;
    int r = OwnCgroupPath(&own);
    if (r < 0) return r;
    // The mount shows the hierarchy from mount_root down: own must be in it.
    std::string root = mount_root == "/" ? "" : mount_root;
    std::string rel;
    if (root.empty()) {
      rel = own;
    } else if (own == root) {
      rel = "";
    } else if (own.compare(0, root.size(), root) == 0 && own.size() > root.size() && own[root.size()] == '/') {
      rel = own.substr(root.size());
    } else {
      return -ENOENT;
    }
    *dir = mount_point;
    while (dir->size() > 1 && dir->back() == '/') dir->pop_back();
    if (!AppendComponents(dir, rel)) {
      dir->clear();
      return -ENOENT;
    }
  }
  if (dir->empty() || dir->back() != '/') dir->push_back('/');
  dir->append(name);

  *step = kCgroupMkdir;
  if (mkdir(dir->c_str(), 0777) < 0) return -errno;
  *step = kCgroupOpen;
  int fd = open(dir->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    rmdir(dir->c_str());
    return -e;
  }
  struct statfs fs;
  if (fstatfs(fd, &fs) < 0 || static_cast<unsigned long>(fs.f_type) != CGROUP2_SUPER_MAGIC) {
    close(fd);
    rmdir(dir->c_str());
    *step = kCgroupNotV2;
    return -ENOTDIR;
  }
  return fd;
}

}  // namespace procctl

#else  // !__linux__

namespace procctl {
int CgroupMake(const std::string&, const std::string&, const std::string&, const std::string&, std::string* dir,
               int* step) {
  dir->clear();
  *step = 0;
  return -ENOSYS;
}
}  // namespace procctl

#endif
