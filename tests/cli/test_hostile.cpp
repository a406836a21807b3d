// Hostile environments for the command line: outputs that are links, devices,
// FIFOs, full or closed; signals at every stage; oversized inputs and grids.
// The binary never writes a partial or stale result and never exits 0 when
// something was not written.
//
// Device nodes are private copies made with mknod in a temp folder (skipped
// without the privilege): a test never names the real /dev/null or /dev/full,
// which an older binary would rename a temp file over.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/sweep.hpp"
#include "hardware/common/toml_reader.hpp"
#include "tests/cli/process.hpp"
#include "tests/support.hpp"

namespace fs = std::filesystem;
using clustercap::test::read_file;
using clustercap::test::run_process;
using clustercap::test::StdoutMode;

namespace {

// The binary under test (CLUSTERCAP_TEST_BINARY overrides it, to show that a
// test fails on an older build).
std::string binary() {
  const char* other = std::getenv("CLUSTERCAP_TEST_BINARY");
  return other != nullptr && *other != '\0' ? other : CLUSTERCAP_BINARY;
}

const std::string kDefault = std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/default.toml";
// The signal tests stop a run in its writes, not in its setup: MFU from the
// catalog priors skips the step model's tables, which take tens of seconds in
// an ASan build on a loaded machine (more than the tests' 30 s wait).
const std::string kPriorMfu = "--set=training.mfu_model=\"prior\"";

// A fresh empty folder per call.
fs::path fresh_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("clustercap_hostile_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Names in `dir` that look like our temp files.
std::vector<std::string> temps_in(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp-") != std::string::npos) found.push_back(name);
  }
  return found;
}

// A private character device with the numbers of /dev/null (1, 3) or
// /dev/full (1, 7); nullopt without the privilege to make one.
std::optional<fs::path> device(const fs::path& dir, const std::string& name,
                               unsigned minor_number) {
  const fs::path path = dir / name;
  if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, minor_number)) != 0) return std::nullopt;
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return std::nullopt;  // a nodev mount
  ::close(fd);
  return path;
}

