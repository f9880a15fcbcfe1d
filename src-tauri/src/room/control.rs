//! Who runs a room: roles, the waiting room, removals and the moderators' actions. The host is
//! the only authority: every action is checked against the sender's role here, and a refused
//! one changes nothing.
//!
//! A waiting peer is never a member (`PeerEntry::room` stays `None`), so nothing addressed to
//! the room reaches it: the relays only ever look at members.

use std::collections::HashSet;

use super::{deliver, not_in_room, remove_room, text, Hub, Presence, State};
use crate::protocol::{
    check_text, ClientMessage, ErrorBody, ErrorCode, LeaveReason, ModAction, PeerId, PeerInfo,
    Recreate, RoomSettings, ServerMessage, TextKind, MAX_END_MESSAGE_CHARS,
};

/// One room's roles, settings, waiting room and removals.
#[derive(Debug, Default)]
pub(super) struct Control {
    pub(super) settings: RoomSettings,
    /// Who holds the role: also while away (a reconnect finds it again).
    moderators: HashSet<PeerId>,
    /// Who was let in (or created the room): a reconnect does not knock again.
    admitted: HashSet<PeerId>,
    /// Who a moderator removed: they knock, whatever the settings, until admitted again.
    removed: HashSet<PeerId>,
    /// Who a moderator muted and has not asked to unmute since.
    muted: HashSet<PeerId>,
    /// Who waits to get in, in the order they knocked.
    pub(super) waiting: Vec<PeerId>,
}

/// What the door says to a first `join`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gate {
    Enter,
    Wait,
}

impl Control {
    /// A new room's control: its creator holds the role.
    pub(super) fn created_by(creator: PeerId, waiting_room: bool) -> Self {
        let mut control = Self::default();
        control.settings.waiting_room = waiting_room;
        control.moderators.insert(creator);
        control.admitted.insert(creator);
        control
    }

    pub(super) fn is_moderator(&self, peer: PeerId) -> bool {
        self.moderators.contains(&peer)
    }

    /// Enter, wait, or refused (`room-closed`).
    pub(super) fn gate(&self, peer: PeerId) -> Result<Gate, ErrorBody> {
        let known = self.admitted.contains(&peer) || self.moderators.contains(&peer);
        if self.removed.contains(&peer) {
            return Ok(Gate::Wait);
        }
        if self.settings.closed && !known {
            return Err(ErrorBody::new(
                ErrorCode::RoomClosed,
                "A moderator closed this room to newcomers.",
            ));
        }
        if self.settings.waiting_room && !known {
            return Ok(Gate::Wait);
        }
        Ok(Gate::Enter)
    }

    /// A room whose members hold no role gives it to `peer` (who just entered: when nobody
    /// present is a moderator, nobody else is present). Whether `peer` is a moderator now.
    pub(super) fn take_role_if_none(&mut self, peer: PeerId, members: &[PeerId]) -> bool {
        if !members.iter().any(|m| self.moderators.contains(m)) {
            self.moderators.insert(peer);
        }
        self.admitted.insert(peer);
        self.moderators.contains(&peer)
    }

    /// Whether an `update {audio: true}` from `peer` is refused.
    pub(super) fn blocks_unmute(&self, peer: PeerId) -> bool {
        self.settings.moderators_unmute
            && self.muted.contains(&peer)
            && !self.moderators.contains(&peer)
    }

    /// `peer` left for good (or was removed): its role goes with it.
    pub(super) fn drop_role(&mut self, peer: PeerId) {
        self.moderators.remove(&peer);
    }
}

pub(super) fn unmute_not_allowed() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::NotAllowed,
        "A moderator muted you; in this room only a moderator can let you unmute.",
    )
}

fn not_allowed() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::NotAllowed,
        "Only a moderator of this room can do that.",
    )
}

fn unknown_target() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::UnknownPeer,
        "That peer is not someone else in your room (or waiting for it); nothing changed.",
    )
}

