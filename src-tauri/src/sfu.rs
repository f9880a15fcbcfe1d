//! The host's SFU, for large meetings: every member's one WebRTC connection ends here, and each
//! publisher's audio and video is forwarded to every other member of its room. One tokio task
//! owns the UDP sockets and every client's sans-IO `str0m::Rtc` (`docs/sfu.md`); the hub talks
//! to it through [`Sfu`], and it answers clients through the hub.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::crypto::CryptoProvider;
use str0m::media::{KeyframeRequestKind, MediaData, MediaKind, Rid};
use str0m::Input;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::protocol::{ErrorBody, ErrorCode, PeerId, ServerMessage, DEFAULT_LAST_N};

mod client;
mod speakers;
mod udp;

use client::{Client, Happened, Source};
use speakers::Speakers;
use udp::{Datagram, Udp};

/// The longest the loop sleeps when no client asked to be woken sooner.
const IDLE_WAKE: Duration = Duration::from_millis(500);

/// Datagrams taken off the readers' channel in one go, before the loop looks at its other
/// events again.
const DATAGRAM_BATCH: usize = 64;
/// A muted microphone's frames (−127 dBov, digital silence) are forwarded only of this many
/// of a room's last speakers (the cameras' default last N): a muted class of fifty would
/// otherwise send each member 2,450 packets a second of nothing, while the listeners of the
/// recent speakers keep a steady stream. A frame with any sound is always forwarded.
const SILENCE_FORWARDED_OF: usize = DEFAULT_LAST_N;
/// The audio level (str0m's sign, −dBov) of digital silence.
const SILENCE_DBOV: i8 = -127;

/// What the hub asks of the SFU.
#[derive(Debug)]
enum Command {
    /// A member's offer: of a new connection (`fresh`, or its first), or a change.
    Offer {
        peer: PeerId,
        room: String,
        sdp: String,
        fresh: bool,
    },
    /// A member's answer to the host's offer.
    Answer { peer: PeerId, sdp: String },
    /// How the member shows the others' cameras (`sfu-view`).
    View { peer: PeerId, view: View },
    /// A member left its room (or the room ended): drop its connection and its tracks.
    Leave { peer: PeerId },
}

/// How a member shows the others' cameras (`sfu-view`): whose it receives and at what size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct View {
    /// How tall (device pixels) it shows each member's camera; 0: not shown (not sent). A
    /// member not listed is taken at [`client::DEFAULT_VIEW_HEIGHT`].
    pub sizes: BTreeMap<PeerId, u32>,
    /// It receives the cameras of this many of the last speakers.
    pub last_n: usize,
    /// And these members' cameras, whoever speaks.
    pub pinned: Vec<PeerId>,
}

impl Default for View {
    fn default() -> Self {
        View {
            sizes: BTreeMap::new(),
            last_n: DEFAULT_LAST_N,
            pinned: Vec::new(),
        }
    }
}

/// How the SFU speaks to a client: through the hub, on the client's signaling session.
pub(crate) type Notify = Box<dyn Fn(PeerId, ServerMessage) + Send + Sync>;

/// The handle the hub holds.
#[derive(Debug, Clone)]
pub(crate) struct Sfu {
    tx: mpsc::UnboundedSender<Command>,
    port: u16,
}

impl Sfu {
    /// Bind the SFU's port on `bind` (see [`udp::Udp::bind`]) and start its task, which ends
    /// with `shutdown`. `notify` is called from the SFU's task (never under the hub's lock).
    pub(crate) async fn start(
        bind: IpAddr,
        port: u16,
        notify: Notify,
        shutdown: CancellationToken,
    ) -> std::io::Result<Sfu> {
        let mut udp = Udp::bind(bind, port).await?;
        let port = udp.port();
        let datagrams = udp.readers();
        tracing::info!(port, addrs = ?udp.addrs(), "SFU listening");
        let (tx, rx) = mpsc::unbounded_channel();
        let engine = Engine {
            udp,
            crypto: Arc::new(str0m::crypto::from_feature_flags()),
            clients: Vec::new(),
            speakers: BTreeMap::new(),
            notify,
            work: VecDeque::new(),
            offer_due: Vec::new(),
        };
        tokio::spawn(engine.run(rx, datagrams, shutdown));
        Ok(Sfu { tx, port })
    }