bool is_char_device_node(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

bool is_fifo_node(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

// A child started without waiting, its stdout and stderr in files.
struct Child {
  pid_t pid = -1;
  fs::path out, err;
};

Child spawn(const std::vector<std::string>& args, const fs::path& dir) {
  Child child;
  child.out = dir / "child.stdout";
  child.err = dir / "child.stderr";
  child.pid = ::fork();
  REQUIRE(child.pid >= 0);
  if (child.pid == 0) {
    const int out_fd = ::open(child.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err_fd = ::open(child.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (out_fd < 0 || err_fd < 0 || null_fd < 0) ::_exit(127);
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    std::vector<char*> argv;
    const std::string program = binary();
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  return child;
}

// Exit code (128 + signal when killed), or nullopt when still running.
std::optional<int> exited(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Polls until `ready()` (true) or the child exits or `limit` passes (false;
// the exit code, if any, goes to `code`).
bool wait_until(const Child& child, const std::function<bool()>& ready, std::optional<int>& code,
                std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    if ((code = exited(child.pid))) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Whether process `pid` has a handler for `sig` (SigCgt in /proc/PID/status).
bool catches(pid_t pid, int sig) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigCgt:", 0) != 0) continue;
    const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
    return ((mask >> (sig - 1)) & 1U) != 0;
  }
  return false;
}

// Waits (at most 5 s) until the child has its signal handlers in place.
// Whether the child has replaced itself with the binary: between fork and
// exec it is a copy of this test process, whose Catch2 handlers for SIGINT
// and SIGTERM show in SigCgt too, so catches() alone can pass before the
// binary has installed its own (a loaded machine then delivers the signal
// to a process with none: exit 130, nothing written).
bool runs_binary(const Child& child) {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/" + std::to_string(child.pid) + "/exe", ec);
  return !ec && fs::equivalent(exe, binary(), ec) && !ec;
}

void wait_for_handlers(const Child& child) {
  std::optional<int> code;
  const bool ready = wait_until(
      child,
      [&] {
        return runs_binary(child) && catches(child.pid, SIGINT) && catches(child.pid, SIGTERM);
      },
      code,
      std::chrono::seconds(120));  // an ASan build on a loaded 2-core machine starts slowly
  if (!ready && !code) {           // never leave the child running after a failure
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
  }
  REQUIRE(ready);
}

int finish(const Child& child) {
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Kills a child a test gave up on, so a failure never leaves it running.
void stop(const Child& child) {
  if (exited(child.pid)) return;
  ::kill(child.pid, SIGKILL);
  finish(child);
}

std::string temp_of(const fs::path& path, pid_t pid) {
  return path.string() + ".tmp-" + std::to_string(pid);
}

const char* kGridScenario = R"([scenario]
name = "grid"
[training]
duration_days = 100
[[actor]]
name = "lab"
[[actor.site]]
name = "dc"
power_mw = { dist = "uniform", min = 50, max = 150 }
pue = 1.2
[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = 100000
[sweep.grid]
"actor[0].site[0].pue" = [1.1, 1.2, 1.3]
)";

}  // namespace

// ---- Finding 1: what --output replaces ----------------------------------------------------

TEST_CASE("an output through a symlink replaces the link's target and keeps the link",
          "[cli][hostile][output]") {
  const fs::path dir = fresh_dir("symlink");
  write_text(dir / "target.csv", "stale\n");
  fs::create_symlink("target.csv", dir / "link.csv");
  const auto r = run_process(
      binary(), {"estimate", "--format", "csv", "--output", (dir / "link.csv").string()});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(fs::is_symlink(dir / "link.csv"));
  CHECK(read_file((dir / "target.csv").string()).rfind("scenario,actor,chip,", 0) == 0);
  CHECK(temps_in(dir).empty());
}

TEST_CASE("an output naming our own stdout writes to stdout and keeps the link",
          "[cli][hostile][output]") {
  // What /dev/stdout is: a link to /proc/self/fd/1.
  const fs::path dir = fresh_dir("stdout_link");
  fs::create_symlink("/proc/self/fd/1", dir / "stdout");
  const auto r =
      run_process(binary(), {"estimate", "--format", "csv", "--output", (dir / "stdout").string()});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("scenario,actor,chip,", 0) == 0);
  CHECK(fs::is_symlink(dir / "stdout"));
  CHECK(temps_in(dir).empty());
}

TEST_CASE("an output to a device node writes in place and leaves the node",
          "[cli][hostile][output]") {
  const fs::path dir = fresh_dir("device");
  const auto null_device = device(dir, "null", 3);
  if (!null_device) {
    WARN("cannot make a device node here; skipped");
    return;
  }
  const auto r = run_process(binary(), {"estimate", "--output", null_device->string()});
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(is_char_device_node(*null_device));
  CHECK(temps_in(dir).empty());
}

TEST_CASE("an output to a FIFO writes in place and leaves the FIFO", "[cli][hostile][output]") {
  const fs::path dir = fresh_dir("fifo_out");
  const fs::path fifo = dir / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Opened for reading first, so the writer's open does not wait; the output
  // (~2 KB) fits in the pipe buffer.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  const auto r = run_process(binary(), {"estimate", "--format", "csv", "--output", fifo.string()});
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(reader, buffer, sizeof buffer)) > 0)
    text.append(buffer, static_cast<std::size_t>(n));
  ::close(reader);
  CHECK(r.exit_code == 0);
  CHECK(text.rfind("scenario,actor,chip,", 0) == 0);
  CHECK(is_fifo_node(fifo));
  CHECK(temps_in(dir).empty());
}

// ---- Findings 2 and 4: every write checked, all outputs or none ------------------------------

TEST_CASE("a full or closed stdout is exit 1 with the reason", "[cli][hostile][output]") {
  const auto full = run_process(binary(), {"estimate"}, "", StdoutMode::full_device);
  CHECK(full.exit_code == 1);
  CHECK(full.err == "clustercap: cannot write stdout: No space left on device\n");
  const auto closed =
      run_process(binary(), {"estimate", "--format", "json"}, "", StdoutMode::closed);
  CHECK(closed.exit_code == 1);
  CHECK(closed.err == "clustercap: cannot write stdout: Bad file descriptor\n");
  const auto help = run_process(binary(), {"--help"}, "", StdoutMode::full_device);
  CHECK(help.exit_code == 1);
  CHECK(help.err == "clustercap: cannot write stdout: No space left on device\n");
}

TEST_CASE("a full --output device is exit 1 and no side output is written",
          "[cli][hostile][output]") {
  const fs::path dir = fresh_dir("full_device");
  const auto full = device(dir, "full", 7);
  if (!full) {
    WARN("cannot make a device node here; skipped");
    return;
  }
  const fs::path rows = dir / "rows.csv";
  const fs::path plan = dir / "plan.json";
  const auto r =
      run_process(binary(), {"sweep", kDefault, "--samples", "200", "--samples-out", rows.string(),
                             "--plan-out", plan.string(), "--output", full->string()});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "clustercap: cannot write " + full->string() + ": No space left on device\n");
  CHECK(is_char_device_node(*full));
  CHECK_FALSE(fs::exists(rows));
  CHECK_FALSE(fs::exists(plan));
  CHECK(temps_in(dir).empty());
}

TEST_CASE("a broken pipe on stdout is exit 1 and no side output is written",
          "[cli][hostile][output]") {
  const fs::path dir = fresh_dir("broken_pipe");
  const fs::path rows = dir / "rows.csv";
  const auto r =
      run_process(binary(), {"sweep", kDefault, "--samples", "200", "--samples-out", rows.string()},
                  "", StdoutMode::broken_pipe);
  CHECK(r.exit_code == 1);
  CHECK(r.err == "clustercap: cannot write stdout: Broken pipe\n");
  CHECK_FALSE(fs::exists(rows));
  CHECK(temps_in(dir).empty());
}

// ---- Finding 3: signals at every stage ----------------------------------------------------

TEST_CASE("a signal while waiting for an input exits 1 with the message",
          "[cli][hostile][interrupt]") {
  // Opening a FIFO with no writer blocks: the command is interrupted before
  // it has read anything (no cooperative cancel point is involved).
  const fs::path dir = fresh_dir("fifo_in");
  const fs::path fifo = dir / "scenario.toml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    INFO("signal " << sig);
    const Child child =
        spawn({"estimate", fifo.string(), "--output", (dir / "out.txt").string()}, dir);
    wait_for_handlers(child);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(child.pid, sig);
    CHECK(finish(child) == 1);
    CHECK(read_file(child.err.string()) == "clustercap: interrupted; nothing was written\n");
    CHECK_FALSE(fs::exists(dir / "out.txt"));
  }
}

TEST_CASE("a signal during the final write removes every temp file and exits 1",
          "[cli][hostile][interrupt]") {
  // --output is a FIFO nobody reads: the run stops in the final write, after
  // the temp files of --samples-out and --plan-out are complete.
  const fs::path dir = fresh_dir("final_write");
  const fs::path fifo = dir / "out.json";
  const fs::path rows = dir / "rows.csv";
  const fs::path plan = dir / "plan.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const Child child =
      spawn({"sweep", kDefault, kPriorMfu, "--samples", "300", "--format", "json", "--output",
             fifo.string(), "--samples-out", rows.string(), "--plan-out", plan.string()},
            dir);
  std::optional<int> code;
  const bool waiting = wait_until(
      child,
      [&] { return fs::exists(temp_of(rows, child.pid)) && fs::exists(temp_of(plan, child.pid)); },
      code);
  CHECK(waiting);
  if (waiting) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(child.pid, SIGTERM);
    code = finish(child);
  }
  stop(child);
  CHECK(code == 1);
  CHECK(read_file(child.err.string()) == "clustercap: interrupted; nothing was written\n");
  CHECK_FALSE(fs::exists(rows));
  CHECK_FALSE(fs::exists(plan));
  CHECK(is_fifo_node(fifo));
  CHECK(temps_in(dir).empty());
}

