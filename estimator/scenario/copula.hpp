// Draws of a scenario's uncertain inputs: counter-based uniforms per
// (seed, sample, input), and a Gaussian copula for rank correlations
// (Cholesky factor of the Pearson matrix implied by the Spearman ones,
// rho = 2 sin(pi rho_s / 6)).
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "estimator/model/lanes.hpp"
#include "estimator/scenario/scenario.hpp"

namespace clustercap::sweep {

struct Copula {
  std::vector<int> inputs;  // inputs taking part
  Eigen::MatrixXd lower;
};

// Throws InputErrors when the correlations are inconsistent.
Copula make_copula(const Scenario& scenario);

// Every input's value (config units) for the eight samples first .. first+7.
// Inputs in the copula get their value from the correlated normal deviate;
// the others from their own uniform. `scratch` is reused between calls.
void draw_values(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                 std::uint64_t first, std::vector<model::Pack>& values,
                 std::vector<model::Pack>& scratch);

}  // namespace clustercap::sweep
