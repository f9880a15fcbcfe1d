//! A stable-Rust fuzzer for the message decoder and the hub behind it (cargo-fuzz needs a
//! nightly toolchain, which this project does not assume). It mutates a corpus of valid
//! messages (bit flips, insertions, deletions, splices, interesting values) for
//! `MOIM_FUZZ_SECS` seconds (default 3) and checks that decoding never panics, that every
//! refusal carries a documented code, and that whatever decodes can be handled by a live hub
//! without a panic and without reaching a peer outside the sender's room.
//!
//! A second target drives a real host on 127.0.0.1 through the HTTP layer before any upgrade
//! (mutated request lines, headers, upgrades, paths) and through the event-stream transport
//! (mutated messages POSTed into a live session): no answer is a server error, the host stays
//! healthy, the session keeps working, and a peer in another room hears nothing.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use moim::protocol::{decode, ClientMessage, ErrorCode};
use moim::room::{Hub, HubSettings, Outgoing};
use moim::token::HostKey;
use moim::HostConfig;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const INTERESTING: &[&str] = &[
    "",
    "null",
    "true",
    "-1",
    "1e999",
    "18446744073709551616",
    "\"\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "{}",
    "[]",
    "\"join\"",
    "\"signal\"",
    "\"ça va 모임 🎥\"",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
];

fn corpus(room: &str, peer: &str) -> Vec<String> {
    vec![
        r#"{"type":"create-room","name":"standup","passcode":"x","listed":false}"#.into(),
        format!(r#"{{"type":"join","room":"{room}","name":"Ada","audio":true,"video":false}}"#),
        format!(
            r#"{{"type":"join","room":"{room}","name":"Ada","recreate":{{"name":"n","token":"t"}}}}"#
        ),
        r#"{"type":"leave"}"#.into(),
        format!(r#"{{"type":"signal","to":"{peer}","data":"{{\"sdp\":\"v=0\\r\\n\"}}"}}"#),
        r#"{"type":"update","audio":false,"name":"Grace"}"#.into(),
        r#"{"type":"list-rooms","watch":true}"#.into(),
        r#"{"type":"ping","nonce":42}"#.into(),
        r#"{"type":"chat","id":"m1","text":"hello"}"#.into(),
    ]
}

fn mutate(rng: &mut StdRng, input: &[u8], corpus: &[String]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.gen_range(1..=4) {
        let len = out.len();
        match rng.gen_range(0..7) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                out[i] ^= 1 << rng.gen_range(0..8);
            }
            1 => {
                let i = rng.gen_range(0..=len);
                out.insert(i, rng.gen());
            }
            2 if len > 0 => {
                let a = rng.gen_range(0..len);
                let b = rng.gen_range(a..=len.min(a + 16));
                out.drain(a..b);
            }
            3 if len > 0 => {
                let a = rng.gen_range(0..len);
                let b = rng.gen_range(a..=len);
                let piece = out[a..b].to_vec();
                let at = rng.gen_range(0..=out.len());
                out.splice(at..at, piece);
            }
            4 => {
                let other = corpus[rng.gen_range(0..corpus.len())].as_bytes();
                let cut = rng.gen_range(0..=len);
                let from = rng.gen_range(0..=other.len());
                out.truncate(cut);
                out.extend_from_slice(&other[from..]);
            }
            5 => {
                let value = INTERESTING[rng.gen_range(0..INTERESTING.len())].as_bytes();
                // Replace a JSON value-ish span (after a colon) with an interesting value.
                if let Some(colon) = out
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b':')
                    .map(|(i, _)| i)
                    .nth(rng.gen_range(0..4))
                {
                    let end = out[colon + 1..]
                        .iter()
                        .position(|b| *b == b',' || *b == b'}')
                        .map_or(out.len(), |p| colon + 1 + p);
                    out.splice(colon + 1..end, value.iter().copied());
                }
            }
            _ if len > 0 => {
                out.truncate(rng.gen_range(0..len));
            }
            _ => {}
        }
    }
    out
}