TEST_CASE("a signal while a stream is half written says it is incomplete",
          "[cli][hostile][interrupt]") {
  // --samples-out is a FIFO read for a moment and then left: the ~1 MB of
  // rows fill the pipe and the write blocks part way.
  const fs::path dir = fresh_dir("half_written");
  const fs::path fifo = dir / "rows.csv";
  const fs::path out = dir / "out.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  const Child child = spawn({"sweep", kDefault, kPriorMfu, "--samples", "5000", "--format", "json",
                             "--output", out.string(), "--samples-out", fifo.string()},
                            dir);
  std::string head;
  std::optional<int> code;
  const bool streaming = wait_until(
      child,
      [&] {
        char buffer[512];
        const ssize_t n = ::read(reader, buffer, sizeof buffer);
        if (n > 0) head.append(buffer, static_cast<std::size_t>(n));
        return head.size() >= 512;
      },
      code);
  CHECK(streaming);
  if (streaming) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(child.pid, SIGINT);
    code = finish(child);
  }
  stop(child);
  ::close(reader);
  CHECK(code == 1);
  CHECK(head.rfind("sample,", 0) == 0);
  CHECK(read_file(child.err.string()) == "clustercap: interrupted while writing " + fifo.string() +
                                             "; it is incomplete and no file was replaced\n");
  CHECK_FALSE(fs::exists(out));
  CHECK(temps_in(dir).empty());
}

