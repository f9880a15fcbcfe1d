//! Talking to another moim host on the LAN over HTTPS, trusting only the certificate whose
//! fingerprint its mDNS announcement carries: one-shot requests ([`get`]) and the one way to
//! open a signaling socket to it ([`open_socket`]), used both by the directory's room watch
//! and by the bridge that joins a browser to one of its rooms through this host.

use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::WebSocketStream;

use crate::config::MAX_FRAME_BYTES;

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
    /// The WebSocket handshake or the socket failed.
    #[error("WebSocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
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

impl AsyncRead for RemoteStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for RemoteStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// A signaling socket to another host.
pub type RemoteSocket = WebSocketStream<RemoteStream>;

/// Open the signaling socket `/ws?<query>` of the host at `addr` (pinned to `fingerprint`
/// when it has one), within [`REMOTE_TIMEOUT`]. Frames are held to this host's own limits.
pub async fn open_socket(
    addr: SocketAddr,
    fingerprint: Option<Fingerprint>,
    query: Option<&str>,
) -> Result<RemoteSocket, RemoteError> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let scheme = if fingerprint.is_some() { "wss" } else { "ws" };
    let url = match query {
        Some(q) => format!("{scheme}://{addr}/ws?{q}"),
        None => format!("{scheme}://{addr}/ws"),
    };
    tokio::time::timeout(REMOTE_TIMEOUT, async {
        let stream = connect(addr, fingerprint).await?;
        let (ws, _) =
            tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
        Ok(ws)
    })
    .await
    .map_err(|_| RemoteError::Timeout)?
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
        get_on(connect(addr, fingerprint).await?, addr, path).await
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
