//! One JSON WebSocket client for every suite, over any stream: plain TCP, TLS, or TLS pinned to
//! a host's fingerprint. Text frames are JSON; receiving skips pings and pongs, and
//! [`recv_until`] skips messages until the awaited type.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// How long a message may take to arrive before the test fails (a guard against hanging).
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

pub async fn send<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>, msg: Value) {
    send_text(ws, msg.to_string()).await;
}

pub async fn send_text<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
    text: String,
) {
    ws.send(Message::text(text)).await.expect("send");
}

/// The next text frame as JSON (pings and pongs are answered by tungstenite and skipped).
pub async fn recv<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>) -> Value {
    loop {
        let msg = tokio::time::timeout(EVENT_TIMEOUT, ws.next())
            .await
            .expect("timed out waiting for a message")
            .expect("socket closed")
            .expect("socket error");
        match msg {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Read until a message of type `ty` arrives; return it.
pub async fn recv_until<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
    ty: &str,
) -> Value {
    loop {
        let msg = recv(ws).await;
        if msg["type"] == ty {
            return msg;
        }
    }
}

/// Wait for the server to close the socket; return its close frame.
pub async fn expect_close<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
) -> Option<CloseFrame> {
    loop {
        let next = tokio::time::timeout(EVENT_TIMEOUT, ws.next())
            .await
            .expect("timed out waiting for close");
        match next {
            Some(Ok(Message::Close(frame))) => return frame,
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                eprintln!("socket ended with {e}");
                return None;
            }
            None => return None,
        }
    }
}
