//! A test-only man in the middle: a TCP listener on the namespace's loopback that passes every
//! HTTP request through to the host untouched and relays the signaling WebSocket (`/ws`)
//! message by message, rewriting one hex byte of the `a=fingerprint` of every SDP it hands
//! the browser in a `signal`. A page opened through it (`Relay::url`) loads the real UI and
//! talks to the real host; only what a tampering host would change is changed. Nothing like
//! it exists in the host.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// The relay, listening until dropped.
pub struct Relay {
    pub port: u16,
    /// How many SDPs it altered so far.
    pub rewritten: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Listen on a free loopback port, in front of the host on `host_port`.
    pub async fn start(host_port: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the relay");
        let port = listener.local_addr().unwrap().port();
        let rewritten = Arc::new(AtomicUsize::new(0));
        let count = rewritten.clone();
        let task = tokio::spawn(async move {
            while let Ok((browser, _)) = listener.accept().await {
                let count = count.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(browser, host_port, count).await {
                        super::step(&format!("relay: a connection ended: {e}"));
                    }
                });
            }
        });
        Relay {
            port,
            rewritten,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn rewritten(&self) -> usize {
        self.rewritten.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One connection from the browser: a WebSocket upgrade is relayed frame by frame, anything
/// else piped through as bytes.
async fn serve(browser: TcpStream, host_port: u16, count: Arc<AtomicUsize>) -> Result<(), String> {
    if !is_upgrade(&browser).await? {
        let mut host = TcpStream::connect(("127.0.0.1", host_port))
            .await
            .map_err(|e| e.to_string())?;
        let mut browser = browser;
        tokio::io::copy_bidirectional(&mut browser, &mut host)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    let to_browser = tokio_tungstenite::accept_async(browser)
        .await
        .map_err(|e| format!("accept the browser's socket: {e}"))?;
    let (to_host, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{host_port}/ws"))
        .await
        .map_err(|e| format!("connect to the host: {e}"))?;
    let (mut b_tx, mut b_rx) = to_browser.split();
    let (mut h_tx, mut h_rx) = to_host.split();
    let up = async {
        while let Some(Ok(msg)) = b_rx.next().await {
            if h_tx.send(msg).await.is_err() {
                break;
            }
        }
        let _ = h_tx.close().await;
    };
    let down = async {
        while let Some(Ok(msg)) = h_rx.next().await {
            let msg = match msg {
                Message::Text(t) => match tamper(t.as_str()) {
                    Some(altered) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        Message::text(altered)
                    }
                    None => Message::Text(t),
                },
                other => other,
            };
            if b_tx.send(msg).await.is_err() {
                break;
            }
        }
        let _ = b_tx.close().await;
    };
    tokio::join!(up, down);
    Ok(())
}

/// Whether the request waiting on `stream` (read without taking it) asks for a WebSocket.
async fn is_upgrade(stream: &TcpStream) -> Result<bool, String> {
    let mut buf = vec![0u8; 8192];
    loop {
        let n = stream.peek(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(false);
        }
        let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
        if head.contains("\r\n\r\n") || n == buf.len() {
            return Ok(head.contains("upgrade: websocket"));
        }
        // the rest of the head is on its way
        stream.readable().await.map_err(|e| e.to_string())?;
        tokio::task::yield_now().await;
    }
}

/// A `signal` carrying a description, with its fingerprint altered; `None` for anything else.
pub fn tamper(text: &str) -> Option<String> {
    let mut msg: Value = serde_json::from_str(text).ok()?;
    if msg["type"] != "signal" {
        return None;
    }
    // `data` is the pair's own JSON, carried as a string the host does not read
    let mut data: Value = serde_json::from_str(msg["data"].as_str()?).ok()?;
    let sdp = data["description"]["sdp"].as_str()?;
    let altered = alter_fingerprint(sdp)?;
    data["description"]["sdp"] = Value::String(altered);
    msg["data"] = Value::String(data.to_string());
    Some(msg.to_string())
}

/// `sdp` with the first hex byte of each `a=fingerprint` changed (`00` ↔ `FF`, else flipped).
pub fn alter_fingerprint(sdp: &str) -> Option<String> {
    let mut changed = false;
    let lines: Vec<String> = sdp
        .split("\r\n")
        .map(|line| {
            let Some(rest) = line.strip_prefix("a=fingerprint:") else {
                return line.to_string();
            };
            let Some((hash, hex)) = rest.split_once(' ') else {
                return line.to_string();
            };
            let Some(first) = hex.get(..2).and_then(|b| u8::from_str_radix(b, 16).ok()) else {
                return line.to_string();
            };
            changed = true;
            format!("a=fingerprint:{hash} {:02X}{}", first ^ 0xFF, &hex[2..])
        })
        .collect();
    changed.then(|| lines.join("\r\n"))
}