TEST_CASE("an interrupted sweep writes no --plan-out", "[cli][hostile][interrupt]") {
  const fs::path dir = fresh_dir("plan_out");
  const fs::path plan = dir / "plan.json";
  // Tens of seconds of work: still running when the signal arrives.
  const Child child = spawn(
      {"sweep", kDefault, "--samples", "50000000", "--plan-out", plan.string(), "--format", "json"},
      dir);
  wait_for_handlers(child);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(child.pid, SIGINT);
  CHECK(finish(child) == 1);
  CHECK(read_file(child.err.string()) == "clustercap: interrupted; nothing was written\n");
  CHECK_FALSE(fs::exists(plan));
  CHECK(temps_in(dir).empty());
}

// ---- Finding 5: input cap -------------------------------------------------------------------

TEST_CASE("input files are capped at 64 MiB, read no further", "[cli][hostile][input]") {
  const fs::path dir = fresh_dir("input_cap");
  // Sparse files: no disk used.
  const fs::path over = dir / "over.toml";
  const fs::path at = dir / "at.toml";
  std::ofstream(over).close();
  std::ofstream(at).close();
  fs::resize_file(over, (std::uintmax_t{64} << 20) + 1);
  fs::resize_file(at, std::uintmax_t{64} << 20);
  const std::string cap = ": larger than 64 MiB, the cap for input files (is it the right file?)\n";
  const auto r = run_process(binary(), {"estimate", over.string()});
  CHECK(r.exit_code == 2);
  CHECK(r.err == over.string() + cap + "clustercap: 1 input error; nothing was written\n");
  // Exactly 64 MiB is read (and is not TOML).
  const auto at_cap = run_process(binary(), {"estimate", at.string()});
  CHECK(at_cap.exit_code == 2);
  CHECK(at_cap.err.find("64 MiB") == std::string::npos);
  const auto cases = run_process(binary(), {"validate", "/dev/zero"});
  CHECK(cases.exit_code == 2);
  CHECK(cases.err == "/dev/zero" + cap + "clustercap: 1 input error; nothing was written\n");
  const auto folder = run_process(binary(), {"validate", dir.string()});
  CHECK(folder.exit_code == 2);
  CHECK(folder.err ==
        dir.string() +
            ": is a directory, not a file\nclustercap: 1 input error; nothing was written\n");
  fs::remove_all(dir);
}

