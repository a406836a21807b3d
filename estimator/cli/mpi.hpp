// The MPI entry point (built only with -DCLUSTERCAP_MPI=ON, into the
// clustercap executable alone; the libraries never link MPI).
#pragma once

namespace clustercap::cli {

// main() under MPI: MPI_Init, one run() per rank over MPI_COMM_WORLD
// (`sweep` shares its samples over the ranks; any other command is refused
// on more than one rank), then all ranks agree on one exit code, which rank 0
// returns (and mpirun reports); the others return 0. Rank 0 alone writes
// outputs and prints; when a rank fails, its message (the first failing
// rank's) is the one rank 0 prints.
int run_mpi(int argc, char** argv);

}  // namespace clustercap::cli
