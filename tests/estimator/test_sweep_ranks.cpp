// A sweep shared over ranks (estimator/sweep/ranks.hpp) without MPI: each
// rank is a thread here, its collectives a barrier, so the block split and
// the merges in block order are checked in every build.
#include <algorithm>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

#include "estimator/report/sweep_report.hpp"
#include "estimator/scenario/scenario_loader.hpp"
#include "estimator/sweep/ranks.hpp"
#include "estimator/sweep/sketch.hpp"
#include "estimator/sweep/sweep.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using namespace clustercap::sweep;

namespace {

// What the ranks of one run share: a barrier and one slot per rank.
struct Hub {
  explicit Hub(int n) : size(n), statuses(n), doubles(n), counts(n), words(n) {}
  void barrier() {
    std::unique_lock<std::mutex> lock(mutex);
    const std::uint64_t generation = passed;
    if (++arrived == size) {
      arrived = 0;
      ++passed;
      wake.notify_all();
    } else {
      wake.wait(lock, [&] { return passed != generation; });
    }
  }
  int size;
  std::mutex mutex;
  std::condition_variable wake;
  int arrived = 0;
  std::uint64_t passed = 0;
  std::vector<int> statuses;
  std::vector<double*> doubles;
  std::vector<std::uint64_t*> counts;
  std::vector<const std::vector<std::uint64_t>*> words;
};

class ThreadRanks final : public Ranks {
 public:
  ThreadRanks(Hub& hub, int rank) : hub_(hub), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return hub_.size; }
  int agree(int status) override {
    hub_.statuses[u(rank_)] = status;
    hub_.barrier();
    const int worst = *std::max_element(hub_.statuses.begin(), hub_.statuses.end());
    hub_.barrier();
    return worst;
  }
  void gather(double* data, const std::vector<std::size_t>& offsets) override {
    REQUIRE(offsets.size() == u(hub_.size) + 1);
    hub_.doubles[u(rank_)] = data;
    hub_.barrier();
    if (rank_ == 0) {
      for (std::size_t r = 1; r < u(hub_.size); ++r) {
        std::copy(hub_.doubles[r] + offsets[r], hub_.doubles[r] + offsets[r + 1],
                  data + offsets[r]);
      }
    }
    hub_.barrier();
  }
  void sum(std::uint64_t* data, std::size_t n) override {
    hub_.counts[u(rank_)] = data;
    hub_.barrier();
    std::vector<std::uint64_t> total(data, data + n);
    for (std::size_t r = 1; rank_ == 0 && r < u(hub_.size); ++r) {
      for (std::size_t i = 0; i < n; ++i) total[i] += hub_.counts[r][i];
    }
    hub_.barrier();
    std::copy(total.begin(), total.end(), data);
  }
  std::vector<std::vector<std::uint64_t>> gather_words(
      const std::vector<std::uint64_t>& mine) override {
    hub_.words[u(rank_)] = &mine;
    hub_.barrier();
    std::vector<std::vector<std::uint64_t>> all;
    for (std::size_t r = 0; rank_ == 0 && r < u(hub_.size); ++r) all.push_back(*hub_.words[r]);
    hub_.barrier();
    return all;
  }

 private:
  static std::size_t u(int i) { return static_cast<std::size_t>(i); }
  Hub& hub_;
  int rank_;
};

// Runs `work(ranks)` on n ranks (threads) and returns rank 0's result.
template <class Work>
auto on_ranks(int n, Work work) {
  Hub hub(n);
  std::vector<ThreadRanks> ranks;
  for (int r = 0; r < n; ++r) ranks.emplace_back(hub, r);
  decltype(work(ranks[0])) first{};
  std::vector<std::thread> threads;
  for (int r = 1; r < n; ++r)
    threads.emplace_back([&, r] { (void)work(ranks[static_cast<std::size_t>(r)]); });
  first = work(ranks[0]);
  for (auto& t : threads) t.join();
  return first;
}

// Two correlated sampled inputs and a grid of two points.
const char* kScenario = R"([scenario]
name = "ranks test"
[training]
duration_days = { dist = "pert", min = 60, mode = 120, max = 200, name = "days" }
[[actor]]
name = "lab"
[[actor.site]]
name = "dc"
power_mw = { dist = "triangular", min = 20, mode = 40, max = 90, name = "power" }
pue = 1.2
[[actor.inventory]]
chip = "nvidia_h100_sxm"
count = { dist = "lognormal", p5 = 8000, p95 = 40000, name = "count" }
[[reference]]
id = "xai_colossus_1_phase2"
[[sweep.correlation]]
a = "power"
b = "count"
spearman = 0.7
)";

std::string json_of(const SweepResult& result) {
  std::ostringstream out;
  report::write_sweep_json(result, out);
  return out.str();
}

}  // namespace

