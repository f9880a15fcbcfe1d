//! A stable-Rust fuzzer for the message decoder and the hub behind it (cargo-fuzz needs a
//! nightly toolchain, which this project does not assume). It mutates a corpus of valid
//! messages (bit flips, insertions, deletions, splices, interesting values) for
//! `MOIM_FUZZ_SECS` seconds (default 3) and checks that decoding never panics, that every
//! refusal carries a documented code, and that whatever decodes can be handled by a live hub
//! without a panic and without reaching a peer outside the sender's room.

use std::time::{Duration, Instant};

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
