#include <iostream>
#include <string>
#include <vector>

#include "estimator/cli/app.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return clustercap::cli::run(args, std::cout, std::cerr);
}
