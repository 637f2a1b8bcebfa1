// The terminal guard: a seccomp filter, data only, shared by the spawn child
// (spawn_child.cc) and the in-place exec (exec_posix.cc).
//
// Why: a program that runs as another user but keeps the caller's controlling
// terminal can push bytes into that terminal's input queue with ioctl(TIOCSTI)
// (where the dev.tty.legacy_tiocsti sysctl allows it) or paste a console
// selection with TIOCLINUX; root's shell then reads them as typed commands
// once the program exits. A new session (setsid) takes the terminal away, but
// then the program has no terminal at all. The guard keeps the terminal usable
// (reads, writes, /dev/tty, job control) and refuses exactly those two requests
// with EPERM. A seccomp filter is inherited by every descendant and survives
// exec, which is the point; it needs CAP_SYS_ADMIN or no_new_privs to install,
// so it goes in before the credential drop.
//
// The filter checks the ioctl number of the native ABI and of the compat ABI
// that can run on the same kernel (i386 and x32 on x86_64, arm on aarch64): a
// 32-bit syscall must not be a way around it. The request is compared on its
// low 32 bits, as the kernel's ioctl() takes an unsigned int.
#pragma once

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))

#include <cerrno>
#include <cstddef>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <asm/ioctls.h>  // TIOCSTI, TIOCLINUX

#define PROCCTL_HAVE_TTY_GUARD 1

namespace procctl {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "args[1] low word offset assumes little endian");

namespace tty_guard {

#if defined(__x86_64__)
constexpr unsigned kArchNative = AUDIT_ARCH_X86_64;
constexpr unsigned kIoctlNative = 16;                    // x86_64
constexpr unsigned kIoctlNativeAlt = 0x40000000u | 514;  // x32 (its own ioctl entry)
constexpr unsigned kArchCompat = AUDIT_ARCH_I386;
constexpr unsigned kIoctlCompat = 54;
#else
constexpr unsigned kArchNative = AUDIT_ARCH_AARCH64;
constexpr unsigned kIoctlNative = 29;
constexpr unsigned kIoctlNativeAlt = 29;
constexpr unsigned kArchCompat = AUDIT_ARCH_ARM;
constexpr unsigned kIoctlCompat = 54;
#endif

constexpr unsigned kOffArch = offsetof(struct seccomp_data, arch);
constexpr unsigned kOffNr = offsetof(struct seccomp_data, nr);
constexpr unsigned kOffRequest = offsetof(struct seccomp_data, args) + 8;  // args[1], low word

// Jump offsets count from the next instruction.
constexpr struct sock_filter kProgram[] = {
    /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kOffArch),
    /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArchNative, 0, 4),  // else -> 6
    /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kOffNr),
    /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIoctlNative, 6, 0),  // -> 10
    /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIoctlNativeAlt, 5, 0),  // -> 10
    /* 5 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArchCompat, 0, 2),  // else -> 9
    /* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kOffNr),
    /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIoctlCompat, 1, 0),  // -> 10
    /* 9 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    /* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kOffRequest),
    /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 2, 0),  // -> 14
    /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 1, 0),  // -> 14
    /* 13 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    /* 14 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
};

constexpr unsigned short kLength = sizeof kProgram / sizeof kProgram[0];

}  // namespace tty_guard
}  // namespace procctl

#endif
