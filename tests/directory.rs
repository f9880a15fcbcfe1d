//! The LAN directory as a lobby follows it: `watch-hosts` on the signaling socket it already
//! has, then whole `hosts` lists pushed after every change (docs/protocol.md). mDNS is off
//! here (loopback); tests/discovery.rs covers other hosts' rooms in namespaces.

mod common;

use common::*;
use serde_json::{json, Value};

/// The rooms of this host's own entry in a `hosts` message.
fn own_rooms(hosts: &Value) -> Vec<String> {
    let own = &hosts["hosts"][0];
    assert_eq!(own["self"], true, "this host comes first: {hosts}");
    own["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

/// Wait for a `hosts` push whose own entry lists exactly `names` (pushes are whole lists;
/// a coalesced burst may skip intermediate states but never the last one).
async fn until_rooms(client: &mut Client, names: &[&str]) -> Value {
    loop {
        let hosts = client.recv_until("hosts").await;
        let mut got = own_rooms(&hosts);
        got.sort();
        let mut want: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        want.sort();
        if got == want {
            return hosts;
        }
    }
}

#[tokio::test]
async fn a_lobby_follows_the_directory_by_push() {
    let host = start_host(test_config()).await;
    let mut lobby = Client::connect(&host).await;
    lobby.send(json!({"type": "watch-hosts"})).await;
    let first = lobby.expect("hosts").await;
    assert_eq!(first["mdns"], false);
    assert_eq!(first["hosts"].as_array().unwrap().len(), 1);
    assert!(own_rooms(&first).is_empty());
    assert!(first["hosts"][0]["id"].as_str().unwrap().len() == 16);

    let mut ada = Client::connect(&host).await;
    let room = ada.create_room("design review").await;
    let seen = until_rooms(&mut lobby, &["design review"]).await;
    assert_eq!(seen["hosts"][0]["rooms"][0]["id"], room.as_str());

    // Head counts follow joins; unlisted rooms never show.
    ada.join(&room, "Ada").await;
    loop {
        let hosts = lobby.recv_until("hosts").await;
        if hosts["hosts"][0]["rooms"][0]["peers"] == 1 {
            break;
        }
    }
    ada.send(json!({"type": "create-room", "name": "secret", "listed": false}))
        .await;
    ada.expect("room-created").await;
    let mut bob = Client::connect(&host).await;
    bob.create_room("retro").await;
    until_rooms(&mut lobby, &["design review", "retro"]).await;

    // The HTTP view is the same list.
    let api: Value = reqwest_hosts(&host).await;
    assert_eq!(api["hosts"][0]["rooms"].as_array().unwrap().len(), 2);

    // A burst of changes ends in one list that holds them all.
    for i in 0..20 {
        bob.create_room(&format!("burst {i:02}")).await;
    }
    let mut want: Vec<String> = (0..20).map(|i| format!("burst {i:02}")).collect();
    want.push("design review".into());
    want.push("retro".into());
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    until_rooms(&mut lobby, &want).await;

    // `on: false` stops the pushes: once a witness has the next list, nothing waits for the
    // lobby before a round trip.
    let mut witness = Client::connect(&host).await;
    witness.send(json!({"type": "watch-hosts"})).await;
    lobby
        .send(json!({"type": "watch-hosts", "on": false}))
        .await;
    lobby.send(json!({"type": "ping", "nonce": 7})).await;
    lobby.recv_until("pong").await;
    bob.create_room("after stop").await;
    let mut want = want;
    want.push("after stop");
    until_rooms(&mut witness, &want).await;
    lobby.assert_quiet().await;
    host.stop().await;
}

#[tokio::test]
async fn joining_a_room_ends_the_directory_watch() {
    let host = start_host(test_config()).await;
    let mut ada = Client::connect(&host).await;
    ada.send(json!({"type": "watch-hosts"})).await;
    ada.expect("hosts").await;
    let room = ada.create_room("standup").await;
    until_rooms(&mut ada, &["standup"]).await;
    ada.join(&room, "Ada").await;
    // A member is not a lobby: nothing more arrives however the directory changes (a witness
    // that still follows shows the change was pushed).
    let mut witness = Client::connect(&host).await;
    witness.send(json!({"type": "watch-hosts"})).await;
    let mut bob = Client::connect(&host).await;
    bob.create_room("other").await;
    until_rooms(&mut witness, &["other", "standup"]).await;
    ada.assert_quiet().await;
    // Back in the lobby (the room closes with its last member), asking again gives the
    // current list.
    ada.send(json!({"type": "leave"})).await;
    ada.expect("left").await;
    ada.send(json!({"type": "watch-hosts"})).await;
    let now = until_rooms(&mut ada, &["other"]).await;
    assert_eq!(now["hosts"][0]["self"], true);
    host.stop().await;
}

/// `GET /api/hosts` over plain HTTP on loopback.
async fn reqwest_hosts(host: &TestHost) -> Value {
    let body = moim::remote::get(host.addr, None, "/api/hosts")
        .await
        .expect("GET /api/hosts");
    serde_json::from_slice(&body).unwrap()
}
