//! Rooms and the peers in them: the hub every socket talks to. It owns who is connected, which
//! room each peer is in, and it delivers every message by putting it in the target's outbox.
//! It never awaits: each call takes the lock briefly, and a slow client is dropped rather than
//! allowed to hold anyone else up.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;
use parking_lot::Mutex;
use rand::Rng;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::config::{HostConfig, MAX_SIGNAL_BYTES, OUTBOX_CAPACITY};
use crate::protocol::{
    ClientMessage, ErrorBody, ErrorCode, HostInfo, IceServer, LeaveReason, PeerId, PeerInfo,
    Recreate, RoomInfo, ServerMessage, WireLimits, PROTOCOL_VERSION,
};
use crate::token::HostKey;

/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 48;
/// Longest room name, in characters.
pub const MAX_ROOM_NAME_CHARS: usize = 64;
/// Longest chat message, in characters.
pub const MAX_CHAT_CHARS: usize = 4000;
/// Longest chat message id, in characters.
pub const MAX_CHAT_ID_CHARS: usize = 64;
/// Longest passcode, in characters.
pub const MAX_PASSCODE_CHARS: usize = 64;
/// How long a room that nobody has joined yet is kept for its creator.
pub const ROOM_CLAIM_GRACE: Duration = Duration::from_secs(60);
/// Close code sent to a socket whose peer id was resumed elsewhere.
pub const CLOSE_REPLACED: u16 = 4000;

/// Room ids use Crockford's base32 alphabet: no `i l o u`, so nothing is misread.
const ROOM_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A frame on its way to one socket.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// A text frame; cloning shares the bytes, so a broadcast serializes once.
    Text(Utf8Bytes),
    /// Close the socket with this code and reason.
    Close(u16, &'static str),
}

/// What the hub hands a new socket.
#[derive(Debug)]
pub struct Connection {
    /// The peer id (fresh, or resumed).
    pub peer_id: PeerId,
    /// Distinguishes this socket from an older one with the same resumed id.
    pub generation: u64,
    /// This socket's own outbox, for replies the socket loop makes itself.
    pub outbox: mpsc::Sender<Outgoing>,
    /// Frames to write to the socket.
    pub inbox: mpsc::Receiver<Outgoing>,
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
        }
    }
}

struct PeerEntry {
    generation: u64,
    outbox: mpsc::Sender<Outgoing>,
    kill: CancellationToken,
    room: Option<String>,
    info: PeerInfo,
    watching: bool,
    /// Follows the LAN directory (`watch-hosts`).
    watching_hosts: bool,
}

struct Room {
    name: String,
    passcode: Option<[u8; 32]>,
    listed: bool,
    members: Vec<PeerId>,
    /// Set while nobody has joined yet.
    unclaimed_since: Option<Instant>,
}

#[derive(Default)]
struct State {
    peers: HashMap<PeerId, PeerEntry>,
    rooms: HashMap<String, Room>,
    next_generation: u64,
    /// The latest `hosts` frame (see [`Hub::publish_hosts`]), shared by every watcher.
    hosts_frame: Option<Utf8Bytes>,
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
}

