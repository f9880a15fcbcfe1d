//! The end-to-end harness: real Chromium driven through chromedriver (WebDriver), against the
//! real `moim` binary, all inside Linux network namespaces that the tests create and delete.
//!
//! # Layout
//! - [`e2e_test!`] declares a test. Run normally, it creates a private namespace, re-runs this
//!   same test binary inside it (`ip netns exec`, with [`ENV_NETNS`] set), waits for it and
//!   deletes the namespace (also on panic). Run inside, it executes the body.
//! - [`Netns`] / [`Lan`]: one namespace with a veth `eth0` and a default route into it (Chromium
//!   gathers no ICE candidates without a route), or several "hosts" on one private bridge.
//! - [`Host`]: `moim serve` on the namespace's loopback; SIGTERM and restart on the same port.
//! - [`Driver`] / [`Browser`]: one chromedriver per test, one WebDriver session per browser,
//!   each with its own profile; [`Browser::wait_until`] polls a JS condition and, on timeout,
//!   fails with the page's `window.moim.state()` and its console errors.
//!
//! Nothing here sends a packet outside the namespaces: pages are opened on `127.0.0.1`, the
//! host binds `127.0.0.1`, mDNS is off, and the namespaces' only links lead to each other.
#![allow(dead_code)]

use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use rustix::process::Signal;
use serde_json::{json, Value};

#[path = "../harness/mod.rs"]
pub mod harness;
pub mod lan;
pub mod relay;
pub mod trace;

// What every suite reaches as `e2e::…` (not every suite uses each).
#[allow(unused_imports)]
pub use harness::{
    chromium::{CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS},
    netns::{Lan, Netns},
    procs::{free_port, signal, tail, Proc},
    scratch::Scratch,
    ws::{recv_until as recv_type, send},
};

/// Set (to the namespace's name) in the re-executed test process.
pub const ENV_NETNS: &str = "MOIM_E2E_NETNS";
/// The scratch folder the outer process made for the test (removed by it afterwards).
pub const ENV_DIR: &str = "MOIM_E2E_DIR";
/// `MOIM_E2E_SKIP=1`: on a machine that cannot make namespaces, report the tests as skipped
/// instead of failing them.
pub const ENV_SKIP: &str = "MOIM_E2E_SKIP";

/// A whole test (inside its namespace) may take this long before the outer process kills it.
pub const TEST_DEADLINE: Duration = Duration::from_secs(240);

/// [`TEST_DEADLINE`], or `MOIM_E2E_DEADLINE_SECS` (benchmarks run longer than tests).
pub fn test_deadline() -> Duration {
    std::env::var("MOIM_E2E_DEADLINE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(TEST_DEADLINE, Duration::from_secs)
}
/// Default for [`Browser::wait_until`]: generous, a guard against hanging, not a speed claim.
pub const WAIT: Duration = Duration::from_secs(30);
/// One WebDriver command may take this long (a hung browser fails the test, not the deadline).
pub const COMMAND: Duration = Duration::from_secs(20);
/// How often conditions are polled.
pub const POLL: Duration = Duration::from_millis(100);

/// Declare an end-to-end test: `e2e_test!(async fn name() { ... });`
#[macro_export]
macro_rules! e2e_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            $crate::e2e::run(stringify!($name), || async move $body);
        }
    };
}

/// Run `body` inside a fresh network namespace (see the module docs).
pub fn run<F, Fut>(test: &str, body: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    if std::env::var_os(ENV_NETNS).is_some() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        step(&format!(
            "{test} starts in namespace {}",
            std::env::var(ENV_NETNS).unwrap_or_default()
        ));
        rt.block_on(body());
        step(&format!("{test} done"));
        return;
    }
    if let Err(why) = preflight() {
        if std::env::var(ENV_SKIP).as_deref() == Ok("1") {
            println!("e2e test {test} SKIPPED ({ENV_SKIP}=1): {why}");
            return;
        }
        panic!(
            "end-to-end tests need root, iproute2, chromium and chromedriver: {why}\n\
             (install them with `scripts/deps.sh test`, run as root, or set {ENV_SKIP}=1 to skip)"
        );
    }
    let ns =
        Netns::single(harness::netns::unique_name("moim-e2e")).expect("create a network namespace");
    // the test's files (profiles, logs, host data) live here; removed once everything that
    // could write to them is gone
    let dir = Scratch::at(std::env::temp_dir().join(&ns.name));
    let outcome = run_self(&ns, test, test_deadline(), dir.path());
    drop(ns);
    drop(dir);
    match outcome {
        Ok(status) => assert!(
            status.success(),
            "{test} failed inside its namespace ({status}); its output is above"
        ),
        Err(e) => panic!("{test}: {e}"),
    }
}

