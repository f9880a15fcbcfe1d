//! The load generator checks itself: a tiny `moim-bench run` against a host started here, one
//! against the echo floor, and one over Socket.IO against the seed's Node server
//! (bench/seeds/node, installed by `scripts/deps.sh test`), must account for every signal
//! (sent = received per pair, each at exactly its target, intact, in order). Correctness only;
//! speed is `make bench`'s job.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use serde_json::Value;

/// Run moim-bench with `args` plus short phases; return its JSON result.
fn bench(args: &[&str]) -> Value {
    bench_with_env(args, &[])
}

fn bench_with_env(args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend([
        "--rooms",
        "3",
        "--peers",
        "4",
        "--pace-rate",
        "200",
        "--pace-secs",
        "1",
    ]);
    all.extend([
        "--sat-warmup-secs",
        "0.2",
        "--sat-secs",
        "1",
        "--window",
        "8",
    ]);
    run_bench(&all, env, &[]).0
}

/// A scratch file for one run's output.
fn scratch(ext: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "moim-bench-smoke-{}-{}.{ext}",
        std::process::id(),
        rand_nonce()
    ))
}

/// Run moim-bench with `args` (and `env`) and `--json`, plus `--<flag> <file>` for each of
/// `outputs` (their text is returned with the JSON, in order); it must succeed.
fn run_bench(args: &[&str], env: &[(&str, &str)], outputs: &[&str]) -> (Value, Vec<String>) {
    let json = scratch("json");
    let files: Vec<PathBuf> = outputs.iter().map(|_| scratch("out")).collect();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moim-bench"));
    cmd.envs(env.iter().copied())
        .args(args)
        .arg("--json")
        .arg(&json);
    for (flag, file) in outputs.iter().zip(&files) {
        cmd.arg(format!("--{flag}")).arg(file);
    }
    let out = cmd.output().expect("moim-bench runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "moim-bench {args:?} failed:\n{stdout}\n{stderr}"
    );
    let read = |f: &PathBuf| {
        let text = std::fs::read_to_string(f).expect("an output file");
        let _ = std::fs::remove_file(f);
        text
    };
    let result = serde_json::from_str(&read(&json)).expect("JSON");
    (result, files.iter().map(read).collect())
}

