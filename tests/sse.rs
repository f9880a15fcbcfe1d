//! The event-stream transport: a peer on server-sent events + POST is a full member of a room
//! with peers on WebSockets, and gets the same limits.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn an_event_stream_peer_is_a_full_member() {
    let host = start_host(test_config()).await;
    let (room, mut c) = room_with(&host, 1).await;
    let mut sse = SseClient::open(&host).await;
    let welcome = sse.recv("welcome").await;
    let sse_id = welcome["peer_id"].as_str().unwrap().to_string();
    assert_eq!(
        sse.post(json!({"type": "join", "room": room, "name": "Safari"}))
            .await,
        204
    );
    let joined = sse.recv("existing-peers").await;
    assert_eq!(joined["peers"][0]["id"], c[0].peer_id.as_str());
    assert_eq!(
        c[0].expect("peer-joined").await["peer"]["id"],
        sse_id.as_str()
    );

    let a_id = c[0].peer_id.clone();
    c[0].signal(&sse_id, "offer").await;
    let got = sse.recv("signal").await;
    assert_eq!(
        (got["from"].as_str(), got["data"].as_str()),
        (Some(a_id.as_str()), Some("offer"))
    );
    assert_eq!(
        sse.post(json!({"type": "signal", "to": a_id, "data": "answer"}))
            .await,
        204
    );
    assert_eq!(c[0].expect("signal").await["data"], "answer");

    // Errors arrive on the stream, in order.
    assert_eq!(sse.post(json!({"type": "nonsense"})).await, 204);
    assert_eq!(sse.recv("error").await["code"], "unknown-type");

    // Closing the stream is leaving.
    drop(sse);
    let left = c[0].expect("peer-left").await;
    assert_eq!(left["peer_id"], sse_id.as_str());
    host.stop().await;
}

#[tokio::test]
async fn unknown_sessions_and_floods_are_refused() {
    let config = moim::HostConfig {
        msg_rate: 5,
        msg_burst: 5,
        ..test_config()
    };
    let host = start_host(config).await;
    let mut sse = SseClient::open(&host).await;
    sse.recv("welcome").await;
    let (status, _) = http(host.addr, "POST", "/events/0123", Some("{}".into())).await;
    assert_eq!(status, 404);
    let mut statuses = Vec::new();
    for i in 0..8 {
        statuses.push(sse.post(json!({"type": "ping", "nonce": i})).await);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(sse.recv("error").await["code"], "rate-limited");
    loop {
        let (event, data) = sse.next_event().await.expect("stream open");
        if event == "close" {
            assert_eq!(serde_json::from_str::<Value>(&data).unwrap()["code"], 1008);
            break;
        }
    }
    host.stop().await;
}

#[tokio::test]
async fn event_streams_pass_the_same_origin_and_capacity_checks() {
    let config = moim::HostConfig {
        max_connections: 1,
        ..test_config()
    };
    let host = start_host(config).await;
    let evil = Some("http://evil.example");
    let (status, _) = http_from(host.addr, evil, "GET", "/events", None).await;
    assert_eq!(status, 403);
    let mut sse = SseClient::open(&host).await;
    sse.recv("welcome").await;
    let ping = Some(json!({"type": "ping", "nonce": 1}).to_string());
    let path = format!("/events/{}", sse.session);
    let (status, _) = http_from(host.addr, evil, "POST", &path, ping).await;
    assert_eq!(status, 403, "a foreign page may not post into a session");
    // The one connection slot is taken by the open stream.
    let own = format!("http://{}", host.addr);
    let (status, _) = http_from(host.addr, Some(&own), "GET", "/events", None).await;
    assert_eq!(status, 503);
    drop(sse);
    host.stop().await;
}