/// Why this machine cannot run the end-to-end tests, if it cannot.
fn preflight() -> Result<(), String> {
    if !rustix::process::geteuid().is_root() {
        return Err("not running as root (network namespaces need it)".into());
    }
    match Command::new("ip").arg("-V").output() {
        Ok(o) if o.status.success() => {}
        _ => return Err("the `ip` command (iproute2) is missing".into()),
    }
    for bin in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(bin).exists() {
            return Err(format!("{bin} is missing"));
        }
    }
    Ok(())
}

/// Log a step of a scenario with the time since the test started, so a failure's output tells
/// where it was and how long each part took.
pub fn step(what: &str) {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let t = START.get_or_init(Instant::now).elapsed();
    println!("[{:>6.1}s] {what}", t.as_secs_f64());
}

// ------------------------------------------------------------------------- namespaces

/// The arguments that re-run exactly the test `test` of this binary (ignored or not), its
/// output uncaptured, inside a namespace.
pub fn rerun_args(test: &str) -> [&str; 5] {
    [
        "--exact",
        test,
        "--include-ignored",
        "--nocapture",
        "--test-threads=1",
    ]
}

/// Re-run this test binary's test `test` inside the namespace; its output is forwarded
/// through `print!` so the test harness captures it like any test output.
pub fn run_self(
    ns: &Netns,
    test: &str,
    deadline: Duration,
    dir: &Path,
) -> Result<ExitStatus, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut child = ns
        .command(exe)
        .args(rerun_args(test))
        .env(ENV_NETNS, &ns.name)
        .env(ENV_DIR, dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn the test in {}: {e}", ns.name))?;
    let out = forward(child.stdout.take().unwrap());
    let err = forward(child.stderr.take().unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Ok(status);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break Err(format!(
                "did not finish within {deadline:?}; killed (its output is above)"
            ));
        }
        std::thread::sleep(POLL);
    };
    // whatever the test left running in the namespace goes now, so the pipes close
    ns.kill_all();
    for h in [out, err] {
        let _ = h.join();
    }
    status
}

/// Copy a child's pipe into this test's captured output, line by line.
fn forward(pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            match line {
                Ok(l) => println!("  | {l}"),
                Err(_) => break,
            }
        }
    })
}

// ------------------------------------------------------------------------- processes

/// Wait until something accepts TCP connections on 127.0.0.1:`port`.
async fn wait_listening(port: u16, proc: &mut Proc, log: &Path) {
    wait_listening_at("127.0.0.1", port, proc, log).await
}

