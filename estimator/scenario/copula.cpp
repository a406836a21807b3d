#include "estimator/scenario/copula.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <string>

#include "estimator/scenario/sampling.hpp"
#include "hardware/common/input_error.hpp"

namespace clustercap::sweep {

namespace {

// The matrix is not positive definite: finds the first correlation (in file
// order) that makes the matrix of it and the ones before it so, and names the
// earlier ones it is linked to through shared inputs.
template <class IndexOf, class Pos>
InputError inconsistency(const Scenario& scenario, const Copula& copula, IndexOf index_of,
                         Pos pos) {
  const auto& all = scenario.sweep.correlations;
  const auto k = static_cast<Eigen::Index>(copula.inputs.size());
  Eigen::MatrixXd r = Eigen::MatrixXd::Identity(k, k);
  std::size_t culprit = all.size() - 1;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Eigen::Index a = pos(index_of(all[i].a)), b = pos(index_of(all[i].b));
    r(a, b) = r(b, a) = 2 * std::sin(3.14159265358979323846 * all[i].spearman / 6);
    if (Eigen::LLT<Eigen::MatrixXd>(r).info() != Eigen::Success) {
      culprit = i;
      break;
    }
  }
  // Inputs linked to the culprit's pair by the correlations before it.
  std::vector<int> linked = {index_of(all[culprit].a), index_of(all[culprit].b)};
  std::vector<char> involved(culprit, 0);
  for (bool grew = true; grew;) {
    grew = false;
    for (std::size_t i = 0; i < culprit; ++i) {
      if (involved[i] != 0) continue;
      const int a = index_of(all[i].a), b = index_of(all[i].b);
      const bool has_a = std::find(linked.begin(), linked.end(), a) != linked.end();
      const bool has_b = std::find(linked.begin(), linked.end(), b) != linked.end();
      if (!has_a && !has_b) continue;
      involved[i] = 1;
      if (!has_a) linked.push_back(a);
      if (!has_b) linked.push_back(b);
      grew = true;
    }
  }
  std::string others;
  for (std::size_t i = 0; i < culprit; ++i) {
    if (involved[i] != 0)
      others +=
          (others.empty() ? "" : ", ") + file_position(all[i].file, all[i].line, all[i].column);
  }
  const Correlation& c = all[culprit];
  return {c.file,
          c.line,
          c.column,
          "sweep.correlation",
          "\"" + c.a + "\" ~ \"" + c.b + "\"",
          "the correlations are inconsistent (their matrix is not positive definite)" +
              (others.empty() ? std::string() : "; this one contradicts the ones at " + others)};
}

}  // namespace

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
      if (i >= 0 &&
          std::find(copula.inputs.begin(), copula.inputs.end(), i) == copula.inputs.end()) {
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
  if (llt.info() != Eigen::Success)
    throw InputErrors({inconsistency(scenario, copula, index_of, pos)});
  copula.lower = llt.matrixL();
  return copula;
}

void draw_values(const Scenario& scenario, const Copula& copula, std::uint64_t seed,
                 std::uint64_t first, std::vector<model::Pack>& values,
                 std::vector<model::Pack>& scratch) {
  values.resize(scenario.sweep.inputs.size());
  scratch.resize(copula.inputs.size());
  sampling::draw_values(
      scenario, copula, seed, first, [&](std::size_t i) -> model::Pack& { return values[i]; },
      [&](std::size_t j) -> model::Pack& { return scratch[j]; });
}

}  // namespace clustercap::sweep
