//! Large meetings over real sockets: the SFU's messages (`sfu-offer`, `sfu-answer`, `tracks`),
//! its refusals, and who sees whose tracks. The clients' side of the SDP is made by str0m, as
//! a native client would make it (the browser end to end is tests/e2e_sfu.rs).

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::{mesh_config, room_with, start_host, test_config, Client, TestHost, EVENT_TIMEOUT};

use serde_json::{json, Value};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};

/// A client's own WebRTC side, publishing one audio and one video track: a str0m `Rtc` on a
/// UDP socket of its own, driven by a task (ICE, DTLS and SRTP with the host's SFU for real).
struct Media {
    ops: mpsc::UnboundedSender<Op>,
    connected: watch::Receiver<bool>,
}

/// What the test asks of a client's media task.
enum Op {
    /// Apply the host's answer to our pending offer.
    Answered(String),
    /// Apply the host's offer; reply with our answer.
    Offered(String, oneshot::Sender<String>),
}

impl Media {
    /// A new side (its task running) and its first offer.
    async fn publish() -> (Media, String) {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut rtc = Rtc::builder()
            .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
            .build(Instant::now());
        let local = socket.local_addr().unwrap();
        rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
        let mut change = rtc.sdp_api();
        change.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        change.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = change.apply().expect("an offer");
        let (ops, rx) = mpsc::unbounded_channel();
        let (tx_connected, connected) = watch::channel(false);
        tokio::spawn(drive(rtc, socket, pending, rx, tx_connected));
        (Media { ops, connected }, offer.to_sdp_string())
    }

    /// Apply the host's `sfu-answer`.
    fn answered(&self, msg: &Value) {
        let sdp = msg["sdp"].as_str().unwrap().to_string();
        self.ops.send(Op::Answered(sdp)).unwrap();
    }

    /// Apply the host's `sfu-offer`; our answer.
    async fn answer(&self, msg: &Value) -> String {
        let (tx, rx) = oneshot::channel();
        let sdp = msg["sdp"].as_str().unwrap().to_string();
        self.ops.send(Op::Offered(sdp, tx)).unwrap();
        rx.await.expect("our answer")
    }

    /// Wait until ICE and DTLS with the host are done.
    async fn connected(&mut self) {
        let wait = self.connected.wait_for(|c| *c);
        tokio::time::timeout(EVENT_TIMEOUT, wait)
            .await
            .expect("connected to the host's SFU in time")
            .unwrap();
    }
}

/// The media task: datagrams, time and the test's SDP operations into the `Rtc`.
async fn drive(
    mut rtc: Rtc,
    socket: UdpSocket,
    pending: SdpPendingOffer,
    mut ops: mpsc::UnboundedReceiver<Op>,
    connected: watch::Sender<bool>,
) {
    let mut pending = Some(pending);
    let mut buf = vec![0u8; 2048];
    loop {
        let wake = loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(t)) => break t,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(Event::Connected)) => {
                    let _ = connected.send(true);
                }
                Ok(Output::Event(_)) => {}
                Err(_) => return,
            }
        };
        let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(wake));
        tokio::select! {
            op = ops.recv() => match op {
                Some(Op::Answered(sdp)) => {
                    let answer = SdpAnswer::from_sdp_string(&sdp).expect("an answer");
                    let p = pending.take().expect("an offer out");
                    rtc.sdp_api().accept_answer(p, answer).expect("the host's answer applies");
                }
                Some(Op::Offered(sdp, reply)) => {
                    let offer = SdpOffer::from_sdp_string(&sdp).expect("an offer");
                    let answer = rtc.sdp_api().accept_offer(offer).expect("it applies");
                    let _ = reply.send(answer.to_sdp_string());
                }
                None => return,
            },
            got = socket.recv_from(&mut buf) => if let Ok((n, source)) = got {
                let receive = Receive {
                    proto: Protocol::Udp,
                    source,
                    destination: socket.local_addr().unwrap(),
                    contents: buf[..n].try_into().unwrap(),
                };
                let _ = rtc.handle_input(Input::Receive(Instant::now(), receive));
            },
            _ = sleep => {}
        }
        let _ = rtc.handle_input(Input::Timeout(Instant::now()));
    }
}

