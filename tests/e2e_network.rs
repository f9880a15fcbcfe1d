//! End to end: call set-up in every join order and calls on a bad network, in headless
//! Chromium against the real host, inside network namespaces the tests create (issues 13, 20).
//!
//! - Every join order of three people (all six, and all at once) ends fully connected with
//!   one connection per pair and no re-sent offer, no rebuilt pair, in the client's set-up
//!   trace: set-up never waits for a timer.
//! - A pair whose first offer is lost (a relay in the test, wrapped around the page's
//!   signaling socket, drops it) is rebuilt and connects, with nobody rejoining.
//! - A call between two namespace hosts of a private LAN keeps going while the test impairs
//!   one host's link itself (this kernel has no `netem`): its upload capped at 300 kbit/s
//!   (`tc tbf`), 5 % random loss both ways (`nft numgen`), then a blackout of every packet for
//!   at least 5 s, after which every connection is back without a rejoin.
//!
//! Run serially:
//!
//! ```text
//! cargo test --no-default-features --test e2e_network -- --test-threads=1
//! ```

mod e2e;

use std::time::{Duration, Instant};

use e2e::lan::{run_lan, LanHost, LanView, PORT};
use e2e::trace::{connections, count, setup_trace};
use e2e::{others, step, Browser, Driver, Scene, WAIT};
use serde_json::Value;

// ------------------------------------------------------------------------- scenario steps

/// `b` has exactly one connection to each of `peers`, each connected.
async fn wait_connected_to(b: &Browser, peers: &[String]) {
    let list = serde_json::to_string(peers).unwrap();
    b.wait_until(
        &format!("connections to all of {list}, all connected"),
        &format!(
            "(() => {{ const want = {list}; const pcs = window.moim.pcStates(); \
             return Object.keys(pcs).length === want.length \
             && want.every(id => pcs[id] === 'connected'); }})()"
        ),
        WAIT,
    )
    .await;
}

/// The session id of `b`'s connection to each of its peers (a rebuilt connection has a new one).
async fn sessions(b: &Browser) -> Value {
    b.eval("Object.fromEntries([...window.moim.mesh.peers].map(([id, p]) => [id, p.session]))")
        .await
}

/// `b` asserts the trace of a set-up that went straight: one connection per peer, no re-sent
/// offer, no stalled pair, no session followed.
async fn assert_straight_setup(b: &Browser, peers: &[String], what: &str) {
    let trace = setup_trace(b).await;
    for d in ["offer-resent", "stalled", "follow-new-session"] {
        assert_eq!(
            count(&trace, d),
            0,
            "{}, {what}: {d} in the trace {trace}",
            b.label
        );
    }
    for p in peers {
        assert_eq!(
            connections(&trace, p),
            1,
            "{}, {what}: connections made to {p}; trace {trace}",
            b.label
        );
    }
}

// ------------------------------------------------------------------------- join orders

e2e_test!(
    /// Issue 13: three people join in each of the six orders, each pressing join as soon as
    /// the one before is in the room (so set-ups overlap), and then all three at once. Each
    /// time every pair connects with one connection and the trace shows no re-sent offer.
    async fn every_join_order_of_three_connects_without_a_resent_offer() {
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start().await;
        let b =
            futures_util::future::join_all(["p0", "p1", "p2"].iter().map(|l| driver.browser(l)))
                .await;
        let orders: [Option<[usize; 3]>; 7] = [
            Some([0, 1, 2]),
            Some([0, 2, 1]),
            Some([1, 0, 2]),
            Some([1, 2, 0]),
            Some([2, 0, 1]),
            Some([2, 1, 0]),
            None,
        ];
        for (round, order) in orders.iter().enumerate() {
            let what = match order {
                Some(o) => format!("join order {o:?}"),
                None => "all at once".to_string(),
            };
            let room = host.create_room(&format!("order {round}")).await;
            let mut ids = Vec::new();
            for (i, br) in b.iter().enumerate() {
                br.goto(&host.url(&format!("/j/{room}?name=p{i}"))).await;
                ids.push(br.ready_to_join().await);
            }
            match order {
                Some(o) => {
                    for &i in o {
                        b[i].click("#prejoin-btn").await;
                        b[i].in_room(&room).await;
                    }
                }
                None => {
                    futures_util::future::join_all(b.iter().map(|br| br.click("#prejoin-btn")))
                        .await;
                }
            }
            futures_util::future::join_all(b.iter().enumerate().map(|(i, br)| {
                let want = others(&ids, i);
                async move { wait_connected_to(br, &want).await }
            }))
            .await;
            for (i, br) in b.iter().enumerate() {
                assert_straight_setup(br, &others(&ids, i), &what).await;
            }
            step(&format!("{what}: all connected, no offer re-sent"));
        }
        for br in b {
            br.close().await;
        }
    }
);

