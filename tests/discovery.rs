//! Hosts find each other with mDNS on a private LAN of network namespaces that the test makes
//! itself (never on the machine's real interfaces): rooms appear, change and vanish on the
//! other hosts; a host that stops, politely or not, leaves the others' lists; and a client can
//! join a room on another host through its own host.

mod e2e;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e::{signal, step, tail, Lan, Proc};
use futures_util::{SinkExt, StreamExt};
use moim::remote;
use moim::tls::{Fingerprint, TlsIdentity};
use rustix::process::Signal;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// Set in the re-run test process: the LAN's namespace names and subnet.
const ENV_LAN: &str = "MOIM_E2E_LAN";
const PORT: u16 = 7447;
const DEADLINE: Duration = Duration::from_secs(180);

/// Run `body` on host 1 of a fresh `n`-host LAN (see `e2e::run` for the single-host version).
fn run_lan<F, Fut>(test: &str, n: usize, body: F)
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
        if std::env::var(e2e::ENV_SKIP).as_deref() == Ok("1") {
            println!("{test} SKIPPED: not root");
            return;
        }
        panic!(
            "{test} needs root for network namespaces (or {}=1 to skip)",
            e2e::ENV_SKIP
        );
    }
    let lan = Lan::new(n).expect("a LAN of namespaces");
    let names: Vec<String> = lan.hosts.iter().map(|h| h.name.clone()).collect();
    let spec = format!("{}|{}", names.join(","), lan.subnet);
    let mut child = lan
        .command(1, std::env::current_exe().unwrap())
        .args([
            "--exact",
            test,
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
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

/// The LAN as seen from inside it.
struct LanView {
    names: Vec<String>,
    subnet: u8,
    dir: TempDir,
}

/// A scratch folder, removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("moim-lan-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl LanView {
    fn parse(spec: &str) -> Self {
        let (names, subnet) = spec.split_once('|').unwrap();
        Self {
            names: names.split(',').map(str::to_string).collect(),
            subnet: subnet.parse().unwrap(),
            dir: TempDir::new(),
        }
    }

    fn addr(&self, k: usize) -> IpAddr {
        format!("10.77.{}.{k}", self.subnet).parse().unwrap()
    }

    fn command(&self, k: usize, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.names[k - 1]]).arg(program);
        cmd
    }

    /// `moim serve` on host k, with mDNS, on all its interfaces.
    async fn start_host(&self, k: usize) -> LanHost {
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
                    let fp = fingerprint_in(&data)?;
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
            addr,
            fp,
            id,
            log,
            proc,
        }
    }
}

struct LanHost {
    addr: SocketAddr,
    fp: Fingerprint,
    id: String,
    log: PathBuf,
    proc: Proc,
}

impl LanHost {
    /// This host's `/api/hosts`, over HTTPS pinned to its certificate.
    async fn hosts(&self) -> Vec<Value> {
        let body = remote::get(self.addr, Some(self.fp), "/api/hosts")
            .await
            .unwrap_or_else(|e| panic!("{}: /api/hosts: {e}\n{}", self.id, tail(&self.log)));
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["hosts"].as_array().cloned().unwrap_or_default()
    }

    /// The entry for host `id` in this host's list, if listed.
    async fn sees(&self, id: &str) -> Option<Value> {
        self.hosts().await.into_iter().find(|h| h["id"] == id)
    }

    /// A signaling socket over WSS pinned to this host's certificate; `via` joins through it.
    async fn socket(&self, via: Option<&str>) -> Wss {
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
}

struct Wss(
    tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>,
);

impl Wss {
    async fn send(&mut self, v: Value) {
        self.0.send(Message::text(v.to_string())).await.unwrap();
    }

    async fn recv(&mut self, ty: &str) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(20), self.0.next())
                .await
                .unwrap_or_else(|_| panic!("no {ty} within 20 s"))
                .expect("socket open")
                .expect("socket ok");
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] == ty {
                    return v;
                }
            }
        }
    }
}

