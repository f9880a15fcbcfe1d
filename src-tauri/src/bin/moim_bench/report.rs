//! Targets, verdicts and `docs/benchmarks.md`. The report is written from the JSON results of
//! a folder (what `scripts/bench.sh` leaves), never by hand, so the figures and the commands
//! that produced them cannot drift apart.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::load::LoadResult;
use crate::stats::median;
use crate::Footprint;

/// Relay p99 at 1,000 peers under a paced 1,000 msg/s, ms.
pub const TARGET_RELAY_P99_MS: f64 = 0.3;
/// Relay p99 as a multiple of the echo round trip at the same load.
pub const TARGET_ECHO_RATIO: f64 = 3.0;
/// Join → `existing-peers` p99 at 1,000 peers joining in waves, ms.
pub const TARGET_JOIN_P99_MS: f64 = 5.0;
/// Relayed messages per second at saturation.
pub const TARGET_SATURATION: f64 = 100_000.0;
/// Host RSS per joined peer, KiB.
pub const TARGET_RSS_PER_PEER_KIB: f64 = 16.0;

/// `moim-bench report` arguments.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The folder of results (`footprint.json`, `<server>-1k-<round>.json` and
    /// `<server>-10k.json` for moim, node, flask and echo, `commands.txt`, `notes.txt`).
    #[arg(long)]
    dir: PathBuf,
    /// Where to write the Markdown.
    #[arg(long, default_value = "docs/benchmarks.md")]
    out: PathBuf,
    /// When the results were taken.
    #[arg(long, default_value = "")]
    date: String,
    /// The commit measured.
    #[arg(long, default_value = "")]
    commit: String,
}

/// One target and how the run did against it.
struct Verdict {
    what: &'static str,
    goal: String,
    measured: String,
    met: Option<bool>,
}

fn mark(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "**MISSED**",
        None => "not measured",
    }
}

/// The verdicts one host run can give on its own.
fn verdicts(r: &LoadResult) -> Vec<Verdict> {
    let mut v = Vec::new();
    let n = r.connections;
    if r.paced.samples > 0 {
        v.push(Verdict {
            what: "relay p99, paced",
            goal: format!("≤ {TARGET_RELAY_P99_MS} ms"),
            measured: format!("{:.3} ms", r.paced.p99_us / 1e3),
            met: Some(r.paced.p99_us / 1e3 <= TARGET_RELAY_P99_MS),
        });
    }
    if let Some(j) = &r.join {
        v.push(Verdict {
            what: "join → peer list p99, waves",
            goal: format!("≤ {TARGET_JOIN_P99_MS} ms"),
            measured: format!("{:.3} ms", j.p99_us / 1e3),
            met: Some(j.p99_us / 1e3 <= TARGET_JOIN_P99_MS),
        });
    }
    if r.saturation_rate > 0.0 {
        v.push(Verdict {
            what: "relayed msg/s at saturation",
            goal: format!("≥ {}", thousands(TARGET_SATURATION)),
            measured: thousands(r.saturation_rate),
            met: Some(r.saturation_rate >= TARGET_SATURATION),
        });
    }
    if let Some(kib) = r.rss_per_peer_kib {
        v.push(Verdict {
            what: "host RSS per joined peer",
            goal: format!("≤ {TARGET_RSS_PER_PEER_KIB} KiB"),
            measured: format!("{kib:.1} KiB"),
            met: Some(kib <= TARGET_RSS_PER_PEER_KIB),
        });
    }
    v.push(Verdict {
        what: "messages lost",
        goal: "0".into(),
        measured: format!("{} of {} ({n} peers)", r.lost, thousands(r.sent as f64)),
        met: Some(r.correct()),
    });
    v
}