// ---- Finding 9: grid cap and progress ------------------------------------------------------

TEST_CASE("a grid over the cap is refused before running and --max-points raises the cap",
          "[cli][hostile][sweep]") {
  const fs::path dir = fresh_dir("max_points");
  const fs::path scenario = dir / "grid.toml";
  write_text(scenario, kGridScenario);
  const auto refused =
      run_process(binary(), {"sweep", scenario.string(), "--samples", "100", "--max-points", "2"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err ==
        scenario.string() +
            ":14:1: sweep.grid: has 3 points, more than the cap of 2; use fewer values or raise "
            "the cap with --max-points 3 (SweepOptions::max_points)\n"
            "clustercap: 1 input error; nothing was written\n");
  const auto allowed = run_process(binary(), {"sweep", scenario.string(), "--samples", "100",
                                              "--max-points", "3", "--format", "csv"});
  CHECK(allowed.exit_code == 0);
  CHECK(allowed.err.empty());
}

TEST_CASE("SweepOptions checks its own fields, and run_sweep refuses before evaluating",
          "[sweep][options]") {
  using clustercap::sweep::SweepOptions;
  CHECK(SweepOptions{}.problems().empty());
  SweepOptions bad;
  bad.samples = 0;
  bad.threads = -1;
  bad.block = 0;
  bad.keep_rows = 1000001;
  bad.srrc_samples = 10000001;
  bad.max_points = 0;
  std::vector<std::string> lines;
  for (const auto& p : bad.problems()) lines.push_back(p.option + " = " + p.value + ": " + p.rule);
  CHECK(lines == std::vector<std::string>{"samples = 0: must be in [1, 100000000000]",
                                          "threads = -1: must be in [1, 1024]",
                                          "block = 0: must be in [1, 65536]",
                                          "keep_rows = 1000001: must be in [0, 1000000]",
                                          "srrc_samples = 10000001: must be in [0, 10000000]",
                                          "max_points = 0: must be in [1, 18446744073709551615]"});
  const auto& catalog = clustercap::test::builtin_catalog();
  const auto scenario = clustercap::load_scenario_text("grid.toml", kGridScenario, catalog);
  CHECK(clustercap::sweep::grid_point_count(scenario) == 3);
  SweepOptions threads;
  threads.threads = 2000;
  CHECK(clustercap::test::error_lines([&] {
          clustercap::sweep::run_sweep(scenario, catalog, threads);
        }) == std::vector<std::string>{"sweep options: threads = 2000: must be in [1, 1024]"});
  SweepOptions small;
  small.max_points = 2;
  bool evaluated = false;
  small.progress = [&](std::uint64_t, std::uint64_t) { evaluated = true; };
  CHECK(clustercap::test::error_lines([&] {
          clustercap::sweep::run_sweep(scenario, catalog, small);
        }) == std::vector<std::string>{
                  "grid.toml:14:1: sweep.grid: has 3 points, more than the cap of 2; use fewer "
                  "values or raise the cap with --max-points 3 (SweepOptions::max_points)"});
  CHECK_FALSE(evaluated);
}

TEST_CASE("a grid of more than 2^64-1 points is refused without a wrapped count",
          "[sweep][options]") {
  // 600^7 = 2.8e19 points: the product must saturate, not wrap to a small number.
  std::string text = kGridScenario;
  text = text.substr(0, text.find("\"actor[0].site[0].pue\""));
  // Seven keys a grid can set, 600 valid values each (1..600 times a scale).
  const std::pair<const char*, double> axes[] = {
      {"\"training.duration_days\"", 1},      {"\"training.max_tokens\"", 1e9},
      {"\"training.goodput\"", 1.0 / 600},    {"\"network.switch_w\"", 1},
      {"\"network.nic_transceiver_w\"", 1},   {"\"network.switch_transceiver_w\"", 1},
      {"\"actor[0].inventory[0].count\"", 10}};
  for (const auto& [key, scale] : axes) {
    std::string values;
    for (int v = 1; v <= 600; ++v)
      values += (v == 1 ? "" : v % 50 == 1 ? ",\n" : ", ") + std::to_string(v * scale);
    text += std::string(key) + " = [" + values + "]\n";
  }
  const auto& catalog = clustercap::test::builtin_catalog();
  const auto scenario = clustercap::load_scenario_text("grid.toml", text, catalog);
  CHECK(clustercap::sweep::grid_point_count(scenario) == std::numeric_limits<std::uint64_t>::max());
  CHECK(clustercap::test::error_lines([&] {
          clustercap::sweep::run_sweep(scenario, catalog, {});
        }) == std::vector<std::string>{
                  "grid.toml:14:1: sweep.grid: has more than 2^64-1 points, more than the cap of "
                  "10000; use fewer values or raise the cap with --max-points N "
                  "(SweepOptions::max_points)"});
}

TEST_CASE("an empty file name is an input error, not a file", "[cli][hostile][input]") {
  clustercap::Diagnostics diagnostics;
  CHECK_FALSE(clustercap::read_text_file("", diagnostics));
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics.errors()[0].to_string() == "\"\": an empty string is not a file name");
}

