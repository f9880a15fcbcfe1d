//! The host's HTTP side: one port that serves the UI, the signaling WebSocket, the health
//! endpoint and the JSON the lobby reads. [`Host`] builds the router; [`Host::serve`] runs it
//! on a listener until a shutdown token fires, then says goodbye to every peer.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::assets::Assets;
use crate::config::{
    HostConfig, MAX_FRAME_BYTES, SHUTDOWN_GRACE, WS_READ_BUFFER_BYTES, WS_WRITE_BUFFER_BYTES,
};
use crate::directory::{Directory, SelfEntry};
use crate::discovery::{Discovery, Identity};
use crate::error::HostError;
use crate::protocol::{HostEntry, PROTOCOL_VERSION};
use crate::room::{Hub, HubSettings};
use crate::signaling::{self, SocketParams};
use crate::tls::TlsIdentity;
use crate::token::HostKey;

/// Origins of Tauri webviews on the platforms Tauri supports.
pub const TAURI_ORIGINS: &[&str] = &[
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
];

/// How long a new connection may take to send its first byte and finish a TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The page policy: nothing from elsewhere, no inline script. `ipc:` is the desktop app's
/// channel to its own shell (the window shows this same page); a browser never uses it.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; media-src 'self' blob: mediastream:; \
     connect-src 'self' ws: wss: ipc: http://ipc.localhost; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'";

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
    tls: Option<TlsIdentity>,
    port: AtomicUsize,
    host_id: String,
    /// The LAN directory, while the host serves.
    directory: parking_lot::RwLock<Option<Arc<Directory>>>,
    sessions: Arc<crate::sse::Sessions>,
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
        let tls = if config.no_tls {
            None
        } else if let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) {
            Some(TlsIdentity::from_files(cert, key)?)
        } else {
            let names = crate::tls::default_names(&config.host_name());
            Some(match &config.data_dir {
                Some(dir) => TlsIdentity::load_or_create(dir, &names)?,
                None => TlsIdentity::ephemeral(&names)?,
            })
        };
        Ok(Self::with_parts(config, key, tls))
    }

    /// A host with a given key and certificate (tests, embedding).
    pub fn with_parts(config: HostConfig, key: HostKey, tls: Option<TlsIdentity>) -> Self {
        let host_id = key.host_id();
        let hub = Arc::new(Hub::new(HubSettings::from_config(&config), key));
        Self {
            inner: Arc::new(Inner {
                hub,
                params: SocketParams::from_config(&config),
                assets: Assets::new(config.ui_dir.clone()),
                config,
                connections: AtomicUsize::new(0),
                sockets: TaskTracker::new(),
                tls,
                port: AtomicUsize::new(0),
                host_id,
                directory: parking_lot::RwLock::new(None),
                sessions: Arc::default(),
            }),
        }
    }

    /// The rooms and peers.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.inner.hub
    }

    /// The certificate served to LAN browsers, if HTTPS is on.
    pub fn tls(&self) -> Option<&TlsIdentity> {
        self.inner.tls.as_ref()
    }

    /// The mDNS discovery, while the host serves with it on.
    pub fn discovery(&self) -> Option<Arc<Discovery>> {
        self.directory().and_then(|d| d.discovery().cloned())
    }

    /// The LAN directory, while the host serves.
    pub fn directory(&self) -> Option<Arc<Directory>> {
        self.inner.directory.read().clone()
    }

    /// Every host of the LAN with its rooms: this one first, then those mDNS found.
    pub fn hosts(&self) -> Arc<Vec<HostEntry>> {
        match self.directory() {
            Some(d) => d.hosts(),
            None => Arc::new(vec![Directory::build_self(
                self.inner.hub.rooms(),
                &self.self_entry(),
            )]),
        }
    }

    /// How this host lists itself.
    fn self_entry(&self) -> SelfEntry {
        SelfEntry {
            id: self.host_id(),
            name: self.inner.hub.settings().host.name.clone(),
            url: self.lan_urls().into_iter().next().unwrap_or_default(),
            fingerprint: self.inner.tls.as_ref().map(|t| t.fingerprint.hex()),
        }
    }

    /// This host's stable id on the LAN.
    pub fn host_id(&self) -> String {
        self.inner.host_id.clone()
    }

    /// The port this host serves on (set once it listens).
    pub fn port(&self) -> u16 {
        self.inner.port.load(Ordering::Acquire) as u16
    }

    /// The URLs guests on the LAN open: HTTPS when it is on.
    pub fn lan_urls(&self) -> Vec<String> {
        self.lan_urls_on(self.port())
    }

    /// [`Host::lan_urls`] for a host serving on `port` (known before the serving task runs).
    pub(crate) fn lan_urls_on(&self, port: u16) -> Vec<String> {
        let scheme = if self.inner.tls.is_some() {
            "https"
        } else {
            "http"
        };
        match self.inner.config.bind {
            ip if ip.is_loopback() => vec![format!("http://{ip}:{port}/")],
            ip if !ip.is_unspecified() => vec![format!("{scheme}://{ip}:{port}/")],
            _ => crate::net::lan_addrs()
                .into_iter()
                .map(|ip| format!("{scheme}://{}/", SocketAddr::new(ip, port)))
                .collect(),
        }
    }

    /// The configuration this host runs with.
    pub fn config(&self) -> &HostConfig {
        &self.inner.config
    }

    /// Every route of the host.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/ws", get(ws_upgrade))
            .route("/events", get(events))
            .route(
                "/events/{session}",
                axum::routing::post(post_event)
                    .layer(axum::extract::DefaultBodyLimit::max(MAX_FRAME_BYTES)),
            )
            .route("/healthz", get(health))
            .route("/api/rooms", get(rooms))
            .route("/api/info", get(info))
            .route("/api/hosts", get(hosts))
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
    ///
    /// One port speaks both HTTPS and plain HTTP: the first byte of a connection tells a TLS
    /// handshake from a plain request. Plain HTTP is answered for this machine (the app's own
    /// window and the browser hand-off use `http://127.0.0.1`), and, with `--lan-http`, for
    /// the LAN; other plain requests are redirected to HTTPS.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let local = listener.local_addr()?;
        self.inner
            .port
            .store(usize::from(local.port()), Ordering::Release);
        tracing::info!(addr = %local, tls = self.inner.tls.is_some(), "host listening");
        let discovery = (!self.inner.config.no_mdns).then(|| {
            Discovery::new(Identity {
                id: self.host_id(),
                name: self.inner.hub.settings().host.name.clone(),
                port: local.port(),
                fingerprint: self.inner.tls.as_ref().map(|t| t.fingerprint),
                interfaces: self.inner.config.interfaces.clone(),
            })
        });
        let mdns = discovery.as_ref().map(|d| d.start(shutdown.clone()));
        let directory = Directory::new(self.inner.hub.clone(), self.self_entry(), discovery);
        *self.inner.directory.write() = Some(directory.clone());
        let lobby = tokio::spawn(lobby_loop(directory, shutdown.clone()));
        let router = self.router();
        let acceptor = self
            .inner
            .tls
            .as_ref()
            .map(|id| tokio_rustls::TlsAcceptor::from(id.server_config.clone()));
        let http = TaskTracker::new();
        loop {
            let (stream, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        // Out of file descriptors, usually: back off instead of spinning.
                        tracing::warn!(%err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let conn = Connection {
                router: router.clone(),
                acceptor: acceptor.clone(),
                plain_allowed: peer.ip().is_loopback() || self.inner.config.lan_http,
                peer,
                shutdown: shutdown.clone(),
            };
            http.spawn(conn.serve(stream));
        }
        drop(listener);
        tracing::info!("shutting down: telling every peer");
        self.inner.hub.close_all("shutdown");
        lobby.abort();
        if let Some(mdns) = mdns {
            // Unregistering sends the goodbye that removes this host from the others' lists.
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, mdns).await;
        }
        self.inner.directory.write().take();
        http.close();
        self.inner.sockets.close();
        let goodbyes = async {
            http.wait().await;
            self.inner.sockets.wait().await;
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, goodbyes)
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
        Ok(())
    }
}

