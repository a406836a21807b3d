#include "estimator/cli/output.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "hardware/common/input_error.hpp"

namespace clustercap::cli {
namespace {

// State shared with the signal handler: fixed buffers and lock-free atomics
// only, so the handler stays async-signal-safe.
constexpr int kMaxTemps = 8;
constexpr std::size_t kPathBytes = PATH_MAX;
char g_temp_paths[kMaxTemps][kPathBytes];
std::atomic<int> g_temp_live[kMaxTemps];
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");

enum Phase : int {
  kWorking = 0,     // computing or writing temps: nothing has reached any output
  kStreaming = 1,   // writing stdout or a device: it may be incomplete
  kCommitting = 2,  // renaming finished temps into place: let it finish
  kDone = 3,        // every output written
};
std::atomic<int> g_phase{kWorking};
std::atomic<int> g_progress_open{0};
std::atomic<int> g_stream_started{0};
char g_stream_message[kPathBytes + 160];
std::atomic<std::size_t> g_stream_message_size{0};

thread_local Capture* t_capture = nullptr;

constexpr char kInterrupted[] = "clustercap: interrupted; nothing was written\n";

extern "C" void on_signal(int) {
  const int phase = g_phase.load();
  if (phase == kCommitting || phase == kDone) return;
  for (int i = 0; i < kMaxTemps; ++i) {
    if (g_temp_live[i].load() != 0) ::unlink(g_temp_paths[i]);
  }
  ssize_t ignored = 0;
  if (g_progress_open.load() != 0) ignored = ::write(STDERR_FILENO, "\n", 1);
  if (phase == kStreaming && g_stream_started.load() != 0) {
    ignored = ::write(STDERR_FILENO, g_stream_message, g_stream_message_size.load());
  } else {
    ignored = ::write(STDERR_FILENO, kInterrupted, sizeof kInterrupted - 1);
  }
  (void)ignored;
  ::_exit(1);
}

// Writes all of `text`; returns 0 or the errno of the failed write.
int write_all(int fd, const std::string& text) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    written += static_cast<std::size_t>(n);
  }
  return 0;
}

std::string parent_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

[[noreturn]] void fail(const std::string& name, int error) {
  throw RuntimeFailure("cannot write " + name + ": " + std::strerror(error));
}

// Follows `path` while it is a symlink (relative links are relative to the
// link's directory), so the file replaced is the link's target.
std::string resolve_links(const std::string& name, std::string path) {
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
    char target[kPathBytes];
    const ssize_t n = ::readlink(path.c_str(), target, sizeof target);
    if (n < 0) fail(name, errno);
    if (static_cast<std::size_t>(n) >= sizeof target) fail(name, ENAMETOOLONG);
    const std::string link(target, static_cast<std::size_t>(n));
    path = link.front() == '/' ? link : parent_of(path) + "/" + link;
  }
  fail(name, ELOOP);
}

// Whether `fd` is open for writing on the file `a` describes (a closed
// stdout holds /dev/null read-only: /dev/null itself is then opened anew).
bool same_file(const struct stat& a, int fd) {
  struct stat b {};
  const int flags = ::fcntl(fd, F_GETFL);
  return flags != -1 && (flags & O_ACCMODE) != O_RDONLY && ::fstat(fd, &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// One temp file registered with the signal handler.
struct Temp {
  int slot = -1;
  std::string path;
  const Output* output = nullptr;
};

int claim_slot(const std::string& path) {
  if (path.size() >= kPathBytes) return -1;
  for (int i = 0; i < kMaxTemps; ++i) {
    if (g_temp_live[i].load() != 0) continue;
    std::memcpy(g_temp_paths[i], path.c_str(), path.size() + 1);
    g_temp_live[i].store(1);
    return i;
  }
  return -1;
}

void remove_temps(std::vector<Temp>& temps) {
  for (auto& t : temps) {
    if (t.slot < 0) continue;
    ::unlink(t.path.c_str());
    g_temp_live[t.slot].store(0);
    t.slot = -1;
  }
}

// Creates, writes, syncs and closes one temp file; returns 0 or an errno.
int write_temp(const std::string& temp, const std::string& final_path, const std::string& text) {
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) return errno;
  int error = write_all(fd, text);
  // The replaced file keeps its permission bits.
  struct stat old {};
  if (error == 0 && ::stat(final_path.c_str(), &old) == 0 && S_ISREG(old.st_mode) &&
      ::fchmod(fd, old.st_mode & 07777) != 0) {
    error = errno;
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  return error;
}

}  // namespace

void prepare_process() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int opened = ::open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY);
    if (opened >= 0 && opened != fd) {
      ::dup2(opened, fd);
      ::close(opened);
    }
  }
  struct sigaction action {};
  action.sa_handler = on_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&action.sa_mask, sig);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

void set_progress_line_open(bool open) { g_progress_open.store(open ? 1 : 0); }