TEST_CASE("ranks take contiguous shares of the blocks that cover them once", "[sweep][ranks]") {
  // 10 blocks over 3 ranks: 3, 3, 4 (floor(10 r / 3) for r = 0..3: 0, 3, 6, 10).
  CHECK(share_of(10, 0, 3).begin == 0);
  CHECK(share_of(10, 0, 3).end == 3);
  CHECK(share_of(10, 1, 3).begin == 3);
  CHECK(share_of(10, 1, 3).end == 6);
  CHECK(share_of(10, 2, 3).begin == 6);
  CHECK(share_of(10, 2, 3).end == 10);
  // Fewer blocks than ranks: some ranks take none.
  CHECK(share_of(2, 0, 3).end == 0);
  CHECK(share_of(2, 2, 3).begin == 1);
  // Near 2^64 / 1024 blocks the split does not overflow.
  const std::uint64_t big = (std::uint64_t{1} << 54) + 5;
  CHECK(share_of(big, 1023, 1024).end == big);
  // Offsets of blocks [4, 8) of the 10, 2 words each: rank 0 none, rank 1
  // blocks 4-5, rank 2 blocks 6-7.
  CHECK(share_offsets(10, 3, 1, 4, 8, 2) == std::vector<std::size_t>{0, 0, 4, 8});
  // The same blocks of 512 samples, samples [0, 4000): rank 0 samples
  // 0-1535, rank 1 1536-3071, rank 2 3072-3999 (the share ends at 5120).
  CHECK(share_offsets(10, 3, 512, 0, 4000, 1) == std::vector<std::size_t>{0, 1536, 3072, 4000});
}

TEST_CASE("a quantile sketch moved as words merges to the same quantiles", "[sweep][ranks]") {
  QuantileSketch a, b, both;
  for (int i = 0; i < 1000; ++i) {
    const double x = i % 7 == 0 ? 0.0 : 1e6 * (1 + i % 97);
    (i < 400 ? a : b).add(x);
    both.add(x);
  }
  std::vector<std::uint64_t> words;
  b.append_words(words);
  std::size_t at = 0;
  a.merge(QuantileSketch::from_words(words, at));
  CHECK(at == words.size());
  CHECK(a.count() == 1000);
  CHECK(a.min() == 0);
  CHECK(a.max() == Approx(9.7e7));
  for (double q : kQuantiles) CHECK(a.quantile(q) == both.quantile(q));
  words.pop_back();
  at = 0;
  CHECK_THROWS_WITH(QuantileSketch::from_words(words, at),
                    "quantile sketch: truncated or malformed record");
}

TEST_CASE("a sweep shared over ranks gives rank 0 the one-process result to the byte",
          "[sweep][ranks]") {
  const Scenario s = load_scenario_text(
      "r.toml", std::string(kScenario) + "[sweep.grid]\n\"training.goodput\" = [0.8, 0.95]\n",
      test::builtin_catalog());
  SweepOptions options;
  options.samples = 5000;  // 10 blocks of 512, the last short
  options.seed = 5;
  options.threads = 2;
  const std::string one = json_of(run_sweep(s, test::builtin_catalog(), options));
  REQUIRE(one.find("training.goodput") != std::string::npos);
  for (int n : {2, 3, 4}) {
    INFO(n << " ranks");
    const std::string shared = on_ranks(n, [&](Ranks& ranks) {
      SweepOptions mine = options;
      mine.threads = 1;
      mine.ranks = &ranks;
      return json_of(run_sweep(s, test::builtin_catalog(), mine));
    });
    CHECK(shared == one);
  }
}

TEST_CASE("kept sample rows arrive on rank 0 in sample order", "[sweep][ranks]") {
  const Scenario s = load_scenario_text("r.toml", kScenario, test::builtin_catalog());
  SweepOptions options;
  options.samples = 1500;
  options.keep_rows = 1500;
  options.block = 256;
  const SweepResult one = run_sweep(s, test::builtin_catalog(), options);
  const SweepResult shared = on_ranks(3, [&](Ranks& ranks) {
    SweepOptions mine = options;
    mine.ranks = &ranks;
    return run_sweep(s, test::builtin_catalog(), mine);
  });
  REQUIRE(shared.rows.size() == 1500);
  CHECK(shared.rows == one.rows);
  CHECK(json_of(shared) == json_of(one));
}

TEST_CASE("a step failing on one rank stops every rank with its exit code", "[sweep][ranks]") {
  std::vector<int> seen(3, -1);  // per rank: 0 went on, 2 its own bad input, 100 + code a peer's
  on_ranks(3, [&](Ranks& ranks) {
    const auto r = static_cast<std::size_t>(ranks.rank());
    try {
      agreed_step(&ranks, [&] {
        if (ranks.rank() == 1) throw InputErrors({{"f.toml", 1, 1, "key", "v", "must be > 0"}});
      });
      seen[r] = 0;
    } catch (const PeerFailure& e) {
      seen[r] = 100 + e.code();
    } catch (const InputErrors&) {
      seen[r] = 2;
    }
    return 0;
  });
  CHECK(seen == std::vector<int>{102, 2, 102});
  // When every rank's step goes well, all go on.
  std::vector<int> fine(2, -1);
  on_ranks(2, [&](Ranks& ranks) {
    agreed_step(&ranks, [] {});
    fine[static_cast<std::size_t>(ranks.rank())] = 0;
    return 0;
  });
  CHECK(fine == std::vector<int>{0, 0});
  // Without ranks the step runs and throws as it is.
  CHECK_THROWS_AS(agreed_step(nullptr, [] { throw RuntimeFailure("x"); }), RuntimeFailure);
}
