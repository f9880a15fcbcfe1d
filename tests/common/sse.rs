//! The event-stream transport from the client's side: `GET /events` read as server-sent
//! events, `POST /events/<session>` for what the client says, over real HTTP connections.

use std::net::SocketAddr;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use serde_json::Value;
use tokio::net::TcpStream;

use super::{TestHost, EVENT_TIMEOUT};

/// A client of `/events`: reads `event:`/`data:` blocks off a real HTTP stream, posts with
/// `POST /events/<session>`.
pub struct SseClient {
    body: Incoming,
    buf: String,
    addr: SocketAddr,
    pub session: String,
}

/// One HTTP/1.1 request on a fresh connection: the status and the body as it streams.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<String>,
) -> (u16, Incoming) {
    http_from(addr, None, method, path, body).await
}

/// A request carrying an `Origin` header, as a page on that origin would send it.
pub async fn http_from(
    addr: SocketAddr,
    origin: Option<&str>,
    method: &str,
    path: &str,
    body: Option<String>,
) -> (u16, Incoming) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let io = hyper_util::rt::TokioIo::new(tcp);
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<
        _,
        http_body_util::Either<Full<Bytes>, Empty<Bytes>>,
    >(io)
    .await
    .unwrap();
    tokio::spawn(conn);
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    if let Some(origin) = origin {
        req = req.header("origin", origin);
    }
    let req = req
        .body(match body {
            Some(b) => http_body_util::Either::Left(Full::new(Bytes::from(b))),
            None => http_body_util::Either::Right(Empty::new()),
        })
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    (resp.status().as_u16(), resp.into_body())
}

impl SseClient {
    pub async fn open(host: &TestHost) -> SseClient {
        let (status, body) = http(host.addr, "GET", "/events", None).await;
        assert_eq!(status, 200);
        let mut c = SseClient {
            body,
            buf: String::new(),
            addr: host.addr,
            session: String::new(),
        };
        let (event, data) = c.next_event().await.expect("session event");
        assert_eq!(event, "session");
        c.session = serde_json::from_str::<Value>(&data).unwrap()["session"]
            .as_str()
            .unwrap()
            .to_string();
        c
    }

    /// The next event, or None when the stream ended.
    pub async fn next_event(&mut self) -> Option<(String, String)> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut event, mut data) = (String::from("message"), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if data.is_empty() && event == "message" {
                    continue;
                }
                return Some((event, data));
            }
            let frame = tokio::time::timeout(EVENT_TIMEOUT, self.body.frame())
                .await
                .expect("an event in time")?;
            if let Ok(chunk) = frame.ok()?.into_data() {
                self.buf.push_str(&String::from_utf8_lossy(&chunk));
            }
        }
    }

    pub async fn recv(&mut self, ty: &str) -> Value {
        loop {
            let (event, data) = self.next_event().await.expect("stream open");
            if event == "message" {
                let v: Value = serde_json::from_str(&data).unwrap();
                if v["type"] == ty {
                    return v;
                }
            }
        }
    }

    pub async fn post(&self, msg: Value) -> u16 {
        let path = format!("/events/{}", self.session);
        http(self.addr, "POST", &path, Some(msg.to_string()))
            .await
            .0
    }
}
