#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "hardware/common/parallel.hpp"

using clustercap::parallel_for;

TEST_CASE("parallel_for runs every index once at any thread count", "[parallel]") {
  for (int threads : {1, 2, 7}) {
    std::vector<int> hits(1000, 0);
    parallel_for(static_cast<std::int64_t>(hits.size()), threads,
                 [&](std::int64_t i) { ++hits[static_cast<std::size_t>(i)]; });
    CHECK(std::count(hits.begin(), hits.end(), 1) == 1000);
  }
}

TEST_CASE("an exception inside a parallel region is rethrown after it, once", "[parallel]") {
  std::atomic<int> ran{0};
  const auto run = [&] {
    parallel_for(100, 2, [&](std::int64_t i) {
      ++ran;
      if (i % 10 == 3) throw std::runtime_error("item " + std::to_string(i) + " failed");
    });
  };
  CHECK_THROWS_WITH(run(),
                    Catch::Matchers::StartsWith("item ") && Catch::Matchers::EndsWith("3 failed"));
  CHECK(ran.load() == 100);  // the other items still ran: the region ends normally
}
