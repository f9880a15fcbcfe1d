//! Rooms and the peers in them: the hub every socket talks to. It owns who is connected, which
//! room each peer is in, and it delivers every message by putting it in the target's outbox.
//! It never awaits: each call takes the lock briefly, and a slow client is dropped rather than
//! allowed to hold anyone else up.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use parking_lot::Mutex;
use rand::Rng;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::budget::Budgets;
use crate::config::{HostConfig, MAX_SIGNAL_BYTES, OUTBOX_BYTES, OUTBOX_FRAME_OVERHEAD};
use crate::feed::{Feed, Watch};
use serde_json::value::RawValue;

use crate::protocol::{
    check_text, raw_signal_frame, ClientMessage, ErrorBody, ErrorCode, HostInfo, IceServer,
    LeaveReason, MediaReason, PeerId, PeerInfo, PresenceUpdate, Recreate, RoomInfo, RoomMedia,
    ServerMessage, TextKind, WireLimits, MAX_LISTED_ROOMS, MAX_SCREEN_ID_CHARS, PROTOCOL_VERSION,
    REACTIONS,
};
pub use crate::protocol::{
    CLOSE_REPLACED, MAX_CHAT_CHARS, MAX_CHAT_ID_CHARS, MAX_NAME_CHARS, MAX_PASSCODE_CHARS,
    MAX_ROOM_NAME_CHARS,
};
use crate::token::HostKey;

// @first-minutes: the pre-join page's room status
mod status;
pub(crate) use status::STATUS_FEED;
mod control;
// @sfu: large meetings through the host's SFU
mod media;
pub(crate) use media::Capacity;

/// How long a room that nobody has joined yet is kept for its creator.
pub const ROOM_CLAIM_GRACE: Duration = Duration::from_secs(60);
/// The name of the room-list feed in a socket's mailbox.
pub const ROOMS_FEED: &str = "rooms";
/// The name of the LAN-directory feed (`watch-hosts`).
pub const HOSTS_FEED: &str = "hosts";

/// Room ids use Crockford's base32 alphabet: no `i l o u`, so nothing is misread.
const ROOM_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Something on its way to one socket.
#[derive(Debug, PartialEq)]
pub enum Outgoing {
    /// A text frame; cloning shares the bytes, so a broadcast serializes once.
    Text(Utf8Bytes),
    /// Close the socket with this code and reason.
    Close(u16, &'static str),
    /// Start following a feed (replacing any subscription to a feed of the same name).
    Watch(Watch),
    /// Stop following the feed of this name.
    Unwatch(&'static str),
}

/// The sending side of one socket's queue. The queue is bounded in bytes, not frames: a
/// client whose unwritten frames would pass [`OUTBOX_BYTES`] is too slow to keep, and is
/// dropped (its kill token fires) instead of costing the host memory.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Outgoing>,
    queued: Arc<AtomicUsize>,
    kill: CancellationToken,
}

impl Outbox {
    /// Queue a text frame; false if the client was dropped for being over its byte budget.
    pub fn send(&self, frame: Utf8Bytes) -> bool {
        let cost = frame.len() + OUTBOX_FRAME_OVERHEAD;
        let before = self.queued.fetch_add(cost, Ordering::AcqRel);
        if before + cost > OUTBOX_BYTES {
            self.queued.fetch_sub(cost, Ordering::AcqRel);
            if !self.kill.is_cancelled() {
                tracing::warn!(
                    queued = before,
                    "outbox over its byte budget: dropping a client that does not read"
                );
                self.kill.cancel();
            }
            return false;
        }
        if self.tx.send(Outgoing::Text(frame)).is_err() {
            self.queued.fetch_sub(cost, Ordering::AcqRel);
        }
        true
    }

    /// Queue a close or a feed change; these cost nothing and are never refused.
    pub fn control(&self, what: Outgoing) {
        debug_assert!(!matches!(what, Outgoing::Text(_)));
        let _ = self.tx.send(what);
    }

    /// Bytes queued and not yet taken by the writer.
    pub fn queued_bytes(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }
}

/// The receiving side of one socket's queue, and the feeds it follows: what the socket's
/// writer (WebSocket or event stream) drains.
#[derive(Debug)]
pub struct Mailbox {
    rx: mpsc::UnboundedReceiver<Outgoing>,
    queued: Arc<AtomicUsize>,
    feeds: Vec<Watch>,
}

impl Mailbox {
    fn take(&mut self, out: Outgoing) -> Option<Outgoing> {
        match out {
            Outgoing::Text(frame) => {
                let cost = frame.len() + OUTBOX_FRAME_OVERHEAD;
                self.queued.fetch_sub(cost, Ordering::AcqRel);
                Some(Outgoing::Text(frame))
            }
            Outgoing::Watch(watch) => {
                self.feeds.retain(|w| w.name != watch.name);
                self.feeds.push(watch);
                None
            }
            Outgoing::Unwatch(name) => {
                self.feeds.retain(|w| w.name != name);
                None
            }
            close @ Outgoing::Close(..) => Some(close),
        }
    }

    /// The next queued frame or close, if one is queued now (feeds are not looked at).
    pub fn try_recv(&mut self) -> Result<Outgoing, TryRecvError> {
        loop {
            let out = self.rx.try_recv()?;
            if let Some(out) = self.take(out) {
                return Ok(out);
            }
        }
    }

    /// The next frame or close: queued ones in order, and the latest version of a followed
    /// feed whenever it changed. `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<Outgoing> {
        loop {
            if self.feeds.is_empty() {
                let out = self.rx.recv().await?;
                if let Some(out) = self.take(out) {
                    return Some(out);
                }
                continue;
            }
            let next = {
                let rx = &mut self.rx;
                let waits = self.feeds.iter_mut().map(|w| Box::pin(w.next()));
                let changed = futures_util::future::select_all(waits);
                tokio::select! {
                    biased;
                    out = rx.recv() => Next::Queued(out),
                    (frame, index, _) = changed => Next::Feed(frame, index),
                }
            };
            match next {
                Next::Queued(out) => {
                    if let Some(out) = self.take(out?) {
                        return Some(out);
                    }
                }
                Next::Feed(Some(frame), _) => return Some(Outgoing::Text(frame)),
                Next::Feed(None, index) => {
                    self.feeds.remove(index);
                }
            }
        }
    }
}

