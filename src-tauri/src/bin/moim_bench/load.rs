//! The load: R rooms × P peers of real WebSocket clients on loopback, driven through phases.
//!
//! 1. connect every peer and read `welcome`;
//! 2. the first peer of every room sends `create-room`; then P waves of `join`, where every
//!    room's next peer joins at once (join latency: `join` written → `existing-peers` read);
//! 3. a negotiation burst: every peer sends every room-mate an offer or answer and four
//!    candidates at once;
//! 4. a paced phase: a fixed total rate spread evenly over all peers (relay latency: written by
//!    the sender → read by the target, both in this process, on one clock);
//! 5. saturation: every peer keeps a window of messages in flight, and received/s is counted
//!    over a fixed window after a warm-up;
//! 6. the check: for every sender and target pair, messages sent = messages received, in
//!    order, at exactly the target, with the body intact.
//!
//! Against the echo floor the same code runs without rooms: every message is addressed to its
//! own sender, which the echo server sends back.
//!
//! Against the seeds' servers (bench/seeds/) the same phases run over Socket.IO: `sio` holds the
//! Engine.IO v4 / Socket.IO v5 framing (open packet, connect, events, ping/pong); the rooms,
//! signals, pacing, windows and checks are the same code.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use crate::payload::{Dialect, Kind, Mix, Payloads, Stamp};
use crate::sio;
use crate::stats::{rss_kib, CpuMeter, Histogram, Latency};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Phase tags carried in every signal's header.
const PHASE_NEGOTIATE: u8 = 0;
const PHASE_PACED: u8 = 1;
const PHASE_SATURATE: u8 = 2;
const PHASE_WARMUP: u8 = 3;

/// How long any one step may take before the run gives up on it.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the in-flight messages may take to arrive after a phase ends.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);

/// What the load runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// A moim host: rooms, joins, relays.
    Host,
    /// The echo floor: every frame comes back to its sender.
    Echo,
    /// Seed a's Express + Socket.IO server (bench/seeds/node).
    Node,
    /// Seed b's Flask-SocketIO server on eventlet (bench/seeds/flask).
    Flask,
}

impl Target {
    /// Whether peers join rooms and relay to each other (everything but the echo floor).
    pub fn rooms(self) -> bool {
        self != Target::Echo
    }

    /// The Socket.IO spelling, for the seeds' servers.
    pub fn dialect(self) -> Option<Dialect> {
        match self {
            Target::Node => Some(Dialect::Node),
            Target::Flask => Some(Dialect::Flask),
            Target::Host | Target::Echo => None,
        }
    }

    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Target::Host => "moim",
            Target::Echo => "echo floor",
            Target::Node => "Node seed",
            Target::Flask => "Flask seed",
        }
    }
}

/// One run's shape.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `ws://127.0.0.1:<port>/ws`.
    pub url: String,
    /// Host or echo.
    pub target: Target,
    /// Rooms.
    pub rooms: usize,
    /// Peers per room.
    pub peers: usize,
    /// Paced phase: messages per second, all peers together.
    pub pace_rate: f64,
    /// Paced phase: how long.
    pub pace: Duration,
    /// Saturation: warm-up before counting.
    pub sat_warmup: Duration,
    /// Saturation: the counting window.
    pub sat: Duration,
    /// Saturation: messages each peer keeps in flight, one saturation phase per window.
    pub windows: Vec<u32>,
    /// Saturation: which messages.
    pub sat_mix: Mix,
    /// The server's pid, for RSS and CPU.
    pub server_pid: Option<u32>,
    /// Connections opened at once.
    pub connect_parallel: usize,
}

/// One saturation phase: every peer keeps `window` signals in flight.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Saturation {
    /// Signals in flight per peer.
    pub window: u32,
    /// Signals received per second.
    pub rate: f64,
    /// Latency (queueing included; for context).
    pub latency: Latency,
    /// Server CPU (% of one core).
    pub server_cpu: Option<f64>,
    /// Server CPU per relayed signal, µs.
    pub server_us_per_msg: Option<f64>,
    /// This load generator's CPU (% of one core).
    pub client_cpu: Option<f64>,
}