/// What `moim-bench run` prints.
pub fn summary(r: &LoadResult) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{} rooms × {} peers = {} connections",
        r.rooms, r.peers, r.connections
    );
    if let Some(j) = &r.join {
        let _ = writeln!(
            s,
            "join → existing-peers    p50 {:>8.1} µs  p99 {:>8.1} µs  p99.9 {:>8.1} µs  max {:>8.1} µs",
            j.p50_us, j.p99_us, j.p999_us, j.max_us
        );
    }
    let l = &r.paced;
    let _ = writeln!(
        s,
        "relay, paced {:>6.0}/s    p50 {:>8.1} µs  p99 {:>8.1} µs  p99.9 {:>8.1} µs  max {:>8.1} µs  (server CPU {:.1} %)",
        r.paced_rate, l.p50_us, l.p99_us, l.p999_us, l.max_us, r.paced_server_cpu.unwrap_or(f64::NAN)
    );
    let l = &r.saturation_latency;
    let _ = writeln!(
        s,
        "saturation {:>10}/s   p50 {:>8.1} µs  p99 {:>8.1} µs  (server CPU {:.0} %, {:.2} µs/msg; load generator {:.0} %; {:.0} B frames, window {})",
        thousands(r.saturation_rate),
        l.p50_us,
        l.p99_us,
        r.saturation_server_cpu.unwrap_or(f64::NAN),
        r.saturation_server_us_per_msg.unwrap_or(f64::NAN),
        r.saturation_client_cpu.unwrap_or(f64::NAN),
        r.saturation_frame_bytes,
        r.saturation_window
    );
    if let (Some(idle), Some(joined)) = (r.rss_idle_kib, r.rss_joined_kib) {
        let _ = writeln!(
            s,
            "server RSS: idle {:.1} MiB, all joined {:.1} MiB ({:.1} KiB/peer), after traffic {:.1} MiB ({:.1} KiB/peer)",
            idle as f64 / 1024.0,
            joined as f64 / 1024.0,
            r.rss_per_peer_kib.unwrap_or(f64::NAN),
            r.rss_after_kib.unwrap_or(0) as f64 / 1024.0,
            r.rss_per_peer_after_kib.unwrap_or(f64::NAN),
        );
    }
    let _ = writeln!(
        s,
        "signals: sent {}, received {}, lost {}, misdelivered {}, corrupt {}, out of order {}, errors {}, early closes {}",
        r.sent, r.received, r.lost, r.misdelivered, r.corrupt, r.out_of_order, r.errors, r.unexpected_closes
    );
    for e in &r.error_samples {
        let _ = writeln!(s, "  ! {e}");
    }
    for w in &r.server_warnings {
        let _ = writeln!(s, "  server: {w}");
    }
    if r.target == Some(crate::load::Target::Host) {
        let _ = writeln!(
            s,
            "targets (the 1,000-peer figures are the ones that count):"
        );
        for v in verdicts(r) {
            let _ = writeln!(
                s,
                "  {:<30} {:<14} {:<28} {}",
                v.what,
                v.goal,
                v.measured,
                mark(v.met).replace("**", "")
            );
        }
    }
    s
}

/// `1234567.0` → `1,234,567`.
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The results whose file names start with `prefix` (and not with `except`).
fn load_runs(dir: &Path, prefix: &str, except: &str) -> anyhow::Result<Vec<LoadResult>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(prefix)
                    && (except.is_empty() || !n.starts_with(except))
                    && n.ends_with(".json")
            })
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p)?;
            serde_json::from_str(&text).with_context(|| format!("reading {}", p.display()))
        })
        .collect()
}

fn machine() -> Vec<(&'static str, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']))
        })
        .unwrap_or("unknown")
        .to_string();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or("unknown".into(), |kib| {
            format!("{:.1} GiB", kib / 1048576.0)
        });
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map_or("unknown".into(), |v| v.trim_matches('"').to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    vec![
        ("CPU", model),
        ("cores (available to the process)", cores.to_string()),
        ("memory", mem),
        ("OS", os),
        ("kernel", kernel),
    ]
}

/// The servers side by side, in the order of the table's columns.
const SERVERS: [(&str, &str); 4] = [
    ("moim", "moim"),
    ("node", "Node seed"),
    ("flask", "Flask seed"),
    ("echo", "echo floor"),
];

/// Target against the Node seed server, same run: relay p99 at most this fraction of its.
pub const TARGET_VS_NODE_RELAY_P99: f64 = 1.0 / 3.0;
/// Saturation at least this multiple of the Node seed's.
pub const TARGET_VS_NODE_SATURATION: f64 = 3.0;
/// Host CPU per message at most this fraction of the Node seed's.
pub const TARGET_VS_NODE_CPU: f64 = 1.0 / 3.0;
/// RSS per joined peer at most this fraction of the Node seed's.
pub const TARGET_VS_NODE_RSS: f64 = 1.0 / 4.0;

/// Every server's 1,000-peer runs (`<server>-1k-<i>.json`) and 10,000-peer run
/// (`<server>-10k.json`), read from the results folder.
struct Runs {
    one_k: Vec<Vec<LoadResult>>,
    ten_k: Vec<Vec<LoadResult>>,
}

impl Runs {
    fn load(dir: &Path) -> anyhow::Result<Runs> {
        let mut one_k = Vec::new();
        let mut ten_k = Vec::new();
        for (key, _) in SERVERS {
            one_k.push(load_runs(dir, &format!("{key}-1k-"), "")?);
            ten_k.push(load_runs(dir, &format!("{key}-10k"), "")?);
        }
        Ok(Runs { one_k, ten_k })
    }

    fn moim(&self) -> &[LoadResult] {
        &self.one_k[0]
    }
}

/// A figure of a run, NaN when the run did not produce it.
type Figure<'a> = &'a dyn Fn(&LoadResult) -> f64;

/// The median of a figure over the runs that finished.
fn med_ok(runs: &[LoadResult], f: Figure) -> f64 {
    median(runs.iter().filter(|r| r.failure.is_none()).map(f).collect()).unwrap_or(f64::NAN)
}

/// The median over rounds of `f(other) / f(moim)`, each ratio taken within one round of the
/// interleaved runs.
fn ratio(moim: &[LoadResult], other: &[LoadResult], f: Figure) -> f64 {
    median(
        moim.iter()
            .zip(other)
            .filter(|(a, b)| a.failure.is_none() && b.failure.is_none())
            .map(|(a, b)| f(b) / f(a))
            .collect(),
    )
    .unwrap_or(f64::NAN)
}