/// What woke a mailbox.
enum Next {
    Queued(Option<Outgoing>),
    Feed(Option<Utf8Bytes>, usize),
}

/// What the hub hands a new socket.
#[derive(Debug)]
pub struct Connection {
    /// The peer id (fresh, or resumed).
    pub peer_id: PeerId,
    /// Distinguishes this socket from an older one with the same resumed id.
    pub generation: u64,
    /// This socket's own outbox, for replies the socket loop makes itself.
    pub outbox: Outbox,
    /// Frames to write to the socket.
    pub inbox: Mailbox,
    /// Cancelled when the hub wants this socket gone (slow reader, replaced).
    pub kill: CancellationToken,
}

/// The hub's fixed settings, taken from [`HostConfig`].
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// Who the host is.
    pub host: HostInfo,
    /// ICE servers for clients.
    pub ice_servers: Vec<IceServer>,
    /// Limits announced in `welcome`.
    pub limits: WireLimits,
    /// How many rooms at once.
    pub max_rooms: usize,
    /// Per-address budgets.
    pub budgets: crate::budget::BudgetSizes,
    /// @sfu: how many a large meeting holds.
    pub max_peers_per_large_room: usize,
    /// @sfu: the head count at which a mesh room moves to the SFU (0: never).
    pub sfu_threshold: usize,
}

impl HubSettings {
    /// Settings from a host configuration.
    pub fn from_config(config: &HostConfig) -> Self {
        Self {
            host: HostInfo {
                name: config.host_name(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            ice_servers: config.ice_server_list(),
            limits: WireLimits {
                max_peers_per_room: config.max_peers_per_room,
                max_signal_bytes: MAX_SIGNAL_BYTES,
                max_frame_bytes: crate::config::MAX_FRAME_BYTES,
                msg_rate: config.msg_rate,
                msg_burst: config.msg_burst,
            },
            max_rooms: config.max_rooms,
            budgets: config.budget_sizes(),
            max_peers_per_large_room: config.max_peers_per_large_room,
            sfu_threshold: config.sfu_threshold,
        }
    }
}

struct PeerEntry {
    generation: u64,
    outbox: Outbox,
    room: Option<String>,
    info: PeerInfo,
    watching: bool,
    /// Follows the LAN directory (`watch-hosts`).
    watching_hosts: bool,
    /// Where the socket comes from, for the per-address budgets (none for in-process peers).
    addr: Option<IpAddr>,
    /// @meeting: what is left of this peer's budget of reactions.
    reactions: Bucket,
    /// The room whose waiting room it is in (never also in `room`).
    waiting: Option<String>,
}

impl PeerEntry {
    /// Entering a room: stop following the lobby's feeds (rooms, hosts) and any room's status.
    fn stop_following(&mut self) {
        if self.watching {
            self.watching = false;
            self.outbox.control(Outgoing::Unwatch(ROOMS_FEED));
        }
        if self.watching_hosts {
            self.watching_hosts = false;
            self.outbox.control(Outgoing::Unwatch(HOSTS_FEED));
        }
        self.outbox.control(Outgoing::Unwatch(STATUS_FEED));
    }
}

struct Room {
    name: String,
    passcode: Option<[u8; 32]>,
    listed: bool,
    members: Vec<PeerId>,
    /// Set while nobody has joined yet.
    unclaimed_since: Option<Instant>,
    /// Its status for pre-join pages (`watch-room`).
    status: Feed,
    /// @meeting: hands raised so far (the next raised hand gets this plus one).
    hands: u64,
    /// Roles, settings, the waiting room and removals (`room/control.rs`).
    control: control::Control,
    /// @sfu: how its media travels (`room/media.rs`).
    media: RoomMedia,
}

#[derive(Default)]
struct State {
    peers: HashMap<PeerId, PeerEntry>,
    rooms: HashMap<String, Room>,
    /// Listed rooms by (name, id): the room list is read from its head, never by a scan.
    listed: BTreeMap<(String, String), ()>,
    /// Rooms nobody joined yet, oldest first, for the sweep.
    unclaimed: VecDeque<(Instant, String)>,
    /// Peers in rooms.
    in_rooms: usize,
    /// The `rooms` frame for the current list, built at most once per change.
    snapshot: Option<Utf8Bytes>,
    next_generation: u64,
}

/// Head counts, for the health endpoint and the host panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct HubStats {
    /// Open sockets.
    pub connections: usize,
    /// Rooms.
    pub rooms: usize,
    /// Peers in rooms.
    pub in_rooms: usize,
}

/// A room with its members, for the desktop app's host panel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RoomDetail {
    /// The room as the lobby shows it.
    #[serde(flatten)]
    pub info: RoomInfo,
    /// Who is in it.
    pub members: Vec<PeerInfo>,
    /// Who waits at its door, oldest knock first (the host panel answers them:
    /// [`Hub::answer_knock`]).
    pub waiting: Vec<PeerInfo>,
}

/// All rooms and peers of one host.
pub struct Hub {
    state: Mutex<State>,
    settings: HubSettings,
    key: HostKey,
    rooms_version: watch::Sender<u64>,
    rooms_feed: Feed,
    /// The LAN directory (`hosts`), published by [`crate::directory`].
    hosts_feed: Feed,
    budgets: Arc<Budgets>,
    /// @sfu: the SFU of large meetings, once the server started it.
    sfu: std::sync::OnceLock<crate::sfu::Sfu>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("stats", &self.stats()).finish()
    }
}

impl Hub {
    /// An empty hub.
    pub fn new(settings: HubSettings, key: HostKey) -> Self {
        Self {
            state: Mutex::new(State::default()),
            rooms_version: watch::channel(0).0,
            rooms_feed: Feed::new(ROOMS_FEED),
            hosts_feed: Feed::new(HOSTS_FEED),
            budgets: Arc::new(Budgets::new(settings.budgets)),
            sfu: std::sync::OnceLock::new(),
            settings,
            key,
        }
    }

