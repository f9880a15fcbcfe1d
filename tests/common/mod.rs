//! Helpers for the integration tests: a real host on a loopback port and real WebSocket
//! clients, with small named steps so each test reads as a scenario.
#![allow(dead_code)]

use std::net::SocketAddr;

use moim::{Host, HostConfig};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

#[path = "../harness/mod.rs"]
pub mod harness;
mod sse;

#[allow(unused_imports)]
pub use sse::{http, http_from, SseClient};

use harness::ws;
/// How long any single expected event may take before the test fails (a guard against
/// hanging, not a speed assertion).
#[allow(unused_imports)]
pub use harness::ws::EVENT_TIMEOUT;

/// A host running on a loopback port.
pub struct TestHost {
    pub addr: SocketAddr,
    pub host: Host,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl TestHost {
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.expect("host task").expect("host serve");
    }
}

/// Start a host with `config` on 127.0.0.1 and any free port.
pub async fn start_host(config: HostConfig) -> TestHost {
    start_host_on(config, "127.0.0.1:0".parse().unwrap()).await
}

/// Start a host on a given address (to restart one on the same port).
pub async fn start_host_on(config: HostConfig, addr: SocketAddr) -> TestHost {
    let listener = TcpListener::bind(addr).await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let host = Host::new(config).expect("host");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(host.clone().serve(listener, shutdown.clone()));
    TestHost {
        addr,
        host,
        shutdown,
        task,
    }
}

/// A config for tests: loopback, no mDNS, generous flood limits unless a test lowers them.
pub fn test_config() -> HostConfig {
    HostConfig {
        msg_rate: 10_000,
        msg_burst: 10_000,
        ..HostConfig::loopback()
    }
}

/// [`test_config`] for rooms that stay a mesh however many join (by default a room moves to
/// the SFU at five).
pub fn mesh_config() -> HostConfig {
    HostConfig {
        sfu_threshold: 0,
        ..test_config()
    }
}

/// [`test_config`] with a data directory of its own (for what a host keeps across a
/// restart); the directory is the caller's to remove.
pub fn persistent_config() -> (HostConfig, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("moim-test-{}", uuid::Uuid::new_v4()));
    let config = HostConfig {
        data_dir: Some(dir.clone()),
        ..test_config()
    };
    (config, dir)
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One signaling client.
pub struct Client {
    pub ws: Ws,
    pub peer_id: String,
    pub welcome: Value,
}

impl Client {
    /// Connect and read `welcome`.
    pub async fn connect(host: &TestHost) -> Client {
        Self::connect_url(&host.ws_url()).await
    }

    pub async fn connect_url(url: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connect");
        let mut client = Client {
            ws,
            peer_id: String::new(),
            welcome: Value::Null,
        };
        let welcome = client.recv().await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        client.peer_id = welcome["peer_id"].as_str().unwrap().to_string();
        client.welcome = welcome;
        client
    }

    pub async fn send(&mut self, msg: Value) {
        ws::send(&mut self.ws, msg).await;
    }

    pub async fn send_text(&mut self, text: String) {
        ws::send_text(&mut self.ws, text).await;
    }

    /// The next JSON message.
    pub async fn recv(&mut self) -> Value {
        ws::recv(&mut self.ws).await
    }

    /// Read until a message of type `ty` arrives; return it.
    pub async fn recv_until(&mut self, ty: &str) -> Value {
        ws::recv_until(&mut self.ws, ty).await
    }

    /// The next message, which must be of type `ty`.
    pub async fn expect(&mut self, ty: &str) -> Value {
        let msg = self.recv().await;
        assert_eq!(msg["type"], ty, "expected {ty}, got {msg}");
        msg
    }

    /// The next message must be an error with `code`.
    pub async fn expect_error(&mut self, code: &str) -> Value {
        let msg = self.expect("error").await;
        assert_eq!(msg["code"], code, "{msg}");
        assert!(msg["message"].as_str().is_some_and(|m| !m.is_empty()));
        msg
    }

    /// A round trip proving the socket is open and that nothing else was queued before it.
    pub async fn assert_quiet(&mut self) {
        let nonce = rand_nonce();
        self.send(json!({"type": "ping", "nonce": nonce})).await;
        let msg = self.recv().await;
        assert_eq!(
            msg,
            json!({"type": "pong", "nonce": nonce}),
            "something arrived first"
        );
    }

    pub async fn create_room(&mut self, name: &str) -> String {
        self.send(json!({"type": "create-room", "name": name}))
            .await;
        let created = self.expect("room-created").await;
        created["room"]["id"].as_str().unwrap().to_string()
    }

    /// Join and return `existing-peers`.
    pub async fn join(&mut self, room: &str, name: &str) -> Value {
        self.send(json!({"type": "join", "room": room, "name": name}))
            .await;
        self.expect("existing-peers").await
    }

    pub async fn signal(&mut self, to: &str, data: &str) {
        self.send(json!({"type": "signal", "to": to, "data": data}))
            .await;
    }

    /// Wait for the server to close the socket; return its close frame.
    pub async fn expect_close(&mut self) -> Option<CloseFrame> {
        ws::expect_close(&mut self.ws).await
    }
}

pub fn rand_nonce() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A room with `n` joined clients; `clients[0]` created it.
pub async fn room_with(host: &TestHost, n: usize) -> (String, Vec<Client>) {
    let mut clients = Vec::new();
    let mut first = Client::connect(host).await;
    let room = first.create_room("test room").await;
    first.join(&room, "peer0").await;
    clients.push(first);
    for i in 1..n {
        let mut c = Client::connect(host).await;
        c.join(&room, &format!("peer{i}")).await;
        for other in clients.iter_mut() {
            let joined = other.recv_until("peer-joined").await;
            assert_eq!(joined["peer"]["id"], c.peer_id.as_str());
        }
        clients.push(c);
    }
    (room, clients)
}
