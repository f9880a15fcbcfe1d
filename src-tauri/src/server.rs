//! The host's HTTP side: one port that serves the UI, the signaling WebSocket, the health
//! endpoint and the JSON the lobby reads. [`Host`] builds the router; [`Host::serve`] runs it
//! on a listener until a shutdown token fires, then says goodbye to every peer.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::assets::Assets;
use crate::config::{HostConfig, MAX_FRAME_BYTES, SHUTDOWN_GRACE, WS_READ_BUFFER_BYTES};
use crate::error::HostError;
use crate::protocol::PROTOCOL_VERSION;
use crate::room::{Hub, HubSettings};
use crate::signaling::{self, SocketParams};
use crate::token::HostKey;

/// Origins of Tauri webviews on the platforms Tauri supports.
pub const TAURI_ORIGINS: &[&str] = &[
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
];

/// The page policy: nothing from elsewhere, no inline script.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; media-src 'self' blob: mediastream:; \
     connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// A signaling host: the hub and everything its routes share.
#[derive(Clone)]
pub struct Host {
    inner: Arc<Inner>,
}

struct Inner {
    hub: Arc<Hub>,
    config: HostConfig,
    assets: Assets,
    params: SocketParams,
    connections: AtomicUsize,
    sockets: TaskTracker,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("hub", &self.inner.hub)
            .finish()
    }
}

impl Host {
    /// A host for `config`. The host key comes from `config.data_dir` when set, so resume and
    /// room tokens survive a restart; without one the key lives only as long as the process.
    pub fn new(config: HostConfig) -> Result<Self, HostError> {
        let key = match &config.data_dir {
            Some(dir) => HostKey::load_or_create(dir).map_err(|source| HostError::DataDir {
                path: dir.clone(),
                source,
            })?,
            None => HostKey::random(),
        };
        Ok(Self::with_key(config, key))
    }

    /// A host with a given key (tests, embedding).
    pub fn with_key(config: HostConfig, key: HostKey) -> Self {
        let hub = Arc::new(Hub::new(HubSettings::from_config(&config), key));
        Self {
            inner: Arc::new(Inner {
                hub,
                params: SocketParams::from_config(&config),
                assets: Assets::new(config.ui_dir.clone()),
                config,
                connections: AtomicUsize::new(0),
                sockets: TaskTracker::new(),
            }),
        }
    }

    /// The rooms and peers.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.inner.hub
    }

    /// The configuration this host runs with.
    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }

    /// Every route of the host.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/ws", get(ws_upgrade))
            .route("/healthz", get(health))
            .route("/api/rooms", get(rooms))
            .route("/api/info", get(info))
            .route("/api/qr.svg", get(qr_svg))
            .route("/", get(index))
            .route("/j/{room}", get(join_page))
            .route("/{*path}", get(asset))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .with_state(self.clone())
    }

    /// Serve on `listener` until `shutdown` fires; then tell every peer the host is closing,
    /// close their sockets, and wait (briefly) for the goodbyes to be written.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let local = listener.local_addr()?;
        tracing::info!(addr = %local, "signaling host listening");
        let lobby = tokio::spawn(lobby_loop(self.inner.hub.clone(), shutdown.clone()));
        let hub = self.inner.hub.clone();
        let stop = shutdown.clone();
        let router = self.router();
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            stop.cancelled().await;
            tracing::info!("shutting down: telling every peer");
            hub.close_all("shutdown");
        })
        .await?;
        lobby.abort();
        self.inner.sockets.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.inner.sockets.wait())
            .await
            .is_err()
        {
            tracing::warn!("some sockets did not close in time");
        }
        Ok(())
    }
}

/// Push room lists to lobby watchers when rooms change (at most every 100 ms), and drop rooms
/// nobody claimed.
async fn lobby_loop(hub: Arc<Hub>, shutdown: CancellationToken) {
    let mut changes = hub.subscribe_rooms();
    let mut sweep = tokio::time::interval(std::time::Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                changes.borrow_and_update();
                hub.push_rooms_to_watchers();
            }
            _ = sweep.tick() => hub.sweep_unclaimed(Instant::now()),
        }
    }
}

/// Holds one of the `--max-connections` places while a socket lives.
struct ConnectionSlot(Host);

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.inner.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Host {
    fn take_slot(&self) -> Option<ConnectionSlot> {
        let max = self.inner.config.max_connections;
        self.inner
            .connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| ConnectionSlot(self.clone()))
    }

    fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true; // native clients; browsers always send Origin on WebSocket upgrades
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if TAURI_ORIGINS.contains(&origin)
            || self.inner.config.allow_origins.iter().any(|o| o == origin)
        {
            return true;
        }
        let authority = origin.split_once("://").map(|(_, rest)| rest);
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
    }
}

#[derive(Debug, Deserialize)]
struct WsQuery {
    resume: Option<String>,
}

async fn ws_upgrade(
    State(host): State<Host>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    if !host.origin_allowed(&headers) {
        tracing::warn!(origin = ?headers.get(header::ORIGIN), "refused a WebSocket from a foreign origin");
        return (
            StatusCode::FORBIDDEN,
            "This origin may not use this moim host.",
        )
            .into_response();
    }
    let Some(slot) = host.take_slot() else {
        tracing::warn!("refused a WebSocket: connection limit reached");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "This moim host is full; try again later.",
        )
            .into_response();
    };
    let tracker = host.inner.sockets.clone();
    ws.read_buffer_size(WS_READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                let _slot = slot;
                let hub = host.inner.hub.clone();
                let conn = hub.connect(query.resume.as_deref());
                let (sink, stream) = socket.split();
                signaling::run(hub, conn, sink, stream, host.inner.params).await;
            })
        })
}

async fn health(State(host): State<Host>) -> impl IntoResponse {
    let stats = host.inner.hub.stats();
    Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "protocol": PROTOCOL_VERSION,
        "connections": stats.connections,
        "rooms": stats.rooms,
        "peers": stats.in_rooms,
    }))
}

async fn rooms(State(host): State<Host>) -> impl IntoResponse {
    Json(serde_json::json!({ "rooms": host.inner.hub.rooms() }))
}

async fn info(State(host): State<Host>) -> impl IntoResponse {
    let settings = host.inner.hub.settings();
    Json(serde_json::json!({
        "name": settings.host.name,
        "version": settings.host.version,
        "protocol": PROTOCOL_VERSION,
        "limits": settings.limits,
    }))
}

#[derive(Debug, Deserialize)]
struct QrQuery {
    text: String,
}

/// Longest text a QR code is made for (a join link with a fingerprint is about 150).
const MAX_QR_TEXT: usize = 1024;

/// A QR code for `text` (a join link), drawn here so nothing leaves the LAN.
async fn qr_svg(Query(q): Query<QrQuery>) -> Response {
    if q.text.is_empty() || q.text.len() > MAX_QR_TEXT {
        return (StatusCode::BAD_REQUEST, "text must have 1 to 1024 bytes").into_response();
    }
    match crate::qr::svg(&q.text) {
        Some(svg) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("image/svg+xml"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("max-age=3600"),
                ),
            ],
            svg,
        )
            .into_response(),
        None => (StatusCode::BAD_REQUEST, "text too long for a QR code").into_response(),
    }
}

async fn index(State(host): State<Host>) -> Response {
    host.inner.assets.respond("index.html").await
}

async fn join_page(State(host): State<Host>, Path(_room): Path<String>) -> Response {
    host.inner.assets.respond("index.html").await
}

async fn asset(State(host): State<Host>, Path(path): Path<String>) -> Response {
    host.inner.assets.respond(&path).await
}