    /// The per-address budgets (the server counts connections in them too).
    pub fn budgets(&self) -> &Arc<Budgets> {
        &self.budgets
    }

    /// The hub's settings.
    pub fn settings(&self) -> &HubSettings {
        &self.settings
    }

    /// A receiver that changes whenever the room list (names, head counts) or a room's waiting
    /// list changes.
    pub fn subscribe_rooms(&self) -> watch::Receiver<u64> {
        self.rooms_version.subscribe()
    }

    /// Register a new socket. A genuine `resume` token keeps the peer id it proves; if that peer
    /// still has a socket, the old one is closed and the new one takes its place in its room.
    pub fn connect(&self, resume: Option<&str>) -> Connection {
        self.connect_from(resume, None)
    }

    /// [`Hub::connect`] for a socket from `addr`, whose budgets it spends.
    pub fn connect_from(&self, resume: Option<&str>, addr: Option<IpAddr>) -> Connection {
        let (tx, rx) = mpsc::unbounded_channel();
        let kill = CancellationToken::new();
        let queued = Arc::new(AtomicUsize::new(0));
        let outbox = Outbox {
            tx,
            queued: queued.clone(),
            kill: kill.clone(),
        };
        let inbox = Mailbox {
            rx,
            queued,
            feeds: Vec::new(),
        };
        let peer_id = resume
            .and_then(|t| self.key.check_resume(t))
            .unwrap_or_else(PeerId::new_v4);
        let welcome = ServerMessage::Welcome {
            peer_id,
            resume: self.key.resume_token(peer_id),
            protocol: PROTOCOL_VERSION,
            host: self.settings.host.clone(),
            ice_servers: self.settings.ice_servers.clone(),
            limits: self.settings.limits,
            sfu: self.sfu_info(),
        };
        outbox.send(text(&welcome));

        let mut state = self.state.lock();
        state.next_generation += 1;
        let generation = state.next_generation;
        match state.peers.get_mut(&peer_id) {
            Some(entry) => {
                tracing::info!(peer = %peer_id, "session resumed on a new socket");
                entry
                    .outbox
                    .control(Outgoing::Close(CLOSE_REPLACED, "replaced"));
                entry.outbox.kill.cancel();
                entry.generation = generation;
                entry.outbox = outbox.clone();
                entry.addr = addr;
                if entry.watching {
                    // The new socket starts with no subscription; so does the peer.
                    entry.watching = false;
                }
            }
            None => {
                state.peers.insert(
                    peer_id,
                    PeerEntry {
                        generation,
                        outbox: outbox.clone(),
                        addr,
                        room: None,
                        info: PeerInfo::new(peer_id, String::new()),
                        watching: false,
                        watching_hosts: false,
                        reactions: Bucket::full(REACTION_BURST),
                        waiting: None,
                    },
                );
            }
        }
        Connection {
            peer_id,
            generation,
            outbox,
            inbox,
            kill,
        }
    }

    /// Forget a socket. Does nothing if a newer socket has resumed the same peer id.
    pub fn disconnect(&self, peer: PeerId, generation: u64, reason: LeaveReason) {
        let mut state = self.state.lock();
        match state.peers.get(&peer) {
            Some(entry) if entry.generation == generation => {}
            _ => return,
        }
        let entry = state.peers.remove(&peer).expect("checked above");
        if let Some(room) = &entry.waiting {
            self.withdraw(&mut state, room, peer);
        }
        if let Some(room) = entry.room {
            self.remove_member(&mut state, &room, peer, reason);
        }
    }

