//! The host's part of recording (issue 14): `update.recording` reaches everyone in the room as
//! `peer-updated`, a late joiner finds it in `existing-peers`, and it does not follow the
//! recorder into another room. Over real sockets.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn recording_is_seen_by_everyone_and_by_late_joiners() {
    let host = start_host(test_config()).await;
    let (room, mut clients) = room_with(&host, 2).await;
    let recorder = clients[0].peer_id.clone();
    clients[0]
        .send(json!({"type": "update", "recording": true}))
        .await;
    for c in clients.iter_mut() {
        let up = c.recv_until("peer-updated").await;
        assert_eq!(up["peer"]["id"], recorder.as_str());
        assert_eq!(up["peer"]["recording"], true, "{up}");
        assert_eq!(up["peer"]["audio"], true, "the rest is unchanged: {up}");
    }
    let mut late = Client::connect(&host).await;
    let joined = late.join(&room, "late").await;
    let seen: Vec<_> = joined["peers"].as_array().unwrap().iter().collect();
    let rec = seen.iter().find(|p| p["id"] == recorder.as_str()).unwrap();
    assert_eq!(rec["recording"], true, "{joined}");
    assert_eq!(joined["you"]["recording"], false, "{joined}");
    let other = seen.iter().find(|p| p["id"] != recorder.as_str()).unwrap();
    assert_eq!(other["recording"], false, "{joined}");

    clients[0]
        .send(json!({"type": "update", "recording": false}))
        .await;
    let up = late.recv_until("peer-updated").await;
    assert_eq!(up["peer"]["recording"], false, "{up}");
    host.stop().await;
}

#[tokio::test]
async fn recording_ends_with_the_room_and_bad_values_are_refused() {
    let host = start_host(test_config()).await;
    let (_room, mut clients) = room_with(&host, 1).await;
    let a = &mut clients[0];
    a.send(json!({"type": "update", "recording": "yes"})).await;
    a.expect_error("bad-message").await;
    a.send(json!({"type": "update", "recording": true})).await;
    let up = a.expect("peer-updated").await;
    assert_eq!(up["peer"]["recording"], true);
    a.send(json!({"type": "leave"})).await;
    a.recv_until("left").await;
    let other = a.create_room("another").await;
    let joined = a.join(&other, "peer0").await;
    assert_eq!(
        joined["you"]["recording"], false,
        "a recording belongs to the room it was made in: {joined}"
    );
    host.stop().await;
}
