//! The event-stream transport: a peer on server-sent events + POST is a full member of a room
//! with peers on WebSockets, and gets the same limits.

mod common;

use common::*;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use serde_json::{json, Value};

/// A client of `/events`: reads `event:`/`data:` blocks off a real HTTP stream.
struct SseClient {
    body: Incoming,
    buf: String,
    addr: std::net::SocketAddr,
    session: String,
}

impl SseClient {
    async fn open(host: &TestHost) -> SseClient {
        let (status, body) = request(host.addr, "GET", "/events", None).await;
        assert_eq!(status, 200);
        let mut c = SseClient {
            body,
            buf: String::new(),
            addr: host.addr,
            session: String::new(),
        };
        let (event, data) = c.next_event().await;
        assert_eq!(event, "session");
        let v: Value = serde_json::from_str(&data).unwrap();
        c.session = v["session"].as_str().unwrap().to_string();
        c
    }

    /// The next event (keep-alive comments skipped): (event name, data).
    async fn next_event(&mut self) -> (String, String) {
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
                    continue; // a comment
                }
                return (event, data);
            }
            let frame = tokio::time::timeout(EVENT_TIMEOUT, self.body.frame())
                .await
                .expect("an event in time")
                .expect("stream open")
                .expect("stream ok");
            if let Ok(chunk) = frame.into_data() {
                self.buf.push_str(&String::from_utf8_lossy(&chunk));
            }
        }
    }

    async fn recv(&mut self, ty: &str) -> Value {
        loop {
            let (event, data) = self.next_event().await;
            if event == "message" {
                let v: Value = serde_json::from_str(&data).unwrap();
                if v["type"] == ty {
                    return v;
                }
            }
        }
    }

    async fn post(&self, msg: Value) -> u16 {
        let path = format!("/events/{}", self.session);
        request(self.addr, "POST", &path, Some(msg.to_string()))
            .await
            .0
    }
}

async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: Option<String>,
) -> (u16, Incoming) {
    request_from(addr, None, method, path, body).await
}

/// A request carrying an `Origin` header, as a page on that origin would send it.
async fn request_from(
    addr: std::net::SocketAddr,
    origin: Option<&str>,
    method: &str,
    path: &str,
    body: Option<String>,
) -> (u16, Incoming) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
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

#[tokio::test]
async fn an_event_stream_peer_is_a_full_member() {
    let host = start_host(test_config()).await;
    let (room, mut c) = room_with(&host, 1).await;
    let mut sse = SseClient::open(&host).await;
    let welcome = sse.recv("welcome").await;
    let sse_id = welcome["peer_id"].as_str().unwrap().to_string();
    assert_eq!(
        sse.post(json!({"type": "join", "room": room, "name": "Safari"}))
            .await,
        204
    );
    let joined = sse.recv("existing-peers").await;
    assert_eq!(joined["peers"][0]["id"], c[0].peer_id.as_str());
    assert_eq!(
        c[0].expect("peer-joined").await["peer"]["id"],
        sse_id.as_str()
    );

    let a_id = c[0].peer_id.clone();
    c[0].signal(&sse_id, "offer").await;
    let got = sse.recv("signal").await;
    assert_eq!(
        (got["from"].as_str(), got["data"].as_str()),
        (Some(a_id.as_str()), Some("offer"))
    );
    assert_eq!(
        sse.post(json!({"type": "signal", "to": a_id, "data": "answer"}))
            .await,
        204
    );
    assert_eq!(c[0].expect("signal").await["data"], "answer");

    // Errors arrive on the stream, in order.
    assert_eq!(sse.post(json!({"type": "nonsense"})).await, 204);
    assert_eq!(sse.recv("error").await["code"], "unknown-type");

    // Closing the stream is leaving.
    drop(sse);
    let left = c[0].expect("peer-left").await;
    assert_eq!(left["peer_id"], sse_id.as_str());
    host.stop().await;
}

#[tokio::test]
async fn unknown_sessions_and_floods_are_refused() {
    let config = moim::HostConfig {
        msg_rate: 5,
        msg_burst: 5,
        ..test_config()
    };
    let host = start_host(config).await;
    let mut sse = SseClient::open(&host).await;
    sse.recv("welcome").await;
    let (status, _) = request(host.addr, "POST", "/events/0123", Some("{}".into())).await;
    assert_eq!(status, 404);
    let mut statuses = Vec::new();
    for i in 0..8 {
        statuses.push(sse.post(json!({"type": "ping", "nonce": i})).await);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(sse.recv("error").await["code"], "rate-limited");
    loop {
        let (event, data) = sse.next_event().await;
        if event == "close" {
            assert_eq!(serde_json::from_str::<Value>(&data).unwrap()["code"], 1008);
            break;
        }
    }
    host.stop().await;
}

#[tokio::test]
async fn event_streams_pass_the_same_origin_and_capacity_checks() {
    let config = moim::HostConfig {
        max_connections: 1,
        ..test_config()
    };
    let host = start_host(config).await;
    let evil = Some("http://evil.example");
    let (status, _) = request_from(host.addr, evil, "GET", "/events", None).await;
    assert_eq!(status, 403);
    let mut sse = SseClient::open(&host).await;
    sse.recv("welcome").await;
    let ping = Some(json!({"type": "ping", "nonce": 1}).to_string());
    let path = format!("/events/{}", sse.session);
    let (status, _) = request_from(host.addr, evil, "POST", &path, ping).await;
    assert_eq!(status, 403, "a foreign page may not post into a session");
    // The one connection slot is taken by the open stream.
    let own = format!("http://{}", host.addr);
    let (status, _) = request_from(host.addr, Some(&own), "GET", "/events", None).await;
    assert_eq!(status, 503);
    drop(sse);
    host.stop().await;
}
