// A sweep split over several processes (MPI ranks; estimator/cli/mpi.cpp is
// the one implementation, built with -DCLUSTERCAP_MPI=ON). This header knows
// nothing of MPI, so the sweep and a default build do not need it.
//
// The pattern, for any loop over blocks of work items whose results merge in
// block order (run_sweep's sample blocks; any later sweep over, say,
// timeline months the same way):
//   1. every rank runs the same code and takes the blocks share_of(blocks, rank, size);
//   2. per-block results that merge in order (floating-point moments) are
//      written at their block's index and gathered onto rank 0, which merges
//      them in block order exactly as one process does;
//   3. integer counts are summed and quantile sketches merged on rank 0 (both
//      are exact in any order);
//   4. a step that may fail on one rank only is followed by agree(), so every
//      rank stops together and none waits in a collective for a rank that left.
// Only rank 0's result is complete; the other ranks' is to be discarded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <vector>

#include "hardware/common/input_error.hpp"

namespace clustercap::sweep {

class Ranks {
 public:
  virtual ~Ranks() = default;
  virtual int rank() const = 0;  // [0, size())
  virtual int size() const = 0;  // >= 1

  // Collective. Each rank passes 0, or the exit code of its own failure (2
  // bad input, 1 runtime); returns the largest over all ranks.
  virtual int agree(int status) = 0;
  // Collective. `data` is the same array of words on every rank; rank r owns
  // [offsets[r], offsets[r + 1]) of it (offsets: size() + 1 entries, the same
  // on every rank). Afterwards rank 0's array holds every rank's part; the
  // others' are unchanged.
  virtual void gather(double* data, const std::vector<std::size_t>& offsets) = 0;
  // Collective: rank 0's data[i] becomes the sum over ranks of data[i].
  virtual void sum(std::uint64_t* data, std::size_t n) = 0;
  // Collective: on rank 0, every rank's `mine` in rank order (its own first);
  // empty on the other ranks.
  virtual std::vector<std::vector<std::uint64_t>> gather_words(
      const std::vector<std::uint64_t>& mine) = 0;
};

// Thrown on a rank whose step went well when another rank's failed (after
// agree() returned non-zero): the other rank's message is the one printed
// (estimator/cli/mpi.cpp); this one only carries the exit code.
class PeerFailure : public std::exception {
 public:
  explicit PeerFailure(int code) : code_(code) {}
  int code() const { return code_; }
  const char* what() const noexcept override { return "another rank failed"; }

 private:
  int code_;
};

// The exit code a failure maps to: 2 for bad input, 1 otherwise.
inline int exit_code_of(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const InputErrors&) {
    return 2;
  } catch (const PeerFailure& e) {
    return e.code();
  } catch (...) {
    return 1;
  }
}

// The blocks [begin, end) of `blocks` that `rank` of `size` takes: contiguous,
// in rank order, sizes differing by at most one.
struct Share {
  std::uint64_t begin = 0, end = 0;
  bool holds(std::uint64_t block) const { return block >= begin && block < end; }
};
inline Share share_of(std::uint64_t blocks, int rank, int size) {
  const auto r = static_cast<std::uint64_t>(rank);
  const auto n = static_cast<std::uint64_t>(size);
  // blocks * r / n without overflow: blocks < 2^64 / 1024 in any sweep.
  return {blocks / n * r + blocks % n * r / n, blocks / n * (r + 1) + blocks % n * (r + 1) / n};
}

// Ranks::gather offsets over items [first, last) when `blocks` blocks of
// `per_block` items each are shared out by share_of, `width` words per item:
// rank r's part is its blocks' items clipped to [first, last), counted from
// `first` (per_block 1: the blocks themselves).
inline std::vector<std::size_t> share_offsets(std::uint64_t blocks, int size,
                                              std::uint64_t per_block, std::uint64_t first,
                                              std::uint64_t last, std::size_t width) {
  std::vector<std::size_t> offsets;
  for (int r = 0; r <= size; ++r) {
    const std::uint64_t at = (r == size ? blocks : share_of(blocks, r, size).begin) * per_block;
    const std::uint64_t clipped = at < first ? first : (at > last ? last : at);
    offsets.push_back(static_cast<std::size_t>(clipped - first) * width);
  }
  return offsets;
}

// Runs `step` on this rank, then agrees with the others: rethrows this rank's
// own failure, or throws PeerFailure when only another rank failed. Without
// ranks (one process) it is just step().
template <class Step>
void agreed_step(Ranks* ranks, Step&& step) {
  if (ranks == nullptr) {
    step();
    return;
  }
  std::exception_ptr failure;
  try {
    step();
  } catch (...) {
    failure = std::current_exception();
  }
  const int code = ranks->agree(failure ? exit_code_of(failure) : 0);
  if (failure) std::rethrow_exception(failure);
  if (code != 0) throw PeerFailure(code);
}

}  // namespace clustercap::sweep
