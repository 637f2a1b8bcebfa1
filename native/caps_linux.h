// Capability sets, for the spawn child (spawn_child.cc, raw syscalls between
// clone and exec) and the in-place exec (exec_posix.cc, on the exec'ing thread).
// Async-signal-safe: no allocation, no libc, only the `sys` callable given,
// which makes a system call and returns its result or -errno.
#pragma once

#ifdef __linux__

#include <cerrno>
#include <cstdint>
#include <linux/capability.h>
#include <sys/syscall.h>
// The PR_* numbers come from the includer's <sys/prctl.h> or <linux/prctl.h>:
// musl's two headers cannot both be included (each defines struct prctl_mm_map).
#ifndef PR_CAPBSET_READ
#define PR_CAPBSET_READ 23
#define PR_CAPBSET_DROP 24
#endif
#ifndef PR_SET_KEEPCAPS
#define PR_SET_KEEPCAPS 8
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

namespace procctl {
namespace caps {

// Leaves exactly `keep` (a mask of CAP_* bits) in the inheritable, permitted,
// effective and ambient sets of the calling thread, and reads them back: a set
// that differs from what was asked is -EPERM. Ambient is cleared first (no
// privilege needed; kernels before 4.3 have none and say EINVAL). Raising a
// capability not in the permitted set (or not in the bounding set) is EPERM.
template <typename Sys>
long SetSets(Sys sys, uint64_t keep) {
  long r = sys(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (r < 0 && r != -EINVAL) return r;
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; i++) {
    uint32_t word = static_cast<uint32_t>(keep >> (32 * i));
    data[i].effective = data[i].permitted = data[i].inheritable = word;
  }
  if ((r = sys(SYS_capset, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(data), 0, 0, 0)) < 0) return r;
  for (int cap = 0; cap < 64; cap++) {
    if (((keep >> cap) & 1) && (r = sys(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0)) < 0) return r;
  }
  hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct got[2] = {};
  if ((r = sys(SYS_capget, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(got), 0, 0, 0)) < 0) return r;
  for (int i = 0; i < 2; i++) {
    uint32_t word = static_cast<uint32_t>(keep >> (32 * i));
    if (got[i].effective != word || got[i].permitted != word || got[i].inheritable != word) return -EPERM;
  }
  return 0;
}

// For a process that stays root: adds `keep` to the inheritable and ambient
// sets and leaves permitted and effective alone. Narrowing root's permitted set
// before exec would have the exec grow it back, and a process whose privileges
// grow at exec is made non-dumpable.
template <typename Sys>
long AddAmbient(Sys sys, uint64_t keep) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  long r;
  if ((r = sys(SYS_capget, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(data), 0, 0, 0)) < 0) return r;
  for (int i = 0; i < 2; i++) data[i].inheritable |= static_cast<uint32_t>(keep >> (32 * i));
  hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  if ((r = sys(SYS_capset, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(data), 0, 0, 0)) < 0) return r;
  for (int cap = 0; cap < 64; cap++) {
    if (((keep >> cap) & 1) && (r = sys(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0)) < 0) return r;
  }
  return 0;
}

// Drops every capability not in `keep` from the bounding set (needs
// CAP_SETPCAP), up to the last one this kernel knows (PR_CAPBSET_READ says
// EINVAL past it).
template <typename Sys>
long RestrictBounding(Sys sys, uint64_t keep) {
  for (int cap = 0; cap < 64; cap++) {
    long r = sys(SYS_prctl, PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r == -EINVAL) break;
    if (r < 0) return r;
    if (r == 1 && !((keep >> cap) & 1) && (r = sys(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0)) < 0) return r;
  }
  return 0;
}

// Whether the capability sets survive the coming setresuid (PR_SET_KEEPCAPS;
// cleared again by execve).
template <typename Sys>
long KeepAcrossSetuid(Sys sys, bool on) {
  return sys(SYS_prctl, PR_SET_KEEPCAPS, on ? 1 : 0, 0, 0, 0);
}

}  // namespace caps
}  // namespace procctl

#endif  // __linux__
