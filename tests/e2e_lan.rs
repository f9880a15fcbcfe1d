//! End to end across machines: headless Chromium on several namespace "hosts" of a private LAN
//! (see tests/e2e/lan.rs), against `moim serve` with mDNS and HTTPS as people run it. A page
//! joins a room of another host through its own host's lobby (issue 5); a guest without moim
//! opens a host's HTTPS join link, checks the fingerprint and calls, also with no WebSocket and
//! with no camera or microphone (issue 6); and every place that shows a host's certificate
//! (mDNS, `/api/info`, the invitation's short link and QR code, the guest's join page) names
//! the same one.
//!
//! The test process runs on host 1; browsers on other hosts come from a chromedriver started in
//! that host's namespace ([`Driver::start_in`]). Run serially:
//!
//! ```text
//! cargo test --no-default-features --test e2e_lan -- --test-threads=1
//! ```

mod e2e;

use std::time::Duration;

use e2e::lan::{certificate_code, run_lan, wait_for, LanHost, LanView, PORT};
use e2e::{step, Browser, Driver, WAIT};
use fantoccini::Locator;
use serde_json::json;

// ------------------------------------------------------------------------- scenario steps

/// The harness's Chromium flags without `drop`, plus `extra`.
fn flags(drop: &[&str], extra: &[String]) -> Vec<String> {
    let mut out: Vec<String> = e2e::harness::chromium::default_flags()
        .into_iter()
        .filter(|f| !drop.contains(&f.as_str()))
        .collect();
    out.extend(extra.iter().cloned());
    out
}

/// Trust `host`'s self-signed certificate by its public key, as a person who accepted it would.
fn trusting(host: &LanHost) -> String {
    format!("--ignore-certificate-errors-spki-list={}", host.spki())
}

/// The page of a host on this machine (host 1, where the test runs): plain HTTP on loopback.
fn local_url(path: &str) -> String {
    format!("http://127.0.0.1:{PORT}{path}")
}

/// `host`'s HTTPS join link for `room`, with `fragment` (`c=<code>`, or an older link's
/// `fp=<hex>`).
fn guest_link(host: &LanHost, room: &str, query: &str, fragment: &str) -> String {
    format!("https://{}/j/{room}{query}#{fragment}", host.addr)
}

/// Open `url` (a `/j/<room>` page with `autojoin=1`) and wait until the page is in `room`.
async fn join(b: &Browser, url: &str, room: &str) -> String {
    b.goto(url).await;
    b.in_room(room).await
}

/// `a` and `b` each have exactly one RTCPeerConnection, to the other, connected.
async fn wait_connected(a: (&Browser, &str), b: (&Browser, &str)) {
    let check = |other: &str| {
        format!(
            "(() => {{ const pcs = window.moim.pcStates(); \
             return Object.keys(pcs).length === 1 && pcs['{other}'] === 'connected'; }})()"
        )
    };
    let (to_b, to_a) = (check(b.1), check(a.1));
    tokio::join!(
        a.0.wait_until("the connection to be up", &to_b, WAIT),
        b.0.wait_until("the connection to be up", &to_a, WAIT),
    );
}

/// `from` sends `text` in the chat (once its channel to the other is open); `to` shows it
/// once, under `name`.
async fn chat(from: &Browser, to: &Browser, name: &str, text: &str) {
    from.wait_until(
        "the chat channel to open",
        "[...window.moim.mesh.peers.values()].some(p => p.channel && p.channel.readyState === 'open')",
        WAIT,
    )
    .await;
    let open = from
        .eval("document.getElementById('chat-toggle').getAttribute('aria-expanded')")
        .await;
    if open != "true" {
        from.click("#chat-toggle").await;
    }
    from.set_value("#chat-input", text).await;
    from.click("#chat-send").await;
    let text_js = serde_json::to_string(text).unwrap();
    let shown = to
        .wait_until(
            &format!("{name}'s chat message"),
            &format!(
                "(() => {{ const m = [...document.querySelectorAll('#chat-log .msg')] \
                 .filter(m => m.querySelector('.text').textContent === {text_js}); \
                 return m.length && m.map(x => x.querySelector('.from').textContent); }})()"
            ),
            WAIT,
        )
        .await;
    assert_eq!(
        shown,
        json!([name]),
        "{}: the message, once, from {name}",
        to.label
    );
}

/// What the pre-join page's certificate check shows once it has compared the link's code with
/// the host's: the code, the full fingerprint (behind a click), the verdict ("yes" / "no") and
/// its sentence.
struct Check {
    code: String,
    full: String,
    verdict: String,
    sentence: String,
}

