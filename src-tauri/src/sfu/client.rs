//! One client of the SFU: its `str0m::Rtc`, the tracks it publishes, the tracks the host
//! forwards to it, and the host's side of their offer/answer exchange (the host is the
//! impolite side: it ignores a client's offer while its own is unanswered).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::crypto::CryptoProvider;
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};

use crate::protocol::{PeerId, SfuTrack};

/// A publisher is asked for a keyframe at most this often per track.
const KEYFRAME_EVERY: Duration = Duration::from_secs(1);
/// Tracks one client may publish (camera, microphone, a screen and its sound).
pub(super) const MAX_PUBLISHED: usize = 4;

/// A published track: whose, and which of its m-lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Source {
    pub peer: PeerId,
    pub mid: Mid,
}

struct Published {
    mid: Mid,
    kind: MediaKind,
    last_keyframe_request: Option<Instant>,
}

/// Where one forwarded m-line is in its negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutState {
    ToOpen,
    Negotiating(Mid),
    Open(Mid),
    ToStop(Mid),
    NegotiatingStop(Mid),
}

struct Forwarded {
    source: Source,
    kind: MediaKind,
    state: OutState,
    /// Its publisher is gone: stop the m-line at the next negotiation.
    gone: bool,
}

/// What polling a client produced, for the engine to pass on.
pub(super) enum Happened {
    /// Nothing more until this instant.
    Timeout(Instant),
    /// Nothing for the others (keep polling).
    Nothing,
    /// It publishes a new track.
    Published(Source, MediaKind),
    /// A frame of one of its tracks (boxed: a frame's header is large next to the others).
    Media(Source, Box<MediaData>),
    /// It wants a keyframe of a track it receives.
    KeyframeWanted(Source, KeyframeRequestKind),
    /// An offer for the client, with the tracks it carries.
    Offer(String, Vec<SfuTrack>),
}

/// An SDP the SFU could not take, in words for the client.
#[derive(Debug, thiserror::Error)]
pub(super) enum SdpRefused {
    #[error("The SDP could not be read: {0}")]
    Parse(String),
    #[error("The SDP was refused: {0}")]
    Refused(String),
}

pub(super) struct Client {
    pub peer: PeerId,
    pub room: String,
    rtc: Rtc,
    pending: Option<SdpPendingOffer>,
    published: Vec<Published>,
    forwarded: Vec<Forwarded>,
}