/// Everything one run measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoadResult {
    /// `host` or `echo`.
    pub target: Option<Target>,
    /// Rooms.
    pub rooms: usize,
    /// Peers per room.
    pub peers: usize,
    /// Open WebSockets.
    pub connections: usize,
    /// Time to open every connection and read its `welcome`.
    pub connect_secs: f64,
    /// Join → `existing-peers`, with every room's next peer joining at once.
    pub join: Option<Latency>,
    /// The negotiation burst: latency and how long it took to deliver it all.
    pub negotiate: Latency,
    /// Messages in the burst.
    pub negotiate_msgs: u64,
    /// Seconds until the burst was delivered.
    pub negotiate_secs: f64,
    /// Paced relay latency.
    pub paced: Latency,
    /// Messages per second actually sent in the paced phase.
    pub paced_rate: f64,
    /// Server CPU during the paced phase (% of one core).
    pub paced_server_cpu: Option<f64>,
    /// Messages received per second at saturation.
    pub saturation_rate: f64,
    /// Latency at saturation (queueing included; for context).
    pub saturation_latency: Latency,
    /// Which messages saturation sent.
    pub saturation_mix: Option<Mix>,
    /// Messages in flight per peer at saturation.
    pub saturation_window: u32,
    /// Mean client frame size at saturation, bytes.
    pub saturation_frame_bytes: f64,
    /// Server CPU at saturation (% of one core).
    pub saturation_server_cpu: Option<f64>,
    /// Server CPU per relayed message at saturation, µs.
    pub saturation_server_us_per_msg: Option<f64>,
    /// This load generator's CPU at saturation (% of one core).
    pub saturation_client_cpu: Option<f64>,
    /// Server RSS before any connection, KiB.
    pub rss_idle_kib: Option<u64>,
    /// Server RSS with every peer connected, KiB.
    pub rss_connected_kib: Option<u64>,
    /// Server RSS with every peer joined, KiB.
    pub rss_joined_kib: Option<u64>,
    /// Server RSS after all the traffic, KiB.
    pub rss_after_kib: Option<u64>,
    /// (joined − idle) / connections, KiB.
    pub rss_per_peer_kib: Option<f64>,
    /// (after traffic − idle) / connections, KiB.
    pub rss_per_peer_after_kib: Option<f64>,
    /// Signals sent.
    pub sent: u64,
    /// Signals received (at the right target, intact, in order or not).
    pub received: u64,
    /// Sum over sender→target pairs of sent − received.
    pub lost: u64,
    /// Signals that reached a peer they were not addressed to, or with the wrong sender.
    pub misdelivered: u64,
    /// Signals whose body changed on the way.
    pub corrupt: u64,
    /// Signals out of order (or duplicated) within a pair.
    pub out_of_order: u64,
    /// Sockets that closed before the end.
    pub unexpected_closes: u64,
    /// `error` messages from the server.
    pub errors: u64,
    /// The first few of them, and other anomalies.
    pub error_samples: Vec<String>,
    /// Warnings in the server's log.
    pub server_warnings: Vec<String>,
    /// Every saturation phase, one per window (the `saturation_*` fields repeat the last).
    #[serde(default)]
    pub saturations: Vec<Saturation>,
    /// Why the run stopped before the end (a server that could not hold the load).
    #[serde(default)]
    pub failure: Option<String>,
}

impl LoadResult {
    /// True when every signal reached exactly its target, once, intact and in order.
    pub fn correct(&self) -> bool {
        self.lost == 0
            && self.misdelivered == 0
            && self.corrupt == 0
            && self.out_of_order == 0
            && self.unexpected_closes == 0
            && self.errors == 0
            && self.sent > 0
    }
}

/// What a peer's writer task is told to do.
enum Cmd {
    /// Send this text as is.
    Text(String),
    /// Join this room (the send time is recorded).
    Join(Arc<str>),
    /// Answer a Socket.IO ping, if one is still due.
    Pong,
    /// Send the next signal of the paced phase.
    Next(u8, Mix),
    /// Send every room-mate an offer or answer and four candidates.
    Negotiate,
    /// Keep `window` signals in flight until `stop`.
    Saturate(u32, Mix, CancellationToken),
    /// Close the socket.
    Close,
}

/// State every peer task shares, indexed by the peer's global index `g = room * P + k`.
struct Shared {
    target: Target,
    p: usize,
    epoch: Instant,
    payloads: Payloads,
    ids: Vec<OnceLock<String>>,
    rooms: Vec<OnceLock<Arc<str>>>,
    /// `[src * P + k_dst]`: signals sent from `src` to its room-mate `k_dst`.
    sent: Vec<AtomicU64>,
    /// `[dst * P + k_src]`: signals `dst` received from its room-mate `k_src`.
    recv: Vec<AtomicU64>,
    inflight: Vec<AtomicU32>,
    wake: Vec<Notify>,
    /// A Socket.IO ping arrived and its pong is not yet written.
    pong_due: Vec<AtomicBool>,
    window: AtomicU32,
    sat_phase: AtomicU8,
    sent_total: AtomicU64,
    /// Writers inside a saturation loop.
    saturating: AtomicUsize,
    received_total: AtomicU64,
    join_sent_ns: Vec<AtomicU64>,
    joined: AtomicUsize,
    peer_joined: AtomicUsize,
    rooms_created: AtomicUsize,
    hist: [Histogram; 4],
    join_hist: Histogram,
    misdelivered: AtomicU64,
    corrupt: AtomicU64,
    out_of_order: AtomicU64,
    errors: AtomicU64,
    unexpected_closes: AtomicU64,
    readers_done: AtomicUsize,
    closing: AtomicBool,
    samples: Mutex<Vec<String>>,
}