/// The moderator acting, as targets learn it.
struct By {
    id: PeerId,
    name: String,
}

impl Hub {
    /// A member with a valid `recreate.role` gets its role back (after a host restart); a
    /// removed peer's proof is worth nothing until it is admitted again.
    pub(super) fn prove_role(
        &self,
        state: &mut State,
        peer: PeerId,
        room_id: &str,
        recreate: Option<&Recreate>,
    ) {
        let Some(token) = recreate.and_then(|r| r.role.as_deref()) else {
            return;
        };
        let Some(room) = state.rooms.get_mut(room_id) else {
            return;
        };
        if !room.control.removed.contains(&peer) && self.key.check_role(room_id, peer, token) {
            room.control.moderators.insert(peer);
            room.control.admitted.insert(peer);
        }
    }

    /// Put `peer` in the room's waiting room and tell the moderators.
    pub(super) fn knock(&self, state: &mut State, peer: PeerId, room_id: &str, who: Presence) {
        let Some(room) = state.rooms.get_mut(room_id) else {
            return;
        };
        if !room.control.waiting.contains(&peer) {
            room.control.waiting.push(peer);
        }
        let name = room.name.clone();
        let Some(entry) = state.peers.get_mut(&peer) else {
            return;
        };
        entry.waiting = Some(room_id.to_string());
        entry.info.name = who.name;
        entry.info.audio = who.audio;
        entry.info.video = who.video;
        entry.info.moderator = false;
        let you = entry.info.clone();
        deliver(
            entry,
            text(&ServerMessage::Waiting {
                room: room_id.to_string(),
                name,
                you,
            }),
        );
        tracing::debug!(room = %room_id, %peer, "knocked");
        self.waiting_list_to(state, room_id, None);
    }

    /// `peer` no longer waits for `room_id` (gave up, went away, joined elsewhere).
    pub(super) fn withdraw(&self, state: &mut State, room_id: &str, peer: PeerId) {
        if let Some(entry) = state.peers.get_mut(&peer) {
            entry.waiting = None;
        }
        if let Some(room) = state.rooms.get_mut(room_id) {
            let before = room.control.waiting.len();
            room.control.waiting.retain(|p| *p != peer);
            if room.control.waiting.len() != before {
                self.waiting_list_to(state, room_id, None);
            }
        }
    }

    /// The `waiting-list` to one moderator (`Some`, only when someone waits) or to every
    /// moderator present (`None`, always: the list changed).
    pub(super) fn waiting_list_to(&self, state: &State, room_id: &str, to: Option<PeerId>) {
        let Some(room) = state.rooms.get(room_id) else {
            return;
        };
        if to.is_some() && room.control.waiting.is_empty() {
            return;
        }
        let peers: Vec<PeerInfo> = room
            .control
            .waiting
            .iter()
            .filter_map(|p| state.peers.get(p).map(|e| e.info.clone()))
            .collect();
        if to.is_none() {
            // the host panel shows the knocks too (the room list itself is unchanged)
            self.rooms_version.send_modify(|v| *v += 1);
        }
        let frame = text(&ServerMessage::WaitingList { peers });
        let targets = room
            .members
            .iter()
            .filter(|m| room.control.is_moderator(**m))
            .filter(|m| to.is_none_or(|t| t == **m));
        for member in targets {
            self.send_locked(state, *member, frame.clone());
        }
    }

    /// After someone left: if nobody present holds the role, whoever has been in the room
    /// longest gets it.
    pub(super) fn hand_on_role(&self, state: &mut State, room_id: &str) {
        let Some(room) = state.rooms.get(room_id) else {
            return;
        };
        if room.members.iter().any(|m| room.control.is_moderator(*m)) {
            return;
        }
        if let Some(&oldest) = room.members.first() {
            tracing::info!(room = %room_id, peer = %oldest, "the moderator role is handed on");
            self.promote(state, room_id, oldest, None);
        }
    }

