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
use rustix::process::Signal;
use serde_json::{Map, Value};

#[path = "../harness/mod.rs"]
pub mod harness;

use harness::netns::{self, Netns};
use harness::procs::{alive, signal};
use harness::scratch::Scratch;
pub use harness::wait::wait_for;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The namespaces, the processes started in them, and a scratch folder. Fields drop in order:
/// the namespaces (and what is left in them) go before the folder.
pub struct Lab {
    pub app_ns: String,
    pub lan_ns: String,
    pub app_ip: String,
    pub lan_ip: String,
    children: Vec<(String, Child)>,
    namespaces: Vec<Netns>,
    pub dir: Scratch,
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
        let app = Netns::add(app_ns.clone()).expect("the app namespace");
        let lan = Netns::add(lan_ns.clone()).expect("the LAN namespace");
        netns::link(&app, &va, &app_ip, &lan, &vb, &lan_ip).expect("the link between them");
        Lab {
            app_ns,
            lan_ns,
            app_ip,
            lan_ip,
            children: Vec::new(),
            namespaces: vec![app, lan],
            dir: Scratch::new("moim-desktop"),
        }
    }

    /// A folder inside the scratch folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.sub(name)
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

    /// Watch the session bus at `address` for desktop notifications: every `Notify` call any
    /// client makes (whether or not a notification server answers it) is logged;
    /// [`Lab::notifications`] reads them.
    pub fn watch_notifications(&mut self, address: &str) {
        let ns = self.app_ns.clone();
        self.spawn(
            "notifications",
            &ns,
            "dbus-monitor",
            &[
                "--address",
                address,
                "interface='org.freedesktop.Notifications',member='Notify'",
            ],
            &[],
        );
        // it is watching once the bus has named it
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log("notifications").contains("NameAcquired") {
            assert!(
                Instant::now() < deadline,
                "dbus-monitor did not start: {}",
                self.log("notifications")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The (summary, body) of each `Notify` call seen so far ([`Lab::watch_notifications`]).
    pub fn notifications(&self) -> Vec<(String, String)> {
        // a call prints its arguments one a line: app name, replaces id, icon, summary, body, ...
        let log = self.log("notifications");
        log.split("member=Notify")
            .skip(1)
            .filter_map(|call| {
                let strings: Vec<&str> = call
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("string \""))
                    .map(|l| l.strip_suffix('"').unwrap_or(l))
                    .collect();
                Some((strings.get(2)?.to_string(), strings.get(3)?.to_string()))
            })
            .collect()
    }

    /// The app's tray menu as the desktop's panel reads it: the tray library publishes it on
    /// the session bus at `address` (the StatusNotifierItem's `com.canonical.dbusmenu`), with
    /// no panel needed. Its items `(id, label)` in menu order, a submenu's items right after
    /// it; `None` until process `app` serves it.
    pub fn tray_menu(&self, address: &str, app: u32) -> Option<Vec<(i32, String)>> {
        connections_of(address, app).into_iter().find_map(|name| {
            let layout = dbus_send(
                address,
                &name,
                TRAY_MENU,
                "com.canonical.dbusmenu.GetLayout",
                &["int32:0", "int32:-1", "array:string:label"],
            )?;
            Some(menu_items(&layout))
        })
    }

    /// Click tray menu item `id` of process `app` as a panel does
    /// (`com.canonical.dbusmenu.Event "clicked"`).
    pub fn click_tray_item(&self, address: &str, app: u32, id: i32) {
        let id = format!("int32:{id}");
        let clicked = connections_of(address, app).into_iter().any(|name| {
            dbus_send(
                address,
                &name,
                TRAY_MENU,
                "com.canonical.dbusmenu.Event",
                &[&id, "string:clicked", "variant:int32:0", "uint32:0"],
            )
            .is_some()
        });
        assert!(clicked, "nobody serves the tray menu");
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
        alive(pid as i32)
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

    fn ns_pids(&self) -> Vec<i32> {
        self.namespaces.iter().flat_map(Netns::pids).collect()
    }
}

impl Drop for Lab {
    /// What we started, then anything left in our namespaces (their children), politely
    /// first; the namespaces then kill what remains and are removed.
    fn drop(&mut self) {
        for (_, child) in &self.children {
            signal(child.id() as i32, Signal::TERM);
        }
        for ns in &self.namespaces {
            ns.signal_all(Signal::TERM);
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
        for (_, child) in &mut self.children {
            if Lab::alive(child.id()) {
                signal(child.id() as i32, Signal::KILL);
            }
            let _ = child.wait();
        }
        self.namespaces.clear();
    }
}

/// Where the tray library (Ayatana AppIndicator, for Tauri's tray id `moim`) serves the menu.
const TRAY_MENU: &str = "/org/ayatana/NotificationItem/tray_icon_tray_app_moim/Menu";

/// The unique names on the bus at `address` of process `pid`'s connections (the bus itself
/// answers: no call reaches a client that might never reply).
fn connections_of(address: &str, pid: u32) -> Vec<String> {
    let bus = |method: &str, args: &[&str]| {
        dbus_send(
            address,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            method,
            args,
        )
    };
    let names = bus("org.freedesktop.DBus.ListNames", &[]).unwrap_or_default();
    names
        .lines()
        .filter_map(|l| l.trim().strip_prefix("string \""))
        .map(|n| n.trim_end_matches('"').to_string())
        .filter(|n| n.starts_with(':'))
        .filter(|n| {
            let owner = bus(
                "org.freedesktop.DBus.GetConnectionUnixProcessID",
                &[&format!("string:{n}")],
            );
            owner.is_some_and(|o| o.trim_end().ends_with(&format!("uint32 {pid}")))
        })
        .collect()
}

/// One D-Bus method call with `dbus-send` on the bus at `address` (answered within two
/// seconds); its printed reply, `None` for an error.
fn dbus_send(address: &str, dest: &str, path: &str, method: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("dbus-send")
        .arg(format!("--bus={address}"))
        .args([
            "--print-reply",
            "--reply-timeout=2000",
            &format!("--dest={dest}"),
            path,
            method,
        ])
        .args(args)
        .output()
        .expect("dbus-send (apt install dbus)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The `(id, label)` of each item of a printed `GetLayout` reply, in order: an item's id is
/// an `int32` line, its label the `variant string` after it.
fn menu_items(layout: &str) -> Vec<(i32, String)> {
    let mut items = Vec::new();
    let mut id = None;
    for line in layout.lines().map(str::trim) {
        if let Some(n) = line.strip_prefix("int32 ") {
            id = n.parse().ok();
        } else if let Some(label) = line.strip_prefix("variant").map(str::trim) {
            let label = label
                .strip_prefix("string \"")
                .and_then(|l| l.strip_suffix('"'));
            if let (Some(id), Some(label)) = (id.take(), label) {
                items.push((id, label.to_string()));
            }
        }
    }
    items
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

/// Chromium for the desktop tests: the harness's flags, the host's self-signed certificate
/// accepted (people compare its fingerprint), and a window size.
pub fn chromium_caps(profile: &Path) -> Value {
    let mut flags = harness::chromium::default_flags();
    flags.push("--ignore-certificate-errors".into());
    flags.push("--window-size=1024,768".into());
    harness::chromium::caps(&flags, profile)
}
