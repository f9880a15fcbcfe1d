//! The life of one signaling socket: a reader that decodes, rate-limits and hands messages to
//! the [`Hub`], and a writer that drains the socket's outbox and sends pings. The loop is
//! generic over any `Sink`/`Stream` of WebSocket messages, so it is tested with plain channels
//! as well as real sockets. Whichever half ends first ends the other.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::{HostConfig, WRITE_BATCH_FRAMES};
use crate::protocol::{decode, ErrorBody, ErrorCode, LeaveReason, ServerMessage};
pub use crate::protocol::{CLOSE_INVALID_DATA, CLOSE_POLICY, CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG};
use crate::room::{text, Connection, Hub, Mailbox, Outbox, Outgoing};

/// How often the lateness watch asks to wake.
const LATENESS_TICK: Duration = Duration::from_millis(100);
/// A wake later than this past its time is the host stalling, not scheduling noise.
const STALL_MIN: Duration = Duration::from_millis(200);

/// The host's own lateness. A task asks to wake every [`LATENESS_TICK`]; when it wakes much
/// later, the host itself was stalled (a starved CPU, a suspended machine), and every socket's
/// input queued up meanwhile. The flood limit forgives a backlog that the host's own stall
/// built, up to what the client could have sent at the allowed rate during it: a good peer
/// is never closed as a flood for the host's delay.
#[derive(Debug, Default)]
pub struct Lateness {
    /// Total stalled time seen so far, in ms.
    stalled_ms: AtomicU64,
    /// When the watch last woke, in ms since `origin` (0: it has not run yet).
    last_wake_ms: AtomicU64,
    origin: std::sync::OnceLock<Instant>,
}

impl Lateness {
    fn now_ms(&self) -> u64 {
        let origin = *self.origin.get_or_init(Instant::now);
        u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX) + 1
    }

    /// Watch the host's lateness until `shutdown` fires.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut next = Instant::now() + LATENESS_TICK;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep_until(next) => {}
            }
            let now = Instant::now();
            let late = now.duration_since(next);
            if late > STALL_MIN {
                tracing::info!(late_ms = late.as_millis() as u64, "the host was stalled");
                self.stalled_ms
                    .fetch_add(late.as_millis() as u64, Ordering::AcqRel);
            }
            self.last_wake_ms.store(self.now_ms(), Ordering::Release);
            next = now + LATENESS_TICK;
        }
    }

    /// Stalled time so far, counting a stall still under way (the watch has not woken for
    /// longer than it should).
    fn stalled(&self) -> Duration {
        let mut ms = self.stalled_ms.load(Ordering::Acquire);
        let last = self.last_wake_ms.load(Ordering::Acquire);
        if last > 0 {
            let overdue = self.now_ms().saturating_sub(last);
            let expected = (LATENESS_TICK + STALL_MIN).as_millis() as u64;
            if overdue > expected {
                ms += overdue - LATENESS_TICK.as_millis() as u64;
            }
        }
        Duration::from_millis(ms)
    }
}

/// Per-socket timing and flood limits.
#[derive(Debug, Clone)]
pub struct SocketParams {
    /// Time between pings.
    pub ping_interval: Duration,
    /// Silence after which the socket is dropped.
    pub idle_timeout: Duration,
    /// How long a silent socket's peer keeps its place in its room ([`Hub::lost`]).
    pub reconnect_grace: Duration,
    /// Sustained messages per second.
    pub msg_rate: u32,
    /// Burst size.
    pub msg_burst: u32,
    /// The host's lateness, which the flood limit forgives.
    pub lateness: Arc<Lateness>,
}

impl SocketParams {
    /// The parameters a host configuration asks for.
    pub fn from_config(config: &HostConfig) -> Self {
        Self {
            ping_interval: config.ping_interval(),
            idle_timeout: config.idle_timeout(),
            reconnect_grace: config.reconnect_grace(),
            msg_rate: config.msg_rate.max(1),
            msg_burst: config.msg_burst.max(1),
            lateness: Arc::default(),
        }
    }

    /// A flood limit for one session.
    pub(crate) fn bucket(&self) -> Bucket {
        Bucket::new(self.msg_rate, self.msg_burst, self.lateness.clone())
    }
}