async fn prejoin_fingerprint(b: &Browser) -> Check {
    let v = b
        .wait_until(
            "the pre-join page to compare the certificate codes",
            "(() => { const d = document.getElementById('prejoin-fp-verdict').dataset.match; \
             const box = document.getElementById('prejoin-fp'); \
             const text = (id) => document.getElementById(id).textContent; \
             return window.moim && window.moim.state().mode === 'prejoin' && !box.hidden && d \
             && [text('prejoin-fp-code'), text('prejoin-fp-value'), d, text('prejoin-fp-verdict')]; })()",
            WAIT,
        )
        .await;
    let s = |i: usize| v[i].as_str().unwrap().to_string();
    Check {
        code: s(0),
        full: s(1),
        verdict: s(2),
        sentence: s(3),
    }
}

/// A code as the pages show it: `k3f9x-2mqpa`.
fn shown_code(code: &str) -> String {
    format!("{}-{}", &code[..5], &code[5..])
}

/// Issue 6: a guest on host 2 opens host 1's HTTPS join link, checks the fingerprint, joins,
/// and calls a person on host 1 (video and chat both ways). With `no_websocket`, the guest's
/// browser has a `WebSocket` that refuses to open (set before any page script runs).
async fn guest_calls_over_https(lan: LanView, no_websocket: bool) {
    let dir = lan.dir.path();
    let a = lan.start_host(1).await;
    let room = a.create_room("guests welcome").await;
    let (d1, d2) = tokio::join!(Driver::start(dir), Driver::start_in(&lan, 2, dir));
    let (hana, gus) = tokio::join!(
        d1.browser("hana@host1"),
        d2.browser_with("gus@host2", flags(&[], &[trusting(&a)])),
    );
    if no_websocket {
        gus.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": "window.WebSocket = function WebSocket() { \
                   throw new DOMException('WebSockets are disabled here', 'SecurityError'); };"}),
        )
        .await;
    }
    let hana_id = join(
        &hana,
        &local_url(&format!("/j/{room}?name=Hana&autojoin=1")),
        &room,
    )
    .await;

    gus.goto(&guest_link(
        &a,
        &room,
        "?name=Gus",
        &format!("c={}", a.code()),
    ))
    .await;
    let check = prejoin_fingerprint(&gus).await;
    assert_eq!(
        check.full,
        a.fp.to_string(),
        "the fingerprint, as browsers show it"
    );
    assert_eq!(check.code, shown_code(&a.code()));
    assert_eq!(check.verdict, "yes", "the link's code matches the host's");
    assert_eq!(gus.eval("window.isSecureContext").await, true);
    assert_eq!(gus.eval("location.protocol").await, "https:");
    gus.wait_until(
        "a live camera track",
        "window.moim.localStream && window.moim.localStream.getVideoTracks().some(t => t.readyState === 'live')",
        WAIT,
    )
    .await;
    if no_websocket {
        assert_eq!(gus.eval("typeof window.WebSocket").await, "function");
    }
    gus.click("#prejoin-btn").await;
    let gus_id = gus.in_room(&room).await;
    let transport = if no_websocket { "sse" } else { "websocket" };
    assert_eq!(
        gus.eval("window.moim.transport()").await,
        transport,
        "the guest's signaling transport"
    );
    assert_eq!(hana.eval("window.moim.transport()").await, "websocket");

    wait_connected((&hana, &hana_id), (&gus, &gus_id)).await;
    tokio::join!(hana.plays_video_of(&gus_id), gus.plays_video_of(&hana_id));
    chat(&gus, &hana, "Gus", "Hello from the other machine 👋").await;
    chat(&hana, &gus, "Hana", "Loud and clear. 잘 들려요.").await;
    hana.close().await;
    gus.close().await;
}

// ------------------------------------------------------------------------- the scenarios

