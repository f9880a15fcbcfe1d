//! The meeting's presence over real sockets: who shares a screen (and a late joiner learns it),
//! the order of raised hands, and reactions relayed within their budget.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn a_screen_share_is_presence_and_a_late_joiner_learns_it() {
    let host = start_host(test_config()).await;
    let (room, mut c) = room_with(&host, 2).await;
    c[0].send(json!({"type": "update", "screen": "stream-1"}))
        .await;
    for client in c.iter_mut() {
        let upd = client.expect("peer-updated").await;
        assert_eq!(upd["peer"]["screen"], "stream-1");
        assert_eq!(upd["peer"]["audio"], true, "the rest is kept");
    }
    let mut late = Client::connect(&host).await;
    let joined = late.join(&room, "late").await;
    let sharer = joined["peers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == c[0].peer_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(sharer["screen"], "stream-1", "{joined}");
    assert_eq!(joined["you"]["screen"], json!(null));
    // an update without `screen` leaves it; `null` clears it
    c[0].send(json!({"type": "update", "audio": false})).await;
    assert_eq!(
        late.recv_until("peer-updated").await["peer"]["screen"],
        "stream-1"
    );
    c[0].send(json!({"type": "update", "screen": null})).await;
    assert_eq!(
        late.recv_until("peer-updated").await["peer"]["screen"],
        json!(null)
    );
    // a bad id is refused, and nothing changes for anyone
    c[0].send(json!({"type": "update", "screen": "a b"})).await;
    let err = c[0].recv_until("error").await;
    assert_eq!(err["code"], "invalid-field");
    assert_eq!(err["field"], "screen");
    late.assert_quiet().await;
    host.stop().await;
}

/// The next `peer-updated` about `id` (others' updates before it are skipped).
async fn update_of(c: &mut Client, id: &str) -> serde_json::Value {
    loop {
        let upd = c.recv_until("peer-updated").await;
        if upd["peer"]["id"] == id {
            return upd;
        }
    }
}

#[tokio::test]
async fn raised_hands_keep_their_order() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = room_with(&host, 3).await;
    let mut hands = Vec::new();
    for i in [2, 0, 1] {
        c[i].send(json!({"type": "update", "hand": true})).await;
        let me = c[i].peer_id.clone();
        let upd = update_of(&mut c[i], &me).await;
        hands.push((i, upd["peer"]["hand"].as_u64().expect("a number")));
    }
    assert!(
        hands.windows(2).all(|w| w[0].1 < w[1].1),
        "later hands come later: {hands:?}"
    );
    // raising again keeps the place
    let first = hands[0].1;
    let two = c[2].peer_id.clone();
    c[2].send(json!({"type": "update", "hand": true})).await;
    assert_eq!(update_of(&mut c[2], &two).await["peer"]["hand"], first);
    // lowered: null, and raised again it goes to the back
    c[2].send(json!({"type": "update", "hand": false})).await;
    assert_eq!(
        update_of(&mut c[2], &two).await["peer"]["hand"],
        json!(null)
    );
    c[2].send(json!({"type": "update", "hand": true})).await;
    let again = update_of(&mut c[2], &two).await["peer"]["hand"]
        .as_u64()
        .unwrap();
    // and Ada, who had read up to her own raise, saw the same numbers after it: Linus's
    // raise (3rd), the raise that kept its place (1st), the hand down, the new raise (4th)
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let upd = c[0].recv_until("peer-updated").await;
        seen.push(upd["peer"]["hand"].clone());
    }
    let h = |i: usize| json!(hands[i].1);
    assert_eq!(seen, vec![h(2), h(0), json!(null), json!(again)]);
    assert!(again > hands[2].1, "{again} after {hands:?}");
    host.stop().await;
}

#[tokio::test]
async fn reactions_reach_the_others_within_a_budget() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = room_with(&host, 3).await;
    let from = c[0].peer_id.clone();
    c[0].send(json!({"type": "react", "emoji": "🎉"})).await;
    for other in c[1..].iter_mut() {
        let got = other.expect("reaction").await;
        assert_eq!(
            got,
            json!({"type": "reaction", "from": from, "emoji": "🎉"})
        );
    }
    c[0].assert_quiet().await;
    // not one of the offered reactions
    c[0].send(json!({"type": "react", "emoji": "hello"})).await;
    assert_eq!(c[0].expect_error("invalid-field").await["field"], "emoji");
    // a flood: the first few pass, then the host refuses, and nobody else hears of it
    let mut refused = 0;
    for _ in 0..12 {
        c[0].send(json!({"type": "react", "emoji": "👍"})).await;
    }
    c[0].send(json!({"type": "ping", "nonce": 1})).await;
    loop {
        let msg = c[0].recv().await;
        if msg["type"] == "pong" {
            break;
        }
        assert_eq!(msg["code"], "rate-limited", "{msg}");
        refused += 1;
    }
    assert!(refused >= 6, "only {refused} of 12 refused");
    let mut passed = 0;
    c[1].send(json!({"type": "ping", "nonce": 2})).await;
    loop {
        let msg = c[1].recv().await;
        if msg["type"] == "pong" {
            break;
        }
        assert_eq!(msg["type"], "reaction");
        passed += 1;
    }
    assert_eq!(
        passed + refused,
        12,
        "each reaction either passed or was refused"
    );
    // a stranger outside any room cannot react
    let mut stranger = Client::connect(&host).await;
    stranger.send(json!({"type": "react", "emoji": "👍"})).await;
    stranger.expect_error("not-in-room").await;
    host.stop().await;
}
