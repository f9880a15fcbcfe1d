//! `moim-bench sfu`: the media load generator of the SFU (issue 18, `docs/sfu.md`).
//!
//! One large meeting of M members on the host under test (the release `moim serve`, on
//! 127.0.0.1), each member a real client: a WebSocket session that joins the room and a str0m
//! `Rtc` on a UDP socket of its own that connects to the host's SFU (ICE, DTLS, SRTP) and
//! publishes what a browser publishes: a camera as three simulcast layers of VP8-shaped frames
//! (real VP8 frame tags, keyframes with their size, sent again when the host asks for one, so
//! layer switching is exercised) at 30 frames a second, and a microphone of Opus-sized frames
//! every 20 ms carrying the audio-level header extension: the first `speakers` members speak
//! (−20 dBov), the others are muted (silence frames at −127, as a muted browser still sends).
//! The host forwards every speaker's voice, and silence only of the first 9 of a room's
//! speakers (`SILENCE_OF`): loss is counted of speech. Every member asks (`sfu-view`) for the
//! last `last_n` speakers' cameras at the size of one layer. Each frame carries the member,
//! layer, a counter and the instant it was written, so every receiver measures one-way latency
//! (write → frame out of its own `Rtc`) and loss.
//!
//! The floor (`--target copier`): the same members and the same fan-out (every speaker's voice
//! and the first 9 members' silence to every other member, the chosen layer of the first
//! `last_n` cameras), as plain UDP datagrams of the same sizes through `moim-bench udp-copier`,
//! a process that only copies datagrams: no ICE, no encryption, no RTP. What the SFU adds is
//! the difference.
//!
//! Host CPU is read from `/proc` over the measured window; the load generator's own CPU too
//! (it shares the machine's two cores with the host).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{
    Direction, KeyframeRequest, MediaData, MediaKind, MediaTime, Mid, Rid, Simulcast,
    SimulcastLayer,
};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::process::{Server, LOOPBACK};
use crate::stats::{CpuMeter, Histogram, Latency};

/// A camera's three simulcast layers as a browser sends them (`ui/sfu.js` `LAYERS` of a 720p
/// camera): rid, height, bits a second.
const LAYERS: [(&str, u32, u32); 3] = [
    ("q", 180, 150_000),
    ("h", 360, 500_000),
    ("f", 720, 1_500_000),
];
/// Camera frames a second.
const FPS: u32 = 30;
/// A keyframe is this many times an interframe's size.
const KEYFRAME_TIMES: usize = 4;
/// An audio frame every 20 ms; a speaker's is about 32 kbit/s of Opus.
const AUDIO_EVERY: Duration = Duration::from_millis(20);
const VOICE_BYTES: usize = 80;
/// What every frame carries after its codec header: magic, member, layer, counter, sent at.
const TAG_BYTES: usize = 2 + 2 + 1 + 4 + 8;
/// A muted microphone's frame: just the tag (a browser's silence frames are a few bytes).
const SILENCE_BYTES: usize = TAG_BYTES;
/// Where the tag starts in a camera frame: after the largest VP8 header (a keyframe's 10 bytes).
const TAG_AT: usize = 10;
const MAGIC: [u8; 2] = *b"mb";
/// The layer byte of a voice frame (a speaker's).
const AUDIO_LAYER: u8 = 255;
/// The layer byte of a muted microphone's frame.
const SILENCE_LAYER: u8 = 254;
/// Muted microphones whose silence is forwarded: the host forwards it of the first 9 of a
/// room's speakers (its `SILENCE_FORWARDED_OF`, the default last N), the floor of the first 9
/// members. Only speech counts as voice: its loss is the loss reported.
const SILENCE_OF: usize = moim::protocol::DEFAULT_LAST_N;
/// The most a floor datagram holds (a frame is cut into datagrams of this size, as into RTP
/// packets).
const DATAGRAM: usize = 1_200;

