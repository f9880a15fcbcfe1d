//! `moim-bench abuse`: the host under attack (issue 12). Two good peers in one room exchange 10
//! signals a second each way, first in quiet, then while one client on another loopback
//! address runs every attack class in turn: foreign origins, broken framing, bad JSON, room
//! logic (passcode guessing, recreate hijacks, room floods, bad text), list-rooms with many
//! rooms, message and control-frame floods, readers that stop reading (WebSocket, event
//! stream, lobby watcher), vanished clients (silent sessions, half-open requests) and
//! connection exhaustion. It reports the good pair's delivery delay (p50/p99/max) in quiet
//! and during each attack, and whether any of their signals was lost, misdelivered or held
//! back, or either of them closed. Only 127.0.0.0/8 is ever touched; the host is a child
//! process stopped by its own pid.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::process::free_port;

/// `moim-bench abuse` flags.
#[derive(Debug, clap::Args)]
pub struct AbuseArgs {
    /// The `moim` binary to start as the host.
    #[arg(long, default_value = "target/release/moim")]
    host_bin: PathBuf,
    /// Seconds of quiet before the attacks.
    #[arg(long, default_value_t = 5.0)]
    quiet_secs: f64,
    /// Seconds each attack class runs.
    #[arg(long, default_value_t = 4.0)]
    attack_secs: f64,
    /// Write the result here as JSON, and a Markdown section of the figures beside it (the
    /// same name ending in `.md`).
    #[arg(long)]
    json: Option<PathBuf>,
}

/// The attack classes, in the order they run (phase 0 is the quiet).
const CLASSES: &[&str] = &[
    "origins",
    "framing",
    "bad JSON",
    "room logic",
    "list-rooms, 1,300 rooms",
    "floods",
    "readers that stop reading",
    "vanished clients",
    "connection exhaustion",
];

/// The good pair's signals: one every this often, each way.
const GOOD_EVERY: Duration = Duration::from_millis(100);
/// The liveness bound: a good signal held longer counts as late.
const LATE: Duration = Duration::from_secs(2);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The host as a child process, stopped (by its own pid) on drop.
struct HostProcess {
    child: Child,
    addr: SocketAddr,
    data: PathBuf,
}