fn sat_at(r: &LoadResult, window: u32) -> Option<&crate::load::Saturation> {
    r.saturations.iter().find(|s| s.window == window)
}

/// Host CPU per relayed signal in the paced phase, µs (CPU % of a core → µs per message).
fn paced_us_per_msg(r: &LoadResult) -> f64 {
    r.paced_server_cpu.unwrap_or(f64::NAN) * 1e4 / r.paced_rate.max(1e-9)
}

fn fmt_ms(us: f64) -> String {
    if us.is_nan() {
        "–".into()
    } else if us >= 100_000.0 {
        format!("{:.0} ms", us / 1e3)
    } else if us >= 1_000.0 {
        format!("{:.1} ms", us / 1e3)
    } else {
        format!("{:.2} ms", us / 1e3)
    }
}

fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else {
        thousands(x)
    }
}

fn fmt_f(x: f64, digits: usize, unit: &str) -> String {
    if x.is_nan() {
        "–".into()
    } else {
        format!("{x:.digits$}{unit}")
    }
}

/// Microseconds with as many decimals as they deserve.
fn fmt_us(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x < 10.0 {
        format!("{x:.2} µs")
    } else if x < 100.0 {
        format!("{x:.1} µs")
    } else {
        format!("{} µs", thousands(x))
    }
}

fn fmt_ratio(x: f64) -> String {
    if x.is_nan() || x.is_infinite() {
        String::new()
    } else if x >= 10.0 {
        format!(" ({x:.0}×)")
    } else {
        format!(" ({x:.2}×)")
    }
}

