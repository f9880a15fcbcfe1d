//! The signaling host over real sockets: rooms, relays, every bad input of docs/protocol.md,
//! liveness and shutdown.

mod common;

use common::*;
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn two_peers_join_and_see_each_other() {
    let host = start_host(test_config()).await;
    let mut a = Client::connect(&host).await;
    assert_eq!(a.welcome["protocol"], 1);
    assert_eq!(
        a.welcome["ice_servers"],
        json!([]),
        "no STUN by default on a LAN"
    );
    let room = a.create_room("standup").await;
    assert!(moim::room::is_room_id(&room), "{room}");
    let joined = a.join(&room, "Ada").await;
    assert_eq!(joined["peers"], json!([]));
    assert_eq!(joined["you"]["name"], "Ada");
    assert_eq!(joined["room"]["peers"], 1);

    let mut b = Client::connect(&host).await;
    assert_ne!(a.peer_id, b.peer_id);
    let joined = b.join(&room, "Grace").await;
    assert_eq!(joined["peers"][0]["id"], a.peer_id.as_str());
    assert_eq!(joined["peers"][0]["name"], "Ada");
    let seen = a.expect("peer-joined").await;
    assert_eq!(seen["peer"]["id"], b.peer_id.as_str());
    assert_eq!(seen["peer"]["name"], "Grace");
    host.stop().await;
}

#[tokio::test]
async fn eight_peers_see_each_other_and_a_ninth_is_refused() {
    let host = start_host(mesh_config()).await;
    let (room, mut clients) = room_with(&host, 8).await;
    let ids: Vec<String> = clients.iter().map(|c| c.peer_id.clone()).collect();
    // Each peer's view: ask for a rejoin-free snapshot through the room list and the joins seen.
    let list = {
        clients[3].send(json!({"type": "list-rooms"})).await;
        clients[3].expect("rooms").await
    };
    assert_eq!(list["rooms"][0]["peers"], 8);
    let mut ninth = Client::connect(&host).await;
    ninth
        .send(json!({"type": "join", "room": room, "name": "late"}))
        .await;
    let err = ninth.expect_error("room-full").await;
    assert_eq!(err["capacity"], 8);
    // Everyone can still reach everyone.
    for (i, c) in clients.iter_mut().enumerate() {
        let to = &ids[(i + 1) % 8];
        c.signal(to, &format!("hello from {i}")).await;
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let got = c.expect("signal").await;
        assert_eq!(got["from"], ids[(i + 7) % 8].as_str());
        assert_eq!(got["data"], format!("hello from {}", (i + 7) % 8));
    }
    host.stop().await;
}

#[tokio::test]
async fn signals_reach_exactly_their_target() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = room_with(&host, 3).await;
    let (b_id, a_id) = (c[1].peer_id.clone(), c[0].peer_id.clone());
    let sdp = r#"{"description":{"type":"offer","sdp":"v=0\r\n..."}}"#;
    c[0].signal(&b_id, sdp).await;
    let got = c[1].expect("signal").await;
    assert_eq!(got["from"], a_id.as_str(), "the host stamps the sender");
    assert_eq!(got["data"], sdp, "payload relayed byte for byte");
    c[2].assert_quiet().await;
    c[0].assert_quiet().await;

    // A peer in another room is not a valid target, and nothing reaches it.
    let mut outsider = Client::connect(&host).await;
    let other_room = outsider.create_room("elsewhere").await;
    outsider.join(&other_room, "Out").await;
    c[0].signal(&outsider.peer_id, "psst").await;
    c[0].expect_error("unknown-peer").await;
    outsider.assert_quiet().await;
    // Nor is oneself, nor a made-up id.
    c[0].signal(&a_id, "me").await;
    c[0].expect_error("unknown-peer").await;
    c[0].signal(&uuid::Uuid::new_v4().to_string(), "ghost")
        .await;
    c[0].expect_error("unknown-peer").await;
    host.stop().await;
}

