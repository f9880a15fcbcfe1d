//! The wire protocol, version 1: every message a client may send and every message the host
//! sends back. Data only: no I/O and no room logic live here. `docs/protocol.md` is the
//! human-readable twin of this file; keep them in step.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The protocol version carried in `welcome` and in the mDNS TXT record.
pub const PROTOCOL_VERSION: u32 = 1;

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
/// At most this many rooms go into one `rooms` list (the first ones by name): the list a
/// lobby shows, and the work one `list-rooms` costs the host, never grow with the host.
pub const MAX_LISTED_ROOMS: usize = 500;

/// Close code for a frame that breaks RFC 6455 (unmasked, stray continuation, bad opcode).
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// Close code for a text frame that is not UTF-8.
pub const CLOSE_INVALID_DATA: u16 = 1007;
/// Close code for a policy violation: the flood limit.
pub const CLOSE_POLICY: u16 = 1008;
/// Close code for a frame over the size limit.
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code sent to a socket whose peer id was resumed elsewhere.
pub const CLOSE_REPLACED: u16 = 4000;

/// A peer's id: assigned by the host, never chosen by the client (a `resume` token only proves
/// a previous assignment).
pub type PeerId = Uuid;

/// A message from a client. Unknown fields are refused so that typos never pass silently.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Create a room; the sender is not joined to it.
    CreateRoom {
        /// The room's display name.
        name: String,
        /// A passcode every joiner must give.
        #[serde(default)]
        passcode: Option<String>,
        /// Whether the room shows in room lists (lobby, mDNS neighbours).
        #[serde(default = "default_true")]
        listed: bool,
        /// Newcomers wait until a moderator admits them (`waiting`).
        #[serde(default)]
        waiting_room: bool,
        /// @sfu: a large meeting: media goes through the host's SFU from the start.
        #[serde(default)]
        large: bool,
    },
    /// Join a room by id.
    Join {
        /// The room id.
        room: String,
        /// The joiner's display name.
        name: String,
        /// The room's passcode, if it has one.
        #[serde(default)]
        passcode: Option<String>,
        /// Whether the joiner's microphone is on.
        #[serde(default)]
        audio: Option<bool>,
        /// Whether the joiner's camera is on.
        #[serde(default)]
        video: Option<bool>,
        /// Bring the room back if the host lost it (restart), proven by its room token.
        #[serde(default)]
        recreate: Option<Recreate>,
    },
    /// Leave the current room.
    Leave {},
    /// Relay `data` to one peer of the sender's room.
    Signal {
        /// The target peer.
        to: PeerId,
        /// Opaque payload (the client's own JSON: SDP, candidates); never parsed by the host.
        data: String,
    },
    /// Change the sender's presence (mute, camera, name, and the meeting's screen, hand,
    /// recording).
    Update(PresenceUpdate),
    /// Ask for the list of listed rooms, optionally kept up to date.
    ListRooms {
        /// Push a fresh list after every change.
        #[serde(default)]
        watch: bool,
    },
    /// Follow the LAN directory (every host and its listed rooms): a `hosts` message now and
    /// after every change, until the socket joins a room or sends `on: false`.
    WatchHosts {
        /// Start (default) or stop following.
        #[serde(default = "default_true")]
        on: bool,
    },
    /// A chat message for everyone else in the room, relayed by the host. Clients also send
    /// chat over their data channels; this path reaches members that cannot hold a peer
    /// connection (a webview without WebRTC), and ids make the two paths idempotent.
    Chat {
        /// The message id (1–64 characters), the same on both paths.
        id: String,
        /// The text (1–4000 characters).
        text: String,
    },
    /// Application-level round trip.
    Ping {
        /// Echoed back in `pong`.
        #[serde(default)]
        nonce: Option<u64>,
    },
    // @meeting: screen share, hands, reactions
    /// A reaction (one of [`REACTIONS`]) floated over the sender's tile for everyone in the room.
    React {
        /// The emoji.
        emoji: String,
    },
    // @files: file offers, recording

    // @room-control: roles, waiting room, moderation
    /// Moderator: let one waiting person in (`peer`), or everyone waiting (no `peer`).
    Admit {
        /// Who; absent: everyone waiting.
        #[serde(default)]
        peer: Option<PeerId>,
    },
    /// Moderator: turn one waiting person away (`peer`), or everyone waiting (no `peer`).
    TurnAway {
        /// Who; absent: everyone waiting.
        #[serde(default)]
        peer: Option<PeerId>,
    },
    /// Moderator: make a member a moderator too.
    MakeModerator {
        /// The member.
        peer: PeerId,
    },
    /// Moderator: change the room's settings (absent fields stay as they are).
    RoomSettings {
        /// Newcomers wait to be admitted.
        #[serde(default)]
        waiting_room: Option<bool>,
        /// Nobody new may join, not even with the passcode.
        #[serde(default)]
        closed: Option<bool>,
        /// A member a moderator muted may not unmute until asked to.
        #[serde(default)]
        moderators_unmute: Option<bool>,
    },
    /// Moderator: turn one member's microphone off (`peer`), or everyone else's (no `peer`).
    Mute {
        /// Who; absent: everyone but the sender.
        #[serde(default)]
        peer: Option<PeerId>,
    },
    /// Moderator: ask one member (`peer`), or everyone else (no `peer`), to unmute.
    AskUnmute {
        /// Who; absent: everyone but the sender.
        #[serde(default)]
        peer: Option<PeerId>,
    },
    /// Moderator: turn a member's camera off.
    StopVideo {
        /// The member.
        peer: PeerId,
    },
    /// Moderator: stop a member's screen share.
    StopShare {
        /// The member.
        peer: PeerId,
    },
    /// Moderator: take a member out of the room; they come back only through the waiting room.
    Remove {
        /// The member.
        peer: PeerId,
    },
    /// Moderator: end the meeting for everyone, with one sentence shown to all.
    EndMeeting {
        /// The sentence (0–200 characters).
        #[serde(default)]
        message: Option<String>,
    },
    // @sfu: large meetings through the host
    /// An SDP offer for the sender's one connection to the host's SFU (its first, or a change of
    /// what it publishes).
    SfuOffer {
        /// The SDP.
        sdp: String,
        /// The first offer of a new RTCPeerConnection: the host drops the one it had.
        #[serde(default)]
        fresh: bool,
    },
    /// The SDP answer to the host's `sfu-offer`.
    SfuAnswer {
        /// The SDP.
        sdp: String,
    },
    /// How the sender shows the others' cameras now, in a large meeting: how tall each is (the
    /// host forwards the simulcast layer that fits), how many of the last speakers' cameras it
    /// wants, and which it wants whoever speaks. Each replaces the last; a member not listed
    /// in `sizes` is taken at 360.
    SfuView {
        /// Member → height (0: not shown, its camera is not sent), at most
        /// [`MAX_SFU_VIEW_ENTRIES`] entries, each at most [`MAX_SFU_VIEW_HEIGHT`].
        sizes: BTreeMap<PeerId, u32>,
        /// The cameras of this many of the last speakers (default [`DEFAULT_LAST_N`], at most
        /// [`MAX_SFU_VIEW_ENTRIES`]).
        #[serde(default = "default_last_n")]
        last_n: usize,
        /// Members whose camera it wants besides the last speakers (a pinned tile), at most
        /// [`MAX_SFU_PINNED`].
        #[serde(default)]
        pinned: Vec<PeerId>,
    },
    /// The sender's direct connection to `peer`, a member of its mesh room, never connected
    /// although their signals went through: the network lets both reach the host but not each
    /// other (an access point that isolates its clients). The host moves the room to its SFU.
    Unreachable {
        /// The member it cannot reach.
        peer: PeerId,
    },
    // @first-minutes: room status for the pre-join page
    /// Follow one room's status for its pre-join page: a `room-status` now and after every
    /// change (someone joins, leaves or renames; the room ends), until the socket joins a room,
    /// watches another one, or sends no `room`.
    WatchRoom {
        /// The room id; absent or null stops following.
        #[serde(default)]
        room: Option<String>,
    },
}