    /// The UDP port clients connect to.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// `peer` of `room` offers (`fresh`: from a new RTCPeerConnection).
    pub(crate) fn offer(&self, peer: PeerId, room: &str, sdp: String, fresh: bool) {
        let room = room.to_string();
        let _ = self.tx.send(Command::Offer {
            peer,
            room,
            sdp,
            fresh,
        });
    }

    /// `peer` answers the host's offer.
    pub(crate) fn answer(&self, peer: PeerId, sdp: String) {
        let _ = self.tx.send(Command::Answer { peer, sdp });
    }

    /// `sfu-view` of `peer`: how it shows the others' cameras.
    pub(crate) fn view(&self, peer: PeerId, view: View) {
        let _ = self.tx.send(Command::View { peer, view });
    }

    /// `peer` is out of its room.
    pub(crate) fn leave(&self, peer: PeerId) {
        let _ = self.tx.send(Command::Leave { peer });
    }
}

/// The SFU task's state.
struct Engine {
    udp: Udp,
    crypto: Arc<CryptoProvider>,
    clients: Vec<Client>,
    /// Each room's speakers (by room id), for the cameras each subscriber receives.
    speakers: BTreeMap<Arc<str>, Speakers>,
    notify: Notify,
    /// What drained clients produced for the others, passed on by [`Engine::settle`].
    work: VecDeque<(usize, Happened)>,
    /// Clients whose forwarded tracks changed (not their `Rtc`): drained once what is in
    /// `work` is passed on, so one offer carries all of a publisher's new tracks.
    offer_due: Vec<usize>,
}

