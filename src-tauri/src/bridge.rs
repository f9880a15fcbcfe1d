//! Joining a room on another host through this one. A browser (or the app's window) talks only
//! to its own host, which opens the signaling socket to the other host over HTTPS pinned to the
//! fingerprint that host announced, and passes frames both ways unchanged. So the page never
//! meets another origin: no mixed content, no certificate warning, and the app's webview (which
//! cannot click through a warning) can join anywhere. Media still flows peer to peer.

use std::net::SocketAddr;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as TMessage;

use crate::protocol::{ErrorBody, ErrorCode, ServerMessage};
use crate::remote::{self, RemoteSocket};
use crate::tls::Fingerprint;

/// Close code when the other host cannot be reached (1014: bad gateway).
pub const CLOSE_BAD_GATEWAY: u16 = 1014;

/// Relay `client` to the host at one of `addrs` until either side closes.
pub async fn run(
    mut client: WebSocket,
    addrs: Vec<SocketAddr>,
    fingerprint: Option<Fingerprint>,
    resume: Option<String>,
) {
    let Some(upstream) = open_first(&addrs, fingerprint, resume.as_deref()).await else {
        let body = ErrorBody::new(
            ErrorCode::HostUnreachable,
            "That meeting's host cannot be reached from here right now.",
        );
        let _ = client
            .send(Message::Text(ServerMessage::Error(body).to_json().into()))
            .await;
        let _ = client
            .send(Message::Close(Some(CloseFrame {
                code: CLOSE_BAD_GATEWAY,
                reason: "host unreachable".into(),
            })))
            .await;
        return;
    };
    pipe(client, upstream).await;
}

/// The first address of the other host that answers.
async fn open_first(
    addrs: &[SocketAddr],
    fingerprint: Option<Fingerprint>,
    resume: Option<&str>,
) -> Option<RemoteSocket> {
    // Tokens are `<uuid>.<base64url>`: nothing to escape; anything else is not passed on.
    let query = resume
        .filter(|t| {
            t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
        .map(|t| format!("resume={t}"));
    for addr in addrs {
        match remote::open_socket(*addr, fingerprint, query.as_deref()).await {
            Ok(ws) => return Some(ws),
            Err(err) => tracing::info!(%addr, %err, "cannot reach the other host"),
        }
    }
    None
}

async fn pipe(client: WebSocket, upstream: RemoteSocket) {
    let (mut client_tx, mut client_rx) = client.split();
    let (mut up_tx, mut up_rx) = upstream.split();
    let to_upstream = async {
        while let Some(Ok(msg)) = client_rx.next().await {
            let out = match msg {
                Message::Text(t) => TMessage::text(t.as_str()),
                Message::Binary(b) => TMessage::binary(b),
                Message::Close(_) => break,
                // Each side answers its own pings.
                Message::Ping(_) | Message::Pong(_) => continue,
            };
            if up_tx.send(out).await.is_err() {
                break;
            }
        }
        let _ = up_tx.close().await;
    };
    let to_client = async {
        while let Some(Ok(msg)) = up_rx.next().await {
            let out = match msg {
                TMessage::Text(t) => Message::Text(t.as_str().into()),
                TMessage::Binary(b) => Message::Binary(b),
                TMessage::Close(frame) => {
                    let frame = frame.map(|f| CloseFrame {
                        code: f.code.into(),
                        reason: f.reason.as_str().into(),
                    });
                    let _ = client_tx.send(Message::Close(frame)).await;
                    break;
                }
                TMessage::Ping(_) | TMessage::Pong(_) | TMessage::Frame(_) => continue,
            };
            if client_tx.send(out).await.is_err() {
                break;
            }
        }
        let _ = client_tx.close().await;
    };
    tokio::select! {
        _ = to_upstream => {}
        _ = to_client => {}
    }
}