/// What a read error means for the close code the peer gets.
pub trait ReadError: std::fmt::Display {
    /// True for "message too long".
    fn is_too_big(&self) -> bool;
    /// The close code the error calls for (RFC 6455 section 7.4), if any.
    fn close_code(&self) -> Option<u16> {
        self.is_too_big().then_some(CLOSE_TOO_BIG)
    }
}

impl ReadError for axum::Error {
    fn is_too_big(&self) -> bool {
        self.close_code() == Some(CLOSE_TOO_BIG)
    }

    fn close_code(&self) -> Option<u16> {
        use tokio_tungstenite::tungstenite::error::{CapacityError, Error, ProtocolError};
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(err) = source {
            match err.downcast_ref::<Error>() {
                Some(Error::Capacity(CapacityError::MessageTooLong { .. })) => {
                    return Some(CLOSE_TOO_BIG)
                }
                Some(Error::Utf8(_)) => return Some(CLOSE_INVALID_DATA),
                Some(Error::Protocol(
                    ProtocolError::ResetWithoutClosingHandshake
                    | ProtocolError::SendAfterClosing
                    | ProtocolError::ReceivedAfterClosing,
                )) => return None,
                Some(Error::Protocol(_)) => return Some(CLOSE_PROTOCOL_ERROR),
                _ => {}
            }
            source = err.source();
        }
        None
    }
}

/// A token bucket: `burst` at once, refilled at `rate` per second; a backlog the host's own
/// stall built is forgiven (see [`Lateness`]).
#[derive(Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
    lateness: Arc<Lateness>,
    /// Stalled time already turned into credit.
    forgiven: Duration,
    /// Messages forgiven for a stall (beyond the burst), and until when.
    credit: f64,
    credit_until: Instant,
}

/// How long after a stall its credit lasts: long enough to read the backlog it built.
const STALL_CREDIT_TTL: Duration = Duration::from_secs(10);

impl Bucket {
    pub(crate) fn new(rate: u32, burst: u32, lateness: Arc<Lateness>) -> Self {
        let forgiven = lateness.stalled();
        Self {
            tokens: f64::from(burst),
            rate: f64::from(rate),
            burst: f64::from(burst),
            last: Instant::now(),
            lateness,
            forgiven,
            credit: 0.0,
            credit_until: Instant::now(),
        }
    }

    pub(crate) fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return true;
        }
        // The host stalled since this bucket last looked: what the client could have sent at
        // the allowed rate meanwhile is not a flood.
        let stalled = self.lateness.stalled();
        if stalled > self.forgiven {
            self.credit = (stalled - self.forgiven).as_secs_f64() * self.rate + self.burst;
            self.credit_until = now + stalled.min(STALL_CREDIT_TTL) + STALL_CREDIT_TTL;
            self.forgiven = stalled;
        }
        if self.credit >= 1.0 && now < self.credit_until {
            self.credit -= 1.0;
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
        write_loop(
            sink,
            inbox,
            params.ping_interval,
            params.idle_timeout,
            kill.clone(),
        )
        .instrument(span.clone()),
    );
    let mut stream = stream;
    let (reason, linger) = read_loop(&hub, peer_id, &outbox, &mut stream, &params, &kill)
        .instrument(span.clone())
        .await;
    span.in_scope(|| tracing::debug!(?reason, "socket ended"));
    if reason == LeaveReason::Timeout {
        hub.lost(peer_id, generation, params.reconnect_grace);
    } else {
        hub.disconnect(peer_id, generation, reason);
    }
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
    /// The input cannot be parsed any more (an oversized or broken frame): hold it unread for
    /// a moment.
    Hold,
}

