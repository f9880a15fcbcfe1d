//! The host's HTTP side: one port that serves the UI, the signaling WebSocket, the health
//! endpoint and the JSON the lobby reads. [`Host`] builds the router; [`Host::serve`] runs it
//! on a listener until a shutdown token fires, then says goodbye to every peer.

use std::net::{IpAddr, SocketAddr};
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
use crate::budget::{Slot, SlotKind};
use crate::config::{
    HostConfig, MAX_FRAME_BYTES, SHUTDOWN_GRACE, WS_READ_BUFFER_BYTES, WS_WRITE_BUFFER_BYTES,
};
use crate::directory::{Directory, SelfEntry};
use crate::discovery::{Discovery, Identity};
use crate::error::HostError;
use crate::protocol::{HostEntry, PROTOCOL_VERSION};
use crate::room::{Hub, HubSettings};
use crate::sfu::Sfu;
use crate::signaling::{self, SocketParams};
use crate::tls::TlsIdentity;
use crate::token::HostKey;

/// Origins of Tauri webviews on the platforms Tauri supports.
pub const TAURI_ORIGINS: &[&str] = &[
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
];

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
    /// Accepted connections that are not a session (see [`PendingSlot`]).
    pending: AtomicUsize,
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
                pending: AtomicUsize::new(0),
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

    /// mDNS (unless off) and the LAN directory it feeds, with the loop that pushes it to the
    /// lobby watchers: the mDNS task (it unregisters on shutdown) and the lobby loop.
    fn start_directory(
        &self,
        port: u16,
        shutdown: &CancellationToken,
    ) -> (
        Option<tokio::task::JoinHandle<()>>,
        tokio::task::JoinHandle<()>,
    ) {
        let discovery = (!self.inner.config.no_mdns).then(|| {
            Discovery::new(Identity {
                id: self.host_id(),
                name: self.inner.hub.settings().host.name.clone(),
                port,
                fingerprint: self.inner.tls.as_ref().map(|t| t.fingerprint),
                interfaces: self.inner.config.interfaces.clone(),
            })
        });
        let mdns = discovery.as_ref().map(|d| d.start(shutdown.clone()));
        let directory = Directory::new(self.inner.hub.clone(), self.self_entry(), discovery);
        *self.inner.directory.write() = Some(directory.clone());
        let lobby = tokio::spawn(lobby_loop(directory, shutdown.clone()));
        (mdns, lobby)
    }

    /// The SFU of large meetings, on `--sfu-port` (by default the signaling port's number, or
    /// a free port when that UDP port is taken), until `shutdown`.
    async fn start_sfu(&self, tcp_port: u16, shutdown: &CancellationToken) -> std::io::Result<()> {
        let config = &self.inner.config;
        let hub = Arc::downgrade(&self.inner.hub);
        let notify = move || -> crate::sfu::Notify {
            let hub = hub.clone();
            Box::new(move |peer, msg| {
                if let Some(hub) = hub.upgrade() {
                    hub.sfu_say(peer, &msg);
                }
            })
        };
        let started = match config.sfu_port {
            Some(port) => Sfu::start(config.bind, port, notify(), shutdown.child_token()).await,
            None => match Sfu::start(config.bind, tcp_port, notify(), shutdown.child_token()).await
            {
                Ok(sfu) => Ok(sfu),
                Err(_) => Sfu::start(config.bind, 0, notify(), shutdown.child_token()).await,
            },
        };
        self.inner.hub.set_sfu(started?);
        Ok(())
    }

    /// Accept connections until `shutdown`, each served on `http` (or refused at once when
    /// the pending-connection limit is reached).
    async fn accept_until(
        &self,
        listener: TcpListener,
        shutdown: &CancellationToken,
        http: &TaskTracker,
    ) {
        let Ok(local) = listener.local_addr() else {
            return;
        };
        let router = self.router();
        let acceptor = self
            .inner
            .tls
            .as_ref()
            .map(|id| tokio_rustls::TlsAcceptor::from(id.server_config.clone()));
        let mut last_accept_warning: Option<Instant> = None;
        loop {
            let (stream, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        // Out of file descriptors, usually: back off instead of spinning, and
                        // say so once a minute, not every time.
                        if last_accept_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                            tracing::warn!(%err, "accept failed");
                            last_accept_warning = Some(Instant::now());
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let Some(pending) = self.take_pending(peer.ip()) else {
                http.spawn(refuse_busy(stream, self.inner.config.request_timeout()));
                continue;
            };
            let conn = Connection {
                router: router.clone(),
                acceptor: acceptor.clone(),
                plain_allowed: peer.ip().is_loopback() || self.inner.config.lan_http,
                peer,
                local: stream.local_addr().unwrap_or(local),
                shutdown: shutdown.clone(),
                timeout: self.inner.config.request_timeout(),
                pending: Arc::new(parking_lot::Mutex::new(Some(pending))),
            };
            http.spawn(conn.serve(stream));
        }
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
        let lateness = tokio::spawn(self.inner.params.lateness.clone().run(shutdown.clone()));
        self.start_sfu(local.port(), &shutdown).await?;
        let (mdns, lobby) = self.start_directory(local.port(), &shutdown);
        let http = TaskTracker::new();
        self.accept_until(listener, &shutdown, &http).await;
        tracing::info!("shutting down: telling every peer");
        self.inner.hub.close_all("shutdown");
        lobby.abort();
        lateness.abort();
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

/// Answer a connection the host has no room for with 503 at once, and close it.
async fn refuse_busy(mut stream: TcpStream, timeout: Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\
        content-length: 41\r\nconnection: close\r\n\r\nThis moim host is full; try again later.\n";
    let _ = tokio::time::timeout(timeout.min(Duration::from_secs(1)), async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await?;
        // Read what the client sent before closing, so the kernel does not answer it with a
        // reset that could destroy the 503 before it is read.
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// One place among the connections that are not a session: the host-wide count and the
/// address's. A connection holds it from accept until it closes or becomes a session.
struct PendingSlot {
    host: Host,
    _addr: Slot,
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        self.host.inner.pending.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's pending place, which the request that turns it into a session gives up.
#[derive(Clone)]
struct Pending(Arc<parking_lot::Mutex<Option<PendingSlot>>>);

/// What the request came over: whether TLS, and which of this host's addresses it reached.
#[derive(Debug, Clone, Copy)]
struct Transport {
    tls: bool,
    local: SocketAddr,
}

/// Cancelled to close one HTTP connection from inside (an event-stream session the host ended).
#[derive(Clone)]
struct ConnKill(CancellationToken);

/// One accepted TCP connection, before we know whether it speaks TLS. Every stage before a
/// session exists has `timeout`: the first byte, the TLS handshake, each request head (and
/// the wait for the next one), each request's handling.
struct Connection {
    router: Router,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    plain_allowed: bool,
    peer: SocketAddr,
    local: SocketAddr,
    shutdown: CancellationToken,
    timeout: Duration,
    pending: Arc<parking_lot::Mutex<Option<PendingSlot>>>,
}

impl Connection {
    async fn serve(self, stream: TcpStream) {
        let mut first = [0u8; 1];
        let is_tls = match tokio::time::timeout(self.timeout, stream.peek(&mut first)).await {
            Ok(Ok(1)) => first[0] == 0x16, // a TLS record of type handshake
            _ => return,
        };
        match (is_tls, &self.acceptor) {
            (true, Some(acceptor)) => {
                let accepted = tokio::time::timeout(self.timeout, acceptor.accept(stream)).await;
                match accepted {
                    Ok(Ok(tls)) => self.http(TokioIo::new(tls), false, true).await,
                    Ok(Err(err)) => {
                        tracing::debug!(peer = %self.peer, %err, "TLS handshake failed")
                    }
                    Err(_) => tracing::debug!(peer = %self.peer, "TLS handshake timed out"),
                }
            }
            (true, None) => {}
            (false, _) => {
                let redirect = !self.plain_allowed && self.acceptor.is_some();
                self.http(TokioIo::new(stream), redirect, false).await
            }
        }
    }

    async fn http<I>(self, io: I, redirect_to_https: bool, tls: bool)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    {
        use tower::ServiceExt;
        let peer = self.peer;
        let router = self.router;
        let transport = Transport {
            tls,
            local: self.local,
        };
        let kill = CancellationToken::new();
        let pending = Pending(self.pending.clone());
        let timeout = self.timeout;
        let conn_kill = ConnKill(kill.clone());
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.extensions_mut().insert(transport);
                req.extensions_mut().insert(conn_kill.clone());
                req.extensions_mut().insert(pending.clone());
                let router = router.clone();
                async move {
                    if redirect_to_https {
                        return Ok(https_redirect(&req));
                    }
                    // A request (its body included) is handled within the stage timeout; a
                    // stream or an upgrade answers at once and lives on after.
                    let handled = tokio::time::timeout(
                        timeout,
                        router.oneshot(req.map(axum::body::Body::new)),
                    );
                    match handled.await {
                        Ok(resp) => resp,
                        Err(_) => Ok((StatusCode::REQUEST_TIMEOUT, "Too slow.").into_response()),
                    }
                }
            });
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(self.timeout);
        let conn = builder.serve_connection_with_upgrades(io, service);
        tokio::pin!(conn);
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(err) = res {
                    tracing::debug!(%peer, %err, "HTTP connection ended with an error");
                }
            }
            _ = kill.cancelled() => tracing::debug!(%peer, "HTTP connection closed by the host"),
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
        _ = directory.run(shutdown, move || hub.publish_rooms()) => {}
        _ = sweep => {}
    }
}

/// Holds one of the `--max-connections` places, and one of its address's, while a session
/// lives.
struct ConnectionSlot {
    host: Host,
    _addr: Option<Slot>,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.host.inner.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Take one place under a host-wide `max` counted in `count`.
fn take_place(count: &AtomicUsize, max: usize) -> bool {
    count
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .is_ok()
}

/// `scheme`, host and port of an origin (`scheme://host[:port]`, nothing more), lower-cased.
fn parse_origin(origin: &str) -> Option<(String, String, Option<u16>)> {
    let (scheme, authority) = origin.split_once("://")?;
    let (host, port) = split_authority(authority)?;
    Some((scheme.to_ascii_lowercase(), host, port))
}

/// Host and port of an authority (`host[:port]`, `[v6][:port]`), lower-cased.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        match after {
            "" => (v6, None),
            p => (v6, Some(p.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

impl Host {
    fn take_slot(&self, ip: Option<IpAddr>) -> Option<ConnectionSlot> {
        let addr = match ip {
            Some(ip) => Some(self.inner.hub.budgets().open(ip, SlotKind::Session)?),
            None => None,
        };
        take_place(&self.inner.connections, self.inner.config.max_connections).then(|| {
            ConnectionSlot {
                host: self.clone(),
                _addr: addr,
            }
        })
    }

    fn take_pending(&self, ip: IpAddr) -> Option<PendingSlot> {
        let addr = self.inner.hub.budgets().open(ip, SlotKind::Pending)?;
        take_place(
            &self.inner.pending,
            self.inner.config.max_pending_connections,
        )
        .then(|| PendingSlot {
            host: self.clone(),
            _addr: addr,
        })
    }

    /// Whether `host` (a name or an address, lower-cased) is one this host really serves:
    /// loopback, the address the request reached, any of this machine's addresses, or the
    /// machine's own names (those its certificate carries). Never what the request says.
    fn serves_host(&self, host: &str, transport: Option<&Transport>) -> bool {
        let bare = host.trim_end_matches('.');
        match bare.parse::<IpAddr>() {
            Ok(ip) => {
                ip.is_loopback()
                    || transport.is_some_and(|t| t.local.ip() == ip)
                    || (!self.inner.config.bind.is_unspecified() && self.inner.config.bind == ip)
                    || crate::net::lan_addrs().contains(&ip)
            }
            // The names of `--name` and of the machine itself (what its own mDNS announces).
            Err(_) => [
                self.inner.hub.settings().host.name.clone(),
                crate::config::machine_name(),
            ]
            .iter()
            .flat_map(|n| crate::tls::default_names(n))
            .any(|n| n.eq_ignore_ascii_case(bare)),
        }
    }

    /// The port a URL of this host carries: the one it listens on.
    fn serves_port(&self, port: Option<u16>, scheme: &str) -> bool {
        let ours = self.port();
        let port = port.unwrap_or(if scheme == "https" { 443 } else { 80 });
        ours == 0 || port == ours
    }

    /// The origin policy of every session endpoint. A browser page may open a session only if
    /// its `Origin` is one this host serves itself (scheme, address or name, and port; the
    /// scheme the one the request came over), a Tauri webview, or one given with
    /// `--allow-origin`. Two `Origin` headers are refused. A request with none (native
    /// clients; a browser's same-origin GET) must name in `Host` a name or address this host
    /// serves: that is what defeats DNS rebinding, where the page's own origin is the
    /// attacker's name.
    fn origin_allowed(&self, headers: &HeaderMap, transport: Option<&Transport>) -> bool {
        let mut all = headers.get_all(header::ORIGIN).iter();
        let Some(origin) = all.next() else {
            return self.host_header_allowed(headers, transport);
        };
        if all.next().is_some() {
            return false;
        }
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if TAURI_ORIGINS.contains(&origin)
            || self.inner.config.allow_origins.iter().any(|o| o == origin)
        {
            return true;
        }
        let Some((scheme, host, port)) = parse_origin(origin) else {
            return false;
        };
        let scheme_ok = match (scheme.as_str(), transport) {
            ("http", Some(t)) => !t.tls,
            ("https", Some(t)) => t.tls,
            ("http" | "https", None) => true,
            _ => false,
        };
        scheme_ok && self.serves_port(port, &scheme) && self.serves_host(&host, transport)
    }

    fn host_header_allowed(&self, headers: &HeaderMap, transport: Option<&Transport>) -> bool {
        let mut all = headers.get_all(header::HOST).iter();
        let Some(value) = all.next() else {
            return true; // HTTP/1.0 tools
        };
        if all.next().is_some() {
            return false;
        }
        let scheme = if transport.is_some_and(|t| t.tls) {
            "https"
        } else {
            "http"
        };
        match value.to_str().ok().and_then(split_authority) {
            Some((host, port)) => {
                self.serves_port(port, scheme) && self.serves_host(&host, transport)
            }
            None => false,
        }
    }

    /// The checks every long-lived transport passes before it opens: a foreign origin gets
    /// 403, a full host (or address) 503 (the response is boxed to keep the `Result` small).
    /// [`Host::admit`] for a request that becomes a session: from then on the connection
    /// counts as a session, not as pending.
    fn admit_session(
        &self,
        headers: &HeaderMap,
        from: &RequestFrom,
    ) -> Result<ConnectionSlot, Box<Response>> {
        let slot = self.admit(headers, from.transport.as_ref(), from.peer)?;
        if let Some(Pending(pending)) = &from.pending {
            pending.lock().take();
        }
        Ok(slot)
    }

    fn admit(
        &self,
        headers: &HeaderMap,
        transport: Option<&Transport>,
        peer: Option<IpAddr>,
    ) -> Result<ConnectionSlot, Box<Response>> {
        if !self.origin_allowed(headers, transport) {
            tracing::warn!(origin = ?headers.get(header::ORIGIN), "refused a connection from a foreign origin");
            return Err(Box::new(
                (
                    StatusCode::FORBIDDEN,
                    "This origin may not use this moim host.",
                )
                    .into_response(),
            ));
        }
        self.take_slot(peer).ok_or_else(|| {
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

/// Where a request came from and over what, as the serve loop recorded it.
#[derive(Default)]
struct RequestFrom {
    transport: Option<Transport>,
    peer: Option<IpAddr>,
    kill: Option<ConnKill>,
    pending: Option<Pending>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestFrom {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let ext = &parts.extensions;
        Ok(RequestFrom {
            transport: ext.get::<Transport>().copied(),
            peer: ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()),
            kill: ext.get::<ConnKill>().cloned(),
            pending: ext.get::<Pending>().cloned(),
        })
    }
}

async fn ws_upgrade(
    State(host): State<Host>,
    from: RequestFrom,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let slot = match host.admit_session(&headers, &from) {
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
                let conn = hub.connect_from(query.resume.as_deref(), from.peer);
                let (sink, stream) = socket.split();
                signaling::run(hub, conn, sink, stream, host.inner.params.clone()).await;
            })
        })
}

/// The event-stream transport (see [`crate::sse`]): the same checks as the WebSocket.
async fn events(
    State(host): State<Host>,
    from: RequestFrom,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
) -> Response {
    let slot = match host.admit_session(&headers, &from) {
        Ok(slot) => slot,
        Err(refusal) => return *refusal,
    };
    let hub = host.inner.hub.clone();
    let conn = hub.connect_from(query.resume.as_deref(), from.peer);
    let kill = from.kill.map(|k| k.0).unwrap_or_default();
    let sse = host
        .inner
        .sessions
        .open(hub, conn, host.inner.params.clone(), kill, move || {
            drop(slot)
        });
    let mut resp = sse.into_response();
    // Tell reverse proxies not to buffer the stream.
    resp.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

async fn post_event(
    State(host): State<Host>,
    from: RequestFrom,
    headers: HeaderMap,
    Path(session): Path<String>,
    body: String,
) -> Response {
    if !host.origin_allowed(&headers, from.transport.as_ref()) {
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

/// Longest text a QR code is made for (a join link with its certificate code is about 60).
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
