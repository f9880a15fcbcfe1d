#!/usr/bin/env bash
# Install what a make target needs, only what is missing. Idempotent; safe to run every time.
#   scripts/deps.sh run      Rust toolchain check, and the webview libraries when a display exists
#   scripts/deps.sh test     everything the test suite uses (browsers, drivers, namespaces, tools)
#   scripts/deps.sh bench    what the benchmarks use
#   scripts/deps.sh bundle   what `cargo tauri build` needs
#   scripts/deps.sh font     what scripts/font-subset.sh needs (the Noto CJK fonts, fonttools, brotli)
set -euo pipefail
cd "$(dirname "$0")/.."
group=${1:-run}

say() { printf 'deps: %s\n' "$*" >&2; }

need_cmd() { command -v "$1" >/dev/null 2>&1; }

# Debian packages every build needs, headless too: the SFU's DTLS and SRTP come from the system's
# OpenSSL (str0m's openssl backend), found with pkg-config.
BUILD_PKGS=(pkg-config libssl-dev build-essential)
# Debian packages for the desktop shell (Tauri v2 on Linux) and the test tools.
DESKTOP_PKGS=(pkg-config libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev
  librsvg2-dev libssl-dev libxdo-dev build-essential file)
TEST_PKGS=(chromium chromium-driver iproute2 nftables webkit2gtk-driver xvfb xauth procps dbus-daemon ffmpeg)
BUNDLE_PKGS=(patchelf squashfs-tools desktop-file-utils)
# The source of ui/fonts/ (Noto Sans CJK KR, OFL) and the tools that subset it to WOFF2.
FONT_PKGS=(fonts-noto-cjk python3-fonttools python3-brotli)

apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! need_cmd apt-get; then
    say "please install: ${missing[*]} (no apt-get on this system)"; return 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if need_cmd sudo; then sudo="sudo"; else say "need root or sudo to install: ${missing[*]}"; return 1; fi
  fi
  say "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

rust() {
  if ! need_cmd cargo; then
    say "cargo is missing: install Rust from your distribution (apt install cargo) or rustup"; exit 1
  fi
}

cargo_tool() { # binary crate [extra args]
  local bin=$1 crate=$2; shift 2
  need_cmd "$bin" || { say "cargo install $crate"; cargo install --locked --quiet "$crate" "$@"; }
}

npm_deps() {
  need_cmd npm || apt_install nodejs npm
  if [ ! -x node_modules/.bin/tsc ] || [ ! -x node_modules/.bin/tauri ] || [ ! -f node_modules/axe-core/axe.min.js ]; then
    # `npm install` (not `npm ci`): this npm leaves the Tauri CLI's other-platform packages out
    # of the lock file, which `npm ci` then refuses; install still follows the lock.
    say "npm install"; npm install --no-audit --no-fund --loglevel=error
  fi
}

# The seeds' two signaling servers that `make bench` compares moim with (bench/seeds/): Node
# (Express + Socket.IO, from its lock file) and Python (Flask-SocketIO on eventlet, in a venv).
# `seed_servers node` installs the Node one only (the smoke test in `make test` needs just that).
seed_servers() {
  local node_dir=bench/seeds/node py_dir=bench/seeds/flask
  need_cmd npm || apt_install nodejs npm
  if [ ! -d "$node_dir/node_modules/socket.io" ]; then
    say "npm ci in $node_dir"; (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  [ "${1:-all}" = node ] && return 0
  if [ ! -x "$py_dir/.venv/bin/python" ]; then
    need_cmd python3 || apt_install python3
    python3 -m venv "$py_dir/.venv" 2>/dev/null || { apt_install python3-venv; rm -rf "$py_dir/.venv"; python3 -m venv "$py_dir/.venv"; }
  fi
  if ! "$py_dir/.venv/bin/python" -c 'import flask_socketio, eventlet' 2>/dev/null; then
    say "pip install -r $py_dir/requirements.txt"
    "$py_dir/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$py_dir/requirements.txt"
  fi
}

has_display() { [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; }

case $group in
  run)
    rust
    apt_install "${BUILD_PKGS[@]}"
    if has_display; then apt_install "${DESKTOP_PKGS[@]}"; fi ;;
  test)
    rust
    apt_install "${BUILD_PKGS[@]}" "${DESKTOP_PKGS[@]}" "${TEST_PKGS[@]}"
    cargo_tool cargo-nextest cargo-nextest
    cargo_tool tauri-driver tauri-driver
    npm_deps
    seed_servers node ;;
  bench)
    rust
    apt_install "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"
    seed_servers ;;
  bundle)
    rust
    apt_install "${DESKTOP_PKGS[@]}" "${BUNDLE_PKGS[@]}"
    npm_deps ;;
  font)
    apt_install "${FONT_PKGS[@]}" ;;
  *) say "unknown group $group"; exit 2 ;;
esac
