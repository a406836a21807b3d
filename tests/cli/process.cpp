#include "tests/cli/process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace clustercap::test {
namespace {

std::string drain(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
    text.append(buffer, static_cast<std::size_t>(n));
  return text;
}

}  // namespace

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                          const std::string& cwd, StdoutMode mode) {
  // Output goes to temporary files so large outputs cannot deadlock a pipe.
  char out_name[] = "/tmp/clustercap_test_outXXXXXX";
  char err_name[] = "/tmp/clustercap_test_errXXXXXX";
  const int out_fd = ::mkstemp(out_name);
  const int err_fd = ::mkstemp(err_name);
  if (out_fd < 0 || err_fd < 0) throw std::runtime_error("mkstemp failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
    ::dup2(err_fd, 2);
    if (mode == StdoutMode::capture) {
      ::dup2(out_fd, 1);
    } else if (mode == StdoutMode::closed) {
      ::close(1);
    } else if (mode == StdoutMode::full_device) {
      const int full_fd = ::open("/dev/full", O_WRONLY);
      if (full_fd < 0) ::_exit(127);
      ::dup2(full_fd, 1);
    } else {
      int ends[2];
      if (::pipe(ends) != 0) ::_exit(127);
      ::close(ends[0]);
      ::dup2(ends[1], 1);
      ::signal(SIGPIPE, SIG_DFL);
    }
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::lseek(out_fd, 0, SEEK_SET);
  ::lseek(err_fd, 0, SEEK_SET);
  result.out = drain(out_fd);
  result.err = drain(err_fd);
  ::close(out_fd);
  ::close(err_fd);
  ::unlink(out_name);
  ::unlink(err_name);
  return result;
}

}  // namespace clustercap::test
