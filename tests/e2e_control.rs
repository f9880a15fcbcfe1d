//! End to end, room control (issue 15) in the meeting's people panel: the waiting room (knock,
//! admit, turn away), a moderator muting, removing and ending the meeting, and the
//! verification codes of a pair, equal on both sides and different when a test-only relay
//! (tests/e2e/relay.rs) rewrites a fingerprint on its way to one browser. Real Chromium, the
//! real `moim` host, each test in its own network namespace (tests/e2e/mod.rs). Run serially:
//!
//! ```text
//! cargo test --no-default-features --features bench --test e2e_control -- --test-threads=1
//! ```

mod e2e;

use e2e::relay::Relay;
use e2e::{step, Browser, Host, Scene, WAIT};
use serde_json::{json, Value};

// ------------------------------------------------------------------------- scenario steps

/// Open `base` + `/j/<room>?name=<name>&autojoin=1` (base: the host's or the relay's URL maker).
async fn open_room(b: &Browser, url: &str) {
    b.goto(url).await;
    b.peer_id().await;
}

/// Wait until `b` is in `room`; its peer id.
async fn in_room(b: &Browser, room: &str) -> String {
    b.wait_until(
        &format!("to be in room {room}"),
        &format!("window.moim && window.moim.state().mode === 'meeting' && window.moim.state().room === '{room}'"),
        WAIT,
    )
    .await;
    b.peer_id().await
}

/// Join `room` as `name` (no waiting room in the way); the peer id.
async fn join(b: &Browser, host: &Host, room: &str, name: &str) -> String {
    open_room(b, &host.url(&format!("/j/{room}?name={name}&autojoin=1"))).await;
    in_room(b, room).await
}

/// `b`'s connection to `peer` is up.
async fn connected(b: &Browser, peer: &str) {
    b.wait_until(
        &format!("connected to {peer}"),
        &format!("window.moim.pcStates()['{peer}'] === 'connected'"),
        WAIT,
    )
    .await;
}

/// Wait until the banner shows `code` with a text holding every one of `words`; its text.
async fn banner_says(b: &Browser, code: &str, words: &[&str]) -> String {
    let words = serde_json::to_string(words).unwrap();
    let v = b
        .wait_until(
            &format!("the banner {code} saying {words}"),
            &format!(
                "(() => {{ const b = document.getElementById('banner'); const text = document.getElementById('banner-text').textContent; \
                 return !b.hidden && b.dataset.code === '{code}' && {words}.every(w => text.includes(w)) && text; }})()"
            ),
            WAIT,
        )
        .await;
    v.as_str().unwrap().to_string()
}

/// Open the people panel through the head count (unless it is open).
async fn open_people(b: &Browser) {
    if b.eval("document.getElementById('people').hidden").await == json!(true) {
        b.click("#head-count").await;
    }
    b.wait_until(
        "the people panel",
        "!document.getElementById('people').hidden",
        WAIT,
    )
    .await;
}

/// The CSS selector of `peer`'s row in the people panel, plus `inner`.
fn row(peer: &str, inner: &str) -> String {
    format!("#people-list .person[data-peer-id=\"{peer}\"] {inner}")
}

/// Wait until the host told `b` that the room's setting `key` is `on`.
async fn setting_is(b: &Browser, key: &str, on: bool) {
    b.wait_until(
        &format!("the room's {key} to be {on}"),
        &format!("window.moim.control.settings.{key} === {on}"),
        WAIT,
    )
    .await;
}

/// `b` is out of the meeting (not in the call, not in the room).
async fn out_of_meeting(b: &Browser) {
    b.wait_until(
        "to be out of the meeting",
        "window.moim.state().mode !== 'meeting' && window.moim.state().room === null && window.moim.mesh.peers.size === 0",
        WAIT,
    )
    .await;
}

/// A moderator `ada` with the panel open turns the waiting room on with its switch.
async fn waiting_room_on(ada: &Browser) {
    open_people(ada).await;
    ada.wait_until(
        "the moderator tools",
        "!document.getElementById('moderator-tools').hidden",
        WAIT,
    )
    .await;
    ada.click("#room-switches input[data-setting=waiting_room]")
        .await;
    setting_is(ada, "waiting_room", true).await;
    // close the panel again: the knock must open it
    ada.click("#people-close").await;
}

