//! Hosts find each other with mDNS on a private LAN of network namespaces that the test makes
//! itself (never on the machine's real interfaces): rooms appear, change and vanish on the
//! other hosts; a host that stops, politely or not, leaves the others' lists; and a client can
//! join a room on another host through its own host.

mod e2e;

use std::time::{Duration, Instant};

use e2e::lan::{run_lan, wait_for};
use e2e::{signal, step};
use rustix::process::Signal;
use serde_json::{json, Value};

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

#[test]
fn a_lobby_on_another_host_is_pushed_new_rooms() {
    run_lan(
        "a_lobby_on_another_host_is_pushed_new_rooms",
        2,
        |lan| async move {
            let a = lan.start_host(1).await;
            let b = lan.start_host(2).await;
            wait_for("B to find A", Duration::from_secs(20), || async {
                b.sees(&a.id).await.map(|_| ())
            })
            .await;
            // A lobby on B follows the directory over its one socket; nothing polls.
            let mut lobby = b.socket(None).await;
            lobby.recv("welcome").await;
            lobby.send(json!({"type": "watch-hosts"})).await;
            let first = lobby.recv("hosts").await;
            assert_eq!(first["mdns"], true);
            assert_eq!(
                first["hosts"][0]["id"],
                b.id.as_str(),
                "B's own entry first"
            );
            assert_eq!(
                first["hosts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|h| h["self"] == true)
                    .count(),
                1
            );

            let mut alice = a.socket(None).await;
            alice.recv("welcome").await;
            let created_at = Instant::now();
            alice
                .send(json!({"type": "create-room", "name": "pushed"}))
                .await;
            let room = alice.recv("room-created").await["room"]["id"]
                .as_str()
                .unwrap()
                .to_string();
            let entry = loop {
                let hosts = lobby.recv("hosts").await;
                let found = hosts["hosts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h["id"] == a.id.as_str() && room_in(h, &room).is_some())
                    .cloned();
                if let Some(entry) = found {
                    break entry;
                }
            };
            let pushed_after = created_at.elapsed();
            step(&format!(
                "B's lobby was pushed A's new room after {pushed_after:?}"
            ));
            assert_eq!(entry["self"], false);
            assert_eq!(room_in(&entry, &room).unwrap()["name"], "pushed");
            assert!(
                pushed_after <= Duration::from_secs(1),
                "took {pushed_after:?}"
            );
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
