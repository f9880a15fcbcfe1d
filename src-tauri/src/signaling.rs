//! The life of one signaling socket: a reader that decodes, rate-limits and hands messages to
//! the [`Hub`], and a writer that drains the socket's outbox and sends pings. The loop is
//! generic over any `Sink`/`Stream` of WebSocket messages, so it is tested with plain channels
//! as well as real sockets. Whichever half ends first ends the other.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::{HostConfig, WRITE_BATCH_FRAMES};
use crate::protocol::{decode, ErrorBody, ErrorCode, LeaveReason, ServerMessage};
use crate::room::{text, Connection, Hub, Outgoing};

/// Close code for a frame over the size limit.
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code for a policy violation (the flood limit).
pub const CLOSE_POLICY: u16 = 1008;

/// Per-socket timing and flood limits.
#[derive(Debug, Clone, Copy)]
pub struct SocketParams {
    /// Time between pings.
    pub ping_interval: Duration,
    /// Silence after which the peer is dropped.
    pub idle_timeout: Duration,
    /// Sustained messages per second.
    pub msg_rate: u32,
    /// Burst size.
    pub msg_burst: u32,
}

impl SocketParams {
    /// The parameters a host configuration asks for.
    pub fn from_config(config: &HostConfig) -> Self {
        Self {
            ping_interval: config.ping_interval(),
            idle_timeout: config.idle_timeout(),
            msg_rate: config.msg_rate.max(1),
            msg_burst: config.msg_burst.max(1),
        }
    }
}

/// Whether a read error means the peer sent a frame over the size limit.
pub trait ReadError: std::fmt::Display {
    /// True for "message too long".
    fn is_too_big(&self) -> bool;
}

impl ReadError for axum::Error {
    fn is_too_big(&self) -> bool {
        use tokio_tungstenite::tungstenite::error::{CapacityError, Error};
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(err) = source {
            if let Some(Error::Capacity(CapacityError::MessageTooLong { .. })) =
                err.downcast_ref::<Error>()
            {
                return true;
            }
            source = err.source();
        }
        false
    }
}

/// A token bucket: `burst` at once, refilled at `rate` per second.
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl Bucket {
    pub(crate) fn new(rate: u32, burst: u32) -> Self {
        Self {
            tokens: f64::from(burst),
            rate: f64::from(rate),
            burst: f64::from(burst),
            last: Instant::now(),
        }
    }

    pub(crate) fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Run one socket until it closes, then take its peer out of the hub.
pub async fn run<W, R, E>(hub: Arc<Hub>, conn: Connection, sink: W, stream: R, params: SocketParams)
where
    W: Sink<Message> + Unpin + Send + 'static,
    R: Stream<Item = Result<Message, E>> + Unpin,
    E: ReadError,
{
    let Connection {
        peer_id,
        generation,
        outbox,
        inbox,
        kill,
    } = conn;
    let span = tracing::info_span!("peer", peer = %peer_id);
    let writer = tokio::spawn(
        write_loop(sink, inbox, params.ping_interval, kill.clone()).instrument(span.clone()),
    );
    let mut stream = stream;
    let (reason, linger) = read_loop(&hub, peer_id, &outbox, &mut stream, params, &kill)
        .instrument(span.clone())
        .await;
    span.in_scope(|| tracing::debug!(?reason, "socket ended"));
    hub.disconnect(peer_id, generation, reason);
    drop(outbox);
    // The writer ends once every outbox handle is gone and the queue (a close frame, say) is
    // flushed; a peer that stopped reading cannot hold it longer than this.
    let abort = writer.abort_handle();
    if tokio::time::timeout(LINGER, writer).await.is_err() {
        abort.abort();
    }
    // Dropping a socket with unread input makes the kernel send a reset, which can destroy the
    // close frame we just sent before the peer reads it. So after closing on the peer, wait for
    // its side of the close handshake: reading and discarding when frames can still be parsed,
    // else just holding the socket open.
    let _ = tokio::time::timeout(LINGER, async {
        match linger {
            Linger::No => {}
            Linger::Drain => {
                while let Some(Ok(msg)) = stream.next().await {
                    if matches!(msg, Message::Close(_)) {
                        break;
                    }
                }
            }
            Linger::Hold => std::future::pending::<()>().await,
        }
    })
    .await;
}

/// How long a closing socket may take to flush and hear the peer's goodbye.
const LINGER: Duration = Duration::from_secs(1);

/// What to do with a socket's input after the host closed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Linger {
    /// Nothing: the peer closed, or went silent.
    No,
    /// Read and discard until the peer's close frame.
    Drain,
    /// The input cannot be parsed any more (an oversized frame): hold it unread for a moment.
    Hold,
}

