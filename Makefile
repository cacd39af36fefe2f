# Logbot: `make demo` and `make test` are the whole quick start (see README.md).
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 15
JOBS       ?= $(shell nproc)

.PHONY: all build setup test unit demo bench test-asan fuzz fuzz-build format lint clean fresh-check

all: build

setup:
	@scripts/setup

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Everything: unit, integration (real processes), browser, API-doc check, then a short fuzz run.
test: setup build
	ctest --test-dir $(BUILD) --output-on-failure -j 2 --timeout 900
	$(MAKE) --no-print-directory fuzz

demo: setup build
	scripts/demo

# Both commands on a fresh Debian 12 root (mmdebstrap minbase, as root, about 25 minutes):
# `make demo` (DEMO_SECONDS=1) and `make test` in a clone of HEAD. KEEP=1 keeps the root.
fresh-check:
	scripts/fresh-check

# The benchmarks that docs/PERFORMANCE.md records (S7 reads against the snap7 server; first
# requests on new HTTPS connections against a kept-alive one).
bench: setup build
	scripts/bench-s7 $(BUILD)
	scripts/bench-http $(BUILD)

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: setup
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DLOGBOT_SANITIZE=ON -DLOGBOT_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j 2 --timeout 1800

fuzz-build:
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DLOGBOT_FUZZ=ON -DLOGBOT_TESTS=OFF \
	  -DLOGBOT_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

# Runs every fuzz target for FUZZ_SECONDS on its seed corpus (make fuzz FUZZ_SECONDS=600 for longer).
fuzz: fuzz-build
	scripts/run-fuzzers $(FUZZ_BUILD)/bin $(FUZZ_SECONDS)

# The project's C++ (not the test peers' sources under node_modules); `make test` checks it.
format:
	find src tests fuzz bench -name node_modules -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print | xargs clang-format-14 -i

lint: build
	find src -name '*.cpp' | xargs clang-tidy-14 -p $(BUILD) --quiet

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