/// Connect, create a room (`large` or not) and join it as `name`.
async fn create(host: &TestHost, large: bool, name: &str) -> (Client, String) {
    let mut c = Client::connect(host).await;
    c.send(json!({"type": "create-room", "name": "class", "large": large}))
        .await;
    let created = c.expect("room-created").await;
    assert_eq!(created["room"]["media"], if large { "sfu" } else { "mesh" });
    let room = created["room"]["id"].as_str().unwrap().to_string();
    c.join(&room, name).await;
    (c, room)
}

/// Connect and join `room` as `name`.
async fn join(host: &TestHost, room: &str, name: &str) -> Client {
    let mut c = Client::connect(host).await;
    c.join(room, name).await;
    c
}

/// Offer `media`'s first SDP and apply the host's answer; the answer's `tracks`.
async fn connect_media(c: &mut Client) -> (Media, Value) {
    let (media, offer) = Media::publish().await;
    c.send(json!({"type": "sfu-offer", "sdp": offer})).await;
    let answer = c.recv_until("sfu-answer").await;
    media.answered(&answer);
    (media, answer["tracks"].clone())
}

/// The peers and kinds of a `tracks` list, sorted.
fn owners(tracks: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = tracks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["peer"].as_str().unwrap().into(),
                t["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn welcome_announces_the_sfu_and_a_large_room_holds_fifty() {
    let host = start_host(test_config()).await;
    let c = Client::connect(&host).await;
    let port = c.welcome["sfu"]["port"].as_u64().expect("welcome.sfu.port");
    assert!(port > 0);
    let (mut a, _) = create(&host, true, "teacher").await;
    a.send(json!({"type": "list-rooms"})).await;
    let rooms = a.recv_until("rooms").await;
    assert_eq!(rooms["rooms"][0]["capacity"], 50, "{rooms}");
    assert_eq!(rooms["rooms"][0]["media"], "sfu");
    host.stop().await;
}

#[tokio::test]
async fn an_sfu_offer_in_a_mesh_room_or_outside_a_room_is_refused() {
    let host = start_host(test_config()).await;
    let mut lone = Client::connect(&host).await;
    lone.send(json!({"type": "sfu-offer", "sdp": "v=0"})).await;
    lone.expect_error("not-in-room").await;

    let (mut a, room) = create(&host, false, "a").await;
    let mut b = join(&host, &room, "b").await;
    a.recv_until("peer-joined").await;
    let (_media, offer) = Media::publish().await;
    a.send(json!({"type": "sfu-offer", "sdp": offer})).await;
    a.expect_error("not-sfu-room").await;
    a.send(json!({"type": "sfu-answer", "sdp": "v=0"})).await;
    a.expect_error("not-sfu-room").await;
    a.send(json!({"type": "sfu-view", "sizes": {b.peer_id.clone(): 180}}))
        .await;
    a.expect_error("not-sfu-room").await;
    // nothing reached the other member, and the mesh goes on
    b.assert_quiet().await;
    a.signal(&b.peer_id, "{}").await;
    assert_eq!(b.recv_until("signal").await["from"], a.peer_id.as_str());
    host.stop().await;
}

#[tokio::test]
async fn garbage_sdp_gets_bad_sdp_and_changes_nothing() {
    let host = start_host(test_config()).await;
    let (mut a, room) = create(&host, true, "a").await;
    let (_media, tracks) = connect_media(&mut a).await;
    assert_eq!(tracks, json!([]), "nobody else publishes yet");
    let mut b = join(&host, &room, "b").await;
    a.recv_until("peer-joined").await;

    for bad in ["", "hello", "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"] {
        b.send(json!({"type": "sfu-offer", "sdp": bad})).await;
        let err = b.expect_error("bad-sdp").await;
        assert!(err["message"].as_str().unwrap().contains("SDP"), "{err}");
    }
    b.send(json!({"type": "sfu-answer", "sdp": "v=0"})).await;
    b.expect_error("bad-sdp").await;
    b.send(json!({"type": "sfu-offer", "sdp": "x".repeat(257 * 1024)}))
        .await;
    b.expect_error("too-large").await;
    b.send(json!({"type": "sfu-offer"})).await;
    b.expect_error("bad-message").await;
    // views: a tile taller than 8K, a list longer than any room, a height that is no number
    b.send(json!({"type": "sfu-view", "sizes": {a.peer_id.clone(): 5000}}))
        .await;
    assert_eq!(b.expect_error("invalid-field").await["field"], "sizes");
    let many: serde_json::Map<String, Value> = (0..257)
        .map(|_| (uuid::Uuid::new_v4().to_string(), json!(100)))
        .collect();
    b.send(json!({"type": "sfu-view", "sizes": many})).await;
    assert_eq!(b.expect_error("invalid-field").await["field"], "sizes");
    b.send(json!({"type": "sfu-view", "sizes": {a.peer_id.clone(): "big"}}))
        .await;
    b.expect_error("bad-message").await;
    // more of the last speakers than any room holds, more pins than a screen shows
    b.send(json!({"type": "sfu-view", "sizes": {}, "last_n": 257}))
        .await;
    assert_eq!(b.expect_error("invalid-field").await["field"], "last_n");
    let pins: Vec<String> = (0..17).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    b.send(json!({"type": "sfu-view", "sizes": {}, "pinned": pins}))
        .await;
    assert_eq!(b.expect_error("invalid-field").await["field"], "pinned");
    b.send(json!({"type": "sfu-view", "sizes": {}, "last_n": -1}))
        .await;
    b.expect_error("bad-message").await;
    // a good one is taken without a word
    b.send(json!({"type": "sfu-view", "sizes": {a.peer_id.clone(): 180}}))
        .await;
    // the other member heard nothing of it, and b's session still works
    a.assert_quiet().await;
    b.assert_quiet().await;
    host.stop().await;
}

#[tokio::test]
async fn each_member_gets_the_others_tracks_and_a_leaver_disappears() {
    let host = start_host(test_config()).await;
    let (mut a, room) = create(&host, true, "a").await;
    let (mut media_a, _) = connect_media(&mut a).await;
    media_a.connected().await;
    let mut b = join(&host, &room, "b").await;
    let (mut media_b, tracks) = connect_media(&mut b).await;
    assert_eq!(tracks, json!([]), "a's tracks come in the host's own offer");

    // b is offered a's two tracks (at once: a is connected and publishes)
    let offer_b = b.recv_until("sfu-offer").await;
    let (a_id, b_id) = (a.peer_id.clone(), b.peer_id.clone());
    let want_a = vec![(a_id.clone(), "audio".into()), (a_id, "video".into())];
    assert_eq!(owners(&offer_b["tracks"]), want_a, "{offer_b}");
    let answer = media_b.answer(&offer_b).await;
    b.send(json!({"type": "sfu-answer", "sdp": answer})).await;
    media_b.connected().await;

    // once b is connected, a is offered b's two tracks
    let offer_a = a.recv_until("sfu-offer").await;
    let want_b = vec![(b_id.clone(), "audio".into()), (b_id, "video".into())];
    assert_eq!(owners(&offer_a["tracks"]), want_b, "{offer_a}");
    let answer = media_a.answer(&offer_a).await;
    a.send(json!({"type": "sfu-answer", "sdp": answer})).await;

    // b leaves: a is offered a connection without b's tracks
    b.send(json!({"type": "leave"})).await;
    b.expect("left").await;
    a.recv_until("peer-left").await;
    let offer = a.recv_until("sfu-offer").await;
    assert_eq!(offer["tracks"], json!([]), "{offer}");
    let sdp = offer["sdp"].as_str().unwrap();
    assert_eq!(
        sdp.matches("a=sendonly").count(),
        0,
        "b's m-lines are stopped:\n{sdp}"
    );
    media_a.answer(&offer).await;
    host.stop().await;
}

#[tokio::test]
async fn a_mesh_room_moves_to_the_sfu_when_a_fifth_joins_and_stays_there() {
    let host = start_host(test_config()).await;
    let (room, mut four) = room_with(&host, 4).await;
    four[0].send(json!({"type": "list-rooms"})).await;
    let rooms = four[0].recv_until("rooms").await;
    assert_eq!(
        (
            rooms["rooms"][0]["media"].clone(),
            rooms["rooms"][0]["capacity"].clone()
        ),
        (json!("mesh"), json!(8)),
        "four people: a mesh"
    );
    let (_media, offer) = Media::publish().await;
    four[1]
        .send(json!({"type": "sfu-offer", "sdp": offer}))
        .await;
    four[1].expect_error("not-sfu-room").await;

    // the fifth enters a room that goes through the host
    let mut fifth = Client::connect(&host).await;
    let entered = fifth.join(&room, "fifth").await;
    assert_eq!(entered["room"]["media"], "sfu", "{entered}");
    assert_eq!(entered["room"]["capacity"], 50);
    let token = entered["room_token"].as_str().unwrap().to_string();
    assert!(
        token.starts_with('L'),
        "a listed large meeting's token: {token}"
    );
    // the four hear of the move first, then of the newcomer
    for c in four.iter_mut() {
        let moved = c.recv_until("room-media").await;
        assert_eq!(moved["media"], "sfu", "{moved}");
        assert_eq!(moved["reason"], "size");
        assert_eq!(moved["capacity"], 50);
        assert_eq!(
            moved["room_token"],
            token.as_str(),
            "the same token as the newcomer's"
        );
        let next = c.recv().await;
        assert_eq!(next["type"], "peer-joined", "{next}");
        assert_eq!(next["peer"]["id"], fifth.peer_id.as_str());
    }
    fifth.assert_quiet().await;
    // a member now talks to the SFU
    let (_media, _tracks) = connect_media(&mut four[1]).await;

    // one leaves: four again, and the room stays where it is (no second move, no move back)
    fifth.send(json!({"type": "leave"})).await;
    fifth.expect("left").await;
    for c in four.iter_mut() {
        c.recv_until("peer-left").await;
    }
    four[0].send(json!({"type": "list-rooms"})).await;
    let rooms = four[0].recv_until("rooms").await;
    assert_eq!(rooms["rooms"][0]["media"], "sfu", "{rooms}");
    let mut again = Client::connect(&host).await;
    assert_eq!(again.join(&room, "again").await["room"]["media"], "sfu");
    for c in four.iter_mut() {
        let next = c.recv_until("peer-joined").await;
        assert_eq!(next["peer"]["id"], again.peer_id.as_str());
    }
    host.stop().await;
}

#[tokio::test]
async fn with_the_threshold_off_a_room_of_five_stays_a_mesh() {
    let host = start_host(mesh_config()).await;
    let (room, mut five) = room_with(&host, 5).await;
    let mut sixth = Client::connect(&host).await;
    let entered = sixth.join(&room, "sixth").await;
    assert_eq!(entered["room"]["media"], "mesh", "{entered}");
    for c in five.iter_mut() {
        let next = c.recv().await;
        assert_eq!(next["type"], "peer-joined", "no move: {next}");
    }
    host.stop().await;
}

#[tokio::test]
async fn members_who_cannot_reach_each_other_move_their_room_to_the_sfu() {
    // the size threshold is off: only the report moves the room
    let host = start_host(mesh_config()).await;
    let (room, mut three) = room_with(&host, 3).await;
    let (a, b) = (three[0].peer_id.clone(), three[1].peer_id.clone());
    // a report about someone who is not in the room, or about oneself, is refused and moves
    // nothing
    let (outsider, _elsewhere) = create(&host, false, "outsider").await;
    for who in [outsider.peer_id.clone(), a.clone()] {
        three[0]
            .send(json!({"type": "unreachable", "peer": who}))
            .await;
        three[0].expect_error("unknown-peer").await;
    }
    three[1]
        .send(json!({"type": "unreachable", "peer": "not a peer id"}))
        .await;
    three[1].expect_error("bad-message").await;
    let mut stranger = Client::connect(&host).await;
    stranger
        .send(json!({"type": "unreachable", "peer": a}))
        .await;
    stranger.expect_error("not-in-room").await;
    for c in three.iter_mut() {
        c.assert_quiet().await;
    }

    // one member cannot reach another: everyone, the sender too, hears the move and why
    three[0]
        .send(json!({"type": "unreachable", "peer": b}))
        .await;
    let mut tokens = Vec::new();
    for c in three.iter_mut() {
        let moved = c.recv_until("room-media").await;
        assert_eq!(
            (&moved["media"], &moved["reason"], &moved["capacity"]),
            (&json!("sfu"), &json!("reach"), &json!(50)),
            "{moved}"
        );
        tokens.push(moved["room_token"].clone());
    }
    assert!(
        tokens.iter().all(|t| *t == tokens[0]),
        "one token: {tokens:?}"
    );
    // the room is a large meeting now; a second report changes nothing
    let (_media, _tracks) = connect_media(&mut three[1]).await;
    three[1]
        .send(json!({"type": "unreachable", "peer": a}))
        .await;
    for c in three.iter_mut() {
        c.assert_quiet().await;
    }
    let mut fourth = Client::connect(&host).await;
    assert_eq!(fourth.join(&room, "fourth").await["room"]["media"], "sfu");
    host.stop().await;
}