/// Longest sentence of `end-meeting`, in characters.
pub const MAX_END_MESSAGE_CHARS: usize = 200;

/// A room's settings, changed by its moderators (`room-settings`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSettings {
    /// Newcomers wait until a moderator admits them.
    pub waiting_room: bool,
    /// Nobody new may join, not even with the passcode.
    pub closed: bool,
    /// A member a moderator muted may not unmute until a moderator asks them to.
    pub moderators_unmute: bool,
}

/// What a moderator asked a member's client to do (`moderation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModAction {
    /// Your microphone was turned off.
    Mute,
    /// Please turn your microphone on.
    AskUnmute,
    /// Your camera was turned off.
    StopVideo,
    /// Stop sharing your screen.
    StopShare,
}

/// The body of `update`: absent fields leave the presence as it is.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceUpdate {
    /// Microphone on or off.
    #[serde(default)]
    pub audio: Option<bool>,
    /// Camera on or off.
    #[serde(default)]
    pub video: Option<bool>,
    /// A new display name.
    #[serde(default)]
    pub name: Option<String>,
    /// @meeting: the stream id (msid) of the screen I share now, or `null` when I stop;
    /// absent leaves it as it was.
    #[serde(default, deserialize_with = "nullable")]
    pub screen: Option<Option<String>>,
    /// @meeting: raise (`true`) or lower (`false`) my hand.
    #[serde(default)]
    pub hand: Option<bool>,
    /// @files: whether the sender is recording the meeting (everyone sees who records).
    #[serde(default)]
    pub recording: Option<bool>,
}

fn default_true() -> bool {
    true
}

