//! moim-bench: the signaling load generator behind `make bench` and `docs/benchmarks.md`.
//!
//! Everything runs on 127.0.0.1 only: the host under test (the release `moim serve`, started
//! here as a child process), the load (R rooms × P real WebSocket clients in this process), the
//! echo floor (`moim-bench echo-server`, a minimal tokio-tungstenite echo that the same
//! client code measures, so every relay figure has a floor beside it), and the seeds' two
//! Socket.IO servers (bench/seeds/node, bench/seeds/flask), loaded by the same client code
//! speaking Socket.IO, so the comparison has one load generator.
//!
//! ```text
//! moim-bench run --host-bin target/release/moim --rooms 250 --peers 4 --json out.json
//! moim-bench run --target echo --rooms 250 --peers 4 --json echo.json
//! moim-bench run --target node --rooms 250 --peers 4 --window 1,4,16 --json node.json
//! moim-bench footprint --host-bin target/release/moim --json footprint.json
//! moim-bench sfu --host-bin target/release/moim --members 10,30,50 --json sfu.json
//! moim-bench report --dir <results> --out docs/benchmarks.md
//! ```
//!
//! # Layout
//! - `load`: the clients and the phases (join waves, paced relay, saturation, the check).
//! - `payload`: the signal frames (SDP- and candidate-sized) and their header.
//! - `echo`: the echo floor server.
//! - `process`: the server under test as a child process.
//! - `sio`: the Engine.IO / Socket.IO framing for the seeds' servers.
//! - `stats`: histogram, `/proc` readings.
//! - `report`: targets, verdicts and the Markdown of `docs/benchmarks.md`.
//! - `abuse`: the good pair's delivery while the host is attacked (`moim-bench abuse`).
//! - `media`: the SFU's media load, str0m clients in a large meeting, and its floor, a plain
//!   UDP copier (`moim-bench sfu`, `moim-bench udp-copier`).
#![forbid(unsafe_code)]

#[path = "moim_bench/abuse.rs"]
mod abuse;
#[path = "moim_bench/echo.rs"]
mod echo;
#[path = "moim_bench/load.rs"]
mod load;
#[path = "moim_bench/media.rs"]
mod media;
#[path = "moim_bench/payload.rs"]
mod payload;
#[path = "moim_bench/process.rs"]
mod process;
#[path = "moim_bench/report.rs"]
mod report;
#[path = "moim_bench/sio.rs"]
mod sio;
#[path = "moim_bench/stats.rs"]
mod stats;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use load::{Plan, Target};
use payload::Mix;
use process::Server;