/// `b` waits at the door of `room`: the waiting screen, not in the room, nothing of it known.
async fn waits(b: &Browser) {
    b.wait_until(
        "the waiting screen",
        "!document.getElementById('waiting-room').hidden && document.getElementById('waiting-room').getClientRects().length > 0 \
         && window.moim.state().mode !== 'meeting' && window.moim.state().peers.length === 0",
        WAIT,
    )
    .await;
}

/// `ada` (a moderator) sees `peer` knock: the panel opened by itself, the knock listed.
async fn sees_knock(ada: &Browser, peer: &str, name: &str) {
    ada.wait_until(
        &format!("{name}'s knock, the people panel open"),
        &format!(
            "!document.getElementById('people').hidden && !document.getElementById('knock-box').hidden \
             && document.querySelector('#knocks li[data-peer-id=\"{peer}\"] .name')?.textContent === '{name}'"
        ),
        WAIT,
    )
    .await;
    ada.wait_until(
        &format!("{name}'s knock announced"),
        &format!("[...document.querySelectorAll('#announce-polite p')].some(p => p.textContent.includes('{name}'))"),
        WAIT,
    )
    .await;
}

// ------------------------------------------------------------------------- the scenarios

e2e_test!(
    /// With the waiting room on, Grace knocks: the moderator's people panel opens by itself
    /// with her knock, Admit lets her in and both see each other's video; Linus knocks, is
    /// turned away and sees it at once, never having been in the room. Saves
    /// docs/screenshots/waiting.png (Grace at the door) and knock.png (Linus's knock).
    async fn knock_admit_and_turn_away() {
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start().await;
        let room = host.create_room("door").await;
        let ada = driver.browser("Ada").await;
        let a = join(&ada, &host, &room, "Ada").await;
        ada.wait_until("Ada to moderate", "window.moim.control.moderator", WAIT)
            .await;
        waiting_room_on(&ada).await;

        let grace = driver.browser("Grace").await;
        open_room(
            &grace,
            &host.url(&format!("/j/{room}?name=Grace&autojoin=1")),
        )
        .await;
        let g = grace.peer_id().await;
        waits(&grace).await;
        sees_knock(&ada, &g, "Grace").await;
        grace.screenshot_as("waiting", 1280, 800, "light").await;
        assert_eq!(
            ada.eval("window.moim.state().peers.length").await,
            json!(0),
            "a waiting person is nobody's peer"
        );
        ada.click(&format!("#knocks li[data-peer-id=\"{g}\"] .admit"))
            .await;
        in_room(&grace, &room).await;
        assert_eq!(
            grace
                .eval("document.getElementById('waiting-room').hidden")
                .await,
            json!(true),
            "the waiting screen went"
        );
        ada.wait_until(
            "the knock list to empty",
            "document.getElementById('knock-box').hidden",
            WAIT,
        )
        .await;
        connected(&ada, &g).await;
        connected(&grace, &a).await;
        ada.plays_video_of(&g).await;
        grace.plays_video_of(&a).await;
        // Grace's row, with Ada's badge on Ada's row on Grace's page
        ada.wait_until(
            "Grace's row",
            &format!("!!document.querySelector('{}')", row(&g, ".act.mute")),
            WAIT,
        )
        .await;
        open_people(&grace).await;
        grace
            .wait_until(
                "Ada's moderator badge, no moderator tools for Grace",
                &format!(
                    "document.querySelector('#people-list .person[data-peer-id=\"{a}\"]')?.dataset.moderator === 'true' \
                     && document.getElementById('moderator-tools').hidden && !document.querySelector('#people-list .act')"
                ),
                WAIT,
            )
            .await;

        let linus = driver.browser("Linus").await;
        open_room(
            &linus,
            &host.url(&format!("/j/{room}?name=Linus&autojoin=1")),
        )
        .await;
        let l = linus.peer_id().await;
        waits(&linus).await;
        sees_knock(&ada, &l, "Linus").await;
        ada.screenshot_as("knock", 1280, 800, "light").await;
        ada.click(&format!("#knocks li[data-peer-id=\"{l}\"] .turn-away"))
            .await;
        banner_says(&linus, "turned-away", &["did not let you in"]).await;
        linus
            .wait_until(
                "the waiting screen gone, not in the room",
                "document.getElementById('waiting-room').hidden && window.moim.state().mode !== 'meeting' && window.moim.state().room === null",
                WAIT,
            )
            .await;
        ada.wait_until(
            "the knock list to empty",
            "document.getElementById('knock-box').hidden",
            WAIT,
        )
        .await;
        for b in [&ada, &grace] {
            let peers = b.eval("window.moim.state().peers.map(p => p.name)").await;
            assert!(
                !peers.to_string().contains("Linus"),
                "{}: Linus never got in: {peers}",
                b.label
            );
        }
    }
);