/// A field that may be absent (`None`: leave it), `null` (`Some(None)`: clear it) or a value.
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// @meeting: the reactions a client may send (`react`); anything else is refused.
pub const REACTIONS: &[&str] = &["👍", "👏", "😂", "❤️", "🎉", "😮"];
/// @meeting: longest screen stream id (a WebRTC msid stream id is a 36-character UUID).
pub const MAX_SCREEN_ID_CHARS: usize = 64;

/// What a rejoining member presents to bring back a room its host forgot.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recreate {
    /// The room's display name.
    pub name: String,
    /// The `room_token` received in `existing-peers`.
    pub token: String,
    /// The `role_token` a moderator received: brings the role back too.
    #[serde(default)]
    pub role: Option<String>,
}

/// Every message `type` a client may send, for telling `unknown-type` from `bad-message`.
pub const CLIENT_TYPES: &[&str] = &[
    "create-room",
    "join",
    "leave",
    "signal",
    "update",
    "list-rooms",
    "watch-hosts",
    "chat",
    "ping",
    // @meeting
    "react",
    // @files

    // @room-control
    "admit",
    "turn-away",
    "make-moderator",
    "room-settings",
    "mute",
    "ask-unmute",
    "stop-video",
    "stop-share",
    "remove",
    "end-meeting",
    // @first-minutes
    "watch-room",
    // @sfu
    "sfu-offer",
    "sfu-answer",
    "sfu-view",
    "unreachable",
];

/// @sfu: the most members one `sfu-view` lists.
pub const MAX_SFU_VIEW_ENTRIES: usize = 256;
/// @sfu: the tallest tile one `sfu-view` may give (device pixels: an 8K screen).
pub const MAX_SFU_VIEW_HEIGHT: u32 = 4320;
/// @sfu: how many of the last speakers' cameras a member of a large meeting receives until its
/// `sfu-view` says (a grid of three by three).
pub const DEFAULT_LAST_N: usize = 9;
/// @sfu: the most members one `sfu-view` pins.
pub const MAX_SFU_PINNED: usize = 16;

fn default_last_n() -> usize {
    DEFAULT_LAST_N
}

/// @sfu: how a room's media travels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoomMedia {
    /// Every member connects to every other (the default).
    #[default]
    Mesh,
    /// Every member connects to the host, which forwards the media (a large meeting).
    Sfu,
}

/// @sfu: why the host moved a room's media to its SFU (`room-media`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MediaReason {
    /// The room reached the host's `--sfu-threshold` head count.
    Size,
    /// Members of the room could not reach each other directly (`unreachable`), though each
    /// reaches the host.
    Reach,
}

/// @sfu: where the host's SFU listens (in `welcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SfuInfo {
    /// The UDP port every client's connection to the host uses.
    pub port: u16,
}

/// @sfu: one m-line the host sends a client, and whose media it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SfuTrack {
    /// The m-line's mid.
    pub mid: String,
    /// The member whose media it is.
    pub peer: PeerId,
    /// `audio` or `video`.
    pub kind: String,
}

/// A room as others see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    /// Room id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Head count.
    pub peers: usize,
    /// How many peers it holds at most.
    pub capacity: usize,
    /// Whether it needs a passcode.
    pub locked: bool,
    // @room-control
    /// Whether a moderator closed it to newcomers (even with the passcode).
    #[serde(default)]
    pub closed: bool,
    /// Whether newcomers wait to be admitted.
    #[serde(default)]
    pub waiting_room: bool,
    /// @sfu: how its media travels.
    #[serde(default)]
    pub media: RoomMedia,
}

/// A moim host as the lobby lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostEntry {
    /// Stable id (from its key).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether this is the host answering.
    #[serde(rename = "self")]
    pub is_self: bool,
    /// Where guests reach it.
    pub url: String,
    /// Its certificate fingerprint (hex), if it speaks HTTPS.
    pub fingerprint: Option<String>,
    /// Its listed rooms.
    pub rooms: Vec<RoomInfo>,
}

/// A peer as the others in its room see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerInfo {
    /// Peer id.
    pub id: PeerId,
    /// Display name.
    pub name: String,
    /// Microphone on.
    pub audio: bool,
    /// Camera on.
    pub video: bool,
    /// @meeting: the stream id (msid) of the screen this peer shares, if it shares one.
    #[serde(default)]
    pub screen: Option<String>,
    /// @meeting: the place of this peer's raised hand in the room's order of raised hands
    /// (smaller: raised earlier), or `null` when the hand is down.
    #[serde(default)]
    pub hand: Option<u64>,
    // @room-control
    /// A moderator of the room.
    #[serde(default)]
    pub moderator: bool,
    /// @files: recording the meeting on its own machine (false when it joins a room).
    #[serde(default)]
    pub recording: bool,
}

impl PeerInfo {
    /// A peer as it starts: `name`, microphone and camera on, nothing shared or raised, no role.
    pub fn new(id: PeerId, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            audio: true,
            video: true,
            screen: None,
            hand: None,
            moderator: false,
            recording: false,
        }
    }
}

