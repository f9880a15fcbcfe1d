//! What the window's page may ask the app over IPC. Each command has a permission in
//! `src-tauri/permissions/app.toml`, granted to the app's own origin only by
//! `src-tauri/capabilities/host-panel.json`. Errors are codes the page turns into sentences in
//! the person's language (its message catalogues), never internals.

use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};

use super::handoff;
use super::host::{EmbeddedHost, HostState};
use super::tray::{self, Labels, TrayLabels};
use crate::protocol::ErrorBody;

/// What the window's webview can do, as its own page detected at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebviewCaps {
    /// `navigator.mediaDevices.getUserMedia` exists.
    #[serde(rename = "getUserMedia")]
    pub get_user_media: bool,
    /// `RTCPeerConnection` exists (absent from Debian's and Ubuntu's WebKitGTK).
    #[serde(rename = "RTCPeerConnection")]
    pub rtc_peer_connection: bool,
    /// `navigator.platform` (or the OS the app was built for when the page gives none).
    pub platform: String,
    /// The webview's user agent.
    #[serde(rename = "userAgent", default)]
    pub user_agent: String,
}

/// The last [`WebviewCaps`] the page reported.
#[derive(Debug, Default)]
pub struct Capabilities(Mutex<Option<WebviewCaps>>);

/// The host's addresses, port, rooms and members.
#[tauri::command]
pub fn host_state(host: State<'_, Arc<EmbeddedHost>>) -> HostState {
    host.state()
}

/// What the webview can do, as reported by its page (null until the page has loaded).
#[tauri::command]
pub fn webview_capabilities(caps: State<'_, Capabilities>) -> Option<WebviewCaps> {
    caps.0.lock().clone()
}

/// The page reports what it detected; logged once, kept for [`webview_capabilities`].
#[tauri::command]
pub fn report_capabilities(caps: State<'_, Capabilities>, detected: WebviewCaps) {
    let mut slot = caps.0.lock();
    if slot.as_ref() != Some(&detected) {
        tracing::info!(
            get_user_media = detected.get_user_media,
            rtc_peer_connection = detected.rtc_peer_connection,
            platform = %detected.platform,
            "webview capabilities"
        );
    }
    *slot = Some(detected);
}

/// Why a hand-off failed: `not-a-room`, or `no-browser` with the link to open by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoffError {
    /// `not-a-room` or `no-browser`.
    pub code: &'static str,
    /// The join link (for `no-browser`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Open meeting `room` of this host in the system browser, joining as `name`; returns the URL.
#[tauri::command]
pub fn open_in_browser(
    app: AppHandle,
    host: State<'_, Arc<EmbeddedHost>>,
    room: String,
    name: Option<String>,
) -> Result<String, HandoffError> {
    let url = handoff::join_url(&host.page_origin(), &room, name.as_deref().unwrap_or("")).ok_or(
        HandoffError {
            code: "not-a-room",
            url: None,
        },
    )?;
    handoff::open(&app, &url).map_err(|err| {
        tracing::warn!(%err, "could not open the system browser");
        HandoffError {
            code: "no-browser",
            url: Some(url.clone()),
        }
    })?;
    Ok(url)
}

/// The page hands the tray menu its words in the person's language; the menu is rebuilt.
#[tauri::command]
pub fn set_tray_labels(
    app: AppHandle,
    host: State<'_, Arc<EmbeddedHost>>,
    store: State<'_, Labels>,
    labels: TrayLabels,
) {
    *store.0.lock() = labels.bounded();
    tray::refresh(&app, &host.state().rooms);
}

/// The host panel answers a knock at `room`: admit (`admit: true`) or turn away `peer`, or
/// everyone waiting when `peer` is absent. The error is the protocol's (`{code, message}`:
/// `no-such-room`, `unknown-peer`, `room-full`, `invalid-field` for a malformed peer id).
#[tauri::command]
pub fn answer_knock(
    host: State<'_, Arc<EmbeddedHost>>,
    room: String,
    peer: Option<String>,
    admit: bool,
) -> Result<(), ErrorBody> {
    let peer = peer
        .as_deref()
        .map(uuid::Uuid::parse_str)
        .transpose()
        .map_err(|_| ErrorBody::invalid_field("peer", "That is not a peer id."))?;
    host.host().hub().answer_knock(&room, peer, admit)
}

/// Stop the host (everyone in a meeting is told) and quit.
#[tauri::command]
pub fn quit(app: AppHandle) {
    tracing::info!("quit from the window");
    app.exit(0);
}