impl Shared {
    /// The joiner's list of who was already in the room arrived.
    fn on_peer_list(&self, me: usize, others: usize) {
        let now = self.now_ns();
        let sent = self.join_sent_ns[me].load(Ordering::Acquire);
        self.join_hist.record(now.saturating_sub(sent));
        if others != me % self.p {
            self.note(format!(
                "peer {me}: the peer list holds {others}, expected {}",
                me % self.p
            ));
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        self.joined.fetch_add(1, Ordering::Release);
    }

    /// A Socket.IO packet that is not a signal: the handshake, a ping, the room events.
    fn on_sio_control(
        &self,
        me: usize,
        text: &str,
        tx: &mpsc::UnboundedSender<Cmd>,
        welcome: &mut Option<oneshot::Sender<()>>,
    ) {
        match sio::classify(text) {
            sio::Packet::Open => {
                let _ = tx.send(Cmd::Text(sio::CONNECT.into()));
            }
            sio::Packet::Ping => {
                self.pong_due[me].store(true, Ordering::Release);
                let _ = tx.send(Cmd::Pong);
                // A writer inside a saturation loop answers it there.
                self.wake[me].notify_one();
            }
            sio::Packet::Connected(sid) => {
                let _ = self.ids[me].set(sid);
                if let Some(tx) = welcome.take() {
                    let _ = tx.send(());
                }
            }
            sio::Packet::Event(name, args) => match name.as_str() {
                "existing-users" => {
                    let others = args.first().and_then(|a| a.as_array()).map_or(0, Vec::len);
                    self.on_peer_list(me, others);
                }
                "user-joined" => {
                    self.peer_joined.fetch_add(1, Ordering::Release);
                }
                "user-left" => {}
                _ => self.note(format!("peer {me}: unexpected event {text:.120}")),
            },
            sio::Packet::Other => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                self.note(format!("peer {me}: unexpected packet {text:.120}"));
            }
        }
    }

    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    fn note(&self, what: String) {
        let mut s = self.samples.lock();
        if s.len() < 8 {
            s.push(what);
        }
    }

    fn id(&self, g: usize) -> &str {
        self.ids[g].get().map_or("", String::as_str)
    }

    /// Build the signal from `g` to its room-mate `k_dst` and count it as sent.
    fn signal(&self, g: usize, k_dst: usize, phase: u8, kind: Kind) -> Message {
        let room = g / self.p;
        let dst = if self.target.rooms() {
            room * self.p + k_dst
        } else {
            g
        };
        let seq = self.sent[g * self.p + k_dst].fetch_add(1, Ordering::Relaxed);
        self.inflight[g].fetch_add(1, Ordering::Relaxed);
        self.sent_total.fetch_add(1, Ordering::Relaxed);
        let (to, now) = (self.id(dst), self.now_ns());
        let stamp = Stamp {
            phase,
            src: g,
            dst,
            seq,
            sent_ns: now,
            kind,
        };
        let frame = match self.target.dialect() {
            None => self.payloads.frame(to, stamp),
            Some(d) => self.payloads.sio_frame(d, to, stamp),
        };
        Message::text(frame)
    }

    /// The room-mate a sender's `n`-th message goes to (itself against the echo).
    fn mate(&self, g: usize, n: u64) -> usize {
        let k = g % self.p;
        if self.target.rooms() {
            (k + 1 + (n % (self.p as u64 - 1)) as usize) % self.p
        } else {
            k
        }
    }

