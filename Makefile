# Two commands do everything on a fresh Debian 12 machine (as root):
#   make run    install what is missing, build, run the default estimate
#   make test   install what is missing, build, run the whole test suite
BUILD ?= build
JOBS ?= 2
# CI (CI=true) builds with -Werror; locally warnings stay warnings.
WERROR ?= $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=
# Development builds compile for this machine (-march=native): its sweep is
# 6-9x faster than the portable build's here (bench/portable.sh). `make install`
# and CMakePresets.json's `release` use the portable default (NATIVE=OFF).
NATIVE ?= ON

.PHONY: all deps build run test test-asan test-noomp fuzz bench install format readme clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCLUSTERCAP_WERROR=$(WERROR) -DCLUSTERCAP_NATIVE=$(NATIVE) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

run: build
	./$(BUILD)/clustercap estimate

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DCLUSTERCAP_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCLUSTERCAP_PYTHON=OFF"

# Benchmarks (and the NumPy oracle, which needs Debian's python3-numpy).
# The suite again with OpenMP compiled out (the sweep must work single-threaded).
test-noomp:
	$(MAKE) test BUILD=build-noomp CMAKE_FLAGS="-DCLUSTERCAP_OPENMP=OFF -DCLUSTERCAP_PYTHON=OFF"

# libFuzzer on the scenario loader + one estimate (clang); FUZZ_SECONDS=600 for longer.
FUZZ_SECONDS ?= 60
fuzz:
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

# bench/run.sh ends with bench/portable.sh: a portable build's sweep
# (build-release, built if missing) against this build's, timed in turns.
bench: build
	@bash scripts/install-deps.sh bench
	bash bench/run.sh $(BUILD)

# Installs the tool, the library, its header and CMake package under PREFIX
# from a portable build (README.md, Install and use as a library).
PREFIX ?= /usr/local
install: deps
	cmake --preset release
	cmake --build --preset release
	cmake --install build-release --prefix $(PREFIX)

# Applies .clang-format to every C++ file (ctest `formatted` checks it).
format: deps
	bash scripts/check-format.sh --fix

# Rewrites README.md's figures from the output (ctest `readme_figures` checks them).
readme: build
	python3 scripts/readme-figures --write --binary $(BUILD)/clustercap

clean:
	rm -rf build build-release build-asan build-noomp build-fuzz
