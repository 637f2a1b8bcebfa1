// Exit watching for spawned children, and run()'s output capture. Binding
// layer (N-API + libuv).
//
// Why this design:
// - one private epoll set per environment holds every watched child's pidfd
//   (and, for run(), the read ends of its stdout/stderr pipes); one uv_poll on
//   that set puts it on Node's own loop. Per child that is one epoll_ctl to add
//   each fd and one to remove it, instead of a libuv handle whose set-up and
//   teardown cost five epoll_ctl, an ioctl and a close callback;
// - no thread at all: the loop's epoll already waits; a pidfd becomes readable
//   exactly when its child exits;
// - it never steals anyone's child: waitid(P_PIDFD) reaps exactly that child,
//   never a child_process one (no wait(-1), no raw SIGCHLD handler);
// - run()'s output is read here into plain buffers and handed to JS once, with
//   the exit status, as two strings: no stream objects for a few bytes;
// - every child that is done in one wake-up reaches JS in one callback scope,
//   so 1000 exits run the microtask queue once, not 1000 times;
// - the poll handle keeps the loop alive while a ref'd child runs, like
//   child_process, and not while only unref'd ones do.
//
// The use-after-free rule: a call into JS can turn the event loop itself
// (exec's stdout flush does), which can run this callback again and close what
// it holds. So a wake-up first does all of its native work (reads, reaps,
// closes, frees), copies what JS needs into a local list, and only then calls
// into JS; after the first call nothing but that local list is touched.
//
// node-gyp builds ship <uv.h>; cmake-js with node-api-headers does not. In that
// case we declare the handful of libuv 1.x functions we call ourselves: libuv's
// ABI is stable across 1.x, the handle's size is asked from libuv at run time
// (uv_handle_size), its data pointer goes through uv_handle_set/get_data, and the
// UV_POLL type number is checked against uv_handle_type_name before first use.
#include "spawn_watch.h"

#include "binding.h"
#include "spawn.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>
#include <unistd.h>

#ifdef __linux__
#include <sys/epoll.h>
#endif

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

// Events taken per epoll_wait, so children finished per wake-up at most; more
// stay ready and come on the next turn.
constexpr int kEventsPerWake = 256;
// Doubles per finished child in the records array: token, status, errno, pid,
// then the seven rusage fields.
constexpr size_t kRecordSize = 1 + kExitNumbers;  // the token, then WriteExitNumbers

#ifdef __linux__

// What an epoll entry stands for: the low two bits of its data; above them the
// child's slot (22 bits: a pid needs no more) and its serial. A serial is never
// reused, so an event for a child that is gone finds nothing.
enum Kind : uint64_t { kPidfd = 0, kStdout = 1, kStderr = 2 };
constexpr int kSlotBits = 22;
constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;

// Reads per pipe and wake-up before other fds get their turn (64 KiB each).
constexpr int kReadsPerWake = 16;
constexpr size_t kReadChunk = 64 * 1024;

struct Child {
  uint64_t serial;
  pid_t pid;
  int pidfd;
  int fds[2];  // parent read ends of stdout and stderr; -1: none, or at EOF
  bool refed;
  bool reaped;
  int err;  // positive errno when the reap failed (ECHILD: someone else reaped it)
  WaitResult res;
  bool capture[2];
  std::string out[2];
};

// What JS gets for a finished child; owned by the wake-up that found it.
struct Done {
  uint32_t token;
  int err;
  WaitResult res;
  bool capture[2];
  std::string out[2];
};

struct Watcher {
  napi_env env = nullptr;
  int epfd = -1;
  uv_poll_t* poll = nullptr;
  // Watched children by slot; a JS token is slot + 1, so JS can keep them in
  // an array (no hash table that grows and shrinks with every spawn).
  std::vector<Child*> slots;
  std::vector<uint32_t> free_slots;
  uint64_t next_serial = 1;
  size_t refs = 0;  // ref'd children being watched
  bool poll_refed = false;
  napi_ref handler = nullptr;
  napi_ref records_ref = nullptr;  // keeps the records array (and `records`) alive
  double* records = nullptr;       // kEventsPerWake records of kRecordSize doubles
  napi_ref resource = nullptr;
  napi_async_context async = nullptr;
  std::vector<char> buf;
};