/// Write the Markdown report from the results in `args.dir`.
pub fn write(args: ReportArgs) -> anyhow::Result<()> {
    let dir = &args.dir;
    let runs = Runs::load(dir)?;
    let fp: Option<Footprint> = std::fs::read_to_string(dir.join("footprint.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let commands = std::fs::read_to_string(dir.join("commands.txt")).unwrap_or_default();
    let notes = std::fs::read_to_string(dir.join("notes.txt")).unwrap_or_default();
    let md = markdown(&args, &runs, fp.as_ref(), &commands, &notes);
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, md).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("moim-bench: wrote {}", args.out.display());
    Ok(())
}

/// One row of the side-by-side table: a figure for every server, with its ratio to moim's.
fn row(
    w: &mut String,
    runs: &[Vec<LoadResult>],
    name: &str,
    f: Figure,
    fmt: &dyn Fn(f64) -> String,
) {
    let _ = write!(w, "| {name} |");
    for (i, server) in runs.iter().enumerate() {
        let v = med_ok(server, f);
        let cell = if v.is_nan() {
            "–".to_string()
        } else if i == 0 {
            fmt(v)
        } else {
            format!("{}{}", fmt(v), fmt_ratio(ratio(&runs[0], server, f)))
        };
        let _ = write!(w, " {cell} |");
    }
    let _ = writeln!(w);
}

/// One target against the Node seed: what, the figure, at most (true) or at least (false),
/// the goal as a ratio, and the goal as people read it.
type TargetCheck = (
    String,
    Box<dyn Fn(&LoadResult) -> f64>,
    bool,
    f64,
    &'static str,
);

fn markdown(
    args: &ReportArgs,
    runs: &Runs,
    fp: Option<&Footprint>,
    commands: &str,
    notes: &str,
) -> String {
    let mut s = String::new();
    let w = &mut s;
    header(w, args, notes);
    targets_against_node(w, runs);
    own_targets(w, runs);
    side_by_side(w, runs);
    ten_thousand(w, runs);
    accounting(w, runs);
    footprint(w, args, fp);
    browser_figures(w, args);
    let _ = writeln!(w, "\n## What limits it\n\n{}", LIMITS);
    let _ = writeln!(
        w,
        "\n## How it is measured\n\n{}\n\n## Commands\n\n```sh\n{}```",
        METHOD, commands
    );
    s
}

/// The relay p99 at the paced 1,000 msg/s.
fn p99(r: &LoadResult) -> f64 {
    r.paced.p99_us
}

/// Host RSS per joined peer.
fn rss_peer(r: &LoadResult) -> f64 {
    r.rss_per_peer_kib.unwrap_or(f64::NAN)
}

/// Saturation rate at `wnd` signals in flight per peer.
fn rate_at(wnd: u32) -> impl Fn(&LoadResult) -> f64 {
    move |r| sat_at(r, wnd).map_or(f64::NAN, |s| s.rate)
}

/// Host CPU per message at saturation with `wnd` in flight.
fn cpu_at(wnd: u32) -> impl Fn(&LoadResult) -> f64 {
    move |r| {
        sat_at(r, wnd)
            .and_then(|s| s.server_us_per_msg)
            .unwrap_or(f64::NAN)
    }
}

/// The title, the date and commit, the machine.
fn header(w: &mut String, args: &ReportArgs, notes: &str) {
    let _ = writeln!(w, "# moim benchmarks\n");
    let _ = writeln!(
        w,
        "Written by `make bench` (`scripts/bench.sh` → `moim-bench report`); do not edit by hand, \
         run it again. Taken {}{}. Load generator and servers share the machine, on 127.0.0.1 only.{}\n",
        if args.date.is_empty() { "on an unrecorded date" } else { &args.date },
        if args.commit.is_empty() { String::new() } else { format!(" at commit `{}`", args.commit) },
        if notes.trim().is_empty() { String::new() } else { format!(" {}", notes.trim()) }
    );
    let _ = writeln!(w, "## Machine\n\n| | |\n| --- | --- |");
    for (k, v) in machine() {
        let _ = writeln!(w, "| {k} | {v} |");
    }
}

/// Each figure of moim against the Node seed's, with the goal.
fn targets_against_node(w: &mut String, runs: &Runs) {
    let host = runs.moim();
    let node = &runs.one_k[1];
    let echo = &runs.one_k[3];
    let rounds = host.len();
    // (what, figure, at most (true) or at least (false), the goal as a ratio)
    let mut checks: Vec<TargetCheck> = vec![(
        "relay p99, paced 1,000 msg/s".into(),
        Box::new(p99),
        true,
        TARGET_VS_NODE_RELAY_P99,
        "≤ 0.33×",
    )];
    for wnd in [1, 4, 16] {
        checks.push((
            format!("saturation msg/s, window {wnd}"),
            Box::new(rate_at(wnd)),
            false,
            TARGET_VS_NODE_SATURATION,
            "≥ 3×",
        ));
    }
    checks.push((
        "host CPU per message, paced 1,000 msg/s".into(),
        Box::new(paced_us_per_msg),
        true,
        TARGET_VS_NODE_CPU,
        "≤ 0.33×",
    ));
    for wnd in [1, 4, 16] {
        checks.push((
            format!("host CPU per message, window {wnd}"),
            Box::new(cpu_at(wnd)),
            true,
            TARGET_VS_NODE_CPU,
            "≤ 0.33×",
        ));
    }
    checks.push((
        "RSS per joined peer".into(),
        Box::new(rss_peer),
        true,
        TARGET_VS_NODE_RSS,
        "≤ 0.25×",
    ));
    let _ = writeln!(
        w,
        "\n## Targets against the seed's Node server\n\nEach figure of moim ÷ the same figure of \
         the Node seed, in the same run: the median over {rounds} interleaved rounds of the ratio \
         within each round. The echo floor's ratio beside it is the best any server could reach \
         on this machine under the same load generator. A missed target is marked **MISSED**; \
         see *What limits it* below.\n\n| target: moim ÷ Node seed | goal | moim | echo floor | |\n\
         | --- | --- | --- | --- | --- |"
    );
    for (what, f, at_most, goal, goal_text) in &checks {
        let x = ratio(node, host, f.as_ref());
        let floor = ratio(node, echo, f.as_ref());
        let met = known(x, |x| if *at_most { x <= *goal } else { x >= *goal });
        let _ = writeln!(
            w,
            "| {what} | {goal_text} | {} | {} | {} |",
            fmt_f(x, 2, "×"),
            fmt_f(floor, 2, "×"),
            mark(met)
        );
    }
}

/// moim's own absolute targets.
fn own_targets(w: &mut String, runs: &Runs) {
    let host = runs.moim();
    let echo = &runs.one_k[3];
    let relay_p99 = med_ok(host, &p99);
    let echo_ratio = ratio(echo, host, &p99);
    let join_p99 = med_ok(host, &|r| r.join.map_or(f64::NAN, |j| j.p99_us));
    let sat16 = med_ok(host, &|r| sat_at(r, 16).map_or(f64::NAN, |s| s.rate));
    let rss = med_ok(host, &rss_peer);
    let big = &runs.ten_k[0];
    let big_ok = !big.is_empty() && big.iter().all(LoadResult::correct);
    let own = [
        Verdict {
            what: "relay p99, 1,000 peers, paced 1,000 msg/s",
            goal: format!("≤ {TARGET_RELAY_P99_MS} ms"),
            measured: fmt_ms(relay_p99),
            met: known(relay_p99, |x| x / 1e3 <= TARGET_RELAY_P99_MS),
        },
        Verdict {
            what: "relay p99 ÷ echo-floor p99, same load",
            goal: format!("≤ {TARGET_ECHO_RATIO}×"),
            measured: fmt_f(echo_ratio, 2, "×"),
            met: known(echo_ratio, |x| x <= TARGET_ECHO_RATIO),
        },
        Verdict {
            what: "join → peer list p99, 1,000 peers in waves",
            goal: format!("≤ {TARGET_JOIN_P99_MS} ms"),
            measured: fmt_ms(join_p99),
            met: known(join_p99, |x| x / 1e3 <= TARGET_JOIN_P99_MS),
        },
        Verdict {
            what: "relayed msg/s at saturation (window 16), 1,000 peers",
            goal: format!("≥ {}", thousands(TARGET_SATURATION)),
            measured: fmt_num(sat16),
            met: known(sat16, |x| x >= TARGET_SATURATION),
        },
        Verdict {
            what: "host RSS per joined peer, 1,000 peers",
            goal: format!("≤ {TARGET_RSS_PER_PEER_KIB} KiB"),
            measured: fmt_f(rss, 1, " KiB"),
            met: known(rss, |x| x <= TARGET_RSS_PER_PEER_KIB),
        },
        Verdict {
            what: "10,000 concurrent peers, messages lost",
            goal: "0".into(),
            measured: if big.is_empty() {
                "not run".into()
            } else {
                format!(
                    "{} of {} signals",
                    big.iter()
                        .map(|r| r.lost + r.misdelivered + r.corrupt)
                        .sum::<u64>(),
                    thousands(big.iter().map(|r| r.sent as f64).sum())
                )
            },
            met: (!big.is_empty()).then_some(big_ok),
        },
    ];
    let _ = writeln!(
        w,
        "\n## moim's own targets\n\n| target | goal | measured | |\n| --- | --- | --- | --- |"
    );
    for t in &own {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} |",
            t.what,
            t.goal,
            t.measured,
            mark(t.met)
        );
    }
}