/// An ICE server handed to clients (the `RTCIceServer` dictionary).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    /// STUN or TURN URLs.
    pub urls: Vec<String>,
    /// TURN user name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Who this host is, in `welcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    /// The host's display name.
    pub name: String,
    /// moim's version.
    pub version: String,
}

/// The limits a client should respect, in `welcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireLimits {
    /// Room capacity.
    pub max_peers_per_room: usize,
    /// Largest `signal.data`.
    pub max_signal_bytes: usize,
    /// Largest frame.
    pub max_frame_bytes: usize,
    /// Sustained messages per second.
    pub msg_rate: u32,
    /// Messages allowed at once.
    pub msg_burst: u32,
}

/// Why a peer left a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeaveReason {
    /// It sent `leave`.
    Left,
    /// Its socket closed.
    Closed,
    /// It stopped answering pings (or, on the event stream, stopped posting).
    Timeout,
    /// A moderator removed it.
    Removed,
}

/// A message from the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ServerMessage {
    /// First frame on every socket.
    Welcome {
        /// This socket's peer id.
        peer_id: PeerId,
        /// Token for `/ws?resume=`.
        resume: String,
        /// [`PROTOCOL_VERSION`].
        protocol: u32,
        /// The host.
        host: HostInfo,
        /// ICE servers for RTCPeerConnection (none by default on a LAN).
        ice_servers: Vec<IceServer>,
        /// Limits.
        limits: WireLimits,
        /// @sfu: the host's SFU, when it runs one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sfu: Option<SfuInfo>,
    },
    /// Answer to `create-room`.
    RoomCreated {
        /// The new room.
        room: RoomInfo,
    },
    /// Answer to `join`: who is already there.
    ExistingPeers {
        /// The room.
        room: RoomInfo,
        /// The joiner as the others see it.
        you: PeerInfo,
        /// Everyone else in the room.
        peers: Vec<PeerInfo>,
        /// Proof of membership, for `recreate` after a host restart.
        room_token: String,
        /// The room's settings.
        settings: RoomSettings,
        /// For a moderator: proof of the role, for `recreate.role` after a host restart.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role_token: Option<String>,
    },
    /// Someone joined the room.
    PeerJoined {
        /// The newcomer.
        peer: PeerInfo,
    },
    /// Someone changed presence.
    PeerUpdated {
        /// The peer, as it is now.
        peer: PeerInfo,
    },
    /// Someone left the room.
    PeerLeft {
        /// Who.
        peer_id: PeerId,
        /// Why.
        reason: LeaveReason,
    },
    /// Answer to `leave`.
    Left {
        /// The room left.
        room: String,
    },
    /// A relayed signal.
    Signal {
        /// The sender, stamped by the host.
        from: PeerId,
        /// The payload, as sent.
        data: String,
    },
    /// The listed rooms.
    Rooms {
        /// Sorted by name.
        rooms: Vec<RoomInfo>,
    },
    /// The LAN directory, whole: this host first, then every reachable host mDNS found.
    Hosts {
        /// Whether this host looks for others on the LAN at all.
        mdns: bool,
        /// The hosts with their listed rooms.
        hosts: Vec<HostEntry>,
    },
    /// A chat message relayed from another member of the room.
    Chat {
        /// The sender, stamped by the host.
        from: PeerId,
        /// The sender's display name.
        name: String,
        /// The message id.
        id: String,
        /// The text.
        text: String,
        /// When the host relayed it, in milliseconds since the Unix epoch.
        time: u64,
    },
    /// Answer to `ping`.
    Pong {
        /// The ping's nonce.
        #[serde(skip_serializing_if = "Option::is_none")]
        nonce: Option<u64>,
    },
    /// Something the client sent was refused.
    Error(ErrorBody),
    /// The host is shutting down.
    Closing {
        /// Why.
        reason: String,
    },
    // @meeting: screen share, hands, reactions
    /// A reaction from another member of the room (`react`, relayed).
    Reaction {
        /// The sender, stamped by the host.
        from: PeerId,
        /// The emoji.
        emoji: String,
    },
    // @files: file offers, recording

    // @room-control: roles, waiting room, moderation
    /// Answer to `join` in a waiting room: wait for a moderator (nothing of the room arrives).
    Waiting {
        /// The room id.
        room: String,
        /// Its display name.
        name: String,
        /// The waiting person as moderators see them.
        you: PeerInfo,
    },
    /// To moderators: everyone waiting now, in the order they knocked.
    WaitingList {
        /// The waiting people.
        peers: Vec<PeerInfo>,
    },
    /// To a waiting person: a moderator turned them away (or the room ended).
    TurnedAway {
        /// The room id.
        room: String,
    },
    /// To a member who became a moderator.
    Promoted {
        /// The moderator who did it; absent when the role was handed on automatically.
        #[serde(skip_serializing_if = "Option::is_none")]
        by: Option<PeerId>,
        /// Proof of the role, for `recreate.role` after a host restart.
        role_token: String,
    },
    /// To every member: a moderator changed the room's settings.
    RoomSettings {
        /// The settings now.
        settings: RoomSettings,
        /// Who changed them.
        by: PeerId,
    },
    /// To one member: what a moderator asked their client to do.
    Moderation {
        /// What.
        action: ModAction,
        /// The moderator.
        by: PeerId,
        /// The moderator's display name.
        name: String,
    },
    /// To a member a moderator removed: they are out of the room.
    Removed {
        /// The room id.
        room: String,
        /// The moderator.
        by: PeerId,
        /// The moderator's display name.
        name: String,
    },
    /// To everyone in the room (and waiting): a moderator ended the meeting.
    MeetingEnded {
        /// The room id.
        room: String,
        /// The moderator.
        by: PeerId,
        /// The moderator's display name.
        name: String,
        /// The moderator's sentence (may be empty).
        message: String,
    },
    // @sfu: large meetings through the host
    /// The host's SDP offer for the client's connection to the SFU (the tracks it forwards
    /// changed), or its answer to the client's `sfu-offer`.
    SfuOffer {
        /// The SDP.
        sdp: String,
        /// Whose media each of the host's m-lines carries, once this offer is applied.
        tracks: Vec<SfuTrack>,
    },
    /// The host's SDP answer to the client's `sfu-offer`.
    SfuAnswer {
        /// The SDP.
        sdp: String,
        /// Whose media each of the host's m-lines carries.
        tracks: Vec<SfuTrack>,
    },
    /// Whose cameras the host sends the client now (the last speakers its `sfu-view` asked for,
    /// and those it pinned); the others' cameras are not sent. Said when it changes.
    SfuForwarded {
        /// The members, the most recent speaker first, then the pinned ones.
        peers: Vec<PeerId>,
    },
    /// The room's media moved to the host's SFU: every member opens its connection to the host
    /// and closes its direct ones once the host forwards the others' media.
    #[serde(rename = "room-media")]
    MediaMoved {
        /// How the room's media travels now (`sfu`).
        media: RoomMedia,
        /// Why.
        reason: MediaReason,
        /// The room's new token (a large meeting's binds that), for `recreate`.
        room_token: String,
        /// The room's capacity now.
        capacity: usize,
    },
    // @first-minutes: room status for the pre-join page
    /// One room as its pre-join page sees it (answer to `watch-room`, and after every change).
    RoomStatus(RoomStatus),
}