/// Issue 5: a person on host C opens C's own lobby, sees the room of host A under "Meetings on
/// this network", clicks it, and is in a call with a person on A: C relays the signaling to A,
/// the media goes browser to browser across the LAN.
#[test]
fn lobby_on_one_host_joins_a_room_on_another() {
    run_lan(
        "lobby_on_one_host_joins_a_room_on_another",
        3,
        |lan| async move {
            let dir = lan.dir.path();
            let (a, c) = tokio::join!(lan.start_host(1), lan.start_host(3));
            let room = a.create_room("across the hall").await;
            let (d1, d3) = tokio::join!(Driver::start(dir), Driver::start_in(&lan, 3, dir));
            let (alice, carol) = tokio::join!(d1.browser("alice@A"), d3.browser("carol@C"));
            let alice_id = join(
                &alice,
                &local_url(&format!("/j/{room}?name=Alice&autojoin=1")),
                &room,
            )
            .await;

            carol.goto(&local_url("/?name=Carol")).await;
            let entry = format!(
                "#hosts .host[data-host-id=\"{}\"] li[data-room-id=\"{room}\"] button.join",
                a.id
            );
            carol
                .wait_until(
                    "A's room under Meetings on this network",
                    &format!("document.querySelector('{entry}')"),
                    WAIT,
                )
                .await;
            let listed = carol
            .eval(&format!(
                "document.querySelector('#hosts .host[data-host-id=\"{}\"] li[data-room-id=\"{room}\"] .room-name').textContent",
                a.id
            ))
            .await;
            assert_eq!(listed, "across the hall");
            carol.click(&entry).await;
            let at = carol
            .wait_until(
                "the join page of A's room, on C",
                &format!(
                    "location.pathname === '/j/{room}' && window.moim && window.moim.state().mode === 'prejoin' \
                     && location.href"
                ),
                WAIT,
            )
            .await;
            let at = url::Url::parse(at.as_str().unwrap()).unwrap();
            assert_eq!(
                (at.host_str(), at.port()),
                (Some("127.0.0.1"), Some(PORT)),
                "the page stays on C's own origin"
            );
            let via: Vec<_> = at.query_pairs().filter(|(k, _)| k == "via").collect();
            assert_eq!(via.len(), 1, "{at}");
            assert_eq!(via[0].1, a.id.as_str(), "through C to A");
            carol.click("#prejoin-btn").await;
            let carol_id = carol.in_room(&room).await;
            assert_eq!(
                carol.eval("window.moim.signaling.url").await,
                format!("ws://127.0.0.1:{PORT}/ws?via={}", a.id),
                "Carol's signaling goes to C, for A"
            );

            // A itself counts Carol in the room, and C holds no room of that id
            wait_for("A to count two people", Duration::from_secs(10), || async {
                let rooms = a.get_json("/api/rooms").await;
                let n = rooms["rooms"]
                    .as_array()?
                    .iter()
                    .find(|r| r["id"] == room.as_str())?["peers"]
                    .clone();
                (n == 2).then_some(())
            })
            .await;
            let c_rooms = c.get_json("/api/rooms").await;
            assert_eq!(c_rooms["rooms"], json!([]), "C relays; it holds no room");

            wait_connected((&alice, &alice_id), (&carol, &carol_id)).await;
            tokio::join!(
                alice.plays_video_of(&carol_id),
                carol.plays_video_of(&alice_id)
            );
            alice.close().await;
            carol.close().await;
        },
    );
}

/// Issue 6: a guest on another machine opens the host's HTTPS link (trusting its certificate),
/// sees the fingerprint checked, has camera and microphone (a secure context), joins, and
/// calls a person at the host's own machine: video and chat both ways.
#[test]
fn guest_over_https_checks_the_fingerprint_and_calls() {
    run_lan(
        "guest_over_https_checks_the_fingerprint_and_calls",
        2,
        |lan| guest_calls_over_https(lan, false),
    );
}

/// Issue 6: the same guest in a browser whose WebSockets never open (as with Safari and a
/// self-signed certificate): the client switches to server-sent events by itself, and the
/// call works the same.
#[test]
fn guest_without_websocket_falls_back_to_server_sent_events() {
    run_lan(
        "guest_without_websocket_falls_back_to_server_sent_events",
        2,
        |lan| guest_calls_over_https(lan, true),
    );
}

