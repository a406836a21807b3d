// An interrupted sweep exits non-zero and leaves no output file.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

int run_and_signal(const std::vector<std::string>& args, int signal_number) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::freopen("/dev/null", "w", stderr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ::kill(pid, signal_number);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("an interrupted sweep exits non-zero and writes nothing", "[cli][interrupt]") {
  const fs::path dir = fs::temp_directory_path() / ("clustercap_int_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string scenario = std::string(CLUSTERCAP_SOURCE_DIR) + "/configs/default.toml";
  for (int sig : {SIGINT, SIGTERM}) {
    const fs::path out = dir / ("sweep-" + std::to_string(sig) + ".json");
    const fs::path rows = dir / ("rows-" + std::to_string(sig) + ".csv");
    // Long enough (tens of seconds) to still be running when the signal arrives.
    const int code = run_and_signal({CLUSTERCAP_BINARY, "sweep", scenario, "--samples", "50000000",
                                     "--output", out.string(), "--format", "json"},
                                    sig);
    INFO("signal " << sig);
    CHECK(code != 0);
    CHECK_FALSE(fs::exists(out));
    CHECK_FALSE(fs::exists(rows));
    for (const auto& entry : fs::directory_iterator(dir)) {
      CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
    }
  }
}
