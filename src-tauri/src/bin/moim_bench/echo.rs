//! The floor: the least a WebSocket server on this machine can do with a frame. It reads each
//! text frame and writes it straight back on the same socket, with the same tungstenite
//! buffers the host uses, and nothing else: no JSON, no rooms, no second task.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::process::LOOPBACK;

/// Serve the echo on 127.0.0.1:`port` until killed.
pub fn serve(port: u16) -> anyhow::Result<()> {
    crate::raise_nofile();
    tokio::runtime::Runtime::new()?.block_on(async move {
        let listener = TcpListener::bind((LOOPBACK, port)).await?;
        // The host's socket settings, so the floor differs from it only in what it does.
        let config = WebSocketConfig::default()
            .read_buffer_size(moim::config::WS_READ_BUFFER_BYTES)
            .write_buffer_size(moim::config::WS_WRITE_BUFFER_BYTES)
            .max_message_size(Some(moim::config::MAX_FRAME_BYTES));
        loop {
            let (tcp, _) = listener.accept().await?;
            // As the host does: small frames go out at once, not after the peer's delayed ACK.
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let Ok(mut ws) =
                    tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await
                else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_close() || (msg.is_text() && ws.send(msg).await.is_err()) {
                        break;
                    }
                }
            });
        }
    })
}