#[tokio::test]
async fn bad_input_gets_its_error_and_the_room_keeps_working() {
    let host = start_host(test_config()).await;
    let (room, mut c) = room_with(&host, 2).await;
    let b_id = c[1].peer_id.clone();
    let bad: &[(&str, &str)] = &[
        ("{not json", "bad-json"),
        ("[1,2,3]", "bad-json"),
        (r#"{"type":"teleport"}"#, "unknown-type"),
        (r#"{"no_type":true}"#, "unknown-type"),
        (r#"{"type":"ping","nonce":1,"extra":true}"#, "bad-message"),
        (r#"{"type":"signal","to":"x"}"#, "bad-message"),
        (r#"{"type":"join","room":5,"name":"x"}"#, "bad-message"),
        (
            r#"{"type":"join","room":"nope","name":"x"}"#,
            "invalid-field",
        ),
        (r#"{"type":"create-room","name":""}"#, "invalid-field"),
    ];
    for (frame, code) in bad {
        c[0].send_text(frame.to_string()).await;
        c[0].expect_error(code).await;
    }
    c[0].ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    c[0].expect_error("bad-frame").await;
    c[0].signal(&b_id, &"x".repeat(moim::config::MAX_SIGNAL_BYTES + 1))
        .await;
    let err = c[0].expect_error("too-large").await;
    assert_eq!(err["limit"], moim::config::MAX_SIGNAL_BYTES);
    c[1].assert_quiet().await;
    // Joining a second room while in one, or signalling before joining.
    c[0].send(json!({"type": "join", "room": moim::room::new_room_id(), "name": "x"}))
        .await;
    c[0].expect_error("already-in-room").await;
    let mut stranger = Client::connect(&host).await;
    stranger.signal(&b_id, "hi").await;
    stranger.expect_error("not-in-room").await;
    stranger
        .send(json!({"type": "join", "room": moim::room::new_room_id(), "name": "x"}))
        .await;
    stranger.expect_error("no-such-room").await;
    // The connection survived every error, and the room still relays.
    c[0].signal(&b_id, "still here").await;
    assert_eq!(c[1].expect("signal").await["data"], "still here");
    let _ = room;
    host.stop().await;
}

#[tokio::test]
async fn oversized_frame_closes_with_1009_and_only_that_socket() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = room_with(&host, 3).await;
    let big = format!(
        r#"{{"type":"signal","to":"{}","data":"{}"}}"#,
        c[1].peer_id,
        "y".repeat(moim::config::MAX_FRAME_BYTES)
    );
    c[0].send_text(big).await;
    let frame = c[0].expect_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1009);
    let left = c[1].expect("peer-left").await;
    assert_eq!(left["peer_id"], c[0].peer_id.as_str());
    c[2].expect("peer-left").await;
    // The moderator went: the role is handed on (tests/moderation.rs).
    c[1].expect("promoted").await;
    c[1].expect("peer-updated").await;
    c[2].expect("peer-updated").await;
    let to = c[2].peer_id.clone();
    c[1].signal(&to, "ok").await;
    assert_eq!(c[2].expect("signal").await["data"], "ok");
    host.stop().await;
}

#[tokio::test]
async fn passcodes_guard_locked_rooms() {
    let host = start_host(test_config()).await;
    let mut a = Client::connect(&host).await;
    a.send(json!({"type": "create-room", "name": "board", "passcode": "s3cret"}))
        .await;
    let created = a.expect("room-created").await;
    assert_eq!(created["room"]["locked"], true);
    let room = created["room"]["id"].as_str().unwrap().to_string();
    a.send(json!({"type": "join", "room": room, "name": "A", "passcode": "s3cret"}))
        .await;
    a.expect("existing-peers").await;
    let mut b = Client::connect(&host).await;
    b.send(json!({"type": "join", "room": room, "name": "B"}))
        .await;
    b.expect_error("wrong-passcode").await;
    b.send(json!({"type": "join", "room": room, "name": "B", "passcode": "guess"}))
        .await;
    b.expect_error("wrong-passcode").await;
    a.assert_quiet().await;
    b.send(json!({"type": "join", "room": room, "name": "B", "passcode": "s3cret"}))
        .await;
    b.expect("existing-peers").await;
    a.expect("peer-joined").await;
    host.stop().await;
}

#[tokio::test]
async fn a_flood_is_refused_then_closed_without_touching_others() {
    let config = moim::HostConfig {
        msg_rate: 20,
        msg_burst: 40,
        ..test_config()
    };
    let host = start_host(config).await;
    let (_room, mut c) = room_with(&host, 2).await;
    for i in 0..200 {
        c[0].send(json!({"type": "ping", "nonce": i})).await;
    }
    let mut pongs = 0;
    loop {
        let msg = c[0].recv().await;
        if msg["type"] == "pong" {
            pongs += 1;
            continue;
        }
        assert_eq!(msg["code"], "rate-limited", "{msg}");
        break;
    }
    // create-room and join used two of the 40 tokens.
    assert!(
        (38..200).contains(&pongs),
        "burst then refusal, got {pongs} pongs"
    );
    let frame = c[0].expect_close().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1008);
    let left = c[1].expect("peer-left").await;
    assert_eq!(left["reason"], "closed");
    c[1].expect("promoted").await;
    c[1].expect("peer-updated").await;
    c[1].assert_quiet().await;
    host.stop().await;
}

#[tokio::test]
async fn foreign_origins_get_403_and_own_origins_are_let_in() {
    let config = moim::HostConfig {
        allow_origins: vec!["http://allowed.example:9000".into()],
        ..test_config()
    };
    let host = start_host(config).await;
    let with_origin = |origin: &str| {
        let mut req = host.ws_url().into_client_request().unwrap();
        req.headers_mut()
            .insert("Origin", HeaderValue::from_str(origin).unwrap());
        req
    };
    let err = tokio_tungstenite::connect_async(with_origin("http://evil.example"))
        .await
        .expect_err("refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 403),
        other => panic!("expected HTTP 403, got {other:?}"),
    }
    let own = format!("http://{}", host.addr);
    for origin in [
        own.as_str(),
        "tauri://localhost",
        "http://tauri.localhost",
        "http://allowed.example:9000",
    ] {
        let (ws, _) = tokio_tungstenite::connect_async(with_origin(origin))
            .await
            .unwrap_or_else(|e| panic!("{origin} refused: {e}"));
        drop(ws);
    }
    host.stop().await;
}

#[tokio::test]
async fn connections_over_the_maximum_get_503() {
    let config = moim::HostConfig {
        max_connections: 3,
        ..test_config()
    };
    let host = start_host(config).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(Client::connect(&host).await);
    }
    match tokio_tungstenite::connect_async(host.ws_url()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!("expected HTTP 503, got {:?}", other.map(|_| ())),
    }
    // A place frees up when a socket closes.
    let mut gone = held.pop().unwrap();
    gone.ws.close(None).await.unwrap();
    let _ = gone.expect_close().await;
    let mut again = None;
    for _ in 0..200 {
        if let Ok((ws, _)) = tokio_tungstenite::connect_async(host.ws_url()).await {
            again = Some(ws);
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(again.is_some(), "the freed place is reusable");
    host.stop().await;
}

#[tokio::test]
async fn a_killed_client_disappears_at_once() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = room_with(&host, 3).await;
    let victim = c.remove(1);
    let victim_id = victim.peer_id.clone();
    drop(victim); // the TCP connection goes away with no close frame, as when a process dies
    for other in c.iter_mut() {
        let left = other.expect("peer-left").await;
        assert_eq!(left["peer_id"], victim_id.as_str());
        assert_eq!(left["reason"], "closed");
    }
    host.stop().await;
}

#[tokio::test]
async fn a_silent_peer_is_dropped_by_ping_timeout() {
    let config = moim::HostConfig {
        // Short, but long enough that a busy machine does not starve the peer that does read.
        ping_interval_secs: 0.5,
        idle_timeout_secs: 2.0,
        reconnect_grace_secs: 0.5,
        ..test_config()
    };
    let host = start_host(config).await;
    let (_room, mut c) = room_with(&host, 2).await;
    // c[1] stops reading: it never answers pings. c[0] keeps reading, so it answers.
    let silent = c.pop().unwrap();
    let left = c[0].expect("peer-left").await;
    assert_eq!(left["peer_id"], silent.peer_id.as_str());
    assert_eq!(left["reason"], "timeout");
    c[0].assert_quiet().await;
    drop(silent);
    host.stop().await;
}

/// Read the raw TCP stream under `client` (so no pong is sent) until the host closes it.
async fn host_hangs_up(client: &mut Client) {
    use tokio::io::AsyncReadExt;
    let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = client.ws.get_mut() else {
        panic!("a plain TCP client");
    };
    let mut buf = [0u8; 1024];
    let read = async { while tcp.read(&mut buf).await.is_ok_and(|n| n > 0) {} };
    tokio::time::timeout(EVENT_TIMEOUT, read)
        .await
        .expect("the host to hang up on the silent socket");
}

/// Wait for `until` while `client` keeps reading (and so answering pings); it must hear nothing.
async fn hears_nothing_until(client: &mut Client, until: impl std::future::Future<Output = ()>) {
    tokio::pin!(until);
    // (recv skips pings and pongs, so only a message of the room ends it early)
    tokio::select! {
        () = &mut until => {}
        heard = client.recv() => panic!("the room heard {heard}"),
    }
}

#[tokio::test]
async fn a_silent_member_back_within_the_grace_never_left() {
    let config = moim::HostConfig {
        ping_interval_secs: 0.2,
        idle_timeout_secs: 1.5,
        reconnect_grace_secs: 60.0,
        ..test_config()
    };
    let host = start_host(config).await;
    let (room, mut c) = room_with(&host, 2).await;
    // c[1]'s network goes dark: it answers no ping, and the host hangs up on it; c[0] hears
    // nothing of it.
    let mut silent = c.pop().unwrap();
    hears_nothing_until(&mut c[0], host_hangs_up(&mut silent)).await;
    let token = silent.welcome["resume"].as_str().unwrap().to_string();
    // Back with its resume token on a new socket: the same id, still a member.
    let mut back = Client::connect_url(&format!("{}?resume={token}", host.ws_url())).await;
    assert_eq!(back.peer_id, silent.peer_id);
    let again = back.join(&room, "peer1").await;
    assert_eq!(again["peers"][0]["id"], c[0].peer_id.as_str(), "{again}");
    // The other member saw nothing: no peer-left, no peer-joined; signals flow again.
    c[0].assert_quiet().await;
    c[0].signal(&back.peer_id, "after the blackout").await;
    let relayed = back.expect("signal").await;
    assert_eq!(relayed["data"], "after the blackout");
    host.stop().await;
}

#[tokio::test]
async fn a_silent_member_that_stays_away_leaves_after_the_grace() {
    let config = moim::HostConfig {
        ping_interval_secs: 0.2,
        idle_timeout_secs: 1.5,
        // longer than the host's 1-s linger before it hangs up the TCP connection
        reconnect_grace_secs: 3.0,
        ..test_config()
    };
    let host = start_host(config).await;
    let (_room, mut c) = room_with(&host, 2).await;
    let mut silent = c.pop().unwrap();
    hears_nothing_until(&mut c[0], host_hangs_up(&mut silent)).await;
    // Once the grace is over the room hears that it left.
    let left = c[0].expect("peer-left").await;
    assert_eq!(left["peer_id"], silent.peer_id.as_str());
    assert_eq!(left["reason"], "timeout");
    host.stop().await;
}

#[tokio::test]
async fn shutdown_tells_every_peer() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = room_with(&host, 3).await;
    let mut lobby = Client::connect(&host).await;
    host.shutdown.cancel();
    for client in c.iter_mut().chain(std::iter::once(&mut lobby)) {
        let msg = client.recv_until("closing").await;
        assert_eq!(msg["reason"], "shutdown");
        let frame = client.expect_close().await.expect("close frame");
        assert_eq!(u16::from(frame.code), 1001);
    }
    host.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn leaving_tells_the_room_and_the_last_one_out_closes_it() {
    let host = start_host(test_config()).await;
    let (room, mut c) = room_with(&host, 2).await;
    let mut lobby = Client::connect(&host).await;
    lobby
        .send(json!({"type": "list-rooms", "watch": true}))
        .await;
    let rooms = lobby.expect("rooms").await;
    assert_eq!(rooms["rooms"][0]["id"], room.as_str());
    assert_eq!(rooms["rooms"][0]["peers"], 2);

    c[0].send(json!({"type": "leave"})).await;
    c[0].expect("left").await;
    let left = c[1].expect("peer-left").await;
    assert_eq!(left["reason"], "left");
    c[1].expect("promoted").await;
    c[1].expect("peer-updated").await;
    loop {
        let rooms = lobby.expect("rooms").await;
        if rooms["rooms"][0]["peers"] == 1 {
            break;
        }
    }
    c[1].send(json!({"type": "leave"})).await;
    c[1].expect("left").await;
    loop {
        let rooms = lobby.expect("rooms").await;
        if rooms["rooms"] == json!([]) {
            break;
        }
    }
    c[0].send(json!({"type": "join", "room": room, "name": "back"}))
        .await;
    c[0].expect_error("no-such-room").await;
    host.stop().await;
}

#[tokio::test]
async fn presence_updates_reach_the_room() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = room_with(&host, 2).await;
    c[0].send(json!({"type": "update", "audio": false})).await;
    for client in c.iter_mut() {
        let upd = client.expect("peer-updated").await;
        assert_eq!(upd["peer"]["audio"], false);
        assert_eq!(upd["peer"]["video"], true);
    }
    host.stop().await;
}

#[tokio::test]
async fn a_resumed_session_keeps_its_id_and_its_room() {
    let host = start_host(test_config()).await;
    let (room, mut c) = room_with(&host, 2).await;
    let token = c[0].welcome["resume"].as_str().unwrap().to_string();
    let url = format!("{}?resume={token}", host.ws_url());
    let mut again = Client::connect_url(&url).await;
    assert_eq!(again.peer_id, c[0].peer_id);
    // The old socket is closed as replaced; the room saw nobody leave.
    let frame = c[0].expect_close().await.expect("close");
    assert_eq!(u16::from(frame.code), 4000);
    c[1].assert_quiet().await;
    let rejoined = again.join(&room, "peer0").await;
    assert_eq!(rejoined["peers"][0]["id"], c[1].peer_id.as_str());
    c[1].assert_quiet().await;
    // Relays reach the resumed socket.
    let a_id = again.peer_id.clone();
    c[1].signal(&a_id, "welcome back").await;
    assert_eq!(again.expect("signal").await["data"], "welcome back");
    // A forged token gets a fresh id.
    let forged = format!("{}?resume={}.AAAA", host.ws_url(), c[1].peer_id);
    let stranger = Client::connect_url(&forged).await;
    assert_ne!(stranger.peer_id, c[1].peer_id);
    host.stop().await;
}

#[tokio::test]
async fn members_bring_their_room_back_after_a_host_restart() {
    let (config, dir) = persistent_config();
    let host = start_host(config.clone()).await;
    let addr = host.addr;
    let (room, mut c) = room_with(&host, 2).await;
    let mut tokens = Vec::new();
    for client in &c {
        tokens.push(client.welcome["resume"].as_str().unwrap().to_string());
    }
    // Both learned the room token when they joined; read it from a rejoin snapshot.
    c[0].send(json!({"type": "join", "room": room, "name": "peer0"}))
        .await;
    let snapshot = c[0].expect("existing-peers").await;
    let room_token = snapshot["room_token"].as_str().unwrap().to_string();
    host.stop().await;

    let host = start_host_on(config, addr).await;
    let mut back = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let mut client = Client::connect_url(&format!("{}?resume={token}", host.ws_url())).await;
        assert_eq!(client.peer_id, c[i].peer_id, "same id after the restart");
        client
            .send(
                json!({"type": "join", "room": room, "name": format!("peer{i}"),
                          "recreate": {"name": "test room", "token": room_token}}),
            )
            .await;
        let joined = client.expect("existing-peers").await;
        assert_eq!(joined["room"]["id"], room.as_str());
        back.push(client);
    }
    let joined = back[0].expect("peer-joined").await;
    assert_eq!(joined["peer"]["id"], c[1].peer_id.as_str());
    // A wrong token cannot conjure a room.
    let mut intruder = Client::connect(&host).await;
    intruder
        .send(
            json!({"type": "join", "room": moim::room::new_room_id(), "name": "x",
                      "recreate": {"name": "mine", "token": room_token}}),
        )
        .await;
    intruder.expect_error("bad-token").await;
    host.stop().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn http_serves_health_rooms_and_the_ui() {
    let host = start_host(test_config()).await;
    let get = |path: &str| {
        let url = format!("http://{}{path}", host.addr);
        async move { http_get(&url).await }
    };
    let (status, body) = get("/healthz").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#""status":"ok""#), "{body}");
    let (status, body) = get("/").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("<html") || body.contains("<!doctype"),
        "{body}"
    );
    let (status, _) = get(&format!("/j/{}", moim::room::new_room_id())).await;
    assert_eq!(status, 200);
    let (status, _) = get("/no/such/file.js").await;
    assert_eq!(status, 404);
    let (status, body) = get("/api/rooms").await;
    assert_eq!((status, body.as_str()), (200, r#"{"rooms":[]}"#));
    host.stop().await;
}

/// A minimal HTTP/1.1 GET over a real socket (no client library needed for three routes).
async fn http_get(url: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn chat_is_relayed_to_the_rest_of_the_room_only() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = room_with(&host, 3).await;
    let (_other, mut outside) = room_with(&host, 1).await;
    c[0].send(json!({"type": "chat", "id": "m1", "text": "hello 모임"}))
        .await;
    let sender = c[0].peer_id.clone();
    for member in &mut c[1..] {
        let got = member.expect("chat").await;
        assert_eq!(got["from"], sender.as_str());
        assert_eq!(got["name"], "peer0");
        assert_eq!(
            (got["id"].as_str(), got["text"].as_str()),
            (Some("m1"), Some("hello 모임"))
        );
        assert!(got["time"].as_u64().is_some_and(|t| t > 0));
    }
    c[0].assert_quiet().await;
    outside[0].assert_quiet().await;
    c[0].send(json!({"type": "chat", "id": "m2", "text": "   "}))
        .await;
    assert_eq!(c[0].expect_error("invalid-field").await["field"], "text");
    c[1].assert_quiet().await;
    host.stop().await;
}
