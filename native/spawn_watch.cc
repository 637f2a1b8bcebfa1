// Exit watching for spawned children: each child's pidfd is polled on Node's own
// event loop (a uv_poll handle), and reaped with waitid(P_PIDFD) when it becomes
// readable. Binding layer (N-API + libuv).
//
// Why this design:
// - no thread at all (not one per child, not one shared): the loop's epoll
//   already waits; a pidfd becomes readable exactly when its child exits;
// - it never steals anyone's child: waitid(P_PIDFD) reaps exactly that child,
//   never a child_process one (no wait(-1), no raw SIGCHLD handler);
// - the handle keeps the loop alive while the child runs, like child_process,
//   unless the caller unrefs it.
// node-gyp builds ship <uv.h>; cmake-js with node-api-headers does not. In that
// case we declare the handful of libuv 1.x functions we call ourselves: libuv's
// ABI is stable across 1.x, the handle's size is asked from libuv at run time
// (uv_handle_size), its data pointer goes through uv_handle_set/get_data, and the
// UV_POLL type number is checked against uv_handle_type_name before first use.
#include "binding.h"
#include "spawn.h"

#include <cstdlib>
#include <cstring>
#include <utility>
#include <unistd.h>

#if __has_include(<uv.h>) && !defined(PROCCTL_NO_UV_H)  // PROCCTL_NO_UV_H: test the fallback
#include <uv.h>
#define PROCCTL_UV_POLL UV_POLL
#define PROCCTL_UV_READABLE UV_READABLE
#else
extern "C" {
typedef struct uv_loop_s uv_loop_t;
typedef struct uv_handle_s uv_handle_t;
typedef struct uv_poll_s uv_poll_t;
typedef void (*uv_poll_cb)(uv_poll_t* handle, int status, int events);
typedef void (*uv_close_cb)(uv_handle_t* handle);
size_t uv_handle_size(int type);
const char* uv_handle_type_name(int type);
int uv_poll_init(uv_loop_t* loop, uv_poll_t* handle, int fd);
int uv_poll_start(uv_poll_t* handle, int events, uv_poll_cb cb);
int uv_poll_stop(uv_poll_t* handle);
void uv_close(uv_handle_t* handle, uv_close_cb close_cb);
void uv_handle_set_data(uv_handle_t* handle, void* data);
void* uv_handle_get_data(const uv_handle_t* handle);
void uv_ref(uv_handle_t* handle);
void uv_unref(uv_handle_t* handle);
}
#define PROCCTL_UV_POLL 8      // UV_POLL in libuv 1.x's uv_handle_type
#define PROCCTL_UV_READABLE 1  // UV_READABLE
#endif