    fn on_signal(&self, me: usize, text: &str) -> bool {
        let parsed = match self.target.dialect() {
            None => self.payloads.parse(text),
            Some(d) => self.payloads.parse_sio(d, text),
        };
        let Some(h) = parsed else {
            return false;
        };
        let now = self.now_ns();
        if h.src >= self.ids.len() || h.dst != me {
            self.misdelivered.fetch_add(1, Ordering::Relaxed);
            self.note(format!("peer {me} got a signal for {}", h.dst));
            return true;
        }
        let expected_id = if self.target.rooms() {
            self.id(h.src)
        } else {
            self.id(me)
        };
        if h.id != expected_id || (self.target.rooms() && h.src / self.p != me / self.p) {
            self.misdelivered.fetch_add(1, Ordering::Relaxed);
            self.note(format!("peer {me}: signal from {} has id {}", h.src, h.id));
            return true;
        }
        if !h.intact {
            self.corrupt.fetch_add(1, Ordering::Relaxed);
            self.note(format!("peer {me}: body from {} changed", h.src));
        }
        let slot = me * self.p + h.src % self.p;
        if self.recv[slot].fetch_add(1, Ordering::Relaxed) != h.seq {
            self.out_of_order.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(hist) = self.hist.get(usize::from(h.phase)) {
            hist.record(now.saturating_sub(h.sent_ns));
        }
        self.received_total.fetch_add(1, Ordering::Relaxed);
        let window = self.window.load(Ordering::Relaxed);
        if self.inflight[h.src].fetch_sub(1, Ordering::Relaxed) == window / 2 + 1 {
            self.wake[h.src].notify_one();
        }
        true
    }

    fn on_control(&self, me: usize, text: &str, welcome: &mut Option<oneshot::Sender<()>>) {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(text) else {
            self.note(format!("peer {me}: not JSON: {text:.80}"));
            return;
        };
        match msg["type"].as_str().unwrap_or("") {
            "welcome" => {
                let id = msg["peer_id"].as_str().unwrap_or("").to_string();
                let _ = self.ids[me].set(id);
                if let Some(tx) = welcome.take() {
                    let _ = tx.send(());
                }
            }
            "room-created" => {
                let id: Arc<str> = msg["room"]["id"].as_str().unwrap_or("").into();
                let _ = self.rooms[me / self.p].set(id);
                self.rooms_created.fetch_add(1, Ordering::Release);
            }
            "existing-peers" => {
                let others = msg["peers"].as_array().map_or(0, Vec::len);
                self.on_peer_list(me, others);
            }
            "peer-joined" => {
                self.peer_joined.fetch_add(1, Ordering::Release);
            }
            "error" => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                self.note(format!("peer {me}: {text:.160}"));
            }
            _ => {}
        }
    }
}

/// Run the plan against a server that is already listening.
pub async fn run(plan: Plan) -> anyhow::Result<LoadResult> {
    if plan.rooms == 0 || plan.peers < 2 && plan.target.rooms() {
        bail!("a run needs at least one room of two peers");
    }
    let n = plan.rooms * plan.peers;
    let p = plan.peers;
    let shared = new_shared(&plan);
    let pid = plan.server_pid;
    let mut out = LoadResult {
        target: Some(plan.target),
        rooms: plan.rooms,
        peers: p,
        connections: n,
        rss_idle_kib: pid.and_then(rss_kib),
        saturation_mix: Some(plan.sat_mix),
        ..LoadResult::default()
    };

    // 1. Connect.
    let started = Instant::now();
    let txs = connect_all(&shared, &plan).await?;
    out.connect_secs = started.elapsed().as_secs_f64();
    out.rss_connected_kib = pid.and_then(rss_kib);
    eprintln!(
        "  connected {n} in {:.2} s ({:.0}/s)",
        out.connect_secs,
        n as f64 / out.connect_secs
    );

    // 2. Rooms and join waves.
    rooms_and_joins(&shared, &txs, &plan, &mut out).await?;

    // 3. The negotiation burst.
    negotiation(&shared, &txs, &mut out).await;

    // 4. Paced.
    paced_phase(&shared, &txs, &plan, &mut out).await;

    // 5. Saturation, once per window.
    saturation_phases(&shared, &txs, &plan, &mut out).await;

    // 6. The check, then goodbye.
    goodbye(&shared, &txs, &mut out).await;
    Ok(out)
}

/// A peer task's command channel.
type Tx = mpsc::UnboundedSender<Cmd>;

/// The counters and channels every peer task of a run shares.
fn new_shared(plan: &Plan) -> Arc<Shared> {
    let n = plan.rooms * plan.peers;
    let p = plan.peers;
    Arc::new(Shared {
        target: plan.target,
        p,
        epoch: Instant::now(),
        payloads: Payloads::default(),
        ids: (0..n).map(|_| OnceLock::new()).collect(),
        rooms: (0..plan.rooms).map(|_| OnceLock::new()).collect(),
        sent: (0..n * p).map(|_| AtomicU64::new(0)).collect(),
        recv: (0..n * p).map(|_| AtomicU64::new(0)).collect(),
        inflight: (0..n).map(|_| AtomicU32::new(0)).collect(),
        wake: (0..n).map(|_| Notify::new()).collect(),
        pong_due: (0..n).map(|_| AtomicBool::new(false)).collect(),
        window: AtomicU32::new(1),
        sat_phase: AtomicU8::new(PHASE_WARMUP),
        sent_total: AtomicU64::new(0),
        saturating: AtomicUsize::new(0),
        received_total: AtomicU64::new(0),
        join_sent_ns: (0..n).map(|_| AtomicU64::new(0)).collect(),
        joined: AtomicUsize::new(0),
        peer_joined: AtomicUsize::new(0),
        rooms_created: AtomicUsize::new(0),
        hist: Default::default(),
        join_hist: Histogram::default(),
        misdelivered: AtomicU64::new(0),
        corrupt: AtomicU64::new(0),
        out_of_order: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        unexpected_closes: AtomicU64::new(0),
        readers_done: AtomicUsize::new(0),
        closing: AtomicBool::new(false),
        samples: Mutex::new(Vec::new()),
    })
}