/// Wait until something accepts TCP connections on `ip`:`port`.
async fn wait_listening_at(ip: &str, port: u16, proc: &mut Proc, log: &Path) {
    let started = Instant::now();
    loop {
        if tokio::net::TcpStream::connect((ip, port)).await.is_ok() {
            return;
        }
        if let Some(status) = proc.exited() {
            panic!(
                "{} exited ({status}) before listening:\n{}",
                proc.what,
                tail(log)
            );
        }
        assert!(
            started.elapsed() < WAIT,
            "{} did not listen on port {port}:\n{}",
            proc.what,
            tail(log)
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The `moim` binary serving on this namespace's loopback.
pub struct Host {
    pub port: u16,
    pub data_dir: PathBuf,
    pub log: PathBuf,
    pub proc: Proc,
}

impl Host {
    /// Start on a free port with a fresh data folder under `dir`.
    pub async fn start(dir: &Path) -> Host {
        Host::start_with(dir, &[]).await
    }

    /// [`Host::start`] with more `moim serve` flags.
    pub async fn start_with(dir: &Path, flags: &[&str]) -> Host {
        let data_dir = dir.join("host-data");
        std::fs::create_dir_all(&data_dir).unwrap();
        Host::spawn(free_port(), &data_dir, dir, flags).await
    }

    /// Start on `port` with `data_dir` (a restart keeps both).
    pub async fn start_on(port: u16, data_dir: &Path, dir: &Path) -> Host {
        Host::spawn(port, data_dir, dir, &[]).await
    }

    async fn spawn(port: u16, data_dir: &Path, dir: &Path, flags: &[&str]) -> Host {
        let log = unique_log(dir);
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_moim"))
            .args(["serve", "--no-mdns", "--bind", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg("--data-dir")
            .arg(data_dir)
            .args(flags)
            .env("RUST_LOG", "moim=debug,info")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("start the moim host");
        let mut proc = Proc {
            child,
            what: "the moim host".into(),
        };
        wait_listening(port, &mut proc, &log).await;
        Host {
            port,
            data_dir: data_dir.to_path_buf(),
            log,
            proc,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGTERM, and wait for a clean exit.
    pub async fn terminate(mut self) {
        signal(self.proc.pid(), Signal::TERM);
        let status = self.proc.wait_exit(Duration::from_secs(15)).await;
        let status =
            status.unwrap_or_else(|| panic!("the host ignored SIGTERM:\n{}", tail(&self.log)));
        assert!(
            status.success(),
            "the host exited with {status}:\n{}",
            tail(&self.log)
        );
    }

    /// A signaling socket, as a native tool would open it.
    pub async fn socket(&self) -> Ws {
        let (mut ws, _) =
            tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}/ws", self.port))
                .await
                .expect("connect to /ws");
        let welcome = recv_type(&mut ws, "welcome").await;
        assert_eq!(welcome["protocol"], 1);
        ws
    }

    /// Create a room (nobody joins it); returns its id.
    pub async fn create_room(&self, name: &str) -> String {
        let mut ws = self.socket().await;
        send(&mut ws, json!({"type": "create-room", "name": name})).await;
        let created = recv_type(&mut ws, "room-created").await;
        created["room"]["id"].as_str().unwrap().to_string()
    }

    /// The host's own view of the listed rooms.
    pub async fn rooms(&self) -> Vec<Value> {
        let mut ws = self.socket().await;
        send(&mut ws, json!({"type": "list-rooms"})).await;
        let rooms = recv_type(&mut ws, "rooms").await;
        rooms["rooms"].as_array().cloned().unwrap_or_default()
    }
}

/// `host-<n>.log`: one log per start, so a restart does not overwrite the first run's.
fn unique_log(dir: &Path) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    dir.join(format!("host-{}.log", N.fetch_add(1, Ordering::Relaxed)))
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One chromedriver for the test, on this namespace's loopback.
pub struct Driver {
    pub port: u16,
    /// The address the WebDriver client connects to (`127.0.0.1`, or another namespace host's
    /// bridge address for [`Driver::start_in`]).
    pub ip: String,
    pub dir: PathBuf,
    proc: Proc,
    next: AtomicU32,
}

impl Driver {
    pub async fn start(dir: &Path) -> Driver {
        let port = free_port();
        let log = dir.join("chromedriver.log");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut proc = Proc {
            child,
            what: "chromedriver".into(),
        };
        wait_listening(port, &mut proc, &log).await;
        Driver {
            port,
            ip: "127.0.0.1".into(),
            dir: dir.to_path_buf(),
            proc,
            next: AtomicU32::new(0),
        }
    }

    /// A chromedriver on host `k` of the LAN (in its namespace, so its browsers are on that
    /// machine), reached from host 1 (where the test runs) at `10.77.<subnet>.k`.
    /// `--allowed-ips` makes chromedriver listen on every interface instead of loopback only,
    /// and accept WebDriver clients from host 1's address alone.
    pub async fn start_in(lan: &lan::LanView, k: usize, dir: &Path) -> Driver {
        let port = free_port();
        let ip = lan.addr(k).to_string();
        let log = dir.join(format!("chromedriver-h{k}.log"));
        let child = lan
            .command(k, CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--allowed-ips={}", lan.addr(1)))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver in the namespace");
        let mut proc = Proc {
            child,
            what: format!("chromedriver on host {k}"),
        };
        wait_listening_at(&ip, port, &mut proc, &log).await;
        step(&format!("chromedriver listens on {ip}:{port} (host {k})"));
        Driver {
            port,
            ip,
            dir: dir.to_path_buf(),
            proc,
            next: AtomicU32::new(0),
        }
    }

    /// A new browser (its own Chromium, its own profile). `label` names it in failures.
    pub async fn browser(&self, label: &str) -> Browser {
        self.browser_with(label, harness::chromium::default_flags())
            .await
    }

    /// A new browser with exactly `flags` (plus its own `--user-data-dir`), for the tests that
    /// need to differ from [`harness::chromium::default_flags`] (trusting a certificate, no
    /// loopback candidates, the fake device's own camera).
    pub async fn browser_with(&self, label: &str, flags: Vec<String>) -> Browser {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let profile = self.dir.join(format!("profile-{n}-{label}"));
        std::fs::create_dir_all(&profile).unwrap();
        let caps = harness::chromium::caps(&flags, &profile);
        let caps = caps.as_object().unwrap().clone();
        let connect = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://{}:{}", self.ip, self.port))
            .await;
        let client = connect.unwrap_or_else(|e| panic!("open browser {label}: {e}"));
        step(&format!("browser {label} is up"));
        Browser {
            client,
            label: label.to_string(),
            profile,
            console: Default::default(),
        }
    }
}

/// `GET /session/{id}/se/log` for the browser console (chromedriver's logging extension).
#[derive(Debug)]
struct ConsoleLog;

impl fantoccini::wd::WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// A DevTools protocol command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.0, "params": self.1});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// One browser window.
pub struct Browser {
    pub client: Client,
    pub label: String,
    profile: PathBuf,
    /// console lines read so far (reading the log empties it in chromedriver)
    console: std::sync::Mutex<Vec<String>>,
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.goto_within(url, WAIT).await;
    }

    /// [`Browser::goto`] with its own limit (for benchmarks that load the machine fully).
    pub async fn goto_within(&self, url: &str, limit: Duration) {
        step(&format!("{} opens {url}", self.label));
        match tokio::time::timeout(limit, self.client.goto(url)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("{}: open {url}: {e}", self.label),
            Err(_) => panic!("{}: opening {url} took over {limit:?}", self.label),
        }
    }

    /// Run `body` as the body of a function and return its value (a returned promise is awaited).
    pub async fn exec(&self, body: &str) -> Result<Value, String> {
        match tokio::time::timeout(COMMAND, self.client.execute(body, vec![])).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no answer from the browser within {COMMAND:?}")),
        }
    }

    /// The value of the JS expression `expr`; fails the test on a script error.
    pub async fn eval(&self, expr: &str) -> Value {
        match self.exec(&format!("return ({expr});")).await {
            Ok(v) => v,
            Err(e) => panic!(
                "{}: `{expr}` failed: {e}\n{}",
                self.label,
                self.diagnose().await
            ),
        }
    }

    /// Poll the JS condition `cond` until it is truthy; after `limit`, fail with `what`, the
    /// page's state and console errors. Returns the condition's last value.
    pub async fn wait_until(&self, what: &str, cond: &str, limit: Duration) -> Value {
        let started = Instant::now();
        let script = format!("return ({cond});");
        let mut last;
        loop {
            match self.exec(&script).await {
                Ok(v) if truthy(&v) => {
                    step(&format!(
                        "{}: {what} ({:.1}s)",
                        self.label,
                        started.elapsed().as_secs_f64()
                    ));
                    return v;
                }
                Ok(v) => last = v.to_string(),
                Err(e) => last = e,
            }
            if started.elapsed() > limit {
                panic!(
                    "{}: timed out after {limit:?} waiting for {what}\n  condition: {cond}\n  last value: {last}\n{}",
                    self.label,
                    self.diagnose().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// `window.moim.state()`.
    pub async fn state(&self) -> Value {
        self.eval("window.moim.state()").await
    }

    /// My peer id (once the host welcomed this page).
    pub async fn peer_id(&self) -> String {
        let v = self
            .wait_until(
                "a peer id",
                "window.moim && window.moim.state().peerId",
                WAIT,
            )
            .await;
        v.as_str().unwrap().to_string()
    }

    /// This page shows the video of every one of `peers`, each playing on for `secs` seconds
    /// of media (two reads, the second later than the first by at least that much).
    pub async fn videos_advance(&self, peers: &[String], secs: f64) {
        let list = serde_json::to_string(peers).unwrap();
        let read = format!(
            "(() => {{ const out = {{}}; for (const id of {list}) {{ \
             const v = document.querySelector(`.tile[data-peer-id=\"${{id}}\"] video`); \
             if (!v || !(v.videoWidth > 0)) return null; out[id] = v.currentTime; }} return out; }})()"
        );
        let first = self
            .wait_until(&format!("the videos of {list} to start"), &format!("(() => {{ const t = {read}; return t && Object.values(t).every(x => x > 0) && t; }})()"), WAIT)
            .await;
        self.wait_until(
            &format!("the videos of {list} to advance"),
            &format!("(() => {{ const t0 = {first}; const t = {read}; return t && Object.keys(t0).every(id => t[id] > t0[id] + {secs}); }})()"),
            WAIT,
        )
        .await;
    }

    /// This page plays `peer`'s video: it has a size and its clock moves on by half a second.
    pub async fn plays_video_of(&self, peer: &str) {
        self.videos_advance(&[peer.to_string()], 0.5).await;
    }

    /// Wait until this page is on the pre-join screen with its camera and microphone and Join
    /// enabled; its peer id.
    pub async fn ready_to_join(&self) -> String {
        self.wait_until(
            "the pre-join screen with camera and microphone",
            "window.moim && window.moim.signaling.connected && window.moim.localStream \
             && window.moim.localStream.getTracks().length === 2 \
             && !document.getElementById('prejoin-btn').disabled",
            WAIT,
        )
        .await;
        self.peer_id().await
    }

    /// Wait until this page is in the meeting of `room`; its peer id.
    pub async fn in_room(&self, room: &str) -> String {
        self.wait_until(
            &format!("to be in room {room}"),
            &format!("window.moim && window.moim.state().mode === 'meeting' && window.moim.state().room === '{room}'"),
            WAIT,
        )
        .await;
        self.peer_id().await
    }

    /// Open `room`'s join link as `name` with `autojoin=1` (plus `extra`: more of the query, or
    /// a fragment) and wait until the page is in the room; its peer id.
    pub async fn join(&self, host: &Host, room: &str, name: &str, extra: &str) -> String {
        let name = url_encode(name);
        self.goto(&host.url(&format!("/j/{room}?name={name}&autojoin=1{extra}")))
            .await;
        self.in_room(room).await
    }

    /// Wait until this page is in the room it is creating (after a click on "New meeting" or
    /// "Create"); the room id.
    pub async fn in_new_room(&self) -> String {
        self.wait_until(
            "to be in the new room",
            "window.moim.state().mode === 'meeting' && window.moim.state().room",
            WAIT,
        )
        .await
        .as_str()
        .unwrap()
        .to_string()
    }

    /// Click a visible, enabled element. The click is the DOM's own (`element.click()`, the
    /// same event a person's click fires): WebDriver's synthesized mouse input waits for the
    /// renderer's frame pipeline, which on a busy 2-core machine with four video calls took
    /// over 20 s per click. [`Browser::click_native`] is the WebDriver one.
    pub async fn click(&self, css: &str) {
        step(&format!("{} clicks {css}", self.label));
        let css_js = serde_json::to_string(css).unwrap();
        let done = self
            .exec(&format!(
                "const el = document.querySelector({css_js}); \
                 if (!el) return 'missing'; if (!el.getClientRects().length) return 'hidden'; \
                 if (el.disabled) return 'disabled'; el.click(); return 'ok';"
            ))
            .await;
        match done {
            Ok(v) if v == "ok" => {}
            other => panic!(
                "{}: click {css}: {other:?}\n{}",
                self.label,
                self.diagnose().await
            ),
        }
    }

    /// Click through WebDriver's pointer input (scroll into view, mouse down and up). It may
    /// take up to three times [`WAIT`]: a native click waits for the page, and on two cores
    /// shared by four Chromiums (156.0.8078.114) a page has taken 16-30 s just to load.
    pub async fn click_native(&self, css: &str) {
        step(&format!("{} clicks {css} (WebDriver input)", self.label));
        let act = async {
            let el = self.client.find(Locator::Css(css)).await?;
            el.click().await
        };
        let started = Instant::now();
        let done = tokio::time::timeout(3 * WAIT, act).await;
        step(&format!(
            "{}: the click took {:?}",
            self.label,
            started.elapsed()
        ));
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!(
                "{}: click {css}: {e}\n{}",
                self.label,
                self.diagnose().await
            ),
            Err(_) => panic!("{}: clicking {css} took over {:?}", self.label, 3 * WAIT),
        }
    }

    /// Make the page's viewport exactly `width`×`height` CSS pixels (for screenshots). A
    /// headless window cannot grow past its virtual screen, so this overrides the metrics
    /// through the DevTools protocol.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        let params =
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false});
        let cmd = Cdp("Emulation.setDeviceMetricsOverride", params);
        match tokio::time::timeout(COMMAND, self.client.issue_cmd(cmd)).await {
            Ok(Ok(_)) => {}
            other => panic!("{}: set the viewport: {other:?}", self.label),
        }
        let inner = self.eval("[innerWidth, innerHeight]").await;
        assert_eq!(inner, json!([width, height]), "{}: viewport", self.label);
    }

    /// Save the page as docs/screenshots/`name`.png at `width`×`height` CSS pixels, in the
    /// colour `scheme` ("light" or "dark", emulated); the README shows these.
    pub async fn screenshot_as(&self, name: &str, width: u32, height: u32, scheme: &str) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        )
        .await;
        self.set_viewport(width, height).await;
        let dark = self
            .eval("matchMedia('(prefers-color-scheme: dark)').matches")
            .await;
        assert_eq!(dark, scheme == "dark", "the emulated colour scheme");
        // nothing still gliding to its place (the tiles move with a transition; asking for the
        // animations applies the new size's styles first, and the screenshot paints a frame)
        self.wait_until(
            "the page to settle (no transition running)",
            "document.getAnimations().every(a => a.playState !== 'running')",
            WAIT,
        )
        .await;
        let png = match tokio::time::timeout(COMMAND, self.client.screenshot()).await {
            Ok(Ok(png)) => png,
            other => panic!("{}: screenshot {name}: {other:?}", self.label),
        };
        let size = image::load_from_memory(&png)
            .map(|i| (i.width(), i.height()))
            .expect("a PNG screenshot");
        assert_eq!(size, (width, height), "the size of {name}.png");
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(format!("{name}.png")), &png).unwrap();
        println!("saved docs/screenshots/{name}.png");
    }

    /// The contrast ratio (WCAG) of the text of the element `css` against its backing (itself
    /// or the nearest ancestor below its tile with a background), at its worst over any
    /// picture: the backing blended over white and over black (no backing: the picture itself).
    /// 0 when there is no such element.
    pub async fn contrast_on_video(&self, css: &str) -> f64 {
        let css_js = serde_json::to_string(css).unwrap();
        let v = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({css_js}); if (!e) return 0; \
                 const rgba = (s) => {{ const n = (s.match(/[\\d.]+/g) || []).map(Number); return n.length === 3 ? [...n, 1] : n; }}; \
                 let bg = [0, 0, 0, 0]; \
                 for (let n = e; n && !n.classList.contains('tile') && !bg[3]; n = n.parentElement) bg = rgba(getComputedStyle(n).backgroundColor); \
                 const fg = rgba(getComputedStyle(e).color); \
                 const lum = (c) => {{ const l = c.slice(0, 3).map(x => {{ x /= 255; return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; }}); \
                   return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]; }}; \
                 const over = (back) => bg.slice(0, 3).map((x) => x * bg[3] + back * (1 - bg[3])); \
                 const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05); \
                 return Math.min(ratio(fg, over(255)), ratio(fg, over(0))); }})()"
            ))
            .await;
        v.as_f64().unwrap_or(0.0)
    }

    /// A DevTools protocol command (through chromedriver's `goog/cdp/execute`).
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        match tokio::time::timeout(COMMAND, self.client.issue_cmd(Cdp(cmd, params))).await {
            Ok(Ok(v)) => v,
            other => panic!("{}: {cmd}: {other:?}", self.label),
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let act = async {
            let el = self.client.find(Locator::Css(css)).await?;
            el.clear().await?;
            el.send_keys(text).await
        };
        match tokio::time::timeout(COMMAND, act).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!(
                "{}: type into {css}: {e}\n{}",
                self.label,
                self.diagnose().await
            ),
            Err(_) => panic!("{}: typing into {css} took over {COMMAND:?}", self.label),
        }
    }

    /// Set a text field's value as a paste would (one `input` event). Typing key by key
    /// through WebDriver is slow on a busy machine; the form is still submitted by a real click.
    pub async fn set_value(&self, css: &str, text: &str) {
        let (css_js, text_js) = (
            serde_json::to_string(css).unwrap(),
            serde_json::to_string(text).unwrap(),
        );
        let done = self
            .eval(&format!(
                "(() => {{ const el = document.querySelector({css_js}); if (!el) return false; \
                 el.value = {text_js}; el.dispatchEvent(new Event('input', {{bubbles: true}})); return true; }})()"
            ))
            .await;
        assert_eq!(done, true, "{}: no {css}", self.label);
    }

    /// Everything that helps explain a failure: the URL, the app's state, the banner, the
    /// connections' states and the console's warnings and errors.
    pub async fn diagnose(&self) -> String {
        let url = match tokio::time::timeout(COMMAND, self.client.current_url()).await {
            Ok(Ok(u)) => u.to_string(),
            _ => "(no answer)".into(),
        };
        let state = self
            .exec(
                "return JSON.stringify({state: window.moim && window.moim.state(), \
                 pcs: window.moim && window.moim.pcStates(), \
                 banner: (document.getElementById('banner-text') || {}).textContent, \
                 view: document.body.dataset.view, \
                 tiles: [...document.querySelectorAll('.tile')].map(t => ({...t.dataset, \
                   w: t.querySelector('video').videoWidth, t: t.querySelector('video').currentTime}))}, null, 1);",
            )
            .await
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|e| format!("(state unavailable: {e})"));
        let console = self.console_errors().await.join("\n    ");
        format!(
            "--- {} at {url}\n  moim: {state}\n  console warnings/errors:\n    {console}",
            self.label
        )
    }

    /// The console's warnings and errors so far.
    pub async fn console_errors(&self) -> Vec<String> {
        if let Ok(Ok(Value::Array(entries))) =
            tokio::time::timeout(COMMAND, self.client.issue_cmd(ConsoleLog)).await
        {
            let mut seen = self.console.lock().unwrap();
            for e in entries {
                let level = e["level"].as_str().unwrap_or_default();
                if level == "SEVERE" || level == "WARNING" {
                    seen.push(format!(
                        "{level} {}",
                        e["message"].as_str().unwrap_or_default()
                    ));
                }
            }
        }
        self.console.lock().unwrap().clone()
    }

    /// The PIDs of this browser's Chromium processes: those whose command line holds this
    /// browser's own `--user-data-dir` (unique per browser).
    pub fn pids(&self) -> Vec<i32> {
        let flag = format!("--user-data-dir={}", self.profile.display());
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            if cmdline.split(|b| *b == 0).any(|arg| arg == flag.as_bytes()) {
                pids.push(pid);
            }
        }
        pids
    }

    /// SIGKILL this browser's processes (a crash, a power cut): nothing gets to say goodbye.
    pub fn kill(&self) {
        let pids = self.pids();
        assert!(
            !pids.is_empty(),
            "{}: no Chromium processes found",
            self.label
        );
        for pid in pids {
            signal(pid, Signal::KILL);
        }
    }

    /// End the WebDriver session (closes the browser).
    pub async fn close(self) {
        let _ = tokio::time::timeout(COMMAND, self.client.clone().close()).await;
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // a panicking test cannot await `close`: end its processes by PID
        for pid in self.pids() {
            signal(pid, Signal::KILL);
        }
    }
}

