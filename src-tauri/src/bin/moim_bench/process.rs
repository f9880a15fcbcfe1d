//! The server under test as a child process: the release `moim serve`, moim-bench's own echo
//! server, or one of the seeds' servers (bench/seeds/, installed by `scripts/deps.sh bench`),
//! always on 127.0.0.1. Started here, stopped here by its own pid, never anything else. The pid
//! is the server's own process (node, python), not a wrapper, so `/proc` reads the server.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// The only address the benchmark ever loads.
pub const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// Flood limits the host under test is started with. The per-connection limit (default 50 msg/s,
/// burst 200) protects a real host from one misbehaving client; a saturation run must lift it or
/// it measures the limiter. Checking the bucket costs the same whatever its size.
pub const BENCH_MSG_RATE: u32 = 1_000_000;
/// See [`BENCH_MSG_RATE`].
pub const BENCH_MSG_BURST: u32 = 1_000_000;
/// Connections the host under test accepts (10,000 peers plus slack), also from one address:
/// every load comes from 127.0.0.1.
pub const BENCH_MAX_CONNECTIONS: usize = 12_000;
/// Rooms one address may create (10,000 peers make 2,500 rooms, all from 127.0.0.1).
pub const BENCH_ROOMS_PER_ADDRESS: u32 = 20_000;

/// A server child process that is stopped when this is dropped.
pub struct Server {
    child: Child,
    /// Its pid, for `/proc`.
    pub pid: u32,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Time from spawn until a TCP connect succeeded.
    pub startup: Duration,
    /// Its data folder and log, removed on drop.
    scratch: PathBuf,
    /// Whether it speaks Socket.IO (the seeds' servers).
    socket_io: bool,
}

/// Where the seeds' servers live, relative to the repository.
pub const SEEDS_DIR: &str = "bench/seeds";

impl Server {
    /// `moim serve` from `bin` on a free loopback port, logging to a scratch folder.
    pub fn start_host(bin: &Path, extra: &[String]) -> anyhow::Result<Server> {
        let port = free_port()?;
        let scratch = scratch_dir("host")?;
        let mut cmd = Command::new(bin);
        cmd.args(host_args(port, &scratch.join("data")))
            .args(extra)
            .env("RUST_LOG", "moim=info,warn")
            .env_remove("MOIM_BIND")
            .env_remove("MOIM_PORT");
        Self::spawn(cmd, port, scratch)
    }

    /// This program's own echo server (`moim-bench echo-server`).
    pub fn start_echo() -> anyhow::Result<Server> {
        let port = free_port()?;
        let scratch = scratch_dir("echo")?;
        let mut cmd = Command::new(std::env::current_exe().context("own path")?);
        cmd.args(["echo-server", "--port", &port.to_string()]);
        Self::spawn(cmd, port, scratch)
    }

    /// Seed a's server: `node bench/seeds/node/server.js` on a free loopback port.
    pub fn start_node_seed(seeds: &Path) -> anyhow::Result<Server> {
        let dir = seeds.join("node");
        if !dir.join("node_modules/socket.io").is_dir() {
            bail!(
                "{} has no node_modules: run scripts/deps.sh bench (or test)",
                dir.display()
            );
        }
        let port = free_port()?;
        let scratch = scratch_dir("node")?;
        let mut cmd = Command::new("node");
        cmd.arg(dir.join("server.js"))
            .env("PORT", port.to_string())
            .env("NODE_ENV", "production");
        let mut s = Self::spawn(cmd, port, scratch)?;
        s.socket_io = true;
        Ok(s)
    }

    /// Seed b's server: `bench/seeds/flask/.venv/bin/python app.py` on a free loopback port.
    pub fn start_flask_seed(seeds: &Path) -> anyhow::Result<Server> {
        let dir = seeds.join("flask");
        let python = dir.join(".venv/bin/python");
        if !python.exists() {
            bail!("{} is missing: run scripts/deps.sh bench", python.display());
        }
        let port = free_port()?;
        let scratch = scratch_dir("flask")?;
        let mut cmd = Command::new(python);
        cmd.arg(dir.join("app.py"))
            .args(["--port", &port.to_string()])
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONWARNINGS", "ignore");
        let mut s = Self::spawn(cmd, port, scratch)?;
        s.socket_io = true;
        Ok(s)
    }

    fn spawn(mut cmd: Command, port: u16, scratch: PathBuf) -> anyhow::Result<Server> {
        let log = std::fs::File::create(scratch.join("server.log"))?;
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let started = Instant::now();
        let mut child = cmd.spawn().with_context(|| format!("starting {cmd:?}"))?;
        let addr = SocketAddr::from((LOOPBACK, port));
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                break;
            }
            if let Some(status) = child.try_wait()? {
                let log = std::fs::read_to_string(scratch.join("server.log")).unwrap_or_default();
                bail!("the server exited with {status} before listening:\n{log}");
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the server did not listen on {addr} within 30 s");
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        let startup = started.elapsed();
        Ok(Server {
            pid: child.id(),
            child,
            addr,
            startup,
            scratch,
            socket_io: false,
        })
    }

    /// `ws://127.0.0.1:<port>/ws`, or the Socket.IO WebSocket URL of a seed server.
    pub fn ws_url(&self) -> String {
        if self.socket_io {
            crate::sio::url(self.addr)
        } else {
            format!("ws://{}/ws", self.addr)
        }
    }

    /// Lines of the server's log that are warnings or errors.
    pub fn warnings(&self) -> Vec<String> {
        std::fs::read_to_string(self.scratch.join("server.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                l.contains("WARN")
                    || l.contains("ERROR")
                    || l.contains("Error")
                    || l.contains("Traceback")
            })
            .map(str::to_string)
            .collect()
    }

    /// Lines of the server's log that mention `what`.
    pub fn log_lines(&self, what: &str) -> Vec<String> {
        std::fs::read_to_string(self.scratch.join("server.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(what))
            .map(str::to_string)
            .collect()
    }

    /// SIGTERM, a moment for the graceful shutdown, then SIGKILL. Only this child's pid.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(6);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// The `moim serve` flags every benchmark uses, in the order the report prints them.
pub fn host_args(port: u16, data_dir: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "serve",
        "--no-mdns",
        "--bind",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--max-connections",
        &BENCH_MAX_CONNECTIONS.to_string(),
        "--max-connections-per-address",
        &BENCH_MAX_CONNECTIONS.to_string(),
        "--rooms-per-address",
        &BENCH_ROOMS_PER_ADDRESS.to_string(),
        "--msg-rate",
        &BENCH_MSG_RATE.to_string(),
        "--msg-burst",
        &BENCH_MSG_BURST.to_string(),
        "--data-dir",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(data_dir.display().to_string());
    args
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind((LOOPBACK, 0))?.local_addr()?.port())
}

fn scratch_dir(what: &str) -> anyhow::Result<PathBuf> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "moim-bench-{what}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