/// Issue 6: a receive-only guest (no camera, no microphone, so no media permission) on
/// another machine, in a Chrome without `--allow-loopback-in-peer-connection` or the
/// auto-granted media prompt: Chrome hides its addresses behind `.local` names, and the guest
/// still receives the picture of the person on the host's machine.
#[test]
fn receive_only_guest_behind_mdns_candidates_still_receives() {
    run_lan(
        "receive_only_guest_behind_mdns_candidates_still_receives",
        2,
        |lan| async move {
            let dir = lan.dir.path();
            let a = lan.start_host(1).await;
            let room = a.create_room("lecture").await;
            let (d1, d2) = tokio::join!(Driver::start(dir), Driver::start_in(&lan, 2, dir));
            let guest_flags = flags(
                &[
                    "--allow-loopback-in-peer-connection",
                    // grants camera and microphone, which would reveal the IPs
                    "--use-fake-ui-for-media-stream",
                ],
                &[trusting(&a)],
            );
            let (hana, rita) = tokio::join!(
                d1.browser("hana@host1"),
                d2.browser_with("rita@host2", guest_flags),
            );
            let hana_id = join(
                &hana,
                &local_url(&format!("/j/{room}?name=Hana&autojoin=1")),
                &room,
            )
            .await;
            let rita_id = join(
                &rita,
                &guest_link(
                    &a,
                    &room,
                    "?name=Rita&cam=0&mic=0&autojoin=1",
                    &format!("c={}", a.code()),
                ),
                &room,
            )
            .await;
            assert_eq!(
                rita.eval(
                    "window.moim.localStream ? window.moim.localStream.getTracks().length : 0"
                )
                .await,
                0,
                "the guest opened no device"
            );
            let permission = rita
                .eval("navigator.permissions.query({name: 'camera'}).then(p => p.state)")
                .await;
            assert_ne!(permission, "granted", "the guest has no camera permission");
            wait_connected((&hana, &hana_id), (&rita, &rita_id)).await;
            rita.plays_video_of(&hana_id).await;

            // what the guest gave away: only .local names, no address of its own
            let candidates = rita
                .wait_until(
                    "the guest's candidates",
                    &format!(
                        "(() => {{ const p = window.moim.mesh.peers.get('{hana_id}'); \
                         const sdp = p && p.pc.localDescription && p.pc.localDescription.sdp || ''; \
                         const c = sdp.split('\\r\\n').filter(l => l.startsWith('a=candidate:')); \
                         return c.length && c; }})()"
                    ),
                    WAIT,
                )
                .await;
            let candidates: Vec<&str> = candidates
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect();
            step(&format!("the guest's candidates: {candidates:?}"));
            let guest_ip = lan.addr(2).to_string();
            for c in &candidates {
                let address = c.split(' ').nth(4).unwrap_or_default();
                assert!(
                    address.ends_with(".local"),
                    "a candidate with a bare address: {c}"
                );
                assert!(!c.contains(&guest_ip), "the guest's address leaked: {c}");
            }
            // and the host side never heard the guest's address in signaling either
            let heard = hana
                .eval(&format!(
                    "window.moim.mesh.peers.get('{rita_id}').pc.remoteDescription.sdp"
                ))
                .await;
            assert!(
                !heard.as_str().unwrap().contains(&guest_ip),
                "the guest's address in the offer/answer: {heard}"
            );
            let pair = hana
                .eval(&format!(
                    "window.moim.mesh.peers.get('{rita_id}').pc.getStats().then(s => {{ \
                     let out = null; s.forEach(r => {{ if (r.type === 'candidate-pair' && r.nominated \
                     && r.state === 'succeeded') {{ const rc = s.get(r.remoteCandidateId); \
                     out = rc && rc.candidateType; }} }}); return out; }})"
                ))
                .await;
            step(&format!(
                "the host side reaches the guest through a {pair} candidate"
            ));
            hana.close().await;
            rita.close().await;
        },
    );
}