// @first-minutes
/// What a pre-join page may know of a room before joining it: what the lobby shows of a listed
/// room (name, head count, capacity, whether a passcode is needed), and the names of the people
/// in it only when the room needs no passcode (whoever holds its id could join and see them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomStatus {
    /// The room id asked about.
    pub room: String,
    /// The room's display name ('' when gone).
    pub name: String,
    /// The names of the people in it, in the order they joined (empty when a passcode hides
    /// them).
    pub peers: Vec<String>,
    /// Head count.
    pub count: usize,
    /// How many people it holds at most.
    pub capacity: usize,
    /// Whether it holds its capacity already.
    pub full: bool,
    /// Whether it needs a passcode.
    pub passcode: bool,
    /// Whether a moderator closed it to newcomers (`room-settings.closed`): a join is refused.
    pub locked: bool,
    /// Whether newcomers wait in its waiting room until a moderator admits them.
    pub waiting_room: bool,
    /// Whether there is no such room on this host (it ended, or never was).
    pub gone: bool,
}

/// The body of an `error` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// A sentence for people.
    pub message: String,
    /// For `room-full`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<usize>,
    /// For `too-large`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// For `invalid-field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `unknown-type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
    /// For `try-later`: milliseconds until the budget allows another attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u32>,
}

/// Every error code, as documented in `docs/protocol.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    /// Not a JSON object.
    BadJson,
    /// Missing or unknown `type`.
    UnknownType,
    /// Missing, unknown or mistyped field.
    BadMessage,
    /// A binary frame.
    BadFrame,
    /// A field out of bounds.
    InvalidField,
    /// `signal.data` too large.
    TooLarge,
    /// No such room.
    NoSuchRoom,
    /// The room is full.
    RoomFull,
    /// Missing or wrong passcode.
    WrongPasscode,
    /// A room token that does not match.
    BadToken,
    /// Already in a room.
    AlreadyInRoom,
    /// Not in a room.
    NotInRoom,
    /// Target not in the sender's room.
    UnknownPeer,
    /// Too many messages.
    RateLimited,
    /// The host holds its maximum of rooms.
    TooManyRooms,
    /// A room on another host was asked for through this one, and that host cannot be reached.
    HostUnreachable,
    /// This address spent its budget (room creation, passcode attempts); wait `retry_after_ms`.
    TryLater, // @room-control
    /// A moderator action from someone without the role (or an unmute a moderator must allow).
    NotAllowed,
    /// A moderator closed the room to newcomers.
    RoomClosed,
    // @first-minutes
    // @sfu
    /// An `sfu-offer` or `sfu-answer` in a room whose media is a mesh, or on a host without SFU.
    NotSfuRoom,
    /// An SDP the SFU cannot parse or accept.
    BadSdp,
}

