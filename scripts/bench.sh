#!/usr/bin/env bash
# Run every benchmark on 127.0.0.1 and rewrite docs/benchmarks.md with the figures.
# `make bench` builds the release binaries first and then runs this.
#
#   MOIM_BENCH_RUNS=3         rounds of the 1,000-peer side by side (the report gives medians)
#   MOIM_BENCH_PACE_SECS=10   length of the paced relay phase
#   MOIM_BENCH_SAT_SECS=5     length of each saturation window (windows 1, 4, 16; 1 s warm-up)
#   MOIM_BENCH_BIG=1          also run 10,000 peers (2,500 rooms × 4); 0 skips it
#   MOIM_BENCH_SEEDS=1        also load the seeds' Node and Flask servers; 0 skips them
#   MOIM_BENCH_NS=1           also run the namespace benchmarks (discovery, call set-up); 0 skips
#   MOIM_BENCH_OUT=docs/benchmarks.md
#   MOIM_BENCH_KEEP=<dir>     keep the raw results there (`moim-bench report --dir <dir>` rewrites
#                             the report from them)
#   MOIM_BENCH_NOTE=<text>    a sentence for the report's header (a shared machine, say)
#   MOIM_BENCH_SFU_MEMBERS=10,20,30,40,50   room sizes of the SFU's media load
#   MOIM_BENCH_DESKTOP=1      also build the desktop app (release) and measure its idle RSS
#
# Only loopback is loaded; every process this starts is stopped by its own pid.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST_BIN=target/release/moim
BENCH=target/release/moim-bench
RUNS=${MOIM_BENCH_RUNS:-3}
PACE=${MOIM_BENCH_PACE_SECS:-10}
SAT=${MOIM_BENCH_SAT_SECS:-5}
BIG=${MOIM_BENCH_BIG:-1}
SEEDS=${MOIM_BENCH_SEEDS:-1}
OUT=${MOIM_BENCH_OUT:-docs/benchmarks.md}

for b in "$HOST_BIN" "$BENCH"; do
  [ -x "$b" ] || { echo "bench: $b is missing; run: cargo build --release --no-default-features --features bench --bins" >&2; exit 1; }
done

results=$(mktemp -d -t moim-bench.XXXXXX)
if [ -n "${MOIM_BENCH_KEEP:-}" ]; then
  trap 'mkdir -p "$MOIM_BENCH_KEEP" && cp -a "$results"/. "$MOIM_BENCH_KEEP"/ && rm -rf "$results"' EXIT
else
  trap 'rm -rf "$results"' EXIT
fi
commands=$results/commands.txt
status=0
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Record a command line once (without its --json file), then run it, for at most 15 minutes.
# With MAY_FAIL=1 a failure (a server that cannot hold the load) is reported in the result, not
# fatal to the run.
bench() {
  local name=$1; shift
  local line="$BENCH $*"
  grep -qxF -- "$line" "$commands" 2>/dev/null || echo "$line" >>"$commands"
  echo "bench: $name" >&2
  timeout 900 "$BENCH" "$@" --json "$results/$name.json" || {
    if [ "${MAY_FAIL:-0}" = 1 ]; then echo "bench: $name did not finish (recorded in the report)" >&2
    else echo "bench: $name FAILED" >&2; status=1; fi; }
}

echo "# make bench = cargo build --release --no-default-features --features bench --bins, then scripts/bench.sh:" >"$commands"
bench footprint footprint --host-bin "$HOST_BIN" --runs 5