// ------------------------------------------------------------------------- a lost offer

e2e_test!(
    /// Issue 20: the first offer of a pair is lost (dropped by a relay the test wraps around
    /// the offering page's signaling socket). The offerer sees no progress, rebuilds the pair
    /// (a new connection and session, which the other side follows) and the two connect, with
    /// the same peer ids: nobody rejoined.
    async fn a_pair_whose_first_offer_is_lost_is_rebuilt_without_a_rejoin() {
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start().await;
        let (x, y) = tokio::join!(driver.browser("x"), driver.browser("y"));
        let room = host.create_room("lost offer").await;
        for (br, name) in [(&x, "x"), (&y, "y")] {
            br.goto(&host.url(&format!("/j/{room}?name={name}"))).await;
        }
        let (xid, yid) = (x.ready_to_join().await, y.ready_to_join().await);
        // the impolite side (the smaller id, ui/peer.js isPolite) makes the first offer
        let (offerer, answerer, oid, aid) = if xid < yid {
            (&x, &y, &xid, &yid)
        } else {
            (&y, &x, &yid, &xid)
        };
        offerer
            .exec(&format!(
                "const sig = window.moim.signaling; const send = sig.send.bind(sig); \
                 window.__dropped = 0; \
                 sig.send = (f) => {{ \
                   if (!window.__dropped && f.type === 'signal' && f.to === '{aid}') {{ \
                     const d = JSON.parse(f.data); \
                     if (d.description && d.description.type === 'offer') {{ window.__dropped = 1; return true; }} \
                   }} \
                   return send(f); }}; \
                 return true;"
            ))
            .await
            .unwrap();
        answerer.click("#prejoin-btn").await;
        answerer.in_room(&room).await;
        offerer.click("#prejoin-btn").await;
        offerer.in_room(&room).await;
        let started = Instant::now();
        tokio::join!(
            wait_connected_to(offerer, std::slice::from_ref(aid)),
            wait_connected_to(answerer, std::slice::from_ref(oid)),
        );
        step(&format!(
            "connected {:?} after the join, the first offer lost",
            started.elapsed()
        ));
        assert_eq!(
            offerer.eval("window.__dropped").await,
            1,
            "the relay dropped the offer"
        );
        let trace = setup_trace(offerer).await;
        assert!(
            count(&trace, "stalled") >= 1,
            "the offerer noticed the stall: {trace}"
        );
        assert_eq!(
            connections(&trace, aid),
            2,
            "one rebuilt connection: {trace}"
        );
        // nobody rejoined: the same ids, still in the room
        assert_eq!(&offerer.peer_id().await, oid);
        assert_eq!(&answerer.peer_id().await, aid);
        for br in [&x, &y] {
            assert_eq!(br.state().await["room"], room.as_str());
        }
        x.close().await;
        y.close().await;
    }
);

// ------------------------------------------------------------------------- a bad network

/// An impairment of host `k`'s link (`eth0`), applied by the test and lifted on drop. The
/// WebDriver connection to that host's chromedriver (TCP port `spare`) is the test's own
/// control line, not part of the call: nft lets it through.
struct Impairment<'a> {
    lan: &'a LanView,
    k: usize,
    tc: bool,
}

impl<'a> Impairment<'a> {
    /// nft rules dropping packets both ways on `eth0`: `matching` is the rule's condition
    /// (`numgen random mod 100 < 5` for 5 % loss, empty for all).
    fn drop(lan: &'a LanView, k: usize, spare: u16, matching: &str) -> Self {
        lan.filter(k, "moim_impair", |w| {
            vec![
                format!("tcp {} {spare} accept", w.port),
                format!("{} eth0 {matching} drop", w.iface),
            ]
        });
        Impairment { lan, k, tc: false }
    }

