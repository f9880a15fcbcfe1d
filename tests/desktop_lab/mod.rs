//! A small LAN for the desktop end-to-end tests: two network namespaces joined by a veth pair,
//! each with loopback up and a default route into the link (Chromium gathers no ICE candidates
//! without one). The app, its X server and tauri-driver run in `app`; the browsers and their
//! chromedriver run in `lan`, and reach the app at `app_ip` like a laptop on the same Wi-Fi.
//! Nothing leaves these namespaces. Every process started here, and everything still running in
//! the namespaces, is ended by PID when the lab is dropped; then the namespaces are removed.
#![allow(dead_code)]

use std::fs::File;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Map, Value};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The namespaces, the processes started in them, and a scratch folder.
pub struct Lab {
    pub app_ns: String,
    pub lan_ns: String,
    pub app_ip: String,
    pub lan_ip: String,
    pub dir: tempfile::TempDir,
    children: Vec<(String, Child)>,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("the ip command (iproute2)");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Lab {
    /// Two namespaces and the link between them.
    pub fn new() -> Lab {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let id = format!("{}{}", pid % 100_000, n);
        let app_ns = format!("moimd-{id}-app");
        let lan_ns = format!("moimd-{id}-lan");
        let octet = (pid as usize * 7 + n as usize * 31) % 200 + 20;
        let app_ip = format!("10.213.{octet}.1");
        let lan_ip = format!("10.213.{octet}.2");
        let (va, vb) = (format!("mdv{id}a"), format!("mdv{id}b"));
        ip(&["netns", "add", &app_ns]);
        let lab = Lab {
            app_ns: app_ns.clone(),
            lan_ns: lan_ns.clone(),
            app_ip: app_ip.clone(),
            lan_ip: lan_ip.clone(),
            dir: tempfile::Builder::new()
                .prefix("moim-desktop-")
                .tempdir()
                .unwrap(),
            children: Vec::new(),
        };
        ip(&["netns", "add", &lan_ns]);
        ip(&[
            "link", "add", &va, "netns", &app_ns, "type", "veth", "peer", "name", &vb, "netns",
            &lan_ns,
        ]);
        for (ns, dev, addr) in [(&app_ns, &va, &app_ip), (&lan_ns, &vb, &lan_ip)] {
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "route", "add", "default", "dev", dev]);
        }
        lab
    }

    /// A folder inside the scratch folder.
    pub fn path(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    /// `program` in namespace `ns` with exactly `envs` (plus PATH) and no input.
    pub fn command(ns: &str, program: &str, args: &[&str], envs: &[(&str, String)]) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns, program])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        cmd
    }

    /// Start [`Lab::command`] as a process the lab ends; its output goes to
    /// `<scratch>/<label>.log`.
    pub fn spawn(
        &mut self,
        label: &str,
        ns: &str,
        program: &str,
        args: &[&str],
        envs: &[(&str, String)],
    ) -> u32 {
        let log = File::create(self.dir.path().join(format!("{label}.log"))).unwrap();
        let child = Lab::command(ns, program, args, envs)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"));
        let pid = child.id();
        self.children.push((label.to_string(), child));
        pid
    }

    /// Start a D-Bus session bus in the app namespace (a Unix socket in the scratch folder, no
    /// network); returns its `DBUS_SESSION_BUS_ADDRESS`.
    pub fn start_session_bus(&mut self) -> String {
        let socket = self.dir.path().join("session-bus");
        let address = format!("unix:path={}", socket.display());
        let ns = self.app_ns.clone();
        self.spawn(
            "dbus",
            &ns,
            "dbus-daemon",
            &[
                "--session",
                "--nofork",
                "--nopidfile",
                &format!("--address={address}"),
            ],
            &[],
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(
                Instant::now() < deadline,
                "no session bus: {}",
                self.log("dbus")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        address
    }

    /// The log of a process started with [`Lab::spawn`].
    pub fn log(&self, label: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{label}.log"))).unwrap_or_default()
    }

    /// Start Xvfb in the app namespace; returns the DISPLAY value.
    pub fn start_x(&mut self) -> String {
        let log = File::create(self.dir.path().join("xvfb.log")).unwrap();
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.app_ns, "Xvfb", "-displayfd", "1"])
            .args([
                "-screen",
                "0",
                "1280x820x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .arg("-fbdir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("Xvfb (apt install xvfb)");
        let mut out = child.stdout.take().unwrap();
        self.children.push(("xvfb".into(), child));
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        use std::io::Read;
        while out.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            buf.push(byte[0]);
        }
        let n = String::from_utf8_lossy(&buf).trim().to_string();
        assert!(!n.is_empty(), "Xvfb did not start: {}", self.log("xvfb"));
        format!(":{n}")
    }

    /// What the X screen shows now, as a PNG (Xvfb keeps its framebuffer in an XWD file).
    pub fn screenshot_png(&self) -> Vec<u8> {
        let xwd = std::fs::read(self.dir.path().join("Xvfb_screen0")).expect("Xvfb framebuffer");
        let be = |i: usize| u32::from_be_bytes(xwd[i * 4..i * 4 + 4].try_into().unwrap()) as usize;
        let (header, width, height) = (be(0), be(4), be(5));
        let (bits_per_pixel, bytes_per_line, ncolors) = (be(11), be(12), be(19));
        assert_eq!(bits_per_pixel, 32, "a 24-bit screen");
        let data = &xwd[header + ncolors * 12..];
        let mut rgb = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            for x in 0..width {
                let p = &data[y * bytes_per_line + x * 4..];
                rgb.extend_from_slice(&[p[2], p[1], p[0]]); // BGRX, least significant first
            }
        }
        let img = image::RgbImage::from_raw(width as u32, height as u32, rgb).unwrap();
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        png.into_inner()
    }

    /// Is `pid` still running (and not a zombie)?
    pub fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                !s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
            .unwrap_or(false)
    }

    /// PIDs of processes in namespace `ns` running `exe`.
    pub fn pids_of(&self, ns: &str, exe: &Path) -> Vec<u32> {
        let out = Command::new("ip")
            .args(["netns", "pids", ns])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok())
            .filter(|p| {
                std::fs::read_link(format!("/proc/{p}/exe"))
                    .map(|e| e == exe)
                    .unwrap_or(false)
            })
            .collect()
    }

    fn ns_pids(&self) -> Vec<u32> {
        let mut pids = Vec::new();
        for ns in [&self.app_ns, &self.lan_ns] {
            let out = Command::new("ip").args(["netns", "pids", ns]).output();
            if let Ok(out) = out {
                pids.extend(
                    String::from_utf8_lossy(&out.stdout)
                        .split_whitespace()
                        .filter_map(|p| p.parse::<u32>().ok()),
                );
            }
        }
        pids
    }
}

