#include "estimator/cli/mpi.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "estimator/cli/app.hpp"
#include "estimator/cli/output.hpp"
#include "estimator/sweep/ranks.hpp"

namespace clustercap::cli {
namespace {

// MPI counts are ints: larger transfers go in pieces of this many words.
constexpr std::size_t kPiece = std::size_t{1} << 28;

template <class Word>
void send_words(const Word* data, std::size_t n, MPI_Datatype type, int to, MPI_Comm comm) {
  for (std::size_t at = 0; at < n; at += kPiece) {
    MPI_Send(data + at, static_cast<int>(std::min(kPiece, n - at)), type, to, 0, comm);
  }
}

template <class Word>
void receive_words(Word* data, std::size_t n, MPI_Datatype type, int from, MPI_Comm comm) {
  for (std::size_t at = 0; at < n; at += kPiece) {
    MPI_Recv(data + at, static_cast<int>(std::min(kPiece, n - at)), type, from, 0, comm,
             MPI_STATUS_IGNORE);
  }
}

// MPI_COMM_WORLD as sweep::Ranks. MPI errors abort the job (MPI's default
// handler), so no call here throws.
class MpiRanks final : public sweep::Ranks {
 public:
  MpiRanks() {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  int agree(int status) override {
    int worst = 0;
    MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, comm_);
    if (worst != 0) {
      agreed_failure_ = true;
      own_failure_ = status != 0;
    }
    return worst;
  }
  void gather(double* data, const std::vector<std::size_t>& offsets) override {
    if (rank_ != 0) {
      send_words(data + offsets[rank_ + 0u], offsets[rank_ + 1u] - offsets[rank_ + 0u], MPI_DOUBLE,
                 0, comm_);
      return;
    }
    for (int r = 1; r < size_; ++r) {
      const auto u = static_cast<std::size_t>(r);
      receive_words(data + offsets[u], offsets[u + 1] - offsets[u], MPI_DOUBLE, r, comm_);
    }
  }
  void sum(std::uint64_t* data, std::size_t n) override {
    std::vector<std::uint64_t> total(rank_ == 0 ? n : 0);
    for (std::size_t at = 0; at < n; at += kPiece) {
      MPI_Reduce(data + at, rank_ == 0 ? total.data() + at : nullptr,
                 static_cast<int>(std::min(kPiece, n - at)), MPI_UINT64_T, MPI_SUM, 0, comm_);
    }
    if (rank_ == 0) std::copy(total.begin(), total.end(), data);
  }
  std::vector<std::vector<std::uint64_t>> gather_words(
      const std::vector<std::uint64_t>& mine) override {
    if (rank_ != 0) {
      std::uint64_t n = mine.size();
      MPI_Send(&n, 1, MPI_UINT64_T, 0, 0, comm_);
      send_words(mine.data(), mine.size(), MPI_UINT64_T, 0, comm_);
      return {};
    }
    std::vector<std::vector<std::uint64_t>> all = {mine};
    for (int r = 1; r < size_; ++r) {
      std::uint64_t n = 0;
      MPI_Recv(&n, 1, MPI_UINT64_T, r, 0, comm_, MPI_STATUS_IGNORE);
      all.emplace_back(static_cast<std::size_t>(n));
      receive_words(all.back().data(), all.back().size(), MPI_UINT64_T, r, comm_);
    }
    return all;
  }

  // Whether an agree() has already reported a failure, and whether this
  // rank's own status was one.
  bool agreed_failure() const { return agreed_failure_; }
  bool own_failure() const { return own_failure_; }

 private:
  MPI_Comm comm_ = MPI_COMM_WORLD;
  int rank_ = 0, size_ = 1;
  bool agreed_failure_ = false, own_failure_ = false;
};

// Ends the run on every rank with the same exit code: each rank's code is
// agreed (unless a failure was agreed inside the run already); on failure,
// the lowest rank that failed by itself is the one whose message and code
// count, and rank 0 prints that message unless it is its own (already printed).
int finish(MpiRanks& ranks, int code, const std::string& message) {
  if (!ranks.agreed_failure() && ranks.agree(code) == 0) return 0;
  const bool own = ranks.own_failure() && code != 0;
  const int mine = own ? ranks.rank() : ranks.size();
  int first = ranks.size();
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == ranks.size()) first = 0;  // no rank owns it: rank 0's code stands
  int agreed = code;
  MPI_Bcast(&agreed, 1, MPI_INT, first, MPI_COMM_WORLD);
  if (first != 0) {
    if (ranks.rank() == first) {
      std::uint64_t n = message.size();
      MPI_Send(&n, 1, MPI_UINT64_T, 0, 1, MPI_COMM_WORLD);
      send_words(message.data(), message.size(), MPI_CHAR, 0, MPI_COMM_WORLD);
    } else if (ranks.rank() == 0) {
      std::uint64_t n = 0;
      MPI_Recv(&n, 1, MPI_UINT64_T, first, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      std::string text(static_cast<std::size_t>(n), '\0');
      receive_words(text.data(), text.size(), MPI_CHAR, first, MPI_COMM_WORLD);
      std::cerr << text << std::flush;
    }
  }
  return agreed == 0 ? 1 : agreed;
}

}  // namespace

int run_mpi(int argc, char** argv) {
  int provided = 0;
  // The sweep exchanges blocks from inside its OpenMP region (one thread at a time).
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  int code = 0;
  bool root = true;
  {
    MpiRanks ranks;
    root = ranks.rank() == 0;
    if (!root) {
      // Only rank 0 writes files, so only its handler has temp files to
      // remove and a message to print; the others stop quietly when mpirun
      // signals them.
      for (const int signal : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal, SIG_DFL);
    }
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (provided < MPI_THREAD_SERIALIZED) {
      if (ranks.rank() == 0) {
        std::cerr << "clustercap: this MPI library cannot be called from OpenMP threads "
                     "(MPI_THREAD_SERIALIZED); run with one rank or rebuild against one that can\n";
      }
      code = 1;
    } else if (ranks.size() > 1 && (args.empty() || args.front() != "sweep")) {
      // Every rank decides alike: no collective is needed to agree.
      if (ranks.rank() == 0) {
        std::cerr << "clustercap: only sweep runs on several MPI ranks; run "
                  << (args.empty() ? std::string("it") : "\"" + args.front() + "\"")
                  << " without mpirun or with -np 1\n";
      }
      code = 2;
    } else if (ranks.rank() == 0) {
      code = finish(ranks, run(args, std::cerr, &ranks), "");
    } else {
      // Standard output is captured and dropped; messages are kept in case
      // this rank's failure is the one rank 0 reports.
      std::ostringstream err;
      Capture capture;
      int own = 0;
      {
        CaptureScope scope(capture);
        own = run(args, err, &ranks);
      }
      code = finish(ranks, own, err.str());
    }
  }
  MPI_Finalize();
  // mpirun exits with rank 0's code. The others end with 0 whatever was
  // agreed: a non-zero exit would make mpirun kill rank 0, which may still
  // be printing or writing.
  return root ? code : 0;
}

}  // namespace clustercap::cli