# Side by side: moim, the seeds' Node and Flask servers (bench/seeds/) and the echo floor, the
# same load from the same moim-bench, one after another in every round (the order turns each
# round, so no server always runs first on a warm or a busy machine).
one_k=(--rooms 250 --peers 4 --pace-rate 1000 --pace-secs "$PACE" --sat-warmup-secs 1 --sat-secs "$SAT" --window 1,4,16)
servers=(moim node flask echo)
[ "$SEEDS" != 0 ] || servers=(moim echo)
target_args() { # server -> moim-bench run arguments
  case $1 in
    moim) echo "--target host --host-bin $HOST_BIN" ;;
    *) echo "--target $1" ;;
  esac
}
echo "# $RUNS rounds; in each, every server in turn:" >>"$commands"
for i in $(seq "$RUNS"); do
  n=${#servers[@]}
  for j in $(seq 0 $((n - 1))); do
    s=${servers[$(((i - 1 + j) % n))]}
    # shellcheck disable=SC2046
    bench "$s-1k-$i" run $(target_args "$s") "${one_k[@]}"
  done
done
if [ "$BIG" != 0 ]; then
  echo "# 10,000 peers, once per server (a seed server that cannot hold them is reported, not fatal):" >>"$commands"
  big_k=(--rooms 2500 --peers 4 --pace-rate 1000 --pace-secs 10 --sat-warmup-secs 2 --sat-secs 5 --window 4 --connect-parallel 128)
  bench moim-10k run --target host --host-bin "$HOST_BIN" "${big_k[@]}"
  if [ "$SEEDS" != 0 ]; then
    for s in node flask; do
      MAY_FAIL=1 bench "$s-10k" run --target "$s" "${big_k[@]}"
    done
  fi
fi

# The good pair's delivery while one client runs every attack class (issue 12); its Markdown
# section is appended to the report below.
echo "# Under attack, once:" >>"$commands"
bench abuse abuse --host-bin "$HOST_BIN"

# The SFU's media load (issue 18): large meetings of str0m clients forwarded by the host's SFU
# and by a plain UDP copier (the floor), side by side; its Markdown section is appended below.
echo "# The SFU, once:" >>"$commands"
bench sfu sfu --host-bin "$HOST_BIN" --members "${MOIM_BENCH_SFU_MEMBERS:-10,20,30,40,50}" --markdown "$results/sfu.md"

# A benchmark that is a test: record the command line shown ($2), run the rest; its output goes
# to $results/<name>.log and is shown if it fails.
test_bench() {
  local name=$1 shown=$2; shift 2
  echo "$shown" >>"$commands"
  echo "bench: $name" >&2
  "$@" >"$results/$name.log" 2>&1 || {
    echo "bench: $name FAILED; its log:" >&2; tail -n 60 "$results/$name.log" >&2; status=1; }
}

# Beyond loopback: mDNS discovery between two namespace hosts, and call set-up in headless
# Chromium (both need root for their network namespaces; they are skipped without it).
if [ "${MOIM_BENCH_NS:-1}" = 0 ]; then
  echo "bench: MOIM_BENCH_NS=0, skipping the namespace benchmarks (discovery, call set-up)" >&2
elif [ "$(id -u)" -eq 0 ]; then
  test_bench discovery \
    "MOIM_BENCH_OUT=\$results/discovery.json cargo test --no-default-features --features bench --test discovery bench_discovery_time -- --ignored" \
    env MOIM_BENCH_OUT="$results/discovery.json" cargo test -q --no-default-features --features bench \
    --test discovery bench_discovery_time -- --ignored --nocapture
  test_bench call-setup \
    "MOIM_E2E_DEADLINE_SECS=1500 MOIM_BENCH_OUT=\$results/call-setup.json cargo test --no-default-features --features bench --test e2e_browser bench_call_setup -- --ignored" \
    env MOIM_E2E_DEADLINE_SECS=1500 MOIM_BENCH_OUT="$results/call-setup.json" cargo test -q --no-default-features \
    --features bench --test e2e_browser bench_call_setup -- --ignored --nocapture
  test_bench file-transfer \
    "MOIM_E2E_DEADLINE_SECS=900 MOIM_BENCH_OUT=\$results/file-transfer.md cargo test --no-default-features --features bench --test e2e_files bench_file_transfer -- --ignored" \
    env MOIM_E2E_DEADLINE_SECS=900 MOIM_BENCH_OUT="$results/file-transfer.md" cargo test -q --no-default-features \
    --features bench --test e2e_files bench_file_transfer -- --ignored --nocapture
else
  echo "bench: not root, skipping the namespace benchmarks (discovery, call set-up, file transfer)" >&2
fi
# The desktop app's idle RSS (a release build with the desktop shell, under Xvfb, in a network
# namespace of its own); MOIM_BENCH_DESKTOP=0 skips it.
if [ "${MOIM_BENCH_DESKTOP:-1}" != 0 ] && [ "$(id -u)" -eq 0 ] && command -v xvfb-run >/dev/null; then
  echo "bench: desktop idle RSS" >&2
  scripts/desktop-rss.sh "$results/desktop.json" >>"$commands" || echo "bench: desktop RSS not measured" >&2
fi

# Other work on the machine shows in the load average; the report says what it was.
echo "Load average (1, 5, 15 min) when the run started: $load_before; when it ended: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores." >"$results/notes.txt"
[ -z "${MOIM_BENCH_NOTE:-}" ] || echo "$MOIM_BENCH_NOTE" >>"$results/notes.txt"

commit=$(GIT_OPTIONAL_LOCKS=0 git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(GIT_OPTIONAL_LOCKS=0 git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit + uncommitted changes"
fi
"$BENCH" report --dir "$results" --out "$OUT" --date "$(date -u '+%Y-%m-%d %H:%M UTC')" --commit "$commit"
[ -f "$results/abuse.md" ] && cat "$results/abuse.md" >>"$OUT"
[ -f "$results/sfu.md" ] && cat "$results/sfu.md" >>"$OUT"
[ -f "$results/file-transfer.md" ] && cat "$results/file-transfer.md" >>"$OUT"
echo "bench: wrote $OUT" >&2
exit "$status"