/// The certificate of host 1 is the same everywhere a person or a host meets it: its
/// fingerprint in what host 2 learned from mDNS and in host 1's `/api/info`; its verification
/// code in the invitation's short link (its QR code decoded from a screenshot: under 70
/// characters, no full fingerprint), on the invitation and on the guest's join page, with the
/// full fingerprint behind a click on both. A link with a wrong code says so; an older link
/// with the full fingerprint (`#fp=`) still matches.
#[test]
fn the_fingerprint_is_the_same_everywhere() {
    run_lan(
        "the_fingerprint_is_the_same_everywhere",
        2,
        |lan| async move {
            let dir = lan.dir.path();
            let (a, b) = tokio::join!(lan.start_host(1), lan.start_host(2));
            let room = a.create_room("check the padlock").await;
            let from_mdns = wait_for("host 2 to list host 1", Duration::from_secs(20), || async {
                b.sees(&a.id).await
            })
            .await["fingerprint"]
                .as_str()
                .expect("a fingerprint from mDNS")
                .to_string();
            let info = a.get_json("/api/info").await;
            let from_info = info["fingerprint"].as_str().unwrap().to_string();
            assert_eq!(info["fingerprint_display"], a.fp.to_string());

            // the invitation of the person on host 1, and its QR code
            let (d1, d2) = tokio::join!(Driver::start(dir), Driver::start_in(&lan, 2, dir));
            let (hana, gus) = tokio::join!(
                d1.browser("hana@host1"),
                d2.browser_with("gus@host2", flags(&[], &[trusting(&a)])),
            );
            join(
                &hana,
                &local_url(&format!("/j/{room}?name=Hana&autojoin=1")),
                &room,
            )
            .await;
            hana.wait_until(
                "the page to know its LAN address and certificate code",
                "window.moim.meetingUrl().includes('#c=')",
                WAIT,
            )
            .await;
            hana.click("#copy-link").await;
            let link = hana
                .wait_until(
                    "the invitation with its QR code",
                    "(() => { const q = document.getElementById('invite-qr'); \
                 return document.getElementById('invite').open && q.complete && q.naturalWidth > 0 \
                 && document.getElementById('copy-link').dataset.link; })()",
                    WAIT,
                )
                .await;
            let png = tokio::time::timeout(e2e::COMMAND, async {
                hana.client
                    .find(Locator::Css("#invite-qr"))
                    .await?
                    .screenshot()
                    .await
            })
            .await
            .expect("the screenshot in time")
            .expect("a screenshot of the QR code");
            let payload = decode_qr(&png);
            step(&format!("the QR code says {payload}"));
            assert_eq!(payload, link, "the QR code holds the copied link");
            let qr = url::Url::parse(&payload).unwrap();
            assert_eq!(qr.scheme(), "https");
            assert_eq!(
                qr.host_str(),
                Some(lan.addr(1).to_string().as_str()),
                "a link for the LAN, not 127.0.0.1"
            );
            let from_qr = qr
                .fragment()
                .and_then(|f| f.split('&').find_map(|p| p.strip_prefix("c=")))
                .expect("#c= in the QR code")
                .to_string();
            assert!(
                payload.len() < 70,
                "a short link: {} characters in {payload}",
                payload.len()
            );
            assert!(!payload.contains("fp="), "no full fingerprint in {payload}");
            let shown_invite = hana
                .eval("document.getElementById('invite-code').textContent")
                .await;
            let full_invite = hana
                .eval("document.getElementById('invite-fp').textContent")
                .await;

            // the guest who scans it
            gus.goto(&payload).await;
            let check = prejoin_fingerprint(&gus).await;
            assert_eq!(check.verdict, "yes");
            let hex = a.fp.hex();
            assert_eq!([&from_mdns, &from_info], [&hex, &hex], "mDNS and /api/info");
            let code = certificate_code(&hex);
            assert_eq!(from_qr, code, "the QR code carries the certificate's code");
            assert_eq!(
                [&check.code, shown_invite.as_str().unwrap()],
                [&shown_code(&code), &shown_code(&code)],
                "the guest's join page and the inviter's invitation show the same code"
            );
            assert_eq!(
                check.full,
                a.fp.to_string(),
                "the guest's join page, a click away"
            );
            assert_eq!(
                full_invite,
                a.fp.to_string(),
                "the invitation, a click away"
            );

            // a link with a wrong code (one character off) is called out, naming the link's code
            let mut wrong = code.clone().into_bytes();
            wrong[9] = if wrong[9] == b'0' { b'1' } else { b'0' };
            let wrong = String::from_utf8(wrong).unwrap();
            gus.goto("about:blank").await;
            gus.goto(&guest_link(
                &a,
                &room,
                "",
                &format!("c={}", wrong.to_uppercase()),
            ))
            .await;
            let check = prejoin_fingerprint(&gus).await;
            assert_eq!(check.verdict, "no", "a wrong code is called out");
            assert_eq!(check.code, shown_code(&code), "the host's code");
            assert!(
                check.sentence.contains(&shown_code(&wrong)),
                "the sentence names the link's code: {}",
                check.sentence
            );

            // an older invitation, with the full fingerprint, still works
            gus.goto("about:blank").await;
            gus.goto(&guest_link(&a, &room, "", &format!("fp={hex}")))
                .await;
            let check = prejoin_fingerprint(&gus).await;
            assert_eq!(check.verdict, "yes", "an old #fp= link");
            assert_eq!(check.code, shown_code(&code));
            hana.close().await;
            gus.close().await;
        },
    );
}