impl HostProcess {
    fn start(bin: &std::path::Path) -> anyhow::Result<Self> {
        let port = free_port()?;
        let data = std::env::temp_dir().join(format!("moim-bench-abuse-{}", std::process::id()));
        std::fs::create_dir_all(&data)?;
        let child = Command::new(bin)
            .args(["serve", "--no-mdns", "--bind", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg("--data-dir")
            .arg(&data)
            .env("RUST_LOG", "moim=warn")
            .env_remove("MOIM_BIND")
            .env_remove("MOIM_PORT")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(addr).is_err() {
            if Instant::now() > deadline {
                bail!("the host did not start listening");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self { child, addr, data })
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(6);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// Run the benchmark.
pub fn run(args: AbuseArgs) -> anyhow::Result<()> {
    let host = HostProcess::start(&args.host_bin)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(bench(host.addr, &args))?;
    drop(host);
    println!("{}", serde_json::to_string_pretty(&result)?);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&result)?)?;
        std::fs::write(path.with_extension("md"), markdown(&result))?;
    }
    Ok(())
}

async fn tcp_from(from: IpAddr, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(addr).await
}

async fn ws_from(from: IpAddr, addr: SocketAddr) -> anyhow::Result<Ws> {
    let tcp = tcp_from(from, addr).await?;
    let url = format!("ws://{addr}/ws");
    let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(tcp)).await?;
    Ok(ws)
}

/// The next JSON message (control frames skipped), within `wait`.
async fn next_json(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(t.as_str()).ok(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

async fn until_type(ws: &mut Ws, ty: &str, wait: Duration) -> Option<Value> {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        let msg = next_json(ws, deadline - Instant::now()).await?;
        if msg["type"] == ty {
            return Some(msg);
        }
    }
    None
}

async fn send(ws: &mut Ws, msg: Value) -> bool {
    ws.send(Message::text(msg.to_string())).await.is_ok()
}

// The good pair ------------------------------------------------------------------------------

#[derive(Default)]
struct Tally {
    /// (phase, delay in µs) of every good signal received.
    delays: parking_lot::Mutex<Vec<(usize, u64)>>,
    sent: AtomicU64,
    received: AtomicU64,
    misdelivered: AtomicU64,
    out_of_order: AtomicU64,
    closed: AtomicU64,
}

/// One side of the good pair: send a numbered, timestamped signal every [`GOOD_EVERY`] until
/// `stop`, read the other side's.
async fn good_side(
    ws: Ws,
    other: String,
    phase: Arc<AtomicUsize>,
    tally: Arc<Tally>,
    stop: tokio_util::sync::CancellationToken,
    start: Instant,
) -> u64 {
    let (mut sink, mut stream) = ws.split();
    let reader_tally = tally.clone();
    let from = other.clone();
    let finished = stop.clone();
    let reader = tokio::spawn(async move {
        let mut next = 0u64;
        while let Some(msg) = stream.next().await {
            let text = match msg {
                Ok(Message::Text(t)) => t,
                Ok(Message::Close(_)) | Err(_) => break,
                Ok(_) => continue,
            };
            let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                continue;
            };
            if v["type"] != "signal" {
                continue;
            }
            if v["from"] != from.as_str() {
                reader_tally.misdelivered.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let data = v["data"].as_str().unwrap_or_default();
            let parts: Vec<u64> = data.split(' ').filter_map(|p| p.parse().ok()).collect();
            let [seq, ph, at] = parts[..] else {
                reader_tally.misdelivered.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            if seq != next {
                reader_tally.out_of_order.fetch_add(1, Ordering::Relaxed);
            }
            next = seq + 1;
            let delay = (start.elapsed().as_micros() as u64).saturating_sub(at);
            reader_tally.delays.lock().push((ph as usize, delay));
            reader_tally.received.fetch_add(1, Ordering::Relaxed);
        }
        // The stream ended: only the end of the benchmark may do that.
        if !finished.is_cancelled() {
            reader_tally.closed.fetch_add(1, Ordering::Relaxed);
        }
    });
    let mut tick = tokio::time::interval(GOOD_EVERY);
    let mut seq = 0u64;
    while !stop.is_cancelled() {
        tick.tick().await;
        let data = format!(
            "{seq} {} {}",
            phase.load(Ordering::Relaxed),
            start.elapsed().as_micros()
        );
        let msg = json!({"type": "signal", "to": other, "data": data});
        if sink.send(Message::text(msg.to_string())).await.is_err() {
            tally.closed.fetch_add(1, Ordering::Relaxed);
            break;
        }
        seq += 1;
        tally.sent.fetch_add(1, Ordering::Relaxed);
    }
    // Give the last signals time to land, then close (the reader counts one close each).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = sink.close().await;
    let _ = tokio::time::timeout(Duration::from_secs(3), reader).await;
    seq
}

async fn good_pair_start(addr: SocketAddr) -> anyhow::Result<(Ws, String, Ws, String)> {
    let good: IpAddr = "127.0.0.1".parse()?;
    let mut a = ws_from(good, addr).await?;
    let a_id = until_type(&mut a, "welcome", Duration::from_secs(10))
        .await
        .context("welcome")?["peer_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    send(&mut a, json!({"type": "create-room", "name": "good pair"})).await;
    let room = until_type(&mut a, "room-created", Duration::from_secs(10))
        .await
        .context("room")?["room"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    send(&mut a, json!({"type": "join", "room": room, "name": "A"})).await;
    until_type(&mut a, "existing-peers", Duration::from_secs(10))
        .await
        .context("join")?;
    let mut b = ws_from(good, addr).await?;
    let b_id = until_type(&mut b, "welcome", Duration::from_secs(10))
        .await
        .context("welcome")?["peer_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    send(&mut b, json!({"type": "join", "room": room, "name": "B"})).await;
    until_type(&mut b, "existing-peers", Duration::from_secs(10))
        .await
        .context("join")?;
    until_type(&mut a, "peer-joined", Duration::from_secs(10))
        .await
        .context("peer-joined")?;
    Ok((a, a_id, b, b_id))
}

// The attacker -------------------------------------------------------------------------------

/// What one attack class did.
#[derive(Default)]
struct Ops(AtomicU64);

impl Ops {
    fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn attacker() -> IpAddr {
    IpAddr::from([127, 0, 0, 2])
}

async fn raw_request(addr: SocketAddr, req: &str, wait: Duration) -> Option<(u16, TcpStream)> {
    let mut tcp = tcp_from(attacker(), addr).await.ok()?;
    tcp.write_all(req.as_bytes()).await.ok()?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match tokio::time::timeout(wait, tcp.read(&mut byte)).await {
            Ok(Ok(1)) => head.push(byte[0]),
            _ => break,
        }
    }
    let status = String::from_utf8_lossy(&head)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Some((status, tcp))
}

fn upgrade(headers: &[String]) -> String {
    let mut req = String::from(
        "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
    );
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    req
}

fn masked(first: u8, payload: &[u8], mask_it: bool) -> Vec<u8> {
    let mask = [7u8, 1, 9, 3];
    let mut out = vec![first, if mask_it { 0x80 } else { 0 } | payload.len() as u8];
    if mask_it {
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// One attack class until `until`.
async fn attack(class: usize, addr: SocketAddr, until: Instant, ops: &Ops) -> anyhow::Result<()> {
    match class {
        0 => foreign_origins(addr, until, ops).await,
        1 => broken_framing(addr, until, ops).await,
        2 => bad_json(addr, until, ops).await,
        3 => room_logic(addr, until, ops).await,
        4 => room_lists(addr, until, ops).await,
        5 => floods(addr, until, ops).await,
        6 => stopped_readers(addr, until, ops).await,
        7 => vanished_clients(addr, until, ops).await,
        _ => exhaustion(addr, until, ops).await,
    }
}

/// Foreign origins: DNS rebinding, other schemes and ports, two origins, foreign Host.
async fn foreign_origins(addr: SocketAddr, until: Instant, ops: &Ops) -> anyhow::Result<()> {
    let port = addr.port();
    let variants = [
        vec![
            format!("Host: evil.example:{port}"),
            format!("Origin: http://evil.example:{port}"),
        ],
        vec![
            format!("Host: {addr}"),
            format!("Origin: evil://127.0.0.1:{port}"),
        ],
        vec![
            format!("Host: {addr}"),
            format!("Origin: http://{addr}"),
            "Origin: http://evil.example".into(),
        ],
        vec![format!("Host: evil.example:{port}")],
    ];
    let mut i = 0;
    while Instant::now() < until {
        raw_request(
            addr,
            &upgrade(&variants[i % variants.len()]),
            Duration::from_secs(2),
        )
        .await;
        i += 1;
        ops.add();
    }
    Ok(())
}

/// Broken framing: unmasked, stray continuation, reserved opcode and bit, bad UTF-8.
async fn broken_framing(addr: SocketAddr, until: Instant, ops: &Ops) -> anyhow::Result<()> {
    let frames = [
        masked(0x81, br#"{"type":"ping"}"#, false),
        masked(0x80, b"x", true),
        masked(0x83, b"x", true),
        masked(0xC1, b"{}", true),
        masked(0x81, &[0xff, 0xfe], true),
    ];
    let mut i = 0;
    while Instant::now() < until {
        let req = upgrade(&[format!("Host: {addr}")]);
        if let Some((101, mut tcp)) = raw_request(addr, &req, Duration::from_secs(2)).await {
            let _ = tcp.write_all(&frames[i % frames.len()]).await;
            let mut sink = [0u8; 4096];
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while tcp.read(&mut sink).await.unwrap_or(0) > 0 {}
            })
            .await;
        }
        i += 1;
        ops.add();
    }
    Ok(())
}

/// Bad JSON as fast as it goes, until the flood limit closes it; again.
async fn bad_json(addr: SocketAddr, until: Instant, ops: &Ops) -> anyhow::Result<()> {
    let junk = [
        "{not json".to_string(),
        r#"{"type":"teleport"}"#.to_string(),
        r#"{"type":"join","room":5}"#.to_string(),
        format!(
            r#"{{"type":"chat","id":"x","text":"{}"}}"#,
            "a".repeat(5000)
        ),
        "[".repeat(200),
    ];
    while Instant::now() < until {
        let Ok(mut ws) = ws_from(attacker(), addr).await else {
            continue;
        };
        let mut i = 0;
        while Instant::now() < until {
            if ws
                .send(Message::text(junk[i % junk.len()].clone()))
                .await
                .is_err()
            {
                break;
            }
            i += 1;
            ops.add();
            if i % 50 == 0 {
                // Read a little, so the refusals and the close get through.
                next_json(&mut ws, Duration::from_millis(1)).await;
            }
        }
    }
    Ok(())
}

/// Room logic: passcode guessing over fresh sockets, recreate hijacks, a room flood,
/// text that breaks the rules.
async fn room_logic(addr: SocketAddr, until: Instant, ops: &Ops) -> anyhow::Result<()> {
    let Ok(mut owner) = ws_from(IpAddr::from([127, 0, 0, 3]), addr).await else {
        return Ok(());
    };
    send(
        &mut owner,
        json!({"type": "create-room", "name": "locked", "passcode": "7391", "listed": false}),
    )
    .await;
    let room = until_type(&mut owner, "room-created", Duration::from_secs(5))
        .await
        .map(|v| v["room"]["id"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    send(
        &mut owner,
        json!({"type": "join", "room": room, "name": "owner", "passcode": "7391"}),
    )
    .await;
    let mut guess = 0u32;
    while Instant::now() < until {
        let Ok(mut ws) = ws_from(attacker(), addr).await else {
            continue;
        };
        for _ in 0..10 {
            let msgs = [
                json!({"type": "join", "room": room, "name": "g", "passcode": format!("{guess:04}")}),
                json!({"type": "join", "room": room, "name": "g", "passcode": "x",
                           "recreate": {"name": "hijacked", "token": "lAAAA"}}),
                json!({"type": "create-room", "name": "spam"}),
                json!({"type": "create-room", "name": "\u{202E}evil"}),
                json!({"type": "chat", "id": "a\u{0}\nb", "text": "x"}),
            ];
            for m in msgs {
                send(&mut ws, m).await;
                next_json(&mut ws, Duration::from_secs(1)).await;
                ops.add();
            }
            guess += 1;
        }
    }
    Ok(())
}

/// Many rooms (from 20 addresses, 64 each), then sockets asking for the list 40 times
/// at once, and a watcher that never reads.
async fn room_lists(addr: SocketAddr, until: Instant, ops: &Ops) -> anyhow::Result<()> {
    let mut makers = Vec::new();
    for i in 0..20u8 {
        let Ok(mut ws) = ws_from(IpAddr::from([127, 0, 1, i + 1]), addr).await else {
            continue;
        };
        for r in 0..64 {
            send(
                &mut ws,
                json!({"type": "create-room", "name": format!("r{i:02}-{r:02}")}),
            )
            .await;
        }
        makers.push(ws);
    }
    for ws in makers.iter_mut() {
        for _ in 0..64 {
            next_json(ws, Duration::from_secs(2)).await;
        }
    }
    let mut watcher = ws_from(attacker(), addr).await?;
    send(&mut watcher, json!({"type": "list-rooms", "watch": true})).await;
    while Instant::now() < until {
        let mut askers = Vec::new();
        for _ in 0..2 {
            if let Ok(mut ws) = ws_from(attacker(), addr).await {
                for _ in 0..40 {
                    send(&mut ws, json!({"type": "list-rooms"})).await;
                    ops.add();
                }
                askers.push(ws);
            }
        }
        for ws in askers.iter_mut() {
            for _ in 0..40 {
                if next_json(ws, Duration::from_secs(2)).await.is_none() {
                    break;
                }
            }
        }
        // Changes the watcher never reads.
        if let Some(ws) = makers.first_mut() {
            send(ws, json!({"type": "list-rooms"})).await;
            next_json(ws, Duration::from_secs(1)).await;
        }
    }
    drop(watcher);
    Ok(())
}

/// Message floods and control-frame floods, until closed; again.
async fn floods(addr: SocketAddr, until: Instant, ops: &Ops) -> anyhow::Result<()> {
    let mut i = 0u64;
    while Instant::now() < until {
        let Ok(mut ws) = ws_from(attacker(), addr).await else {
            continue;
        };
        while Instant::now() < until {
            let frame = if i % 2 == 0 {
                Message::Ping(vec![1, 2, 3].into())
            } else {
                Message::text(json!({"type": "ping", "nonce": i}).to_string())
            };
            i += 1;
            ops.add();
            if ws.send(frame).await.is_err() {
                break;
            }
        }
    }
    Ok(())
}

/// Readers that stop reading: a WebSocket peer and an event-stream peer in the
/// attacker's room, sent 32 KiB signals until the host drops them; a lobby watcher.
async fn stopped_readers(addr: SocketAddr, until: Instant, ops: &Ops) -> anyhow::Result<()> {
    let big = "s".repeat(32 * 1024);
    while Instant::now() < until {
        let mut sender = ws_from(attacker(), addr).await?;
        let id_of = |v: Option<Value>| {
            v.map(|v| v["peer_id"].as_str().unwrap_or_default().to_string())
                .unwrap_or_default()
        };
        until_type(&mut sender, "welcome", Duration::from_secs(5)).await;
        send(&mut sender, json!({"type": "create-room", "name": "sink"})).await;
        let room = until_type(&mut sender, "room-created", Duration::from_secs(5))
            .await
            .map(|v| v["room"]["id"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        send(
            &mut sender,
            json!({"type": "join", "room": room, "name": "s"}),
        )
        .await;
        until_type(&mut sender, "existing-peers", Duration::from_secs(5)).await;
        let mut stalled = ws_from(attacker(), addr).await?;
        let stalled_id = id_of(until_type(&mut stalled, "welcome", Duration::from_secs(5)).await);
        send(
            &mut stalled,
            json!({"type": "join", "room": room, "name": "z"}),
        )
        .await;
        until_type(&mut stalled, "existing-peers", Duration::from_secs(5)).await;
        let mut watcher = ws_from(attacker(), addr).await?;
        send(&mut watcher, json!({"type": "list-rooms", "watch": true})).await;
        // The stalled peer never reads again.
        let mut n = 0;
        while Instant::now() < until && n < 2000 {
            let msg = json!({"type": "signal", "to": stalled_id, "data": big});
            if !send(&mut sender, msg).await {
                break;
            }
            n += 1;
            ops.add();
            if n % 16 == 0 {
                send(&mut sender, json!({"type": "ping"})).await;
                let reply = next_json(&mut sender, Duration::from_secs(2)).await;
                if reply.is_some_and(|r| r["type"] == "peer-left") {
                    break;
                }
            }
        }
        drop((stalled, watcher));
    }
    Ok(())
}

/// Vanished clients: event-stream sessions that never post, half-open requests, and
/// connections that never send a byte.
async fn vanished_clients(addr: SocketAddr, until: Instant, ops: &Ops) -> anyhow::Result<()> {
    let mut held = Vec::new();
    while Instant::now() < until && held.len() < 300 {
        let which = held.len() % 3;
        let req = match which {
            0 => format!("GET /events HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
            1 => format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n"),
            _ => String::new(),
        };
        if let Ok(mut tcp) = tcp_from(attacker(), addr).await {
            let _ = tcp.write_all(req.as_bytes()).await;
            held.push(tcp);
            ops.add();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(until.saturating_duration_since(Instant::now())).await;
    Ok(())
}

/// Connection exhaustion from one address: sessions until refused, then requests.
async fn exhaustion(addr: SocketAddr, until: Instant, ops: &Ops) -> anyhow::Result<()> {
    let mut held = Vec::new();
    while Instant::now() < until && held.len() < 400 {
        match ws_from(attacker(), addr).await {
            Ok(ws) => held.push(ws),
            Err(_) => {
                ops.add();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        ops.add();
    }
    tokio::time::sleep(until.saturating_duration_since(Instant::now())).await;
    Ok(())
}

// The run ------------------------------------------------------------------------------------

/// Every attack class in turn, each for `args.attack_secs`, with `phase` naming the one under
/// way (1-based; one past the last when done). Returns each class's operation count.
async fn attack_all(addr: SocketAddr, args: &AbuseArgs, phase: &AtomicUsize) -> Vec<u64> {
    let mut ops = Vec::new();
    for (i, name) in CLASSES.iter().enumerate() {
        phase.store(i + 1, Ordering::Relaxed);
        eprintln!("abuse: {name}");
        let counter = Ops::default();
        let until = Instant::now() + Duration::from_secs_f64(args.attack_secs);
        let bound = Duration::from_secs_f64(args.attack_secs + 20.0);
        match tokio::time::timeout(bound, attack(i, addr, until, &counter)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("abuse: {name}: {err:#}"),
            Err(_) => eprintln!("abuse: {name} overran"),
        }
        ops.push(counter.0.load(Ordering::Relaxed));
    }
    phase.store(CLASSES.len() + 1, Ordering::Relaxed);
    ops
}

/// The good peers' signal delays (phase, µs) of the phases `filter` keeps, summed up.
fn delay_summary(delays: &[(usize, u64)], filter: &dyn Fn(usize) -> bool) -> Value {
    let mut d: Vec<u64> = delays
        .iter()
        .filter(|(p, _)| filter(*p))
        .map(|(_, d)| *d)
        .collect();
    d.sort_unstable();
    let pct = |q: f64| {
        if d.is_empty() {
            0.0
        } else {
            d[((d.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0
        }
    };
    json!({"signals": d.len(), "p50_ms": pct(0.5), "p99_ms": pct(0.99),
           "max_ms": d.last().map_or(0.0, |m| *m as f64 / 1000.0),
           "late": d.iter().filter(|x| **x > LATE.as_micros() as u64).count()})
}

async fn bench(addr: SocketAddr, args: &AbuseArgs) -> anyhow::Result<Value> {
    let (a, a_id, b, b_id) = good_pair_start(addr).await?;
    let _ = (&a_id, &b_id);
    let phase = Arc::new(AtomicUsize::new(0));
    let tally = Arc::new(Tally::default());
    let stop = tokio_util::sync::CancellationToken::new();
    let start = Instant::now();
    let sa = tokio::spawn(good_side(
        a,
        b_id.clone(),
        phase.clone(),
        tally.clone(),
        stop.clone(),
        start,
    ));
    let sb = tokio::spawn(good_side(
        b,
        a_id,
        phase.clone(),
        tally.clone(),
        stop.clone(),
        start,
    ));
    tokio::time::sleep(Duration::from_secs_f64(args.quiet_secs)).await;
    let ops = attack_all(addr, args, &phase).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.cancel();
    let sent = sa.await? + sb.await?;
    let delays = tally.delays.lock().clone();
    let summary = |filter: &dyn Fn(usize) -> bool| delay_summary(&delays, filter);
    let classes: Vec<Value> = CLASSES
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut s = summary(&|p| p == i + 1);
            s["class"] = json!(name);
            s["attacker_ops"] = json!(ops[i]);
            s
        })
        .collect();
    let received = tally.received.load(Ordering::Relaxed);
    Ok(json!({
        "quiet": summary(&|p| p == 0),
        "attack": summary(&|p| p >= 1 && p <= CLASSES.len()),
        "classes": classes,
        "sent": sent,
        "received": received,
        "lost": sent.saturating_sub(received),
        "misdelivered": tally.misdelivered.load(Ordering::Relaxed),
        "out_of_order": tally.out_of_order.load(Ordering::Relaxed),
        "closed_early": tally.closed.load(Ordering::Relaxed),
        "quiet_secs": args.quiet_secs,
        "attack_secs": args.attack_secs,
    }))
}

fn markdown(r: &Value) -> String {
    let row = |name: &str, s: &Value| {
        format!(
            "| {name} | {} | {:.1} | {:.1} | {:.1} |\n",
            s["signals"],
            s["p50_ms"].as_f64().unwrap_or(0.0),
            s["p99_ms"].as_f64().unwrap_or(0.0),
            s["max_ms"].as_f64().unwrap_or(0.0)
        )
    };
    let mut out = String::from(
        "\n## Under attack (`moim-bench abuse`)\n\n\
         Two good peers in one room exchange 10 signals a second each way, first in quiet, \
         then while one client on other loopback addresses runs every attack class of issue 12 \
         in turn against the release host (each class for the time given below). Delay is \
         from send to receipt, host included.\n\n\
         | phase | good signals | p50 ms | p99 ms | max ms |\n| --- | --- | --- | --- | --- |\n",
    );
    out.push_str(&row("quiet", &r["quiet"]));
    out.push_str(&row("**during the attacks**", &r["attack"]));
    for c in r["classes"].as_array().into_iter().flatten() {
        out.push_str(&row(
            &format!(
                "{} ({} attacker operations)",
                c["class"].as_str().unwrap_or("?"),
                c["attacker_ops"]
            ),
            c,
        ));
    }
    out.push_str(&format!(
        "\nGood signals sent {}, received {}, lost {}, misdelivered {}, out of order {}; \
         good peers closed early: {}; {} s quiet, {} s per attack class.\n",
        r["sent"],
        r["received"],
        r["lost"],
        r["misdelivered"],
        r["out_of_order"],
        r["closed_early"],
        r["quiet_secs"],
        r["attack_secs"]
    ));
    out
}
