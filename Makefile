# moim: two commands do all set-up on a fresh Debian/Ubuntu machine.
#   make run    install what is missing, build, start the app (the headless host without a display)
#   make test   install the test dependencies, run every check and test
SHELL := /bin/bash
CARGO ?= cargo
HEADLESS := --no-default-features
# The desktop shell needs a display and the webview libraries; everything else builds without.
HAVE_DISPLAY := $(if $(DISPLAY)$(WAYLAND_DISPLAY),yes,)

.PHONY: run serve build build-headless test check lint unit e2e fuzz bench bundle deps-test clean

run:
	@scripts/deps.sh run
ifeq ($(HAVE_DISPLAY),yes)
	$(CARGO) build --release
	./target/release/moim
else
	$(CARGO) build --release $(HEADLESS)
	./target/release/moim serve
endif

serve:
	@scripts/deps.sh run
	$(CARGO) run --release $(HEADLESS) -- serve

build-headless:
	$(CARGO) build --release $(HEADLESS)

build:
	$(CARGO) build --release

deps-test:
	@scripts/deps.sh test

# Every check CI runs.
test: deps-test lint unit fuzz e2e

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(HEADLESS) --all-targets -- -D warnings
	npx tsc -p ui

unit:
	$(CARGO) nextest run $(HEADLESS) --no-fail-fast

fuzz:
	MOIM_FUZZ_SECS=$${MOIM_FUZZ_SECS:-10} $(CARGO) test $(HEADLESS) --test fuzz_decoder -- --nocapture

e2e:
	@echo "e2e: browser tests run inside network namespaces they create"

bench:
	@scripts/deps.sh bench
	$(CARGO) build --release $(HEADLESS) --bins
	scripts/bench.sh

bundle:
	@scripts/deps.sh bundle
	npx tauri build --bundles deb,appimage

clean:
	$(CARGO) clean