/// All rooms and peers of one host.
pub struct Hub {
    state: Mutex<State>,
    settings: HubSettings,
    key: HostKey,
    rooms_version: watch::Sender<u64>,
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
            settings,
            key,
            rooms_version: watch::channel(0).0,
        }
    }

    /// The hub's settings.
    pub fn settings(&self) -> &HubSettings {
        &self.settings
    }

    /// A receiver that changes whenever the room list (names, head counts) changes.
    pub fn subscribe_rooms(&self) -> watch::Receiver<u64> {
        self.rooms_version.subscribe()
    }

    /// Register a new socket. A genuine `resume` token keeps the peer id it proves; if that peer
    /// still has a socket, the old one is closed and the new one takes its place in its room.
    pub fn connect(&self, resume: Option<&str>) -> Connection {
        let (outbox, inbox) = mpsc::channel(OUTBOX_CAPACITY);
        let kill = CancellationToken::new();
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
        };
        // A fresh channel has room for the first frame.
        let _ = outbox.try_send(Outgoing::Text(text(&welcome)));

        let mut state = self.state.lock();
        state.next_generation += 1;
        let generation = state.next_generation;
        match state.peers.get_mut(&peer_id) {
            Some(entry) => {
                tracing::info!(peer = %peer_id, "session resumed on a new socket");
                let _ = entry
                    .outbox
                    .try_send(Outgoing::Close(CLOSE_REPLACED, "replaced"));
                entry.kill.cancel();
                entry.generation = generation;
                entry.outbox = outbox.clone();
                entry.kill = kill.clone();
            }
            None => {
                state.peers.insert(
                    peer_id,
                    PeerEntry {
                        generation,
                        outbox: outbox.clone(),
                        kill: kill.clone(),
                        room: None,
                        info: PeerInfo {
                            id: peer_id,
                            name: String::new(),
                            audio: true,
                            video: true,
                        },
                        watching: false,
                        watching_hosts: false,
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
        if let Some(room) = entry.room {
            self.remove_member(&mut state, &room, peer, reason);
        }
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
            } => self.create_room(peer, name, passcode, listed),
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
            ClientMessage::Update { audio, video, name } => self.update(peer, audio, video, name),
            ClientMessage::ListRooms { watch } => {
                let mut state = self.state.lock();
                let list = text(&ServerMessage::Rooms {
                    rooms: room_list(&state, self.capacity()),
                });
                if let Some(entry) = state.peers.get_mut(&peer) {
                    entry.watching = watch && entry.room.is_none();
                    deliver(entry, list);
                }
                Ok(())
            }
            ClientMessage::WatchHosts { on } => {
                let mut state = self.state.lock();
                let frame = state.hosts_frame.clone();
                if let Some(entry) = state.peers.get_mut(&peer) {
                    entry.watching_hosts = on && entry.room.is_none();
                    if let (true, Some(frame)) = (entry.watching_hosts, frame) {
                        deliver(entry, frame);
                    }
                }
                Ok(())
            }
            ClientMessage::Chat { id, text } => self.chat(peer, id, text),
            ClientMessage::Ping { nonce } => {
                self.send_to(peer, text(&ServerMessage::Pong { nonce }));
                Ok(())
            }
        }
    }

    fn capacity(&self) -> usize {
        self.settings.limits.max_peers_per_room
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
        let frame = text(&ServerMessage::Signal { from, data });
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

    fn create_room(
        &self,
        peer: PeerId,
        name: String,
        passcode: Option<String>,
        listed: bool,
    ) -> Result<(), ErrorBody> {
        let name = clean_name(&name, MAX_ROOM_NAME_CHARS, "name")?;
        let passcode = clean_passcode(passcode)?;
        let mut state = self.state.lock();
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
            listed,
            members: Vec::new(),
            unclaimed_since: Some(Instant::now()),
        };
        let info = room_info(&id, &room, self.capacity());
        tracing::info!(room = %id, %peer, "room created");
        state.rooms.insert(id, room);
        self.send_locked(
            &state,
            peer,
            text(&ServerMessage::RoomCreated { room: info }),
        );
        self.rooms_changed(&state);
        Ok(())
    }

    fn join(&self, peer: PeerId, req: JoinRequest) -> Result<(), ErrorBody> {
        let name = clean_name(&req.name, MAX_NAME_CHARS, "name")?;
        let passcode = clean_passcode(req.passcode)?;
        let room_id = req.room;
        if !is_room_id(&room_id) {
            return Err(invalid_field("room", "That is not a moim room id."));
        }
        let capacity = self.capacity();
        let mut guard = self.state.lock();
        let state = &mut *guard;
        let current = state.peers.get(&peer).and_then(|p| p.room.clone());
        let rejoin = match current {
            Some(r) if r == room_id => true,
            Some(_) => {
                return Err(ErrorBody::new(
                    ErrorCode::AlreadyInRoom,
                    "You are already in another room; leave it first.",
                ))
            }
            None => false,
        };
        if !state.rooms.contains_key(&room_id) {
            let Some(Recreate {
                name: room_name,
                token,
            }) = req.recreate
            else {
                return Err(ErrorBody::new(
                    ErrorCode::NoSuchRoom,
                    "There is no such room on this host. It may have ended.",
                ));
            };
            if !self.key.check_room(&room_id, &token) {
                return Err(ErrorBody::new(
                    ErrorCode::BadToken,
                    "That room token does not belong to this room.",
                ));
            }
            let room_name = clean_name(&room_name, MAX_ROOM_NAME_CHARS, "recreate.name")?;
            if state.rooms.len() >= self.settings.max_rooms {
                return Err(ErrorBody::new(
                    ErrorCode::TooManyRooms,
                    "This host holds as many rooms as it can; try again later.",
                ));
            }
            tracing::info!(room = %room_id, %peer, "room recreated by a returning member");
            state.rooms.insert(
                room_id.clone(),
                Room {
                    name: room_name,
                    passcode: passcode.as_deref().map(digest),
                    listed: true,
                    members: Vec::new(),
                    unclaimed_since: Some(Instant::now()),
                },
            );
        }
        let room = state.rooms.get_mut(&room_id).expect("ensured above");
        if !rejoin {
            if let Some(expected) = room.passcode {
                if passcode.as_deref().map(digest) != Some(expected) {
                    return Err(ErrorBody::new(
                        ErrorCode::WrongPasscode,
                        "This room needs the right passcode.",
                    ));
                }
            }
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
        }
        let info = room_info(&room_id, room, capacity);
        let members = room.members.clone();
        let entry = state.peers.get_mut(&peer).ok_or_else(not_in_room)?;
        let before = entry.info.clone();
        entry.room = Some(room_id.clone());
        entry.watching = false;
        entry.watching_hosts = false;
        entry.info.name = name;
        entry.info.audio = req.audio.unwrap_or(true);
        entry.info.video = req.video.unwrap_or(true);
        let you = entry.info.clone();
        let peers: Vec<PeerInfo> = members
            .iter()
            .filter(|id| **id != peer)
            .filter_map(|id| state.peers.get(id).map(|p| p.info.clone()))
            .collect();
        let room_token = self.key.room_token(&room_id);
        self.send_locked(
            state,
            peer,
            text(&ServerMessage::ExistingPeers {
                room: info,
                you: you.clone(),
                peers,
                room_token,
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
        if !rejoin {
            tracing::debug!(room = %room_id, %peer, "peer joined");
            self.rooms_changed(state);
        }
        Ok(())
    }

    fn leave(&self, peer: PeerId) -> Result<(), ErrorBody> {
        let mut state = self.state.lock();
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
        if id.is_empty() || id.chars().count() > MAX_CHAT_ID_CHARS {
            return Err(invalid_field("id", "A chat id has 1 to 64 characters."));
        }
        let count = body.chars().count();
        if body.trim().is_empty() || count > MAX_CHAT_CHARS {
            return Err(invalid_field(
                "text",
                &format!("A chat message has 1 to {MAX_CHAT_CHARS} characters."),
            ));
        }
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

    fn update(
        &self,
        peer: PeerId,
        audio: Option<bool>,
        video: Option<bool>,
        name: Option<String>,
    ) -> Result<(), ErrorBody> {
        let name = name
            .map(|n| clean_name(&n, MAX_NAME_CHARS, "name"))
            .transpose()?;
        let mut state = self.state.lock();
        let entry = state.peers.get_mut(&peer).ok_or_else(not_in_room)?;
        let room = entry.room.clone().ok_or_else(not_in_room)?;
        if let Some(a) = audio {
            entry.info.audio = a;
        }
        if let Some(v) = video {
            entry.info.video = v;
        }
        if let Some(n) = name {
            entry.info.name = n;
        }
        let frame = text(&ServerMessage::PeerUpdated {
            peer: entry.info.clone(),
        });
        if let Some(r) = state.rooms.get(&room) {
            for id in &r.members {
                self.send_locked(&state, *id, frame.clone());
            }
        }
        Ok(())
    }

    /// Take `peer` out of `room`, tell the others, and drop the room if it is now empty.
    fn remove_member(&self, state: &mut State, room_id: &str, peer: PeerId, reason: LeaveReason) {
        let Some(room) = state.rooms.get_mut(room_id) else {
            return;
        };
        room.members.retain(|id| *id != peer);
        let members = room.members.clone();
        if members.is_empty() {
            state.rooms.remove(room_id);
            tracing::info!(room = %room_id, "room closed: last peer left");
        } else {
            let frame = text(&ServerMessage::PeerLeft {
                peer_id: peer,
                reason,
            });
            for id in &members {
                self.send_locked(state, *id, frame.clone());
            }
        }
        tracing::debug!(room = %room_id, %peer, ?reason, "peer left");
        self.rooms_changed(state);
    }

    /// Drop rooms that were created but never joined within [`ROOM_CLAIM_GRACE`].
    pub fn sweep_unclaimed(&self, now: Instant) {
        let mut state = self.state.lock();
        let before = state.rooms.len();
        state.rooms.retain(|_, room| {
            room.unclaimed_since
                .is_none_or(|since| now.duration_since(since) < ROOM_CLAIM_GRACE)
        });
        if state.rooms.len() != before {
            self.rooms_changed(&state);
        }
    }

    fn rooms_changed(&self, _state: &State) {
        self.rooms_version.send_modify(|v| *v += 1);
    }

    /// Send the current room list to every socket that asked to watch it.
    pub fn push_rooms_to_watchers(&self) {
        let state = self.state.lock();
        if !state.peers.values().any(|p| p.watching) {
            return;
        }
        let frame = text(&ServerMessage::Rooms {
            rooms: room_list(&state, self.capacity()),
        });
        for entry in state.peers.values().filter(|p| p.watching) {
            deliver(entry, frame.clone());
        }
    }

    /// Keep `frame` (a serialized `hosts` message, built once by the directory) as the LAN
    /// directory and push it to every socket that follows it. The hub never looks inside.
    pub fn publish_hosts(&self, frame: Utf8Bytes) {
        let mut state = self.state.lock();
        for entry in state.peers.values().filter(|p| p.watching_hosts) {
            deliver(entry, frame.clone());
        }
        state.hosts_frame = Some(frame);
    }

    /// The listed rooms, sorted by name.
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
            in_rooms: state.rooms.values().map(|r| r.members.len()).sum(),
        }
    }

    /// Tell every socket the host is going away, then close them all with 1001.
    pub fn close_all(&self, reason: &str) {
        let state = self.state.lock();
        let frame = text(&ServerMessage::Closing {
            reason: reason.to_string(),
        });
        for entry in state.peers.values() {
            let _ = entry.outbox.try_send(Outgoing::Text(frame.clone()));
            let _ = entry
                .outbox
                .try_send(Outgoing::Close(1001, "host shutting down"));
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

struct JoinRequest {
    room: String,
    name: String,
    passcode: Option<String>,
    audio: Option<bool>,
    video: Option<bool>,
    recreate: Option<Recreate>,
}

/// Queue a frame for a peer; a peer whose outbox is full is too slow to keep, and is dropped.
fn deliver(entry: &PeerEntry, frame: Utf8Bytes) {
    if let Err(mpsc::error::TrySendError::Full(_)) = entry.outbox.try_send(Outgoing::Text(frame)) {
        tracing::warn!(peer = %entry.info.id, "outbox full: dropping a client that does not read");
        entry.kill.cancel();
    }
}

/// Serialize a server message into a shareable frame.
pub fn text(msg: &ServerMessage) -> Utf8Bytes {
    Utf8Bytes::from(msg.to_json())
}

fn room_info(id: &str, room: &Room, capacity: usize) -> RoomInfo {
    RoomInfo {
        id: id.to_string(),
        name: room.name.clone(),
        peers: room.members.len(),
        capacity,
        locked: room.passcode.is_some(),
    }
}

fn room_list(state: &State, capacity: usize) -> Vec<RoomInfo> {
    let mut rooms: Vec<RoomInfo> = state
        .rooms
        .iter()
        .filter(|(_, r)| r.listed)
        .map(|(id, r)| room_info(id, r, capacity))
        .collect();
    rooms.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    rooms
}

fn not_in_room() -> ErrorBody {
    ErrorBody::new(ErrorCode::NotInRoom, "Join a room first.")
}

fn invalid_field(field: &str, message: &str) -> ErrorBody {
    let mut err = ErrorBody::new(ErrorCode::InvalidField, message);
    err.field = Some(field.to_string());
    err
}

/// Trim a name and check its length and characters.
fn clean_name(raw: &str, max: usize, field: &str) -> Result<String, ErrorBody> {
    let name = raw.trim();
    let count = name.chars().count();
    if count == 0 || count > max {
        return Err(invalid_field(
            field,
            &format!("A name must have 1 to {max} characters."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid_field(
            field,
            "A name cannot hold control characters.",
        ));
    }
    Ok(name.to_string())
}

/// An empty passcode means none.
fn clean_passcode(raw: Option<String>) -> Result<Option<String>, ErrorBody> {
    match raw {
        Some(p) if p.chars().count() > MAX_PASSCODE_CHARS => Err(invalid_field(
            "passcode",
            &format!("A passcode has at most {MAX_PASSCODE_CHARS} characters."),
        )),
        Some(p) if p.is_empty() => Ok(None),
        other => Ok(other),
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
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("  Ada ", 48, "name").unwrap(), "Ada");
        assert!(clean_name("   ", 48, "name").is_err());
        assert!(clean_name(&"x".repeat(49), 48, "name").is_err());
        assert!(clean_name("a\u{7}b", 48, "name").is_err());
    }
}