fn fingerprint_in(data: &Path) -> Option<Fingerprint> {
    let (cert, key) = (
        data.join(moim::tls::CERT_FILE),
        data.join(moim::tls::KEY_FILE),
    );
    TlsIdentity::from_files(&cert, &key)
        .ok()
        .map(|t| t.fingerprint)
}

/// Poll `probe` every 50 ms until it yields a value; fail after `limit`.
async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn room_in<'a>(host: &'a Value, room: &str) -> Option<&'a Value> {
    host["rooms"].as_array()?.iter().find(|r| r["id"] == room)
}

#[test]
fn hosts_list_each_others_rooms_live() {
    run_lan("hosts_list_each_others_rooms_live", 3, |lan| async move {
        let a = lan.start_host(1).await;
        let b = lan.start_host(2).await;
        let mut c = lan.start_host(3).await;
        wait_for("B to list A and C", Duration::from_secs(20), || async {
            let hosts = b.hosts().await;
            let ids: Vec<&str> = hosts.iter().filter_map(|h| h["id"].as_str()).collect();
            (ids.contains(&a.id.as_str()) && ids.contains(&c.id.as_str())).then_some(())
        })
        .await;
        let mine = b.hosts().await;
        assert_eq!(mine[0]["id"], b.id.as_str());
        assert_eq!(mine[0]["self"], true, "a host marks its own entry");
        assert_eq!(mine.iter().filter(|h| h["self"] == true).count(), 1);

        // A new room on A appears on B within 2 s.
        let mut alice = a.socket(None).await;
        alice.recv("welcome").await;
        let created_at = Instant::now();
        alice
            .send(json!({"type": "create-room", "name": "design review"}))
            .await;
        let room = alice.recv("room-created").await["room"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        wait_for("B to list A's room", Duration::from_secs(10), || async {
            b.sees(&a.id)
                .await
                .and_then(|h| room_in(&h, &room).cloned())
        })
        .await;
        let listed_after = created_at.elapsed();
        step(&format!("B listed A's new room after {listed_after:?}"));
        assert!(
            listed_after <= Duration::from_secs(2),
            "took {listed_after:?}"
        );

        // Head counts follow joins.
        alice
            .send(json!({"type": "join", "room": room, "name": "Alice"}))
            .await;
        alice.recv("existing-peers").await;
        let mut bob = a.socket(None).await;
        bob.send(json!({"type": "join", "room": room, "name": "Bob"}))
            .await;
        bob.recv("existing-peers").await;
        wait_for(
            "B to see two people in A's room",
            Duration::from_secs(10),
            || async {
                let host = b.sees(&a.id).await?;
                (room_in(&host, &room)?["peers"] == 2).then_some(())
            },
        )
        .await;

        // The room closes on A (everyone leaves): it disappears from B.
        drop(alice);
        bob.send(json!({"type": "leave"})).await;
        bob.recv("left").await;
        wait_for(
            "A's room to vanish from B",
            Duration::from_secs(10),
            || async {
                let host = b.sees(&a.id).await?;
                room_in(&host, &room).is_none().then_some(())
            },
        )
        .await;

        // C stops politely (its goodbye): gone from B within 10 s.
        signal(c.proc.pid(), Signal::TERM);
        assert!(c
            .proc
            .wait_exit(Duration::from_secs(15))
            .await
            .is_some_and(|s| s.success()));
        let stopped = Instant::now();
        wait_for("C to leave B's list", Duration::from_secs(10), || async {
            b.sees(&c.id).await.is_none().then_some(())
        })
        .await;
        step(&format!(
            "B dropped C {:?} after its goodbye",
            stopped.elapsed()
        ));

        // A is killed (no goodbye): gone from B too.
        let mut a = a;
        signal(a.proc.pid(), Signal::KILL);
        a.proc.wait_exit(Duration::from_secs(5)).await;
        let killed = Instant::now();
        wait_for(
            "killed A to leave B's list",
            Duration::from_secs(15),
            || async { b.sees(&a.id).await.is_none().then_some(()) },
        )
        .await;
        step(&format!(
            "B dropped killed A {:?} after the kill",
            killed.elapsed()
        ));
    });
}

#[test]
fn a_client_joins_a_room_on_another_host_through_its_own() {
    run_lan(
        "a_client_joins_a_room_on_another_host_through_its_own",
        3,
        |lan| async move {
            let a = lan.start_host(1).await;
            let c = lan.start_host(3).await;
            wait_for("C to find A", Duration::from_secs(20), || async {
                c.sees(&a.id).await.map(|_| ())
            })
            .await;
            let mut alice = a.socket(None).await;
            alice.recv("welcome").await;
            alice
                .send(json!({"type": "create-room", "name": "standup"}))
                .await;
            let room = alice.recv("room-created").await["room"]["id"]
                .as_str()
                .unwrap()
                .to_string();
            alice
                .send(json!({"type": "join", "room": room, "name": "Alice"}))
                .await;
            let alice_id = alice.recv("existing-peers").await["you"]["id"]
                .as_str()
                .unwrap()
                .to_string();

            // Carol's socket goes to her own host C, which relays it to A.
            let mut carol = c.socket(Some(&a.id)).await;
            let welcome = carol.recv("welcome").await;
            let carol_id = welcome["peer_id"].as_str().unwrap().to_string();
            carol
                .send(json!({"type": "join", "room": room, "name": "Carol"}))
                .await;
            let seen = carol.recv("existing-peers").await;
            assert_eq!(
                seen["peers"][0]["id"],
                alice_id.as_str(),
                "Carol is in A's room"
            );
            assert_eq!(
                alice.recv("peer-joined").await["peer"]["id"],
                carol_id.as_str()
            );
            carol
                .send(json!({"type": "signal", "to": alice_id, "data": "offer"}))
                .await;
            let got = alice.recv("signal").await;
            assert_eq!(
                (got["from"].as_str(), got["data"].as_str()),
                (Some(carol_id.as_str()), Some("offer"))
            );
            alice
                .send(json!({"type": "signal", "to": carol_id, "data": "answer"}))
                .await;
            assert_eq!(carol.recv("signal").await["data"], "answer");

            // A host nobody announced cannot be reached through C.
            let mut lost = c.socket(Some("0123456789abcdef")).await;
            let err = lost.recv("error").await;
            assert_eq!(err["code"], "host-unreachable");
            drop(c);
        },
    );
}

/// Benchmark (run by `make bench`, ignored by `make test`): from the moment a host process is
/// started to its first room being listed on another host, 20 times; prints the figures as one
/// JSON line (and writes it to `$MOIM_BENCH_OUT` when set).
#[test]
#[ignore]
fn bench_discovery_time() {
    run_lan("bench_discovery_time", 2, |lan| async move {
        let b = lan.start_host(2).await;
        let mut times = Vec::new();
        for run in 0..20 {
            let started = Instant::now();
            let mut a = lan.start_host(1).await;
            let mut ws = a.socket(None).await;
            ws.recv("welcome").await;
            ws.send(json!({"type": "create-room", "name": format!("bench {run}")}))
                .await;
            let room = ws.recv("room-created").await["room"]["id"]
                .as_str()
                .unwrap()
                .to_string();
            wait_for("B to list the room", Duration::from_secs(30), || async {
                b.sees(&a.id)
                    .await
                    .and_then(|h| room_in(&h, &room).map(|_| ()))
            })
            .await;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            drop(ws);
            signal(a.proc.pid(), Signal::TERM);
            a.proc.wait_exit(Duration::from_secs(15)).await;
            wait_for("B to drop A", Duration::from_secs(15), || async {
                b.sees(&a.id).await.is_none().then_some(())
            })
            .await;
        }
        times.sort_by(f64::total_cmp);
        let line = json!({
            "bench": "discovery",
            "runs": times.len(),
            "median_ms": times[times.len() / 2],
            "min_ms": times[0],
            "max_ms": times[times.len() - 1],
        })
        .to_string();
        println!("BENCH {line}");
        if let Ok(path) = std::env::var("MOIM_BENCH_OUT") {
            std::fs::write(path, line).unwrap();
        }
    });
}