/// moim-bench: load a moim host (or the echo floor) on loopback and report what it measured.
#[derive(Debug, Parser)]
#[command(name = "moim-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One load run: connect, join in waves, relay paced and at saturation, check every message.
    Run(RunArgs),
    /// Binary size, time from start to accepting connections, idle RSS.
    Footprint(FootprintArgs),
    /// The echo floor server (started by `run --target echo`).
    EchoServer {
        /// Loopback port to listen on.
        #[arg(long)]
        port: u16,
    },
    /// Write docs/benchmarks.md from a folder of results.
    Report(report::ReportArgs),
    /// The good pair's delivery while one client runs every attack class (issue 12).
    Abuse(abuse::AbuseArgs),
    /// The SFU's media load: a large meeting of str0m clients publishing simulcast (issue 18).
    Sfu(media::SfuArgs),
    /// The SFU benchmark's floor: copies datagrams, nothing else (started by `sfu --target copier`).
    UdpCopier {
        /// Loopback port (0: any; the port is printed).
        #[arg(long)]
        port: u16,
        #[arg(long)]
        last_n: usize,
        /// The camera layer copied (0 q, 1 h, 2 f).
        #[arg(long)]
        layer: u8,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// What to load: a moim host, the echo floor, or a seed's Socket.IO server.
    #[arg(long, value_enum, default_value = "host")]
    target: TargetArg,
    /// The `moim` binary to start as the host (with `--target host` and no `--url`).
    #[arg(long, default_value = "target/release/moim")]
    host_bin: PathBuf,
    /// Where the seeds' servers are (with `--target node` or `flask`).
    #[arg(long, default_value = process::SEEDS_DIR)]
    seeds_dir: PathBuf,
    /// Load a server that is already running instead (a ws://127.0.0.1:<port>/… URL).
    #[arg(long)]
    url: Option<String>,
    /// The pid of the server at `--url`, for RSS and CPU.
    #[arg(long)]
    pid: Option<u32>,
    /// Rooms.
    #[arg(long, default_value_t = 250)]
    rooms: usize,
    /// Peers per room.
    #[arg(long, default_value_t = 4)]
    peers: usize,
    /// Paced phase: signals per second, all peers together.
    #[arg(long, default_value_t = 1000.0)]
    pace_rate: f64,
    /// Paced phase: seconds.
    #[arg(long, default_value_t = 15.0)]
    pace_secs: f64,
    /// Saturation: warm-up seconds before counting.
    #[arg(long, default_value_t = 2.0)]
    sat_warmup_secs: f64,
    /// Saturation: counting window in seconds (0 skips saturation).
    #[arg(long, default_value_t = 10.0)]
    sat_secs: f64,
    /// Saturation: signals each peer keeps in flight; a list (`1,4,16`) runs one saturation
    /// phase per window, in that order.
    #[arg(long, value_delimiter = ',', default_value = "16")]
    window: Vec<u32>,
    /// Saturation: which signals.
    #[arg(long, value_enum, default_value = "negotiation")]
    sat_mix: MixArg,
    /// Connections opened at once.
    #[arg(long, default_value_t = 64)]
    connect_parallel: usize,
    /// Write the result here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TargetArg {
    Host,
    Echo,
    Node,
    Flask,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum MixArg {
    Negotiation,
    Candidates,
}

#[derive(Debug, Args)]
struct FootprintArgs {
    /// The `moim` binary.
    #[arg(long, default_value = "target/release/moim")]
    host_bin: PathBuf,
    /// Start it this many times (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Write the result here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args),
        Command::Footprint(args) => footprint(args),
        Command::EchoServer { port } => echo::serve(port),
        Command::Report(args) => report::write(args),
        Command::Abuse(args) => abuse::run(args),
        Command::Sfu(args) => media::run(args),
        Command::UdpCopier {
            port,
            last_n,
            layer,
        } => media::copier(port, last_n, layer),
    }
}

/// Each connection is a file descriptor, on both sides; 10,000 peers need more than the usual
/// soft limit of 1,024.
fn raise_nofile() {
    if let Err(err) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("moim-bench: could not raise the open file limit: {err}");
    }
}