// One watcher per environment; an environment lives on one thread.
thread_local Watcher* t_watcher = nullptr;

bool UvPollUsable() {
  static int ok = -1;
  if (ok < 0) {
    const char* name = uv_handle_type_name(static_cast<decltype(PROCCTL_UV_POLL)>(PROCCTL_UV_POLL));
    ok = name != nullptr && strcmp(name, "poll") == 0 ? 1 : 0;
  }
  return ok == 1;
}

uv_handle_t* AsHandle(uv_poll_t* p) { return reinterpret_cast<uv_handle_t*>(p); }

void UpdateRef(Watcher* w) {
  if (w->poll == nullptr) return;
  if (w->refs > 0 && !w->poll_refed) {
    uv_ref(AsHandle(w->poll));
    w->poll_refed = true;
  } else if (w->refs == 0 && w->poll_refed) {
    uv_unref(AsHandle(w->poll));
    w->poll_refed = false;
  }
}

// Out of the set first, then closed: the number may be reused at once, and an
// entry for a file that someone else still holds (a fork between our dup and
// our close) would otherwise stay in the set.
void Forget(Watcher* w, int fd) {
  epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
}

// Reads what the pipe has. Level-triggered: what is left comes on the next
// turn. A short read ends the turn unless the writer has gone (HUP), in which
// case reading on to EOF now saves a wake-up. At EOF (or an error that ends the
// stream) the fd is closed.
void ReadPipe(Watcher* w, Child* c, int which, uint32_t events) {
  int fd = c->fds[which];
  if (fd < 0) return;
  const bool writer_gone = (events & (EPOLLHUP | EPOLLERR)) != 0;
  for (int i = 0; i < kReadsPerWake; i++) {
    ssize_t n = read(fd, w->buf.data(), w->buf.size());
    if (n > 0) {
      if (c->capture[which]) c->out[which].append(w->buf.data(), static_cast<size_t>(n));
      if (static_cast<size_t>(n) < w->buf.size() && !writer_gone) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Forget(w, fd);
    c->fds[which] = -1;
    return;
  }
  // The per-wake bound: the rest comes on the next turn.
}

// Hands one wake-up's finished children to JS: their numbers in the records
// array JS gave (kRecordSize doubles each), run()'s output as strings. One call
// into JS for all of them, inside one callback scope.
void Deliver(napi_env env, napi_value handler, napi_value resource, napi_async_context async,
             double* records, std::vector<Done>& done) {
  napi_callback_scope scope = nullptr;
  if (napi_open_callback_scope(env, resource, async, &scope) != napi_ok) scope = nullptr;
  napi_value outputs;
  napi_get_undefined(env, &outputs);
  for (size_t i = 0; i < done.size(); i++) {
    Done& d = done[i];
    double* r = records + i * kRecordSize;
    r[0] = d.token;
    WriteExitNumbers(r + 1, d.err, d.res.pid, d.res);
    if (!d.capture[0] && !d.capture[1]) continue;
    // run()'s output: [stdout, stderr] at the child's index, each a string,
    // null when too long for one, undefined when not captured.
    bool is_array = false;
    napi_is_array(env, outputs, &is_array);
    if (!is_array) napi_create_array_with_length(env, done.size(), &outputs);
    napi_value pair;
    napi_create_array_with_length(env, 2, &pair);
    for (uint32_t k = 0; k < 2; k++) napi_set_element(env, pair, k, RunOutputValue(env, d.capture[k], &d.out[k]));
    napi_set_element(env, outputs, static_cast<uint32_t>(i), pair);
  }
  napi_value args[2];
  napi_create_uint32(env, static_cast<uint32_t>(done.size()), &args[0]);
  args[1] = outputs;
  napi_value recv;
  napi_get_undefined(env, &recv);
  napi_value error = nullptr;
  if (napi_call_function(env, recv, handler, 2, args, nullptr) == napi_pending_exception) {
    napi_get_and_clear_last_exception(env, &error);
  }
  // Runs the microtask queue: the continuations of `await exited` start here.
  if (scope != nullptr) napi_close_callback_scope(env, scope);
  if (error != nullptr) napi_fatal_exception(env, error);
}

void OnReady(uv_poll_t* handle, int status, int events) {
  (void)status;
  (void)events;
  Watcher* w = static_cast<Watcher*>(uv_handle_get_data(AsHandle(handle)));
  std::vector<Done> done;
  epoll_event evs[kEventsPerWake];
  int n;
  do {
    n = epoll_wait(w->epfd, evs, kEventsPerWake, 0);
  } while (n < 0 && errno == EINTR);
  for (int i = 0; i < n; i++) {
    const uint64_t data = evs[i].data.u64;
    auto kind = static_cast<Kind>(data & 3);
    uint32_t slot = static_cast<uint32_t>((data >> 2) & kSlotMask);
    if (slot >= w->slots.size() || w->slots[slot] == nullptr || w->slots[slot]->serial != data >> (kSlotBits + 2)) continue;
    Child* c = w->slots[slot];
    if (kind == kPidfd) {
      if (c->reaped) continue;
      int r = PidfdReap(c->pidfd, &c->res);
      if (r == 0) continue;  // spurious wake-up: still running
      c->reaped = true;
      if (r < 0) c->err = -r;
      // Out of the set (a reaped child's pidfd stays readable), but open until
      // its pipes are done too: JS still holds the number for kill(), which
      // must meet ESRCH, never a pidfd of another child under a reused number.
      epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->pidfd, nullptr);
    } else {
      ReadPipe(w, c, kind == kStdout ? 0 : 1, evs[i].events);
    }
    if (!c->reaped || c->fds[0] >= 0 || c->fds[1] >= 0) continue;
    Done d;
    d.token = slot + 1;
    d.err = c->err;
    d.res = c->res;
    for (int k = 0; k < 2; k++) {
      d.capture[k] = c->capture[k];
      d.out[k] = std::move(c->out[k]);
    }
    done.push_back(std::move(d));
    close(c->pidfd);
    if (c->refed) w->refs--;
    w->slots[slot] = nullptr;
    w->free_slots.push_back(slot);
    delete c;
  }
  UpdateRef(w);
  if (done.empty() || w->handler == nullptr || w->records == nullptr) return;

  napi_env env = w->env;
  napi_handle_scope hs;
  if (napi_open_handle_scope(env, &hs) != napi_ok) return;
  napi_value handler = nullptr, resource = nullptr;
  napi_get_reference_value(env, w->handler, &handler);
  napi_get_reference_value(env, w->resource, &resource);
  napi_async_context async = w->async;
  double* records = w->records;
  w = nullptr;  // not touched again: see the use-after-free rule above
  if (handler != nullptr && resource != nullptr) Deliver(env, handler, resource, async, records, done);
  napi_close_handle_scope(env, hs);
}

