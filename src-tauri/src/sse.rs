//! Signaling without WebSocket, over plain HTTPS: server-sent events down, `POST` up. Safari
//! (iOS and macOS) refuses a WebSocket to a host whose self-signed certificate the person
//! accepted for the page; an EventSource and `fetch` on the same origin go through. The client
//! picks this transport by itself when the WebSocket will not open.
//!
//! ```text
//! GET  /events?resume=<token>   text/event-stream: first `event: session` with
//!                               {"session": "<id>"}, then one `data:` per server message,
//!                               `event: close` with {"code", "reason"} before the host ends it
//! POST /events/<session>        one client message as the body; 204, or 404 (no such session),
//!                               413 (over 64 KiB), 429 (flood: the session is closed)
//! ```
//!
//! A session is the same hub peer as a socket: same messages, limits, resume tokens, and the
//! same liveness and back-pressure rules. Its queue is bounded in bytes like a socket's; a
//! reader that stops reading is dropped at that budget. The client's sign of life is its own
//! `ping` every 5 s: a session from which no POST arrived for twice the WebSocket's silence
//! limit is dropped (`peer-left` reason `timeout`), and its HTTP connection with it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use parking_lot::Mutex;
use rand::RngCore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::protocol::{LeaveReason, PeerId};
use crate::room::{Connection, Hub, Mailbox, Outbox, Outgoing};
use crate::signaling::{dispatch, flooded, Bucket, SocketParams};

/// Comment lines sent this often keep proxies from closing the stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);

struct Session {
    peer_id: PeerId,
    generation: u64,
    outbox: Outbox,
    bucket: Mutex<Bucket>,
    last_post: Mutex<Instant>,
}

/// The open event-stream sessions of one host.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Arc<Session>>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("open", &self.map.lock().len())
            .finish()
    }
}

/// What `POST /events/<session>` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostOutcome {
    /// Handled (any protocol error went to the event stream).
    Accepted,
    /// No such session.
    Unknown,
    /// Flooding: the session is being closed.
    Flooded,
}

/// The next event of a session's stream: the session id first, then what the host sends,
/// until a close (sent as a `close` event) or the end.
async fn next_event(mut st: StreamState) -> Option<(Result<Event, Infallible>, StreamState)> {
    if st.done {
        return None;
    }
    if let Some(first) = st.first.take() {
        return Some((Ok(first), st));
    }
    let next = tokio::select! {
        biased;
        out = st.inbox.recv() => out,
        _ = st.kill.cancelled() => None,
    };
    let event = match next {
        Some(Outgoing::Text(text)) => Event::default().data(text.as_str()),
        Some(Outgoing::Close(code, reason)) => {
            st.done = true;
            Event::default()
                .event("close")
                .data(format!(r#"{{"code":{code},"reason":"{reason}"}}"#))
        }
        Some(Outgoing::Watch(_) | Outgoing::Unwatch(_)) | None => return None,
    };
    Some((Ok(event), st))
}

impl Sessions {
    /// Open a session for `conn` and return the event stream that carries it. `on_end` runs
    /// when the stream is dropped; `connection` is cancelled when the host ends the session
    /// itself (a reader over its budget, a silent client), to close the HTTP connection even
    /// while its writes are stuck.
    pub fn open(
        self: &Arc<Self>,
        hub: Arc<Hub>,
        conn: Connection,
        params: SocketParams,
        connection: CancellationToken,
        on_end: impl FnOnce() + Send + 'static,
    ) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        let mut raw = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut raw);
        let id: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let Connection {
            peer_id,
            generation,
            outbox,
            inbox,
            kill,
        } = conn;
        let session = Arc::new(Session {
            peer_id,
            generation,
            outbox,
            bucket: Mutex::new(params.bucket()),
            last_post: Mutex::new(Instant::now()),
        });
        self.map.lock().insert(id.clone(), session.clone());
        tracing::debug!(peer = %peer_id, "event-stream session opened");
        let ended = CancellationToken::new();
        tokio::spawn(reap(
            self.clone(),
            id.clone(),
            hub.clone(),
            session,
            params.idle_timeout * 2,
            kill.clone(),
            ended.clone(),
            connection,
        ));
        let guard = EndGuard {
            sessions: self.clone(),
            id: id.clone(),
            hub,
            ended,
            on_end: Some(Box::new(on_end)),
        };
        let first = Event::default()
            .event("session")
            .data(format!(r#"{{"session":"{id}"}}"#));
        let state = StreamState {
            first: Some(first),
            inbox,
            kill,
            done: false,
            _guard: guard,
        };
        let stream = futures_util::stream::unfold(state, next_event);
        Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
    }

    /// Handle one posted message for `session`.
    pub fn post(&self, hub: &Hub, session: &str, body: &str) -> PostOutcome {
        let Some(s) = self.map.lock().get(session).cloned() else {
            return PostOutcome::Unknown;
        };
        *s.last_post.lock() = Instant::now();
        if !s.bucket.lock().take() {
            flooded(&s.outbox);
            return PostOutcome::Flooded;
        }
        dispatch(hub, s.peer_id, body, &s.outbox);
        PostOutcome::Accepted
    }

    /// End a session once: take it out of the map and its peer out of the hub.
    fn end(&self, id: &str, hub: &Hub, reason: LeaveReason) {
        let Some(s) = self.map.lock().remove(id) else {
            return;
        };
        hub.disconnect(s.peer_id, s.generation, reason);
        tracing::debug!(peer = %s.peer_id, ?reason, "event-stream session ended");
    }
}

/// End a session the host gives up on: killed (over its byte budget, replaced) or silent.
#[allow(clippy::too_many_arguments)]
async fn reap(
    sessions: Arc<Sessions>,
    id: String,
    hub: Arc<Hub>,
    session: Arc<Session>,
    idle: Duration,
    kill: CancellationToken,
    ended: CancellationToken,
    connection: CancellationToken,
) {
    let reason = loop {
        let deadline = *session.last_post.lock() + idle;
        tokio::select! {
            _ = ended.cancelled() => return,
            _ = kill.cancelled() => break LeaveReason::Closed,
            _ = tokio::time::sleep_until(deadline) => {
                if session.last_post.lock().elapsed() >= idle {
                    tracing::info!(peer = %session.peer_id, "no POST: dropping a silent event-stream client");
                    break LeaveReason::Timeout;
                }
            }
        }
    };
    sessions.end(&id, &hub, reason);
    kill.cancel();
    // Let the stream write its last events, then close the connection under it.
    tokio::select! {
        _ = ended.cancelled() => {}
        _ = tokio::time::sleep(Duration::from_secs(1)) => connection.cancel(),
    }
}

struct StreamState {
    first: Option<Event>,
    inbox: Mailbox,
    kill: CancellationToken,
    done: bool,
    _guard: EndGuard,
}

/// Ends the session when its event stream is dropped, however that happens.
struct EndGuard {
    sessions: Arc<Sessions>,
    id: String,
    hub: Arc<Hub>,
    ended: CancellationToken,
    on_end: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        self.ended.cancel();
        self.sessions.end(&self.id, &self.hub, LeaveReason::Closed);
        if let Some(f) = self.on_end.take() {
            f();
        }
    }
}
