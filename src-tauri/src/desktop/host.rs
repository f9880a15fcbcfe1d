//! The host inside the app: the same [`Host`] as `moim serve`, on Tauri's tokio runtime.

use std::net::{IpAddr, SocketAddr};

use parking_lot::Mutex;
use serde::Serialize;
use tauri::async_runtime::JoinHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{HostConfig, SHUTDOWN_GRACE};
use crate::error::HostError;
use crate::room::RoomDetail;
use crate::server::Host;

/// What the host panel shows: this machine's addresses, the port, the rooms and who is in them.
#[derive(Debug, Clone, Serialize)]
pub struct HostState {
    /// The host's name as others see it.
    pub name: String,
    /// moim's version.
    pub version: String,
    /// The port the host listens on (7447 unless that was taken).
    pub port: u16,
    /// The origin of the app's own page, `http://127.0.0.1:<port>`.
    pub page: String,
    /// Every address the host can be reached at: this window's page first, then the LAN
    /// (HTTPS when the host has a certificate).
    pub urls: Vec<String>,
    /// The address join links use: the first LAN address, else loopback.
    pub join_base: String,
    /// SHA-256 of the host's certificate (hex); join links carry its verification code
    /// (`#c=`, docs/protocol.md) so guests can compare it with what their join page shows.
    pub fingerprint: Option<String>,
    /// Every room (unlisted ones too) with its members.
    pub rooms: Vec<RoomDetail>,
}

/// The running host, its address and the token that stops it.
pub struct EmbeddedHost {
    host: Host,
    local: SocketAddr,
    shutdown: CancellationToken,
    served: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for EmbeddedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedHost")
            .field("local", &self.local)
            .finish()
    }
}

impl EmbeddedHost {
    /// Bind (the configured port, or a free one if it is taken) and start serving.
    pub async fn start(config: HostConfig) -> anyhow::Result<Self> {
        let listener = bind(&config).await?;
        let local = listener.local_addr()?;
        let host = Host::new(config)?;
        let shutdown = CancellationToken::new();
        let served = tauri::async_runtime::spawn({
            let host = host.clone();
            let shutdown = shutdown.clone();
            async move {
                if let Err(err) = host.serve(listener, shutdown).await {
                    tracing::error!(%err, "the host stopped with an error");
                }
            }
        });
        Ok(Self {
            host,
            local,
            shutdown,
            served: Mutex::new(Some(served)),
        })
    }

    /// The core host (its hub, its config).
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The token that stops the host.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// The port the host listens on.
    pub fn port(&self) -> u16 {
        self.local.port()
    }

    /// Where the window loads the UI: loopback when the host listens on every address, so the
    /// page is a secure context (getUserMedia needs one) without any certificate.
    pub fn page_origin(&self) -> String {
        let ip = self.local.ip();
        let ip = if ip.is_unspecified() {
            IpAddr::from([127, 0, 0, 1])
        } else {
            ip
        };
        format!("http://{}", SocketAddr::new(ip, self.local.port()))
    }

    /// The panel's view of the host, fresh.
    pub fn state(&self) -> HostState {
        let scheme = if self.host.tls().is_some() {
            "https"
        } else {
            "http"
        };
        let lan: Vec<String> = match self.local.ip() {
            ip if ip.is_loopback() => Vec::new(),
            ip if !ip.is_unspecified() => vec![format!("{scheme}://{}/", self.local)],
            _ => crate::net::lan_addrs()
                .into_iter()
                .map(|ip| format!("{scheme}://{}/", SocketAddr::new(ip, self.port())))
                .collect(),
        };
        let join_base = lan
            .first()
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| self.page_origin());
        let mut urls = vec![format!("{}/", self.page_origin())];
        urls.extend(lan);
        HostState {
            name: self.host.hub().settings().host.name.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            port: self.port(),
            page: self.page_origin(),
            urls,
            join_base,
            fingerprint: self.host.tls().map(|t| t.fingerprint.hex()),
            rooms: self.host.hub().room_details(),
        }
    }

    /// Tell every peer the host is closing and wait until the server has finished (bounded).
    pub async fn stop(&self) {
        self.shutdown.cancel();
        let served = self.served.lock().take();
        if let Some(served) = served {
            if tokio::time::timeout(SHUTDOWN_GRACE * 2, served)
                .await
                .is_err()
            {
                tracing::warn!("the host did not stop in time");
            } else {
                tracing::info!("the host stopped");
            }
        }
    }
}

/// Bind the configured address; when the port is taken (another moim, say), take a free one
/// rather than fail: the window and the panel show whichever port it is.
async fn bind(config: &HostConfig) -> Result<TcpListener, HostError> {
    let addr = SocketAddr::new(config.bind, config.port);
    match TcpListener::bind(addr).await {
        Ok(listener) => Ok(listener),
        Err(err) if err.kind() == std::io::ErrorKind::AddrInUse && config.port != 0 => {
            tracing::warn!(%addr, "port taken: using a free one");
            let any = SocketAddr::new(config.bind, 0);
            TcpListener::bind(any)
                .await
                .map_err(|source| HostError::Bind { addr: any, source })
        }
        Err(source) => Err(HostError::Bind { addr, source }),
    }
}
