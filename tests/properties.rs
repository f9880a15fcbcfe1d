//! Property tests of the hub's delivery rules: whatever joins, leaves, drops and signals
//! happen across several rooms, a message never reaches a peer outside the sender's room, and a
//! signal reaches its target and nobody else. With room control (knocks at a waiting room,
//! admissions, turn-aways, removals): nobody waiting or removed ever receives a message of the
//! room, and every room with members has a moderator present.

use std::collections::{HashMap, HashSet};

use moim::protocol::{ClientMessage, PeerId};
use moim::room::{Connection, Hub, HubSettings, Outgoing};
use moim::token::HostKey;
use moim::HostConfig;
use proptest::prelude::*;
use serde_json::Value;

const PEERS: usize = 6;
const ROOMS: usize = 3;

/// The room whose newcomers knock.
const WAITING_ROOM: usize = ROOMS - 1;

#[derive(Debug, Clone)]
enum Op {
    Join(usize, usize),
    Leave(usize),
    Signal(usize, usize),
    Drop(usize),
    Admit(usize, usize),
    TurnAway(usize, usize),
    Remove(usize, usize),
    Chat(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..PEERS, 0..ROOMS).prop_map(|(p, r)| Op::Join(p, r)),
        1 => (0..PEERS).prop_map(Op::Leave),
        4 => (0..PEERS, 0..PEERS).prop_map(|(a, b)| Op::Signal(a, b)),
        1 => (0..PEERS).prop_map(Op::Drop),
        2 => (0..PEERS, 0..PEERS).prop_map(|(a, b)| Op::Admit(a, b)),
        1 => (0..PEERS, 0..PEERS).prop_map(|(a, b)| Op::TurnAway(a, b)),
        1 => (0..PEERS, 0..PEERS).prop_map(|(a, b)| Op::Remove(a, b)),
        1 => (0..PEERS).prop_map(Op::Chat),
    ]
}

/// The model of one room's control, mirroring docs/protocol.md ("Room control").
#[derive(Debug, Default)]
struct ModelRoom {
    /// Members in the order they entered.
    members: Vec<PeerId>,
    waiting: Vec<PeerId>,
    moderators: HashSet<PeerId>,
    admitted: HashSet<PeerId>,
    removed: HashSet<PeerId>,
}

impl ModelRoom {
    fn hand_on(&mut self) {
        if !self.members.iter().any(|m| self.moderators.contains(m)) {
            if let Some(first) = self.members.first() {
                self.moderators.insert(*first);
            }
        }
    }

    fn enter(&mut self, id: PeerId) {
        self.members.push(id);
        self.admitted.insert(id);
        self.hand_on();
    }

    fn is_mod(&self, id: PeerId) -> bool {
        self.members.contains(&id) && self.moderators.contains(&id)
    }
}

struct World {
    hub: Hub,
    conns: Vec<Connection>,
    rooms: Vec<String>,
    /// Which room each peer slot is in, as the model sees it.
    member_of: Vec<Option<usize>>,
    /// Which room's waiting room each slot is in.
    waiting_in: Vec<Option<usize>>,
    control: Vec<ModelRoom>,
    /// Rooms that still exist (created; not yet emptied).
    alive: Vec<bool>,
    /// Rooms that have had a member (so emptying them removes them).
    claimed: Vec<bool>,
    /// Accepted signals not yet seen arriving: nonce -> (from, to).
    sent: HashMap<String, (PeerId, PeerId)>,
    /// Nonces of signals the hub refused; none may ever arrive.
    refused: std::collections::HashSet<String>,
    next_nonce: u64,
}