/// Create the rooms and join every peer, in waves.
async fn rooms_and_joins(
    shared: &Arc<Shared>,
    txs: &[Tx],
    plan: &Plan,
    out: &mut LoadResult,
) -> anyhow::Result<()> {
    let (n, p, pid) = (out.connections, out.peers, plan.server_pid);
    if plan.target.rooms() {
        out.join = Some(join_waves(shared, txs, plan).await?);
        tokio::time::sleep(Duration::from_millis(500)).await;
        out.rss_joined_kib = pid.and_then(rss_kib);
        if let Some(j) = &out.join {
            eprintln!(
                "  joined in {} waves: p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs",
                p, j.p50_us, j.p99_us, j.p999_us
            );
        }
    } else {
        out.rss_joined_kib = out.rss_connected_kib;
    }
    if let (Some(a), Some(b)) = (out.rss_idle_kib, out.rss_joined_kib) {
        out.rss_per_peer_kib = Some((b as f64 - a as f64) / n as f64);
    }
    Ok(())
}

/// Every pair negotiates at once (offer, answer, candidates).
async fn negotiation(shared: &Arc<Shared>, txs: &[Tx], out: &mut LoadResult) {
    let (n, p) = (out.connections, out.peers);
    let started = Instant::now();
    for tx in txs {
        let _ = tx.send(Cmd::Negotiate);
    }
    drain(shared, (n * (p - 1) * 5) as u64).await;
    out.negotiate_secs = started.elapsed().as_secs_f64();
    out.negotiate_msgs = shared.sent_total.load(Ordering::Relaxed);
    out.negotiate = shared.hist[usize::from(PHASE_NEGOTIATE)].summary();
    eprintln!(
        "  negotiation burst: {} signals delivered in {:.3} s",
        out.negotiate_msgs, out.negotiate_secs
    );
}

/// A paced rate for a while.
async fn paced_phase(shared: &Arc<Shared>, txs: &[Tx], plan: &Plan, out: &mut LoadResult) {
    let pid = plan.server_pid;
    if plan.pace_rate > 0.0 && !plan.pace.is_zero() {
        let before = shared.sent_total.load(Ordering::Acquire);
        let cpu = CpuMeter::start(pid);
        let (issued, rate) = paced(txs, plan).await;
        out.paced_rate = rate;
        out.paced_server_cpu = cpu.percent();
        drain(shared, before + issued).await;
        out.paced = shared.hist[usize::from(PHASE_PACED)].summary();
        eprintln!(
            "  paced {:.0} msg/s: relay p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs",
            out.paced_rate, out.paced.p50_us, out.paced.p99_us, out.paced.p999_us
        );
    }
}

/// Saturation at each window in turn, then the memory after all the traffic.
async fn saturation_phases(shared: &Arc<Shared>, txs: &[Tx], plan: &Plan, out: &mut LoadResult) {
    let (n, pid) = (out.connections, plan.server_pid);
    if !plan.sat.is_zero() {
        for &window in &plan.windows {
            let sat = saturation(shared, txs, plan, window.max(1), pid).await;
            eprintln!(
                "  saturation, window {}: {:.0} msg/s received (server CPU {:.0} %, {:.2} µs/msg; load generator {:.0} %)",
                sat.window,
                sat.rate,
                sat.server_cpu.unwrap_or(f64::NAN),
                sat.server_us_per_msg.unwrap_or(f64::NAN),
                sat.client_cpu.unwrap_or(f64::NAN)
            );
            out.saturation_rate = sat.rate;
            out.saturation_latency = sat.latency;
            out.saturation_window = sat.window;
            out.saturation_server_cpu = sat.server_cpu;
            out.saturation_server_us_per_msg = sat.server_us_per_msg;
            out.saturation_client_cpu = sat.client_cpu;
            out.saturations.push(sat);
        }
        out.saturation_frame_bytes = mean_frame(&shared.payloads, plan.sat_mix);
    }
    out.rss_after_kib = pid.and_then(rss_kib);
    if let (Some(a), Some(b)) = (out.rss_idle_kib, out.rss_after_kib) {
        out.rss_per_peer_after_kib = Some((b as f64 - a as f64) / n as f64);
    }
}