    /// Host `k`'s upload capped at `rate` (a token bucket on `eth0`'s egress).
    fn cap_upload(lan: &'a LanView, k: usize, rate: &str) -> Self {
        lan.net(
            k,
            "tc",
            &[
                "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", rate, "burst", "16kbit",
                "latency", "200ms",
            ],
        );
        Impairment { lan, k, tc: true }
    }
}

impl Drop for Impairment<'_> {
    fn drop(&mut self) {
        let (program, args): (&str, &[&str]) = if self.tc {
            ("tc", &["qdisc", "del", "dev", "eth0", "root"])
        } else {
            ("nft", &["delete", "table", "inet", "moim_impair"])
        };
        let _ = self.lan.command(self.k, program).args(args).output();
    }
}

/// `peer`'s video in `b` plays on for `secs` seconds of media, and `b` receives at least
/// `audio_per_sec` audio packets a second from `peer` meanwhile, with its audio track live.
async fn assert_media_flows(b: &Browser, peer: &str, secs: f64, audio_per_sec: f64) {
    let read = format!(
        "(async () => {{ const v = document.querySelector('.tile[data-peer-id=\"{peer}\"] video'); \
         const p = window.moim.mesh.peers.get('{peer}'); if (!v || !p) return null; \
         let audio = 0; (await p.pc.getStats()).forEach(r => {{ \
           if (r.type === 'inbound-rtp' && r.kind === 'audio') audio += r.packetsReceived; }}); \
         const live = p.stream.getAudioTracks().some(t => t.readyState === 'live'); \
         return {{video: v.videoWidth > 0 ? v.currentTime : 0, audio, live, at: performance.now()}}; }})()"
    );
    let first = b
        .wait_until(
            &format!("{peer}'s video and audio"),
            &format!("(async () => {{ const r = await {read}; return r && r.video > 0 && r.live && r; }})()"),
            WAIT,
        )
        .await;
    let last = b
        .wait_until(
            &format!("{peer}'s video to play on for {secs} s"),
            &format!(
                "(async () => {{ const r = await {read}; return r && r.video > {} + {secs} && r; }})()",
                first["video"]
            ),
            WAIT,
        )
        .await;
    let elapsed = (last["at"].as_f64().unwrap() - first["at"].as_f64().unwrap()) / 1000.0;
    let packets = last["audio"].as_f64().unwrap() - first["audio"].as_f64().unwrap();
    assert!(
        packets >= audio_per_sec * elapsed,
        "{}: {packets} audio packets from {peer} in {elapsed:.1} s (want ≥ {audio_per_sec}/s)",
        b.label
    );
    assert_eq!(
        last["live"], true,
        "{}: {peer}'s audio track is live",
        b.label
    );
}

/// The host-1 page (plain HTTP on loopback) of a room.
fn local_url(path: &str) -> String {
    format!("http://127.0.0.1:{PORT}{path}")
}

