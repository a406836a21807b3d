// A process-wide memo of search_layouts (issue 18, part 3: per-candidate
// setup reused across sweep grid points and timeline months). The search is
// a pure function of the workload, the machine and the options, and the MFU
// fixed point asks it about the same few shapes again and again: from one
// iteration to the next (the shape is discrete, so nearby model sizes share
// one), from one table node to the next, and from one grid point or month
// to the next whenever chip, system, fabric and training settings are
// unchanged. The key is every field of the three arguments that the search
// reads (all but Workload::name and Workload::tokens, which it does not), so
// no scenario input can be left out of it: whatever changes the search
// changes one of them. A hit returns a copy of the stored result, which is
// the result itself, so output is byte-identical with the memo on or off
// and for any thread count.
//
// Thread-safe (one mutex; a search costs 10^3-10^5 times a look-up). Holds
// at most kSearchCacheEntries results, then starts over.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "estimator/training/mfu_fixed_point.hpp"
#include "estimator/training/search.hpp"

namespace clustercap::training {

// search_layouts(w, m, options), from the memo when the same arguments were
// searched before (options.threads aside: it never changes the result).
SearchResult cached_search_layouts(const Workload& w, const Machine& m,
                                   const SearchOptions& options);

// The MFU table's nodes (mfu_fixed_point.hpp), memoised beside the
// searches: a node's fixed point is a pure function of the machine (every
// field the search reads; `chips` is the node's), the node's chips and C1
// and the fixed-point options, so a table over any range reuses the nodes
// of every table built before it on the same machine. `node_key` writes
// exactly those inputs; a hit returns the stored prediction, the one the
// fixed point gives, so tables are byte-identical with the memo on or off.
std::string node_key(const Machine& m, double chips, double c1_flop,
                     const FixedPointOptions& options);
// The stored prediction for `key`, or nothing (always nothing when off).
std::optional<MfuPrediction> find_node(const std::string& key);
void store_node(std::string key, const MfuPrediction& prediction);

struct SearchCacheStats {
  std::uint64_t hits = 0, misses = 0;
  std::uint64_t entries = 0;
  std::uint64_t node_hits = 0, node_misses = 0;  // the node memo's
};
SearchCacheStats search_cache_stats();

// On by default. Off: every call searches and every node is solved (bench/
// times both in one run). Switching it clears both memos.
void set_search_cache_enabled(bool enabled);
bool search_cache_enabled();

constexpr std::uint64_t kSearchCacheEntries = 1u << 16;

}  // namespace clustercap::training