e2e_test!(
    /// Ada (the moderator) mutes Grace: Grace's own mic button goes off and her banner says
    /// who did it; Grace's tile and row on Ada's page show the mic off. Ada removes Linus: he is
    /// out and sees why, and the others no longer have him. Ada ends the meeting for everyone
    /// with a sentence, which both she and Grace see.
    async fn mute_remove_and_end_for_all() {
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start().await;
        let room = host.create_room("standup").await;
        let (ada, grace, linus) = (
            driver.browser("Ada").await,
            driver.browser("Grace").await,
            driver.browser("Linus").await,
        );
        let a = join(&ada, &host, &room, "Ada").await;
        let g = join(&grace, &host, &room, "Grace").await;
        let l = join(&linus, &host, &room, "Linus").await;
        connected(&ada, &g).await;
        connected(&ada, &l).await;
        connected(&grace, &a).await;
        grace
            .wait_until(
                "Grace's mic on",
                "document.getElementById('toggle-mic').getAttribute('aria-pressed') === 'true' && window.moim.media.isOn('audio')",
                WAIT,
            )
            .await;
        ada.wait_until(
            "Grace's tile with her mic on",
            &format!(
                "document.querySelector('.tile[data-peer-id=\"{g}\"]')?.dataset.audio === 'on'"
            ),
            WAIT,
        )
        .await;

        open_people(&ada).await;
        ada.click(&row(&g, ".act.mute")).await;
        grace
            .wait_until(
                "Grace's own mic button off, her microphone off",
                "document.getElementById('toggle-mic').getAttribute('aria-pressed') === 'false' && !window.moim.media.isOn('audio') \
                 && window.moim.localStream.getAudioTracks().every(t => !t.enabled)",
                WAIT,
            )
            .await;
        banner_says(&grace, "moderation", &["Ada", "muted you"]).await;
        ada.wait_until(
            "Grace's tile and row with the mic off",
            &format!(
                "document.querySelector('.tile[data-peer-id=\"{g}\"]')?.dataset.audio === 'off' \
                 && document.querySelector('#people-list .person[data-peer-id=\"{g}\"]')?.dataset.audio === 'off'"
            ),
            WAIT,
        )
        .await;
        // Linus's mic was not touched
        assert_eq!(
            linus.eval("window.moim.media.isOn('audio')").await,
            json!(true)
        );

        // Remove is behind "More"
        ada.click(&row(&l, ".person-more summary")).await;
        ada.click(&row(&l, ".act.remove")).await;
        banner_says(&linus, "removed", &["Ada", "removed you"]).await;
        out_of_meeting(&linus).await;
        for (b, me) in [(&ada, &a), (&grace, &g)] {
            b.wait_until(
                "Linus gone from the call",
                &format!(
                    "!window.moim.mesh.peers.has('{l}') && !document.querySelector('.tile[data-peer-id=\"{l}\"]') \
                     && !document.querySelector('#people-list .person[data-peer-id=\"{l}\"]') && window.moim.state().peerId === '{me}'"
                ),
                WAIT,
            )
            .await;
        }

        let sentence = "Thanks all, see you on Monday.";
        ada.set_value("#end-message", sentence).await;
        ada.click("#moderator-tools .end-all").await;
        for b in [&ada, &grace] {
            let text = banner_says(b, "meeting-ended", &["Ada", sentence]).await;
            step(&format!("{}: {text}", b.label));
            out_of_meeting(b).await;
        }
        let rooms = host.rooms().await;
        assert!(
            rooms.iter().all(|r| r["id"] != room.as_str()),
            "the room is gone: {rooms:?}"
        );
    }
);