impl World {
    fn new() -> Self {
        let config = HostConfig {
            max_peers_per_room: PEERS,
            ..HostConfig::loopback()
        };
        let hub = Hub::new(HubSettings::from_config(&config), HostKey::random());
        let mut conns: Vec<Connection> = (0..PEERS).map(|_| hub.connect(None)).collect();
        let mut rooms = Vec::new();
        for r in 0..ROOMS {
            let creator = conns[0].peer_id;
            hub.handle(
                creator,
                ClientMessage::CreateRoom {
                    name: format!("room {r}"),
                    passcode: None,
                    listed: true,
                    waiting_room: r == WAITING_ROOM,
                    large: false,
                },
            )
            .unwrap();
            let created = drain(&mut conns[0])
                .into_iter()
                .find(|m| m["type"] == "room-created")
                .expect("room-created");
            rooms.push(created["room"]["id"].as_str().unwrap().to_string());
        }
        for c in conns.iter_mut() {
            drain(c);
        }
        let control = (0..ROOMS)
            .map(|_| {
                let mut room = ModelRoom::default();
                room.moderators.insert(conns[0].peer_id);
                room.admitted.insert(conns[0].peer_id);
                room
            })
            .collect();
        Self {
            waiting_in: vec![None; PEERS],
            control,
            hub,
            conns,
            rooms,
            member_of: vec![None; PEERS],
            alive: vec![true; ROOMS],
            claimed: vec![false; ROOMS],
            sent: HashMap::new(),
            refused: Default::default(),
            next_nonce: 0,
        }
    }

    fn members(&self, room: usize) -> Vec<usize> {
        (0..PEERS)
            .filter(|p| self.member_of[*p] == Some(room))
            .collect()
    }

    fn leave_model(&mut self, p: usize, for_good: bool) {
        let id = self.conns[p].peer_id;
        if let Some(r) = self.waiting_in[p].take() {
            self.control[r].waiting.retain(|w| *w != id);
        }
        if let Some(r) = self.member_of[p].take() {
            let room = &mut self.control[r];
            room.members.retain(|m| *m != id);
            if for_good {
                room.moderators.remove(&id);
            }
            room.hand_on();
            if self.members(r).is_empty() {
                self.alive[r] = false;
                for w in std::mem::take(&mut self.control[r].waiting) {
                    let slot = self.slot(w);
                    self.waiting_in[slot] = None;
                }
            }
        }
    }

    fn slot(&self, id: PeerId) -> usize {
        self.conns.iter().position(|c| c.peer_id == id).unwrap()
    }

    fn join_model(&mut self, p: usize, r: usize) {
        let id = self.conns[p].peer_id;
        if let Some(w) = self.waiting_in[p].take() {
            self.control[w].waiting.retain(|x| *x != id);
        }
        if self.member_of[p] == Some(r) {
            return;
        }
        let room = &mut self.control[r];
        let known = room.admitted.contains(&id) || room.moderators.contains(&id);
        if room.removed.contains(&id) || (r == WAITING_ROOM && !known) {
            room.waiting.push(id);
            self.waiting_in[p] = Some(r);
        } else {
            room.enter(id);
            self.member_of[p] = Some(r);
            self.claimed[r] = true;
        }
    }

    /// A moderator action of `m` on `t`: which room, if `m` may act there.
    fn moderator_room(&self, m: usize) -> Option<usize> {
        let r = self.member_of[m]?;
        self.control[r].is_mod(self.conns[m].peer_id).then_some(r)
    }