impl ErrorBody {
    /// An error with just a code and a sentence.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            capacity: None,
            limit: None,
            field: None,
            got: None,
            retry_after_ms: None,
        }
    }

    /// An `invalid-field` error naming the field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut err = Self::new(ErrorCode::InvalidField, message);
        err.field = Some(field.to_string());
        err
    }

    /// A `try-later` error: `what` has spent its budget for `wait`.
    pub fn try_later(what: &str, wait: std::time::Duration) -> Self {
        let ms = u32::try_from(wait.as_millis()).unwrap_or(u32::MAX).max(1);
        let mut err = Self::new(
            ErrorCode::TryLater,
            format!(
                "Too many {what} from this address; try again in {} s.",
                ms.div_ceil(1000)
            ),
        );
        err.retry_after_ms = Some(ms);
        err
    }
}

/// What a text field is, for [`check_text`]: each kind has one rule, stated in
/// `docs/protocol.md` ("Text fields").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A display name or room name: trimmed; no control, bidi or invisible format characters;
    /// at least one visible character.
    Name,
    /// A passcode: compared exactly as sent (not trimmed); no control, bidi or invisible
    /// format characters. Empty means none.
    Passcode,
    /// A chat message id: no whitespace, control, bidi or invisible format characters.
    Id,
    /// Chat text: line feeds and tabs allowed, no other control character, no bidi
    /// embedding, override or isolate; at least one visible character.
    Chat,
}

/// Bidi embeddings, overrides and isolates: they reorder whatever the page shows after them,
/// so a name could pose as another. (Marks, U+200E/U+200F/U+061C, only nudge neutral
/// characters and are refused only where every format character is.)
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing: format characters (zero-width space and joiners, word
/// joiner, BOM, soft hyphen, bidi marks, Mongolian vowel separator, invisible operators),
/// the combining grapheme joiner, variation selectors and tag characters.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}'
        | '\u{206A}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E0FFF}')
        || is_bidi_control(c)
}

/// Whether `c` shows something: neither white space nor invisible.
fn is_visible(c: char) -> bool {
    !c.is_whitespace() && !is_invisible(c) && !c.is_control()
}

/// The one validation of every text field a client sends (names, passcodes, chat ids and
/// text): the value to use, or an `invalid-field` error naming `field`.
pub fn check_text(
    field: &str,
    raw: &str,
    kind: TextKind,
    max_chars: usize,
) -> Result<String, ErrorBody> {
    let value = match kind {
        TextKind::Name | TextKind::Chat => raw.trim(),
        TextKind::Passcode | TextKind::Id => raw,
    };
    let count = value.chars().count();
    let min = usize::from(kind != TextKind::Passcode);
    if count < min || count > max_chars {
        return Err(ErrorBody::invalid_field(
            field,
            format!("`{field}` must have {min} to {max_chars} characters."),
        ));
    }
    for c in value.chars() {
        let refused = match kind {
            TextKind::Chat => (c.is_control() && c != '\n' && c != '\t') || is_bidi_control(c),
            TextKind::Id => c.is_control() || c.is_whitespace() || is_invisible(c),
            TextKind::Name | TextKind::Passcode => {
                // Zero-width joiners hold emoji sequences and some scripts together.
                c.is_control() || (is_invisible(c) && c != '\u{200C}' && c != '\u{200D}')
            }
        };
        if refused {
            return Err(ErrorBody::invalid_field(
                field,
                format!(
                    "`{field}` cannot hold U+{:04X} (control, bidi and invisible characters are refused).",
                    u32::from(c)
                ),
            ));
        }
    }
    if matches!(kind, TextKind::Name | TextKind::Chat) && !value.chars().any(is_visible) {
        return Err(ErrorBody::invalid_field(
            field,
            format!("`{field}` must show at least one visible character."),
        ));
    }
    Ok(value.to_string())
}

impl ServerMessage {
    /// Serialize to the text of a frame.
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: every map key is a string.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// A `signal` frame read without decoding its payload: `data` is the JSON string exactly as it
/// came, so the host can splice it into the relayed frame (the payload is opaque to the host,
/// and unescaping it only to escape it again was about 40 % of a relay's instructions).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSignal<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    /// The target peer.
    pub to: PeerId,
    /// The payload: a JSON string literal, quotes and escapes included.
    #[serde(borrow)]
    pub data: &'a serde_json::value::RawValue,
}