async fn read_loop<R, E>(
    hub: &Hub,
    peer_id: crate::protocol::PeerId,
    outbox: &Outbox,
    stream: &mut R,
    params: &SocketParams,
    kill: &CancellationToken,
) -> (LeaveReason, Linger)
where
    R: Stream<Item = Result<Message, E>> + Unpin,
    E: ReadError,
{
    let mut bucket = params.bucket();
    let reply = |body: ErrorBody| {
        outbox.send(text(&ServerMessage::Error(body)));
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
            Some(Err(err)) => return broken_framing(&err, outbox),
            Some(Ok(msg)) => msg,
        };
        if let Message::Close(_) = msg {
            return (LeaveReason::Closed, Linger::No);
        }
        // Every other frame counts, control frames too: a ping flood costs the host pongs.
        if !bucket.take() {
            return (flooded(outbox), Linger::Drain);
        }
        match msg {
            Message::Text(frame) => dispatch(hub, peer_id, frame.as_str(), outbox),
            Message::Binary(_) => reply(ErrorBody::new(
                ErrorCode::BadFrame,
                "Binary frames are not part of the protocol; send JSON text.",
            )),
            _ => {}
        }
    }
}

/// A read that failed: a socket that broke the framing is told why (1002, 1007, 1009) and
/// held until the close is written; one that just went away is gone.
fn broken_framing<E: ReadError>(err: &E, outbox: &Outbox) -> (LeaveReason, Linger) {
    let reason = match err.close_code() {
        Some(CLOSE_TOO_BIG) => "message too big",
        Some(CLOSE_INVALID_DATA) => "text frame is not UTF-8",
        Some(_) => "protocol error",
        None => {
            tracing::debug!(%err, "socket read failed");
            return (LeaveReason::Closed, Linger::No);
        }
    };
    let code = err.close_code().unwrap_or(CLOSE_PROTOCOL_ERROR);
    tracing::info!(%err, code, "closing a socket that broke the framing");
    outbox.control(Outgoing::Close(code, reason));
    (LeaveReason::Closed, Linger::Hold)
}

/// Decode one text frame and act on it; any error goes back to the sender's own outbox, so it
/// arrives in order with everything else.
pub(crate) fn dispatch(hub: &Hub, peer_id: crate::protocol::PeerId, text: &str, outbox: &Outbox) {
    let result = match crate::protocol::raw_signal(text) {
        Some(s) => hub.signal_raw(peer_id, s.to, s.data),
        None => decode(text).and_then(|msg| hub.handle(peer_id, msg)),
    };
    if let Err(body) = result {
        outbox.send(crate::room::text(&ServerMessage::Error(body)));
    }
}

pub(crate) fn flooded(outbox: &Outbox) -> LeaveReason {
    tracing::warn!("message flood: closing the socket");
    let body = ErrorBody::new(
        ErrorCode::RateLimited,
        "Too many messages; the host is closing this connection.",
    );
    outbox.send(text(&ServerMessage::Error(body)));
    outbox.control(Outgoing::Close(CLOSE_POLICY, "rate limited"));
    LeaveReason::Closed
}

/// Drain the mailbox into the socket. A write that cannot finish within `stall` (the peer
/// stopped reading and its buffers are full) ends the socket, like silence does.
async fn write_loop<W>(
    mut sink: W,
    mut inbox: Mailbox,
    ping_interval: Duration,
    stall: Duration,
    kill: CancellationToken,
) where
    W: Sink<Message> + Unpin,
{
    use tokio::time::timeout;
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
                            if !matches!(timeout(stall, sink.feed(Message::Text(frame))).await, Ok(Ok(()))) {
                                break true;
                            }
                        }
                        Some(Outgoing::Close(code, reason)) => {
                            let frame = CloseFrame { code, reason: reason.into() };
                            let _ = timeout(stall, sink.send(Message::Close(Some(frame)))).await;
                            break true;
                        }
                        // The mailbox hands out only frames and closes.
                        Some(Outgoing::Watch(_) | Outgoing::Unwatch(_)) => {}
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
                if closed || !matches!(timeout(stall, sink.flush()).await, Ok(Ok(()))) {
                    break;
                }
            }
            _ = &mut cancelled => break,
            _ = ping.tick() => {
                let sent = timeout(stall, sink.send(Message::Ping(Default::default()))).await;
                if !matches!(sent, Ok(Ok(()))) {
                    break;
                }
            }
        }
    }
    let _ = timeout(stall, sink.close()).await;
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
            reconnect_grace: Duration::ZERO,
            msg_rate: 5,
            msg_burst: 3,
            lateness: Arc::default(),
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