void OnClosed(uv_handle_t* handle) { free(handle); }

// At environment teardown: nothing will be delivered any more.
void Cleanup(void* arg) {
  Watcher* w = static_cast<Watcher*>(arg);
  for (Child* c : w->slots) {
    if (c == nullptr) continue;
    if (c->pidfd >= 0) close(c->pidfd);
    for (int fd : c->fds) {
      if (fd >= 0) close(fd);
    }
    delete c;
  }
  if (w->poll != nullptr) uv_close(AsHandle(w->poll), OnClosed);
  if (w->epfd >= 0) close(w->epfd);
  if (w->handler != nullptr) napi_delete_reference(w->env, w->handler);
  if (w->records_ref != nullptr) napi_delete_reference(w->env, w->records_ref);
  if (w->resource != nullptr) napi_delete_reference(w->env, w->resource);
  if (w->async != nullptr) napi_async_destroy(w->env, w->async);
  if (t_watcher == w) t_watcher = nullptr;
  delete w;
}

Watcher* GetWatcher(napi_env env) {
  if (t_watcher != nullptr) return t_watcher;
  Watcher* w = new Watcher();
  w->env = env;
  t_watcher = w;
  napi_add_env_cleanup_hook(env, Cleanup, w);
  return w;
}

// The epoll set and its poll handle, made on the first watch.
int StartPolling(Watcher* w) {
  if (w->poll != nullptr) return 0;
  if (!UvPollUsable()) return -ENOSYS;
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(w->env, reinterpret_cast<struct uv_loop_s**>(&loop)) != napi_ok || loop == nullptr) {
    return -ENOSYS;
  }
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return -errno;
  auto* poll = static_cast<uv_poll_t*>(calloc(1, uv_handle_size(static_cast<decltype(PROCCTL_UV_POLL)>(PROCCTL_UV_POLL))));
  if (poll == nullptr) {
    close(epfd);
    return -ENOMEM;
  }
  int r = uv_poll_init(loop, poll, epfd);
  if (r < 0) {
    free(poll);
    close(epfd);
    return r;
  }
  uv_handle_set_data(AsHandle(poll), w);
  r = uv_poll_start(poll, PROCCTL_UV_READABLE, OnReady);
  if (r < 0) {
    uv_close(AsHandle(poll), OnClosed);
    close(epfd);
    return r;
  }
  uv_unref(AsHandle(poll));  // ref'd only while a ref'd child runs
  w->epfd = epfd;
  w->poll = poll;
  w->poll_refed = false;
  w->buf.resize(kReadChunk);
  return 0;
}