    /// A socket that went silent (no pong, no message: a Wi-Fi blackout, a closed lid). A
    /// member of a room keeps its place for `grace`: coming back with its resume token on a new
    /// socket ([`Hub::connect`]) it is still in the call, and nobody saw it leave (its `join`
    /// is then a rejoin). After `grace` it leaves as [`LeaveReason::Timeout`], unless a newer
    /// socket has resumed it. A peer outside a room (or waiting at a door) goes at once.
    pub fn lost(self: &Arc<Self>, peer: PeerId, generation: u64, grace: Duration) {
        let member = {
            let state = self.state.lock();
            let entry = state.peers.get(&peer);
            entry.is_some_and(|p| p.generation == generation && p.room.is_some())
        };
        if !member || grace.is_zero() {
            return self.disconnect(peer, generation, LeaveReason::Timeout);
        }
        tracing::info!(%peer, ?grace, "a silent member keeps its place for a while");
        let hub = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            hub.disconnect(peer, generation, LeaveReason::Timeout);
        });
    }

    /// Act on one message from `peer`. Replies and relays go to outboxes; an `Err` is for the
    /// sender only, and nothing else has changed.
    pub fn handle(&self, peer: PeerId, msg: ClientMessage) -> Result<(), ErrorBody> {
        match msg {
            ClientMessage::Signal { to, data } => self.signal(peer, to, data),
            ClientMessage::CreateRoom {
                name,
                passcode,
                listed,
                waiting_room,
                large,
            } => self.create_room(
                peer,
                NewRoom {
                    name,
                    passcode,
                    listed,
                    waiting_room,
                    large,
                },
            ),
            ClientMessage::Join {
                room,
                name,
                passcode,
                audio,
                video,
                recreate,
            } => self.join(
                peer,
                JoinRequest {
                    room,
                    name,
                    passcode,
                    audio,
                    video,
                    recreate,
                },
            ),
            ClientMessage::Leave {} => self.leave(peer),
            ClientMessage::Update(change) => self.update(peer, change),
            ClientMessage::ListRooms { watch } => {
                let mut state = self.state.lock();
                let list = self.rooms_frame(&mut state);
                if let Some(entry) = state.peers.get_mut(&peer) {
                    let watching = watch && entry.room.is_none();
                    entry.outbox.send(list);
                    if watching {
                        entry
                            .outbox
                            .control(Outgoing::Watch(self.rooms_feed.watch_changes()));
                    } else if entry.watching {
                        entry.outbox.control(Outgoing::Unwatch(ROOMS_FEED));
                    }
                    entry.watching = watching;
                }
                Ok(())
            }
            ClientMessage::WatchHosts { on } => {
                self.watch_hosts(peer, on);
                Ok(())
            }
            ClientMessage::Chat { id, text } => self.chat(peer, id, text),
            ClientMessage::WatchRoom { room } => self.watch_room(peer, room),
            ClientMessage::Ping { nonce } => {
                self.send_to(peer, text(&ServerMessage::Pong { nonce }));
                Ok(())
            }
            ClientMessage::React { emoji } => self.react(peer, emoji),
            // @room-control
            msg @ (ClientMessage::Admit { .. }
            | ClientMessage::TurnAway { .. }
            | ClientMessage::MakeModerator { .. }
            | ClientMessage::RoomSettings { .. }
            | ClientMessage::Mute { .. }
            | ClientMessage::AskUnmute { .. }
            | ClientMessage::StopVideo { .. }
            | ClientMessage::StopShare { .. }
            | ClientMessage::Remove { .. }
            | ClientMessage::EndMeeting { .. }) => self.moderate(peer, msg),
            // @sfu
            ClientMessage::SfuOffer { sdp, fresh } => self.sfu_signal(peer, sdp, Some(fresh)),
            ClientMessage::SfuAnswer { sdp } => self.sfu_signal(peer, sdp, None),
            ClientMessage::SfuView {
                sizes,
                last_n,
                pinned,
            } => self.sfu_view(
                peer,
                crate::sfu::View {
                    sizes,
                    last_n,
                    pinned,
                },
            ),
            ClientMessage::Unreachable { peer: other } => self.unreachable(peer, other),
        }
    }

    /// `watch-hosts`: follow the LAN directory (the current list at once, then every change),
    /// or stop; never while in a room.
    fn watch_hosts(&self, peer: PeerId, on: bool) {
        let mut state = self.state.lock();
        if let Some(entry) = state.peers.get_mut(&peer) {
            let watching = on && entry.room.is_none();
            if watching && !entry.watching_hosts {
                entry
                    .outbox
                    .control(Outgoing::Watch(self.hosts_feed.watch_now()));
            } else if !watching && entry.watching_hosts {
                entry.outbox.control(Outgoing::Unwatch(HOSTS_FEED));
            }
            entry.watching_hosts = watching;
        }
    }

    /// How many people a room holds (a mesh room, a large meeting).
    fn capacity(&self) -> Capacity {
        Capacity {
            mesh: self.settings.limits.max_peers_per_room,
            large: self.settings.max_peers_per_large_room,
        }
    }

    fn signal(&self, from: PeerId, to: PeerId, data: String) -> Result<(), ErrorBody> {
        if data.len() > MAX_SIGNAL_BYTES {
            let mut err = ErrorBody::new(
                ErrorCode::TooLarge,
                format!("Signal data is limited to {MAX_SIGNAL_BYTES} bytes."),
            );
            err.limit = Some(MAX_SIGNAL_BYTES);
            return Err(err);
        }
        self.relay(from, to, text(&ServerMessage::Signal { from, data }))
    }

    /// `signal`, from the fast path: `data` is the payload's JSON string as it came (see
    /// [`crate::protocol::raw_signal`]), spliced into the same frame [`Hub::signal`] builds.
    pub fn signal_raw(&self, from: PeerId, to: PeerId, data: &RawValue) -> Result<(), ErrorBody> {
        self.relay(from, to, Utf8Bytes::from(raw_signal_frame(from, data)))
    }

    /// Deliver a signal's frame to `to`, if it shares the sender's room.
    fn relay(&self, from: PeerId, to: PeerId, frame: Utf8Bytes) -> Result<(), ErrorBody> {
        let state = self.state.lock();
        let room = state
            .peers
            .get(&from)
            .and_then(|p| p.room.as_ref())
            .ok_or_else(not_in_room)?;
        match state.peers.get(&to) {
            Some(target) if to != from && target.room.as_ref() == Some(room) => {
                deliver(target, frame);
                Ok(())
            }
            _ => Err(ErrorBody::new(
                ErrorCode::UnknownPeer,
                "That peer is not in your room; nothing was relayed.",
            )),
        }
    }

    fn create_room(&self, peer: PeerId, new: NewRoom) -> Result<(), ErrorBody> {
        let name = check_text("name", &new.name, TextKind::Name, MAX_ROOM_NAME_CHARS)?;
        let passcode = clean_passcode(new.passcode)?;
        let mut state = self.state.lock();
        if let Some(addr) = state.peers.get(&peer).and_then(|p| p.addr) {
            if let Err(wait) = self.budgets.create_room(addr) {
                return Err(ErrorBody::try_later("new rooms", wait));
            }
        }
        if state.rooms.len() >= self.settings.max_rooms {
            return Err(ErrorBody::new(
                ErrorCode::TooManyRooms,
                "This host holds as many rooms as it can; try again later.",
            ));
        }
        let id = loop {
            let id = new_room_id();
            if !state.rooms.contains_key(&id) {
                break id;
            }
        };
        let room = Room {
            name,
            passcode: passcode.as_deref().map(digest),
            listed: new.listed,
            members: Vec::new(),
            unclaimed_since: None,
            status: status::new_feed(),
            hands: 0,
            control: control::Control::created_by(peer, new.waiting_room),
            media: media::media_of(new.large),
        };
        let info = room_info(&id, &room, self.capacity());
        tracing::info!(room = %id, %peer, "room created");
        insert_room(&mut state, id.clone(), room);
        self.status_changed(&state, &id);
        self.send_locked(
            &state,
            peer,
            text(&ServerMessage::RoomCreated { room: info }),
        );
        self.rooms_changed(&mut state);
        Ok(())
    }

    fn join(&self, peer: PeerId, req: JoinRequest) -> Result<(), ErrorBody> {
        let name = check_text("name", &req.name, TextKind::Name, MAX_NAME_CHARS)?;
        let passcode = clean_passcode(req.passcode)?;
        let room_id = req.room;
        if !is_room_id(&room_id) {
            return Err(invalid_field("room", "That is not a moim room id."));
        }
        let mut guard = self.state.lock();
        let state = &mut *guard;
        let rejoin = current_room(state, peer, &room_id)?;
        // A knock elsewhere ends only once this join succeeds (a failed join changes nothing).
        let knocked = state.peers.get(&peer).and_then(|p| p.waiting.clone());
        if !state.rooms.contains_key(&room_id) {
            self.recreate(
                state,
                peer,
                &room_id,
                req.recreate.as_ref(),
                passcode.as_deref(),
            )?;
        }
        let presence = Presence {
            name,
            audio: req.audio.unwrap_or(true),
            video: req.video.unwrap_or(true),
        };
        if !rejoin {
            self.check_passcode(state, peer, &room_id, passcode.as_deref())?;
            self.prove_role(state, peer, &room_id, req.recreate.as_ref());
            let room = state.rooms.get(&room_id).expect("ensured above");
            let gate = room.control.gate(peer)?;
            if gate == control::Gate::Enter {
                self.add_member(state, peer, &room_id)?;
            }
            if let Some(other) = knocked.filter(|r| gate == control::Gate::Enter || *r != room_id) {
                self.withdraw(state, &other, peer);
            }
            if gate == control::Gate::Wait {
                self.knock(state, peer, &room_id, presence);
                return Ok(());
            }
        }
        self.enter(state, peer, &room_id, presence, rejoin);
        Ok(())
    }

    /// Bring back a room the host forgot, proven by its room token: it is the room that was
    /// (id, name, listing, passcode), or nothing.
    fn recreate(
        &self,
        state: &mut State,
        peer: PeerId,
        room_id: &str,
        recreate: Option<&Recreate>,
        passcode: Option<&str>,
    ) -> Result<(), ErrorBody> {
        let Some(recreate) = recreate else {
            return Err(ErrorBody::new(
                ErrorCode::NoSuchRoom,
                "There is no such room on this host. It may have ended.",
            ));
        };
        let room_name = check_text(
            "recreate.name",
            &recreate.name,
            TextKind::Name,
            MAX_ROOM_NAME_CHARS,
        )?;
        let restored = Room {
            name: room_name,
            passcode: passcode.map(digest),
            listed: recreate
                .token
                .starts_with([LISTED_MARK, media::LARGE_MARKS[0]]),
            members: Vec::new(),
            unclaimed_since: None,
            status: status::new_feed(),
            hands: 0,
            control: control::Control::default(),
            media: media::media_of(recreate.token.starts_with(media::LARGE_MARKS)),
        };
        if !constant_time_eq(
            self.room_token(room_id, &restored).as_bytes(),
            recreate.token.as_bytes(),
        ) {
            return Err(ErrorBody::new(
                ErrorCode::BadToken,
                "That room token does not belong to this room, its name and its passcode.",
            ));
        }
        if state.rooms.len() >= self.settings.max_rooms {
            return Err(ErrorBody::new(
                ErrorCode::TooManyRooms,
                "This host holds as many rooms as it can; try again later.",
            ));
        }
        tracing::info!(room = %room_id, %peer, "room recreated by a returning member");
        insert_room(state, room_id.to_string(), restored);
        Ok(())
    }

    /// The passcode gate of a first join (with the per-address budget of wrong guesses).
    fn check_passcode(
        &self,
        state: &State,
        peer: PeerId,
        room_id: &str,
        passcode: Option<&str>,
    ) -> Result<(), ErrorBody> {
        let addr = state.peers.get(&peer).and_then(|p| p.addr);
        let Some(expected) = state.rooms.get(room_id).and_then(|r| r.passcode) else {
            return Ok(());
        };
        if let Some(addr) = addr {
            if let Err(wait) = self.budgets.passcode_allowed(addr) {
                return Err(ErrorBody::try_later("wrong passcodes", wait));
            }
        }
        if passcode.map(digest) != Some(expected) {
            if let Some(addr) = addr {
                self.budgets.passcode_failed(addr);
            }
            return Err(ErrorBody::new(
                ErrorCode::WrongPasscode,
                "This room needs the right passcode.",
            ));
        }
        Ok(())
    }

    /// Make `peer` a member of the room, if it has room for one more.
    fn add_member(&self, state: &mut State, peer: PeerId, room_id: &str) -> Result<(), ErrorBody> {
        let capacity = self.capacity();
        let room = state.rooms.get_mut(room_id).ok_or_else(not_in_room)?;
        // @sfu: the newcomer that brings a mesh room to the threshold moves it to the SFU
        let grows = self.grows_into_sfu(room);
        let capacity = if grows {
            capacity.large
        } else {
            capacity.of(room)
        };
        if room.members.len() >= capacity {
            let mut err = ErrorBody::new(
                ErrorCode::RoomFull,
                format!("This room is full: it holds {capacity} people."),
            );
            err.capacity = Some(capacity);
            return Err(err);
        }
        room.members.push(peer);
        room.unclaimed_since = None;
        state.in_rooms += 1;
        if grows {
            self.move_to_sfu(state, room_id, MediaReason::Size, Some(peer));
        }
        Ok(())
    }

    /// A member (just added, or rejoining) takes its place: it gets `existing-peers`, the
    /// others hear of it.
    fn enter(
        &self,
        state: &mut State,
        peer: PeerId,
        room_id: &str,
        presence: Presence,
        rejoin: bool,
    ) {
        let capacity = self.capacity();
        let Some(room) = state.rooms.get_mut(room_id) else {
            return;
        };
        let moderator = room.control.take_role_if_none(peer, &room.members);
        let muted = room.control.blocks_unmute(peer);
        let info = room_info(room_id, room, capacity);
        let members = room.members.clone();
        let settings = room.control.settings;
        let room_token = self.room_token(room_id, room);
        let role_token = moderator.then(|| self.key.role_token(room_id, peer));
        let Some(entry) = state.peers.get_mut(&peer) else {
            return;
        };
        let before = entry.info.clone();
        entry.room = Some(room_id.to_string());
        entry.waiting = None;
        entry.stop_following();
        entry.info.name = presence.name;
        entry.info.audio = presence.audio && !muted;
        entry.info.video = presence.video;
        entry.info.moderator = moderator;
        if !rejoin {
            entry.info.screen = None;
            entry.info.hand = None;
        }
        // @files: a recording belongs to one meeting (a rejoin keeps it)
        entry.info.recording &= rejoin;
        let you = entry.info.clone();
        let peers: Vec<PeerInfo> = members
            .iter()
            .filter(|id| **id != peer)
            .filter_map(|id| state.peers.get(id).map(|p| p.info.clone()))
            .collect();
        self.send_locked(
            state,
            peer,
            text(&ServerMessage::ExistingPeers {
                room: info,
                you: you.clone(),
                peers,
                room_token,
                settings,
                role_token,
            }),
        );
        let announce = if !rejoin {
            Some(ServerMessage::PeerJoined { peer: you })
        } else if before != you {
            Some(ServerMessage::PeerUpdated { peer: you })
        } else {
            None
        };
        if let Some(msg) = announce {
            let frame = text(&msg);
            for id in members.iter().filter(|id| **id != peer) {
                self.send_locked(state, *id, frame.clone());
            }
        }
        self.status_changed(state, room_id);
        if moderator {
            self.waiting_list_to(state, room_id, Some(peer));
        }
        if !rejoin {
            tracing::debug!(room = %room_id, %peer, "peer joined");
            self.rooms_changed(state);
        }
    }

    fn leave(&self, peer: PeerId) -> Result<(), ErrorBody> {
        let mut state = self.state.lock();
        if let Some(room) = state.peers.get_mut(&peer).and_then(|p| p.waiting.take()) {
            self.withdraw(&mut state, &room, peer);
            self.send_locked(&state, peer, text(&ServerMessage::Left { room }));
            return Ok(());
        }
        let room = state
            .peers
            .get_mut(&peer)
            .and_then(|p| p.room.take())
            .ok_or_else(not_in_room)?;
        self.remove_member(&mut state, &room, peer, LeaveReason::Left);
        self.send_locked(&state, peer, text(&ServerMessage::Left { room }));
        Ok(())
    }

    fn chat(&self, peer: PeerId, id: String, body: String) -> Result<(), ErrorBody> {
        let id = check_text("id", &id, TextKind::Id, MAX_CHAT_ID_CHARS)?;
        check_text("text", &body, TextKind::Chat, MAX_CHAT_CHARS)?;
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let state = self.state.lock();
        let entry = state.peers.get(&peer).ok_or_else(not_in_room)?;
        let room = entry.room.as_ref().ok_or_else(not_in_room)?;
        let frame = text(&ServerMessage::Chat {
            from: peer,
            name: entry.info.name.clone(),
            id,
            text: body,
            time,
        });
        if let Some(r) = state.rooms.get(room) {
            for member in r.members.iter().filter(|m| **m != peer) {
                self.send_locked(&state, *member, frame.clone());
            }
        }
        Ok(())
    }

    fn update(&self, peer: PeerId, p: PresenceUpdate) -> Result<(), ErrorBody> {
        let name = p
            .name
            .map(|n| check_text("name", &n, TextKind::Name, MAX_NAME_CHARS))
            .transpose()?;
        let screen = match p.screen {
            Some(Some(id)) => Some(Some(check_text(
                "screen",
                &id,
                TextKind::Id,
                MAX_SCREEN_ID_CHARS,
            )?)),
            other => other,
        };
        let mut guard = self.state.lock();
        let state = &mut *guard;
        let entry = state.peers.get_mut(&peer).ok_or_else(not_in_room)?;
        let room = entry.room.clone().ok_or_else(not_in_room)?;
        if p.audio == Some(true)
            && !entry.info.audio
            && state
                .rooms
                .get(&room)
                .is_some_and(|r| r.control.blocks_unmute(peer))
        {
            return Err(control::unmute_not_allowed());
        }
        let entry = state.peers.get_mut(&peer).ok_or_else(not_in_room)?;
        if let Some(a) = p.audio {
            entry.info.audio = a;
        }
        if let Some(v) = p.video {
            entry.info.video = v;
        }
        let renamed = name.is_some_and(|n| {
            let changed = n != entry.info.name;
            entry.info.name = n;
            changed
        });
        if let Some(s) = screen {
            entry.info.screen = s;
        }
        match (p.hand, entry.info.hand) {
            (Some(true), None) => {
                // the host stamps the order, so every member sees the same queue of hands
                if let Some(r) = state.rooms.get_mut(&room) {
                    r.hands += 1;
                    entry.info.hand = Some(r.hands);
                }
            }
            (Some(false), Some(_)) => entry.info.hand = None,
            _ => {}
        }
        if let Some(r) = p.recording {
            entry.info.recording = r;
        }
        let frame = text(&ServerMessage::PeerUpdated {
            peer: entry.info.clone(),
        });
        if let Some(r) = state.rooms.get(&room) {
            for id in &r.members {
                self.send_locked(state, *id, frame.clone());
            }
        }
        if renamed {
            self.status_changed(state, &room);
        }
        Ok(())
    }

    /// @meeting: relay a reaction to the others in the sender's room, within its budget.
    fn react(&self, peer: PeerId, emoji: String) -> Result<(), ErrorBody> {
        if !REACTIONS.contains(&emoji.as_str()) {
            return Err(invalid_field(
                "emoji",
                "That is not one of the reactions moim offers.",
            ));
        }
        let mut state = self.state.lock();
        let entry = state.peers.get_mut(&peer).ok_or_else(not_in_room)?;
        let room = entry.room.clone().ok_or_else(not_in_room)?;
        if !entry
            .reactions
            .take(Instant::now(), REACTION_BURST, REACTION_EVERY)
        {
            return Err(ErrorBody::new(
                ErrorCode::RateLimited,
                "Too many reactions at once; wait a moment.",
            ));
        }
        let frame = text(&ServerMessage::Reaction { from: peer, emoji });
        if let Some(r) = state.rooms.get(&room) {
            for member in r.members.iter().filter(|m| **m != peer) {
                self.send_locked(&state, *member, frame.clone());
            }
        }
        Ok(())
    }

    /// Take `peer` out of `room`, tell the others, and drop the room if it is now empty.
    fn remove_member(&self, state: &mut State, room_id: &str, peer: PeerId, reason: LeaveReason) {
        let Some(room) = state.rooms.get_mut(room_id) else {
            return;
        };
        let before = room.members.len();
        room.members.retain(|id| *id != peer);
        state.in_rooms -= before - room.members.len();
        self.media_left(room, peer);
        if matches!(reason, LeaveReason::Left | LeaveReason::Removed) {
            room.control.drop_role(peer);
        }
        let members = room.members.clone();
        if members.is_empty() {
            remove_room(state, room_id);
            tracing::info!(room = %room_id, "room closed: last peer left");
        } else {
            let frame = text(&ServerMessage::PeerLeft {
                peer_id: peer,
                reason,
            });
            for id in &members {
                self.send_locked(state, *id, frame.clone());
            }
            self.status_changed(state, room_id);
            self.hand_on_role(state, room_id);
        }
        tracing::debug!(room = %room_id, %peer, ?reason, "peer left");
        self.rooms_changed(state);
    }

    /// Drop rooms that were created but never joined within [`ROOM_CLAIM_GRACE`] (the oldest
    /// first; the work is the rooms dropped, never all of them), and the budgets of addresses
    /// that are quiet again.
    pub fn sweep_unclaimed(&self, now: Instant) {
        let mut guard = self.state.lock();
        let state = &mut *guard;
        let mut dropped = false;
        while let Some((since, _)) = state.unclaimed.front() {
            if now.duration_since(*since) < ROOM_CLAIM_GRACE {
                break;
            }
            let (since, id) = state.unclaimed.pop_front().expect("just looked");
            let expired = state
                .rooms
                .get(&id)
                .is_some_and(|r| r.unclaimed_since == Some(since));
            if expired {
                remove_room(state, &id);
                dropped = true;
            }
        }
        if dropped {
            self.rooms_changed(state);
        }
        drop(guard);
        self.budgets.sweep();
    }

    fn rooms_changed(&self, state: &mut State) {
        state.snapshot = None;
        self.rooms_version.send_modify(|v| *v += 1);
    }

    /// The `rooms` frame of the current list: built once per change (from the head of the
    /// sorted index, so at most [`MAX_LISTED_ROOMS`] rooms), then shared, and published to
    /// the room-list feed.
    fn rooms_frame(&self, state: &mut State) -> Utf8Bytes {
        if let Some(frame) = &state.snapshot {
            return frame.clone();
        }
        let frame = text(&ServerMessage::Rooms {
            rooms: room_list(state, self.capacity()),
        });
        state.snapshot = Some(frame.clone());
        self.rooms_feed.publish(frame.clone());
        frame
    }

    /// Bring the room-list feed up to date (the lobby loop calls this, coalescing changes).
    pub fn publish_rooms(&self) {
        let mut state = self.state.lock();
        if state.snapshot.is_none() {
            self.rooms_frame(&mut state);
        }
    }

    /// Make `frame` (a serialized `hosts` message, built once by the directory) the LAN
    /// directory that every socket following it gets next. The hub never looks inside.
    pub fn publish_hosts(&self, frame: Utf8Bytes) {
        self.hosts_feed.publish(frame);
    }

    /// The listed rooms, sorted by name (at most [`MAX_LISTED_ROOMS`]).
    pub fn rooms(&self) -> Vec<RoomInfo> {
        room_list(&self.state.lock(), self.capacity())
    }

    /// Every room with its members, for the host's own panel (unlisted rooms too).
    pub fn room_details(&self) -> Vec<RoomDetail> {
        let state = self.state.lock();
        let mut out: Vec<RoomDetail> = state
            .rooms
            .iter()
            .map(|(id, room)| RoomDetail {
                info: room_info(id, room, self.capacity()),
                members: room
                    .members
                    .iter()
                    .filter_map(|m| state.peers.get(m).map(|p| p.info.clone()))
                    .collect(),
                waiting: room
                    .control
                    .waiting
                    .iter()
                    .filter_map(|m| state.peers.get(m).map(|p| p.info.clone()))
                    .collect(),
            })
            .collect();
        out.sort_by(|a, b| {
            a.info
                .name
                .cmp(&b.info.name)
                .then(a.info.id.cmp(&b.info.id))
        });
        out
    }

    /// Head counts.
    pub fn stats(&self) -> HubStats {
        let state = self.state.lock();
        HubStats {
            connections: state.peers.len(),
            rooms: state.rooms.len(),
            in_rooms: state.in_rooms,
        }
    }

    /// Tell every socket the host is going away, then close them all with 1001.
    pub fn close_all(&self, reason: &str) {
        let state = self.state.lock();
        let frame = text(&ServerMessage::Closing {
            reason: reason.to_string(),
        });
        for entry in state.peers.values() {
            entry.outbox.send(frame.clone());
            entry
                .outbox
                .control(Outgoing::Close(1001, "host shutting down"));
        }
    }

    fn send_to(&self, peer: PeerId, frame: Utf8Bytes) {
        self.send_locked(&self.state.lock(), peer, frame);
    }

    fn send_locked(&self, state: &State, peer: PeerId, frame: Utf8Bytes) {
        if let Some(entry) = state.peers.get(&peer) {
            deliver(entry, frame);
        }
    }
}