OutputTarget plan_output(const std::string& flag, const std::string& path) {
  OutputTarget target;
  target.flag = flag;
  target.name = path.empty() ? "stdout" : path;
  if (path.empty()) return target;  // descriptor 1
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      throw InputErrors({{"command line", 0, 0, flag, path, "is a directory; give a file name"}});
    }
    for (int fd : {STDOUT_FILENO, STDERR_FILENO}) {
      if (same_file(st, fd)) {
        target.fd = fd;
        return target;
      }
    }
    if (!S_ISREG(st.st_mode)) {
      target.kind = OutputTarget::Kind::direct;
      target.path = path;
      return target;
    }
  } else if (errno != ENOENT) {
    fail(path, errno);
  }
  // A regular file, nothing, or a dangling symlink: replace the final target.
  target.kind = OutputTarget::Kind::replace;
  target.path = resolve_links(path, path);
  const std::string dir = parent_of(target.path);
  struct stat dir_st {};
  if (::stat(dir.c_str(), &dir_st) != 0) fail(path, errno);
  if (!S_ISDIR(dir_st.st_mode)) fail(path, ENOTDIR);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) fail(path, errno);
  return target;
}

std::vector<OutputTarget> plan_outputs(
    const std::vector<std::pair<std::string, std::string>>& requests) {
  std::vector<OutputTarget> targets;
  std::vector<std::string> keys;
  for (const auto& [flag, path] : requests) {
    OutputTarget target = plan_output(flag, path);
    if (target.kind == OutputTarget::Kind::replace) {
      // The same file under two names (./a, a, a link to a): one key.
      char dir[kPathBytes];
      const std::string parent = parent_of(target.path);
      const std::string key =
          (::realpath(parent.c_str(), dir) != nullptr ? std::string(dir) : parent) + "/" +
          base_of(target.path);
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i] == key) {
          throw InputErrors({{"command line", 0, 0, flag, path,
                              "is the same file as " + targets[i].flag + " " + targets[i].name +
                                  "; give each output its own file"}});
        }
      }
      keys.push_back(key);
    } else {
      keys.emplace_back();
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

void write_outputs(const std::vector<Output>& outputs) {
  std::vector<Temp> temps;
  bool any_replace = false;
  for (const auto& o : outputs)
    any_replace = any_replace || o.target.kind == OutputTarget::Kind::replace;
  try {
    // 1. Every temp file, complete and synced, before anything is visible.
    for (const auto& o : outputs) {
      if (o.target.kind != OutputTarget::Kind::replace) continue;
      Temp t;
      t.path = o.target.path + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
      t.output = &o;
      t.slot = claim_slot(t.path);  // registered before it exists: a signal never misses it
      if (t.slot < 0) fail(o.target.name, ENAMETOOLONG);
      temps.push_back(t);
      if (const int error = write_temp(t.path, o.target.path, o.text); error != 0)
        fail(o.target.name, error);
    }
    // 2. Streams and devices: from the first byte on, a signal says which is incomplete.
    for (const auto& o : outputs) {
      if (o.target.kind == OutputTarget::Kind::replace) continue;
      if (o.target.kind == OutputTarget::Kind::descriptor && o.target.fd == STDOUT_FILENO &&
          t_capture != nullptr) {
        t_capture->out += o.text;
        continue;
      }
      const std::string message = "clustercap: interrupted while writing " + o.target.name +
                                  "; it is incomplete" +
                                  (any_replace ? " and no file was replaced\n" : "\n");
      const std::size_t size = std::min(message.size(), sizeof g_stream_message);
      std::memcpy(g_stream_message, message.data(), size);
      g_stream_message_size.store(size);
      g_phase.store(kStreaming);
      int fd = o.target.fd;
      if (o.target.kind == OutputTarget::Kind::direct) {
        fd = ::open(o.target.path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) fail(o.target.name, errno);
      }
      g_stream_started.store(1);
      int error = write_all(fd, o.text);
      if (o.target.kind == OutputTarget::Kind::direct && ::close(fd) != 0 && error == 0)
        error = errno;
      g_stream_started.store(0);
      g_phase.store(kWorking);
      if (error != 0) fail(o.target.name, error);
    }
    // 3. Renames: a signal now waits until all are done.
    g_phase.store(kCommitting);
    for (auto& t : temps) {
      if (::rename(t.path.c_str(), t.output->target.path.c_str()) != 0) {
        const int error = errno;
        g_phase.store(kWorking);
        fail(t.output->target.name, error);
      }
      g_temp_live[t.slot].store(0);
      t.slot = -1;
    }
    g_phase.store(kDone);
  } catch (...) {
    remove_temps(temps);
    throw;
  }
}

Capture* active_capture() { return t_capture; }

CaptureScope::CaptureScope(Capture& capture) : previous_(t_capture) { t_capture = &capture; }

CaptureScope::~CaptureScope() { t_capture = previous_; }

}  // namespace clustercap::cli
