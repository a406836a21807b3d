// Writing results: stdout, or a file replaced atomically (temp + rename), so
// a failed or interrupted run never leaves a partial output file.
#pragma once

#include <ostream>
#include <string>

namespace clustercap::cli {

// Writes `text` to `path` atomically; throws RuntimeFailure on I/O errors.
void write_file_atomically(const std::string& path, const std::string& text);
// `path` empty: writes to `stdout_stream`.
void emit(const std::string& text, const std::string& path, std::ostream& stdout_stream);

}  // namespace clustercap::cli
