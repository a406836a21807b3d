#include <iostream>
#include <string>
#include <vector>

#include "estimator/cli/app.hpp"
#include "estimator/cli/output.hpp"
#ifdef CLUSTERCAP_MPI
#include "estimator/cli/mpi.hpp"
#endif

int main(int argc, char** argv) {
  clustercap::cli::prepare_process();
#ifdef CLUSTERCAP_MPI
  return clustercap::cli::run_mpi(argc, argv);
#else
  std::vector<std::string> args(argv + 1, argv + argc);
  return clustercap::cli::run(args, std::cerr);
#endif
}
