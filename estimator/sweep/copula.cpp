#include "estimator/sweep/copula.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <Eigen/Cholesky>

#include "estimator/sweep/random.hpp"
#include "hardware/common/input_error.hpp"

namespace clustercap::sweep {

Copula make_copula(const Scenario& scenario) {
  Copula copula;
  const auto& inputs = scenario.sweep.inputs;
  auto index_of = [&](const std::string& label) {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].label() == label || inputs[i].indexed_key == label) return static_cast<int>(i);
    }
    return -1;
  };
  for (const auto& c : scenario.sweep.correlations) {
    for (int i : {index_of(c.a), index_of(c.b)}) {
      if (i >= 0 && std::find(copula.inputs.begin(), copula.inputs.end(), i) == copula.inputs.end()) {
        copula.inputs.push_back(i);
      }
    }
  }
  if (copula.inputs.empty()) return copula;
  const auto k = static_cast<Eigen::Index>(copula.inputs.size());
  Eigen::MatrixXd r = Eigen::MatrixXd::Identity(k, k);
  auto pos = [&](int input) {
    return static_cast<Eigen::Index>(std::find(copula.inputs.begin(), copula.inputs.end(), input) -
                                     copula.inputs.begin());
  };
  for (const auto& c : scenario.sweep.correlations) {
    const Eigen::Index a = pos(index_of(c.a)), b = pos(index_of(c.b));
    const double pearson = 2 * std::sin(3.14159265358979323846 * c.spearman / 6);
    r(a, b) = r(b, a) = pearson;
  }
  Eigen::LLT<Eigen::MatrixXd> llt(r);
  if (llt.info() != Eigen::Success) {
    throw InputErrors({{scenario.file, 0, 0, "sweep.correlation", "",
                        "the correlations are inconsistent (their matrix is not positive definite)"}});
  }
  copula.lower = llt.matrixL();
  return copula;
}

void draw_values(const Scenario& scenario, const Copula& copula, std::uint64_t seed, std::uint64_t first,
                 std::vector<model::Pack>& values, std::vector<model::Pack>& scratch) {
  const auto& inputs = scenario.sweep.inputs;
  const model::PackU64 keys = sample_keys(seed, first);
  values.resize(inputs.size());
  const std::size_t k = copula.inputs.size();
  scratch.resize(k);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (std::find(copula.inputs.begin(), copula.inputs.end(), static_cast<int>(i)) == copula.inputs.end()) {
      values[i] = inputs[i].sample(uniform_at(keys, i));
    }
  }
  if (k == 0) return;
  for (std::size_t j = 0; j < k; ++j) {
    scratch[j] = normal_quantile(uniform_at(keys, static_cast<std::uint64_t>(copula.inputs[j])));
  }
  // y = L z with L lower-triangular.
  for (std::size_t j = 0; j < k; ++j) {
    model::Pack y = model::splat<model::Pack>(0.0);
    for (std::size_t m = 0; m <= j; ++m) {
      y += copula.lower(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(m)) * scratch[m];
    }
    const auto i = static_cast<std::size_t>(copula.inputs[j]);
    values[i] = inputs[i].sample_at_normal(y);
  }
}

}  // namespace clustercap::sweep
