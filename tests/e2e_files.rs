//! End to end, issue 14: files sent peer to peer over the data channels, and recording the
//! meeting. Real headless Chromium against the real host, inside a network namespace (see
//! tests/e2e/mod.rs). Run serially:
//!
//! ```text
//! cargo test --no-default-features --test e2e_files -- --test-threads=1
//! ```
//!
//! The files are made in the sender's page from a deterministic generator (xorshift32), so no
//! large fixture sits on disk; the expected digest is computed by the test's own code from the
//! sender's blob, and compared with a digest of what each receiver stored.

mod e2e;

use std::time::Duration;

use e2e::{Browser, Driver, Host, WAIT};
use serde_json::Value;

/// A whole transfer may take this long (a guard against hanging, not a speed claim).
const TRANSFER: Duration = Duration::from_secs(150);

/// JS defining the generator and the test's own digest of a blob (SHA-256 over the SHA-256 of
/// each 1 MiB block, docs/client.md "Files"), written here apart from the client's code.
const HELPERS: &str = "window.__gen = (size, seed) => { const parts = []; let x = seed >>> 0 || 1; \
  for (let at = 0; at < size; at += 1 << 20) { const n = Math.min(1 << 20, size - at); \
    const u = new Uint32Array(Math.ceil(n / 4)); \
    for (let i = 0; i < u.length; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; u[i] = x; } \
    parts.push(new Uint8Array(u.buffer, 0, n)); } \
  return new File(parts, 'big-' + seed + '.bin', {type: 'application/octet-stream'}); }; \
window.__digest = async (blob) => { const ds = []; \
  for (let at = 0; at < blob.size; at += 1 << 20) \
    ds.push(new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.slice(at, at + (1 << 20)).arrayBuffer()))); \
  const cat = new Uint8Array(ds.length * 32); ds.forEach((d, i) => cat.set(d, i * 32)); \
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', cat))].map(b => b.toString(16).padStart(2, '0')).join(''); }; \
return true;";

/// Open the meeting page of `room` as `name` without camera or microphone (files need
/// neither), wait until it is in the room; returns its peer id.
async fn join(b: &Browser, host: &Host, room: &str, name: &str, extra: &str) -> String {
    b.goto(&host.url(&format!("/j/{room}?name={name}&autojoin=1{extra}")))
        .await;
    b.wait_until(
        &format!("{name} in room {room}"),
        &format!("window.moim && window.moim.state().mode === 'meeting' && window.moim.state().room === '{room}' && window.moim.files"),
        WAIT,
    )
    .await;
    b.exec(HELPERS).await.unwrap();
    b.peer_id().await
}

/// Every browser has a connected connection and an open chat channel to each of the others.
async fn wait_mesh(browsers: &[&Browser], n: usize) {
    let cond = format!(
        "(() => {{ const ps = [...window.moim.mesh.peers.values()]; return ps.length === {} \
         && ps.every(p => p.state === 'connected' && p.channel && p.channel.readyState === 'open'); }})()",
        n - 1
    );
    futures_util::future::join_all(browsers.iter().map(|b| {
        b.wait_until(
            "every connection up with its chat channel open",
            &cond,
            WAIT,
        )
    }))
    .await;
}

/// The page's transfer `id` (or null).
fn transfer_js(id: &str) -> String {
    format!("window.moim.files.transfers().find(t => t.id === '{id}') || null")
}

/// Run the page's async `expr` in the background and wait for its value (hashing 200 MiB may
/// outlast one WebDriver command).
async fn background(b: &Browser, what: &str, expr: &str, limit: Duration) -> Value {
    b.exec(&format!(
        "window.__bg = undefined; Promise.resolve().then(() => {expr}).then(v => window.__bg = {{v}}, e => window.__bg = {{e: String(e)}}); return true;"
    ))
    .await
    .unwrap();
    let out = b.wait_until(what, "window.__bg", limit).await;
    assert!(out.get("e").is_none(), "{}: {what}: {out}", b.label);
    out["v"].clone()
}