/// @meeting: reactions a member may send at once, and how often one more is allowed.
const REACTION_BURST: f64 = 5.0;
const REACTION_EVERY: Duration = Duration::from_millis(400);

/// A token bucket: up to `burst` at once, then one per `every`.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(burst: f64) -> Self {
        Self {
            tokens: burst,
            at: Instant::now(),
        }
    }

    /// Spend one token if there is one.
    fn take(&mut self, now: Instant, burst: f64, every: Duration) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() / every.as_secs_f64();
        self.tokens = (self.tokens + refill).min(burst);
        self.at = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

/// Who a member is as it enters: what its `join` said (or its knock, when admitted).
struct Presence {
    name: String,
    audio: bool,
    video: bool,
}

/// Whether a `join` of `room_id` is a rejoin (the peer is in it already); an error when the
/// peer is in another room.
fn current_room(state: &State, peer: PeerId, room_id: &str) -> Result<bool, ErrorBody> {
    match state.peers.get(&peer).and_then(|p| p.room.as_deref()) {
        Some(r) if r == room_id => Ok(true),
        Some(_) => Err(ErrorBody::new(
            ErrorCode::AlreadyInRoom,
            "You are already in another room; leave it first.",
        )),
        None => Ok(false),
    }
}

/// What `create-room` asks for.
struct NewRoom {
    name: String,
    passcode: Option<String>,
    listed: bool,
    waiting_room: bool,
    large: bool,
}

