// Mechanics of native signal forwarding and of PID 1's default actions: plain C++ over
// POSIX calls, every function returns >= 0 or -errno. No N-API types here.
//
// Why native: some signals cannot be received safely by a JS listener in Node
// (SIGUSR1 belongs to the inspector; SIGSEGV/SIGBUS/SIGFPE/SIGILL would loop on
// a real fault; SIGPROF is V8's profiler tick; SIGPIPE/SIGXFSZ are ignored by
// Node and libuv would reset them to SIG_DFL when a listener goes away). For
// those, a sigaction handler writes the signal number into a pipe that JS reads
// on the event loop. The handler forwards only signals sent by another process;
// faults and signals the process sent itself go to the previous disposition.
#pragma once

#include <sys/types.h>

namespace procctl {

// Creates (once) the process-wide notification pipe and returns its read end
// (non-blocking, close-on-exec). Each delivered signal becomes one byte.
long SignalPipeReadFd();

// Installs the forwarding handler for `sig`, saving the previous action.
// Reference counted: a second install of the same signal only counts.
long SignalForwardInstall(int sig);

// Drops one reference; the last one restores the saved action, but only if
// our handler is still the installed one (someone who replaced it keeps theirs).
// Returns 1 when the action was restored, 0 otherwise.
long SignalForwardRestore(int sig);

// The current disposition: 0 SIG_DFL, 1 SIG_IGN, 2 a handler.
long SignalDisposition(int sig);

// Sets SIG_IGN or SIG_DFL (used to put back SIG_IGN after a JS listener is gone,
// because libuv resets a signal to SIG_DFL when its last watcher stops).
long SignalSetDisposition(int sig, bool ignore);

// For signals forwarded by a JS listener: remembers the current action before
// the first listener is added (reference counted), and puts it back after the
// last one is removed if the disposition is then SIG_DFL (libuv resets it to
// SIG_DFL when its last watcher stops, losing SIG_IGN or Node's own handler).
// Returns 1 when the action was put back.
long SignalSnapshot(int sig);
long SignalSnapshotRestore(int sig);

// For a Node program that is PID 1 (lib/pid1.ts): the kernel drops a signal
// whose action is SIG_DFL when it is sent to a PID 1, and Node's own SIGINT /
// SIGTERM handler (terminal reset, then re-raise) ends in that drop too, so
// `docker stop` would wait and kill. This installs a handler that runs the
// previous one (if any) and exits at once with 128+sig, which is what the
// default action gives any other process. lib/ calls it only while no JS
// listener handles `sig`; a listener added later replaces it (libuv installs its
// own handler), and after the last one is removed (libuv resets SIG_DFL) lib/
// installs it again. A signal at SIG_IGN is left alone. Returns 1 when installed.
long SignalExitAsDefaultInstall(int sig);
// Puts back the action it replaced if that handler is still the one installed (1), else 0.
long SignalExitAsDefaultRemove(int sig);

}  // namespace procctl