e2e_test!(
    /// A 200 MiB file sent to everyone in a four-person room arrives at each of the three
    /// others whole: stored on disk (OPFS), with a download link, and the same digest as the
    /// sender's blob computed by the test itself; both sides show it done.
    async fn a_200_mib_file_reaches_three_peers_intact() {
        let dir = e2e::scratch();
        let host = Host::start(dir.path()).await;
        let driver = Driver::start(dir.path()).await;
        let room = host.create_room("files").await;
        let names = ["sender", "r1", "r2", "r3"];
        let browsers =
            futures_util::future::join_all(names.iter().map(|n| driver.browser(n))).await;
        let mut ids = Vec::new();
        for (b, n) in browsers.iter().zip(names) {
            ids.push(join(b, &host, &room, n, "&cam=0&mic=0").await);
        }
        let all: Vec<&Browser> = browsers.iter().collect();
        wait_mesh(&all, 4).await;
        let sender = &browsers[0];
        let size = 200 * 1024 * 1024;
        let sent = sender
            .eval(&format!(
                "(() => {{ window.__file = window.__gen({size}, 7); return window.moim.files.send(window.__file, null); }})()"
            ))
            .await;
        let sent: Vec<String> = serde_json::from_value(sent).unwrap();
        assert_eq!(sent.len(), 3, "one transfer per other person: {sent:?}");
        let expected = background(
            sender,
            "the test's digest of the sender's file",
            "window.__digest(window.__file)",
            Duration::from_secs(60),
        )
        .await;
        let expected = expected.as_str().unwrap().to_string();
        e2e::step(&format!("expected digest {expected}"));
        for (i, id) in sent.iter().enumerate() {
            let st = sender.eval(&transfer_js(id)).await;
            assert!(
                ids[1..].contains(&st["peer"].as_str().unwrap().to_string()),
                "transfer {i} goes to one of the others: {st}"
            );
        }
        futures_util::future::join_all(browsers[1..].iter().map(|b| {
            let expected = expected.clone();
            async move {
                let tr = b
                    .wait_until(
                        "the file received and verified",
                        "window.moim.files.transfers().find(t => t.dir === 'in' && t.state === 'done') \
                         || (window.moim.files.transfers().find(t => t.state === 'failed') && window.moim.files.transfers())",
                        TRANSFER,
                    )
                    .await;
                assert_eq!(tr["state"], "done", "{}: {tr}", b.label);
                let id = tr["id"].as_str().unwrap().to_string();
                assert_eq!(tr["size"], size, "{}: {tr}", b.label);
                assert_eq!(tr["bytes"], size, "{}: {tr}", b.label);
                assert_eq!(tr["sha256"], expected.as_str(), "{}: the client's digest", b.label);
                let stored = background(
                    b,
                    "the test's digest of the stored file",
                    &format!("window.__digest(window.moim.files.file('{id}'))"),
                    Duration::from_secs(60),
                )
                .await;
                assert_eq!(stored, expected.as_str(), "{}: the stored bytes", b.label);
                let on_disk = background(b, "the OPFS entries", "window.moim.files.stored()", WAIT).await;
                assert!(
                    on_disk.as_array().unwrap().iter().any(|n| n == id.as_str()),
                    "{}: the file is on disk (OPFS), not in memory: {on_disk}",
                    b.label
                );
                let ui = b
                    .eval(&format!(
                        "(() => {{ const e = document.querySelector('li.file[data-transfer-id=\"{id}\"]'); \
                         const a = e && e.querySelector('a.file-download'); \
                         return e && {{state: e.dataset.state, href: a && a.href, download: a && a.download}}; }})()"
                    ))
                    .await;
                assert_eq!(ui["state"], "done", "{}: {ui}", b.label);
                assert!(ui["href"].as_str().is_some_and(|h| h.starts_with("blob:")), "{}: a download link: {ui}", b.label);
                assert_eq!(ui["download"], "big-7.bin", "{}: {ui}", b.label);
            }
        }))
        .await;
        for id in &sent {
            let st = sender
                .wait_until(
                    "the sender's transfer done",
                    &format!(
                        "(() => {{ const t = {}; return t && t.state === 'done' && t; }})()",
                        transfer_js(id)
                    ),
                    WAIT,
                )
                .await;
            assert_eq!(st["sha256"], expected.as_str(), "sender: {st}");
            let ui = sender
                .eval(&format!(
                    "document.querySelector('li.file[data-transfer-id=\"{id}\"]').dataset.state"
                ))
                .await;
            assert_eq!(ui, "done", "sender's entry for {id}");
        }
    }
);