impl Client {
    /// A client from its first offer, with the host's answer.
    pub fn accept(
        peer: PeerId,
        room: String,
        offer: &str,
        addrs: &[SocketAddr],
        crypto: &Arc<CryptoProvider>,
        now: Instant,
    ) -> Result<(Client, String), SdpRefused> {
        let offer = parse_offer(offer)?;
        let mut rtc = Rtc::builder()
            .set_crypto_provider(crypto.clone())
            .build(now);
        for addr in addrs {
            if let Ok(c) = Candidate::host(*addr, "udp") {
                rtc.add_local_candidate(c);
            }
        }
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| SdpRefused::Refused(e.to_string()))?;
        let client = Client {
            peer,
            room,
            rtc,
            pending: None,
            published: Vec::new(),
            forwarded: Vec::new(),
        };
        Ok((client, answer.to_sdp_string()))
    }

    /// A later offer of the client (it changed what it publishes). Ignored (`Ok(None)`) while
    /// the host's own offer is unanswered: the client rolls its offer back and answers ours.
    pub fn offer(&mut self, offer: &str) -> Result<Option<String>, SdpRefused> {
        let offer = parse_offer(offer)?;
        if self.pending.is_some() {
            return Ok(None);
        }
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| SdpRefused::Refused(e.to_string()))?;
        Ok(Some(answer.to_sdp_string()))
    }

    /// The client's answer to the host's offer: the forwarded tracks it carried are open. The
    /// sources that opened, to ask their publishers for a keyframe.
    pub fn answer(&mut self, answer: &str) -> Result<Vec<Source>, SdpRefused> {
        let answer =
            SdpAnswer::from_sdp_string(answer).map_err(|e| SdpRefused::Parse(e.to_string()))?;
        let Some(pending) = self.pending.take() else {
            return Err(SdpRefused::Refused("there is no offer to answer".into()));
        };
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| SdpRefused::Refused(e.to_string()))?;
        let mut opened = Vec::new();
        for track in &mut self.forwarded {
            if let OutState::Negotiating(mid) = track.state {
                track.state = OutState::Open(mid);
                opened.push(track.source);
            }
        }
        self.forwarded
            .retain(|t| !matches!(t.state, OutState::NegotiatingStop(_)));
        Ok(opened)
    }

    /// Whether this datagram is for this client (ICE credentials, then its address).
    pub fn accepts(&self, input: &Input) -> bool {
        self.rtc.accepts(input)
    }

    pub fn is_alive(&self) -> bool {
        self.rtc.is_alive()
    }

    /// Feed a datagram or the time; a client that fails is disconnected.
    pub fn input(&mut self, input: Input) {
        if self.rtc.is_alive() {
            if let Err(e) = self.rtc.handle_input(input) {
                tracing::info!(peer = %self.peer, %e, "SFU client failed");
                self.rtc.disconnect();
            }
        }
    }

    /// Forward `source`'s tracks of this kind to this client from the next negotiation on.
    pub fn subscribe(&mut self, source: Source, kind: MediaKind) {
        self.forwarded.push(Forwarded {
            source,
            kind,
            state: OutState::ToOpen,
            gone: false,
        });
    }

    /// `peer` left: stop forwarding its tracks.
    pub fn source_gone(&mut self, peer: PeerId) {
        self.forwarded
            .retain(|t| t.source.peer != peer || t.state != OutState::ToOpen);
        for track in self.forwarded.iter_mut().filter(|t| t.source.peer == peer) {
            track.gone = true;
        }
    }

    /// The tracks this client publishes.
    pub fn sources(&self) -> impl Iterator<Item = (Source, MediaKind)> + '_ {
        self.published.iter().map(|p| {
            let source = Source {
                peer: self.peer,
                mid: p.mid,
            };
            (source, p.kind)
        })
    }

    /// Next output: an offer when tracks wait for one, else whatever str0m has. Datagrams go
    /// straight to `send`.
    pub fn poll(&mut self, send: &mut impl FnMut(SocketAddr, SocketAddr, &[u8])) -> Happened {
        if !self.rtc.is_alive() {
            return Happened::Timeout(Instant::now() + Duration::from_secs(1));
        }
        if let Some(say) = self.negotiate() {
            return say;
        }
        match self.rtc.poll_output() {
            Ok(Output::Transmit(t)) => {
                send(t.source, t.destination, &t.contents);
                Happened::Nothing
            }
            Ok(Output::Timeout(t)) => Happened::Timeout(t),
            Ok(Output::Event(e)) => self.event(e),
            Err(e) => {
                tracing::info!(peer = %self.peer, %e, "SFU client failed");
                self.rtc.disconnect();
                Happened::Nothing
            }
        }
    }

    fn event(&mut self, event: Event) -> Happened {
        match event {
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                tracing::info!(peer = %self.peer, "SFU client disconnected");
                self.rtc.disconnect();
                Happened::Nothing
            }
            Event::MediaAdded(m) if m.direction.is_receiving() && !self.forwards(m.mid) => {
                if self.published.len() >= MAX_PUBLISHED {
                    return Happened::Nothing;
                }
                self.published.push(Published {
                    mid: m.mid,
                    kind: m.kind,
                    last_keyframe_request: None,
                });
                let source = Source {
                    peer: self.peer,
                    mid: m.mid,
                };
                Happened::Published(source, m.kind)
            }
            Event::MediaData(data) => {
                if !data.contiguous {
                    self.request_keyframe(data.mid, KeyframeRequestKind::Fir);
                }
                let source = Source {
                    peer: self.peer,
                    mid: data.mid,
                };
                Happened::Media(source, Box::new(data))
            }
            Event::KeyframeRequest(req) => match self.source_of(req.mid) {
                Some(source) => Happened::KeyframeWanted(source, req.kind),
                None => Happened::Nothing,
            },
            _ => Happened::Nothing,
        }
    }

    /// Whether `mid` is one of the m-lines the host added to forward another's track.
    fn forwards(&self, mid: Mid) -> bool {
        self.forwarded.iter().any(|t| {
            matches!(t.state, OutState::Negotiating(m) | OutState::Open(m)
                | OutState::ToStop(m) | OutState::NegotiatingStop(m) if m == mid)
        })
    }

    /// The source whose media goes out on our m-line `mid`.
    fn source_of(&self, mid: Mid) -> Option<Source> {
        self.forwarded
            .iter()
            .find(|t| t.state == OutState::Open(mid))
            .map(|t| t.source)
    }

    /// Ask this client (a publisher) for a keyframe of its track `mid`, at most once a second.
    pub fn request_keyframe(&mut self, mid: Mid, kind: KeyframeRequestKind) {
        let now = Instant::now();
        let Some(track) = self.published.iter_mut().find(|p| p.mid == mid) else {
            return;
        };
        if track.kind != MediaKind::Video
            || track
                .last_keyframe_request
                .is_some_and(|t| now.duration_since(t) < KEYFRAME_EVERY)
        {
            return;
        }
        if let Some(mut writer) = self.rtc.writer(mid) {
            if writer.request_keyframe(None, kind).is_ok() {
                track.last_keyframe_request = Some(now);
            }
        }
    }

    /// Send a frame of `source` on the m-line that forwards it, if that one is open.
    pub fn forward(&mut self, source: Source, data: &MediaData) {
        let Some(mid) = self.forwarded.iter().find_map(|t| match t.state {
            OutState::Open(mid) if t.source == source && !t.gone => Some(mid),
            _ => None,
        }) else {
            return;
        };
        let Some(writer) = self.rtc.writer(mid) else {
            return;
        };
        let Some(pt) = writer.match_params(data.params) else {
            return;
        };
        let writer = match (data.ext_vals.audio_level, data.ext_vals.voice_activity) {
            (Some(level), Some(voice)) => writer.audio_level(level, voice),
            _ => writer,
        };
        if let Err(e) = writer.write(pt, data.network_time, data.time, data.data.clone()) {
            tracing::info!(peer = %self.peer, %e, "SFU forward failed");
            self.rtc.disconnect();
        }
    }

    /// An offer for the tracks that wait for one (none while one is unanswered).
    fn negotiate(&mut self) -> Option<Happened> {
        if self.pending.is_some() {
            return None;
        }
        for track in &mut self.forwarded {
            if let OutState::Open(mid) = track.state {
                if track.gone {
                    track.state = OutState::ToStop(mid);
                }
            }
        }
        let mut change = self.rtc.sdp_api();
        for track in &mut self.forwarded {
            match track.state {
                OutState::ToOpen => {
                    let stream = Some(track.source.peer.to_string());
                    let mid = change.add_media(track.kind, Direction::SendOnly, stream, None, None);
                    track.state = OutState::Negotiating(mid);
                }
                OutState::ToStop(mid) => {
                    change.stop_media(mid);
                    track.state = OutState::NegotiatingStop(mid);
                }
                _ => {}
            }
        }
        if !change.has_changes() {
            return None;
        }
        let (offer, pending) = change.apply()?;
        self.pending = Some(pending);
        Some(Happened::Offer(offer.to_sdp_string(), self.tracks(true)))
    }

    /// Whose media each of our m-lines carries (with `negotiating`: also those of the offer
    /// being made).
    pub fn tracks(&self, negotiating: bool) -> Vec<SfuTrack> {
        self.forwarded
            .iter()
            .filter_map(|t| {
                let mid = match t.state {
                    OutState::Open(mid) if !t.gone => mid,
                    OutState::Negotiating(mid) if negotiating => mid,
                    _ => return None,
                };
                Some(SfuTrack {
                    mid: mid.to_string(),
                    peer: t.source.peer,
                    kind: kind_name(t.kind).to_string(),
                })
            })
            .collect()
    }
}

fn parse_offer(sdp: &str) -> Result<SdpOffer, SdpRefused> {
    SdpOffer::from_sdp_string(sdp).map_err(|e| SdpRefused::Parse(e.to_string()))
}

fn kind_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    }
}