async fn read_loop<R, E>(
    hub: &Hub,
    peer_id: crate::protocol::PeerId,
    outbox: &tokio::sync::mpsc::Sender<Outgoing>,
    stream: &mut R,
    params: SocketParams,
    kill: &CancellationToken,
) -> (LeaveReason, Linger)
where
    R: Stream<Item = Result<Message, E>> + Unpin,
    E: ReadError,
{
    let mut bucket = Bucket::new(params.msg_rate, params.msg_burst);
    let reply = |body: ErrorBody| {
        let _ = outbox.try_send(Outgoing::Text(text(&ServerMessage::Error(body))));
    };
    // One cancellation future and one idle timer for the socket's life, not a new one per
    // message: the timer is moved only when it fires early (a message arrived since).
    let cancelled = kill.cancelled();
    tokio::pin!(cancelled);
    let idle = tokio::time::sleep(params.idle_timeout);
    tokio::pin!(idle);
    let mut last_read = Instant::now();
    loop {
        let next = tokio::select! {
            // The writer is gone (it sent a close frame, or the socket failed): hear the goodbye.
            _ = &mut cancelled => return (LeaveReason::Closed, Linger::Drain),
            () = &mut idle => {
                let deadline = last_read + params.idle_timeout;
                if Instant::now() < deadline {
                    idle.as_mut().reset(deadline);
                    continue;
                }
                tracing::info!("no pong or message: dropping an idle peer");
                return (LeaveReason::Timeout, Linger::No);
            }
            next = stream.next() => next,
        };
        last_read = Instant::now();
        let msg = match next {
            None => return (LeaveReason::Closed, Linger::No),
            Some(Err(err)) => {
                if err.is_too_big() {
                    tracing::info!("frame over the size limit");
                    let _ = outbox.try_send(Outgoing::Close(CLOSE_TOO_BIG, "message too big"));
                    return (LeaveReason::Closed, Linger::Hold);
                }
                tracing::debug!(%err, "socket read failed");
                return (LeaveReason::Closed, Linger::No);
            }
            Some(Ok(msg)) => msg,
        };
        match msg {
            Message::Text(frame) => {
                if !bucket.take() {
                    return (flooded(outbox), Linger::Drain);
                }
                dispatch(hub, peer_id, frame.as_str(), outbox);
            }
            Message::Binary(_) => {
                if !bucket.take() {
                    return (flooded(outbox), Linger::Drain);
                }
                reply(ErrorBody::new(
                    ErrorCode::BadFrame,
                    "Binary frames are not part of the protocol; send JSON text.",
                ));
            }
            Message::Ping(_) | Message::Pong(_) => {}
            Message::Close(_) => return (LeaveReason::Closed, Linger::No),
        }
    }
}

/// Decode one text frame and act on it; any error goes back to the sender's own outbox, so it
/// arrives in order with everything else.
pub(crate) fn dispatch(
    hub: &Hub,
    peer_id: crate::protocol::PeerId,
    text: &str,
    outbox: &tokio::sync::mpsc::Sender<Outgoing>,
) {
    let result = decode(text).and_then(|msg| hub.handle(peer_id, msg));
    if let Err(body) = result {
        let _ = outbox.try_send(Outgoing::Text(crate::room::text(&ServerMessage::Error(
            body,
        ))));
    }
}

pub(crate) fn flooded(outbox: &tokio::sync::mpsc::Sender<Outgoing>) -> LeaveReason {
    tracing::warn!("message flood: closing the socket");
    let body = ErrorBody::new(
        ErrorCode::RateLimited,
        "Too many messages; the host is closing this connection.",
    );
    let _ = outbox.try_send(Outgoing::Text(text(&ServerMessage::Error(body))));
    let _ = outbox.try_send(Outgoing::Close(CLOSE_POLICY, "rate limited"));
    LeaveReason::Closed
}

