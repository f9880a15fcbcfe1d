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
    /// The folder of results (`footprint.json`, `host-1k-*.json`, `echo-1k-*.json`,
    /// `host-10k-*.json`, `host-1k-small-*.json`, `echo-1k-small-*.json`, `commands.txt`).
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

/// The median over runs of one figure.
fn med(runs: &[LoadResult], f: impl Fn(&LoadResult) -> f64) -> f64 {
    median(runs.iter().map(f).collect()).unwrap_or(f64::NAN)
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

/// Write the Markdown report from the results in `args.dir`.
pub fn write(args: ReportArgs) -> anyhow::Result<()> {
    let dir = &args.dir;
    let host = load_runs(dir, "host-1k-", "host-1k-small-")?;
    let echo = load_runs(dir, "echo-1k-", "echo-1k-small-")?;
    let host_small = load_runs(dir, "host-1k-small-", "")?;
    let echo_small = load_runs(dir, "echo-1k-small-", "")?;
    let big = load_runs(dir, "host-10k-", "")?;
    let fp: Option<Footprint> = std::fs::read_to_string(dir.join("footprint.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let commands = std::fs::read_to_string(dir.join("commands.txt")).unwrap_or_default();
    let md = markdown(
        &args,
        &host,
        &echo,
        &host_small,
        &echo_small,
        &big,
        fp.as_ref(),
        &commands,
    );
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, md).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("moim-bench: wrote {}", args.out.display());
    Ok(())
}

fn us(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

#[allow(clippy::too_many_arguments)]
fn markdown(
    args: &ReportArgs,
    host: &[LoadResult],
    echo: &[LoadResult],
    host_small: &[LoadResult],
    echo_small: &[LoadResult],
    big: &[LoadResult],
    fp: Option<&Footprint>,
    commands: &str,
) -> String {
    let mut s = String::new();
    let w = &mut s;
    let runs = host.len();
    let _ = writeln!(w, "# moim benchmarks\n");
    let _ =
        writeln!(
        w,
        "Written by `make bench` (`scripts/bench.sh` → `moim-bench report`); do not edit by hand, \
         run it again. Taken {}{}. Load generator and host share the machine, on 127.0.0.1 only.\n",
        if args.date.is_empty() { "on an unrecorded date" } else { &args.date },
        if args.commit.is_empty() { String::new() } else { format!(" at commit `{}`", args.commit) }
    );
    let _ = writeln!(w, "## Machine\n\n| | |\n| --- | --- |");
    for (k, v) in machine() {
        let _ = writeln!(w, "| {k} | {v} |");
    }

    // Targets.
    let relay_p99 = med(host, |r| r.paced.p99_us);
    let echo_p99 = med(echo, |r| r.paced.p99_us);
    let ratio = relay_p99 / echo_p99;
    let join_p99 = med(host, |r| r.join.map_or(f64::NAN, |j| j.p99_us));
    let sat = med(host, |r| r.saturation_rate);
    let sat_small = med(host_small, |r| r.saturation_rate);
    let rss_peer = med(host, |r| r.rss_per_peer_kib.unwrap_or(f64::NAN));
    let big_ok = !big.is_empty() && big.iter().all(LoadResult::correct);
    let big_lost: u64 = big
        .iter()
        .map(|r| r.lost + r.misdelivered + r.corrupt)
        .sum();
    let known = |x: f64, ok: bool| (!x.is_nan()).then_some(ok);
    let targets = [
        Verdict {
            what: "relay p99, 1,000 peers, paced 1,000 msg/s",
            goal: format!("≤ {TARGET_RELAY_P99_MS} ms"),
            measured: format!("{:.3} ms", relay_p99 / 1e3),
            met: known(relay_p99, relay_p99 / 1e3 <= TARGET_RELAY_P99_MS),
        },
        Verdict {
            what: "relay p99 ÷ echo-floor p99, same load",
            goal: format!("≤ {TARGET_ECHO_RATIO}×"),
            measured: format!("{ratio:.2}×"),
            met: known(ratio, ratio <= TARGET_ECHO_RATIO),
        },
        Verdict {
            what: "join → peer list p99, 1,000 peers in waves",
            goal: format!("≤ {TARGET_JOIN_P99_MS} ms"),
            measured: format!("{:.3} ms", join_p99 / 1e3),
            met: known(join_p99, join_p99 / 1e3 <= TARGET_JOIN_P99_MS),
        },
        Verdict {
            what: "relayed msg/s at saturation, 1,000 peers",
            goal: format!("≥ {}", thousands(TARGET_SATURATION)),
            measured: format!(
                "{} (negotiation mix); {} (candidates only)",
                thousands(sat),
                if sat_small.is_nan() {
                    "–".into()
                } else {
                    thousands(sat_small)
                }
            ),
            met: known(sat, sat >= TARGET_SATURATION),
        },
        Verdict {
            what: "host RSS per joined peer, 1,000 peers",
            goal: format!("≤ {TARGET_RSS_PER_PEER_KIB} KiB"),
            measured: format!("{rss_peer:.1} KiB"),
            met: known(rss_peer, rss_peer <= TARGET_RSS_PER_PEER_KIB),
        },
        Verdict {
            what: "10,000 concurrent peers, messages lost",
            goal: "0".into(),
            measured: if big.is_empty() {
                "not run".into()
            } else {
                format!(
                    "{big_lost} of {} signals",
                    thousands(big.iter().map(|r| r.sent as f64).sum())
                )
            },
            met: (!big.is_empty()).then_some(big_ok),
        },
    ];
    let _ = writeln!(
        w,
        "\n## Targets\n\nMedians of {runs} runs where a figure is noisy. A missed target is \
         marked **MISSED**; see *What limits it* below.\n\n| target | goal | measured | |\n| --- | --- | --- | --- |"
    );
    for t in &targets {
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} |",
            t.what,
            t.goal,
            t.measured,
            mark(t.met)
        );
    }

    // 1,000 peers.
    let one = |runs: &[LoadResult], f: &dyn Fn(&LoadResult) -> f64| us(med(runs, f));
    let _ = writeln!(
        w,
        "\n## Signaling at 1,000 peers (250 rooms × 4)\n\n\
         ### Relay latency under a paced load\n\n\
         1,000 signals/s in total (one per peer per second), negotiation mix, for {:.0} s. Relay = \
         one-way, from the sender writing the frame to the target reading it (both clients live \
         in moim-bench, one clock). Echo floor = the same client code against moim-bench's echo \
         server, every frame addressed back to its sender: a round trip with exactly as many \
         socket hops as one relay (client → server → client), so the ratio compares like with like.\n\n\
         | µs | p50 | p99 | p99.9 | max |\n| --- | --- | --- | --- | --- |",
        med(host, |r| r.paced.samples as f64 / r.paced_rate.max(1.0))
    );
    let _ = writeln!(
        w,
        "| moim relay | {} | {} | {} | {} |",
        one(host, &|r| r.paced.p50_us),
        one(host, &|r| r.paced.p99_us),
        one(host, &|r| r.paced.p999_us),
        one(host, &|r| r.paced.max_us)
    );
    let _ = writeln!(
        w,
        "| echo floor | {} | {} | {} | {} |",
        one(echo, &|r| r.paced.p50_us),
        one(echo, &|r| r.paced.p99_us),
        one(echo, &|r| r.paced.p999_us),
        one(echo, &|r| r.paced.max_us)
    );
    let ratio_at = |f: &dyn Fn(&LoadResult) -> f64| format!("{:.2}×", med(host, f) / med(echo, f));
    let _ = writeln!(
        w,
        "| relay ÷ echo | {} | {} | {} | |",
        ratio_at(&|r| r.paced.p50_us),
        ratio_at(&|r| r.paced.p99_us),
        ratio_at(&|r| r.paced.p999_us)
    );
    let _ = writeln!(
        w,
        "\nHost CPU during the paced phase: {:.1} % of one core.",
        med(host, |r| r.paced_server_cpu.unwrap_or(f64::NAN))
    );

    let _ = writeln!(
        w,
        "\n### Join → peer list\n\nEvery room's next peer joins at once (4 waves of 250 joins); \
         from writing `join` to reading `existing-peers`.\n\n\
         | µs | p50 | p99 | p99.9 | max |\n| --- | --- | --- | --- | --- |\n| 1,000 peers | {} | {} | {} | {} |",
        one(host, &|r| r.join.map_or(f64::NAN, |j| j.p50_us)),
        one(host, &|r| r.join.map_or(f64::NAN, |j| j.p99_us)),
        one(host, &|r| r.join.map_or(f64::NAN, |j| j.p999_us)),
        one(host, &|r| r.join.map_or(f64::NAN, |j| j.max_us)),
    );
    if !big.is_empty() {
        let _ = writeln!(
            w,
            "| 10,000 peers (waves of 2,500) | {} | {} | {} | {} |",
            one(big, &|r| r.join.map_or(f64::NAN, |j| j.p50_us)),
            one(big, &|r| r.join.map_or(f64::NAN, |j| j.p99_us)),
            one(big, &|r| r.join.map_or(f64::NAN, |j| j.p999_us)),
            one(big, &|r| r.join.map_or(f64::NAN, |j| j.max_us)),
        );
    }

    let _ = writeln!(
        w,
        "\n### Throughput at saturation\n\nEvery peer keeps {} signals in flight to its room-mates \
         (a closed loop, so no outbox ever overflows); received signals are counted over {:.0} s \
         after a warm-up. CPU is % of one core (the machine has {} in all, shared by host and load).\n\n\
         | | mean frame | received/s | host CPU | host µs CPU/msg | load generator CPU | p50 latency | p99 latency |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |",
        host.first().map_or(0, |r| r.saturation_window),
        10.0,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let sat_row = |w: &mut String, name: &str, runs: &[LoadResult]| {
        if runs.is_empty() {
            return;
        }
        let _ = writeln!(
            w,
            "| {name} | {:.0} B | {} | {:.0} % | {:.2} | {:.0} % | {} µs | {} µs |",
            med(runs, |r| r.saturation_frame_bytes),
            thousands(med(runs, |r| r.saturation_rate)),
            med(runs, |r| r.saturation_server_cpu.unwrap_or(f64::NAN)),
            med(runs, |r| r.saturation_server_us_per_msg.unwrap_or(f64::NAN)),
            med(runs, |r| r.saturation_client_cpu.unwrap_or(f64::NAN)),
            us(med(runs, |r| r.saturation_latency.p50_us)),
            us(med(runs, |r| r.saturation_latency.p99_us)),
        );
    };
    sat_row(w, "moim, negotiation mix", host);
    sat_row(w, "echo floor, negotiation mix", echo);
    sat_row(w, "moim, candidates only", host_small);
    sat_row(w, "echo floor, candidates only", echo_small);
    if !big.is_empty() {
        sat_row(w, "moim at 10,000 peers, negotiation mix", big);
    }

    let _ = writeln!(
        w,
        "\n### Memory\n\nHost `VmRSS` from `/proc/<pid>/status`: idle before any connection, with \
         every peer joined, and after all the traffic (buffers that grew for 3.5 KiB offers, \
         allocator high-water marks). Per peer = (RSS − idle RSS) ÷ peers.\n\n\
         | | idle | all joined | per joined peer | after traffic | per peer after traffic |\n\
         | --- | --- | --- | --- | --- | --- |"
    );
    let mem_row = |w: &mut String, name: &str, runs: &[LoadResult]| {
        if runs.is_empty() {
            return;
        }
        let _ = writeln!(
            w,
            "| {name} | {:.1} MiB | {:.1} MiB | {:.1} KiB | {:.1} MiB | {:.1} KiB |",
            med(runs, |r| r.rss_idle_kib.map_or(f64::NAN, |x| x as f64)) / 1024.0,
            med(runs, |r| r.rss_joined_kib.map_or(f64::NAN, |x| x as f64)) / 1024.0,
            med(runs, |r| r.rss_per_peer_kib.unwrap_or(f64::NAN)),
            med(runs, |r| r.rss_after_kib.map_or(f64::NAN, |x| x as f64)) / 1024.0,
            med(runs, |r| r.rss_per_peer_after_kib.unwrap_or(f64::NAN)),
        );
    };
    mem_row(w, "1,000 peers", host);
    mem_row(w, "10,000 peers", big);

    // 10,000 peers.
    let _ = writeln!(w, "\n## 10,000 concurrent peers (2,500 rooms × 4)\n");
    if big.is_empty() {
        let _ = writeln!(w, "Not run.");
    } else {
        let _ = writeln!(
            w,
            "| | |\n| --- | --- |\n\
             | connect + `welcome`, all 10,000 | {:.2} s |\n\
             | negotiation burst (offer/answer + 4 candidates to every room-mate, all at once) | {} signals delivered in {:.2} s |\n\
             | relay, paced {:.0} msg/s: p50 / p99 / p99.9 | {} / {} / {} µs |\n\
             | saturation | {} msg/s |\n\
             | signals sent / received / lost / misdelivered / damaged / out of order | {} / {} / {} / {} / {} / {} |\n\
             | errors, sockets closed early | {} , {} |",
            med(big, |r| r.connect_secs),
            thousands(med(big, |r| r.negotiate_msgs as f64)),
            med(big, |r| r.negotiate_secs),
            med(big, |r| r.paced_rate),
            one(big, &|r| r.paced.p50_us),
            one(big, &|r| r.paced.p99_us),
            one(big, &|r| r.paced.p999_us),
            thousands(med(big, |r| r.saturation_rate)),
            thousands(big.iter().map(|r| r.sent as f64).sum()),
            thousands(big.iter().map(|r| r.received as f64).sum()),
            big.iter().map(|r| r.lost).sum::<u64>(),
            big.iter().map(|r| r.misdelivered).sum::<u64>(),
            big.iter().map(|r| r.corrupt).sum::<u64>(),
            big.iter().map(|r| r.out_of_order).sum::<u64>(),
            big.iter().map(|r| r.errors).sum::<u64>(),
            big.iter().map(|r| r.unexpected_closes).sum::<u64>(),
        );
    }
    let all: Vec<&LoadResult> = host
        .iter()
        .chain(echo)
        .chain(host_small)
        .chain(echo_small)
        .chain(big)
        .collect();
    let anomalies: Vec<&String> = all
        .iter()
        .flat_map(|r| r.error_samples.iter().chain(&r.server_warnings))
        .collect();
    let _ =
        writeln!(
        w,
        "\nEvery run checks every signal: per sender→target pair, sent = received, in order, at \
         exactly the addressed peer (`from` is the sender's peer id, the target is the one the \
         header names), with the body byte for byte as sent. {}",
        if anomalies.is_empty() {
            "No run reported an anomaly or a host warning.".to_string()
        } else {
            format!(
                "Anomalies and host warnings reported:\n\n```\n{}\n```",
                anomalies.iter().take(20).map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
            )
        }
    );

    // Footprint.
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
    // Figures measured outside moim-bench (scripts/bench.sh runs them): one JSON object per
    // line in discovery.json, call-setup.json and desktop.json.
    let extra = |name: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(args.dir.join(name))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };
    match extra("desktop.json").first() {
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
    let _ = writeln!(
        w,
        "\n## On the LAN and in the browser\n\n| measure | median | min | max | runs |\n| --- | --- | --- | --- | --- |"
    );
    for d in extra("discovery.json") {
        let _ = writeln!(
            w,
            "| mDNS: a host process starts, creates a room, until another host lists it (two namespace hosts) | {:.0} ms | {:.0} ms | {:.0} ms | {} |",
            d["median_ms"].as_f64().unwrap_or(0.0),
            d["min_ms"].as_f64().unwrap_or(0.0),
            d["max_ms"].as_f64().unwrap_or(0.0),
            d["runs"]
        );
    }
    let calls = extra("call-setup.json");
    for n in [2, 4, 6] {
        if !calls.iter().any(|d| d["peers"] == n) {
            let _ = writeln!(
                w,
                "| call set-up, {n} peers in headless Chromium | not measured: the run did not finish (see *What limits it*) | | | |"
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

    let _ = writeln!(
        w,
        "\n## For scale\n\nA Node/Socket.IO signaling server like the seed demo's, measured on the \
         same kind of machine: 1,000 peers relay p99 0.88 ms at 1,000 msg/s, join p99 114 ms, \
         ~22,000 msg/s at saturation, ~72 KB RSS per peer; Flask-SocketIO ~2,400 msg/s. \
         (Figures as given in the benchmark brief, not re-measured here.)"
    );

    let _ = writeln!(w, "\n## What limits it\n\n{}", LIMITS);

    let _ = writeln!(
        w,
        "\n## How it is measured\n\n{}\n\n## Commands\n\n```sh\n{}```",
        METHOD, commands
    );
    s
}

/// The reasoning behind the figures, kept next to the code that produces them.
const METHOD: &str = "\
- **Host under test**: the release binary, `moim serve --no-mdns --bind 127.0.0.1 --port <free> \
  --max-connections 12000 --msg-rate 1000000 --msg-burst 1000000 --data-dir <temp>`, logging at \
  the default level to a file. The flood limit (default 50 msg/s, burst 200 per connection) is \
  raised because a saturation run would otherwise measure the limiter; the bucket is still \
  checked on every message, at the same cost.
- **Load generator**: `moim-bench`, a tokio client with one reader and one writer task per \
  WebSocket, on the same machine (the host gets no cores of its own). Peers connect 64 at a \
  time and read `welcome`; each room's first peer sends `create-room`; then every room's next \
  peer sends `join` at once, wave after wave.
- **Signals** look like a browser's: `data` holds JSON with an SDP offer (≈ 3.5 KiB) or answer \
  (≈ 2.5 KiB), or an ICE candidate (≈ 0.2 KiB), so the host unescapes and re-escapes `\\r\\n` and \
  quotes as it would in a call. The negotiation mix is one offer, one answer and eight \
  candidates in every ten signals. A header in front of the JSON carries sender, target, a \
  per-pair sequence number and the send time.
- **Paced load**: a 1 ms ticker hands out signals at the set total rate, one peer after \
  another; each peer addresses its room-mates in turn.
- **Saturation**: a closed loop: each peer keeps a window of signals in flight and tops it up \
  when its receivers have taken half, so the host is never asked to buffer without bound (its \
  outbox per peer holds 512 frames; a client that falls further behind is dropped, by design).
- **Echo floor**: `moim-bench echo-server`, tokio-tungstenite reading each frame and writing it \
  back, with the host's buffer settings; the same client code, the same connections and the \
  same paced load, every signal addressed to its own sender.
- **CPU** from `/proc/<pid>/stat` (utime + stime) over the phase; **RSS** from `VmRSS`.
- **Startup**: spawn → the first successful TCP connect to the port, polled every 0.5 ms.";

/// Why the figures are what they are (updated with the profiling notes).
const LIMITS: &str = include_str!("limits.md");