struct JoinRequest {
    room: String,
    name: String,
    passcode: Option<String>,
    audio: Option<bool>,
    video: Option<bool>,
    recreate: Option<Recreate>,
}

/// Queue a frame for a peer; a peer over its byte budget is too slow to keep, and is dropped.
fn deliver(entry: &PeerEntry, frame: Utf8Bytes) {
    if !entry.outbox.send(frame) {
        tracing::debug!(peer = %entry.info.id, "a frame for a dropped client");
    }
}

/// A room token starts with this when the room is listed (and with [`UNLISTED_MARK`] when not).
const LISTED_MARK: char = 'l';
const UNLISTED_MARK: char = 'u';

fn insert_room(state: &mut State, id: String, mut room: Room) {
    if room.listed {
        state.listed.insert((room.name.clone(), id.clone()), ());
    }
    let now = Instant::now();
    room.unclaimed_since = Some(now);
    state.unclaimed.push_back((now, id.clone()));
    state.rooms.insert(id, room);
}

/// Drop a room; whoever still waits to get in is turned away.
fn remove_room(state: &mut State, id: &str) {
    if let Some(room) = state.rooms.remove(id) {
        status::publish_gone(&room, id);
        state.listed.remove(&(room.name, id.to_string()));
        let frame = text(&ServerMessage::TurnedAway {
            room: id.to_string(),
        });
        for peer in &room.control.waiting {
            if let Some(entry) = state.peers.get_mut(peer) {
                entry.waiting = None;
                deliver(entry, frame.clone());
            }
        }
    }
}

