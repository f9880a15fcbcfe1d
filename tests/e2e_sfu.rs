//! End to end: a large meeting, its media through the host's SFU. Real headless Chromium (fake
//! camera and microphone) against the real `moim` binary, inside a network namespace of its own
//! (see tests/e2e/mod.rs). Run serially:
//!
//! ```text
//! cargo test --no-default-features --features bench --test e2e_sfu -- --test-threads=1
//! ```

mod e2e;

use e2e::{others, Browser, Scene, WAIT};
use serde_json::Value;

/// People in the room.
const PEOPLE: [&str; 4] = ["Teacher", "Ara", "Bomi", "Chan"];

/// What a page's media connections hold: how many distinct RTCPeerConnections its members
/// use, how many video streams it sends (outbound-rtp), from how many members it decodes video
/// (inbound-rtp with frames decoded), and how many video m-lines it receives on now.
const MEDIA_JS: &str = "(async () => { const peers = [...window.moim.mesh.peers.values()]; \
     if (!peers.length) return null; const pcs = new Set(peers.map(p => p.pc)); \
     const pc = peers[0].pc; let out = 0, decoding = 0; \
     (await pc.getStats()).forEach(r => { if (r.kind !== 'video') return; \
       if (r.type === 'outbound-rtp') out += 1; \
       if (r.type === 'inbound-rtp' && r.framesDecoded > 0) decoding += 1; }); \
     const receiving = pc.getTransceivers().filter(t => t.receiver.track.kind === 'video' \
       && t.currentDirection === 'recvonly').length; \
     return {pcs: pcs.size, out, decoding, receiving}; })()";

/// The first person opens the lobby, ticks "Large meeting" and creates the room; its id.
async fn create_large_meeting(b: &Browser, host: &e2e::Host) -> String {
    b.goto(&host.url("/?name=Teacher")).await;
    b.wait_until(
        "the lobby, connected",
        "window.moim && window.moim.state().mode === 'lobby' && window.moim.signaling.connected",
        WAIT,
    )
    .await;
    b.click("#create-more summary").await;
    b.click("#create-large").await;
    b.set_value("#create-name", "class 3-2").await;
    b.click("#create-btn").await;
    let room = b.in_new_room().await;
    let through_host = b.eval("!!window.moim.mesh.host").await;
    assert_eq!(through_host, true, "the room was made a large meeting");
    room
}

/// Page `b` sends one video stream, on one connection, and decodes the video of `n` others.
async fn wait_media(b: &Browser, n: usize) -> Value {
    b.wait_until(
        &format!("one connection, one outbound video, video decoded from {n} others"),
        &format!(
            "{MEDIA_JS}.then(m => m && m.pcs === 1 && m.out === 1 && m.decoding === {n} \
             && m.receiving === {n} && m)"
        ),
        WAIT,
    )
    .await
}

e2e_test!(
    /// Issue 18, first slice: four people in a large meeting each play every other's video,
    /// through one connection to the host that sends their camera once; one leaves, and the
    /// others lose that tile and its m-line while the rest play on.
    async fn a_large_meeting_goes_through_the_host() {
        let Scene {
            host,
            driver,
            dir: _dir,
        } = Scene::start().await;
        let browsers =
            futures_util::future::join_all(PEOPLE.iter().map(|n| driver.browser(n))).await;
        let room = create_large_meeting(&browsers[0], &host).await;
        let mut ids = vec![browsers[0].peer_id().await];
        for (b, name) in browsers.iter().zip(PEOPLE).skip(1) {
            ids.push(b.join(&host, &room, name, "").await);
        }

        let n = PEOPLE.len();
        futures_util::future::join_all(browsers.iter().enumerate().map(|(i, b)| {
            let ids = &ids;
            async move {
                b.videos_advance(&others(ids, i), 0.5).await;
                let media = wait_media(b, n - 1).await;
                e2e::step(&format!("{}: {media}", b.label));
            }
        }))
        .await;

        // Chan leaves: the others lose its tile and its m-lines, and play on
        let leaver = n - 1;
        browsers[leaver].click("#leave").await;
        let gone = ids[leaver].clone();
        let stay: Vec<String> = ids[..leaver].to_vec();
        futures_util::future::join_all(browsers[..leaver].iter().enumerate().map(|(i, b)| {
            let (gone, stay) = (&gone, &stay);
            async move {
                b.wait_until(
                    "the leaver's tile to go",
                    &format!("!document.querySelector('.tile[data-peer-id=\"{gone}\"]')"),
                    WAIT,
                )
                .await;
                b.wait_until(
                    "the leaver's video m-line to stop",
                    &format!(
                        "{MEDIA_JS}.then(m => m && m.receiving === {} && m.out === 1)",
                        leaver - 1
                    ),
                    WAIT,
                )
                .await;
                b.videos_advance(&others(stay, i), 0.5).await;
            }
        }))
        .await;

        for b in browsers {
            b.close().await;
        }
        host.terminate().await;
    }
);