    /// Give `peer` (a member) the role: it learns its token, everyone sees the change.
    fn promote(&self, state: &mut State, room_id: &str, peer: PeerId, by: Option<PeerId>) {
        let Some(room) = state.rooms.get_mut(room_id) else {
            return;
        };
        if !room.control.moderators.insert(peer) {
            return;
        }
        room.control.admitted.insert(peer);
        let role_token = self.key.role_token(room_id, peer);
        let Some(entry) = state.peers.get_mut(&peer) else {
            return;
        };
        entry.info.moderator = true;
        let info = entry.info.clone();
        deliver(entry, text(&ServerMessage::Promoted { by, role_token }));
        self.to_members(state, room_id, &ServerMessage::PeerUpdated { peer: info });
        self.waiting_list_to(state, room_id, Some(peer));
    }

    fn to_members(&self, state: &State, room_id: &str, msg: &ServerMessage) {
        if let Some(room) = state.rooms.get(room_id) {
            let frame = text(msg);
            for member in &room.members {
                self.send_locked(state, *member, frame.clone());
            }
        }
    }

    /// The host's own answer at the door of `room_id` (the desktop app's host panel: whoever
    /// runs the host may let people into its rooms): admit `peer` or turn it away (`None`:
    /// everyone waiting), with the same rules and messages as a moderator's `admit` /
    /// `turn-away`.
    pub fn answer_knock(
        &self,
        room_id: &str,
        peer: Option<PeerId>,
        admit: bool,
    ) -> Result<(), ErrorBody> {
        let mut guard = self.state.lock();
        let state = &mut *guard;
        if !state.rooms.contains_key(room_id) {
            return Err(ErrorBody::new(
                ErrorCode::NoSuchRoom,
                "There is no such room on this host.",
            ));
        }
        tracing::info!(room = %room_id, ?peer, admit, "the host panel answers a knock");
        if admit {
            self.admit(state, room_id, peer)
        } else {
            self.turn_away(state, room_id, peer)
        }
    }