/// Issue 13: Hana (host 1) and Gus (host 2, over HTTPS) in a call while the test impairs
/// Gus's link. Once his video is at full quality on the clear link, his upload is capped at
/// 300 kbit/s: his video degrades, his own tile says his connection is the problem, and his
/// audio keeps reaching Hana; after the cap his video is raised again. With 5 % loss both
/// ways, audio and video keep playing both ways and Hana's tile for him says the connection
/// loses packets. A blackout of every packet for 15 s (longer than the host's 10-s limit of
/// silence, so Gus's signaling socket is lost too) is followed by both connections back to
/// `connected` by themselves: the same connections, the same peer ids, no rejoin.
async fn call_on_a_bad_network(lan: LanView) {
    let dir = lan.dir.path();
    // The host runs with its defaults. The blackout passes the host's 10-s limit of silence:
    // the host hangs up on Gus's socket but keeps his place in the room (the reconnect grace,
    // docs/protocol.md "Liveness"), so his return is a rejoin and nobody rebuilds a connection.
    let a: LanHost = lan.start_host(1).await;
    let room = a.create_room("bad network").await;
    let (d1, d2) = tokio::join!(Driver::start(dir), Driver::start_in(&lan, 2, dir));
    // Gus's camera is the fake device's own 1280×720: his video needs room to degrade
    let mut flags = e2e::harness::chromium::full_camera_flags();
    flags.push(format!(
        "--ignore-certificate-errors-spki-list={}",
        a.spki()
    ));
    let (hana, gus) = tokio::join!(
        d1.browser("hana@host1"),
        d2.browser_with("gus@host2", flags)
    );
    hana.goto(&local_url(&format!("/j/{room}?name=Hana&autojoin=1")))
        .await;
    hana.in_room(&room).await;
    let hana_id = hana.peer_id().await;
    gus.goto(&format!(
        "https://{}/j/{room}?name=Gus&autojoin=1#c={}",
        a.addr,
        a.code()
    ))
    .await;
    gus.in_room(&room).await;
    let gus_id = gus.peer_id().await;
    tokio::join!(
        wait_connected_to(&hana, std::slice::from_ref(&gus_id)),
        wait_connected_to(&gus, std::slice::from_ref(&hana_id)),
    );
    tokio::join!(
        assert_media_flows(&hana, &gus_id, 1.0, 20.0),
        assert_media_flows(&gus, &hana_id, 1.0, 20.0),
    );
    let before = (sessions(&hana).await, sessions(&gus).await);

    // what Gus sends to Hana on a clear link, once the browser's estimate has ramped up
    let video_out = format!(
        "(async () => {{ const p = window.moim.mesh.peers.get('{hana_id}'); let out = null; \
         (await p.pc.getStats()).forEach(r => {{ if (r.type === 'outbound-rtp' && r.kind === 'video') out = r; }}); \
         return out && {{reason: out.qualityLimitationReason, height: out.frameHeight || 0, \
           fps: out.framesPerSecond || 0, pressure: p.pressure}}; }})()"
    );
    let clear = gus
        .wait_until(
            "Gus's video to reach full quality on the clear link",
            &format!(
                "(async () => {{ const v = await {video_out}; \
                 return v && v.reason === 'none' && v.height >= 360 && v; }})()"
            ),
            Duration::from_secs(60),
        )
        .await;
    step(&format!("Gus's video on the clear link: {clear}"));

    step("Gus's upload capped at 300 kbit/s");
    {
        let _cap = Impairment::cap_upload(&lan, 2, "300kbit");
        // his video degrades: his encoder says bandwidth, or sends well under the cap
        let video = gus
            .wait_until(
                "Gus's video to degrade to the capped upload",
                &format!(
                    "(async () => {{ const v = await {video_out}; \
                     return v && (v.reason === 'bandwidth' || v.pressure > 0) \
                     && v.height < {} && v; }})()",
                    clear["height"]
                ),
                WAIT,
            )
            .await;
        step(&format!("Gus's video under the cap: {video}"));
        // he is told so once, above the controls; his own tile says it in two words, the
        // sentence on hover, readable over any picture
        let told = gus
            .wait_until(
                "Gus to be told his connection is the problem",
                "(() => { const n = document.getElementById('own-quality'); \
                 const q = document.querySelector('.tile.local .quality'); \
                 const said = [...document.querySelectorAll('#announce-polite p')] \
                   .filter(p => p.textContent === n.textContent).length; \
                 return !n.hidden && /Your own connection/.test(n.textContent) \
                 && q && !q.hidden && q.dataset.own === 'upload' \
                 && {notice: n.textContent, tile: q.textContent, title: q.title, said}; })()",
                WAIT,
            )
            .await;
        step(&format!("Gus is told: {told}"));
        let notice = told["notice"].as_str().unwrap();
        assert_eq!(told["said"], 1, "announced once");
        assert!(
            told["title"].as_str().unwrap().starts_with(notice),
            "the tile's title has the whole sentence: {told}"
        );
        assert!(
            told["tile"].as_str().unwrap().chars().count() < 20,
            "the small tile shows a few words, not the sentence: {told}"
        );
        let contrast = gus.contrast_on_video(".tile.local .quality .why").await;
        assert!(contrast >= 4.5, "Gus's own tile's words: {contrast:.2}:1");
        // and his voice still reaches Hana (Opus sends 50 packets a second)
        assert_media_flows(&hana, &gus_id, 1.0, 35.0).await;
    }
    // once the cap is gone, the video is raised again
    gus.wait_until(
        "Gus's video caps raised again after the cap is lifted",
        &format!("window.moim.mesh.peers.get('{hana_id}').pressure === 0"),
        Duration::from_secs(60),
    )
    .await;

    step("5 % loss both ways on Gus's link");
    {
        let _loss = Impairment::drop(&lan, 2, d2.port, "numgen random mod 100 < 5");
        tokio::join!(
            assert_media_flows(&hana, &gus_id, 4.0, 20.0),
            assert_media_flows(&gus, &hana_id, 4.0, 20.0),
        );
        hana.wait_until(
            "Gus's tile to say the connection loses packets",
            &format!(
                "(() => {{ const q = document.querySelector('.tile[data-peer-id=\"{gus_id}\"] .quality'); \
                 return q && q.dataset.reason === 'loss' && ['poor', 'bad'].includes(q.dataset.level) \
                 && q.textContent; }})()"
            ),
            WAIT,
        )
        .await;
        let contrast = hana
            .contrast_on_video(&format!(".tile[data-peer-id=\"{gus_id}\"] .quality .why"))
            .await;
        assert!(contrast >= 4.5, "the words on Gus's tile: {contrast:.2}:1");
    }

    step("blackout of Gus's link");
    let sockets = gus
        .exec("return window.moim.signaling.welcomes")
        .await
        .unwrap();
    {
        let _black = Impairment::drop(&lan, 2, d2.port, "");
        let started = Instant::now();
        let noticed = "Object.values(window.moim.pcStates()).every(s => s !== 'connected')";
        tokio::join!(
            hana.wait_until("Hana's browser to notice the blackout", noticed, WAIT),
            gus.wait_until("Gus's browser to notice the blackout", noticed, WAIT),
        );
        // the blackout lasts 15 s in all
        tokio::time::sleep(Duration::from_secs(15).saturating_sub(started.elapsed())).await;
        step(&format!("blackout lifted after {:?}", started.elapsed()));
    }
    let back = Instant::now();
    tokio::join!(
        wait_connected_to(&hana, std::slice::from_ref(&gus_id)),
        wait_connected_to(&gus, std::slice::from_ref(&hana_id)),
    );
    step(&format!(
        "both connected again {:?} after the blackout",
        back.elapsed()
    ));
    tokio::join!(
        assert_media_flows(&hana, &gus_id, 1.0, 20.0),
        assert_media_flows(&gus, &hana_id, 1.0, 20.0),
    );
    let (ht, gt) = (setup_trace(&hana).await, setup_trace(&gus).await);
    for d in e2e::trace::DETOURS.iter().chain(&["broken", "pressure"]) {
        step(&format!(
            "trace: {d} ×{} at Hana, ×{} at Gus",
            count(&ht, d),
            count(&gt, d)
        ));
    }
    assert_eq!(
        (sessions(&hana).await, sessions(&gus).await),
        before,
        "the same connections throughout (none rebuilt); traces: Hana {ht} Gus {gt}"
    );
    gus.wait_until(
        "Gus's signaling socket, lost in the blackout, to be resumed",
        &format!("window.moim.signaling.welcomes > {sockets} && window.moim.signaling.ready"),
        WAIT,
    )
    .await;
    assert_eq!(
        count(&ht, "peer-left"),
        0,
        "Hana never heard that Gus left (the host kept his place); trace {ht}"
    );
    assert_eq!(hana.peer_id().await, hana_id, "Hana did not rejoin");
    assert_eq!(gus.peer_id().await, gus_id, "Gus did not rejoin");
    hana.close().await;
    gus.close().await;
}

/// See [`call_on_a_bad_network`].
#[test]
fn a_call_holds_up_on_loss_a_capped_upload_and_a_blackout() {
    run_lan(
        "a_call_holds_up_on_loss_a_capped_upload_and_a_blackout",
        2,
        call_on_a_bad_network,
    );
}
