//! Room control over real sockets: roles, the waiting room, the lock and every moderator
//! action, each refused (and changing nothing) without the role.

mod common;

use common::*;
use serde_json::{json, Value};

/// A room made by `mod0` with `extra` more members; `c[0]` is its moderator.
async fn moderated_room(host: &TestHost, extra: usize) -> (String, Vec<Client>) {
    let (room, c) = room_with(host, extra + 1).await;
    (room, c)
}

async fn create(client: &mut Client, body: Value) -> String {
    client.send(body).await;
    let created = client.expect("room-created").await;
    created["room"]["id"].as_str().unwrap().to_string()
}

/// A room with a waiting room, created and joined by its moderator `name`: the moderator's
/// client, the room id and the moderator's `existing-peers`.
async fn waiting_room(host: &TestHost, room_name: &str, name: &str) -> (Client, String, Value) {
    let mut m = Client::connect(host).await;
    let room = create(
        &mut m,
        json!({"type": "create-room", "name": room_name, "waiting_room": true}),
    )
    .await;
    let joined = m.join(&room, name).await;
    (m, room, joined)
}

/// A new socket that knocks on `room` as `name`; its `waiting` answer.
async fn knock(host: &TestHost, room: &str, name: &str) -> (Client, Value) {
    let mut w = Client::connect(host).await;
    w.send(json!({"type": "join", "room": room, "name": name}))
        .await;
    let waiting = w.expect("waiting").await;
    (w, waiting)
}

#[tokio::test]
async fn the_creator_moderates_and_others_do_not() {
    let host = start_host(test_config()).await;
    let mut a = Client::connect(&host).await;
    let room = a.create_room("standup").await;
    let joined = a.join(&room, "Ada").await;
    assert_eq!(joined["you"]["moderator"], true, "{joined}");
    assert!(joined["role_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(joined["settings"]["waiting_room"], false);
    let mut b = Client::connect(&host).await;
    let joined = b.join(&room, "Bob").await;
    assert_eq!(joined["you"]["moderator"], false);
    assert!(joined.get("role_token").is_none(), "{joined}");
    assert_eq!(joined["peers"][0]["moderator"], true);
    a.expect("peer-joined").await;
    host.stop().await;
}

#[tokio::test]
async fn a_non_moderator_is_refused_every_action_and_nothing_changes() {
    let host = start_host(test_config()).await;
    let (room, mut c) = moderated_room(&host, 2).await;
    let (a, b) = (c[0].peer_id.clone(), c[2].peer_id.clone());
    let actions = [
        json!({"type": "admit"}),
        json!({"type": "turn-away"}),
        json!({"type": "make-moderator", "peer": b}),
        json!({"type": "room-settings", "closed": true, "waiting_room": true}),
        json!({"type": "mute"}),
        json!({"type": "mute", "peer": a}),
        json!({"type": "ask-unmute"}),
        json!({"type": "stop-video", "peer": a}),
        json!({"type": "stop-share", "peer": a}),
        json!({"type": "remove", "peer": a}),
        json!({"type": "end-meeting", "message": "bye"}),
    ];
    for action in actions {
        c[1].send(action.clone()).await;
        c[1].expect_error("not-allowed").await;
    }
    for client in c.iter_mut() {
        client.assert_quiet().await;
    }
    // The room is as it was: open, everyone in, with audio and video.
    let mut newcomer = Client::connect(&host).await;
    let joined = newcomer.join(&room, "New").await;
    assert_eq!(joined["room"]["peers"], 4);
    assert_eq!(joined["settings"]["closed"], false);
    for peer in joined["peers"].as_array().unwrap() {
        assert_eq!(peer["audio"], true, "{peer}");
        assert_eq!(peer["video"], true, "{peer}");
        assert_eq!(peer["moderator"], peer["id"] == a.as_str(), "{peer}");
    }
    // Outside any room the answer is not-in-room.
    let mut stranger = Client::connect(&host).await;
    stranger.send(json!({"type": "mute"})).await;
    stranger.expect_error("not-in-room").await;
    host.stop().await;
}

#[tokio::test]
async fn moderators_make_moderators() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = moderated_room(&host, 2).await;
    let (b, x) = (c[1].peer_id.clone(), c[2].peer_id.clone());
    c[0].send(json!({"type": "make-moderator", "peer": b}))
        .await;
    let promoted = c[1].expect("promoted").await;
    assert_eq!(promoted["by"], c[0].peer_id.as_str());
    assert!(promoted["role_token"].as_str().is_some());
    for client in c.iter_mut() {
        let seen = client.recv_until("peer-updated").await;
        assert_eq!(seen["peer"]["id"], b.as_str());
        assert_eq!(seen["peer"]["moderator"], true);
    }
    // The new moderator can act now.
    c[1].send(json!({"type": "stop-video", "peer": x})).await;
    let got = c[2].expect("moderation").await;
    assert_eq!(got["action"], "stop-video");
    assert_eq!(got["by"], b.as_str());
    assert_eq!(got["name"], "peer1");
    // An unknown or absent target changes nothing.
    c[0].send(json!({"type": "make-moderator", "peer": uuid::Uuid::new_v4()}))
        .await;
    c[0].recv_until("error").await;
    host.stop().await;
}

#[tokio::test]
async fn the_last_moderator_leaving_hands_the_role_to_the_longest_present() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = moderated_room(&host, 2).await;
    let next = c[1].peer_id.clone();
    c[0].send(json!({"type": "leave"})).await;
    c[0].expect("left").await;
    let promoted = c[1].recv_until("promoted").await;
    assert!(promoted.get("by").is_none(), "handed on: {promoted}");
    let seen = c[2].recv_until("peer-updated").await;
    assert_eq!(seen["peer"]["id"], next.as_str());
    assert_eq!(seen["peer"]["moderator"], true);
    c[2].assert_quiet().await;
    // A dropped socket hands it on too.
    let mut last = c.pop().unwrap();
    let former = c.pop().unwrap();
    drop(former);
    let promoted = last.recv_until("promoted").await;
    assert!(promoted["role_token"].as_str().is_some());
    host.stop().await;
}

