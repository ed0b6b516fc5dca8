# Front door for building, running and testing vrouter. Each target first
# installs any missing Debian packages (tools/install-deps.sh).

BUILD ?= build
SAN_BUILD ?= build-san
JOBS ?= $(shell nproc)
CTEST_ARGS ?=
RUN_ARGS ?= --ssh 127.0.0.1:2222

.PHONY: all deps test-deps build build-san build-fuzz run router test test-fast bench fuzz clean

all: build

deps:
	@./tools/install-deps.sh

test-deps:
	@./tools/install-deps.sh --test

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(SAN_BUILD)/Makefile:
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DVR_SANITIZE=ON

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

build-san: test-deps $(SAN_BUILD)/Makefile
	cmake --build $(SAN_BUILD) -j $(JOBS)

# The default lab: the two routers of the invalid-SPI story, R1's console
# in this terminal and R2 on telnet (docs/recovery-tutorial.md). Ctrl-C
# at R1's console or `exit` stops the lab.
LAB ?= configs/labs/invalid-spi.lab

run: build
	./$(BUILD)/vrouter lab --console R1 $(LAB)

# One router in this terminal. Its startup-config starts as a copy of the
# shipped default, kept in the build folder so `write memory` leaves the
# repository clean.
STARTUP ?= $(BUILD)/startup-config

router: build
	@[ -f $(STARTUP) ] || cp configs/default.cfg $(STARTUP)
	./$(BUILD)/vrouter --config $(STARTUP) $(RUN_ARGS)

# Every test, first on the normal build, then under ASan and UBSan, then
# a short run of each fuzz harness (clang, ASan and UBSan). Most tests
# wait on timers and peers rather than the CPU, so ctest runs several at
# once. The sanitizer pass leaves out the few scenarios that spend a
# minute or more waiting for lifetimes and timeouts; the normal pass runs
# them, and the code they drive runs under the sanitizers in shorter
# tests.
CTEST_JOBS ?= 4
SAN_SKIP ?= ikev1_two_routers_rekey|hardening_kill_during_write|hardening_paste_100k|lab_story_no_recovery|lab_story_rekey_reboot|lab_row_dynamic-map|lab_row_mgre-dynamic|interop_ikev1_lost_child_delete|interop_ikev2_ike_rekey_simultaneous

test: test-deps build build-san build-fuzz
	cd $(BUILD) && ctest -j $(CTEST_JOBS) --output-on-failure $(CTEST_ARGS)
	cd $(SAN_BUILD) && ctest -j $(CTEST_JOBS) -E '$(SAN_SKIP)' --output-on-failure $(CTEST_ARGS)
	cd $(FUZZ_BUILD) && ctest -j 2 -L fuzz --output-on-failure

# The normal build only, for quick iterations.
test-fast: test-deps build
	cd $(BUILD) && ctest -j $(CTEST_JOBS) --output-on-failure $(CTEST_ARGS)

# Every benchmark, even after one misses its goal; the exit status says
# whether any did.
bench: test-deps build
	@status=0; \
	for b in $(BUILD)/bench/bench_*; do \
		[ -x "$$b" ] || continue; \
		"$$b" || { echo "bench: $$b missed a goal or failed"; status=1; }; \
	done; \
	/usr/bin/python3 bench/bench_sessions.py --binary $(BUILD)/vrouter || \
		{ echo "bench: bench_sessions.py failed"; status=1; }; \
	/usr/bin/python3 bench/bench_lab --binary $(BUILD)/vrouter || \
		{ echo "bench: bench_lab missed a goal or failed"; status=1; }; \
	/usr/bin/python3 bench/bench_ike.py --binary $(BUILD)/vrouter || \
		{ echo "bench: bench_ike.py missed a goal or failed"; status=1; }; \
	exit $$status

# Each libFuzzer harness in tests/fuzz for FUZZ_TIME seconds, built with
# clang, ASan and UBSan in a folder of its own. Prints executions per
# second and coverage per harness; a crash input lands in
# $(FUZZ_BUILD)/fuzz-work/crashes/HARNESS and fails the target.
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME ?= 60
FUZZ_HARNESSES ?= dp_input isakmp ike ike_enc ikev2 ikev2_enc cli config_load telnet pcap lab
VR_SHARED_DIR ?= $(abspath ../shared)
export VR_SHARED_DIR

$(FUZZ_BUILD)/Makefile:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVR_FUZZ=ON

build-fuzz: test-deps $(FUZZ_BUILD)/Makefile
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_HARNESSES))

fuzz: build-fuzz
	@status=0; \
	for h in $(FUZZ_HARNESSES); do \
		tests/fuzz/run_fuzz.sh $$h $(FUZZ_BUILD)/tests/fuzz/fuzz_$$h \
			$(FUZZ_TIME) $(FUZZ_BUILD)/fuzz-work || status=1; \
	done; \
	exit $$status

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
