// Writing results without ever leaving a lie behind: every output of a run is
// written, or none is; every write and close is checked (stdout included); a
// signal removes every temp file and exits 1.
#pragma once

#include <string>
#include <vector>

namespace clustercap::cli {

// Process-wide setup, called once by main before anything else:
//  - descriptors 0, 1 and 2 that are closed get /dev/null (1 read-only, so a
//    write to a closed stdout still fails, with EBADF), so no file opened
//    later takes their number and catches text meant for stdout or stderr;
//  - SIGINT, SIGTERM and SIGHUP get a handler for the whole run: it removes
//    every temp file registered by write_outputs(), prints
//    "clustercap: interrupted; nothing was written" and exits 1 (it only
//    calls unlink, write and _exit on paths kept in fixed buffers);
//  - SIGPIPE is ignored, so a closed pipe is a checked write error (EPIPE).
void prepare_process();

// Whether a "\r...%" progress line is open on stderr: the interrupt message
// then starts on a new line.
void set_progress_line_open(bool open);

// Where one output goes and how it is written.
struct OutputTarget {
  enum class Kind {
    descriptor,  // an already open descriptor (stdout, or the file given is our stdout/stderr)
    direct,      // a device, FIFO or socket: opened and written in place
    replace,     // a regular file or nothing yet: temp file beside it, then rename
  };
  Kind kind = Kind::descriptor;
  std::string flag;  // "--output", "--samples-out", ...; empty for stdout
  std::string name;  // for messages: the path as given, or "stdout"
  int fd = 1;        // descriptor: the descriptor written
  std::string path;  // direct: the path opened; replace: the file replaced (symlinks resolved)
};

// Decides how to write `path` (empty: stdout), before any work is done:
//  - a regular file or no file: a temp file NAME.tmp-PID in the same directory,
//    renamed over it; a symlink is resolved first, so the link stays and its
//    target is replaced;
//  - the file open as our stdout or stderr (/dev/stdout, /dev/fd/1): that
//    descriptor, written in place;
//  - a device, FIFO or socket (/dev/null, /dev/full): opened and written in place;
//  - a directory: InputErrors (exit 2);
//  - a missing or unwritable parent directory: RuntimeFailure (exit 1).
OutputTarget plan_output(const std::string& flag, const std::string& path);

// plan_output() for each (flag, path); InputErrors when two outputs would
// replace the same file.
std::vector<OutputTarget> plan_outputs(
    const std::vector<std::pair<std::string, std::string>>& requests);

struct Output {
  OutputTarget target;
  std::string text;
};

// Writes every output or none that replaces a file: first every temp file
// (written, synced, closed), then the descriptor and direct outputs in order,
// then every temp renamed into place. Any failure removes every temp and
// throws RuntimeFailure "cannot write NAME: REASON" (exit 1). A signal before
// the renames removes every temp and exits 1; one during the renames (a few
// system calls) lets them finish, so the run completes.
void write_outputs(const std::vector<Output>& outputs);

// An in-process run (cli::run_captured): what would go to stdout is appended
// to `out` instead, and a scenario named "-" reads `stdin_text`. One per
// thread, set by CaptureScope; side outputs (--output FILE, --samples-out,
// --plan-out) still go to their files.
struct Capture {
  std::string stdin_text;
  std::string out;
};

// The calling thread's capture, or nullptr outside run_captured.
Capture* active_capture();

// Makes `capture` the calling thread's capture for its lifetime.
class CaptureScope {
 public:
  explicit CaptureScope(Capture& capture);
  CaptureScope(const CaptureScope&) = delete;
  CaptureScope& operator=(const CaptureScope&) = delete;
  ~CaptureScope();

 private:
  Capture* previous_;
};

}  // namespace clustercap::cli
