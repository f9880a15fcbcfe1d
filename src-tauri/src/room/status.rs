//! A room's status for its pre-join page (`watch-room` → `room-status`): each room keeps one
//! [`Feed`] of its status, published after every change (someone joins, leaves or renames, the
//! room ends, a moderator locks or opens it), so a page that follows it learns at once that a seat freed up or the meeting
//! ended. A socket follows one room at a time (the feed has one name in its mailbox).
//!
//! What it tells is what the id holder may see anyway: the lobby's view of a listed room (name,
//! head count, capacity, passcode needed), and the names of the people in it only when the
//! room needs no passcode (then the id alone lets anyone in to see them).

use super::{is_room_id, text, Capacity, Hub, Outgoing, Room, State};
use crate::feed::Feed;
use crate::protocol::{ErrorBody, PeerId, RoomStatus, ServerMessage};

/// The name of the room-status feed in a socket's mailbox.
pub(crate) const STATUS_FEED: &str = "room-status";

/// A new room's (empty) status feed.
pub(super) fn new_feed() -> Feed {
    Feed::new(STATUS_FEED)
}

/// The status of room `id` as it is now.
fn status_of(state: &State, id: &str, room: &Room, capacity: Capacity) -> RoomStatus {
    let capacity = capacity.of(room);
    let count = room.members.len();
    let passcode = room.passcode.is_some();
    let peers = if passcode {
        Vec::new()
    } else {
        room.members
            .iter()
            .filter_map(|m| state.peers.get(m).map(|p| p.info.name.clone()))
            .collect()
    };
    RoomStatus {
        room: id.to_string(),
        name: room.name.clone(),
        peers,
        count,
        capacity,
        full: count >= capacity,
        passcode,
        locked: room.control.settings.closed,
        waiting_room: room.control.settings.waiting_room,
        gone: false,
    }
}

/// The status of a room that is not (or no longer) on this host.
fn gone(id: &str) -> RoomStatus {
    RoomStatus {
        room: id.to_string(),
        name: String::new(),
        peers: Vec::new(),
        count: 0,
        capacity: 0,
        full: false,
        passcode: false,
        locked: false,
        waiting_room: false,
        gone: true,
    }
}

/// Room `id` is being removed: its followers hear that it is gone (then its feed ends).
pub(super) fn publish_gone(room: &Room, id: &str) {
    room.status
        .publish(text(&ServerMessage::RoomStatus(gone(id))));
}

impl Hub {
    /// Publish room `id`'s status to the pages that follow it (nothing if it is gone).
    pub(super) fn status_changed(&self, state: &State, id: &str) {
        if let Some(room) = state.rooms.get(id) {
            let status = status_of(state, id, room, self.capacity());
            room.status
                .publish(text(&ServerMessage::RoomStatus(status)));
        }
    }

    /// `watch-room`: follow `room` (its status now, then every change), or stop (`None`). A
    /// room that does not exist is answered `gone` once and not followed; a malformed id is
    /// refused.
    pub(super) fn watch_room(&self, peer: PeerId, room: Option<String>) -> Result<(), ErrorBody> {
        let state = self.state.lock();
        let Some(entry) = state.peers.get(&peer) else {
            return Ok(());
        };
        let Some(id) = room else {
            entry.outbox.control(Outgoing::Unwatch(STATUS_FEED));
            return Ok(());
        };
        if !is_room_id(&id) {
            return Err(ErrorBody::invalid_field(
                "room",
                "That is not a moim room id.",
            ));
        }
        match state.rooms.get(&id) {
            Some(r) if entry.room.is_none() => {
                entry.outbox.control(Outgoing::Watch(r.status.watch_now()));
            }
            _ => {
                entry.outbox.control(Outgoing::Unwatch(STATUS_FEED));
                if entry.room.is_none() {
                    let status = gone(&id);
                    entry.outbox.send(text(&ServerMessage::RoomStatus(status)));
                }
            }
        }
        Ok(())
    }
}