/// One accepted TCP connection, before we know whether it speaks TLS.
struct Connection {
    router: Router,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    plain_allowed: bool,
    peer: SocketAddr,
    shutdown: CancellationToken,
}

impl Connection {
    async fn serve(self, stream: TcpStream) {
        let mut first = [0u8; 1];
        let is_tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await {
            Ok(Ok(1)) => first[0] == 0x16, // a TLS record of type handshake
            _ => return,
        };
        match (is_tls, &self.acceptor) {
            (true, Some(acceptor)) => {
                let accepted =
                    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
                match accepted {
                    Ok(Ok(tls)) => self.http(TokioIo::new(tls), false).await,
                    Ok(Err(err)) => {
                        tracing::debug!(peer = %self.peer, %err, "TLS handshake failed")
                    }
                    Err(_) => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
                }
            }
            (true, None) => {}
            (false, _) => {
                let redirect = !self.plain_allowed && self.acceptor.is_some();
                self.http(TokioIo::new(stream), redirect).await
            }
        }
    }

    async fn http<I>(self, io: I, redirect_to_https: bool)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        use tower::ServiceExt;
        let peer = self.peer;
        let router = self.router;
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                let router = router.clone();
                async move {
                    if redirect_to_https {
                        return Ok(https_redirect(&req));
                    }
                    router.oneshot(req.map(axum::body::Body::new)).await
                }
            });
        let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        let conn = builder.serve_connection_with_upgrades(io, service);
        tokio::pin!(conn);
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(err) = res {
                    tracing::debug!(%peer, %err, "HTTP connection ended with an error");
                }
            }
            _ = self.shutdown.cancelled() => {
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
        }
    }
}