/// str0m's one rule (its "single-mutation invariant"): every change to a client's `Rtc` (a
/// datagram, its time, a frame written, a keyframe asked, a negotiation) is followed by
/// draining that client's output until it waits for time, before the next change. So every
/// method here that changes a client calls [`Engine::drained`] for it at once; what that
/// produced for the others waits in `work`, and each of the loop's events ends with
/// [`Engine::settle`]. (A change of what a client is to be offered is no change to its `Rtc`
/// until it is polled: those wait in `offer_due`.) A client given nothing is not polled: a
/// datagram costs the client it is for and those its media goes to, not the whole host.
impl Engine {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut datagrams: mpsc::Receiver<Datagram>,
        shutdown: CancellationToken,
    ) {
        loop {
            self.drop_dead();
            let wake = self.earliest_wake();
            let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(wake));
            tokio::select! {
                _ = shutdown.cancelled() => break,
                cmd = commands.recv() => match cmd {
                    Some(cmd) => self.command(cmd),
                    None => break,
                },
                got = datagrams.recv() => match got {
                    Some(d) => {
                        self.receive(d);
                        // what else has come in, without going round the loop for each
                        for _ in 1..DATAGRAM_BATCH {
                            match datagrams.try_recv() {
                                Ok(d) => self.receive(d),
                                Err(_) => break,
                            }
                        }
                    }
                    None => break,
                },
                _ = sleep => {}
            }
            self.wake_due();
        }
        tracing::info!("SFU stopped");
    }

    fn receive(&mut self, d: Datagram) {
        let Ok(contents) = d.data.as_slice().try_into() else {
            return;
        };
        let input = Input::Receive(
            d.at,
            str0m::net::Receive {
                proto: str0m::net::Protocol::Udp,
                source: d.source,
                destination: d.destination,
                contents,
            },
        );
        match self.clients.iter().position(|c| c.accepts(&input)) {
            Some(i) => {
                self.clients[i].input(input);
                self.drained(i);
                self.settle();
            }
            None => tracing::trace!(from = %d.source, "a datagram for no SFU client"),
        }
    }

    /// Give the clients whose time has come their time (only those).
    fn wake_due(&mut self) {
        let now = Instant::now();
        for i in 0..self.clients.len() {
            if self.clients[i].wake <= now {
                self.clients[i].input(Input::Timeout(now));
                self.drained(i);
            }
        }
        self.settle();
    }

    fn command(&mut self, cmd: Command) {
        self.obey(cmd);
        self.settle();
    }

    fn obey(&mut self, cmd: Command) {
        match cmd {
            Command::Offer {
                peer,
                room,
                sdp,
                fresh,
            } => self.offer(peer, room, &sdp, fresh),
            Command::Answer { peer, sdp } => {
                let Some(i) = self.index(peer) else {
                    return self.refuse(peer, "There is no connection to the host to answer for.");
                };
                let answered = self.clients[i].answer(&sdp);
                self.drained(i);
                match answered {
                    Ok(opened) => {
                        for source in opened {
                            self.keyframe(source, None, KeyframeRequestKind::Pli);
                        }
                    }
                    Err(e) => self.refuse(peer, &e.to_string()),
                }
            }
            Command::View { peer, view } => {
                if let Some(i) = self.index(peer) {
                    self.clients[i].set_view(view);
                    self.choose_cameras(i);
                }
            }
            Command::Leave { peer } => self.drop_client(peer),
        }
    }

    /// A client's offer: of a new connection (`fresh`, or its first: it replaces any older
    /// one), or a change of the one it has.
    fn offer(&mut self, peer: PeerId, room: String, sdp: &str, fresh: bool) {
        let current = self
            .index(peer)
            .filter(|i| !fresh && *self.clients[*i].room == *room);
        if let Some(i) = current {
            if self.clients[i].is_alive() {
                let answered = self.clients[i].offer(sdp);
                self.drained(i);
                match answered {
                    Ok(Some(answer)) => self.say_answer(i, answer),
                    Ok(None) => tracing::debug!(%peer, "client offer ignored: ours is pending"),
                    Err(e) => self.refuse(peer, &e.to_string()),
                }
                return;
            }
        }
        let now = Instant::now();
        let (mut client, answer) =
            match Client::accept(peer, room, sdp, self.udp.addrs(), &self.crypto, now) {
                Ok(accepted) => accepted,
                Err(e) => return self.refuse(peer, &e.to_string()),
            };
        self.drop_client(peer);
        let others: Vec<(Source, MediaKind)> = self
            .clients
            .iter()
            .filter(|c| c.room == client.room)
            .flat_map(|c| c.sources().collect::<Vec<_>>())
            .collect();
        for (source, kind) in others {
            client.subscribe(source, kind);
        }
        tracing::info!(%peer, room = %client.room, "SFU client connected");
        let room = client.room.clone();
        self.speakers.entry(room.clone()).or_default().joined(peer);
        self.clients.push(client);
        let i = self.clients.len() - 1;
        self.say_answer(i, answer);
        self.choose_cameras_in(&room);
        self.drained(i);
    }

    fn say_answer(&self, i: usize, sdp: String) {
        let client = &self.clients[i];
        let tracks = client.tracks(false);
        (self.notify)(client.peer, ServerMessage::SfuAnswer { sdp, tracks });
    }

    fn refuse(&self, peer: PeerId, why: &str) {
        let body = ErrorBody::new(ErrorCode::BadSdp, why);
        (self.notify)(peer, ServerMessage::Error(body));
    }

    fn index(&self, peer: PeerId) -> Option<usize> {
        self.clients.iter().position(|c| c.peer == peer)
    }

    /// Drop `peer`'s connection; the others of its room stop receiving its tracks.
    fn drop_client(&mut self, peer: PeerId) {
        let Some(i) = self.index(peer) else {
            return;
        };
        let gone = self.clients.swap_remove(i);
        tracing::info!(%peer, room = %gone.room, "SFU client dropped");
        for j in 0..self.clients.len() {
            if self.clients[j].room == gone.room {
                self.clients[j].source_gone(peer);
                self.offer_due(j);
            }
        }
        if let Some(speakers) = self.speakers.get_mut(&*gone.room) {
            speakers.left(peer);
            if speakers.is_empty() {
                self.speakers.remove(&*gone.room);
            }
        }
        self.choose_cameras_in(&gone.room);
    }

    /// Choose again whose cameras every client of `room` receives (the order of its speakers
    /// changed, or its members).
    fn choose_cameras_in(&mut self, room: &str) {
        for i in 0..self.clients.len() {
            if *self.clients[i].room == *room {
                self.choose_cameras(i);
            }
        }
    }

    /// Whose cameras client `i` receives: the last speakers its view asks for, and the members
    /// it pinned, leaving out those it does not show; told to it when that changed.
    fn choose_cameras(&mut self, i: usize) {
        let client = &self.clients[i];
        let Some(speakers) = self.speakers.get(&*client.room) else {
            return;
        };
        let view = client.view();
        let shown = |p: &PeerId| view.sizes.get(p) != Some(&0);
        let mut peers: Vec<PeerId> = speakers
            .last(view.last_n, client.peer)
            .filter(|p| shown(p))
            .collect();
        let pinned: Vec<PeerId> = view
            .pinned
            .iter()
            .copied()
            .filter(|p| speakers.has(*p) && *p != client.peer && shown(p) && !peers.contains(p))
            .collect();
        peers.extend(pinned);
        if self.clients[i].set_cameras(&peers) {
            (self.notify)(self.clients[i].peer, ServerMessage::SfuForwarded { peers });
        }
    }

    /// Drop the clients whose connection ended (before anything of theirs is queued: `work`
    /// holds indices).
    fn drop_dead(&mut self) {
        let dead: Vec<PeerId> = self
            .clients
            .iter()
            .filter(|c| !c.is_alive())
            .map(|c| c.peer)
            .collect();
        for peer in dead {
            // settled before the next is removed: the queues hold indices
            self.drop_client(peer);
            self.settle();
        }
    }

    /// Pass on what the drained clients produced, and what that made the others produce, until
    /// nothing is left.
    fn settle(&mut self) {
        loop {
            while let Some((from, happened)) = self.work.pop_front() {
                self.propagate(from, happened);
            }
            let Some(i) = self.offer_due.pop() else {
                return;
            };
            self.drained(i);
        }
    }

    /// Client `i`'s forwarded tracks changed: an offer is due once the others are settled.
    fn offer_due(&mut self, i: usize) {
        if !self.offer_due.contains(&i) {
            self.offer_due.push(i);
        }
    }

    /// The earliest time a client wants to be woken (at most [`IDLE_WAKE`] away).
    fn earliest_wake(&self) -> Instant {
        self.clients
            .iter()
            .map(|c| c.wake)
            .fold(Instant::now() + IDLE_WAKE, Instant::min)
    }

    /// Poll client `i` (just changed) until it waits for time: its datagrams are sent, its
    /// offers said, and what is for the others is queued in `work`.
    fn drained(&mut self, i: usize) {
        loop {
            let udp = &self.udp;
            let mut send = |from, to, data: &[u8]| udp.send(from, to, data);
            match self.clients[i].poll(&mut send) {
                Happened::Timeout(t) => {
                    self.clients[i].wake = t;
                    return;
                }
                Happened::Nothing => {}
                Happened::Offer(sdp, tracks) => {
                    let peer = self.clients[i].peer;
                    (self.notify)(peer, ServerMessage::SfuOffer { sdp, tracks });
                }
                other => self.work.push_back((i, other)),
            }
        }
    }

    /// Pass on what client `from` produced.
    fn propagate(&mut self, from: usize, happened: Happened) {
        let room = self.clients[from].room.clone();
        match happened {
            Happened::Published(source, kind) => {
                for j in 0..self.clients.len() {
                    if j != from && self.clients[j].room == room {
                        self.clients[j].subscribe(source, kind);
                        self.offer_due(j);
                    }
                }
            }
            Happened::Media(source, data) => self.forward(from, &room, source, &data),
            Happened::KeyframeWanted(source, rid, kind) => self.keyframe(source, rid, kind),
            Happened::Timeout(_) | Happened::Nothing | Happened::Offer(..) => {}
        }
    }

    fn forward(&mut self, from: usize, room: &str, source: Source, data: &MediaData) {
        if let Some(level) = data.ext_vals.audio_level {
            if let Some(speakers) = self.speakers.get_mut(room) {
                let silent = level <= SILENCE_DBOV;
                if silent && !speakers.among_first(SILENCE_FORWARDED_OF, source.peer) {
                    return;
                }
                if speakers.heard(source.peer, level, data.network_time) {
                    self.choose_cameras_in(room);
                }
            }
        }
        // (the publisher's layers as it sends them now: copied, at most a few)
        let layers = self.clients[from].layers(source.mid).to_vec();
        let mut wanted: Vec<Option<Rid>> = Vec::new();
        for j in 0..self.clients.len() {
            if j == from || *self.clients[j].room != *room {
                continue;
            }
            let (wrote, keyframe) = self.clients[j].forward(source, data, &layers);
            if wrote {
                self.drained(j);
            }
            if let Some(rid) = keyframe.filter(|rid| !wanted.contains(rid)) {
                wanted.push(rid);
            }
        }
        for rid in wanted {
            self.keyframe(source, rid, KeyframeRequestKind::Pli);
        }
    }

    /// Ask `source`'s publisher for a keyframe (of layer `rid`; throttled there).
    fn keyframe(&mut self, source: Source, rid: Option<Rid>, kind: KeyframeRequestKind) {
        if let Some(i) = self.index(source.peer) {
            if self.clients[i].request_keyframe(source.mid, rid, kind) {
                self.drained(i);
            }
        }
    }
}
