//! Talking to another moim host on the LAN: fetch its room list over HTTPS, trusting only the
//! certificate whose fingerprint its mDNS announcement carries, and open a signaling socket to
//! it for a browser that joins one of its rooms through this host.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::protocol::RoomInfo;
use crate::tls::{pinned_client_config, Fingerprint};

/// How long one request to another host may take.
pub const REMOTE_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest room list accepted from another host.
pub const MAX_REMOTE_BODY: usize = 256 * 1024;

/// Why another host could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// No TCP connection.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// Where.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS handshake failed, for instance because the certificate is not the announced one.
    #[error("TLS with {addr} failed: {source}")]
    Tls {
        /// Where.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// HTTP failed.
    #[error("HTTP: {0}")]
    Http(String),
    /// The answer was not what a moim host says.
    #[error("unexpected answer: {0}")]
    Answer(String),
    /// Took too long.
    #[error("timed out")]
    Timeout,
}

/// A stream to another host: TLS pinned to its fingerprint, or plain when it announced none.
pub enum RemoteStream {
    /// HTTPS.
    Tls(Box<TlsStream<TcpStream>>),
    /// Plain HTTP (a host run with `--no-tls`).
    Plain(TcpStream),
}

/// Open a connection to `addr`, pinned to `fingerprint` when there is one.
pub async fn connect(
    addr: SocketAddr,
    fingerprint: Option<Fingerprint>,
) -> Result<RemoteStream, RemoteError> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|source| RemoteError::Connect { addr, source })?;
    let _ = tcp.set_nodelay(true);
    let Some(fp) = fingerprint else {
        return Ok(RemoteStream::Plain(tcp));
    };
    let connector = tokio_rustls::TlsConnector::from(pinned_client_config(fp));
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(|source| RemoteError::Tls { addr, source })?;
    Ok(RemoteStream::Tls(Box::new(tls)))
}

/// `GET path` on another host, returning the body (at most [`MAX_REMOTE_BODY`] bytes).
pub async fn get(
    addr: SocketAddr,
    fingerprint: Option<Fingerprint>,
    path: &str,
) -> Result<Bytes, RemoteError> {
    tokio::time::timeout(REMOTE_TIMEOUT, async {
        match connect(addr, fingerprint).await? {
            RemoteStream::Tls(s) => get_on(*s, addr, path).await,
            RemoteStream::Plain(s) => get_on(s, addr, path).await,
        }
    })
    .await
    .map_err(|_| RemoteError::Timeout)?
}

async fn get_on<S>(stream: S, addr: SocketAddr, path: &str) -> Result<Bytes, RemoteError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(io)
        .await
        .map_err(|e| RemoteError::Http(e.to_string()))?;
    let driver = tokio::spawn(conn);
    let req = hyper::Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::new())
        .map_err(|e| RemoteError::Http(e.to_string()))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| RemoteError::Http(e.to_string()))?;
    if !resp.status().is_success() {
        driver.abort();
        return Err(RemoteError::Answer(format!("HTTP {}", resp.status())));
    }
    let body = Limited::new(resp.into_body(), MAX_REMOTE_BODY)
        .collect()
        .await
        .map_err(|e| RemoteError::Answer(e.to_string()))?
        .to_bytes();
    driver.abort();
    Ok(body)
}

/// The listed rooms of another host.
pub async fn rooms(
    addr: SocketAddr,
    fingerprint: Option<Fingerprint>,
) -> Result<Vec<RoomInfo>, RemoteError> {
    #[derive(serde::Deserialize)]
    struct Rooms {
        rooms: Vec<RoomInfo>,
    }
    let body = get(addr, fingerprint, "/api/rooms").await?;
    let rooms: Rooms =
        serde_json::from_slice(&body).map_err(|e| RemoteError::Answer(e.to_string()))?;
    Ok(rooms.rooms)
}