/// Check every signal, then close every peer.
async fn goodbye(shared: &Arc<Shared>, txs: &[Tx], out: &mut LoadResult) {
    let n = out.connections;
    tally(shared, out);
    shared.closing.store(true, Ordering::Release);
    for tx in txs {
        let _ = tx.send(Cmd::Close);
    }
    let _ = wait_for(
        || shared.readers_done.load(Ordering::Acquire) >= n,
        STEP_TIMEOUT,
    )
    .await;
    out.unexpected_closes = shared.unexpected_closes.load(Ordering::Relaxed);
    out.error_samples = shared.samples.lock().clone();
}

/// One saturation phase: every peer keeps `window` signals in flight; received/s and the
/// server's CPU are counted over `plan.sat` after `plan.sat_warmup`.
async fn saturation(
    shared: &Arc<Shared>,
    txs: &[mpsc::UnboundedSender<Cmd>],
    plan: &Plan,
    window: u32,
    pid: Option<u32>,
) -> Saturation {
    let stop = CancellationToken::new();
    shared.window.store(window, Ordering::Relaxed);
    shared.sat_phase.store(PHASE_WARMUP, Ordering::Relaxed);
    for tx in txs {
        let _ = tx.send(Cmd::Saturate(window, plan.sat_mix, stop.clone()));
    }
    tokio::time::sleep(plan.sat_warmup).await;
    shared.sat_phase.store(PHASE_SATURATE, Ordering::Relaxed);
    let server_cpu = CpuMeter::start(pid);
    let client_cpu = CpuMeter::start(Some(std::process::id()));
    let r0 = shared.received_total.load(Ordering::Relaxed);
    let t0 = Instant::now();
    tokio::time::sleep(plan.sat).await;
    let r1 = shared.received_total.load(Ordering::Relaxed);
    let secs = t0.elapsed().as_secs_f64();
    let server_pct = server_cpu.percent();
    let server_secs = server_cpu.secs();
    let client_pct = client_cpu.percent();
    shared.sat_phase.store(PHASE_WARMUP, Ordering::Relaxed);
    stop.cancel();
    let _ = wait_for(
        || shared.saturating.load(Ordering::Acquire) == 0,
        STEP_TIMEOUT,
    )
    .await;
    drain(shared, 0).await;
    let hist = &shared.hist[usize::from(PHASE_SATURATE)];
    let latency = hist.summary();
    hist.reset();
    Saturation {
        window,
        rate: (r1 - r0) as f64 / secs,
        latency,
        server_cpu: server_pct,
        server_us_per_msg: server_secs.map(|s| s * 1e6 / (r1 - r0).max(1) as f64),
        client_cpu: client_pct,
    }
}

/// Mean client frame size of a mix, bytes.
fn mean_frame(payloads: &Payloads, mix: Mix) -> f64 {
    let total: usize = (0..10).map(|i| payloads.frame_len(Kind::nth(mix, i))).sum();
    total as f64 / 10.0
}

fn tally(shared: &Shared, out: &mut LoadResult) {
    let p = shared.p;
    let n = shared.ids.len();
    let mut sent = 0;
    let mut received = 0;
    let mut lost = 0;
    for src in 0..n {
        for k_dst in 0..p {
            let s = shared.sent[src * p + k_dst].load(Ordering::Relaxed);
            if s == 0 {
                continue;
            }
            let dst = if shared.target.rooms() {
                src / p * p + k_dst
            } else {
                src
            };
            let r = shared.recv[dst * p + src % p].load(Ordering::Relaxed);
            sent += s;
            received += r;
            lost += s.saturating_sub(r);
        }
    }
    out.sent = sent;
    out.received = received;
    out.lost = lost;
    out.misdelivered = shared.misdelivered.load(Ordering::Relaxed);
    out.corrupt = shared.corrupt.load(Ordering::Relaxed);
    out.out_of_order = shared.out_of_order.load(Ordering::Relaxed);
    out.errors = shared.errors.load(Ordering::Relaxed);
}