/// What `b` shows as the verification code of its pair with `peer` after a click on Verify in
/// the people panel, with the fingerprints of both descriptions its side applied.
async fn code_on(b: &Browser, peer: &str) -> Value {
    open_people(b).await;
    b.wait_until(
        &format!("both descriptions of the pair with {peer}"),
        &format!(
            "(() => {{ const pc = window.moim.mesh.peers.get('{peer}')?.pc; \
             return !!(pc && pc.localDescription && pc.remoteDescription && document.querySelector('{}')); }})()",
            row(peer, ".verify")
        ),
        WAIT,
    )
    .await;
    b.click(&row(peer, ".verify")).await;
    b.wait_until(
        &format!("the code of the pair with {peer}"),
        &format!(
            "(() => {{ const c = document.querySelector('{}'); const pc = window.moim.mesh.peers.get('{peer}').pc; \
             const fp = (sdp) => (sdp.match(/a=fingerprint:\\S+ ([0-9A-F:]+)/i) || [])[1]; \
             return c && /^\\d{{3}} \\d{{3}} \\d{{3}} \\d{{3}}$/.test(c.textContent) && \
               {{code: c.textContent, local: fp(pc.localDescription.sdp), remote: fp(pc.remoteDescription.sdp)}}; }})()",
            row(peer, ".verify-code")
        ),
        WAIT,
    )
    .await
}

e2e_test!(
    /// Ada and Grace see the same code for their pair (and "Codes match" marks Grace verified);
    /// Linus's page goes through a relay that alters one byte of the fingerprint in every SDP
    /// it hands him: Ada's and Linus's codes for their pair differ.
    async fn verification_codes_match_and_a_rewritten_fingerprint_shows() {
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start().await;
        let relay = Relay::start(host.port).await;
        let room = host.create_room("verify").await;
        let (ada, grace, linus) = (
            driver.browser("Ada").await,
            driver.browser("Grace").await,
            driver.browser("Linus").await,
        );
        let a = join(&ada, &host, &room, "Ada").await;
        let g = join(&grace, &host, &room, "Grace").await;
        connected(&ada, &g).await;
        connected(&grace, &a).await;
        let (on_ada, on_grace) = (code_on(&ada, &g).await, code_on(&grace, &a).await);
        step(&format!("Ada–Grace: {on_ada} / {on_grace}"));
        assert_eq!(on_ada["local"], on_grace["remote"], "honest signaling");
        assert_eq!(
            on_ada["code"], on_grace["code"],
            "the same code on both sides"
        );
        grace.click(&row(&a, ".confirm")).await;
        grace
            .wait_until(
                "Ada verified",
                &format!(
                    "document.querySelector('{}')?.dataset.verified === 'true' && document.querySelector('{}').disabled \
                     && window.moim.control.verified.has('{a}')",
                    row(&a, ".person-actions"),
                    row(&a, ".verify")
                ),
                WAIT,
            )
            .await;

        open_room(
            &linus,
            &relay.url(&format!("/j/{room}?name=Linus&autojoin=1")),
        )
        .await;
        let l = in_room(&linus, &room).await;
        let (on_ada, on_linus) = (code_on(&ada, &l).await, code_on(&linus, &a).await);
        step(&format!(
            "Ada–Linus through the relay ({} SDPs altered): {on_ada} / {on_linus}",
            relay.rewritten()
        ));
        assert!(relay.rewritten() > 0, "the relay altered an SDP");
        // the same pair of connections on both sides: what Linus sent reached Ada as it was
        assert_eq!(on_ada["remote"], on_linus["local"], "Linus → Ada is intact");
        let (sent, got) = (
            on_ada["local"].as_str().unwrap(),
            on_linus["remote"].as_str().unwrap(),
        );
        assert_ne!(sent, got, "the relay rewrote Ada's fingerprint for Linus");
        assert_eq!(sent[2..], got[2..], "one byte of it, nothing else");
        assert_ne!(
            on_ada["code"], on_linus["code"],
            "a rewritten fingerprint shows as different codes"
        );
    }
);