    fn moderate(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let (m, t, msg) = match *op {
            Op::Admit(m, t) => (
                m,
                t,
                ClientMessage::Admit {
                    peer: Some(self.conns[t].peer_id),
                },
            ),
            Op::TurnAway(m, t) => (
                m,
                t,
                ClientMessage::TurnAway {
                    peer: Some(self.conns[t].peer_id),
                },
            ),
            Op::Remove(m, t) => (
                m,
                t,
                ClientMessage::Remove {
                    peer: self.conns[t].peer_id,
                },
            ),
            _ => return Ok(()),
        };
        let res = self.hub.handle(self.conns[m].peer_id, msg);
        let Some(r) = self.moderator_room(m) else {
            prop_assert!(res.is_err(), "{:?} without the role: {:?}", op, res);
            return Ok(());
        };
        let tid = self.conns[t].peer_id;
        let valid = match op {
            Op::Remove(..) => m != t && self.member_of[t] == Some(r),
            _ => self.waiting_in[t] == Some(r),
        };
        prop_assert_eq!(res.is_ok(), valid, "{:?}: {:?}", op, res);
        if !valid {
            return Ok(());
        }
        match op {
            Op::Admit(..) => {
                self.waiting_in[t] = None;
                let room = &mut self.control[r];
                room.waiting.retain(|w| *w != tid);
                room.removed.remove(&tid);
                room.enter(tid);
                self.member_of[t] = Some(r);
            }
            Op::TurnAway(..) => {
                self.waiting_in[t] = None;
                self.control[r].waiting.retain(|w| *w != tid);
            }
            _ => {
                let room = &mut self.control[r];
                room.removed.insert(tid);
                room.admitted.remove(&tid);
                self.leave_model(t, true);
            }
        }
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Join(p, r) => {
                let id = self.conns[p].peer_id;
                let res = self.hub.handle(
                    id,
                    ClientMessage::Join {
                        room: self.rooms[r].clone(),
                        name: format!("p{p}"),
                        passcode: None,
                        audio: None,
                        video: None,
                        recreate: None,
                    },
                );
                let expect_ok = self.alive[r] && self.member_of[p].is_none_or(|cur| cur == r);
                prop_assert_eq!(res.is_ok(), expect_ok, "join {:?}: {:?}", op, res);
                if expect_ok {
                    self.join_model(p, r);
                }
            }
            Op::Leave(p) => {
                let res = self
                    .hub
                    .handle(self.conns[p].peer_id, ClientMessage::Leave {});
                let inside = self.member_of[p].is_some() || self.waiting_in[p].is_some();
                prop_assert_eq!(res.is_ok(), inside);
                self.leave_model(p, true);
            }
            Op::Admit(..) | Op::TurnAway(..) | Op::Remove(..) => self.moderate(op)?,
            Op::Chat(p) => {
                self.next_nonce += 1;
                let res = self.hub.handle(
                    self.conns[p].peer_id,
                    ClientMessage::Chat {
                        id: format!("c{}", self.next_nonce),
                        text: "hello".into(),
                    },
                );
                prop_assert_eq!(res.is_ok(), self.member_of[p].is_some());
            }
            Op::Signal(a, b) => {
                self.next_nonce += 1;
                let nonce = format!("n{}", self.next_nonce);
                let (from, to) = (self.conns[a].peer_id, self.conns[b].peer_id);
                let res = self.hub.handle(
                    from,
                    ClientMessage::Signal {
                        to,
                        data: nonce.clone(),
                    },
                );
                let same_room =
                    a != b && self.member_of[a].is_some() && self.member_of[a] == self.member_of[b];
                prop_assert_eq!(res.is_ok(), same_room, "signal {:?}: {:?}", op, res);
                if res.is_ok() {
                    self.sent.insert(nonce, (from, to));
                } else {
                    self.refused.insert(nonce);
                }
            }
            Op::Drop(p) => {
                self.leave_model(p, false);
                let conn = self.hub.connect(None);
                let old = std::mem::replace(&mut self.conns[p], conn);
                self.hub.disconnect(
                    old.peer_id,
                    old.generation,
                    moim::protocol::LeaveReason::Closed,
                );
            }
        }
        self.check_deliveries()?;
        self.check_moderators()
    }

    /// Every room with members has a moderator present, and the hub's rooms are the model's.
    fn check_moderators(&self) -> Result<(), TestCaseError> {
        for detail in self.hub.room_details() {
            let r = self
                .rooms
                .iter()
                .position(|x| *x == detail.info.id)
                .unwrap();
            let members: HashSet<PeerId> = detail.members.iter().map(|m| m.id).collect();
            let model: HashSet<PeerId> = self.control[r].members.iter().copied().collect();
            prop_assert_eq!(&members, &model, "members of room {}", r);
            if !members.is_empty() {
                prop_assert!(
                    detail.members.iter().any(|m| m.moderator),
                    "room {} has members and no moderator",
                    r
                );
            }
            for m in &detail.members {
                prop_assert_eq!(m.moderator, self.control[r].is_mod(m.id));
            }
        }
        Ok(())
    }

    /// Every message that arrived must be for its receiver; signals exactly to their target.
    fn check_deliveries(&mut self) -> Result<(), TestCaseError> {
        let ids: Vec<PeerId> = self.conns.iter().map(|c| c.peer_id).collect();
        for q in 0..PEERS {
            let msgs = drain(&mut self.conns[q]);
            let mut seen_signals = 0;
            for m in msgs {
                let ty = m["type"].as_str().unwrap();
                let room_message = !matches!(
                    ty,
                    "welcome" | "left" | "waiting" | "turned-away" | "removed" | "error"
                );
                if room_message {
                    prop_assert!(
                        self.member_of[q].is_some(),
                        "{} reached a peer outside any room (waiting: {:?}): {}",
                        ty,
                        self.waiting_in[q],
                        m
                    );
                }
                match ty {
                    "signal" => {
                        seen_signals += 1;
                        let nonce = m["data"].as_str().unwrap();
                        prop_assert!(!self.refused.contains(nonce), "a refused signal arrived");
                        let (from, to) = self.sent.remove(nonce).expect("a signal delivered once");
                        prop_assert_eq!(to, ids[q], "signal delivered to someone else");
                        prop_assert_eq!(m["from"].as_str().unwrap(), from.to_string());
                        let sender = ids.iter().position(|i| *i == from).unwrap();
                        prop_assert_eq!(self.member_of[sender], self.member_of[q]);
                    }
                    "peer-joined" | "peer-updated" => {
                        let about: PeerId = m["peer"]["id"].as_str().unwrap().parse().unwrap();
                        let p = ids.iter().position(|i| *i == about).unwrap();
                        prop_assert!(self.member_of[q].is_some());
                        prop_assert_eq!(self.member_of[p], self.member_of[q], "crossed rooms");
                    }
                    "peer-left" => {
                        prop_assert!(self.member_of[q].is_some(), "peer-left outside a room");
                    }
                    "existing-peers" => {
                        let room = m["room"]["id"].as_str().unwrap();
                        let r = self.rooms.iter().position(|x| x == room).unwrap();
                        prop_assert_eq!(self.member_of[q], Some(r));
                        for peer in m["peers"].as_array().unwrap() {
                            let about: PeerId = peer["id"].as_str().unwrap().parse().unwrap();
                            let p = ids.iter().position(|i| *i == about).unwrap();
                            prop_assert_eq!(self.member_of[p], Some(r));
                        }
                    }
                    "left" | "welcome" | "chat" | "promoted" => {}
                    "waiting" => prop_assert!(self.waiting_in[q].is_some()),
                    "turned-away" | "removed" => {
                        prop_assert!(self.member_of[q].is_none() && self.waiting_in[q].is_none())
                    }
                    "waiting-list" => {
                        let r = self.member_of[q].unwrap();
                        prop_assert!(
                            self.control[r].is_mod(ids[q]),
                            "waiting-list to a non-moderator"
                        );
                        for w in m["peers"].as_array().unwrap() {
                            let id: PeerId = w["id"].as_str().unwrap().parse().unwrap();
                            prop_assert!(
                                self.control[r].waiting.contains(&id)
                                    || !self.control[r].members.contains(&id)
                            );
                        }
                    }
                    other => prop_assert!(false, "unexpected {}", other),
                }
            }
            prop_assert!(seen_signals <= 1);
        }
        // Every accepted signal was delivered at once.
        prop_assert!(
            self.sent.is_empty(),
            "accepted but never delivered: {:?}",
            self.sent
        );
        Ok(())
    }
}

fn drain(conn: &mut Connection) -> Vec<Value> {
    let mut out = Vec::new();
    while let Ok(msg) = conn.inbox.try_recv() {
        if let Outgoing::Text(t) = msg {
            out.push(serde_json::from_str(t.as_str()).unwrap());
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn messages_never_cross_rooms_and_signals_reach_only_their_target(
        ops in proptest::collection::vec(op(), 1..80)
    ) {
        let mut world = World::new();
        for op in &ops {
            world.apply(op)?;
        }
    }
}