/// Open every connection, a few at a time; each gets a reader and a writer task.
async fn connect_all(
    shared: &Arc<Shared>,
    plan: &Plan,
) -> anyhow::Result<Vec<mpsc::UnboundedSender<Cmd>>> {
    let n = shared.ids.len();
    let config = WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(16 * 1024);
    let mut txs: Vec<Option<mpsc::UnboundedSender<Cmd>>> = (0..n).map(|_| None).collect();
    let mut results = futures_util::stream::iter(0..n)
        .map(|g| {
            let shared = shared.clone();
            let url = plan.url.clone();
            async move {
                let (ws, _) = tokio::time::timeout(
                    STEP_TIMEOUT,
                    tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true),
                )
                .await
                .with_context(|| {
                    format!("peer {g}: no WebSocket handshake within {STEP_TIMEOUT:?}")
                })?
                .with_context(|| format!("connecting peer {g} to {url}"))?;
                let (sink, stream) = ws.split();
                let (welcome_tx, welcome_rx) = oneshot::channel();
                let welcome = if shared.target.rooms() {
                    Some(welcome_tx)
                } else {
                    let _ = shared.ids[g].set(uuid::Uuid::new_v4().to_string());
                    None
                };
                let (tx, rx) = mpsc::unbounded_channel();
                tokio::spawn(reader(shared.clone(), g, stream, welcome, tx.clone()));
                tokio::spawn(writer(shared.clone(), g, sink, rx));
                if shared.target.rooms() {
                    tokio::time::timeout(STEP_TIMEOUT, welcome_rx)
                        .await
                        .context("no welcome (or Socket.IO connect)")?
                        .context("socket closed before welcome")?;
                }
                anyhow::Ok((g, tx))
            }
        })
        .buffer_unordered(plan.connect_parallel.max(1));
    while let Some(r) = results.next().await {
        let (g, tx) = r?;
        txs[g] = Some(tx);
    }
    Ok(txs.into_iter().map(|t| t.expect("every peer")).collect())
}

async fn join_waves(
    shared: &Arc<Shared>,
    txs: &[mpsc::UnboundedSender<Cmd>],
    plan: &Plan,
) -> anyhow::Result<Latency> {
    let (r, p) = (plan.rooms, plan.peers);
    for room in 0..r {
        if plan.target.dialect().is_some() {
            // The seeds' rooms are any name a peer joins.
            let _ = shared.rooms[room].set(format!("bench-{room}").into());
            shared.rooms_created.fetch_add(1, Ordering::Release);
            continue;
        }
        let _ = txs[room * p].send(Cmd::Text(format!(
            r#"{{"type":"create-room","name":"bench {room}"}}"#
        )));
    }
    if !wait_for(
        || shared.rooms_created.load(Ordering::Acquire) >= r,
        STEP_TIMEOUT,
    )
    .await
    {
        bail!(
            "only {} of {r} rooms were created: {:?}",
            shared.rooms_created.load(Ordering::Acquire),
            shared.samples.lock()
        );
    }
    for k in 0..p {
        for room in 0..r {
            let id = shared.rooms[room].get().expect("created").clone();
            let _ = txs[room * p + k].send(Cmd::Join(id));
        }
        let want = r * (k + 1);
        if !wait_for(
            || shared.joined.load(Ordering::Acquire) >= want,
            STEP_TIMEOUT,
        )
        .await
        {
            bail!(
                "join wave {k}: {} of {want} joined: {:?}",
                shared.joined.load(Ordering::Acquire),
                shared.samples.lock()
            );
        }
    }
    let announced = r * p * (p - 1) / 2;
    if !wait_for(
        || shared.peer_joined.load(Ordering::Acquire) >= announced,
        STEP_TIMEOUT,
    )
    .await
    {
        bail!("only {announced} peer-joined notices arrived");
    }
    Ok(shared.join_hist.summary())
}

/// Send `pace_rate` signals a second for `pace`, one sender after another, every room's peer
/// in turn; returns how many and the rate achieved.
async fn paced(txs: &[mpsc::UnboundedSender<Cmd>], plan: &Plan) -> (u64, f64) {
    let (r, p) = (plan.rooms, plan.peers);
    let total = (plan.pace_rate * plan.pace.as_secs_f64()).round() as u64;
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let started = Instant::now();
    let mut sent = 0u64;
    while sent < total {
        tick.tick().await;
        let due = ((started.elapsed().as_secs_f64() * plan.pace_rate) as u64).min(total);
        while sent < due {
            let room = (sent as usize) % r;
            let k = (sent as usize / r) % p;
            let _ = txs[room * p + k].send(Cmd::Next(PHASE_PACED, Mix::Negotiation));
            sent += 1;
        }
    }
    (sent, sent as f64 / started.elapsed().as_secs_f64())
}

/// Wait until the writers have sent at least `expected` signals in all, and every signal sent
/// has arrived (or the drain timeout passes).
async fn drain(shared: &Shared, expected: u64) -> bool {
    let _ = wait_for(
        || shared.sent_total.load(Ordering::Acquire) >= expected,
        STEP_TIMEOUT,
    )
    .await;
    wait_for(
        || {
            shared.received_total.load(Ordering::Acquire)
                + shared.misdelivered.load(Ordering::Acquire)
                >= shared.sent_total.load(Ordering::Acquire)
        },
        DRAIN_TIMEOUT,
    )
    .await
}