    /// One moderator action: refused with `not-allowed` (and nothing changed) unless the
    /// sender is a member holding the role.
    pub(super) fn moderate(&self, peer: PeerId, msg: ClientMessage) -> Result<(), ErrorBody> {
        let ended = match &msg {
            ClientMessage::EndMeeting { message: Some(m) } if !m.trim().is_empty() => {
                check_text("message", m, TextKind::Chat, MAX_END_MESSAGE_CHARS)?
            }
            _ => String::new(),
        };
        let mut guard = self.state.lock();
        let state = &mut *guard;
        let entry = state.peers.get(&peer).ok_or_else(not_in_room)?;
        let room_id = entry.room.clone().ok_or_else(not_in_room)?;
        let by = By {
            id: peer,
            name: entry.info.name.clone(),
        };
        let room = state.rooms.get(&room_id).ok_or_else(not_in_room)?;
        if !room.control.is_moderator(peer) {
            tracing::info!(room = %room_id, %peer, "a moderator action without the role");
            return Err(not_allowed());
        }
        match msg {
            ClientMessage::Admit { peer: target } => self.admit(state, &room_id, target),
            ClientMessage::TurnAway { peer: target } => self.turn_away(state, &room_id, target),
            ClientMessage::MakeModerator { peer: target } => {
                self.member(state, &room_id, &by, target)?;
                self.promote(state, &room_id, target, Some(peer));
                Ok(())
            }
            ClientMessage::RoomSettings {
                waiting_room,
                closed,
                moderators_unmute,
            } => {
                let change = RoomSettings {
                    waiting_room: waiting_room.unwrap_or(room.control.settings.waiting_room),
                    closed: closed.unwrap_or(room.control.settings.closed),
                    moderators_unmute: moderators_unmute
                        .unwrap_or(room.control.settings.moderators_unmute),
                };
                self.change_settings(state, &room_id, &by, change);
                Ok(())
            }
            ClientMessage::Mute { peer: target } => {
                self.act_on(state, &room_id, &by, target, ModAction::Mute)
            }
            ClientMessage::AskUnmute { peer: target } => {
                self.act_on(state, &room_id, &by, target, ModAction::AskUnmute)
            }
            ClientMessage::StopVideo { peer: target } => {
                self.act_on(state, &room_id, &by, Some(target), ModAction::StopVideo)
            }
            ClientMessage::StopShare { peer: target } => {
                self.act_on(state, &room_id, &by, Some(target), ModAction::StopShare)
            }
            ClientMessage::Remove { peer: target } => self.remove(state, &room_id, &by, target),
            ClientMessage::EndMeeting { .. } => {
                self.end_meeting(state, &room_id, &by, ended);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// `target` is another member of the room, or the error.
    fn member(
        &self,
        state: &State,
        room_id: &str,
        by: &By,
        target: PeerId,
    ) -> Result<(), ErrorBody> {
        let ok = target != by.id
            && state
                .rooms
                .get(room_id)
                .is_some_and(|r| r.members.contains(&target));
        ok.then_some(()).ok_or_else(unknown_target)
    }

    /// The people waiting that `target` names: one (who must be waiting), or all.
    fn waiting_targets(
        state: &State,
        room_id: &str,
        target: Option<PeerId>,
    ) -> Result<Vec<PeerId>, ErrorBody> {
        let waiting = state
            .rooms
            .get(room_id)
            .map(|r| r.control.waiting.clone())
            .unwrap_or_default();
        match target {
            Some(t) if waiting.contains(&t) => Ok(vec![t]),
            Some(_) => Err(unknown_target()),
            None => Ok(waiting),
        }
    }

    /// Let people in: all of them, or none when the room cannot hold them all.
    fn admit(
        &self,
        state: &mut State,
        room_id: &str,
        target: Option<PeerId>,
    ) -> Result<(), ErrorBody> {
        let admitted = Self::waiting_targets(state, room_id, target)?;
        let capacity = self.capacity();
        let room = state.rooms.get_mut(room_id).ok_or_else(not_in_room)?;
        let capacity = capacity.of(room);
        if room.members.len() + admitted.len() > capacity {
            let mut err = ErrorBody::new(
                ErrorCode::RoomFull,
                format!("This room holds {capacity} people: not everyone fits; nobody was let in."),
            );
            err.capacity = Some(capacity);
            return Err(err);
        }
        for peer in &admitted {
            room.control.waiting.retain(|p| p != peer);
            room.control.removed.remove(peer);
            room.control.admitted.insert(*peer);
        }
        for peer in admitted {
            let Some(entry) = state.peers.get(&peer) else {
                continue;
            };
            let who = Presence {
                name: entry.info.name.clone(),
                audio: entry.info.audio,
                video: entry.info.video,
            };
            self.add_member(state, peer, room_id)?;
            tracing::debug!(room = %room_id, %peer, "admitted");
            self.enter(state, peer, room_id, who, false);
        }
        self.waiting_list_to(state, room_id, None);
        Ok(())
    }

    fn turn_away(
        &self,
        state: &mut State,
        room_id: &str,
        target: Option<PeerId>,
    ) -> Result<(), ErrorBody> {
        let refused = Self::waiting_targets(state, room_id, target)?;
        let frame = text(&ServerMessage::TurnedAway {
            room: room_id.to_string(),
        });
        if let Some(room) = state.rooms.get_mut(room_id) {
            room.control.waiting.retain(|p| !refused.contains(p));
        }
        for peer in &refused {
            if let Some(entry) = state.peers.get_mut(peer) {
                entry.waiting = None;
                deliver(entry, frame.clone());
            }
        }
        self.waiting_list_to(state, room_id, None);
        Ok(())
    }

    fn change_settings(&self, state: &mut State, room_id: &str, by: &By, new: RoomSettings) {
        let Some(room) = state.rooms.get_mut(room_id) else {
            return;
        };
        let opened = room.control.settings.waiting_room && !new.waiting_room;
        room.control.settings = new;
        tracing::info!(room = %room_id, ?new, "room settings changed");
        self.to_members(
            state,
            room_id,
            &ServerMessage::RoomSettings {
                settings: new,
                by: by.id,
            },
        );
        self.rooms_changed(state);
        self.status_changed(state, room_id);
        // No more waiting room: whoever waits comes in (as many as fit).
        if opened {
            let waiting = Self::waiting_targets(state, room_id, None).unwrap_or_default();
            for peer in waiting {
                let _ = self.admit(state, room_id, Some(peer));
            }
        }
    }

    /// Mute, ask to unmute, camera off, share off: one member, or everyone else (`None`).
    fn act_on(
        &self,
        state: &mut State,
        room_id: &str,
        by: &By,
        target: Option<PeerId>,
        action: ModAction,
    ) -> Result<(), ErrorBody> {
        let targets = match target {
            Some(t) => {
                self.member(state, room_id, by, t)?;
                vec![t]
            }
            None => state
                .rooms
                .get(room_id)
                .map(|r| r.members.iter().copied().filter(|m| *m != by.id).collect())
                .unwrap_or_default(),
        };
        let frame = text(&ServerMessage::Moderation {
            action,
            by: by.id,
            name: by.name.clone(),
        });
        for peer in targets {
            if let Some(room) = state.rooms.get_mut(room_id) {
                match action {
                    ModAction::Mute => room.control.muted.insert(peer),
                    ModAction::AskUnmute => room.control.muted.remove(&peer),
                    ModAction::StopVideo | ModAction::StopShare => false,
                };
            }
            let Some(entry) = state.peers.get_mut(&peer) else {
                continue;
            };
            deliver(entry, frame.clone());
            let changed = match action {
                ModAction::Mute => std::mem::replace(&mut entry.info.audio, false),
                ModAction::StopVideo => std::mem::replace(&mut entry.info.video, false),
                ModAction::AskUnmute | ModAction::StopShare => false,
            };
            if changed {
                let info = entry.info.clone();
                self.to_members(state, room_id, &ServerMessage::PeerUpdated { peer: info });
            }
        }
        tracing::info!(room = %room_id, moderator = %by.id, ?action, ?target, "moderated");
        Ok(())
    }

    /// Take a member out: the others see it leave (`removed`); it comes back only through the
    /// waiting room, whatever its resume or room token.
    fn remove(
        &self,
        state: &mut State,
        room_id: &str,
        by: &By,
        target: PeerId,
    ) -> Result<(), ErrorBody> {
        self.member(state, room_id, by, target)?;
        if let Some(room) = state.rooms.get_mut(room_id) {
            room.control.removed.insert(target);
            room.control.admitted.remove(&target);
            room.control.muted.remove(&target);
        }
        if let Some(entry) = state.peers.get_mut(&target) {
            entry.room = None;
        }
        self.remove_member(state, room_id, target, LeaveReason::Removed);
        tracing::info!(room = %room_id, moderator = %by.id, peer = %target, "removed");
        self.send_locked(
            state,
            target,
            text(&ServerMessage::Removed {
                room: room_id.to_string(),
                by: by.id,
                name: by.name.clone(),
            }),
        );
        Ok(())
    }

    /// End the meeting: every member hears why and is out; whoever waits is turned away.
    fn end_meeting(&self, state: &mut State, room_id: &str, by: &By, message: String) {
        let Some(room) = state.rooms.get(room_id) else {
            return;
        };
        let members = room.members.clone();
        let frame = text(&ServerMessage::MeetingEnded {
            room: room_id.to_string(),
            by: by.id,
            name: by.name.clone(),
            message,
        });
        for member in &members {
            self.media_left(room, *member);
            if let Some(entry) = state.peers.get_mut(member) {
                entry.room = None;
                deliver(entry, frame.clone());
            }
        }
        state.in_rooms -= members.len();
        remove_room(state, room_id);
        tracing::info!(room = %room_id, moderator = %by.id, "meeting ended for everyone");
        self.rooms_changed(state);
    }
}