TEST_CASE("a grid sweep on a terminal shows which grid point is running", "[cli][hostile][sweep]") {
  // Minutes of work: the test reads the terminal until the progress line
  // names a grid point (it starts after 2 s), then interrupts the sweep.
  const fs::path dir = fresh_dir("progress");
  const fs::path scenario = dir / "grid.toml";
  write_text(scenario, kGridScenario);
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const std::string program = binary();
    const std::string out = (dir / "out.csv").string();
    ::execl(program.c_str(), program.c_str(), "sweep", scenario.c_str(), "--samples", "1000000000",
            "--format", "csv", "--output", out.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::string terminal;
  bool interrupted = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char buffer[4096];
  for (;;) {
    if (!interrupted && (terminal.find("(grid point 1 of 3, ") != std::string::npos ||
                         std::chrono::steady_clock::now() > deadline)) {
      ::kill(pid, SIGINT);
      interrupted = true;
    }
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 1000) < 0) break;
    if ((p.revents & (POLLIN | POLLHUP)) == 0) continue;
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once the child has exited
    terminal.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  INFO(terminal);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(terminal.find("\rsweep: ") != std::string::npos);
  CHECK(terminal.find("(grid point 1 of 3, ") != std::string::npos);
  CHECK(terminal.find(" of 3000000000 samples)") != std::string::npos);
  // The message starts on its own line (the terminal turns \n into \r\n).
  CHECK(terminal.find("\r\nclustercap: interrupted; nothing was written\r\n") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out.csv"));
}

TEST_CASE("control characters in arguments and file names are written out in messages",
          "[cli][hostile]") {
  const auto bad_format = run_process(binary(), {"estimate", "--format", "\x1b[2J"});
  CHECK(bad_format.exit_code == 2);
  CHECK(bad_format.err ==
        "clustercap: --format \\x1b[2J: must be table, json or csv\n"
        "see: clustercap estimate --help\n");
  const auto bad_file = run_process(binary(), {"estimate", "no\x07such\x1b[31m.toml"});
  CHECK(bad_file.exit_code == 2);
  CHECK(bad_file.err.find('\x1b') == std::string::npos);
  CHECK(bad_file.err.find('\x07') == std::string::npos);
  CHECK(bad_file.err.rfind("no\\x07such\\x1b[31m.toml: ", 0) == 0);
}
