//! @sfu: the hub's part of large meetings: which rooms send their media through the host's
//! SFU, their members' `sfu-offer` and `sfu-answer` (checked here, handed to the SFU), what the
//! SFU says back, and telling it who is out of a room.

use super::{not_in_room, text, Hub, Room, State};

use crate::config::MAX_SFU_SDP_BYTES;
use crate::protocol::{
    ErrorBody, ErrorCode, MediaReason, PeerId, RoomMedia, ServerMessage, SfuInfo, MAX_SFU_PINNED,
    MAX_SFU_VIEW_ENTRIES, MAX_SFU_VIEW_HEIGHT,
};

/// A large meeting's room token starts with the first when it is listed, the second when not
/// (a mesh room's with `l` or `u`).
pub(super) const LARGE_MARKS: [char; 2] = ['L', 'U'];

/// How many people a room holds: a mesh room, a large meeting.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Capacity {
    pub mesh: usize,
    pub large: usize,
}

impl Capacity {
    pub(super) fn of(self, room: &Room) -> usize {
        match room.media {
            RoomMedia::Mesh => self.mesh,
            RoomMedia::Sfu => self.large,
        }
    }
}

/// The media of a new room: `create-room.large` asks for the SFU from the start.
pub(super) fn media_of(large: bool) -> RoomMedia {
    if large {
        RoomMedia::Sfu
    } else {
        RoomMedia::Mesh
    }
}

impl Hub {
    /// The server started the SFU: large meetings can be held from now on.
    pub(crate) fn set_sfu(&self, sfu: crate::sfu::Sfu) {
        let _ = self.sfu.set(sfu);
    }

    /// Whether one more member brings mesh room `room` to the SFU threshold (and the host has
    /// an SFU to move it to).
    pub(super) fn grows_into_sfu(&self, room: &Room) -> bool {
        let threshold = self.settings.sfu_threshold;
        room.media == RoomMedia::Mesh
            && threshold > 0
            && room.members.len() + 1 >= threshold
            && self.sfu.get().is_some()
    }

    /// Move mesh room `room_id`'s media to the SFU, for `reason`: its members but `newcomer`
    /// (who brought it to the threshold, [`Hub::grows_into_sfu`], in the same lock; its
    /// `existing-peers` says so) hear `room-media` with the room's new token; whoever lists or
    /// watches the room sees its new capacity.
    pub(super) fn move_to_sfu(
        &self,
        state: &mut State,
        room_id: &str,
        reason: MediaReason,
        newcomer: Option<PeerId>,
    ) {
        let capacity = self.capacity();
        let Some(room) = state.rooms.get_mut(room_id) else {
            return;
        };
        room.media = RoomMedia::Sfu;
        let frame = text(&ServerMessage::MediaMoved {
            media: RoomMedia::Sfu,
            reason,
            room_token: self.room_token(room_id, room),
            capacity: capacity.of(room),
        });
        let members = room.members.clone();
        tracing::info!(room = %room_id, people = members.len(), ?reason, "room moved to the SFU");
        for id in members.iter().filter(|id| Some(**id) != newcomer) {
            self.send_locked(state, *id, frame.clone());
        }
        self.status_changed(state, room_id);
        self.rooms_changed(state);
    }

    /// `unreachable`: `peer`'s direct connection to `other`, a member of its room, never came
    /// up although both reach the host. A mesh room moves to the SFU, where everyone connects
    /// to the host only (whatever the size threshold: such a room cannot meet otherwise). A
    /// large meeting, or a host without an SFU, has nothing to do.
    pub(super) fn unreachable(&self, peer: PeerId, other: PeerId) -> Result<(), ErrorBody> {
        let mut state = self.state.lock();
        let (room_id, room) = room_of(&state, peer)?;
        if other == peer || !room.members.contains(&other) {
            return Err(ErrorBody::new(
                ErrorCode::UnknownPeer,
                "That peer is not in your room.",
            ));
        }
        if room.media == RoomMedia::Mesh && self.sfu.get().is_some() {
            let room_id = room_id.to_string();
            tracing::info!(room = %room_id, %peer, %other, "members cannot reach each other");
            self.move_to_sfu(&mut state, &room_id, MediaReason::Reach, None);
        }
        Ok(())
    }

    /// Where the SFU listens, for `welcome`.
    pub(super) fn sfu_info(&self) -> Option<SfuInfo> {
        self.sfu.get().map(|s| SfuInfo { port: s.port() })
    }