/// Poll `done` every 2 ms until it holds or `limit` passes. Only the controller polls; the
/// measured paths never wait on this.
async fn wait_for(done: impl Fn() -> bool, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    true
}

async fn reader(
    shared: Arc<Shared>,
    me: usize,
    mut stream: SplitStream<Ws>,
    mut welcome: Option<oneshot::Sender<()>>,
    tx: mpsc::UnboundedSender<Cmd>,
) {
    while let Some(msg) = stream.next().await {
        match msg {
            Ok(Message::Text(t)) => {
                if shared.on_signal(me, t.as_str()) {
                } else if shared.target.dialect().is_some() {
                    shared.on_sio_control(me, t.as_str(), &tx, &mut welcome);
                } else {
                    shared.on_control(me, t.as_str(), &mut welcome);
                }
            }
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    if !shared.closing.load(Ordering::Acquire) {
        shared.unexpected_closes.fetch_add(1, Ordering::Relaxed);
        shared.note(format!("peer {me}: socket closed early"));
    }
    shared.readers_done.fetch_add(1, Ordering::Release);
}

async fn writer(
    shared: Arc<Shared>,
    g: usize,
    mut sink: SplitSink<Ws, Message>,
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
) {
    let p = shared.p;
    let mut n: u64 = 0;
    while let Some(cmd) = cmds.recv().await {
        let ok = match cmd {
            Cmd::Text(t) => sink.send(Message::text(t)).await.is_ok(),
            Cmd::Pong => {
                !shared.pong_due[g].swap(false, Ordering::AcqRel)
                    || sink.send(Message::text(sio::PONG)).await.is_ok()
            }
            Cmd::Join(room) => {
                let frame = match shared.target.dialect() {
                    None => format!(r#"{{"type":"join","room":"{room}","name":"peer {g}"}}"#),
                    Some(d) => sio::join(d, &room),
                };
                shared.join_sent_ns[g].store(shared.now_ns(), Ordering::Release);
                sink.send(Message::text(frame)).await.is_ok()
            }
            Cmd::Next(phase, mix) => {
                let msg = shared.signal(g, shared.mate(g, n), phase, Kind::nth(mix, n));
                n += 1;
                sink.send(msg).await.is_ok()
            }
            Cmd::Negotiate => {
                let k = g % p;
                let mates: Vec<usize> = if shared.target.rooms() {
                    (0..p).filter(|m| *m != k).collect()
                } else {
                    vec![k; p - 1]
                };
                let mut ok = true;
                for (i, m) in mates.into_iter().enumerate() {
                    let first = if i < k { Kind::Answer } else { Kind::Offer };
                    for j in 0..5 {
                        let kind = if j == 0 { first } else { Kind::Candidate };
                        let msg = shared.signal(g, m, PHASE_NEGOTIATE, kind);
                        ok &= sink.feed(msg).await.is_ok();
                    }
                }
                ok && sink.flush().await.is_ok()
            }
            Cmd::Saturate(window, mix, stop) => {
                shared.saturating.fetch_add(1, Ordering::AcqRel);
                let ok = saturate(&shared, g, &mut sink, &mut n, window, mix, &stop).await;
                shared.saturating.fetch_sub(1, Ordering::AcqRel);
                ok
            }
            Cmd::Close => {
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
        };
        if !ok {
            break;
        }
    }
}

/// Keep `window` signals of this peer in flight until `stop`: top the window up, flush once,
/// and sleep until the receivers have taken half of it.
async fn saturate(
    shared: &Shared,
    g: usize,
    sink: &mut SplitSink<Ws, Message>,
    n: &mut u64,
    window: u32,
    mix: Mix,
    stop: &CancellationToken,
) -> bool {
    while !stop.is_cancelled() {
        if shared.pong_due[g].swap(false, Ordering::AcqRel)
            && sink.send(Message::text(sio::PONG)).await.is_err()
        {
            return false;
        }
        let inflight = shared.inflight[g].load(Ordering::Relaxed);
        if inflight >= window {
            tokio::select! {
                _ = shared.wake[g].notified() => {}
                _ = stop.cancelled() => break,
            }
            continue;
        }
        let phase = shared.sat_phase.load(Ordering::Relaxed);
        for _ in inflight..window {
            let msg = shared.signal(g, shared.mate(g, *n), phase, Kind::nth(mix, *n));
            *n += 1;
            if sink.feed(msg).await.is_err() {
                return false;
            }
        }
        if sink.flush().await.is_err() {
            return false;
        }
    }
    true
}