/// The ids in `ids` except the `i`-th.
pub fn others(ids: &[String], i: usize) -> Vec<String> {
    ids.iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, id)| id.clone())
        .collect()
}

/// The check of the stage at this size, from the DOM (a JS expression whose `ok` says it
/// holds): every video shown whole (`object-fit: contain`), every camera tile 16:9 and inside
/// the stage, and the tiles covering most of the stage (half of it, or the whole of its width
/// or height where 16:9 tiles cannot cover half of a tall stage).
pub const STAGE_CHECK: &str = "(() => { const st = document.getElementById('tiles').getBoundingClientRect(); \
  const tiles = [...document.querySelectorAll('#tiles .tile')]; const bad = []; let area = 0; \
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity; \
  const pair = document.getElementById('tiles').dataset.layout === 'pair'; \
  for (const t of tiles) { const r = t.getBoundingClientRect(); const v = t.querySelector('video'); \
    if (getComputedStyle(v).objectFit !== 'contain') bad.push('object-fit ' + getComputedStyle(v).objectFit); \
    if (!t.classList.contains('screen') && Math.abs(r.width / r.height - 16 / 9) > 0.03) bad.push('aspect ' + (r.width / r.height).toFixed(3)); \
    if (r.left < st.left - 1 || r.right > st.right + 1 || r.top < st.top - 1 || r.bottom > st.bottom + 1) bad.push('outside the stage'); \
    if (pair && t.classList.contains('local')) continue; \
    area += r.width * r.height; x0 = Math.min(x0, r.left); x1 = Math.max(x1, r.right); y0 = Math.min(y0, r.top); y1 = Math.max(y1, r.bottom); } \
  const cover = area / (st.width * st.height); const span = Math.max((x1 - x0) / st.width, (y1 - y0) / st.height); \
  return {n: tiles.length, bad, cover, span, ok: bad.length === 0 && (cover >= 0.5 || span >= 0.9)}; })()";