#[tokio::test]
async fn a_reconnecting_moderator_keeps_the_role() {
    let host = start_host(test_config()).await;
    let (room, mut c) = moderated_room(&host, 1).await;
    let resume = c[0].welcome["resume"].as_str().unwrap().to_string();
    let old = c.remove(0);
    drop(old);
    c[0].recv_until("promoted").await; // handed on while away
    let mut back = Client::connect_url(&format!("{}?resume={resume}", host.ws_url())).await;
    let joined = back.join(&room, "peer0").await;
    assert_eq!(joined["you"]["moderator"], true, "{joined}");
    back.send(json!({"type": "mute", "peer": c[0].peer_id}))
        .await;
    assert_eq!(c[0].recv_until("moderation").await["action"], "mute");
    host.stop().await;
}

#[tokio::test]
async fn the_role_survives_a_host_restart_and_cannot_be_forged() {
    let (config, dir) = persistent_config();
    let host = start_host(config.clone()).await;
    let addr = host.addr;
    let mut a = Client::connect(&host).await;
    let room = a.create_room("kept").await;
    let joined = a.join(&room, "Ada").await;
    let (room_token, role) = (
        joined["room_token"].as_str().unwrap().to_string(),
        joined["role_token"].as_str().unwrap().to_string(),
    );
    let mut b = Client::connect(&host).await;
    b.join(&room, "Bob").await;
    let resumes = [
        a.welcome["resume"].as_str().unwrap().to_string(),
        b.welcome["resume"].as_str().unwrap().to_string(),
    ];
    host.stop().await;

    let host = start_host_on(config, addr).await;
    // Bob comes back first and presents Ada's role token as his own: worth nothing.
    let mut b2 = Client::connect_url(&format!("{}?resume={}", host.ws_url(), resumes[1])).await;
    b2.send(json!({"type": "join", "room": room, "name": "Bob",
        "recreate": {"name": "kept", "token": room_token, "role": role}}))
        .await;
    let joined = b2.expect("existing-peers").await;
    assert_eq!(
        joined["you"]["moderator"], true,
        "alone, Bob holds the role"
    );
    let mut a2 = Client::connect_url(&format!("{}?resume={}", host.ws_url(), resumes[0])).await;
    assert_eq!(a2.peer_id, a.peer_id);
    a2.send(json!({"type": "join", "room": room, "name": "Ada",
        "recreate": {"name": "kept", "token": room_token, "role": role}}))
        .await;
    let joined = a2.expect("existing-peers").await;
    assert_eq!(joined["you"]["moderator"], true, "{joined}");
    // A third peer forging the role with Ada's token gets no role.
    let mut c3 = Client::connect(&host).await;
    c3.send(json!({"type": "join", "room": room, "name": "Eve",
        "recreate": {"name": "kept", "token": room_token, "role": role}}))
        .await;
    let joined = c3.expect("existing-peers").await;
    assert_eq!(joined["you"]["moderator"], false);
    c3.send(json!({"type": "mute"})).await;
    c3.expect_error("not-allowed").await;
    host.stop().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_waiting_room_admits_one_by_one_or_all_and_waiters_receive_nothing() {
    let host = start_host(test_config()).await;
    let (mut m, room, joined) = waiting_room(&host, "clinic", "Doc").await;
    assert_eq!(joined["settings"]["waiting_room"], true);
    assert_eq!(joined["room"]["waiting_room"], true);
    let (mut w1, waiting) = knock(&host, &room, "Pat").await;
    assert_eq!(waiting["room"], room.as_str());
    assert_eq!(waiting["name"], "clinic");
    let list = m.expect("waiting-list").await;
    assert_eq!(list["peers"][0]["name"], "Pat");
    // Room traffic does not reach a waiting peer.
    m.send(json!({"type": "chat", "id": "c1", "text": "private"}))
        .await;
    m.signal(&w1.peer_id, "psst").await;
    m.expect_error("unknown-peer").await;
    m.send(json!({"type": "update", "audio": false})).await;
    m.expect("peer-updated").await;
    w1.assert_quiet().await;
    // Nor can it talk to the room.
    w1.signal(&m.peer_id, "hi").await;
    w1.expect_error("not-in-room").await;
    w1.send(json!({"type": "chat", "id": "c2", "text": "hi"}))
        .await;
    w1.expect_error("not-in-room").await;
    m.assert_quiet().await;

    let (mut w2, _) = knock(&host, &room, "Sam").await;
    assert_eq!(
        m.expect("waiting-list").await["peers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    m.send(json!({"type": "admit", "peer": w1.peer_id})).await;
    let entered = w1.expect("existing-peers").await;
    assert_eq!(entered["peers"][0]["id"], m.peer_id.as_str());
    assert_eq!(m.expect("peer-joined").await["peer"]["name"], "Pat");
    assert_eq!(m.expect("waiting-list").await["peers"][0]["name"], "Sam");
    w2.assert_quiet().await;
    // Admitting someone who is not waiting changes nothing.
    m.send(json!({"type": "admit", "peer": w1.peer_id})).await;
    m.expect_error("unknown-peer").await;
    let (mut w3, _) = knock(&host, &room, "Kim").await;
    m.expect("waiting-list").await;
    m.send(json!({"type": "admit"})).await;
    w2.expect("existing-peers").await;
    w3.expect("existing-peers").await;
    host.stop().await;
}

#[tokio::test]
async fn turned_away_and_giving_up() {
    let host = start_host(test_config()).await;
    let (mut m, room, _) = waiting_room(&host, "clinic", "Doc").await;
    let (mut w, _) = knock(&host, &room, "Pat").await;
    m.expect("waiting-list").await;
    m.send(json!({"type": "turn-away", "peer": w.peer_id}))
        .await;
    assert_eq!(w.expect("turned-away").await["room"], room.as_str());
    assert_eq!(m.expect("waiting-list").await["peers"], json!([]));
    // Knocking again, then giving up: the moderator's list empties, the room never heard.
    w.send(json!({"type": "join", "room": room, "name": "Pat"}))
        .await;
    w.expect("waiting").await;
    m.expect("waiting-list").await;
    w.send(json!({"type": "leave"})).await;
    w.expect("left").await;
    assert_eq!(m.expect("waiting-list").await["peers"], json!([]));
    // A waiting socket that closes leaves the list too.
    let (gone, _) = knock(&host, &room, "Gone").await;
    m.expect("waiting-list").await;
    drop(gone);
    assert_eq!(m.expect("waiting-list").await["peers"], json!([]));
    // Turning the waiting room off lets waiters in.
    w.send(json!({"type": "join", "room": room, "name": "Pat"}))
        .await;
    w.expect("waiting").await;
    m.expect("waiting-list").await;
    m.send(json!({"type": "room-settings", "waiting_room": false}))
        .await;
    let settings = m.expect("room-settings").await;
    assert_eq!(settings["settings"]["waiting_room"], false);
    w.expect("existing-peers").await;
    host.stop().await;
}

#[tokio::test]
async fn a_closed_room_takes_nobody_new_even_with_the_passcode() {
    let host = start_host(test_config()).await;
    let mut m = Client::connect(&host).await;
    let room = create(
        &mut m,
        json!({"type": "create-room", "name": "locked", "passcode": "s3"}),
    )
    .await;
    m.send(json!({"type": "join", "room": room, "name": "Doc", "passcode": "s3"}))
        .await;
    m.expect("existing-peers").await;
    let mut member = Client::connect(&host).await;
    member
        .send(json!({"type": "join", "room": room, "name": "Mem", "passcode": "s3"}))
        .await;
    member.expect("existing-peers").await;
    m.expect("peer-joined").await;
    m.send(json!({"type": "room-settings", "closed": true}))
        .await;
    let seen = member.expect("room-settings").await;
    assert_eq!(seen["settings"]["closed"], true);
    assert_eq!(seen["by"], m.peer_id.as_str());
    m.expect("room-settings").await;
    let mut late = Client::connect(&host).await;
    late.send(json!({"type": "join", "room": room, "name": "Late", "passcode": "s3"}))
        .await;
    late.expect_error("room-closed").await;
    late.send(json!({"type": "list-rooms"})).await;
    let rooms = late.expect("rooms").await;
    assert_eq!(rooms["rooms"][0]["closed"], true);
    assert_eq!(
        rooms["rooms"][0]["locked"], true,
        "locked still means: has a passcode"
    );
    m.assert_quiet().await;
    member.assert_quiet().await;
    // A member whose socket dropped is not new: it comes back.
    let resume = member.welcome["resume"].as_str().unwrap().to_string();
    drop(member);
    m.recv_until("peer-left").await;
    let mut back = Client::connect_url(&format!("{}?resume={resume}", host.ws_url())).await;
    back.send(json!({"type": "join", "room": room, "name": "Mem", "passcode": "s3"}))
        .await;
    back.expect("existing-peers").await;
    // Opened again, newcomers come in.
    m.recv_until("peer-joined").await;
    m.send(json!({"type": "room-settings", "closed": false}))
        .await;
    late.send(json!({"type": "join", "room": room, "name": "Late", "passcode": "s3"}))
        .await;
    late.expect("existing-peers").await;
    host.stop().await;
}

#[tokio::test]
async fn mute_one_or_everyone_and_only_moderators_may_unmute() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = moderated_room(&host, 2).await;
    let b = c[1].peer_id.clone();
    c[0].send(json!({"type": "mute", "peer": b})).await;
    let got = c[1].expect("moderation").await;
    assert_eq!(got["action"], "mute");
    assert_eq!(got["name"], "peer0");
    for client in c.iter_mut() {
        let seen = client.recv_until("peer-updated").await;
        assert_eq!(seen["peer"]["id"], b.as_str());
        assert_eq!(seen["peer"]["audio"], false);
    }
    // May unmute themselves by default.
    c[1].send(json!({"type": "update", "audio": true})).await;
    c[1].expect("peer-updated").await;
    c[0].expect("peer-updated").await;
    c[2].expect("peer-updated").await;
    // Only moderators may unmute: the host refuses it.
    c[0].send(json!({"type": "room-settings", "moderators_unmute": true}))
        .await;
    for client in c.iter_mut() {
        client.expect("room-settings").await;
    }
    c[0].send(json!({"type": "mute"})).await;
    // The muted hear it from the host; everyone sees both muted (a peer-updated for each).
    for (i, client) in c.iter_mut().enumerate() {
        let (mut told, mut muted) = (i == 0, std::collections::HashSet::new());
        while !told || muted.len() < 2 {
            let msg = client.recv().await;
            match msg["type"].as_str() {
                Some("moderation") => {
                    assert_eq!(msg["action"], "mute");
                    told = true;
                }
                Some("peer-updated") => {
                    assert_eq!(msg["peer"]["audio"], false);
                    muted.insert(msg["peer"]["id"].as_str().unwrap().to_string());
                }
                _ => panic!("unexpected {msg}"),
            }
        }
    }
    c[1].send(json!({"type": "update", "audio": true})).await;
    c[1].expect_error("not-allowed").await;
    c[1].assert_quiet().await;
    c[0].assert_quiet().await;
    // Asked to unmute, they may.
    c[0].send(json!({"type": "ask-unmute", "peer": b})).await;
    assert_eq!(c[1].recv_until("moderation").await["action"], "ask-unmute");
    c[1].send(json!({"type": "update", "audio": true})).await;
    let seen = c[1].recv_until("peer-updated").await;
    assert_eq!(seen["peer"]["audio"], true);
    assert_eq!(c[2].expect("peer-updated").await["peer"]["audio"], true);
    c[2].send(json!({"type": "update", "audio": true})).await;
    c[2].expect_error("not-allowed").await;
    host.stop().await;
}

#[tokio::test]
async fn camera_and_share_off_reach_only_their_target() {
    let host = start_host(test_config()).await;
    let (_room, mut c) = moderated_room(&host, 2).await;
    let b = c[1].peer_id.clone();
    c[0].send(json!({"type": "stop-share", "peer": b})).await;
    assert_eq!(c[1].expect("moderation").await["action"], "stop-share");
    c[2].assert_quiet().await;
    c[0].send(json!({"type": "stop-video", "peer": b})).await;
    assert_eq!(c[1].expect("moderation").await["action"], "stop-video");
    let seen = c[2].expect("peer-updated").await;
    assert_eq!(seen["peer"]["video"], false);
    // Oneself is no target.
    let me = c[0].peer_id.clone();
    c[0].send(json!({"type": "remove", "peer": me})).await;
    c[0].recv_until("error").await;
    host.stop().await;
}

#[tokio::test]
async fn a_removed_peer_cannot_come_back_with_its_old_session() {
    let host = start_host(test_config()).await;
    let (room, mut c) = moderated_room(&host, 2).await;
    let b = c[1].peer_id.clone();
    let room_token = {
        c[1].send(json!({"type": "join", "room": room, "name": "peer1"}))
            .await;
        c[1].expect("existing-peers").await["room_token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    c[0].send(json!({"type": "remove", "peer": b})).await;
    let removed = c[1].expect("removed").await;
    assert_eq!(removed["by"], c[0].peer_id.as_str());
    for i in [0, 2] {
        let left = c[i].recv_until("peer-left").await;
        assert_eq!(left["peer_id"], b.as_str());
        assert_eq!(left["reason"], "removed");
    }
    let a = c[0].peer_id.clone();
    c[1].signal(&a, "still here?").await;
    c[1].expect_error("not-in-room").await;
    // Reconnect with the old resume token and room token: outside the room, knocking.
    let resume = c[1].welcome["resume"].as_str().unwrap().to_string();
    let old = c.remove(1);
    drop(old);
    let mut back = Client::connect_url(&format!("{}?resume={resume}", host.ws_url())).await;
    assert_eq!(back.peer_id, b);
    back.send(json!({"type": "join", "room": room, "name": "peer1",
        "recreate": {"name": "test room", "token": room_token}}))
        .await;
    back.expect("waiting").await;
    let list = c[0].recv_until("waiting-list").await;
    assert_eq!(list["peers"][0]["id"], b.as_str());
    c[1].assert_quiet().await;
    back.assert_quiet().await;
    // Admitted again, it is in.
    c[0].send(json!({"type": "admit", "peer": b})).await;
    back.expect("existing-peers").await;
    host.stop().await;
}

#[tokio::test]
async fn ending_the_meeting_tells_everyone_and_closes_the_room() {
    let host = start_host(test_config()).await;
    let (mut m, room, _) = waiting_room(&host, "town hall", "Chair").await;
    let (waiter, _) = knock(&host, &room, "Late").await;
    m.expect("waiting-list").await;
    m.send(json!({"type": "admit"})).await;
    let mut member = waiter;
    member.expect("existing-peers").await;
    let (mut waiter, _) = knock(&host, &room, "Later").await;
    m.recv_until("waiting-list").await;
    m.send(json!({"type": "end-meeting", "message": "x".repeat(201)}))
        .await;
    m.recv_until("error").await;
    m.send(json!({"type": "end-meeting", "message": "Thanks, see you Monday."}))
        .await;
    for client in [&mut m, &mut member] {
        let ended = client.recv_until("meeting-ended").await;
        assert_eq!(ended["message"], "Thanks, see you Monday.");
        assert_eq!(ended["name"], "Chair");
    }
    waiter.expect("turned-away").await;
    let mut late = Client::connect(&host).await;
    late.send(json!({"type": "join", "room": room, "name": "x"}))
        .await;
    late.expect_error("no-such-room").await;
    assert_eq!(host.host.hub().stats().in_rooms, 0);
    host.stop().await;
}

#[tokio::test]
async fn the_host_panel_sees_knocks_and_answers_them_like_a_moderator() {
    let host = start_host(test_config()).await;
    let hub = host.host.hub().clone();
    let mut m = Client::connect(&host).await;
    let room = create(
        &mut m,
        json!({"type": "create-room", "name": "clinic", "waiting_room": true}),
    )
    .await;
    m.join(&room, "Doc").await;
    let mut changes = hub.subscribe_rooms();
    changes.borrow_and_update();
    let (mut pat, mut sam) = (Client::connect(&host).await, Client::connect(&host).await);
    for (c, name) in [(&mut pat, "Pat"), (&mut sam, "Sam")] {
        c.send(json!({"type": "join", "room": room, "name": name}))
            .await;
        c.expect("waiting").await;
        m.expect("waiting-list").await;
    }
    // the panel is told, and its details list the knocks, oldest first
    assert!(
        changes.has_changed().unwrap(),
        "a knock wakes the host panel"
    );
    let detail = hub
        .room_details()
        .into_iter()
        .find(|d| d.info.id == room)
        .unwrap();
    let names: Vec<&str> = detail.waiting.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Pat", "Sam"]);
    assert_eq!(detail.members.len(), 1);

    // wrong room or peer: an error, nothing changes
    let err = hub
        .answer_knock("zzzz-zzzz-zzzz-zzzz", None, true)
        .unwrap_err();
    assert_eq!(serde_json::to_value(err.code).unwrap(), "no-such-room");
    let stranger = uuid::Uuid::new_v4();
    let err = hub.answer_knock(&room, Some(stranger), true).unwrap_err();
    assert_eq!(serde_json::to_value(err.code).unwrap(), "unknown-peer");
    pat.assert_quiet().await;
    sam.assert_quiet().await;

    let pat_id = pat.peer_id.parse().unwrap();
    hub.answer_knock(&room, Some(pat_id), true).unwrap();
    pat.expect("existing-peers").await;
    assert_eq!(m.expect("peer-joined").await["peer"]["name"], "Pat");
    assert_eq!(m.expect("waiting-list").await["peers"][0]["name"], "Sam");
    hub.answer_knock(&room, None, false).unwrap();
    sam.expect("turned-away").await;
    let detail = hub
        .room_details()
        .into_iter()
        .find(|d| d.info.id == room)
        .unwrap();
    assert!(detail.waiting.is_empty());
    assert_eq!(detail.members.len(), 2);
    host.stop().await;
}
