//! The command line: `moim` opens the desktop app (or the headless host where there is no
//! display or no desktop build), `moim serve` runs the headless host.

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::config::HostConfig;
use crate::error::HostError;
use crate::server::Host;

/// moim: video meetings on your local network, no internet and no account needed.
#[derive(Debug, Parser)]
#[command(name = "moim", version, about)]
pub struct Cli {
    /// What to run; the desktop app by default.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the headless host: signaling, the web UI and mDNS, with no window.
    Serve(HostConfig),
    /// Open the desktop app (the default).
    App(HostConfig),
}

/// Entry point of the `moim` binary.
pub fn main() -> anyhow::Result<()> {
    // `moim moim://join/<room>` is how the desktop opens a deep link, and WebKitWebDriver starts
    // the app with `--automation`: neither is for clap.
    let cli = Cli::parse_from(
        std::env::args_os().filter(|a| !is_deep_link(a) && a.as_os_str() != "--automation"),
    );
    init_tracing(!matches!(cli.command, Some(Command::Serve(_))));
    match cli.command {
        Some(Command::Serve(config)) => run_headless(config),
        Some(Command::App(config)) => run_app(config),
        None => run_app(HostConfig::default()),
    }
}

fn is_deep_link(arg: &std::ffi::OsString) -> bool {
    arg.to_str().is_some_and(|a| a.starts_with("moim://"))
}

/// Logs go to the console; the desktop app also writes them to its log folder.
fn init_tracing(app: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("moim=info,warn"));
    // Logs go to stderr, the banner with the addresses to stdout; colour only on a terminal.
    let console = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    #[cfg(feature = "desktop")]
    let file = app
        .then(crate::desktop::log_dir)
        .flatten()
        .and_then(|dir| {
            std::fs::create_dir_all(&dir).ok()?;
            tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("moim")
                .filename_suffix("log")
                .max_log_files(7)
                .build(dir)
                .ok()
        })
        .map(|writer| {
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
        });
    #[cfg(not(feature = "desktop"))]
    let file: Option<tracing_subscriber::layer::Identity> = {
        let _ = app;
        None
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(console)
        .with(file)
        .try_init();
}

#[cfg(feature = "desktop")]
fn run_app(config: HostConfig) -> anyhow::Result<()> {
    if crate::desktop::display_available() {
        crate::desktop::run(with_data_dir(config))
    } else {
        eprintln!("moim: no display found, running the headless host instead");
        run_headless(config)
    }
}

#[cfg(not(feature = "desktop"))]
fn run_app(config: HostConfig) -> anyhow::Result<()> {
    eprintln!("moim: built without the desktop shell, running the headless host");
    run_headless(config)
}

/// Fill in the platform's data folder when none was given.
pub fn with_data_dir(mut config: HostConfig) -> HostConfig {
    config.data_dir = config.resolved_data_dir();
    config
}

/// Run `moim serve` until SIGINT or SIGTERM.
pub fn run_headless(config: HostConfig) -> anyhow::Result<()> {
    raise_open_file_limit();
    let config = with_data_dir(config);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let addr = std::net::SocketAddr::new(config.bind, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| HostError::Bind { addr, source })?;
        let local = listener.local_addr()?;
        let host = Host::new(config)?;
        let shutdown = crate::shutdown::on_signals();
        let serving = tokio::spawn(host.clone().serve(listener, shutdown));
        print_urls(&host, local);
        serving.await??;
        Ok(())
    })
}

fn print_urls(host: &Host, local: std::net::SocketAddr) {
    let name = &host.hub().settings().host.name;
    println!("moim host \"{name}\" is running");
    println!("  on this machine: http://127.0.0.1:{}/", local.port());
    if !local.ip().is_loopback() {
        // The serving task may not have run yet: the port is the listener's, never 0.
        for url in host.lan_urls_on(local.port()) {
            println!("  on the LAN:      {url}");
        }
    }
    if let Some(tls) = host.tls() {
        println!("  certificate SHA-256 fingerprint (guests compare it with their browser's):");
        println!("    {}", tls.fingerprint);
    }
}

/// Each connection is a file descriptor; the default soft limit (often 1024) is far below what
/// a host can serve.
fn raise_open_file_limit() {
    #[cfg(unix)]
    if let Err(err) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::debug!(%err, "could not raise the open file limit");
    }
}
