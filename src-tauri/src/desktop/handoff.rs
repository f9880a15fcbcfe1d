//! Handing a call to the system browser. Where the window's webview has no WebRTC (Debian's and
//! Ubuntu's WebKitGTK ship without `RTCPeerConnection`), the page asks the app to open the
//! meeting in the default browser at `http://127.0.0.1:<port>/j/<room>?name=..&autojoin=1`: a
//! secure context on this same host, so the browser joins at once while the window stays the
//! host and its control panel.
//!
//! The page never hands the app a URL to open: it names a room, and the URL is built here from
//! the host's own origin and a checked room id, so the opener can open nothing else.

use std::io::Write as _;

use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;

use crate::room::is_room_id;

/// When set, the URL is appended to this file instead of starting a browser: tests check what
/// would have opened, and a machine without a browser is not asked for one.
pub const RECORD_ENV: &str = "MOIM_OPENER_RECORD";

/// The browser URL for meeting `room` of the host at `origin`, joining as `name` at once;
/// `None` when `room` is not a room id.
pub fn join_url(origin: &str, room: &str, name: &str) -> Option<String> {
    if !is_room_id(room) {
        return None;
    }
    let name: String = name.trim().chars().take(48).collect();
    let mut url = format!("{origin}/j/{room}?");
    if !name.is_empty() {
        url.push_str("name=");
        url.push_str(&percent_encode(&name));
        url.push('&');
    }
    url.push_str("autojoin=1");
    Some(url)
}

/// Open `url` in the default browser (or record it, see [`RECORD_ENV`]).
pub fn open(app: &AppHandle, url: &str) -> anyhow::Result<()> {
    if let Some(path) = std::env::var_os(RECORD_ENV) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(file, "{url}")?;
        tracing::info!(%url, "recorded a browser hand-off");
        return Ok(());
    }
    tracing::info!(%url, "opening the meeting in the system browser");
    app.opener().open_url(url, None::<&str>)?;
    Ok(())
}

/// Percent-encode everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_join_url_for_a_room_id_only() {
        let origin = "http://127.0.0.1:7447";
        assert_eq!(
            join_url(origin, "k3f9-x2mq-7tvd-pa4h", "Min-ji 민지").as_deref(),
            Some("http://127.0.0.1:7447/j/k3f9-x2mq-7tvd-pa4h?name=Min-ji%20%EB%AF%BC%EC%A7%80&autojoin=1")
        );
        assert_eq!(
            join_url(origin, "k3f9-x2mq-7tvd-pa4h", " ").as_deref(),
            Some("http://127.0.0.1:7447/j/k3f9-x2mq-7tvd-pa4h?autojoin=1")
        );
        assert_eq!(join_url(origin, "../../etc", "a"), None);
        assert_eq!(join_url(origin, "https://evil.example/", "a"), None);
    }
}