async fn write_loop<W>(
    mut sink: W,
    mut inbox: tokio::sync::mpsc::Receiver<Outgoing>,
    ping_interval: Duration,
    kill: CancellationToken,
) where
    W: Sink<Message> + Unpin,
{
    let mut ping = tokio::time::interval_at(Instant::now() + ping_interval, ping_interval);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let cancelled = kill.cancelled();
    tokio::pin!(cancelled);
    loop {
        tokio::select! {
            biased;
            out = inbox.recv() => {
                // Whatever else is already queued goes out in the same flush: under load one
                // system call carries several frames. Nothing waits for more to arrive.
                let mut next = out;
                let mut batch = 0;
                let closed = loop {
                    match next {
                        Some(Outgoing::Text(frame)) => {
                            if sink.feed(Message::Text(frame)).await.is_err() {
                                break true;
                            }
                        }
                        Some(Outgoing::Close(code, reason)) => {
                            let frame = CloseFrame { code, reason: reason.into() };
                            let _ = sink.send(Message::Close(Some(frame))).await;
                            break true;
                        }
                        None => break true,
                    }
                    batch += 1;
                    if batch == WRITE_BATCH_FRAMES {
                        break false;
                    }
                    match inbox.try_recv() {
                        Ok(more) => next = Some(more),
                        Err(_) => break false,
                    }
                };
                if closed || sink.flush().await.is_err() {
                    break;
                }
            }
            _ = &mut cancelled => break,
            _ = ping.tick() => {
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = sink.close().await;
    // Whatever ended the writer ends the reader too.
    kill.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::HubSettings;
    use crate::token::HostKey;
    use futures_channel::mpsc;

    #[derive(Debug)]
    struct NoError;
    impl std::fmt::Display for NoError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("no error")
        }
    }
    impl ReadError for NoError {
        fn is_too_big(&self) -> bool {
            false
        }
    }

    fn params() -> SocketParams {
        SocketParams {
            ping_interval: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(10),
            msg_rate: 5,
            msg_burst: 3,
        }
    }

    async fn next_text(rx: &mut mpsc::Receiver<Message>) -> serde_json::Value {
        loop {
            match rx.next().await.expect("socket open") {
                Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                Message::Ping(_) => continue,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn flood_gets_an_error_then_a_close() {
        let hub = Arc::new(Hub::new(
            HubSettings::from_config(&HostConfig::loopback()),
            HostKey::random(),
        ));
        let (out_tx, mut out_rx) = mpsc::channel::<Message>(64);
        let (mut in_tx, in_rx) = mpsc::channel::<Result<Message, NoError>>(64);
        let conn = hub.connect(None);
        let task = tokio::spawn(run(hub.clone(), conn, out_tx, in_rx, params()));
        assert_eq!(next_text(&mut out_rx).await["type"], "welcome");
        for _ in 0..4 {
            in_tx
                .send(Ok(Message::Text(r#"{"type":"ping"}"#.into())))
                .await
                .unwrap();
        }
        for _ in 0..3 {
            assert_eq!(next_text(&mut out_rx).await["type"], "pong");
        }
        let err = next_text(&mut out_rx).await;
        assert_eq!(err["code"], "rate-limited");
        match out_rx.next().await {
            Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CLOSE_POLICY),
            other => panic!("expected a close, got {other:?}"),
        }
        task.await.unwrap();
        assert_eq!(hub.stats().connections, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn silent_peer_times_out() {
        let hub = Arc::new(Hub::new(
            HubSettings::from_config(&HostConfig::loopback()),
            HostKey::random(),
        ));
        let (out_tx, mut out_rx) = mpsc::channel::<Message>(64);
        let (_in_tx, in_rx) = mpsc::channel::<Result<Message, NoError>>(64);
        let conn = hub.connect(None);
        let started = Instant::now();
        tokio::spawn(run(hub.clone(), conn, out_tx, in_rx, params()));
        assert_eq!(next_text(&mut out_rx).await["type"], "welcome");
        // The writer pings; nobody answers; the stream ends when the peer is dropped.
        while out_rx.next().await.is_some() {}
        assert!(started.elapsed() >= Duration::from_secs(10));
        assert_eq!(hub.stats().connections, 0);
    }
}