#[derive(Debug, clap::Args)]
pub struct SfuArgs {
    /// What forwards: the host's SFU, the plain UDP copier (the floor), or both (a list), each
    /// room size on each in turn.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "host,copier")]
    target: Vec<SfuTarget>,
    /// The `moim` binary to start as the host.
    #[arg(long, default_value = "target/release/moim")]
    host_bin: PathBuf,
    /// Room sizes to run, one after another, each on a fresh server (a list: `10,30,50`).
    #[arg(long, value_delimiter = ',', default_value = "50")]
    members: Vec<usize>,
    /// Members whose microphone speaks (the others are muted).
    #[arg(long, default_value_t = 3)]
    speakers: usize,
    /// Cameras each member asks for: the last N speakers'.
    #[arg(long, default_value_t = 9)]
    last_n: usize,
    /// The layer each member shows the cameras at.
    #[arg(long, value_enum, default_value = "h")]
    layer: LayerArg,
    /// Seconds after every member is connected before measuring.
    #[arg(long, default_value_t = 5.0)]
    warmup_secs: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    secs: f64,
    /// Write the results here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the report's section here as Markdown (`make bench` appends it).
    #[arg(long)]
    markdown: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SfuTarget {
    Host,
    Copier,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LayerArg {
    Q,
    H,
    F,
}

impl LayerArg {
    fn index(self) -> usize {
        match self {
            LayerArg::Q => 0,
            LayerArg::H => 1,
            LayerArg::F => 2,
        }
    }
}

/// One room size's figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SfuResult {
    pub target: Option<SfuTarget>,
    pub members: usize,
    pub speakers: usize,
    pub last_n: usize,
    pub layer: String,
    pub secs: f64,
    /// Streams forwarded: the voices (of the speakers, and the silence of the first 9) to every
    /// other member, the cameras each asked for.
    pub streams: usize,
    /// Datagrams the members' sockets received a second (media, and RTCP from the host).
    pub delivered_per_sec: f64,
    /// Frames the members received a second (voice and camera).
    pub frames_per_sec: f64,
    /// The forwarder's CPU over the window, % of one core.
    pub host_cpu_percent: f64,
    /// The load generator's own CPU, % of one core.
    pub load_cpu_percent: f64,
    /// Host CPU per forwarded stream, µs of CPU a second.
    pub cpu_us_per_stream: f64,
    /// Datagrams delivered per CPU-second of the forwarder.
    pub delivered_per_cpu_sec: f64,
    /// Frame written by its publisher → frame out of the receiver's stack.
    pub latency: Latency,
    /// Voice frames written in the window times the members who should hear them.
    pub voice_expected: u64,
    pub voice_received: u64,
    /// Silence frames the muted members wrote in the window, and those the members received
    /// (the host forwards the first 9 speakers' silence only: see `SILENCE_OF`).
    pub silence_sent: u64,
    pub silence_received: u64,
    /// Camera frames missing in a layer's sequence at a receiver.
    pub camera_gaps: u64,
    pub camera_frames: u64,
    /// The longest SDP a member said or heard (the host's offers and a member's answers grow
    /// with the room: an m-line per track of every other member).
    pub largest_sdp_bytes: u64,
    /// Why the run did not finish.
    pub failure: Option<String>,
}

/// What every member task shares.
struct Shared {
    epoch: Instant,
    /// The measured window, in ns since `epoch` (`u64::MAX` until it opens and closes): the
    /// frames written in it count.
    window_start: AtomicU64,
    window_end: AtomicU64,
    /// Frames written in the window are counted until this is cleared (a moment after it).
    counting: AtomicBool,
    latency: Histogram,
    datagrams: AtomicU64,
    voice_sent: AtomicU64,
    voice_received: AtomicU64,
    silence_sent: AtomicU64,
    silence_received: AtomicU64,
    camera_frames: AtomicU64,
    camera_gaps: AtomicU64,
    connected: AtomicU64,
    /// The longest SDP any member said or heard.
    largest_sdp: AtomicU64,
}

impl Shared {
    fn new() -> Arc<Shared> {
        Arc::new(Shared {
            epoch: Instant::now(),
            window_start: AtomicU64::new(u64::MAX),
            window_end: AtomicU64::new(u64::MAX),
            counting: AtomicBool::new(true),
            latency: Histogram::default(),
            datagrams: AtomicU64::new(0),
            voice_sent: AtomicU64::new(0),
            voice_received: AtomicU64::new(0),
            silence_sent: AtomicU64::new(0),
            silence_received: AtomicU64::new(0),
            camera_frames: AtomicU64::new(0),
            camera_gaps: AtomicU64::new(0),
            connected: AtomicU64::new(0),
            largest_sdp: AtomicU64::new(0),
        })
    }

    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// Whether a frame written at `sent_ns` was written inside the measured window.
    fn measured(&self, sent_ns: u64) -> bool {
        sent_ns >= self.window_start.load(Ordering::Relaxed)
            && sent_ns < self.window_end.load(Ordering::Relaxed)
    }

    /// A microphone frame was written in the window: speech, or a muted member's silence.
    fn spoke(&self, speech: bool) {
        let count = if speech {
            &self.voice_sent
        } else {
            &self.silence_sent
        };
        count.fetch_add(1, Ordering::Relaxed);
    }
}

/// A frame's tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tag {
    member: u16,
    layer: u8,
    counter: u32,
    sent_ns: u64,
}

impl Tag {
    fn write(&self, out: &mut [u8]) {
        out[..2].copy_from_slice(&MAGIC);
        out[2..4].copy_from_slice(&self.member.to_be_bytes());
        out[4] = self.layer;
        out[5..9].copy_from_slice(&self.counter.to_be_bytes());
        out[9..17].copy_from_slice(&self.sent_ns.to_be_bytes());
    }

    fn read(data: &[u8]) -> Option<Tag> {
        if data.len() < TAG_BYTES || data[..2] != MAGIC {
            return None;
        }
        Some(Tag {
            member: u16::from_be_bytes([data[2], data[3]]),
            layer: data[4],
            counter: u32::from_be_bytes(data[5..9].try_into().ok()?),
            sent_ns: u64::from_be_bytes(data[9..17].try_into().ok()?),
        })
    }
}

/// A VP8-shaped frame of `layer`: a real frame tag (RFC 6386 9.1; a keyframe's start code and
/// size), then the tag, then filler up to the layer's size.
fn camera_frame(layer: usize, key: bool, tag: Tag) -> Vec<u8> {
    let (_, height, bps) = LAYERS[layer];
    let mut size = (bps / 8 / FPS) as usize;
    if key {
        size *= KEYFRAME_TIMES;
    }
    let mut out = vec![0u8; size.max(TAG_AT + TAG_BYTES)];
    let width = height * 16 / 9;
    out[0] = if key { 0x50 } else { 0x51 };
    out[1] = 0x2d;
    out[2] = 0x01;
    if key {
        out[3..6].copy_from_slice(&[0x9d, 0x01, 0x2a]);
        out[6..8].copy_from_slice(&(width as u16).to_le_bytes());
        out[8..10].copy_from_slice(&(height as u16).to_le_bytes());
    }
    tag.write(&mut out[TAG_AT..]);
    out
}

