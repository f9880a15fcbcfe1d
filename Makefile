# moim: two commands do all set-up on a fresh Debian/Ubuntu machine.
#   make run    install what is missing, build, start the app (the headless host without a display)
#   make test   install the test dependencies, run every check and test
SHELL := /bin/bash
CARGO ?= cargo
HEADLESS := --no-default-features
# Checks and tests build the headless core plus the load generator (its smoke test is a test).
CHECKED := $(HEADLESS) --features bench
# The desktop shell needs a display and the webview libraries; everything else builds without.
HAVE_DISPLAY := $(if $(DISPLAY)$(WAYLAND_DISPLAY),yes,)

.PHONY: run serve build build-headless test check lint unit e2e e2e-desktop fuzz bench bundle deps-test clean

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
test: deps-test lint unit fuzz e2e e2e-desktop

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy $(CHECKED) --all-targets -- -D warnings
	$(CARGO) clippy --features desktop --all-targets -- -D warnings
	npx tsc -p ui

# The browser tests are left to `make e2e`, which runs them one at a time.
unit:
	node --test ui/test/
	$(CARGO) nextest run $(CHECKED) --no-fail-fast -E 'not binary(/^e2e_/)'

fuzz:
	MOIM_FUZZ_SECS=$${MOIM_FUZZ_SECS:-10} $(CARGO) test $(CHECKED) --test fuzz_decoder -- --nocapture

# Headless Chromium against the real host, each test inside network namespaces it creates
# (e2e_lan: browsers on several namespace hosts of a private LAN, with mDNS and HTTPS)
# (e2e_network: join orders, a lost offer, and calls on links the test impairs with nft and tc)
# (e2e_first: the lobby, the pre-join page's room status, "You left", notices, rename)
# (e2e_language: both languages, the served font, an axe-core audit, the keyboard alone)
# (e2e_control: knock, admit, turn away, mute, remove, end for all, verification codes)
# (e2e_sfu: a large meeting, every camera sent once to the host's SFU and forwarded to the others)
# (needs root; MOIM_E2E_SKIP=1 reports them as skipped where namespaces cannot be made).
e2e:
	$(CARGO) build $(CHECKED) --bins --tests
	$(CARGO) test $(CHECKED) --test e2e_browser -- --test-threads=1
	$(CARGO) test $(CHECKED) --test e2e_lan -- --test-threads=1
	$(CARGO) test $(CHECKED) --test e2e_network -- --test-threads=1
	$(CARGO) test $(CHECKED) --test e2e_first -- --test-threads=1
	$(CARGO) test $(CHECKED) --test e2e_meeting -- --test-threads=1
	$(CARGO) test $(CHECKED) --test e2e_files -- --test-threads=1
	$(CARGO) test $(CHECKED) --test e2e_language -- --test-threads=1
	$(CARGO) test $(CHECKED) --test e2e_control -- --test-threads=1
	$(CARGO) test $(CHECKED) --test e2e_sfu -- --test-threads=1

# The desktop app under tauri-driver and Xvfb, with two Chromium peers, in network namespaces
# the test creates (needs root).
e2e-desktop:
	$(CARGO) test --features desktop --lib desktop::
	$(CARGO) test --features desktop --test e2e_desktop -- --test-threads=2

bench:
	@scripts/deps.sh bench
	$(CARGO) build --release $(CHECKED) --bins
	scripts/bench.sh

# The desktop release build lives in target/desktop (so the headless release build in
# target/release does not overwrite it); bundles land in target/desktop/release/bundle/.
# The AppImage needs linuxdeploy and AppRun, which Tauri downloads the first time: that step
# needs the internet once (without it the .deb is still built). `make bundle BUNDLES=deb`
# skips it.
BUNDLES ?= deb appimage
bundle:
	@scripts/deps.sh bundle
	CARGO_TARGET_DIR=target/desktop npx tauri build --bundles deb
ifneq ($(filter appimage,$(BUNDLES)),)
	CARGO_TARGET_DIR=target/desktop npx tauri build --bundles appimage || \
	  echo "bundle: no AppImage (Tauri could not fetch linuxdeploy; it needs the internet)"
endif
	@ls -1 target/desktop/release/bundle/*/* 2>/dev/null || true

clean:
	$(CARGO) clean
