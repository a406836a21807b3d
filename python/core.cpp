// clustercap._core: the command line run in-process (cli::run_captured), so
// the Python package shares every check, message and exit code with the
// binary. Everything else in the package is Python.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "estimator/cli/app.hpp"

namespace py = pybind11;

namespace {

// Output is UTF-8 by construction; a stray byte (a name echoed from a file)
// is replaced rather than raising in the middle of a result.
py::str decoded(const std::string& text) {
  PyObject* object =
      PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace");
  if (object == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(object);
}

py::tuple run(const std::vector<std::string>& args, const std::string& stdin_text) {
  clustercap::cli::CapturedRun result;
  {
    // A sweep may take seconds; other Python threads run meanwhile.
    py::gil_scoped_release release;
    result = clustercap::cli::run_captured(args, stdin_text);
  }
  return py::make_tuple(result.exit_code, decoded(result.out), decoded(result.err));
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "clustercap's command line, run in-process";
  m.def("run", &run, py::arg("args"), py::arg("stdin") = std::string(),
        "run(args, stdin='') -> (exit_code, out, err): one clustercap command, as the binary "
        "would run it with ARGS (without the program name); a scenario named '-' reads STDIN.");
}
