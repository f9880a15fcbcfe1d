#!/usr/bin/env bash
# Idle memory of the desktop app, for `make bench`: a release build with the desktop shell,
# started under Xvfb inside a network namespace of its own (loopback only, mDNS off), measured
# once its host answers and the window has had 10 s to settle. Prints the command it ran and
# writes {"rss_kib": <app process>, "tree_rss_kib": <app + its webview processes>} to $1.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
# MOIM_DESKTOP_BIN: measure this build instead of making a release one.
if [ -n "${MOIM_DESKTOP_BIN:-}" ]; then
  bin=$MOIM_DESKTOP_BIN
  build="given build ($bin)"
else
  target=target/desktop
  cargo build -q --release --features desktop --target-dir "$target"
  bin=$target/release/moim
  build=release
fi
ns=moim-bench-rss-$$
work=$(mktemp -d -t moim-rss.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    for p in $(descendants "$pid") "$pid"; do kill -KILL "$p" 2>/dev/null || true; done
  fi
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
descendants() { # every process below $1, by walking /proc
  local all
  all=$(ps -e -o pid=,ppid=)
  local todo=("$1") found=()
  while [ ${#todo[@]} -gt 0 ]; do
    local p=${todo[0]}; todo=("${todo[@]:1}")
    for c in $(awk -v p="$p" '$2 == p {print $1}' <<<"$all"); do found+=("$c"); todo+=("$c"); done
  done
  echo "${found[@]:-}"
}
rss_of() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
trap cleanup EXIT

ip netns add "$ns"
ip -n "$ns" link set lo up
echo "ip netns exec $ns xvfb-run -a $bin app --no-mdns --port 7447 --data-dir <tmp>"
HOME=$work XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config \
  ip netns exec "$ns" xvfb-run -a -s "-screen 0 1280x800x24" \
  "$bin" app --no-mdns --port 7447 --data-dir "$work/host" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 600); do
  if ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/127.0.0.1/7447' 2>/dev/null; then break; fi
  sleep 0.1
done
sleep 10 # idle: the window has loaded the lobby and nothing is going on
app=""
for p in $(descendants "$pid"); do
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = moim ] && app=$p
done
[ -n "$app" ] || { echo "desktop-rss: the app did not start:" >&2; tail -20 "$work/log" >&2; exit 1; }
tree=$(( $(rss_of "$app") ))
for p in $(descendants "$app"); do tree=$(( tree + $(rss_of "$p") )); done
printf '{"rss_kib": %s, "tree_rss_kib": %s, "build": "%s"}\n' "$(rss_of "$app")" "$tree" "$build" >"$out"
kill -TERM "$app" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=""
