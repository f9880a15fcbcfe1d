//! The pre-join page's room status over real sockets (`watch-room` → `room-status`,
//! docs/protocol.md "Room status"): what it tells, when it changes, and what it keeps to itself.

mod common;

use common::*;
use serde_json::json;

/// Follow `room` on `c` and return the first status.
async fn watch(c: &mut Client, room: &str) -> serde_json::Value {
    c.send(json!({"type": "watch-room", "room": room})).await;
    c.recv_until("room-status").await
}

#[tokio::test]
async fn a_watcher_hears_joins_renames_leaves_and_the_end() {
    let host = start_host(test_config()).await;
    let mut ada = Client::connect(&host).await;
    let room = ada.create_room("standup").await;
    let mut page = Client::connect(&host).await;
    let s = watch(&mut page, &room).await;
    assert_eq!(
        s,
        json!({"type": "room-status", "room": room, "name": "standup", "peers": [], "count": 0,
               "capacity": 8, "full": false, "passcode": false, "locked": false,
               "waiting_room": false, "gone": false})
    );
    ada.join(&room, "Ada").await;
    let s = page.expect("room-status").await;
    assert_eq!(
        (s["peers"].clone(), s["count"].clone()),
        (json!(["Ada"]), json!(1))
    );
    ada.send(json!({"type": "update", "name": "Ada L."})).await;
    let s = page.expect("room-status").await;
    assert_eq!(s["peers"], json!(["Ada L."]), "a rename is pushed");
    ada.send(json!({"type": "leave"})).await;
    let s = page.expect("room-status").await;
    assert_eq!(s["gone"], true, "the last one left: the room ended");
    assert_eq!(s["name"], "");
    page.assert_quiet().await;
    host.stop().await;
}

#[tokio::test]
async fn a_lock_and_a_waiting_room_are_pushed_and_a_locked_room_refuses_joins() {
    let host = start_host(test_config()).await;
    let mut ada = Client::connect(&host).await;
    let room = ada.create_room("review").await;
    ada.join(&room, "Ada").await;
    let mut page = Client::connect(&host).await;
    let s = watch(&mut page, &room).await;
    assert_eq!(
        (s["locked"].clone(), s["waiting_room"].clone()),
        (json!(false), json!(false))
    );
    ada.send(json!({"type": "room-settings", "closed": true}))
        .await;
    let s = page.expect("room-status").await;
    assert_eq!(
        s["locked"], true,
        "the moderator's lock reaches the pre-join page"
    );
    page.send(json!({"type": "join", "room": room, "name": "Bo"}))
        .await;
    assert_eq!(
        page.expect("error").await["code"],
        "room-closed",
        "locked means locked"
    );
    let mut page = Client::connect(&host).await;
    assert_eq!(watch(&mut page, &room).await["locked"], true);
    ada.send(json!({"type": "room-settings", "closed": false, "waiting_room": true}))
        .await;
    let s = page.expect("room-status").await;
    assert_eq!(
        (s["locked"].clone(), s["waiting_room"].clone()),
        (json!(false), json!(true))
    );
    host.stop().await;
}

#[tokio::test]
async fn a_full_room_says_so_and_a_freed_seat_is_pushed() {
    let host = start_host(mesh_config()).await;
    let (room, mut members) = room_with(&host, 8).await;
    let mut page = Client::connect(&host).await;
    let s = watch(&mut page, &room).await;
    assert_eq!(
        (s["full"].clone(), s["count"].clone()),
        (json!(true), json!(8))
    );
    let last = members.pop().unwrap();
    drop(last);
    let s = page.recv_until("room-status").await;
    assert_eq!(
        (s["full"].clone(), s["count"].clone()),
        (json!(false), json!(7))
    );
    host.stop().await;
}

#[tokio::test]
async fn a_passcode_hides_the_names_and_bad_ids_are_told_apart() {
    let host = start_host(test_config()).await;
    let mut ann = Client::connect(&host).await;
    ann.send(
        json!({"type": "create-room", "name": "board", "passcode": "s3cret", "listed": false}),
    )
    .await;
    let room = ann.expect("room-created").await["room"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ann.send(json!({"type": "join", "room": room, "name": "Ann", "passcode": "s3cret"}))
        .await;
    ann.expect("existing-peers").await;
    let mut page = Client::connect(&host).await;
    let s = watch(&mut page, &room).await;
    assert_eq!(s["passcode"], true);
    assert_eq!(s["count"], 1);
    assert_eq!(s["peers"], json!([]), "no names behind a passcode: {s}");
    assert!(!s.to_string().contains("Ann"), "{s}");

    page.send(json!({"type": "watch-room", "room": "0000-0000-0000-0000"}))
        .await;
    let s = page.recv_until("room-status").await;
    assert_eq!(
        (s["gone"].clone(), s["room"].clone()),
        (json!(true), json!("0000-0000-0000-0000"))
    );
    page.send(json!({"type": "watch-room", "room": "not-a-real-room"}))
        .await;
    let err = page.expect_error("invalid-field").await;
    assert_eq!(err["field"], "room");
    // stopping ends the watch: the page hears nothing more of the room it watched
    let s = watch(&mut page, &room).await;
    assert_eq!(s["count"], 1);
    page.send(json!({"type": "watch-room"})).await;
    ann.send(json!({"type": "update", "name": "Ann B."})).await;
    page.assert_quiet().await;
    host.stop().await;
}
