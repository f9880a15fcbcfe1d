//! Property tests of the hub's delivery rules: whatever joins, leaves, drops and signals
//! happen across several rooms, a message never reaches a peer outside the sender's room, and a
//! signal reaches its target and nobody else.

use std::collections::HashMap;

use moim::protocol::{ClientMessage, PeerId};
use moim::room::{Connection, Hub, HubSettings, Outgoing};
use moim::token::HostKey;
use moim::HostConfig;
use proptest::prelude::*;
use serde_json::Value;

const PEERS: usize = 6;
const ROOMS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Join(usize, usize),
    Leave(usize),
    Signal(usize, usize),
    Drop(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..PEERS, 0..ROOMS).prop_map(|(p, r)| Op::Join(p, r)),
        1 => (0..PEERS).prop_map(Op::Leave),
        5 => (0..PEERS, 0..PEERS).prop_map(|(a, b)| Op::Signal(a, b)),
        1 => (0..PEERS).prop_map(Op::Drop),
    ]
}

struct World {
    hub: Hub,
    conns: Vec<Connection>,
    rooms: Vec<String>,
    /// Which room each peer slot is in, as the model sees it.
    member_of: Vec<Option<usize>>,
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
                    waiting_room: false,
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
        Self {
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

    fn leave_model(&mut self, p: usize) {
        if let Some(r) = self.member_of[p].take() {
            if self.members(r).is_empty() {
                self.alive[r] = false;
            }
        }
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
                    self.member_of[p] = Some(r);
                    self.claimed[r] = true;
                }
            }
            Op::Leave(p) => {
                let res = self
                    .hub
                    .handle(self.conns[p].peer_id, ClientMessage::Leave {});
                prop_assert_eq!(res.is_ok(), self.member_of[p].is_some());
                self.leave_model(p);
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
                let conn = self.hub.connect(None);
                let old = std::mem::replace(&mut self.conns[p], conn);
                self.hub.disconnect(
                    old.peer_id,
                    old.generation,
                    moim::protocol::LeaveReason::Closed,
                );
                self.leave_model(p);
            }
        }
        self.check_deliveries()
    }

    /// Every message that arrived must be for its receiver; signals exactly to their target.
    fn check_deliveries(&mut self) -> Result<(), TestCaseError> {
        let ids: Vec<PeerId> = self.conns.iter().map(|c| c.peer_id).collect();
        for q in 0..PEERS {
            let msgs = drain(&mut self.conns[q]);
            let mut seen_signals = 0;
            for m in msgs {
                match m["type"].as_str().unwrap() {
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
                    "left" | "welcome" => {}
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