/// In `b`, click the cancel button of the first transfer once it moved `bytes` (`field` is
/// `bytes` on the receiver, `acked` on the sender): the click comes from a 'transfer' event, so
/// it lands mid-transfer however fast the machine is.
fn cancel_at_js(field: &str, bytes: u64) -> String {
    format!(
        "window.__cancelled = null; const off = window.moim.files.engine.on('transfer', (t) => {{ \
           if (window.__cancelled || t.state === 'done' || t.{field} < {bytes}) return; \
           window.__cancelled = {{id: t.id, at: t.{field}}}; off(); \
           window.moim.files.stored().then(names => {{ \
             document.querySelector(`li.file[data-transfer-id=\"${{t.id}}\"] .file-cancel`).click(); \
             window.__cancelled.stored = names; }}); }}); return true;"
    )
}

/// Both sides show `id` cancelled, and nothing of it is left: no file, no download link, no
/// OPFS entry (on either side).
async fn assert_nothing_left(browsers: &[&Browser], id: &str) {
    for b in browsers {
        let tr = b
            .wait_until(
                "the transfer cancelled",
                &format!("(() => {{ const t = {}; return t && t.state !== 'receiving' && t.state !== 'sending' && t.state !== 'offered' && t; }})()", transfer_js(id)),
                TRANSFER,
            )
            .await;
        assert_eq!(tr["state"], "cancelled", "{}: {tr}", b.label);
        assert_eq!(tr["hasFile"], false, "{}: {tr}", b.label);
        assert!(
            tr["bytes"].as_u64().unwrap() < tr["size"].as_u64().unwrap(),
            "{}: it stopped early: {tr}",
            b.label
        );
        let ui = b
            .eval(&format!(
                "(() => {{ const e = document.querySelector('li.file[data-transfer-id=\"{id}\"]'); \
                 return e && {{state: e.dataset.state, links: e.querySelectorAll('a').length, \
                 cancel: e.querySelector('.file-cancel').hidden, status: e.querySelector('.file-status').textContent}}; }})()"
            ))
            .await;
        assert_eq!(ui["state"], "cancelled", "{}: {ui}", b.label);
        assert_eq!(ui["links"], 0, "{}: no download link: {ui}", b.label);
        assert_eq!(
            ui["cancel"], true,
            "{}: no cancel button any more: {ui}",
            b.label
        );
        b.wait_until(
            "no OPFS entry left",
            "window.moim.files.stored().then(names => names.length === 0)",
            WAIT,
        )
        .await;
        let blobs = b
            .eval("[...document.querySelectorAll('a[href^=\"blob:\"]')].length")
            .await;
        assert_eq!(blobs, 0, "{}: no blob URL handed out", b.label);
    }
}

e2e_test!(
    /// A transfer cancelled midway, once by the receiver and once by the sender (through the
    /// entry's Cancel button), ends as cancelled on both sides and leaves nothing behind.
    async fn a_cancelled_transfer_leaves_nothing_behind() {
        let dir = e2e::scratch();
        let host = Host::start(dir.path()).await;
        let driver = Driver::start(dir.path()).await;
        let room = host.create_room("cancel").await;
        let a = driver.browser("sender").await;
        let b = driver.browser("receiver").await;
        join(&a, &host, &room, "sender", "&cam=0&mic=0").await;
        let b_id = join(&b, &host, &room, "receiver", "&cam=0&mic=0").await;
        wait_mesh(&[&a, &b], 2).await;
        b.click("#chat-toggle").await;
        let size: u64 = 128 * 1024 * 1024;
        for (who, canceller, field) in [("receiver", &b, "bytes"), ("sender", &a, "acked")] {
            e2e::step(&format!("the {who} cancels"));
            canceller
                .exec(&cancel_at_js(field, 8 * 1024 * 1024))
                .await
                .unwrap();
            let sent = a
                .eval(&format!(
                    "window.moim.files.send(window.__gen({size}, 3), '{b_id}')"
                ))
                .await;
            let id = sent[0].as_str().unwrap().to_string();
            let at = canceller
                .wait_until(
                    "the cancel clicked",
                    "window.__cancelled && window.__cancelled.stored && window.__cancelled",
                    TRANSFER,
                )
                .await;
            assert_eq!(at["id"], id.as_str());
            if who == "receiver" {
                assert!(
                    at["stored"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|n| n == id.as_str()),
                    "the partial file was on disk before the cancel: {at}"
                );
            }
            assert_nothing_left(&[&a, &b], &id).await;
        }
    }
);