fn signal(pid: u32, sig: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        use rustix::process::Signal;
        // what we started, then anything left in our namespaces (their children)
        for (_, child) in &self.children {
            signal(child.id(), Signal::TERM);
        }
        for pid in self.ns_pids() {
            signal(pid, Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline
            && (self.children.iter().any(|(_, c)| Lab::alive(c.id())) || !self.ns_pids().is_empty())
        {
            for (_, child) in &mut self.children {
                let _ = child.try_wait();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        for pid in self.ns_pids() {
            signal(pid, Signal::KILL);
        }
        for (_, child) in &mut self.children {
            if Lab::alive(child.id()) {
                signal(child.id(), Signal::KILL);
            }
            let _ = child.wait();
        }
        for ns in [&self.app_ns, &self.lan_ns] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        if std::thread::panicking() || std::env::var_os("MOIM_KEEP_LAB").is_some() {
            let dir = std::mem::replace(&mut self.dir, tempfile::TempDir::new().unwrap());
            eprintln!("lab files kept in {}", dir.keep().display());
        }
    }
}

/// A WebDriver session whose HTTP connection lives in namespace `ns`: the client's session
/// task runs on a thread moved into that namespace (drivers listen on the namespace's own
/// loopback). Retries until the driver answers or `timeout` passes.
pub fn webdriver_in(ns: &str, port: u16, caps: Value, timeout: Duration) -> Client {
    let (tx, rx) = std::sync::mpsc::channel();
    let ns = ns.to_string();
    std::thread::spawn(move || {
        let netns = File::open(format!("/run/netns/{ns}")).expect("namespace file");
        rustix::thread::move_into_link_name_space(
            netns.as_fd(),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .expect("setns");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let caps: Map<String, Value> = caps.as_object().cloned().unwrap_or_default();
            let url = format!("http://127.0.0.1:{port}");
            let deadline = Instant::now() + timeout;
            let client = loop {
                let mut builder =
                    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
                builder.capabilities(caps.clone());
                match builder.connect(&url).await {
                    Ok(c) => break Ok(c),
                    Err(e) if Instant::now() > deadline => break Err(e.to_string()),
                    Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
                }
            };
            let _ = tx.send(client);
            // keep running the session task for as long as the test lives
            std::future::pending::<()>().await;
        });
    });
    rx.recv()
        .expect("webdriver thread")
        .unwrap_or_else(|e| panic!("no WebDriver session: {e}"))
}

/// Chromium's flags for the tests (fake camera and microphone, no network chatter).
pub fn chromium_caps(profile: &Path) -> Value {
    json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                "--allow-loopback-in-peer-connection",
                format!("--user-data-dir={}", profile.display()),
                // the host's certificate is self-signed (people compare its fingerprint)
                "--ignore-certificate-errors",
                "--window-size=1024,768",
            ]
        }
    })
}

/// Poll `f` until it returns `Some`, or panic with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
