//! A LAN of network namespaces for tests that need several machines (discovery, browsers on
//! different hosts): [`run_lan`] re-runs a test inside host 1 of a fresh `n`-host [`Lan`], and
//! the body gets a [`LanView`] that starts `moim serve` (mDNS and HTTPS on, bound to every
//! interface) in any host's namespace ([`LanView::start_host`]). Everything stays on the
//! namespaces' private bridge; they are deleted afterwards.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use moim::remote;
use moim::tls::{Fingerprint, TlsIdentity};
use serde_json::Value;

pub use super::harness::wait::wait_for;
use super::harness::{scratch::Scratch, ws};
use super::{step, tail, Lan, Proc};

/// Set in the re-run test process: the LAN's namespace names and subnet.
const ENV_LAN: &str = "MOIM_E2E_LAN";
/// The port every `moim serve` of the LAN listens on (each in its own namespace).
pub const PORT: u16 = 7447;
/// A whole LAN test may take this long before the outer process kills it.
pub const DEADLINE: Duration = Duration::from_secs(180);

/// Run `body` on host 1 of a fresh `n`-host LAN (see `e2e::run` for the single-host version).
pub fn run_lan<F, Fut>(test: &str, n: usize, body: F)
where
    F: FnOnce(LanView) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Ok(spec) = std::env::var(ENV_LAN) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(body(LanView::parse(&spec)));
        return;
    }
    if !rustix::process::geteuid().is_root() {
        if std::env::var(super::ENV_SKIP).as_deref() == Ok("1") {
            println!("{test} SKIPPED: not root");
            return;
        }
        panic!(
            "{test} needs root for network namespaces (or {}=1 to skip)",
            super::ENV_SKIP
        );
    }
    let lan = Lan::new(n).expect("a LAN of namespaces");
    let names: Vec<String> = lan.hosts.iter().map(|h| h.name.clone()).collect();
    let spec = format!("{}|{}", names.join(","), lan.subnet);
    let mut child = lan
        .command(1, std::env::current_exe().unwrap())
        .args(super::rerun_args(test))
        .env(ENV_LAN, spec)
        .stdin(Stdio::null())
        .spawn()
        .expect("re-run the test inside the LAN");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(lan); // kills what is left inside, deletes the namespaces
    match status {
        Some(s) => assert!(s.success(), "{test} failed inside the LAN ({s})"),
        None => panic!("{test} did not finish within {DEADLINE:?}"),
    }
}

/// The LAN as seen from inside it (the test runs on host 1).
pub struct LanView {
    pub names: Vec<String>,
    pub subnet: u8,
    pub dir: Scratch,
}

impl LanView {
    fn parse(spec: &str) -> Self {
        let (names, subnet) = spec.split_once('|').unwrap();
        Self {
            names: names.split(',').map(str::to_string).collect(),
            subnet: subnet.parse().unwrap(),
            dir: Scratch::new("moim-lan"),
        }
    }

    /// Host k's address on the bridge (1-based).
    pub fn addr(&self, k: usize) -> IpAddr {
        format!("10.77.{}.{k}", self.subnet).parse().unwrap()
    }