/// One row of a table: its label, the figure, how to print it.
type RowSpec<'a> = (
    String,
    Box<dyn Fn(&LoadResult) -> f64 + 'a>,
    fn(f64) -> String,
);

fn rows(w: &mut String, runs: &[Vec<LoadResult>], specs: Vec<RowSpec>) {
    for (name, f, fmt) in specs {
        row(w, runs, &name, f.as_ref(), &fmt);
    }
}

fn mib(kib: Option<u64>) -> f64 {
    kib.map_or(f64::NAN, |x| x as f64 / 1024.0)
}

/// The side-by-side table of every server at 1,000 peers.
fn side_by_side(w: &mut String, runs: &Runs) {
    let rounds = runs.moim().len();
    let _ = writeln!(
        w,
        "\n## Side by side: 1,000 peers (250 rooms × 4)\n\n\
         One `moim-bench` drives every server with the same clients, rooms, signals, pacing and \
         windows; the four servers run one after another in each of {rounds} rounds, and every \
         cell is the median over the rounds (in brackets: the median of the ratio to moim within \
         each round). moim and the echo floor speak moim's protocol; the seeds' servers \
         (bench/seeds/) speak Socket.IO (`join-room` / `join_room`, `existing-users`, \
         `user-joined`, `offer` / `answer` / `ice-candidate` relayed by socket id). The echo floor \
         sends every signal back to its sender instead of relaying it, with exactly as many \
         socket hops: the least any server on this machine can do. CPU is the server process's \
         own (utime + stime from `/proc/<pid>/stat`, all its threads), RSS its `VmRSS`.\n"
    );
    let _ = write!(w, "| |");
    for (_, label) in SERVERS {
        let _ = write!(w, " {label} |");
    }
    let _ = writeln!(w, "\n| --- | --- | --- | --- | --- |");
    let mut specs = paced_rows();
    for wnd in [1u32, 4, 16] {
        specs.extend(window_rows(wnd));
    }
    specs.extend(memory_rows());
    rows(w, &runs.one_k, specs);
}

/// The join and paced-relay rows.
fn paced_rows() -> Vec<RowSpec<'static>> {
    let mut rows = latency_rows("4 waves of 250 joins at once");
    rows.extend::<[RowSpec; 3]>([
        (
            "relay p99.9, paced 1,000 msg/s".into(),
            Box::new(|r| r.paced.p999_us),
            fmt_ms,
        ),
        (
            "host CPU, paced 1,000 msg/s (% of one core)".into(),
            Box::new(|r| r.paced_server_cpu.unwrap_or(f64::NAN)),
            |x| fmt_f(x, 1, " %"),
        ),
        (
            "host CPU per message, paced 1,000 msg/s".into(),
            Box::new(paced_us_per_msg),
            fmt_us,
        ),
    ]);
    rows
}

/// Join and relay latency, the rows both tables have (`waves`: how the joins came).
fn latency_rows(waves: &str) -> Vec<RowSpec<'static>> {
    vec![
        (
            format!("join → peer list p50 ({waves})"),
            Box::new(|r| r.join.map_or(f64::NAN, |j| j.p50_us)),
            fmt_ms,
        ),
        (
            "join → peer list p99".into(),
            Box::new(|r| r.join.map_or(f64::NAN, |j| j.p99_us)),
            fmt_ms,
        ),
        (
            "relay p50, paced 1,000 msg/s".into(),
            Box::new(|r| r.paced.p50_us),
            fmt_ms,
        ),
        ("relay p99, paced 1,000 msg/s".into(), Box::new(p99), fmt_ms),
    ]
}

/// RSS per joined peer, and how many signals were checked (`checked`: the row's label).
fn closing_rows(checked: &str) -> [RowSpec<'static>; 2] {
    [
        ("RSS per joined peer".into(), Box::new(rss_peer), |x| {
            fmt_f(x, 1, " KiB")
        }),
        (checked.into(), Box::new(|r| r.sent as f64), fmt_num),
    ]
}

