//! End to end, the first five minutes (issue 16): real headless Chromium against the real host,
//! each test in a network namespace of its own (tests/e2e/mod.rs). The pre-join page knows its
//! room before any click (a malformed link, a missing room, a full one, one that needs a
//! passcode) and a full room's Join turns on by itself when a seat frees; "New meeting" works
//! without typing a name; after Leave the lobby lists the meeting still running, offers Rejoin
//! and shows no passcode; the others hear of joins, leaves and renames. Saves the screenshots
//! of the lobby and the invitation (light and dark, desktop and phone) into docs/screenshots.
//! Run serially:
//!
//! ```text
//! cargo test --no-default-features --features bench --test e2e_first -- --test-threads=1
//! ```

mod e2e;

use e2e::{recv_type, send, Browser, Host, Scene, Ws, WAIT};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::oneshot;

// ------------------------------------------------------------------------- scenario steps

/// Someone in a room through a plain socket (a native client), kept alive until `leave`.
struct Member {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Member {
    /// Join `room` as `name` and keep reading (so the host's pings are answered).
    async fn join(host: &Host, room: &str, name: &str, passcode: Option<&str>) -> Member {
        let mut ws = host.socket().await;
        let mut msg = json!({"type": "join", "room": room, "name": name});
        if let Some(p) = passcode {
            msg["passcode"] = json!(p);
        }
        send(&mut ws, msg).await;
        recv_type(&mut ws, "existing-peers").await;
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => {
                        let _ = ws.close(None).await;
                        return;
                    }
                    next = ws.next() => if next.is_none() { return },
                }
            }
        });
        Member { stop, task }
    }

    /// Close the socket (the host counts it out of the room).
    async fn leave(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Create a room on a socket of its own (nobody joins it yet); returns its id.
async fn create_room(host: &Host, name: &str, passcode: Option<&str>) -> String {
    let mut ws: Ws = host.socket().await;
    let mut msg = json!({"type": "create-room", "name": name});
    if let Some(p) = passcode {
        msg["passcode"] = json!(p);
    }
    send(&mut ws, msg).await;
    recv_type(&mut ws, "room-created").await["room"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The pre-join page's state, status sentence, people and whether Join can be pressed, once
/// the page is connected and its state is `state`.
async fn prejoin_says(b: &Browser, state: &str) -> Value {
    b.wait_until(
        &format!("the pre-join page to say {state}"),
        &format!(
            "(() => {{ const s = document.getElementById('prejoin-status'); \
             return window.moim && window.moim.state().mode === 'prejoin' && window.moim.signaling.connected \
             && s.dataset.state === '{state}' && {{text: s.textContent, \
             people: [...document.querySelectorAll('#prejoin-people li')].map(l => l.textContent), \
             disabled: document.getElementById('prejoin-btn').disabled, \
             title: document.getElementById('prejoin-room').textContent, \
             banner: document.getElementById('banner').hidden ? null : document.getElementById('banner').dataset.code}}; }})()"
        ),
        WAIT,
    )
    .await
}

/// A page in the lobby, connected, its devices not opened (nobody asked for a preview).
async fn open_lobby(b: &Browser, host: &Host, query: &str) {
    b.goto(&host.url(&format!("/{query}"))).await;
    b.wait_until(
        "the lobby, connected",
        "window.moim && window.moim.state().mode === 'lobby' && window.moim.signaling.connected",
        WAIT,
    )
    .await;
}

/// Wait for a notice of `kind` whose text holds `name`; returns its text.
async fn notice(b: &Browser, kind: &str, name: &str) -> String {
    let name_js = serde_json::to_string(name).unwrap();
    b.wait_until(
        &format!("a {kind} notice about {name}"),
        &format!(
            "[...(window.__notices || []), ...document.querySelectorAll('#notices .notice')] \
             .filter(n => n.dataset.kind === '{kind}') \
             .map(n => n.textContent).find(t => t.includes({name_js}))"
        ),
        WAIT,
    )
    .await
    .as_str()
    .unwrap()
    .to_string()
}

/// Keep every notice `b` shows from now on in `window.__notices`, so a check that comes after
/// the notice has timed out (a loaded machine, a test waiting on three browsers) still sees it.
async fn record_notices(b: &Browser) {
    b.eval(
        "(() => { if (window.__notices) return true; window.__notices = []; \
         new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => \
           n.classList && n.classList.contains('notice') && window.__notices.push(n)))) \
           .observe(document.getElementById('notices'), { childList: true }); return true; })()",
    )
    .await;
}

/// Every text on the page a person could read or copy: the visible text and every field's value.
const PAGE_TEXT_JS: &str = "document.body.innerText + ' ' + [...document.querySelectorAll('input')].map(i => i.value).join(' ') \
     + ' ' + location.href";

// ------------------------------------------------------------------------- the scenarios

e2e_test!(
    /// The pre-join page says what it knows before any click: a malformed link at once (and no
    /// error from the host), a missing room, a room that needs a passcode (its count, not its
    /// people's names), an open room with the names of those in it, and a full one, whose Join
    /// turns on by itself (and whose "full" banner goes) when someone leaves; a meeting a
    /// moderator locks turns Join off at once, and on again when opened (with its waiting room
    /// said before the click).
    async fn prejoin_page_knows_its_room_before_any_click() {
        // rooms that stay a mesh, so eight fill one (by default it would move to the SFU at
        // five and hold fifty)
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start_with(&["--sfu-threshold", "0"]).await;
        let b = driver.browser("guest").await;

        // a link that is no room id: said at once, Join off, nothing asked of the host
        b.goto(&host.url("/j/not-a-real-room?name=Gus")).await;
        let said = prejoin_says(&b, "malformed").await;
        assert_eq!(said["disabled"], true, "{said}");
        assert_eq!(said["banner"], Value::Null, "no error banner: {said}");
        let sent = b.eval("window.moim.signaling.welcomes").await;
        assert!(sent.as_u64().unwrap_or(0) >= 1, "connected to the host");

        // a room id of the right shape that is on no host
        b.goto(&host.url("/j/0000-0000-0000-0000?name=Gus")).await;
        let said = prejoin_says(&b, "gone").await;
        assert_eq!(said["disabled"], true, "{said}");
        assert!(
            said["text"].as_str().unwrap().contains("no meeting"),
            "{said}"
        );

        // a room with a passcode: how many are in it, not who
        let locked = create_room(&host, "board", Some("s3cret")).await;
        let ann = Member::join(&host, &locked, "Ann", Some("s3cret")).await;
        b.goto(&host.url(&format!("/j/{locked}?name=Gus"))).await;
        let said = prejoin_says(&b, "open").await;
        assert_eq!(said["title"], "“board”");
        assert!(
            said["text"].as_str().unwrap().contains("passcode"),
            "{said}"
        );
        assert!(
            said["text"].as_str().unwrap().contains("One person"),
            "{said}"
        );
        assert_eq!(said["people"], json!([]), "no names behind a passcode");
        assert!(!said["text"].as_str().unwrap().contains("Ann"), "{said}");
        ann.leave().await;

        // an open room: who is in it; then it fills up, and a seat frees
        let room = create_room(&host, "standup", None).await;
        let mut members = Vec::new();
        for name in ["Ada", "Grace"] {
            members.push(Member::join(&host, &room, name, None).await);
        }
        b.goto(&host.url(&format!("/j/{room}?name=Gus"))).await;
        let said = prejoin_says(&b, "open").await;
        assert_eq!(said["people"], json!(["Ada", "Grace"]), "{said}");
        assert_eq!(said["disabled"], false, "{said}");
        for i in 2..8 {
            members.push(Member::join(&host, &room, &format!("P{i}"), None).await);
        }
        let said = prejoin_says(&b, "full").await;
        assert_eq!(said["disabled"], true, "a full room's Join is off: {said}");
        assert!(said["text"].as_str().unwrap().contains("8 of 8"), "{said}");
        // a join that raced the push (as a click a moment before would): refused, said so
        b.eval(&format!("window.moim.session.join('{room}', '')"))
            .await;
        b.wait_until(
            "the room-full banner",
            "document.getElementById('banner').dataset.code === 'room-full' && !document.getElementById('banner').hidden",
            WAIT,
        )
        .await;
        members.pop().unwrap().leave().await;
        let said = prejoin_says(&b, "open").await;
        assert_eq!(said["disabled"], false, "Join turned on by itself: {said}");
        assert_eq!(said["banner"], Value::Null, "the full banner went: {said}");
        b.click("#prejoin-btn").await;
        b.in_room(&room).await;

        // the room ends while a page looks at it
        let other = driver.browser("other").await;
        let empty = create_room(&host, "brief", None).await;
        let last = Member::join(&host, &empty, "Solo", None).await;
        other
            .goto(&host.url(&format!("/j/{empty}?name=Olive")))
            .await;
        prejoin_says(&other, "open").await;
        last.leave().await;
        let said = prejoin_says(&other, "gone").await;
        assert_eq!(said["disabled"], true, "{said}");

        // a moderator locks the meeting (Join off, said why), then opens it with a waiting room
        let mut mo: Ws = host.socket().await;
        send(&mut mo, json!({"type": "create-room", "name": "review"})).await;
        let review = recv_type(&mut mo, "room-created").await["room"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        send(
            &mut mo,
            json!({"type": "join", "room": review, "name": "Mo"}),
        )
        .await;
        recv_type(&mut mo, "existing-peers").await;
        other
            .goto(&host.url(&format!("/j/{review}?name=Olive")))
            .await;
        prejoin_says(&other, "open").await;
        send(&mut mo, json!({"type": "room-settings", "closed": true})).await;
        let said = prejoin_says(&other, "locked").await;
        assert_eq!(
            said["disabled"], true,
            "a locked meeting's Join is off: {said}"
        );
        assert!(
            said["text"]
                .as_str()
                .unwrap()
                .contains("closed this meeting"),
            "{said}"
        );
        send(
            &mut mo,
            json!({"type": "room-settings", "closed": false, "waiting_room": true}),
        )
        .await;
        let said = prejoin_says(&other, "open").await;
        assert_eq!(said["disabled"], false, "opened again: {said}");
        assert!(
            said["text"]
                .as_str()
                .unwrap()
                .contains("lets each newcomer in"),
            "the waiting room is said before the click: {said}"
        );
        let _ = mo.close(None).await;
        for m in members {
            m.leave().await;
        }
        b.close().await;
        other.close().await;
    }
);

e2e_test!(
    /// A first visit: a name is suggested, the camera stays off until asked, "New meeting"
    /// makes a meeting with nothing typed, and the invitation is offered to the one alone in it.
    async fn new_meeting_works_without_a_typed_name() {
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start().await;
        let b = driver.browser("newcomer").await;
        open_lobby(&b, &host, "").await;
        let seen = b
            .eval(
                "({name: document.getElementById('name').value, \
                  meeting: document.getElementById('create-name').value, \
                  suggested: document.getElementById('create-name').placeholder, \
                  tracks: window.moim.localStream.getTracks().length, \
                  preview: !document.getElementById('preview-btn').hidden})",
            )
            .await;
        let name = seen["name"].as_str().unwrap().to_string();
        assert!(name.starts_with("Guest "), "a suggested name: {seen}");
        assert_eq!(seen["meeting"], "", "{seen}");
        assert_eq!(
            seen["tracks"], 0,
            "no device opened to browse the lobby: {seen}"
        );
        assert_eq!(seen["preview"], true, "a preview button instead: {seen}");
        let suggested = seen["suggested"].as_str().unwrap().to_string();
        assert!(suggested.contains(&name), "{seen}");

        b.click("#create-btn").await;
        let room = b
            .wait_until(
                "in the new meeting",
                "window.moim.state().mode === 'meeting' && window.moim.state().room",
                WAIT,
            )
            .await;
        let room = room.as_str().unwrap().to_string();
        let state = b.state().await;
        assert_eq!(state["roomName"], suggested.as_str(), "{state}");
        let tile = b
            .wait_until(
                "my tile with my name",
                "(document.querySelector('.tile.local .name') || {}).textContent",
                WAIT,
            )
            .await;
        assert_eq!(tile, format!("{name} (you)"));
        b.wait_until(
            "camera and microphone on in the meeting",
            "window.moim.localStream.getTracks().length === 2",
            WAIT,
        )
        .await;
        // alone: the invitation, with the meeting's link
        let offered = b
            .wait_until(
                "the invitation offered",
                "(() => { const d = document.getElementById('invite'); \
                 return d.open && d.dataset.alone === 'true' && document.getElementById('invite-link').title; })()",
                WAIT,
            )
            .await;
        assert!(
            offered.as_str().unwrap().contains(&format!("/j/{room}")),
            "{offered}"
        );
        let rooms = host.rooms().await;
        assert_eq!(rooms.len(), 1, "{rooms:?}");
        assert_eq!(rooms[0]["name"], suggested.as_str());
        b.close().await;
    }
);

e2e_test!(
    /// After Leave: a "You left" card with Rejoin, the lobby lists the meeting still running (the
    /// one push it already has), nothing on the page holds the passcode, and Rejoin goes back in.
    async fn after_leave_the_lobby_lists_the_meeting_and_no_passcode() {
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start().await;
        let (ada, grace) = tokio::join!(driver.browser("ada"), driver.browser("grace"));
        open_lobby(&ada, &host, "?name=Ada").await;
        ada.set_value("#create-name", "standup").await;
        ada.set_value("#create-passcode", "s3cret-42").await;
        ada.click("#create-btn").await;
        let room = ada.in_new_room().await;
        grace.join(&host, &room, "Grace", "#p=s3cret-42").await;

        ada.click("#leave").await;
        let listed = ada
            .wait_until(
                "the lobby listing the meeting, with Rejoin",
                &format!(
                    "(() => {{ const li = document.querySelector('#rooms li[data-room-id=\"{room}\"]'); \
                     return window.moim.state().mode === 'lobby' && !document.getElementById('left-card').hidden \
                     && li && li.querySelector('.count').textContent === '1/8'; }})()"
                ),
                WAIT,
            )
            .await;
        assert_eq!(listed, true, "the meeting goes on with Grace");
        let text = ada.eval(PAGE_TEXT_JS).await;
        let text = text.as_str().unwrap();
        assert!(
            !text.contains("s3cret"),
            "the passcode is gone from the page: {text}"
        );
        assert!(
            text.contains("standup"),
            "the card names the meeting: {text}"
        );
        assert_eq!(
            ada.eval("window.moim.localStream.getTracks().length").await,
            0,
            "the camera went off with the meeting"
        );
        let empty = ada
            .eval("document.getElementById('rooms-empty').hidden")
            .await;
        assert_eq!(empty, true, "no “No meetings yet”");

        ada.click("#rejoin-btn").await;
        ada.in_room(&room).await;
        assert_eq!(ada.state().await["people"], 2);
        ada.close().await;
        grace.close().await;
    }
);

e2e_test!(
    /// The others hear of it when someone joins, takes another name (in the meeting, from the
    /// devices menu) or leaves: a notice each, and the new name on every tile.
    async fn joins_leaves_and_renames_reach_the_others() {
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start().await;
        let room = create_room(&host, "notices", None).await;
        let (ada, grace, linus) = tokio::join!(
            driver.browser("ada"),
            driver.browser("grace"),
            driver.browser("linus")
        );
        ada.join(&host, &room, "Ada", "").await;
        record_notices(&ada).await;
        linus.join(&host, &room, "Linus", "").await;
        record_notices(&linus).await;
        notice(&ada, "join", "Linus").await;
        let grace_id = grace.join(&host, &room, "Grace", "").await;
        record_notices(&grace).await;
        let said = notice(&ada, "join", "Grace").await;
        assert_eq!(said, "Grace joined");
        notice(&linus, "join", "Grace").await;
        let own = grace
            .eval("[...window.__notices, ...document.querySelectorAll('#notices .notice')].map(n => n.textContent)")
            .await;
        assert!(
            !own.to_string().contains("Grace joined"),
            "no notice of one's own arrival: {own}"
        );

        // Grace renames herself from the devices menu
        grace.click("#devices-btn").await;
        grace
            .wait_until(
                "the name field in the devices menu",
                "document.getElementById('devices-popover').contains(document.getElementById('name'))",
                WAIT,
            )
            .await;
        grace.set_value("#name", "Gracie").await;
        grace
            .eval("document.getElementById('name').dispatchEvent(new Event('change', {bubbles: true}))")
            .await;
        for b in [&ada, &linus, &grace] {
            b.wait_until(
                "Grace's new name on her tile",
                &format!(
                    "(() => {{ const t = document.querySelector('.tile[data-peer-id=\"{grace_id}\"] .name'); \
                     return t && t.textContent.replace(' (you)', '') === 'Gracie'; }})()"
                ),
                WAIT,
            )
            .await;
        }
        for b in [&ada, &linus] {
            let names = b
                .eval("window.moim.state().peers.map(p => p.name).sort()")
                .await;
            assert!(names.to_string().contains("Gracie"), "{}: {names}", b.label);
            notice(b, "rename", "Gracie").await;
        }

        // Linus leaves: the two others are told
        linus.click("#leave").await;
        assert_eq!(notice(&ada, "leave", "Linus").await, "Linus left");
        notice(&grace, "leave", "Linus").await;
        for b in [ada, grace, linus] {
            b.close().await;
        }
    }
);

// ------------------------------------------------------------------------- screenshots

e2e_test!(
    /// The screenshots of the README: the lobby (with meetings near you) and the invitation,
    /// light and dark, desktop 1280×800 and phone 390×844. On the phone, "New meeting" and
    /// "Join" are on screen without scrolling.
    async fn screenshots_of_the_lobby_and_the_invitation() {
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start().await;
        let r1 = create_room(&host, "Design review", None).await;
        let r2 = create_room(&host, "Board (passcode)", Some("x")).await;
        let m1 = Member::join(&host, &r1, "Ada", None).await;
        let m2 = Member::join(&host, &r2, "Grace", Some("x")).await;
        // the fake device's own camera: the pre-join page's device list shows its name, where
        // the light camera's would be a file's path
        let b = driver
            .browser_with("shots", e2e::harness::chromium::full_camera_flags())
            .await;
        open_lobby(&b, &host, "?name=Hana").await;
        b.wait_until(
            "both meetings listed",
            "document.querySelectorAll('#rooms li').length === 2",
            WAIT,
        )
        .await;
        for (scheme, suffix) in [("light", "light"), ("dark", "dark")] {
            b.screenshot_as(&format!("lobby-{suffix}"), 1280, 800, scheme)
                .await;
            b.screenshot_as(&format!("lobby-phone-{suffix}"), 390, 844, scheme)
                .await;
            let fold = b
                .eval(
                    "['create-btn', 'join-btn'].map(id => document.getElementById(id).getBoundingClientRect().bottom)",
                )
                .await;
            for bottom in fold.as_array().unwrap() {
                assert!(
                    bottom.as_f64().unwrap() <= 844.0,
                    "New meeting and Join above the fold on a phone: {fold}"
                );
            }
        }
        // the pre-join page of a meeting, who is in it
        b.goto(&host.url(&format!("/j/{r1}?name=Hana"))).await;
        prejoin_says(&b, "open").await;
        b.wait_until(
            "the camera's picture in the preview",
            "(() => { const v = document.getElementById('preview'); \
             return v.videoWidth > 0 && v.currentTime > 0 && !v.paused; })()",
            WAIT,
        )
        .await;
        for scheme in ["light", "dark"] {
            b.screenshot_as(&format!("prejoin-{scheme}"), 1280, 800, scheme)
                .await;
        }
        b.goto(&host.url("/?name=Hana")).await;
        b.set_viewport(1280, 800).await;
        b.wait_until(
            "the lobby, connected",
            "window.moim && window.moim.state().mode === 'lobby' && window.moim.signaling.connected",
            WAIT,
        )
        .await;
        b.click("#create-btn").await;
        b.wait_until(
            "the invitation, its QR code drawn",
            "(() => { const q = document.getElementById('invite-qr'); \
             return document.getElementById('invite').open && q.complete && q.naturalWidth > 0; })()",
            WAIT,
        )
        .await;
        for (scheme, suffix) in [("light", "light"), ("dark", "dark")] {
            b.screenshot_as(&format!("invite-{suffix}"), 1280, 800, scheme)
                .await;
            b.screenshot_as(&format!("invite-phone-{suffix}"), 390, 844, scheme)
                .await;
        }
        m1.leave().await;
        m2.leave().await;
        b.close().await;
    }
);
