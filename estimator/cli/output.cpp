#include "estimator/cli/output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <unistd.h>

#include "hardware/common/input_error.hpp"

namespace clustercap::cli {

void write_file_atomically(const std::string& path, const std::string& text) {
  // Same directory as the target, so rename() stays on one filesystem.
  const std::string temp = path + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw RuntimeFailure("cannot write " + path + ": " + std::strerror(errno));
    }
    out << text;
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      throw RuntimeFailure("cannot write " + path + ": write failed");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    throw RuntimeFailure("cannot write " + path + ": " + reason);
  }
}

void emit(const std::string& text, const std::string& path, std::ostream& stdout_stream) {
  if (path.empty()) {
    stdout_stream << text;
    stdout_stream.flush();
  } else {
    write_file_atomically(path, text);
  }
}

}  // namespace clustercap::cli