/// The saturation rows at `wnd` signals in flight per peer.
fn window_rows(wnd: u32) -> Vec<RowSpec<'static>> {
    let pct0: fn(f64) -> String = |x| fmt_f(x, 0, " %");
    vec![
        (
            format!("saturation msg/s, window {wnd}"),
            Box::new(rate_at(wnd)),
            fmt_num,
        ),
        (
            format!("host CPU per message, window {wnd}"),
            Box::new(cpu_at(wnd)),
            fmt_us,
        ),
        (
            format!("host CPU, window {wnd} (% of one core)"),
            Box::new(move |r| {
                sat_at(r, wnd)
                    .and_then(|s| s.server_cpu)
                    .unwrap_or(f64::NAN)
            }),
            pct0,
        ),
        (
            format!("load generator CPU, window {wnd}"),
            Box::new(move |r| {
                sat_at(r, wnd)
                    .and_then(|s| s.client_cpu)
                    .unwrap_or(f64::NAN)
            }),
            pct0,
        ),
    ]
}

/// The memory rows, and how many signals were checked.
fn memory_rows() -> Vec<RowSpec<'static>> {
    let [per_peer, checked] = closing_rows("signals checked (sent = received, in order, intact)");
    vec![
        ("RSS idle".into(), Box::new(|r| mib(r.rss_idle_kib)), |x| {
            fmt_f(x, 1, " MiB")
        }),
        (
            "RSS with 1,000 peers joined".into(),
            Box::new(|r| mib(r.rss_joined_kib)),
            |x| fmt_f(x, 1, " MiB"),
        ),
        per_peer,
        (
            "RSS per peer after all the traffic".into(),
            Box::new(|r| r.rss_per_peer_after_kib.unwrap_or(f64::NAN)),
            |x| fmt_f(x, 1, " KiB"),
        ),
        checked,
    ]
}

/// Whether each server held 10,000 peers, and why not.
fn held(w: &mut String, t: &[Vec<LoadResult>]) {
    let _ = write!(w, "| holds 10,000 peers |");
    for server in t {
        let cell = match server.first() {
            None => "not run".to_string(),
            Some(r) => match &r.failure {
                None if r.correct() => "yes".to_string(),
                None => format!(
                    "**no**: {} lost, {} misdelivered, {} errors, {} sockets closed early",
                    r.lost, r.misdelivered, r.errors, r.unexpected_closes
                ),
                Some(f) => format!("**no**: {}", f.replace('|', "/").replace('\n', " ")),
            },
        };
        let _ = write!(w, " {cell} |");
    }
    let _ = writeln!(w);
}

/// The 10,000-peer table (moim and the two seeds).
fn ten_thousand(w: &mut String, runs: &Runs) {
    let _ = writeln!(
        w,
        "\n## 10,000 peers (2,500 rooms × 4), once per server\n\nThe same phases with joins in waves of \
         2,500, a paced 1,000 msg/s for 10 s and saturation at window 4 (a server that cannot \
         hold 10,000 connections shows why).\n"
    );
    let _ = write!(w, "| |");
    for (_, label) in &SERVERS[..3] {
        let _ = write!(w, " {label} |");
    }
    let _ = writeln!(w, "\n| --- | --- | --- | --- |");
    let t = &runs.ten_k[..3];
    held(w, t);
    let mut specs: Vec<RowSpec> = vec![(
        "connect all 10,000".into(),
        Box::new(|r| r.connect_secs * 1e6),
        |x| fmt_f(x / 1e6, 2, " s"),
    )];
    specs.extend(latency_rows("waves of 2,500"));
    specs.extend::<[RowSpec; 3]>([
        (
            "saturation msg/s, window 4".into(),
            Box::new(rate_at(4)),
            fmt_num,
        ),
        (
            "host CPU per message, window 4".into(),
            Box::new(cpu_at(4)),
            fmt_us,
        ),
        (
            "RSS with 10,000 peers joined".into(),
            Box::new(|r| mib(r.rss_joined_kib)),
            |x| fmt_f(x, 0, " MiB"),
        ),
    ]);
    specs.extend(closing_rows("signals checked"));
    rows(w, t, specs);
}