    /// `sfu-offer` (`offer`: whether it is `fresh`) or `sfu-answer` (`None`) from `peer`: only a
    /// member of a large meeting speaks to the SFU; the SFU answers on its own (an
    /// `sfu-answer`, or `bad-sdp`).
    pub(super) fn sfu_signal(
        &self,
        peer: PeerId,
        sdp: String,
        offer: Option<bool>,
    ) -> Result<(), ErrorBody> {
        if sdp.len() > MAX_SFU_SDP_BYTES {
            let mut err = ErrorBody::new(
                ErrorCode::TooLarge,
                format!("An SDP is limited to {MAX_SFU_SDP_BYTES} bytes."),
            );
            err.limit = Some(MAX_SFU_SDP_BYTES);
            return Err(err);
        }
        let state = self.state.lock();
        let (room_id, sfu) = self.large_meeting_of(&state, peer)?;
        match offer {
            Some(fresh) => sfu.offer(peer, room_id, sdp, fresh),
            None => sfu.answer(peer, sdp),
        }
        Ok(())
    }

    /// `sfu-view` from `peer`: how tall it shows each member's camera and whose it wants, for
    /// the SFU's choice of cameras and layers. Only a member of a large meeting says it.
    pub(super) fn sfu_view(&self, peer: PeerId, view: crate::sfu::View) -> Result<(), ErrorBody> {
        let sizes = &view.sizes;
        if view.last_n > MAX_SFU_VIEW_ENTRIES {
            let mut err = ErrorBody::invalid_field(
                "last_n",
                format!("At most the last {MAX_SFU_VIEW_ENTRIES} speakers can be asked for."),
            );
            err.limit = Some(MAX_SFU_VIEW_ENTRIES);
            return Err(err);
        }
        if view.pinned.len() > MAX_SFU_PINNED {
            let mut err = ErrorBody::invalid_field(
                "pinned",
                format!("A view pins at most {MAX_SFU_PINNED} members."),
            );
            err.limit = Some(MAX_SFU_PINNED);
            return Err(err);
        }
        if sizes.len() > MAX_SFU_VIEW_ENTRIES {
            let mut err = ErrorBody::invalid_field(
                "sizes",
                format!("A view lists at most {MAX_SFU_VIEW_ENTRIES} members."),
            );
            err.limit = Some(MAX_SFU_VIEW_ENTRIES);
            return Err(err);
        }
        if sizes.values().any(|h| *h > MAX_SFU_VIEW_HEIGHT) {
            return Err(ErrorBody::invalid_field(
                "sizes",
                format!("A tile is at most {MAX_SFU_VIEW_HEIGHT} pixels tall."),
            ));
        }
        let state = self.state.lock();
        let (_, sfu) = self.large_meeting_of(&state, peer)?;
        sfu.view(peer, view);
        Ok(())
    }

    /// The room `peer` is in, and the SFU, when that room is a large meeting.
    fn large_meeting_of<'a>(
        &'a self,
        state: &'a State,
        peer: PeerId,
    ) -> Result<(&'a str, &'a crate::sfu::Sfu), ErrorBody> {
        let (room_id, room) = room_of(state, peer)?;
        match (room.media, self.sfu.get()) {
            (RoomMedia::Sfu, Some(sfu)) => Ok((room_id, sfu)),
            _ => Err(not_sfu_room()),
        }
    }

    /// `peer` is out of `room` (it left, dropped, was removed, or the room ended).
    pub(super) fn media_left(&self, room: &Room, peer: PeerId) {
        if let (RoomMedia::Sfu, Some(sfu)) = (room.media, self.sfu.get()) {
            sfu.leave(peer);
        }
    }

    /// What the SFU says to `peer`, on its session (if it still has one).
    pub(crate) fn sfu_say(&self, peer: PeerId, msg: &ServerMessage) {
        self.send_to(peer, text(msg));
    }
}

/// The room `peer` is in: its id, and the room.
fn room_of(state: &State, peer: PeerId) -> Result<(&str, &Room), ErrorBody> {
    let room_id = state
        .peers
        .get(&peer)
        .and_then(|p| p.room.as_deref())
        .ok_or_else(not_in_room)?;
    let room = state.rooms.get(room_id).ok_or_else(not_in_room)?;
    Ok((room_id, room))
}

/// A large-meeting message in a room whose media goes peer to peer.
fn not_sfu_room() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::NotSfuRoom,
        "This room's media goes peer to peer; there is no connection to the host.",
    )
}