#[test]
fn decoder_and_hub_survive_mutated_messages() {
    let secs: f64 = std::env::var("MOIM_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let seed: u64 = std::env::var("MOIM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("fuzz: seed {seed} for {secs} s (MOIM_FUZZ_SEED={seed} repeats it)");
    let mut rng = StdRng::seed_from_u64(seed);

    let hub = Hub::new(
        HubSettings::from_config(&HostConfig::loopback()),
        HostKey::random(),
    );
    let mut fuzzer = hub.connect(None);
    let mut friend = hub.connect(None);
    let mut outsider = hub.connect(None);
    hub.handle(
        fuzzer.peer_id,
        ClientMessage::CreateRoom {
            name: "fuzz".into(),
            passcode: None,
            listed: true,
            waiting_room: false,
            large: false,
        },
    )
    .unwrap();
    let room = loop {
        if let Ok(Outgoing::Text(t)) = fuzzer.inbox.try_recv() {
            let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
            if v["type"] == "room-created" {
                break v["room"]["id"].as_str().unwrap().to_string();
            }
        }
    };
    let join = |_id, name: &str| ClientMessage::Join {
        room: room.clone(),
        name: name.into(),
        passcode: None,
        audio: None,
        video: None,
        recreate: None,
    };
    hub.handle(friend.peer_id, join(friend.peer_id, "friend"))
        .unwrap();
    let corpus = corpus(&room, &friend.peer_id.to_string());
    assert!(
        matches!(outsider.inbox.try_recv(), Ok(Outgoing::Text(_))),
        "its welcome"
    );

    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let (mut runs, mut decoded) = (0u64, 0u64);
    while Instant::now() < deadline {
        let base = corpus[rng.gen_range(0..corpus.len())].as_bytes();
        let bytes = mutate(&mut rng, base, &corpus);
        // WebSocket text frames are UTF-8; the transport refuses anything else before decoding.
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        runs += 1;
        match decode(text) {
            Ok(msg) => {
                decoded += 1;
                let _ = hub.handle(fuzzer.peer_id, msg);
                // Keep the fuzzer in the room most of the time, so relays are exercised.
                let _ = hub.handle(fuzzer.peer_id, join(fuzzer.peer_id, "fuzzer"));
            }
            Err(err) => {
                assert!(!err.message.is_empty());
                if serde_json::from_str::<serde_json::Value>(text).is_err() {
                    assert_eq!(err.code, ErrorCode::BadJson, "{text:?}");
                }
            }
        }
        // The outsider never hears anything.
        assert!(
            outsider.inbox.try_recv().is_err(),
            "a message crossed rooms"
        );
        while friend.inbox.try_recv().is_ok() {}
        while fuzzer.inbox.try_recv().is_ok() {}
    }
    println!("fuzz: {runs} inputs, {decoded} decoded, no panic");
    assert!(runs > 1000 || secs < 1.0, "the fuzzer barely ran");
}

fn fuzz_secs() -> f64 {
    std::env::var("MOIM_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0)
}

fn http_corpus(addr: std::net::SocketAddr, session: &str) -> Vec<String> {
    let upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    vec![
        format!("GET /ws HTTP/1.1\r\nHost: {addr}\r\n{upgrade}Origin: http://{addr}\r\n\r\n"),
        format!("GET /ws?resume=abc.def&via=0123 HTTP/1.1\r\nHost: {addr}\r\n{upgrade}\r\n"),
        format!("GET /events?resume=x HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\r\n"),
        format!(
            "POST /events/{session} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 15\r\n\r\n{{\"type\":\"ping\"}}"
        ),
        format!(
            "POST /events/{session} HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"a\":\r\n0\r\n\r\n"
        ),
        format!("GET /api/rooms HTTP/1.1\r\nHost: {addr}\r\nOrigin: null\r\n\r\n"),
        format!("GET /api/qr.svg?text=%F0%9F%8E%A5 HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
        format!("GET /j/k3f9-x2mq-7tvd-pa4h HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        format!("GET /../../etc/passwd HTTP/1.0\r\n\r\n"),
        "\u{16}\u{3}\u{1}\u{0}\u{5}hello".to_string(),
    ]
}

/// Send `request` on a fresh connection; the status of the answer (0: none in time, or closed).
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> u16 {
    let Ok(mut tcp) = TcpStream::connect(addr).await else {
        return 0;
    };
    if tcp.write_all(request).await.is_err() {
        return 0;
    }
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_millis(100), async {
        while got.len() < 12 {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&got);
    text.strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// An event-stream session read by hand: its id, and the stream's text so far.
struct Session {
    tcp: TcpStream,
    id: String,
    seen: String,
}

impl Session {
    async fn open(addr: std::net::SocketAddr) -> Session {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        tcp.write_all(format!("GET /events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut s = Session {
            tcp,
            id: String::new(),
            seen: String::new(),
        };
        let at = s.wait_for("\"session\":\"").await;
        s.id = s.seen[at..].chars().take(32).collect();
        s
    }

    /// Read until `needle` shows; return where its end is.
    async fn wait_for(&mut self, needle: &str) -> usize {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(i) = self.seen.find(needle) {
                let end = i + needle.len();
                return end;
            }
            let n = tokio::time::timeout(EVENT_TIMEOUT, self.tcp.read(&mut buf))
                .await
                .expect("the session answers")
                .expect("the stream is open");
            assert!(n > 0, "the session's stream ended");
            self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }

    async fn post(&self, addr: std::net::SocketAddr, body: &[u8]) -> u16 {
        let mut req = format!(
            "POST /events/{} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
            self.id,
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        exchange(addr, &req).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_layer_and_event_stream_survive_mutated_requests() {
    let secs = fuzz_secs();
    let seed: u64 = std::env::var("MOIM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("fuzz http: seed {seed} for {secs} s (MOIM_FUZZ_SEED={seed} repeats it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let config = moim::HostConfig {
        request_timeout_secs: 0.5,
        rooms_per_address: 1_000_000,
        passcode_tries_per_address: 1_000_000,
        ..test_config()
    };
    let host = start_host(config).await;
    let addr = host.addr;
    let mut outsider = Client::connect(&host).await;
    let elsewhere = outsider.create_room("elsewhere").await;
    outsider.join(&elsewhere, "outsider").await;
    // The outsider reads all along (so it answers pings) and must never hear a word.
    let heard = tokio::spawn(async move {
        use futures_util::StreamExt;
        loop {
            match outsider.ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => return t.to_string(),
                Some(Ok(_)) => continue,
                _ => return String::from("(closed)"),
            }
        }
    });
    let (room, mut members) = room_with(&host, 1).await;
    let mut session = Session::open(addr).await;
    let join = json!({"type": "join", "room": room, "name": "fuzzer"}).to_string();
    assert_eq!(session.post(addr, join.as_bytes()).await, 204);
    members[0].expect("peer-joined").await;
    let messages = corpus(&room, &members[0].peer_id);
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let (mut requests, mut posts) = (0u64, 0u64);
    let mut nonce = 0u64;
    while Instant::now() < deadline {
        // The HTTP layer before any upgrade: 16 mutated requests at once (an incomplete one
        // waits for its answer in vain, briefly).
        let requests_corpus = http_corpus(addr, &session.id);
        let batch: Vec<Vec<u8>> = (0..16)
            .map(|_| {
                let base = requests_corpus[rng.gen_range(0..requests_corpus.len())].as_bytes();
                mutate(&mut rng, base, &requests_corpus)
            })
            .collect();
        let statuses =
            futures_util::future::join_all(batch.iter().map(|b| exchange(addr, b))).await;
        for (status, bytes) in statuses.iter().zip(&batch) {
            assert!(
                *status < 500 || *status == 503,
                "{status} for {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        requests += batch.len() as u64;
        // The event-stream transport: mutated messages into the live session.
        for _ in 0..10 {
            let base = messages[rng.gen_range(0..messages.len())].as_bytes();
            let body = mutate(&mut rng, base, &messages);
            let status = session.post(addr, &body).await;
            assert!(
                matches!(status, 204 | 400 | 413 | 415 | 0),
                "{status} for {:?}",
                String::from_utf8_lossy(&body)
            );
            posts += 1;
        }
        // Now and then: the host is healthy and the session still answers, in order.
        if posts % 50 == 0 {
            nonce += 1;
            let ping = json!({"type": "ping", "nonce": nonce}).to_string();
            assert_eq!(session.post(addr, ping.as_bytes()).await, 204);
            let needle = format!("\"nonce\":{nonce}}}");
            let end = session.wait_for(&needle).await;
            session.seen.drain(..end);
            let _ = session.post(addr, join.as_bytes()).await;
        }
    }
    let healthz = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    assert_eq!(exchange(addr, healthz.as_bytes()).await, 200);
    assert!(!heard.is_finished(), "the outsider heard {:?}", heard.await);
    heard.abort();
    println!("fuzz http: {requests} requests, {posts} posts into a session, no server error");
    assert!(requests > 50 || secs < 1.0, "the fuzzer barely ran");
    host.stop().await;
}