    /// `program` to be run in host k's namespace.
    pub fn command(&self, k: usize, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.names[k - 1]]).arg(program);
        cmd
    }

    /// Run `nft` or `tc` (`args`) in host k's namespace, failing the test with its stderr.
    pub fn net(&self, k: usize, program: &str, args: &[&str]) {
        let out = self
            .command(k, program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e} (install it with scripts/deps.sh test)"));
        assert!(
            out.status.success(),
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// An nft table `table` on host k filtering what comes in and goes out: for each way
    /// ([`Way::IN`], [`Way::OUT`]), a chain of the rules `rules` gives for it (each an nft rule
    /// body, such as `iifname eth0 drop`). The test deletes the table, or it goes with the
    /// namespace.
    pub fn filter(&self, k: usize, table: &str, rules: impl Fn(&Way) -> Vec<String>) {
        self.net(k, "nft", &["add", "table", "inet", table]);
        for way in [Way::IN, Way::OUT] {
            let hook = format!("{{ type filter hook {} priority 0; }}", way.hook);
            self.net(k, "nft", &["add", "chain", "inet", table, way.chain, &hook]);
            for rule in rules(&way) {
                let rule = format!("add rule inet {table} {} {rule}", way.chain);
                self.net(k, "nft", &rule.split_whitespace().collect::<Vec<_>>());
            }
        }
    }

    /// `moim serve` on host k, with mDNS, on all its interfaces.
    pub async fn start_host(&self, k: usize) -> LanHost {
        let data = self.dir.path().join(format!("host{k}"));
        std::fs::create_dir_all(&data).unwrap();
        let log = self.dir.path().join(format!("host{k}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = self
            .command(k, env!("CARGO_BIN_EXE_moim"))
            .args([
                "serve",
                "--port",
                &PORT.to_string(),
                "--name",
                &format!("host{k}"),
            ])
            .arg("--data-dir")
            .arg(&data)
            .env("RUST_LOG", "moim=debug,info")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("start moim serve");
        let mut proc = Proc {
            child,
            what: format!("host{k}"),
        };
        let addr = SocketAddr::new(self.addr(k), PORT);
        let fp = wait_for(
            &format!("host{k} to serve HTTPS"),
            Duration::from_secs(30),
            || {
                let ready = proc.exited().is_none();
                let (data, log) = (data.clone(), log.clone());
                async move {
                    assert!(ready, "host exited:\n{}", tail(&log));
                    let fp = identity_in(&data)?.fingerprint;
                    remote::get(addr, Some(fp), "/healthz")
                        .await
                        .ok()
                        .map(|_| fp)
                }
            },
        )
        .await;
        let info: Value =
            serde_json::from_slice(&remote::get(addr, Some(fp), "/api/hosts").await.unwrap())
                .unwrap();
        let id = info["hosts"][0]["id"].as_str().unwrap().to_string();
        step(&format!("host{k} ({id}) serves on {addr}"));
        LanHost {
            k,
            addr,
            fp,
            id,
            data,
            log,
            proc,
        }
    }
}

/// One way through a host's link, as nft names its parts: the chain and its hook, the
/// interface match, the address field of the other end, and the port field of this host's end.
pub struct Way {
    pub chain: &'static str,
    pub hook: &'static str,
    pub iface: &'static str,
    pub remote: &'static str,
    pub port: &'static str,
}

impl Way {
    /// Packets coming in.
    pub const IN: Way = Way {
        chain: "in",
        hook: "input",
        iface: "iifname",
        remote: "saddr",
        port: "dport",
    };
    /// Packets going out.
    pub const OUT: Way = Way {
        chain: "out",
        hook: "output",
        iface: "oifname",
        remote: "daddr",
        port: "sport",
    };
}

/// The verification code of a certificate fingerprint (64 hex digits): its first 50 bits, ten
/// characters of Crockford base32 (0-9 a-z without i l o u), lower case.
pub fn certificate_code(hex: &str) -> String {
    const BASE32: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let bits = u64::from_str_radix(&hex[..13], 16).expect("hex") >> 2;
    (0..10)
        .rev()
        .map(|i| BASE32[((bits >> (5 * i)) & 31) as usize] as char)
        .collect()
}

/// One `moim serve` of the LAN.
pub struct LanHost {
    /// Its host number (namespace k).
    pub k: usize,
    pub addr: SocketAddr,
    pub fp: Fingerprint,
    pub id: String,
    pub data: PathBuf,
    pub log: PathBuf,
    pub proc: Proc,
}

impl LanHost {
    /// A GET over HTTPS pinned to this host's certificate, as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let body = remote::get(self.addr, Some(self.fp), path)
            .await
            .unwrap_or_else(|e| panic!("{}: {path}: {e}\n{}", self.id, tail(&self.log)));
        serde_json::from_slice(&body).unwrap()
    }

    /// This host's `/api/hosts`, over HTTPS pinned to its certificate.
    pub async fn hosts(&self) -> Vec<Value> {
        let v = self.get_json("/api/hosts").await;
        v["hosts"].as_array().cloned().unwrap_or_default()
    }

    /// The entry for host `id` in this host's list, if listed.
    pub async fn sees(&self, id: &str) -> Option<Value> {
        self.hosts().await.into_iter().find(|h| h["id"] == id)
    }

    /// The certificate's verification code as join links carry it (`#c=`): the first 50 bits
    /// of its SHA-256 in Crockford base32 (ui/short-code.js `certificateCode`, written again
    /// here so the test checks the page against an independent reading of docs/protocol.md).
    pub fn code(&self) -> String {
        certificate_code(&self.fp.hex())
    }

    /// base64 SHA-256 of the certificate's public key, for Chromium's
    /// `--ignore-certificate-errors-spki-list` (trust this host's self-signed certificate).
    pub fn spki(&self) -> String {
        identity_in(&self.data)
            .and_then(|t| t.spki_sha256)
            .expect("the host's public key hash")
    }

    /// A signaling socket over WSS pinned to this host's certificate; `via` joins through it.
    pub async fn socket(&self, via: Option<&str>) -> Wss {
        let remote::RemoteStream::Tls(tls) =
            remote::connect(self.addr, Some(self.fp)).await.unwrap()
        else {
            panic!("expected TLS")
        };
        let mut url = format!("wss://{}/ws", self.addr);
        if let Some(id) = via {
            url.push_str(&format!("?via={id}"));
        }
        let (ws, _) = tokio_tungstenite::client_async(url, *tls)
            .await
            .expect("wss");
        Wss(ws)
    }

    /// Create a listed room (nobody joins it); returns its id.
    pub async fn create_room(&self, name: &str) -> String {
        let mut ws = self.socket(None).await;
        ws.recv("welcome").await;
        ws.send(serde_json::json!({"type": "create-room", "name": name}))
            .await;
        let created = ws.recv("room-created").await;
        created["room"]["id"].as_str().unwrap().to_string()
    }
}

/// A signaling socket to a LAN host, over pinned TLS.
pub struct Wss(
    pub tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
);

impl Wss {
    pub async fn send(&mut self, v: Value) {
        ws::send(&mut self.0, v).await;
    }

    /// Read frames until one of type `ty` arrives.
    pub async fn recv(&mut self, ty: &str) -> Value {
        ws::recv_until(&mut self.0, ty).await
    }
}

/// The certificate a host made in its data folder, once it has.
fn identity_in(data: &Path) -> Option<TlsIdentity> {
    let (cert, key) = (
        data.join(moim::tls::CERT_FILE),
        data.join(moim::tls::KEY_FILE),
    );
    TlsIdentity::from_files(&cert, &key).ok()
}