/// Send a plain-HTTP LAN request to the same place over HTTPS.
fn https_redirect<B>(req: &hyper::Request<B>) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    match HeaderValue::from_str(&format!("https://{host}{path}")) {
        Ok(location) if !host.is_empty() => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
            "This moim host speaks HTTPS on the LAN.",
        )
            .into_response(),
        _ => (StatusCode::BAD_REQUEST, "Use HTTPS.").into_response(),
    }
}

/// Keep the lobby current (room lists to `list-rooms` watchers, the directory to
/// `watch-hosts` followers) and drop rooms nobody claimed.
async fn lobby_loop(directory: Arc<Directory>, shutdown: CancellationToken) {
    let hub = directory.hub().clone();
    let sweeper = hub.clone();
    let sweep = async move {
        let mut every = tokio::time::interval(Duration::from_secs(10));
        loop {
            every.tick().await;
            sweeper.sweep_unclaimed(Instant::now());
        }
    };
    tokio::select! {
        _ = directory.run(shutdown, move || hub.push_rooms_to_watchers()) => {}
        _ = sweep => {}
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

    /// The checks every long-lived transport passes before it opens: a foreign origin gets
    /// 403, a full host 503 (the response is boxed to keep the `Result` small).
    fn admit(&self, headers: &HeaderMap) -> Result<ConnectionSlot, Box<Response>> {
        if !self.origin_allowed(headers) {
            tracing::warn!(origin = ?headers.get(header::ORIGIN), "refused a connection from a foreign origin");
            return Err(Box::new(
                (
                    StatusCode::FORBIDDEN,
                    "This origin may not use this moim host.",
                )
                    .into_response(),
            ));
        }
        self.take_slot().ok_or_else(|| {
            tracing::warn!("refused a connection: connection limit reached");
            Box::new(
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "This moim host is full; try again later.",
                )
                    .into_response(),
            )
        })
    }
}

#[derive(Debug, Deserialize)]
struct WsQuery {
    resume: Option<String>,
    /// The id of another host on the LAN whose room this socket joins (see [`crate::bridge`]).
    via: Option<String>,
}

async fn ws_upgrade(
    State(host): State<Host>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let slot = match host.admit(&headers) {
        Ok(slot) => slot,
        Err(refusal) => return *refusal,
    };
    let tracker = host.inner.sockets.clone();
    if let Some(via) = query.via.filter(|id| *id != host.inner.host_id) {
        let route = host.discovery().and_then(|d| d.route(&via));
        let (addrs, fingerprint) = route.unwrap_or_default();
        return ws
            .max_message_size(MAX_FRAME_BYTES)
            .max_frame_size(MAX_FRAME_BYTES)
            .on_upgrade(move |socket| {
                tracker.track_future(async move {
                    let _slot = slot;
                    crate::bridge::run(socket, addrs, fingerprint, query.resume).await;
                })
            });
    }
    ws.read_buffer_size(WS_READ_BUFFER_BYTES)
        .write_buffer_size(WS_WRITE_BUFFER_BYTES)
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

/// The event-stream transport (see [`crate::sse`]): the same checks as the WebSocket.
async fn events(
    State(host): State<Host>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
) -> Response {
    let slot = match host.admit(&headers) {
        Ok(slot) => slot,
        Err(refusal) => return *refusal,
    };
    let hub = host.inner.hub.clone();
    let conn = hub.connect(query.resume.as_deref());
    let sse = host
        .inner
        .sessions
        .open(hub, conn, host.inner.params, move || drop(slot));
    let mut resp = sse.into_response();
    // Tell reverse proxies not to buffer the stream.
    resp.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

async fn post_event(
    State(host): State<Host>,
    headers: HeaderMap,
    Path(session): Path<String>,
    body: String,
) -> Response {
    if !host.origin_allowed(&headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match host.inner.sessions.post(&host.inner.hub, &session, &body) {
        crate::sse::PostOutcome::Accepted => StatusCode::NO_CONTENT.into_response(),
        crate::sse::PostOutcome::Unknown => StatusCode::NOT_FOUND.into_response(),
        crate::sse::PostOutcome::Flooded => StatusCode::TOO_MANY_REQUESTS.into_response(),
    }
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
    let tls = host.inner.tls.as_ref();
    Json(serde_json::json!({
        "name": settings.host.name,
        "version": settings.host.version,
        "protocol": PROTOCOL_VERSION,
        "limits": settings.limits,
        "tls": tls.is_some(),
        "fingerprint": tls.map(|t| t.fingerprint.hex()),
        "fingerprint_display": tls.map(|t| t.fingerprint.to_string()),
        "lan_urls": host.lan_urls(),
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

async fn hosts(State(host): State<Host>) -> impl IntoResponse {
    Json(serde_json::json!({
        "mdns": host.discovery().is_some(),
        "hosts": *host.hosts(),
    }))
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