/// `s` as a URL query value (unreserved bytes as they are, every other byte %-escaped).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What most scenarios start with: a scratch directory, the host and the WebDriver server.
pub struct Scene {
    pub host: Host,
    pub driver: Driver,
    pub dir: Scratch,
}

impl Scene {
    pub async fn start() -> Scene {
        Scene::start_with(&[]).await
    }

    /// [`Scene::start`] with more `moim serve` flags for its host.
    pub async fn start_with(flags: &[&str]) -> Scene {
        let dir = scratch();
        let host = Host::start_with(dir.path(), flags).await;
        let driver = Driver::start(dir.path()).await;
        Scene { host, driver, dir }
    }
}

/// One browser per name, started together, each joining `room` in turn; the browsers and
/// their peer ids.
pub async fn join_all(
    driver: &Driver,
    host: &Host,
    room: &str,
    names: &[&str],
) -> (Vec<Browser>, Vec<String>) {
    let flags = harness::chromium::default_flags();
    join_all_with(driver, host, room, names, flags).await
}

/// [`join_all`] with browsers started with `flags` (see [`flags_at_fps`]).
pub async fn join_all_with(
    driver: &Driver,
    host: &Host,
    room: &str,
    names: &[&str],
    flags: Vec<String>,
) -> (Vec<Browser>, Vec<String>) {
    let browsers =
        futures_util::future::join_all(names.iter().map(|n| driver.browser_with(n, flags.clone())))
            .await;
    let mut ids = Vec::new();
    for (b, name) in browsers.iter().zip(names) {
        ids.push(b.join(host, room, name, "").await);
    }
    (browsers, ids)
}

/// [`CHROMIUM_FLAGS`] with the fake device's own 1280×720 camera at `fps` frames a second, for
/// tests that need its size (simulcast layers) in several browsers at once.
pub fn flags_at_fps(fps: u32) -> Vec<String> {
    CHROMIUM_FLAGS
        .iter()
        .map(|f| match *f {
            "--use-fake-device-for-media-stream" => format!("{f}=fps={fps}"),
            other => other.to_string(),
        })
        .collect()
}

pub fn scratch() -> Scratch {
    Scratch::view(PathBuf::from(
        std::env::var_os(ENV_DIR).expect("run through e2e_test!"),
    ))
}