/// The fast path for the most frequent frame: `Some` only for a well-formed `signal` whose
/// payload is a string that is surely within [`crate::config::MAX_SIGNAL_BYTES`] (its raw
/// form is no longer than that plus its quotes). Anything else, including every frame that
/// would be refused, goes through [`decode`], which gives the error.
pub fn raw_signal(text: &str) -> Option<RawSignal<'_>> {
    let s: RawSignal = serde_json::from_str(text).ok()?;
    let raw = s.data.get();
    (s.kind == "signal" && raw.starts_with('"') && raw.len() <= crate::config::MAX_SIGNAL_BYTES + 2)
        .then_some(s)
}

/// The relayed `signal` frame for a [`RawSignal`]'s payload: the same bytes as
/// `ServerMessage::Signal` serialized, for any payload serde itself wrote.
pub fn raw_signal_frame(from: PeerId, data: &serde_json::value::RawValue) -> String {
    format!(
        r#"{{"type":"signal","from":"{from}","data":{}}}"#,
        data.get()
    )
}

/// Decode one text frame, telling apart the three ways it can be wrong.
pub fn decode(text: &str) -> Result<ClientMessage, ErrorBody> {
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(msg) => Ok(msg),
        Err(err) => Err(classify(text, &err)),
    }
}

/// Only on the error path: look at the frame again to give the most useful code.
fn classify(text: &str, err: &serde_json::Error) -> ErrorBody {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return ErrorBody::new(ErrorCode::BadJson, "The message is not valid JSON."),
    };
    let Some(obj) = value.as_object() else {
        return ErrorBody::new(ErrorCode::BadJson, "The message must be a JSON object.");
    };
    match obj.get("type").and_then(|t| t.as_str()) {
        Some(t) if CLIENT_TYPES.contains(&t) => {
            ErrorBody::new(ErrorCode::BadMessage, format!("Bad `{t}` message: {err}"))
        }
        other => {
            let mut body =
                ErrorBody::new(ErrorCode::UnknownType, "The message has no known `type`.");
            // Echoed back, so only printable ASCII of it.
            body.got = other.map(|s| {
                s.chars()
                    .filter(|c| c.is_ascii_graphic() || *c == ' ')
                    .take(64)
                    .collect()
            });
            body
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_client_message() {
        let id = Uuid::new_v4();
        let cases = [
            r#"{"type":"create-room","name":"standup"}"#.to_string(),
            r#"{"type":"join","room":"r","name":"n","passcode":"p","audio":false}"#.to_string(),
            r#"{"type":"leave"}"#.to_string(),
            format!(r#"{{"type":"signal","to":"{id}","data":"{{}}"}}"#),
            r#"{"type":"update","video":false}"#.to_string(),
            r#"{"type":"list-rooms","watch":true}"#.to_string(),
            r#"{"type":"ping","nonce":7}"#.to_string(),
            r#"{"type":"update","screen":"s-1","hand":true}"#.to_string(),
            r#"{"type":"react","emoji":"👍"}"#.to_string(),
            r#"{"type":"create-room","name":"class","large":true}"#.to_string(),
            r#"{"type":"sfu-offer","sdp":"v=0","fresh":true}"#.to_string(),
            r#"{"type":"sfu-answer","sdp":"v=0"}"#.to_string(),
            format!(r#"{{"type":"unreachable","peer":"{id}"}}"#),
            format!(r#"{{"type":"sfu-view","sizes":{{"{id}":180}}}}"#),
            format!(r#"{{"type":"sfu-view","sizes":{{}},"last_n":4,"pinned":["{id}"]}}"#),
        ];
        for case in cases {
            assert!(decode(&case).is_ok(), "{case}");
        }
    }

    #[test]
    fn classifies_bad_frames() {
        assert_eq!(decode("{nope").unwrap_err().code, ErrorCode::BadJson);
        assert_eq!(decode("[1]").unwrap_err().code, ErrorCode::BadJson);
        let e = decode(r#"{"type":"dance"}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownType);
        assert_eq!(e.got.as_deref(), Some("dance"));
        assert_eq!(
            decode(r#"{"x":1}"#).unwrap_err().code,
            ErrorCode::UnknownType
        );
        assert_eq!(
            decode(r#"{"type":"join","room":"r"}"#).unwrap_err().code,
            ErrorCode::BadMessage
        );
        assert_eq!(
            decode(r#"{"type":"leave","extra":1}"#).unwrap_err().code,
            ErrorCode::BadMessage
        );
        assert_eq!(
            decode(r#"{"type":"signal","to":"not-a-uuid","data":""}"#)
                .unwrap_err()
                .code,
            ErrorCode::BadMessage
        );
    }

    #[test]
    fn text_fields_have_one_rule() {
        let name = |s: &str| check_text("name", s, TextKind::Name, 48);
        assert_eq!(name("  Ada ").unwrap(), "Ada");
        assert_eq!(name("모임 🎥").unwrap(), "모임 🎥");
        assert_eq!(name("👩\u{200D}💻").unwrap(), "👩\u{200D}💻", "ZWJ emoji");
        for bad in [
            "",
            "   ",
            "a\u{7}b",
            "\u{202E}evil",
            "\u{200B}\u{200B}",
            "\u{FEFF}",
            "a\u{0}",
        ] {
            assert!(name(bad).is_err(), "{bad:?}");
        }
        assert!(name(&"x".repeat(49)).is_err());
        let pass = |s: &str| check_text("passcode", s, TextKind::Passcode, 64);
        assert_eq!(pass(" s3 ").unwrap(), " s3 ", "passcodes are exact");
        assert_eq!(pass("").unwrap(), "");
        assert!(pass("a\u{0}").is_err() && pass("\u{7}").is_err() && pass("\u{2066}x").is_err());
        let id = |s: &str| check_text("id", s, TextKind::Id, 64);
        assert!(id("m-1").is_ok());
        assert!(id("a\u{0}\nb").is_err() && id("a b").is_err() && id("").is_err());
        let chat = |s: &str| check_text("text", s, TextKind::Chat, 4000);
        assert_eq!(chat("line\n\tnext").unwrap(), "line\n\tnext");
        assert!(chat("a\u{0}").is_err() && chat("\u{202D}x").is_err() && chat("\u{200B}").is_err());
    }

    #[test]
    fn the_raw_signal_path_takes_only_what_decode_would_relay() {
        let to = Uuid::new_v4();
        let ok = format!(r#"{{"type":"signal","to":"{to}","data":"{{\"sdp\":\"v=0\\r\\n\"}}"}}"#);
        let s = raw_signal(&ok).expect("a plain signal");
        assert_eq!(s.to, to);
        assert!(decode(&ok).is_ok());
        let long = "x".repeat(crate::config::MAX_SIGNAL_BYTES + 1);
        let refused = [
            format!(r#"{{"type":"signal","to":"{to}","data":5}}"#),
            format!(r#"{{"type":"signal","to":"{to}","data":"a","x":1}}"#),
            format!(r#"{{"type":"signal","to":"{to}","to":"{to}","data":"a"}}"#),
            r#"{"type":"signal","to":"nope","data":"a"}"#.to_string(),
            format!(r#"{{"type":"signal","to":"{to}","data":"{long}"}}"#),
            format!(r#"{{"type":"chat","to":"{to}","data":"a"}}"#),
            r#"{"type":"signal""#.to_string(),
        ];
        for f in &refused {
            assert!(raw_signal(f).is_none(), "{f}");
        }
        // The relayed frame is what the slow path writes, byte for byte.
        let from = Uuid::new_v4();
        for payload in [
            "",
            "v=0\r\nm=audio 9 \"x\" \\ é 모임 \u{1}",
            "{\"candidate\":\"a\"}",
        ] {
            let frame = format!(
                r#"{{"type":"signal","to":"{to}","data":{}}}"#,
                serde_json::to_string(payload).unwrap()
            );
            let s = raw_signal(&frame).unwrap();
            let slow = ServerMessage::Signal {
                from,
                data: payload.to_string(),
            }
            .to_json();
            assert_eq!(raw_signal_frame(from, s.data), slow);
        }
        // An escaped `type` is still a signal, by the slow path.
        let escaped = format!(r#"{{"type":"sign\u0061l","to":"{to}","data":"a"}}"#);
        assert!(raw_signal(&escaped).is_none());
        assert!(matches!(decode(&escaped), Ok(ClientMessage::Signal { .. })));
    }

    #[test]
    fn update_refuses_unknown_fields_like_every_message() {
        assert!(decode(r#"{"type":"update","audio":true}"#).is_ok());
        assert!(decode(r#"{"type":"update","audoi":true}"#).is_err());
    }

    #[test]
    fn screen_may_be_absent_null_or_set() {
        let screen = |json: &str| match decode(json).unwrap() {
            ClientMessage::Update(u) => u.screen,
            other => panic!("{other:?}"),
        };
        assert_eq!(screen(r#"{"type":"update","audio":true}"#), None);
        assert_eq!(screen(r#"{"type":"update","screen":null}"#), Some(None));
        assert_eq!(
            screen(r#"{"type":"update","screen":"abc"}"#),
            Some(Some("abc".into()))
        );
        assert_eq!(
            decode(r#"{"type":"update","screen":5}"#).unwrap_err().code,
            ErrorCode::BadMessage
        );
    }

    #[test]
    fn server_messages_are_tagged_kebab_case() {
        let msg = ServerMessage::PeerLeft {
            peer_id: Uuid::nil(),
            reason: LeaveReason::Timeout,
        };
        let json = msg.to_json();
        assert!(json.contains(r#""type":"peer-left""#), "{json}");
        assert!(json.contains(r#""reason":"timeout""#), "{json}");
        let err = ServerMessage::Error(ErrorBody::new(ErrorCode::RoomFull, "full")).to_json();
        assert!(err.contains(r#""type":"error""#) && err.contains(r#""code":"room-full""#));
    }
}
