# Fuzzing, included by the Makefile. `make fuzz` runs every target for a bounded
# time (FUZZ_SECONDS each, default 180) on the nightly toolchain, with the committed
# seeds in fuzz/seeds/, a limit per input of FUZZ_INPUT_SECONDS, and a working corpus in fuzz/corpus/ (not committed).
# Crashes land in fuzz/artifacts/<target>/; each becomes a regression test.

FUZZ_SECONDS ?= 180
# An input that takes longer than this is a failure too (libFuzzer's -timeout):
# a request the filter is slow on is a denial of service under FAIL_CLOSE.
FUZZ_INPUT_SECONDS ?= 2
FUZZ_TARGETS := config decision connection
CARGO_FUZZ := $(TOOLS)/bin/cargo-fuzz

.PHONY: fuzz setup-fuzz

setup-fuzz:
	@rustup toolchain list | grep -q '^nightly' || { echo "fuzz: needs a nightly toolchain: rustup toolchain install nightly" >&2; exit 1; }
	@if "$(CARGO_FUZZ)" --version >/dev/null 2>&1; then \
	  echo "setup: cargo-fuzz already in .tools/"; \
	else \
	  echo "setup: installing cargo-fuzz into .tools/ (a few minutes)"; \
	  $(call quietly,cargo +nightly install cargo-fuzz --root "$(TOOLS)"); \
	fi

fuzz: setup-fuzz
	@mkdir -p target
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $$t for $(FUZZ_SECONDS)s (log: target/fuzz-$$t.log)"; \
	  mkdir -p fuzz/corpus/$$t; \
	  (cd fuzz && PATH="$(TOOLS)/bin:$$PATH" cargo +nightly fuzz run $$t corpus/$$t seeds/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=$(FUZZ_INPUT_SECONDS) -print_final_stats=1) > target/fuzz-$$t.log 2>&1 \
	    || { tail -40 target/fuzz-$$t.log >&2; echo "fuzz: $$t found a crash: see fuzz/artifacts/$$t/" >&2; exit 1; }; \
	  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' target/fuzz-$$t.log | sed "s/^/  $$t: /"; \
	done