/// The text of the one QR code in a PNG.
fn decode_qr(png: &[u8]) -> String {
    let img = image::load_from_memory(png)
        .expect("a PNG screenshot")
        .to_luma8();
    let (w, h) = img.dimensions();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the {w}x{h} screenshot");
    let (_meta, text) = grids[0].decode().expect("a readable QR code");
    text
}

// ------------------------------------------------------------------------- issues 11 and 20

/// `b` is in the lobby of the host it was opened on (loopback), connected, devices open (the
/// lobby opens them when the person asks for a preview; leaving a meeting closes them).
async fn wait_lobby(b: &Browser) {
    b.wait_until(
        "the lobby, connected to this host",
        &format!(
            "window.moim && window.moim.state().mode === 'lobby' && window.moim.signaling.connected \
             && window.moim.signaling.url === 'ws://127.0.0.1:{PORT}/ws'"
        ),
        WAIT,
    )
    .await;
    if b.eval("window.moim.localStream.getTracks().length").await != 2 {
        b.click("#preview-btn").await;
    }
    b.wait_until(
        "the lobby with camera and microphone",
        "window.moim.localStream.getTracks().length === 2",
        WAIT,
    )
    .await;
}

/// Wait until `css` matches a visible, enabled element, then click it.
async fn click_when_ready(b: &Browser, what: &str, css: &str) {
    let css_js = serde_json::to_string(css).unwrap();
    b.wait_until(
        what,
        &format!(
            "(() => {{ const e = document.querySelector({css_js}); \
             return !!e && e.getClientRects().length > 0 && !e.disabled; }})()"
        ),
        WAIT,
    )
    .await;
    b.click(css).await;
}

/// On a pre-join page: wait for the host and the devices, press Join, wait to be in `room`.
async fn prejoin_and_enter(b: &Browser, room: &str) -> String {
    b.wait_until(
        "the pre-join page, connected, with camera and microphone",
        "window.moim && window.moim.state().mode === 'prejoin' && window.moim.signaling.connected \
         && window.moim.localStream.getTracks().length === 2 \
         && !document.getElementById('prejoin-btn').disabled",
        WAIT,
    )
    .await;
    b.click("#prejoin-btn").await;
    b.in_room(room).await
}

/// From the lobby, join `room` by its id (the page stays loaded, its camera open).
async fn enter_by_id(b: &Browser, room: &str) -> String {
    b.set_value("#join-id", room).await;
    b.click("#join-btn").await;
    b.in_room(room).await
}

/// Both see each other's video. On a timeout, both sides' video RTP statistics are shown.
async fn video_both_ways(a: (&Browser, &str), b: (&Browser, &str)) {
    wait_connected(a, b).await;
    let both = async { tokio::join!(a.0.plays_video_of(b.1), b.0.plays_video_of(a.1)) };
    if tokio::time::timeout(WAIT - Duration::from_secs(5), both)
        .await
        .is_err()
    {
        let (sa, sb) = tokio::join!(video_stats(a.0, b.1), video_stats(b.0, a.1));
        panic!(
            "no video both ways between {} and {}
{}: {sa}
{}: {sb}",
            a.0.label, b.0.label, a.0.label, b.0.label
        );
    }
}

/// `b`'s video RTP statistics on its connection to `peer`, its senders' tracks and its own
/// preview, to tell a silent camera from a lost stream.
async fn video_stats(b: &Browser, peer: &str) -> String {
    let js = format!(
        "(async () => {{ const p = window.moim.mesh.peers.get('{peer}'); if (!p) return 'no peer'; \
         const out = []; (await p.pc.getStats()).forEach(r => {{ \
         if ((r.type === 'inbound-rtp' || r.type === 'outbound-rtp') && r.kind === 'video') \
         out.push({{type: r.type, packets: r.packetsReceived ?? r.packetsSent, \
         frames: r.framesDecoded ?? r.framesEncoded, limit: r.qualityLimitationReason}}); }}); \
         const t = p.pc.getTransceivers().map(t => ({{mid: t.mid, dir: t.currentDirection, \
         track: t.sender.track && [t.sender.track.kind, t.sender.track.readyState, \
         t.sender.track.enabled, t.sender.track.muted]}})); \
         const v = document.querySelector('.tile.local video'); \
         return JSON.stringify({{out, t, preview: v && [v.videoWidth, v.currentTime]}}); }})()"
    );
    match b.exec(&format!("return {js};")).await {
        Ok(v) => v.to_string(),
        Err(e) => e,
    }
}