/// The tag's layer of a microphone's frames.
fn voice_layer(speaks: bool) -> u8 {
    if speaks {
        AUDIO_LAYER
    } else {
        SILENCE_LAYER
    }
}

fn voice_frame(speaks: bool, tag: Tag) -> Vec<u8> {
    let mut out = vec![0u8; if speaks { VOICE_BYTES } else { SILENCE_BYTES }];
    tag.write(&mut out);
    out
}

/// What a receiver keeps of each publisher's camera: the last layer and counter seen.
#[derive(Default)]
struct Seen {
    cameras: HashMap<u16, (u8, u32)>,
}

impl Seen {
    /// Count a received frame (its bytes as they came out: `tag_at` where its tag is).
    fn frame(&mut self, shared: &Shared, data: &[u8], tag_at: usize) {
        let Some(tag) = data.get(tag_at..).and_then(Tag::read) else {
            return;
        };
        if !shared.counting.load(Ordering::Relaxed) {
            return;
        }
        let measured = shared.measured(tag.sent_ns);
        if measured {
            shared
                .latency
                .record(shared.now_ns().saturating_sub(tag.sent_ns));
        }
        if tag.layer == AUDIO_LAYER || tag.layer == SILENCE_LAYER {
            if measured {
                let count = if tag.layer == AUDIO_LAYER {
                    &shared.voice_received
                } else {
                    &shared.silence_received
                };
                count.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        if let Some((layer, last)) = self.cameras.insert(tag.member, (tag.layer, tag.counter)) {
            if measured && layer == tag.layer && tag.counter > last + 1 {
                shared
                    .camera_gaps
                    .fetch_add(u64::from(tag.counter - last - 1), Ordering::Relaxed);
            }
        }
        if measured {
            shared.camera_frames.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Which camera layers a member publishes when it is not told otherwise: all three.
fn rids() -> [Rid; 3] {
    LAYERS.map(|(r, _, _)| Rid::from(r))
}

/// The plan of one room.
#[derive(Debug, Clone)]
struct Plan {
    members: usize,
    speakers: usize,
    last_n: usize,
    layer: usize,
    warmup: Duration,
    secs: Duration,
}

pub fn run(args: SfuArgs) -> anyhow::Result<()> {
    let mut results = Vec::new();
    let mut failed = false;
    for (&members, &target) in args
        .members
        .iter()
        .flat_map(|m| args.target.iter().map(move |t| (m, t)))
    {
        let plan = Plan {
            members,
            speakers: args.speakers.min(members),
            last_n: args.last_n,
            layer: args.layer.index(),
            warmup: Duration::from_secs_f64(args.warmup_secs),
            secs: Duration::from_secs_f64(args.secs),
        };
        eprintln!(
            "moim-bench sfu: {target:?}, {members} members, {} speaking, last {} at {}",
            plan.speakers, plan.last_n, LAYERS[plan.layer].0
        );
        let result = match target {
            SfuTarget::Host => run_host(&args.host_bin, &plan),
            SfuTarget::Copier => run_copier(&plan),
        };
        let result = result.unwrap_or_else(|e| {
            failed = true;
            SfuResult {
                failure: Some(format!("{e:#}")),
                ..Default::default()
            }
        });
        let result = SfuResult {
            target: Some(target),
            members,
            speakers: plan.speakers,
            last_n: plan.last_n,
            layer: LAYERS[plan.layer].0.to_string(),
            secs: plan.secs.as_secs_f64(),
            streams: streams(&plan),
            ..result
        };
        println!("{}", summary(&result));
        results.push(result);
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&results)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.markdown {
        let list = |v: Vec<String>| v.join(",");
        let command = format!(
            "moim-bench sfu --target {} --members {} --speakers {} --last-n {} --layer {} --warmup-secs {} --secs {}",
            list(args.target.iter().map(|t| format!("{t:?}").to_lowercase()).collect()),
            list(args.members.iter().map(|m| m.to_string()).collect()),
            args.speakers,
            args.last_n,
            LAYERS[args.layer.index()].0,
            args.warmup_secs,
            args.secs
        );
        std::fs::write(path, markdown(&results, &command))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if failed || results.iter().any(|r| r.voice_received < r.voice_expected) {
        bail!("a run failed or lost voice frames (see above)");
    }
    Ok(())
}

/// Streams forwarded in a room: the speakers' voices and the first 9 members' silence to every
/// other member, and the cameras each asks for (the last N of the others).
fn streams(plan: &Plan) -> usize {
    let m = plan.members;
    let voices = plan.speakers.max(SILENCE_OF).min(m);
    voices * (m - 1) + m * plan.last_n.min(m - 1)
}

pub fn summary(r: &SfuResult) -> String {
    format!(
        "{:?} {} members: {:.0} datagrams/s delivered, {:.0} frames/s, host {:.0} % of a core \
         ({:.1} µs/s per stream, {:.0} datagrams per CPU-second), load {:.0} %, latency p50 \
         {:.2} ms p99 {:.2} ms, voice {}/{}, camera gaps {} of {}{}",
        r.target.unwrap_or(SfuTarget::Host),
        r.members,
        r.delivered_per_sec,
        r.frames_per_sec,
        r.host_cpu_percent,
        r.cpu_us_per_stream,
        r.delivered_per_cpu_sec,
        r.load_cpu_percent,
        r.latency.p50_us / 1e3,
        r.latency.p99_us / 1e3,
        r.voice_received,
        r.voice_expected,
        r.camera_gaps,
        r.camera_frames,
        r.failure
            .as_ref()
            .map(|f| format!(" — FAILED: {f}"))
            .unwrap_or_default()
    )
}

/// The SFU's targets on this machine (issue 18).
const ONE_CORE_PERCENT: f64 = 100.0;
const P99_TARGET_MS: f64 = 5.0;
/// The room size the one-core target is for.
const TARGET_ROOM: usize = 50;

/// The report's section: every run, side by side, and the verdicts.
pub fn markdown(results: &[SfuResult], command: &str) -> String {
    let mut md = String::from("\n## The SFU's forwarding (`moim-bench sfu`)\n\n");
    md.push_str(
        "One large meeting of M str0m clients on 127.0.0.1, each publishing a camera as three \
         simulcast layers of VP8-shaped frames (30 frames/s; 150, 500 and 1,500 kbit/s) and a \
         microphone (Opus-sized frames every 20 ms with the audio-level extension; the first \
         speakers at −20 dBov, the others muted, sending silence frames as a muted browser \
         does), each asking for the last N speakers' cameras at one layer. Every speaker's \
         voice is forwarded, silence only of the first 9 (the host's rule); voice loss is \
         counted of speech. The floor is the same members and fan-out as plain datagrams of \
         the same sizes through a process that only copies them (no ICE, no SRTP, no RTP). \
         Latency: a frame written by its \
         publisher's stack → out of the receiver's stack, both in the load generator, so it \
         includes both clients' work. Host CPU from `/proc` over the window; the load \
         generator shares the two cores.\n\n",
    );
    md.push_str(&format!("Command: `{command}`\n\n"));
    md.push_str(
        "| members | forwarder | streams | datagrams/s delivered | forwarder CPU | µs CPU/s per stream | datagrams per CPU-s | latency p50 / p99 | voice frames lost | camera frames missing | load generator CPU |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in results {
        let who = match r.target {
            Some(SfuTarget::Copier) => "UDP copier (floor)",
            _ => "moim SFU",
        };
        if let Some(f) = &r.failure {
            md.push_str(&format!(
                "| {} | {who} | {} | did not finish: {} | | | | | | | |\n",
                r.members,
                r.streams,
                f.replace('|', "/")
            ));
            continue;
        }
        md.push_str(&format!(
            "| {} | {who} | {} | {:.0} | {:.0} % | {:.2} | {:.0} | {:.2} / {:.2} ms | {} of {} | {} of {} | {:.0} % |\n",
            r.members,
            r.streams,
            r.delivered_per_sec,
            r.host_cpu_percent,
            r.cpu_us_per_stream,
            r.delivered_per_cpu_sec,
            r.latency.p50_us / 1e3,
            r.latency.p99_us / 1e3,
            r.voice_expected.saturating_sub(r.voice_received),
            r.voice_expected,
            r.camera_gaps,
            r.camera_frames + r.camera_gaps,
            r.load_cpu_percent,
        ));
    }
    let sfu: Vec<&SfuResult> = results
        .iter()
        .filter(|r| r.target == Some(SfuTarget::Host) && r.failure.is_none())
        .collect();
    md.push_str("\nTargets (issue 18, this 2-core machine):\n\n");
    let verdict = |ok: bool| if ok { "met" } else { "**MISSED**" };
    // a forwarder that fell behind (frames queued, then lost) does not carry its room, whatever
    // its CPU reads
    let lost = |r: &SfuResult| r.voice_expected.saturating_sub(r.voice_received) + r.camera_gaps;
    let carried = |r: &SfuResult| r.host_cpu_percent < ONE_CORE_PERCENT && lost(r) == 0;
    match sfu.iter().find(|r| r.members == TARGET_ROOM) {
        Some(r) => {
            let behind = if lost(r) == 0 {
                ""
            } else {
                ", falling behind (frames lost)"
            };
            md.push_str(&format!(
                "- a room of {TARGET_ROOM} (last {}, {} speaking) within one core: {:.0} %{behind} \
                 — {}\n",
                r.last_n,
                r.speakers,
                r.host_cpu_percent,
                verdict(carried(r))
            ));
            md.push_str(&format!(
                "- forwarding latency p99 under {P99_TARGET_MS} ms: {:.2} ms — {}\n",
                r.latency.p99_us / 1e3,
                verdict(r.latency.p99_us / 1e3 < P99_TARGET_MS)
            ));
            md.push_str(&format!(
                "- no packet lost on loopback: {} frames lost — {}\n",
                lost(r),
                verdict(lost(r) == 0)
            ));
        }
        None => md.push_str(&format!("- a room of {TARGET_ROOM}: not run\n")),
    }
    let largest = |quick: bool| {
        sfu.iter()
            .filter(|r| carried(r) && (!quick || r.latency.p99_us / 1e3 < P99_TARGET_MS))
            .map(|r| r.members)
            .max()
            .map_or("none".to_string(), |m| format!("{m} members"))
    };
    md.push_str(&format!(
        "- the largest room run whose forwarding stays under one core with nothing lost: {}; \
         with latency p99 under {P99_TARGET_MS} ms as well: {}\n",
        largest(false),
        largest(true)
    ));
    md.push_str(
        "- at least as many forwarded packets per CPU-second as Janus: not measured (Janus's \
         VideoRoom side by side is not built yet)\n",
    );
    md
}

/// Measure a room whose members are already sending: warm up, open the window, close it, let
/// the last frames arrive; the figures.
async fn measure(shared: &Arc<Shared>, plan: &Plan, pid: u32) -> SfuResult {
    tokio::time::sleep(plan.warmup).await;
    let host = CpuMeter::start(Some(pid));
    let load = CpuMeter::start(Some(std::process::id()));
    let datagrams = shared.datagrams.load(Ordering::Relaxed);
    let started = Instant::now();
    shared
        .window_start
        .store(shared.now_ns(), Ordering::Relaxed);
    tokio::time::sleep(plan.secs).await;
    shared.window_end.store(shared.now_ns(), Ordering::Relaxed);
    let wall = started.elapsed().as_secs_f64();
    let host_cpu = host.percent().unwrap_or(0.0);
    let load_cpu = load.percent().unwrap_or(0.0);
    let delivered = (shared.datagrams.load(Ordering::Relaxed) - datagrams) as f64 / wall;
    // frames written at the end of the window are still on their way
    tokio::time::sleep(Duration::from_millis(500)).await;
    shared.counting.store(false, Ordering::Relaxed);
    let voice_received = shared.voice_received.load(Ordering::Relaxed);
    let camera_frames = shared.camera_frames.load(Ordering::Relaxed);
    let streams = streams(plan) as f64;
    SfuResult {
        delivered_per_sec: delivered,
        frames_per_sec: (voice_received + camera_frames) as f64 / wall,
        host_cpu_percent: host_cpu,
        load_cpu_percent: load_cpu,
        cpu_us_per_stream: host_cpu / 100.0 * 1e6 / streams,
        delivered_per_cpu_sec: delivered / (host_cpu / 100.0).max(1e-9),
        latency: shared.latency.summary(),
        voice_expected: shared.voice_sent.load(Ordering::Relaxed) * (plan.members as u64 - 1),
        voice_received,
        silence_sent: shared.silence_sent.load(Ordering::Relaxed),
        silence_received: shared.silence_received.load(Ordering::Relaxed),
        camera_gaps: shared.camera_gaps.load(Ordering::Relaxed),
        camera_frames,
        largest_sdp_bytes: shared.largest_sdp.load(Ordering::Relaxed),
        ..Default::default()
    }
}

// ---- the host's SFU -------------------------------------------------------------------------

fn run_host(bin: &std::path::Path, plan: &Plan) -> anyhow::Result<SfuResult> {
    let capacity = plan.members.max(2).to_string();
    let mut server =
        Server::start_host(bin, &["--max-peers-per-large-room".to_string(), capacity])?;
    let url = server.ws_url();
    let pid = server.pid;
    let runtime = tokio::runtime::Runtime::new()?;
    let plan2 = plan.clone();
    let result = runtime.block_on(async move {
        tokio::time::timeout(Duration::from_secs(300), host_room(url, plan2, pid)).await
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
    server.stop();
    let warnings = server.warnings();
    let result = result
        .context("the run took over 5 minutes")
        .and_then(|r| r);
    if result.is_err() {
        // what the SFU said of its clients (why one was dropped), and the host's warnings
        let said = server.log_lines("");
        let worth = |l: &&String| {
            (l.contains("SFU") || l.contains("WARN")) && !l.contains("client connected")
        };
        for line in said.iter().filter(worth).take(40) {
            eprintln!("  host: {line}");
        }
    }
    let mut result = result?;
    if result.failure.is_none() && warnings.iter().any(|w| w.contains("panicked")) {
        result.failure = Some(format!("the host panicked: {warnings:?}"));
    }
    Ok(result)
}

async fn host_room(url: String, plan: Plan, pid: u32) -> anyhow::Result<SfuResult> {
    let shared = Shared::new();
    let (room_tx, room_rx) = watch::channel(String::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    // the first member creates the room, the others join it
    let mut room: Option<String> = None;
    for i in 0..plan.members {
        let (ws, others) = member_session(&url, i, room.as_deref(), &room_tx).await?;
        room.get_or_insert_with(|| room_rx.borrow().clone());
        tasks.push(tokio::spawn(member(
            ws,
            others,
            i,
            plan.clone(),
            shared.clone(),
            stop_rx.clone(),
        )));
    }
    // every member connected to the SFU
    let deadline = Instant::now() + Duration::from_secs(60);
    while (shared.connected.load(Ordering::Relaxed) as usize) < plan.members {
        if Instant::now() > deadline {
            bail!(
                "only {} of {} members connected to the SFU in 60 s",
                shared.connected.load(Ordering::Relaxed),
                plan.members
            );
        }
        if let Some(i) = tasks.iter().position(|t| t.is_finished()) {
            let why = match tasks.swap_remove(i).await {
                Ok(Ok(())) => "it stopped".to_string(),
                Ok(Err(e)) => format!("{e:#}"),
                Err(e) => e.to_string(),
            };
            bail!("a member ended before the run: {why}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let result = measure(&shared, &plan, pid).await;
    let _ = stop_tx.send(true);
    for t in tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => bail!("a member failed: {e:#}"),
            Err(e) => bail!("a member's task failed: {e}"),
        }
    }
    Ok(result)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connect member `i` and bring it into the room: the first creates it (a large meeting). The
/// session, and the peer ids of the members already there.
async fn member_session(
    url: &str,
    i: usize,
    room: Option<&str>,
    room_tx: &watch::Sender<String>,
) -> anyhow::Result<(Ws, Vec<String>)> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    expect(&mut ws, "welcome").await?;
    let room = match room {
        Some(r) => r.to_string(),
        None => {
            send(
                &mut ws,
                json!({"type": "create-room", "name": "bench class", "large": true}),
            )
            .await?;
            let created = expect(&mut ws, "room-created").await?;
            let id = created["room"]["id"]
                .as_str()
                .context("room-created without an id")?
                .to_string();
            let _ = room_tx.send(id.clone());
            id
        }
    };
    send(
        &mut ws,
        json!({"type": "join", "room": room, "name": format!("member {i}")}),
    )
    .await?;
    let joined = expect(&mut ws, "existing-peers").await?;
    let others = joined["peers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect();
    Ok((ws, others))
}

async fn send(ws: &mut Ws, msg: Value) -> anyhow::Result<()> {
    ws.send(Message::text(msg.to_string())).await?;
    Ok(())
}

/// Read until a message of `kind` (others are skipped); an `error` fails.
async fn expect(ws: &mut Ws, kind: &str) -> anyhow::Result<Value> {
    let wait = async {
        while let Some(frame) = ws.next().await {
            let Message::Text(text) = frame? else {
                continue;
            };
            let msg: Value = serde_json::from_str(text.as_str())?;
            if msg["type"] == kind {
                return Ok(msg);
            }
            if msg["type"] == "error" {
                bail!("the host said {msg} (waiting for {kind})");
            }
        }
        bail!("the session closed (waiting for {kind})")
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .with_context(|| format!("no {kind} in 30 s"))?
}

/// What a member sends on.
struct Outbound {
    audio: Mid,
    video: Mid,
    counters: [u32; 3],
    voice: u32,
    /// Layers whose next frame is a keyframe.
    key: [bool; 3],
}

/// One member: its `Rtc` and socket, its session, its clocks.
async fn member(
    mut ws: Ws,
    mut others: Vec<String>,
    i: usize,
    plan: Plan,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let socket = UdpSocket::bind((LOOPBACK, 0)).await?;
    let local = socket.local_addr()?;
    let mut rtc = Rtc::builder()
        .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
        .build(Instant::now());
    rtc.add_local_candidate(Candidate::host(local, "udp")?);
    let mut change = rtc.sdp_api();
    let audio = change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let mut simulcast = Simulcast::new();
    for (rid, _, _) in LAYERS {
        simulcast.add_send_layer(SimulcastLayer::new(rid));
    }
    let video = change.add_media(
        MediaKind::Video,
        Direction::SendOnly,
        None,
        None,
        Some(simulcast),
    );
    let (offer, pending) = change.apply().context("no offer")?;
    send(
        &mut ws,
        json!({"type": "sfu-offer", "sdp": offer.to_sdp_string(), "fresh": true}),
    )
    .await?;
    let mut pending: Option<SdpPendingOffer> = Some(pending);
    let mut out = Outbound {
        audio,
        video,
        counters: [0; 3],
        voice: 0,
        key: [true; 3],
    };
    let mut seen = Seen::default();
    let mut connected = false;
    // the view said to the host: every other member's camera at the chosen layer's height
    let mut view_said = usize::MAX;
    let height = LAYERS[plan.layer].1;
    let mut buf = vec![0u8; 2048];
    let speaks = i < plan.speakers;
    let start = Instant::now();
    let mut audio_tick = tokio::time::interval(AUDIO_EVERY);
    let mut video_tick = tokio::time::interval(Duration::from_secs(1) / FPS);
    audio_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    video_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let wake = drain(
            &mut rtc,
            &socket,
            &shared,
            &mut seen,
            &mut out,
            &mut connected,
        )
        .await?;
        if connected && view_said != others.len() {
            let sizes: serde_json::Map<String, Value> = others
                .iter()
                .map(|id| (id.clone(), json!(height)))
                .collect();
            send(
                &mut ws,
                json!({"type": "sfu-view", "sizes": sizes, "last_n": plan.last_n}),
            )
            .await?;
            view_said = others.len();
        }
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(wake));
        tokio::select! {
            _ = stop.changed() => break,
            frame = ws.next() => {
                let Some(frame) = frame else { bail!("member {i}: the session closed") };
                let Message::Text(text) = frame? else { continue };
                let msg: Value = serde_json::from_str(text.as_str())?;
                match msg["type"].as_str() {
                    Some("sfu-answer") => {
                        let sdp = msg["sdp"].as_str().context("an answer without sdp")?;
                        let answer = SdpAnswer::from_sdp_string(sdp)?;
                        if let Some(p) = pending.take() {
                            rtc.sdp_api().accept_answer(p, answer)?;
                        }
                    }
                    Some("sfu-offer") => {
                        let sdp = msg["sdp"].as_str().context("an offer without sdp")?;
                        let offer = SdpOffer::from_sdp_string(sdp)?;
                        let answer = rtc.sdp_api().accept_offer(offer)?.to_sdp_string();
                        let longest = sdp.len().max(answer.len()) as u64;
                        shared.largest_sdp.fetch_max(longest, Ordering::Relaxed);
                        send(&mut ws, json!({"type": "sfu-answer", "sdp": answer})).await?;
                    }
                    Some("peer-joined") => {
                        if let Some(id) = msg["peer"]["id"].as_str() {
                            others.push(id.to_string());
                        }
                    }
                    Some("error") => bail!("member {i}: the host said {msg}"),
                    _ => {}
                }
            }
            got = socket.recv_from(&mut buf) => {
                let (n, source) = got?;
                shared.datagrams.fetch_add(1, Ordering::Relaxed);
                let receive = Receive {
                    proto: Protocol::Udp,
                    source,
                    destination: local,
                    contents: buf[..n].try_into()?,
                };
                rtc.handle_input(Input::Receive(Instant::now(), receive))?;
            }
            _ = audio_tick.tick(), if connected => {
                let tag = Tag { member: i as u16, layer: voice_layer(speaks), counter: out.voice, sent_ns: shared.now_ns() };
                out.voice += 1;
                if let Some(writer) = rtc.writer(out.audio) {
                    let pt = writer.payload_params().find(|p| p.spec().codec == Codec::Opus).map(|p| p.pt());
                    if let Some(pt) = pt {
                        let level = if speaks { -20 } else { -127 };
                        let time = MediaTime::from_micros(start.elapsed().as_micros() as u64).rebase(str0m::media::Frequency::FORTY_EIGHT_KHZ);
                        writer.audio_level(level, speaks).write(pt, Instant::now(), time, voice_frame(speaks, tag))?;
                        if shared.measured(tag.sent_ns) {
                            shared.spoke(speaks);
                        }
                    }
                }
            }
            _ = video_tick.tick(), if connected => {
                let now = Instant::now();
                let time = MediaTime::from_micros(start.elapsed().as_micros() as u64).rebase(str0m::media::Frequency::NINETY_KHZ);
                for (l, rid) in rids().into_iter().enumerate() {
                    let key = std::mem::replace(&mut out.key[l], false);
                    let tag = Tag { member: i as u16, layer: l as u8, counter: out.counters[l], sent_ns: shared.now_ns() };
                    out.counters[l] += 1;
                    let Some(writer) = rtc.writer(out.video) else { break };
                    let Some(pt) = writer.payload_params().find(|p| p.spec().codec == Codec::Vp8).map(|p| p.pt()) else { break };
                    writer.rid(rid).write(pt, now, time, camera_frame(l, key, tag))?;
                }
            }
            _ = sleep => {}
        }
        rtc.handle_input(Input::Timeout(Instant::now()))?;
    }
    let _ = ws.close(None).await;
    Ok(())
}

/// Poll `rtc` until it waits: datagrams out, frames counted, keyframes marked. When it wants
/// to be woken.
async fn drain(
    rtc: &mut Rtc,
    socket: &UdpSocket,
    shared: &Shared,
    seen: &mut Seen,
    out: &mut Outbound,
    connected: &mut bool,
) -> anyhow::Result<Instant> {
    loop {
        match rtc.poll_output()? {
            Output::Timeout(t) => return Ok(t),
            Output::Transmit(t) => {
                let _ = socket.send_to(&t.contents, t.destination).await;
            }
            Output::Event(Event::Connected) => {
                *connected = true;
                shared.connected.fetch_add(1, Ordering::Relaxed);
            }
            Output::Event(Event::MediaData(data)) => frame(shared, seen, &data),
            Output::Event(Event::KeyframeRequest(KeyframeRequest { mid, rid, .. })) => {
                if mid == out.video {
                    match rid.and_then(|r| rids().iter().position(|x| *x == r)) {
                        Some(l) => out.key[l] = true,
                        None => out.key = [true; 3],
                    }
                }
            }
            Output::Event(_) => {}
        }
    }
}

fn frame(shared: &Shared, seen: &mut Seen, data: &MediaData) {
    let tag_at = if data.params.spec().codec == Codec::Vp8 {
        TAG_AT
    } else {
        0
    };
    seen.frame(shared, &data.data, tag_at);
}

// ---- the floor: a plain UDP copier ----------------------------------------------------------

/// `moim-bench udp-copier`: copy each datagram to the members that should get it, nothing else.
/// A member says `hello <index>` first; a datagram's tag says whose and which layer it is.
pub fn copier(port: u16, last_n: usize, layer: u8) -> anyhow::Result<()> {
    let socket = std::net::UdpSocket::bind((LOOPBACK, port))?;
    println!("ready {}", socket.local_addr()?.port());
    let mut addrs: BTreeMap<u16, SocketAddr> = BTreeMap::new();
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, from) = socket.recv_from(&mut buf)?;
        let data = &buf[..n];
        if let Some(i) = data.strip_prefix(b"hello ") {
            let i: u16 = std::str::from_utf8(i)?.trim().parse()?;
            addrs.insert(i, from);
            socket.send_to(b"welcome", from)?;
            continue;
        }
        let Some(tag) = Tag::read(data) else { continue };
        for (&to, addr) in &addrs {
            if to != tag.member && copies(tag, to, last_n, layer) {
                socket.send_to(data, addr)?;
            }
        }
    }
}

/// Whether the floor copies a datagram with `tag` to member `to`: every speaker's voice, the
/// silence of the first [`SILENCE_OF`] members; of cameras the
/// chosen layer of the last N speakers (the speakers are the first members, and those who have
/// not spoken follow in the order they came: so the first N members but `to` itself).
fn copies(tag: Tag, to: u16, last_n: usize, layer: u8) -> bool {
    match tag.layer {
        AUDIO_LAYER => return true,
        SILENCE_LAYER => return usize::from(tag.member) < SILENCE_OF,
        _ => {}
    }
    let rank = usize::from(tag.member) - usize::from(to < tag.member);
    tag.layer == layer && rank < last_n
}

fn run_copier(plan: &Plan) -> anyhow::Result<SfuResult> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args([
            "udp-copier",
            "--port",
            "0",
            "--last-n",
            &plan.last_n.to_string(),
            "--layer",
            &plan.layer.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let port: u16 = line
        .trim()
        .strip_prefix("ready ")
        .context("the copier did not start")?
        .parse()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let plan2 = plan.clone();
    let result = runtime.block_on(async move {
        tokio::time::timeout(Duration::from_secs(300), copier_room(port, plan2, pid)).await
    });
    runtime.shutdown_timeout(Duration::from_secs(2));
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
    result.context("the run took over 5 minutes")?
}

async fn copier_room(port: u16, plan: Plan, pid: u32) -> anyhow::Result<SfuResult> {
    let shared = Shared::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    let copier = SocketAddr::from((LOOPBACK, port));
    let mut tasks = Vec::new();
    for i in 0..plan.members {
        let socket = UdpSocket::bind((LOOPBACK, 0)).await?;
        socket.connect(copier).await?;
        socket.send(format!("hello {i}").as_bytes()).await?;
        let mut buf = [0u8; 16];
        tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buf))
            .await
            .context("the copier did not answer")??;
        shared.connected.fetch_add(1, Ordering::Relaxed);
        tasks.push(tokio::spawn(copier_member(
            socket,
            i,
            plan.clone(),
            shared.clone(),
            stop_rx.clone(),
        )));
    }
    let result = measure(&shared, &plan, pid).await;
    let _ = stop_tx.send(true);
    for t in tasks {
        t.await??;
    }
    Ok(result)
}

/// A floor member: the same frames, cut into datagrams, straight to the copier.
async fn copier_member(
    socket: UdpSocket,
    i: usize,
    plan: Plan,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let speaks = i < plan.speakers;
    let mut audio_tick = tokio::time::interval(AUDIO_EVERY);
    let mut video_tick = tokio::time::interval(Duration::from_secs(1) / FPS);
    audio_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    video_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (mut voice, mut counters) = (0u32, [0u32; 3]);
    let mut seen = Seen::default();
    let mut buf = vec![0u8; 2048];
    // a frame's datagrams: each starts with the frame's tag, so the copier and the receiver
    // read every one; the receiver counts a frame at its last datagram
    let mut parts: HashMap<(u16, u8, u32), usize> = HashMap::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            got = socket.recv(&mut buf) => {
                let n = got?;
                shared.datagrams.fetch_add(1, Ordering::Relaxed);
                let data = &buf[..n];
                let Some(tag) = Tag::read(data) else { continue };
                let left = data.get(TAG_BYTES).copied().unwrap_or(1) as usize;
                if left <= 1 {
                    parts.remove(&(tag.member, tag.layer, tag.counter));
                    seen.frame(&shared, data, 0);
                } else {
                    parts.insert((tag.member, tag.layer, tag.counter), left);
                }
            }
            _ = audio_tick.tick() => {
                let tag = Tag { member: i as u16, layer: voice_layer(speaks), counter: voice, sent_ns: shared.now_ns() };
                voice += 1;
                send_datagrams(&socket, voice_frame(speaks, tag).len(), tag).await?;
                if shared.measured(tag.sent_ns) {
                    shared.spoke(speaks);
                }
            }
            _ = video_tick.tick() => {
                for (l, counter) in counters.iter_mut().enumerate() {
                    let tag = Tag { member: i as u16, layer: l as u8, counter: *counter, sent_ns: shared.now_ns() };
                    *counter += 1;
                    send_datagrams(&socket, camera_frame(l, false, tag).len(), tag).await?;
                }
            }
        }
    }
    Ok(())
}

/// A frame of `size` bytes as datagrams of at most [`DATAGRAM`]: each the tag, then how many
/// datagrams of the frame are left (this one included), then filler.
async fn send_datagrams(socket: &UdpSocket, size: usize, tag: Tag) -> anyhow::Result<()> {
    let count = size.div_ceil(DATAGRAM).max(1);
    for k in 0..count {
        let len = if k + 1 == count {
            size - k * DATAGRAM
        } else {
            DATAGRAM
        };
        let mut d = vec![0u8; len.max(TAG_BYTES + 1)];
        tag.write(&mut d);
        d[TAG_BYTES] = (count - k).min(255) as u8;
        let _ = socket.send(&d).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_reads_back_and_a_camera_frame_is_vp8_shaped() {
        let tag = Tag {
            member: 49,
            layer: 1,
            counter: 123_456,
            sent_ns: 987_654_321,
        };
        let key = camera_frame(1, true, tag);
        assert_eq!(key.len(), 500_000 / 8 / 30 * KEYFRAME_TIMES);
        assert_eq!(key[0] & 1, 0, "a keyframe's tag");
        assert_eq!(&key[3..6], &[0x9d, 0x01, 0x2a]);
        assert_eq!(u16::from_le_bytes([key[8], key[9]]), 360);
        assert_eq!(Tag::read(&key[TAG_AT..]), Some(tag));
        let inter = camera_frame(0, false, tag);
        assert_eq!(inter[0] & 1, 1);
        assert_eq!(inter.len(), 150_000 / 8 / 30);
        assert_eq!(Tag::read(&voice_frame(false, tag)), Some(tag));
        assert_eq!(Tag::read(b"hello 1"), None);
    }

    #[test]
    fn the_floor_copies_every_voice_and_the_first_cameras() {
        let tag = |member, layer| Tag {
            member,
            layer,
            counter: 0,
            sent_ns: 0,
        };
        assert!(
            copies(tag(30, AUDIO_LAYER), 2, 9, 1),
            "every speaker's voice"
        );
        assert!(
            copies(tag(8, SILENCE_LAYER), 2, 9, 1),
            "the ninth member's silence"
        );
        assert!(!copies(tag(9, SILENCE_LAYER), 2, 9, 1), "not the tenth's");
        assert!(copies(tag(8, 1), 20, 9, 1), "the ninth camera");
        assert!(!copies(tag(9, 1), 20, 9, 1), "the tenth");
        assert!(copies(tag(9, 1), 3, 9, 1), "the ninth for member 3");
        assert!(!copies(tag(8, 0), 20, 9, 1), "another layer");
    }
}