namespace procctl {

namespace {

struct Watch {
  napi_env env;
  Napi::FunctionReference callback;
  int pidfd;
  uv_poll_t* handle;
  bool done;
};

bool UvPollUsable() {
  static int ok = -1;
  if (ok < 0) {
    const char* name = uv_handle_type_name(static_cast<decltype(PROCCTL_UV_POLL)>(PROCCTL_UV_POLL));
    ok = name != nullptr && strcmp(name, "poll") == 0 ? 1 : 0;
  }
  return ok == 1;
}

uv_handle_t* AsHandle(uv_poll_t* p) { return reinterpret_cast<uv_handle_t*>(p); }

void OnClosed(uv_handle_t* handle) {
  Watch* w = static_cast<Watch*>(uv_handle_get_data(handle));
  if (w->pidfd >= 0) close(w->pidfd);  // a watch closed before the child exited
  free(handle);
  delete w;
}

// Runs the JS exit callback. Nothing here may touch the Watch after the call
// into JS: that JS (an 'exit' listener, the continuation of `await exited`) can
// turn the event loop itself (exec's stdout flush does), which runs OnClosed and
// frees the Watch and the handle. So the callback reference is moved out first
// and everything the call needs is copied to locals.
void OnReadable(uv_poll_t* handle, int status, int events) {
  (void)events;
  Watch* w = static_cast<Watch*>(uv_handle_get_data(AsHandle(handle)));
  if (w->done) return;
  WaitResult res = {};
  int r = status < 0 ? status : PidfdReap(w->pidfd, &res);
  if (r == 0) return;  // spurious wake-up: still running
  w->done = true;
  // uv_close stops the poll and removes the fd from the loop's epoll set at once;
  // only then may the pidfd be closed (its number can be reused right away by
  // the next spawn). Closing it before the JS callback means no pidfd is left
  // open once `exited` resolves. The handle memory waits for OnClosed.
  uv_close(AsHandle(handle), OnClosed);
  close(w->pidfd);
  w->pidfd = -1;
  napi_env raw_env = w->env;
  Napi::FunctionReference callback(std::move(w->callback));
  w = nullptr;  // may be freed from here on

  Napi::Env env(raw_env);
  Napi::HandleScope scope(env);
  Napi::Value arg;
  if (r > 0) {
    Napi::Object o = WaitStatusToJs(env, res.pid, res.status);
    o.Set("rusage", RusageToJs(env, res.rusage));
    arg = o;
  } else {
    arg = MakeSystemError(env, -r, "waitid").Value();
  }
  try {
    callback.MakeCallback(env.Global(), {arg});
  } catch (const Napi::Error& e) {
    napi_fatal_exception(raw_env, e.Value());
  }
}

// watchPidfd(pidfd, callback(statusOrError)) -> External handle for ref/unref.
// Takes ownership of the pidfd: it is closed after the child is reaped.
Napi::Value WatchPidfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pidfd = ArgInt32(info, 0, "pidfd");
  if (info.Length() < 2 || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "watchPidfd expects a callback");
  }
  if (!UvPollUsable()) ThrowSystemError(env, ENOSYS, "uv_poll_init");
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, reinterpret_cast<struct uv_loop_s**>(&loop)) != napi_ok || loop == nullptr) {
    ThrowSystemError(env, ENOSYS, "napi_get_uv_event_loop");
  }
  auto* handle = static_cast<uv_poll_t*>(calloc(1, uv_handle_size(static_cast<decltype(PROCCTL_UV_POLL)>(PROCCTL_UV_POLL))));
  if (handle == nullptr) ThrowSystemError(env, ENOMEM, "uv_poll_init");
  int r = uv_poll_init(loop, handle, pidfd);
  if (r < 0) {
    free(handle);
    ThrowSystemError(env, -r, "uv_poll_init");
  }
  Watch* w = new Watch{env, Napi::Persistent(info[1].As<Napi::Function>()), pidfd, handle, false};
  uv_handle_set_data(AsHandle(handle), w);
  r = uv_poll_start(handle, PROCCTL_UV_READABLE, OnReadable);
  if (r < 0) {
    w->pidfd = -1;  // the caller still owns it on failure
    uv_close(AsHandle(handle), OnClosed);
    ThrowSystemError(env, -r, "uv_poll_start");
  }
  return Napi::External<uv_poll_t>::New(env, handle);
}

// setWatchRef(handle, ref): whether a running child keeps the loop alive.
// Only called by lib/spawn.ts while the child has not been reaped (the handle
// is closed after the exit callback, and JS stops calling this by then).
Napi::Value SetWatchRef(const Napi::CallbackInfo& info) {
  if (info.Length() < 2 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "setWatchRef expects a watch handle");
  }
  uv_poll_t* handle = info[0].As<Napi::External<uv_poll_t>>().Data();
  if (ArgBool(info, 1, "ref")) {
    uv_ref(AsHandle(handle));
  } else {
    uv_unref(AsHandle(handle));
  }
  return info.Env().Undefined();
}

}  // namespace

void InitSpawnWatch(Napi::Env env, Napi::Object exports) {
  exports.Set("watchPidfd", Napi::Function::New(env, WatchPidfd));
  exports.Set("setWatchRef", Napi::Function::New(env, SetWatchRef));
}

}  // namespace procctl
