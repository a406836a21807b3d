// Short names for catalog entries: one meaning per place, or an honest
// "ambiguous" with the candidates.
#include <catch2/catch.hpp>

#include "hardware/aliases.hpp"
#include "tests/support.hpp"

using namespace clustercap;
using clustercap::test::builtin_catalog;

TEST_CASE("every id the alias table names is in the catalog", "[aliases]") {
  const auto all = builtin_catalog().all_ids();
  for (const auto& id : alias_target_ids()) {
    INFO(id);
    CHECK(std::find(all.begin(), all.end(), id) != all.end());
  }
}

TEST_CASE("an alias resolves to its one entry, ignoring case, - and _", "[aliases]") {
  for (const char* word : {"h20", "H20", "H-20"}) {
    const IdLookup lookup = look_up_id(word, builtin_catalog(), kChipIds);
    CHECK(lookup.result == IdLookup::Result::alias);
    CHECK(lookup.id == "nvidia_h20");
  }
  CHECK(look_up_id("cm384", builtin_catalog(), kSystemIds).id == "huawei_cloudmatrix_384");
  CHECK(look_up_id("910c", builtin_catalog(), kChipIds).id == "huawei_ascend_910c");
}

TEST_CASE("an exact id wins, and a word that is neither stays unknown", "[aliases]") {
  const IdLookup exact = look_up_id("nvidia_h20", builtin_catalog(), kChipIds);
  CHECK(exact.result == IdLookup::Result::exact);
  CHECK(exact.id == "nvidia_h20");
  CHECK(look_up_id("h30", builtin_catalog(), kAnyIds).result == IdLookup::Result::unknown);
  // A chip alias is not a system.
  CHECK(look_up_id("h20", builtin_catalog(), kSystemIds).result == IdLookup::Result::unknown);
}

TEST_CASE("gb200 is the GPU where a chip belongs, the NVL72 where a system does, else ambiguous",
          "[aliases]") {
  CHECK(look_up_id("gb200", builtin_catalog(), kChipIds).id == "nvidia_gb200_gpu");
  CHECK(look_up_id("gb200", builtin_catalog(), kSystemIds).id == "nvidia_gb200_nvl72");
  const IdLookup both = look_up_id("gb200", builtin_catalog(), kChipIds | kSystemIds);
  CHECK(both.result == IdLookup::Result::ambiguous);
  CHECK(both.candidates == std::vector<std::string>{"nvidia_gb200_gpu", "nvidia_gb200_nvl72"});
}

TEST_CASE("colossus names every phase of xAI's sites, so it is ambiguous", "[aliases]") {
  const IdLookup lookup = look_up_id("colossus", builtin_catalog(), kClusterIds);
  CHECK(lookup.result == IdLookup::Result::ambiguous);
  CHECK(lookup.candidates == std::vector<std::string>{"xai_colossus_1_phase1",
                                                      "xai_colossus_1_phase2",
                                                      "xai_colossus_1_phase3", "xai_colossus_2"});
}

TEST_CASE("suggestions for an unknown id include the aliases of that kind only", "[aliases]") {
  const auto chips = id_candidates(builtin_catalog(), kChipIds);
  CHECK(std::find(chips.begin(), chips.end(), "h20") != chips.end());
  CHECK(std::find(chips.begin(), chips.end(), "colossus") == chips.end());
  CHECK(std::find(chips.begin(), chips.end(), "cm384") == chips.end());
}