int Add(Watcher* w, int fd, uint64_t serial, uint32_t slot, Kind kind) {
  epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = (serial << (kSlotBits + 2)) | (uint64_t{slot} << 2) | kind;
  return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

#endif  // __linux__

// spawnSetExitHandler(fn, records): fn(count, outputs) for every batch of
// children reaped in one wake-up. records (a Float64Array of at least
// spawnExitRecordSize * spawnExitBatch entries, kept by the watcher) holds,
// per child, its token, the raw wait status (-1 with errno set when the reap
// failed), errno, pid and the rusage fields userCPUTime, systemCPUTime, maxRSS,
// minorPageFault, majorPageFault, voluntaryContextSwitches,
// involuntaryContextSwitches. outputs is undefined, or per child index
// [stdout, stderr] for a run() child (a string, null when too long for one,
// undefined when not captured). JS reads the records before anything else
// runs: the next batch overwrites them.
Napi::Value SetExitHandler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "spawnSetExitHandler expects a function");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!info[1].IsTypedArray() ||
      napi_get_typedarray_info(env, info[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_float64_array || length < kRecordSize * kEventsPerWake) {
    throw Napi::TypeError::New(env, "spawnSetExitHandler expects a Float64Array for the records");
  }
#ifdef __linux__
  Watcher* w = GetWatcher(env);
  if (w->handler != nullptr) napi_delete_reference(env, w->handler);
  if (w->records_ref != nullptr) napi_delete_reference(env, w->records_ref);
  napi_create_reference(env, info[0], 1, &w->handler);
  napi_create_reference(env, info[1], 1, &w->records_ref);
  // An ArrayBuffer's memory does not move once it is off the V8 heap, which
  // napi_get_typedarray_info has made sure of.
  w->records = static_cast<double*>(data);
  if (w->async == nullptr) {
    Napi::Object resource = Napi::Object::New(env);
    napi_create_reference(env, resource, 1, &w->resource);
    napi_async_init(env, resource, Napi::String::New(env, "procctl.spawn"), &w->async);
  }
#else
  (void)data;
#endif
  return env.Undefined();
}

