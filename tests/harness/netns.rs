//! Network namespaces the tests create and delete themselves: one alone with a routed veth,
//! two joined by a veth pair, or several on a private bridge. Every namespace gets loopback up
//! and a default route into its link (Chromium gathers no ICE candidates without one); none is
//! connected to the machine's real interfaces. On drop, every process still inside (all of them
//! started by the test) is killed by PID, then the namespace is deleted.
//!
//! A namespace is handed over *settled*: IPv6 duplicate-address detection is off (otherwise
//! each link-local address turns from tentative to valid about a second after its link comes
//! up, and Chromium, seeing a new address, fails every load in flight with
//! `ERR_NETWORK_CHANGED`), and no address is tentative and no link is still coming up.
//!
//! Its name server is its own loopback, where nothing listens (`ip netns exec` mounts
//! `/etc/netns/<name>/resolv.conf` over `/etc/resolv.conf`): a look-up fails at once instead
//! of waiting for the machine's name server behind a default route that leads nowhere. With
//! the machine's, every Chromium's first page load waited 6 to 10 s on a look-up's timeout.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rustix::process::Signal;

use super::procs::signal;

static NEXT_NS: AtomicU32 = AtomicU32::new(0);

/// A unique namespace name for this process: `<prefix>-<pid>-<n>`.
pub fn unique_name(prefix: &str) -> String {
    let n = NEXT_NS.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// Run `ip args…`, failing with its stderr.
pub fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A network namespace this process created (see the module docs).
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// An empty namespace with loopback up.
    pub fn add(name: String) -> Result<Netns, String> {
        ip(&["netns", "add", &name])?;
        let ns = Netns { name };
        // before any link exists, so every link made or moved here inherits it
        for conf in ["all", "default"] {
            ns.sysctl(&format!("net.ipv6.conf.{conf}.accept_dad=0"))?;
        }
        ip(&["-n", &ns.name, "link", "set", "lo", "up"])?;
        let etc = ns.etc();
        std::fs::create_dir_all(&etc)
            .and_then(|()| std::fs::write(etc.join("resolv.conf"), "nameserver 127.0.0.1\n"))
            .map_err(|e| format!("{}: {e}", etc.display()))?;
        Ok(ns)
    }

    /// The files `ip netns exec` mounts over `/etc` in this namespace.
    fn etc(&self) -> std::path::PathBuf {
        std::path::Path::new("/etc/netns").join(&self.name)
    }

    /// Set one sysctl inside this namespace.
    pub fn sysctl(&self, setting: &str) -> Result<(), String> {
        let out = self
            .command("sysctl")
            .args(["-qw", setting])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("sysctl {setting}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "sysctl {setting} in {}: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Wait until no address is tentative and every link that is up has its carrier, so a
    /// browser started now sees no network change (see the module docs).
    pub fn settle(&self) -> Result<(), String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let tentative = self.ip_output(&["-6", "addr", "show", "tentative"])?;
            let links = self.ip_output(&["-o", "link", "show", "up"])?;
            let coming_up = links
                .lines()
                .any(|l| l.contains("state LOWERLAYERDOWN") || l.contains("NO-CARRIER"));
            if tentative.trim().is_empty() && !coming_up {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(format!(
                    "namespace {} did not settle in 10 s:\n{tentative}\n{links}",
                    self.name
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn ip_output(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("ip")
            .args(["-n", &self.name])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A namespace alone: a veth pair `eth0` (10.78.0.1/24, default route) ↔ `eth0p`, both
    /// inside it, so WebRTC has an interface with a route but nothing leaves.
    pub fn single(name: String) -> Result<Netns, String> {
        let ns = Netns::add(name)?;
        let n = ns.name.as_str();
        ip(&[
            "-n", n, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p",
        ])?;
        ip(&["-n", n, "link", "set", "eth0p", "up"])?;
        ns.configure("eth0", "10.78.0.1/24")?;
        ns.settle()?;
        Ok(ns)
    }

    /// Give `dev` the address `cidr`, multicast, and the default and multicast routes.
    pub fn configure(&self, dev: &str, cidr: &str) -> Result<(), String> {
        let n = self.name.as_str();
        ip(&["-n", n, "addr", "add", cidr, "dev", dev])?;
        ip(&["-n", n, "link", "set", dev, "multicast", "on", "up"])?;
        ip(&["-n", n, "route", "add", "224.0.0.0/4", "dev", dev])?;
        ip(&["-n", n, "route", "add", "default", "dev", dev])
    }

    /// `program` to be run inside this namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name]).arg(program);
        cmd
    }

    /// The PIDs of the processes in this namespace.
    pub fn pids(&self) -> Vec<i32> {
        Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Send `sig` to every process in the namespace (each one was started by the test).
    pub fn signal_all(&self, sig: Signal) {
        for pid in self.pids() {
            if pid as u32 != std::process::id() {
                signal(pid, sig);
            }
        }
    }

    /// SIGKILL every process in the namespace, until none is left.
    pub fn kill_all(&self) {
        for _ in 0..20 {
            if self.pids().iter().all(|&p| p as u32 == std::process::id()) {
                return;
            }
            self.signal_all(Signal::KILL);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.kill_all();
        if let Err(e) = ip(&["netns", "del", &self.name]) {
            eprintln!("could not delete namespace {}: {e}", self.name);
        }
        let _ = std::fs::remove_dir_all(self.etc());
    }
}

/// Join `a` and `b` with a veth pair named `dev_a` (in `a`) ↔ `dev_b` (in `b`), addressed
/// `addr_a` and `addr_b` (`/24`), each side routed into the link.
pub fn link(
    a: &Netns,
    dev_a: &str,
    addr_a: &str,
    b: &Netns,
    dev_b: &str,
    addr_b: &str,
) -> Result<(), String> {
    ip(&[
        "link", "add", dev_a, "netns", &a.name, "type", "veth", "peer", "name", dev_b, "netns",
        &b.name,
    ])?;
    a.configure(dev_a, &format!("{addr_a}/24"))?;
    b.configure(dev_b, &format!("{addr_b}/24"))?;
    a.settle()?;
    b.settle()
}

/// Several namespace "hosts" on one private bridge (for tests that need a LAN: discovery,
/// peers on different machines). Host k (1-based) is namespace `…-h<k>` with `eth0` =
/// 10.77.<subnet>.k/24, multicast on, a default route; the bridge lives in its own namespace.
pub struct Lan {
    pub subnet: u8,
    pub hosts: Vec<Netns>,
    bridge: Netns,
}

impl Lan {
    pub fn new(n: usize) -> Result<Lan, String> {
        assert!((1..=250).contains(&n), "1..=250 hosts");
        let base = unique_name("moim-e2e");
        let subnet = (std::process::id() % 200) as u8 + 1;
        let bridge = Netns::add(format!("{base}-lan"))?;
        ip(&["-n", &bridge.name, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &bridge.name, "link", "set", "br0", "up"])?;
        let mut lan = Lan {
            subnet,
            hosts: Vec::new(),
            bridge,
        };
        for k in 1..=n {
            let host = Netns::add(format!("{base}-h{k}"))?;
            let (h, b) = (host.name.clone(), lan.bridge.name.clone());
            let port = format!("p{k}");
            ip(&[
                "-n", &h, "link", "add", "eth0", "type", "veth", "peer", "name", &port, "netns", &b,
            ])?;
            host.configure("eth0", &format!("{}/24", lan.addr(k)))?;
            ip(&["-n", &b, "link", "set", &port, "master", "br0", "up"])?;
            lan.hosts.push(host);
        }
        lan.bridge.settle()?;
        for host in &lan.hosts {
            host.settle()?;
        }
        Ok(lan)
    }

    /// Host k's address (1-based).
    pub fn addr(&self, k: usize) -> String {
        format!("10.77.{}.{k}", self.subnet)
    }

    /// Host k's namespace (1-based).
    pub fn host(&self, k: usize) -> &Netns {
        &self.hosts[k - 1]
    }

    /// `program` to be run on host k.
    pub fn command(&self, k: usize, program: impl AsRef<std::ffi::OsStr>) -> Command {
        self.host(k).command(program)
    }
}