fn assert_every_signal_arrived(r: &Value) {
    let sent = r["sent"].as_u64().unwrap();
    // Burst: 12 peers × 3 room-mates × 5 signals; paced: 200; saturation: at least a window.
    assert!(sent >= 180 + 200 + 12 * 8, "too few signals: {r}");
    assert_eq!(r["received"], sent, "{r}");
    for field in [
        "lost",
        "misdelivered",
        "corrupt",
        "out_of_order",
        "errors",
        "unexpected_closes",
    ] {
        assert_eq!(r[field], 0, "{field}: {r}");
    }
    assert!(r["paced"]["samples"].as_u64().unwrap() >= 200, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_run_against_a_host_loses_nothing() {
    let host = start_host(test_config()).await;
    let url = host.ws_url();
    let pid = std::process::id().to_string();
    let r = tokio::task::spawn_blocking(move || {
        bench(&["--target", "host", "--url", &url, "--pid", &pid])
    })
    .await
    .unwrap();
    assert_every_signal_arrived(&r);
    assert_eq!(r["join"]["samples"], 12, "every peer joined: {r}");
    assert!(r["rss_joined_kib"].as_u64().is_some(), "RSS read: {r}");
    assert_eq!(host.host.hub().stats().connections, 0, "all closed again");
    host.stop().await;
}

#[test]
fn bench_run_against_the_echo_floor_loses_nothing() {
    let r = bench(&["--target", "echo"]);
    assert_every_signal_arrived(&r);
    assert!(r["join"].is_null(), "no rooms on the echo: {r}");
}

/// The Socket.IO client against the seed's Node server: the Engine.IO handshake, the connect,
/// `join-room` / `existing-users` / `user-joined`, the relays by socket id, and the server's
/// pings (every 200 ms here, with 1 s to answer, so a missing pong closes sockets and fails).
#[test]
fn bench_run_over_socket_io_against_the_node_seed_loses_nothing() {
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/seeds");
    let r = bench_with_env(
        // With the helper's `--window 8`: saturation at windows 1 and then 8.
        &["--target", "node", "--seeds-dir", seeds, "--window", "1"],
        &[
            ("SEED_PING_INTERVAL_MS", "200"),
            ("SEED_PING_TIMEOUT_MS", "1000"),
        ],
    );
    assert_every_signal_arrived(&r);
    assert_eq!(r["target"], "node", "{r}");
    assert_eq!(
        r["join"]["samples"], 12,
        "every peer heard existing-users: {r}"
    );
    let windows: Vec<u64> = r["saturations"]
        .as_array()
        .expect("saturation phases")
        .iter()
        .map(|s| s["window"].as_u64().unwrap())
        .collect();
    assert_eq!(windows, [1, 8], "{r}");
    assert!(
        r["rss_joined_kib"].as_u64().is_some(),
        "the server's RSS read: {r}"
    );
}

/// The SFU's media load (`moim-bench sfu`, issue 18) on a small large meeting, forwarded by a
/// host started from this build and by the floor: every member hears every speaker's voice
/// frame written in the window, receives the cameras it asked for (the last two speakers', at one layer), and
/// the report's section is written.
#[test]
fn sfu_media_load_forwards_every_voice_frame_and_the_cameras_asked_for() {
    let args = [
        "sfu",
        "--host-bin",
        env!("CARGO_BIN_EXE_moim"),
        "--members",
        "4",
        "--speakers",
        "2",
        "--last-n",
        "2",
        "--warmup-secs",
        "1",
        "--secs",
        "2",
    ];
    let (results, outputs) = run_bench(&args, &[], &["markdown"]);
    let section = &outputs[0];
    let results = results.as_array().expect("one result per forwarder");
    assert_eq!(results.len(), 2, "{results:?}");
    for (r, target) in results.iter().zip(["host", "copier"]) {
        assert_eq!(r["target"], target, "{r}");
        assert!(r["failure"].is_null(), "{r}");
        let expected = r["voice_expected"].as_u64().unwrap();
        // 2 speakers × 3 others × about 100 frames in 2 s (speech is what counts)
        assert!(expected >= 2 * 3 * 80, "{r}");
        assert_eq!(r["voice_received"], expected, "{r}");
        // each member receives two cameras at 30 frames/s
        assert!(r["camera_frames"].as_u64().unwrap() >= 4 * 2 * 40, "{r}");
        assert!(r["latency"]["p99_us"].as_f64().unwrap() > 0.0, "{r}");
    }
    assert!(section.contains("| 4 | moim SFU |"), "{section}");
    assert!(section.contains("| 4 | UDP copier (floor) |"), "{section}");
}

/// In a meeting of eleven, one speaking, a muted member's silence reaches the others only while
/// it is among the room's first nine speakers (`SILENCE_FORWARDED_OF`), on the host and on the
/// floor alike: 80 of the 100 silent streams there would be without the rule, and every frame
/// of speech still arrives.
#[test]
fn silence_is_forwarded_only_of_the_first_nine_speakers() {
    let args = [
        "sfu",
        "--host-bin",
        env!("CARGO_BIN_EXE_moim"),
        "--members",
        "11",
        "--speakers",
        "1",
        "--last-n",
        "1",
        "--layer",
        "q",
        "--warmup-secs",
        "1",
        "--secs",
        "2",
    ];
    let (results, _) = run_bench(&args, &[], &[]);
    for r in results.as_array().expect("one result per forwarder") {
        assert!(r["failure"].is_null(), "{r}");
        assert_eq!(r["voice_received"], r["voice_expected"], "{r}");
        // the first nine: the speaker and eight muted members. Each of those eight is heard
        // by the nine others but itself (8 × 10 = 80 streams); the two muted members after
        // them by nobody. Without the rule: each of the ten muted by ten (100 streams).
        let sent = r["silence_sent"].as_u64().unwrap() as f64;
        let received = r["silence_received"].as_u64().unwrap() as f64;
        let streams = received / (sent / 10.0);
        assert!(sent >= 10.0 * 80.0, "about 100 frames each in 2 s: {r}");
        assert!((78.0..=82.0).contains(&streams), "{streams} streams: {r}");
    }
}