// spawnWatchRef(token, ref): whether this running child keeps the loop alive.
Napi::Value WatchRef(const Napi::CallbackInfo& info) {
  double token = ArgNumber(info, 0, "token");
  bool ref = ArgBool(info, 1, "ref");
#ifdef __linux__
  Watcher* w = t_watcher;
  if (w != nullptr && token >= 1 && token <= static_cast<double>(w->slots.size()) && token == std::floor(token)) {
    Child* c = w->slots[static_cast<size_t>(token) - 1];
    if (c != nullptr && c->refed != ref) {
      c->refed = ref;
      if (ref) {
        w->refs++;
      } else {
        w->refs--;
      }
      UpdateRef(w);
    }
  }
#else
  (void)token;
  (void)ref;
#endif
  return info.Env().Undefined();
}

}  // namespace

// Portable: runSync uses them on every platform, the exit watcher on Linux.
void WriteExitNumbers(double* to, int err, pid_t pid, const WaitResult& res) {
  const Rusage& ru = res.rusage;
  to[0] = err == 0 ? res.status : -1;
  to[1] = err;
  to[2] = pid;
  to[3] = ru.user_us;
  to[4] = ru.system_us;
  to[5] = static_cast<double>(ru.max_rss_kb);
  to[6] = static_cast<double>(ru.minor_faults);
  to[7] = static_cast<double>(ru.major_faults);
  to[8] = static_cast<double>(ru.voluntary_switches);
  to[9] = static_cast<double>(ru.involuntary_switches);
}

napi_value RunOutputValue(napi_env env, bool captured, std::string* bytes) {
  napi_value s;
  if (!captured) {
    napi_get_undefined(env, &s);
  } else if (bytes->size() > kMaxRunStringBytes || napi_create_string_utf8(env, bytes->data(), bytes->size(), &s) != napi_ok) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    napi_get_null(env, &s);
  }
  std::string().swap(*bytes);  // the bytes are in the string now
  return s;
}

int WatchChild(napi_env env, pid_t pid, int pidfd, int out_fd, int err_fd, double* token) {
#ifdef __linux__
  Watcher* w = GetWatcher(env);
  if (w->handler == nullptr) return -ENOSYS;
  int r = StartPolling(w);
  if (r < 0) return r;
  uint32_t slot;
  if (!w->free_slots.empty()) {
    slot = w->free_slots.back();
  } else if (w->slots.size() <= kSlotMask) {
    slot = static_cast<uint32_t>(w->slots.size());
  } else {
    return -ENOSPC;
  }
  uint64_t serial = w->next_serial;
  if ((r = Add(w, pidfd, serial, slot, kPidfd)) < 0) return r;
  if (out_fd >= 0 && (r = Add(w, out_fd, serial, slot, kStdout)) < 0) {
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, pidfd, nullptr);
    return r;
  }
  if (err_fd >= 0 && (r = Add(w, err_fd, serial, slot, kStderr)) < 0) {
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, pidfd, nullptr);
    if (out_fd >= 0) epoll_ctl(w->epfd, EPOLL_CTL_DEL, out_fd, nullptr);
    return r;
  }
  Child* c = new Child();
  w->next_serial++;
  if (!w->free_slots.empty()) {
    w->free_slots.pop_back();
    w->slots[slot] = c;
  } else {
    w->slots.push_back(c);
  }
  c->serial = serial;
  c->pid = pid;
  c->pidfd = pidfd;
  c->fds[0] = out_fd;
  c->fds[1] = err_fd;
  c->capture[0] = out_fd >= 0;
  c->capture[1] = err_fd >= 0;
  c->refed = true;
  c->reaped = false;
  c->err = 0;
  c->res = {};
  w->refs++;
  UpdateRef(w);
  *token = static_cast<double>(slot) + 1;
  return 0;
#else
  (void)env;
  (void)pid;
  (void)pidfd;
  (void)out_fd;
  (void)err_fd;
  (void)token;
  return -ENOSYS;
#endif
}

void InitSpawnWatch(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnSetExitHandler", Napi::Function::New(env, SetExitHandler));
  exports.Set("spawnWatchRef", Napi::Function::New(env, WatchRef));
  exports.Set("spawnExitRecordSize", Napi::Number::New(env, static_cast<double>(kRecordSize)));
  exports.Set("spawnExitBatch", Napi::Number::New(env, kEventsPerWake));
}

}  // namespace procctl