/// The server a run loads: the one at `--url` (with `--pid`), or one started here.
fn server_for(
    args: &RunArgs,
    target: Target,
) -> anyhow::Result<(Option<Server>, String, Option<u32>)> {
    if let Some(url) = &args.url {
        check_loopback(url)?;
        return Ok((None, url.clone(), args.pid));
    }
    let s = match target {
        Target::Host => Server::start_host(&args.host_bin, &[])?,
        Target::Echo => Server::start_echo()?,
        Target::Node => Server::start_node_seed(&args.seeds_dir)?,
        Target::Flask => Server::start_flask_seed(&args.seeds_dir)?,
    };
    let (url, pid) = (s.ws_url(), Some(s.pid));
    Ok((Some(s), url, pid))
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    raise_nofile();
    let target = match args.target {
        TargetArg::Host => Target::Host,
        TargetArg::Echo => Target::Echo,
        TargetArg::Node => Target::Node,
        TargetArg::Flask => Target::Flask,
    };
    let (server, url, pid) = server_for(&args, target)?;
    let plan = Plan {
        url,
        target,
        rooms: args.rooms,
        peers: args.peers,
        pace_rate: args.pace_rate,
        pace: Duration::from_secs_f64(args.pace_secs),
        sat_warmup: Duration::from_secs_f64(args.sat_warmup_secs),
        sat: Duration::from_secs_f64(args.sat_secs),
        windows: args.window.clone(),
        sat_mix: match args.sat_mix {
            MixArg::Negotiation => Mix::Negotiation,
            MixArg::Candidates => Mix::Candidates,
        },
        server_pid: pid,
        connect_parallel: args.connect_parallel,
    };
    eprintln!(
        "moim-bench: {:?} at {}, {} rooms × {} peers",
        target, plan.url, plan.rooms, plan.peers
    );
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(600), load::run(plan)).await });
    // Stop the sockets' tasks before the server, so nothing counts the shutdown as a failure.
    runtime.shutdown_timeout(Duration::from_secs(2));
    let warnings = |server: Option<Server>| {
        server.map_or_else(Vec::new, |mut s| {
            s.stop();
            s.warnings().into_iter().take(20).collect()
        })
    };
    let mut result = match result
        .context("the run took over 10 minutes")
        .and_then(|r| r)
    {
        Ok(r) => r,
        Err(err) => {
            // A server that could not hold the load is a result too: say so in the JSON.
            let failed = load::LoadResult {
                target: Some(target),
                rooms: args.rooms,
                peers: args.peers,
                connections: args.rooms * args.peers,
                failure: Some(format!("{err:#}")),
                server_warnings: warnings(server),
                ..Default::default()
            };
            if let Some(path) = &args.json {
                std::fs::write(path, serde_json::to_string_pretty(&failed)?)?;
            }
            return Err(err);
        }
    };
    result.server_warnings = warnings(server);
    println!("{}", report::summary(&result));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&result)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if !result.correct() {
        bail!("messages were lost, misdelivered or damaged (see above)");
    }
    Ok(())
}

/// The benchmark loads loopback only.
fn check_loopback(url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("ws://")
        .context("the URL must start with ws://")?;
    if !(rest.starts_with("127.0.0.1:") || rest.starts_with("localhost:")) {
        bail!("moim-bench loads 127.0.0.1 only, not {url}");
    }
    Ok(())
}

/// What `footprint` measured.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Footprint {
    /// Size of the (stripped) release binary.
    pub binary_bytes: u64,
    /// Spawn → a TCP connect to the port succeeds, ms (median).
    pub startup_ms: f64,
    /// Every run's startup, ms.
    pub startup_runs_ms: Vec<f64>,
    /// Spawn → the first `welcome` read on a WebSocket, ms (median).
    pub first_welcome_ms: f64,
    /// VmRSS of the idle host one second after start, KiB (median).
    pub idle_rss_kib: f64,
}

fn footprint(args: FootprintArgs) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    let binary_bytes = std::fs::metadata(&args.host_bin)
        .with_context(|| format!("{}", args.host_bin.display()))?
        .len();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut startup, mut welcome, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.runs.max(1) {
        let spawned = Instant::now();
        let server = Server::start_host(&args.host_bin, &[])?;
        startup.push(server.startup.as_secs_f64() * 1e3);
        let url = server.ws_url();
        runtime.block_on(async {
            let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str()).await?;
            let first = ws.next().await.context("no frame")??;
            anyhow::ensure!(first.to_text()?.contains("\"welcome\""), "not a welcome");
            welcome.push(spawned.elapsed().as_secs_f64() * 1e3);
            let _ = ws.close(None).await;
            anyhow::Ok(())
        })?;
        std::thread::sleep(Duration::from_secs(1));
        rss.push(stats::rss_kib(server.pid).unwrap_or(0) as f64);
    }
    let result = Footprint {
        binary_bytes,
        startup_ms: stats::median(startup.clone()).unwrap_or(0.0),
        startup_runs_ms: startup,
        first_welcome_ms: stats::median(welcome).unwrap_or(0.0),
        idle_rss_kib: stats::median(rss).unwrap_or(0.0),
    };
    println!(
        "binary {:.2} MiB, listening after {:.1} ms (first welcome {:.1} ms), idle RSS {:.1} MiB",
        binary_bytes as f64 / 1048576.0,
        result.startup_ms,
        result.first_welcome_ms,
        result.idle_rss_kib / 1024.0
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&result)?)?;
    }
    Ok(())
}