/// The rooms `host` holds now (its own `/api/rooms`).
async fn room_ids(host: &LanHost) -> Vec<String> {
    host.get_json("/api/rooms").await["rooms"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

/// Issue 11: the lobby learns the LAN's meetings from one push feed (`watch-hosts` on its own
/// socket). A room created on host A shows in a browser lobby on host B within 1 s, each
/// meeting once (B's own under "Meetings on this host", A's under A), and the page never asks
/// `/api/hosts` (or anything else) over HTTP for it.
#[test]
fn a_room_on_one_host_is_pushed_to_the_lobby_of_another() {
    run_lan(
        "a_room_on_one_host_is_pushed_to_the_lobby_of_another",
        2,
        |lan| async move {
            let dir = lan.dir.path();
            let (a, b) = tokio::join!(lan.start_host(1), lan.start_host(2));
            let own = b.create_room("at home").await;
            let d2 = Driver::start_in(&lan, 2, dir).await;
            let bea = d2.browser("bea@B").await;
            bea.goto(&local_url("/?name=Bea")).await;
            wait_lobby(&bea).await;
            let host_a = format!("#hosts .host[data-host-id=\"{}\"]", a.id);
            bea.wait_until(
                "host A under Meetings on this network",
                &format!("document.querySelector('{host_a}')"),
                WAIT,
            )
            .await;
            // note the instant A's room shows up, from inside the page
            let armed = bea
                .exec(&format!(
                    "window.__seen = null; const sel = '{host_a} li[data-room-id]'; \
                     new MutationObserver(() => {{ if (window.__seen === null && document.querySelector(sel)) \
                     window.__seen = Date.now(); }}).observe(document.getElementById('hosts'), \
                     {{childList: true, subtree: true}}); return !document.querySelector(sel);"
                ))
                .await
                .unwrap();
            assert_eq!(armed, true, "A has no room yet");
            let before = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as f64;
            let room = a.create_room("across the hall").await;
            let seen = bea
                .wait_until(
                    "A's new room in B's lobby",
                    &format!(
                        "window.__seen !== null && document.querySelector('{host_a} li[data-room-id=\"{room}\"]') \
                         && window.__seen"
                    ),
                    WAIT,
                )
                .await
                .as_f64()
                .unwrap();
            let took = seen - before;
            step(&format!(
                "A's room reached B's lobby {took:.0} ms after it was asked for"
            ));
            assert!(
                took < 1000.0,
                "A's room took {took:.0} ms to reach B's lobby"
            );

            // every meeting once: B's own in #rooms only, A's under A only
            let counts = bea
                .eval(&format!(
                    "[document.querySelectorAll('li[data-room-id=\"{own}\"]').length, \
                     document.querySelectorAll('#rooms li[data-room-id=\"{own}\"]').length, \
                     document.querySelectorAll('li[data-room-id=\"{room}\"]').length, \
                     document.querySelectorAll('#hosts .host').length]"
                ))
                .await;
            assert_eq!(
                counts,
                json!([1, 1, 1, 1]),
                "each meeting once, one other host"
            );

            // the count follows, pushed too: someone joins A's room
            let mut ws = a.socket(None).await;
            ws.recv("welcome").await;
            ws.send(json!({"type": "join", "room": room, "name": "Ann"}))
                .await;
            ws.recv("existing-peers").await;
            bea.wait_until(
                "A's room to count one person",
                &format!(
                    "(document.querySelector('{host_a} li[data-room-id=\"{room}\"] .count') || {{}}).textContent === '1/8'"
                ),
                WAIT,
            )
            .await;

            let requests = bea
                .eval(
                    "performance.getEntriesByType('resource').map(e => new URL(e.name).pathname) \
                     .filter(p => p.startsWith('/api/') && !p.startsWith('/api/qr'))",
                )
                .await;
            assert_eq!(requests, json!([]), "no directory request over HTTP");
            bea.close().await;
        },
    );
}

/// Issue 20: the page's connection follows the meeting it is in. Three rounds, on host A's
/// page: join B's room from "Meetings on this network", leave, join A's own room, leave,
/// create a room from the same lobby (it is made on A), each meeting with video, and each
/// meeting's address reloaded leads back to the same meeting. Bob stays in B's room on host B;
/// Cat, on host A, is in A's room and then in the one Ann made (joining by id from her lobby).
#[test]
fn the_page_follows_the_meeting_across_hosts() {
    run_lan(
        "the_page_follows_the_meeting_across_hosts",
        2,
        |lan| async move {
            let dir = lan.dir.path();
            let (a, b) = tokio::join!(lan.start_host(1), lan.start_host(2));
            let room_b = b.create_room("on B").await;
            let (d1, d2) = tokio::join!(Driver::start(dir), Driver::start_in(&lan, 2, dir));
            let (ann, cat, bob) = tokio::join!(
                d1.browser("ann@A"),
                d1.browser("cat@A"),
                d2.browser("bob@B")
            );
            let bob_id = join(
                &bob,
                &local_url(&format!("/j/{room_b}?name=Bob&autojoin=1")),
                &room_b,
            )
            .await;
            ann.goto(&local_url("/?name=Ann")).await;
            cat.goto(&local_url("/?name=Cat")).await;
            for round in 1..=3 {
                step(&format!("round {round}"));
                wait_lobby(&ann).await;

                // B's room, through A
                click_when_ready(
                    &ann,
                    "B's room under Meetings on this network",
                    &format!(
                        "#hosts .host[data-host-id=\"{}\"] li[data-room-id=\"{room_b}\"] button.join",
                        b.id
                    ),
                )
                .await;
                let ann_id = prejoin_and_enter(&ann, &room_b).await;
                let via_b = format!("ws://127.0.0.1:{PORT}/ws?via={}", b.id);
                assert_eq!(ann.eval("window.moim.signaling.url").await, via_b);
                let address = ann.eval("location.pathname + location.search").await;
                assert_eq!(
                    address,
                    format!("/j/{room_b}?via={}", b.id),
                    "the address keeps ?via="
                );
                video_both_ways((&ann, &ann_id), (&bob, &bob_id)).await;
                let link = ann.eval("window.moim.meetingUrl()").await;
                let link = url::Url::parse(link.as_str().unwrap()).unwrap();
                assert_eq!(
                    (link.host_str(), link.path()),
                    (
                        Some(b.addr.ip().to_string().as_str()),
                        format!("/j/{room_b}").as_str()
                    ),
                    "the invitation leads to B's meeting"
                );
                ann.goto(&local_url(address.as_str().unwrap())).await;
                let ann_id = prejoin_and_enter(&ann, &room_b).await;
                video_both_ways((&ann, &ann_id), (&bob, &bob_id)).await;
                ann.click("#leave").await;
                wait_lobby(&ann).await;

                // A's own room, from "Meetings on this host" (a new one each round: a room ends
                // when its last person leaves)
                let room_a = a.create_room(&format!("on A, round {round}")).await;
                wait_lobby(&cat).await;
                let cat_id = enter_by_id(&cat, &room_a).await;
                click_when_ready(
                    &ann,
                    "A's room under Meetings on this host",
                    &format!("#rooms li[data-room-id=\"{room_a}\"] button.join"),
                )
                .await;
                let ann_id = ann.in_room(&room_a).await;
                assert_eq!(
                    ann.eval("location.pathname + location.search").await,
                    format!("/j/{room_a}")
                );
                video_both_ways((&ann, &ann_id), (&cat, &cat_id)).await;
                ann.goto(&local_url(&format!("/j/{room_a}"))).await;
                let ann_id = prejoin_and_enter(&ann, &room_a).await;
                video_both_ways((&ann, &ann_id), (&cat, &cat_id)).await;
                ann.click("#leave").await;
                wait_lobby(&ann).await;

                // a new room from the same lobby: made on A
                ann.set_value("#create-name", &format!("round {round}"))
                    .await;
                ann.click("#create-btn").await;
                let made = ann.in_new_room().await;
                assert!(room_ids(&a).await.contains(&made), "the room is on A");
                assert!(!room_ids(&b).await.contains(&made), "not on B");
                assert_eq!(
                    ann.eval("[location.pathname + location.search, window.moim.signaling.url]")
                        .await,
                    json!([format!("/j/{made}"), format!("ws://127.0.0.1:{PORT}/ws")])
                );
                let ann_id = ann.peer_id().await;
                cat.click("#leave").await;
                wait_lobby(&cat).await;
                let cat_id = enter_by_id(&cat, &made).await;
                video_both_ways((&ann, &ann_id), (&cat, &cat_id)).await;
                ann.goto(&local_url(&format!("/j/{made}"))).await;
                let ann_id = prejoin_and_enter(&ann, &made).await;
                video_both_ways((&ann, &ann_id), (&cat, &cat_id)).await;
                ann.click("#leave").await;
                cat.click("#leave").await;
            }
            ann.close().await;
            cat.close().await;
            bob.close().await;
        },
    );
}