/// Whether every run accounted for every signal, and what anomalies the runs reported.
fn accounting(w: &mut String, runs: &Runs) {
    let all: Vec<&LoadResult> = runs.one_k.iter().chain(&runs.ten_k).flatten().collect();
    let wrong: Vec<String> = all
        .iter()
        .filter(|r| r.failure.is_none() && !r.correct())
        .map(|r| {
            format!(
                "{}, {} peers: {} lost, {} misdelivered, {} damaged, {} out of order, {} errors, {} closed early",
                r.target.map_or("?", |t| t.label()),
                r.connections,
                r.lost,
                r.misdelivered,
                r.corrupt,
                r.out_of_order,
                r.errors,
                r.unexpected_closes
            )
        })
        .collect();
    let anomalies: Vec<String> = all
        .iter()
        .flat_map(|r| {
            let who = r.target.map_or("?", |t| t.label());
            r.error_samples
                .iter()
                .chain(&r.server_warnings)
                .map(move |e| format!("{who}: {e}"))
        })
        .collect();
    let _ = writeln!(
        w,
        "\nEvery run checks every signal: per sender→target pair, sent = received, in order, at \
         exactly the addressed peer (`from` is the sender's id, the target is the one the header \
         names), with the body byte for byte as sent. {}{}",
        if wrong.is_empty() {
            "Every run that finished accounted for every signal.".to_string()
        } else {
            format!("Runs that did not: {}.", wrong.join("; "))
        },
        if anomalies.is_empty() {
            " No run reported an anomaly or a server warning.".to_string()
        } else {
            format!(
                " Anomalies and server warnings reported:\n\n```\n{}\n```",
                anomalies
                    .iter()
                    .take(20)
                    .map(|s| s.chars().take(300).collect::<String>())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        }
    );
}

/// The binary, start-up and idle memory.
fn footprint(w: &mut String, args: &ReportArgs, fp: Option<&Footprint>) {
    let _ = writeln!(w, "\n## Footprint\n\n| | |\n| --- | --- |");
    match fp {
        Some(fp) => {
            let _ = writeln!(
                w,
                "| release binary `moim` (headless build, stripped) | {:.2} MiB |\n\
                 | start → accepting connections (TCP connect on loopback succeeds; median of {}) | {:.1} ms |\n\
                 | start → first `welcome` on a WebSocket | {:.1} ms |\n\
                 | idle RSS of the headless host (`moim serve`) | {:.1} MiB |",
                fp.binary_bytes as f64 / 1048576.0,
                fp.startup_runs_ms.len(),
                fp.startup_ms,
                fp.first_welcome_ms,
                fp.idle_rss_kib / 1024.0
            );
        }
        None => {
            let _ = writeln!(w, "| (not measured) | |");
        }
    }
    match extra(args, "desktop.json").first() {
        Some(d) => {
            let _ = writeln!(
                w,
                "| idle RSS of the desktop app ({} build; window on the lobby, under Xvfb): the app process | {:.1} MiB |\n\
                 | idle RSS of the desktop app with its WebKit web and network processes | {:.1} MiB |",
                d["build"].as_str().unwrap_or("release"),
                d["rss_kib"].as_f64().unwrap_or(0.0) / 1024.0,
                d["tree_rss_kib"].as_f64().unwrap_or(0.0) / 1024.0
            );
        }
        None => {
            let _ = writeln!(
                w,
                "| idle RSS of the desktop app | not measured in this run |"
            );
        }
    }
}

/// Figures measured outside moim-bench (scripts/bench.sh runs them): one JSON object per line
/// in discovery.json, call-setup.json and desktop.json.
fn extra(args: &ReportArgs, name: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(args.dir.join(name))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// mDNS discovery and call set-up in the browser, from their JSON files.
fn browser_figures(w: &mut String, args: &ReportArgs) {
    let _ = writeln!(
        w,
        "\n## On the LAN and in the browser\n\n| measure | median | min | max | runs |\n| --- | --- | --- | --- | --- |"
    );
    let discovery = extra(args, "discovery.json");
    if discovery.is_empty() {
        let _ = writeln!(
            w,
            "| mDNS discovery between two namespace hosts | not measured in this run | | | |"
        );
    }
    for d in discovery {
        let _ = writeln!(
            w,
            "| mDNS: a host process starts, creates a room, until another host lists it (two namespace hosts) | {:.0} ms | {:.0} ms | {:.0} ms | {} |",
            d["median_ms"].as_f64().unwrap_or(0.0),
            d["min_ms"].as_f64().unwrap_or(0.0),
            d["max_ms"].as_f64().unwrap_or(0.0),
            d["runs"]
        );
    }
    let calls = extra(args, "call-setup.json");
    let call_ran = args.dir.join("call-setup.log").exists();
    for n in [2, 4, 6] {
        if !calls.iter().any(|d| d["peers"] == n) {
            let why = if call_ran {
                "not measured: not tried, or the run did not finish (see the notes at the top and *What limits it*)"
            } else {
                "not measured in this run"
            };
            let _ = writeln!(
                w,
                "| call set-up, {n} peers in headless Chromium | {why} | | | |"
            );
        }
    }
    for d in &calls {
        let _ = writeln!(
            w,
            "| call set-up, {} peers in headless Chromium: {} | {:.0} ms | {:.0} ms | {:.0} ms | {} |",
            d["peers"],
            d["measure"].as_str().unwrap_or(""),
            d["median_ms"].as_f64().unwrap_or(0.0),
            d["min_ms"].as_f64().unwrap_or(0.0),
            d["max_ms"].as_f64().unwrap_or(0.0),
            d["runs"]
        );
    }
    // The set-up targets (two people to the first frame, four to every pair connected).
    let goals: Vec<String> = [(2, 250.0), (4, 1000.0)]
        .iter()
        .map(|(n, goal)| {
            let got = calls
                .iter()
                .find(|d| d["peers"] == *n)
                .and_then(|d| d["median_ms"].as_f64());
            let shown = got.map_or("–".to_string(), |x| format!("{x:.0} ms"));
            let met = got.map(|x| x <= *goal);
            format!("{n} peers ≤ {goal:.0} ms: {shown}, {}", mark(met))
        })
        .collect();
    let _ = writeln!(w, "\nCall set-up targets (medians): {}.", goals.join("; "));
    // The client's set-up trace (ui/mesh.js setupTrace()), summed up by the benchmark.
    if calls.iter().any(|d| d["breakdown"].is_string()) {
        let _ = writeln!(
            w,
            "\nWhere the call set-up time goes: the median time of each step after the first \
             join click, over every page and remote peer of every run (the client's set-up trace; \
             a *detour* is a re-sent offer, a stalled pair rebuilt, a glare or an ICE restart).\n"
        );
        for d in calls.iter().filter(|d| d["breakdown"].is_string()) {
            let _ = writeln!(
                w,
                "- {} peers: {}",
                d["peers"],
                d["breakdown"].as_str().unwrap_or("")
            );
        }
    }
}

/// `Some(ok(x))`, or `None` when the figure was not measured.
fn known(x: f64, ok: impl Fn(f64) -> bool) -> Option<bool> {
    (!x.is_nan()).then(|| ok(x))
}

/// The reasoning behind the figures, kept next to the code that produces them.
const METHOD: &str = "\
- **moim**: the release binary, `moim serve --no-mdns --bind 127.0.0.1 --port <free> \
  --max-connections 12000 --max-connections-per-address 12000 --rooms-per-address 20000 \
  --msg-rate 1000000 --msg-burst 1000000 --data-dir <temp>`, logging at the default level to a \
  file. The flood limit (default 50 msg/s, burst 200 per connection) and the per-address budgets \
  (256 sessions, 64 rooms) are raised because every client of a run comes from 127.0.0.1 and a \
  saturation run would otherwise measure the limiter; the buckets are still checked on every \
  message and connection, at the same cost.
- **Node seed** (`bench/seeds/node/server.js`): seed a's server rebuilt from its description, \
  Express 4 and Socket.IO 4.8 on Node.js, one process, `node server.js` with `NODE_ENV=production`, \
  bound to 127.0.0.1. A peer emits `join-room` with the room id and hears `existing-users` (the \
  ids already there), the others hear `user-joined`; `offer`, `answer` and `ice-candidate` carry \
  `target` and are emitted to that socket as `{from, offer|answer|candidate}`.
- **Flask seed** (`bench/seeds/flask/app.py`): seed b's server rebuilt from its description, \
  Flask-SocketIO 5 on eventlet (`socketio.run`, one process), bound to 127.0.0.1; the same events \
  spelled `join_room` (with `{room}`) and `ice_candidate`, the user list as `[{sid}]`.
- **Echo floor**: `moim-bench echo-server`, tokio-tungstenite reading each frame and writing it \
  back, with moim's buffer settings; every signal addressed to its own sender.
- **Load generator**: `moim-bench`, a tokio client with one reader and one writer task per \
  WebSocket, on the same machine (the servers get no cores of their own). For the seeds it \
  speaks Engine.IO v4 / Socket.IO v5 over the WebSocket transport (`EIO=4&transport=websocket`: \
  the open packet, `40` connect, `42[...]` events, the server's pings answered with `3`). Peers \
  connect 64 at a time and wait for `welcome` (moim) or the Socket.IO connect (seeds); each \
  moim room's first peer sends `create-room` (a seed's room is any name); then every room's \
  next peer joins at once, wave after wave.
- **Signals** look like a browser's: an SDP offer (≈ 3.5 KiB) or answer (≈ 2.5 KiB), or an ICE \
  candidate (≈ 0.2 KiB), as escaped JSON, so every server unescapes and re-escapes `\\r\\n` and \
  quotes as it would in a call; moim gets it as `data`, a seed as the `offer` / `answer` / \
  `candidate` field. The mix is one offer, one answer and eight candidates in every ten \
  signals. A header in front of the JSON carries sender, target, a per-pair sequence number \
  and the send time.
- **Negotiation burst**: every peer sends every room-mate an offer or answer and four \
  candidates at once (not in the table; it warms every server up the same way).
- **Paced load**: a 1 ms ticker hands out 1,000 signals/s in total, one peer after another; \
  each peer addresses its room-mates in turn. Relay = one-way, from the sender writing the frame \
  to the target reading it (both clients live in moim-bench, one clock). Host CPU per message = \
  the server's CPU over the phase ÷ signals relayed: the cost of a signal when the server is \
  mostly idle, as in real calls.
- **Saturation**: a closed loop at windows 1, 4 and 16: each peer keeps that many signals in \
  flight and tops them up when its receivers have taken half, so no server is asked to buffer \
  without bound; received signals are counted after a warm-up. Window 1 is close to a call's \
  negotiation (a few signals in flight per peer); window 16 is a deep queue where every wake-up \
  finds many frames.
- **CPU** from `/proc/<pid>/stat` (utime + stime) over the phase; **RSS** from `VmRSS` in \
  `/proc/<pid>/status`: idle before any connection, with every peer joined, and after all the \
  traffic. Per peer = (RSS − idle RSS) ÷ peers.
- **Startup**: spawn → the first successful TCP connect to the port, polled every 0.5 ms.";

/// Why the figures are what they are (updated with the profiling notes).
const LIMITS: &str = include_str!("limits.md");