impl Hub {
    /// The token that proves membership of `room` and binds what it is: its id, name,
    /// listing and passcode.
    fn room_token(&self, id: &str, room: &Room) -> String {
        let passcode: String = room
            .passcode
            .map(|d| d.iter().map(|b| format!("{b:02x}")).collect())
            .unwrap_or_default();
        let mut binding = format!("{id}\n{}\n{passcode}\n{}", room.listed, room.name);
        // @sfu: a large meeting's token binds that too (and has marks of its own)
        if room.media == RoomMedia::Sfu {
            binding.push_str("\nsfu");
        }
        let mark = match (room.listed, room.media) {
            (true, RoomMedia::Mesh) => LISTED_MARK,
            (false, RoomMedia::Mesh) => UNLISTED_MARK,
            (true, RoomMedia::Sfu) => media::LARGE_MARKS[0],
            (false, RoomMedia::Sfu) => media::LARGE_MARKS[1],
        };
        format!("{mark}{}", self.key.room_token(&binding))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Serialize a server message into a shareable frame.
pub fn text(msg: &ServerMessage) -> Utf8Bytes {
    Utf8Bytes::from(msg.to_json())
}

fn room_info(id: &str, room: &Room, capacity: Capacity) -> RoomInfo {
    RoomInfo {
        id: id.to_string(),
        name: room.name.clone(),
        peers: room.members.len(),
        capacity: capacity.of(room),
        media: room.media,
        locked: room.passcode.is_some(),
        closed: room.control.settings.closed,
        waiting_room: room.control.settings.waiting_room,
    }
}

fn room_list(state: &State, capacity: Capacity) -> Vec<RoomInfo> {
    state
        .listed
        .keys()
        .take(MAX_LISTED_ROOMS)
        .filter_map(|(_, id)| state.rooms.get(id).map(|r| room_info(id, r, capacity)))
        .collect()
}

fn not_in_room() -> ErrorBody {
    ErrorBody::new(ErrorCode::NotInRoom, "Join a room first.")
}

fn invalid_field(field: &str, message: &str) -> ErrorBody {
    ErrorBody::invalid_field(field, message)
}

/// An empty passcode means none.
fn clean_passcode(raw: Option<String>) -> Result<Option<String>, ErrorBody> {
    match raw {
        Some(p) => {
            let p = check_text("passcode", &p, TextKind::Passcode, MAX_PASSCODE_CHARS)?;
            Ok((!p.is_empty()).then_some(p))
        }
        None => Ok(None),
    }
}

fn digest(passcode: &str) -> [u8; 32] {
    Sha256::digest(passcode.as_bytes()).into()
}

/// A new room id: 16 random base32 characters (80 bits) in four groups of four.
pub fn new_room_id() -> String {
    let mut rng = rand::thread_rng();
    let mut id = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            id.push('-');
        }
        id.push(ROOM_ALPHABET[rng.gen_range(0..32)] as char);
    }
    id
}

/// Whether `id` has the shape of a room id.
pub fn is_room_id(id: &str) -> bool {
    id.len() == 19
        && id.bytes().enumerate().all(|(i, b)| {
            if i % 5 == 4 {
                b == b'-'
            } else {
                ROOM_ALPHABET.contains(&b)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_ids_have_their_shape_and_do_not_repeat() {
        let a = new_room_id();
        assert!(is_room_id(&a), "{a}");
        assert_ne!(a, new_room_id());
        assert!(
            !is_room_id("abcd-efgh-ijkl-mnop"),
            "i, l, o are not in the alphabet"
        );
        assert!(!is_room_id("abcd"));
    }

    #[test]
    fn passcodes_are_checked_and_empty_means_none() {
        assert_eq!(clean_passcode(Some(String::new())).unwrap(), None);
        assert_eq!(
            clean_passcode(Some("1234".into())).unwrap().as_deref(),
            Some("1234")
        );
        assert!(clean_passcode(Some("12\u{7}4".into())).is_err());
        assert!(clean_passcode(Some("\u{0}".into())).is_err());
    }
}
