//! One client of the SFU: its `str0m::Rtc`, the tracks it publishes, the tracks the host
//! forwards to it, and the host's side of their offer/answer exchange (the host is the
//! impolite side: it ignores a client's offer while its own is unanswered).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::crypto::CryptoProvider;
use str0m::format::CodecExtra;
use str0m::media::{Direction, KeyframeRequestKind, MediaData, MediaKind, Mid, Rid};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};

use super::View;
use crate::protocol::{PeerId, SfuTrack};

/// A publisher is asked for a keyframe at most this often per track (per simulcast layer).
const KEYFRAME_EVERY: Duration = Duration::from_secs(1);
/// The height (device pixels) a subscriber is taken to show a camera at until it says
/// (`sfu-view`).
pub(super) const DEFAULT_VIEW_HEIGHT: u32 = 360;
/// A simulcast layer not heard from for this long is taken as switched off by its publisher
/// (the browser drops its top layers when its uplink cannot carry them).
const LAYER_STALE: Duration = Duration::from_millis(1500);
/// A layer a little shorter than the tile still fits it (a 360p layer for a 380-pixel tile).
const FIT_PERCENT: u32 = 90;
/// Tracks one client may publish (camera, microphone, a screen and its sound).
pub(super) const MAX_PUBLISHED: usize = 4;
/// Times an offer is drawn again when str0m gave two of its new m-lines the same mid.
const MID_DRAWS: usize = 8;
/// Simulcast layers of one track the host keeps track of (clients send three); frames of
/// further ones are never forwarded.
const MAX_LAYERS: usize = 4;

/// A published track: whose, and which of its m-lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Source {
    pub peer: PeerId,
    pub mid: Mid,
}

struct Published {
    mid: Mid,
    kind: MediaKind,
    /// When a keyframe was last asked for, per layer (`None`: a track without simulcast).
    keyframe_requests: Vec<(Option<Rid>, Instant)>,
    /// Its simulcast layers, as heard so far (empty: no simulcast).
    layers: Vec<Layer>,
}

/// One simulcast layer of a published camera.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layer {
    pub rid: Rid,
    /// Its picture's height, from its last keyframe (0 until one came).
    pub height: u32,
    /// When a frame of it last came.
    pub seen: Instant,
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
    /// The simulcast layer forwarded now (switched only at a keyframe of the next one).
    layer: Option<Rid>,
    /// A camera without simulcast whose frames were held back (not among the cameras this
    /// client receives): its next keyframe starts it again.
    needs_keyframe: bool,
}

/// The keyframe a subscriber needs of a publisher's track: of that simulcast layer, or of the
/// track (`None`: no simulcast).
pub(super) type KeyframeOf = Option<Rid>;

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
    /// It wants a keyframe of a track it receives (of that simulcast layer).
    KeyframeWanted(Source, Option<Rid>, KeyframeRequestKind),
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
    /// Its room's id (shared: the engine holds it for each frame it passes on).
    pub room: Arc<str>,
    rtc: Rtc,
    pending: Option<SdpPendingOffer>,
    published: Vec<Published>,
    forwarded: Vec<Forwarded>,
    /// How it shows the others' cameras (`sfu-view`).
    view: View,
    /// Whose cameras it receives now (chosen by the engine from its view and the speakers).
    cameras: Vec<PeerId>,
    /// When its `Rtc` wants its time next (its last `Output::Timeout`).
    pub wake: Instant,
    /// Its forwarded tracks changed since the last offer was made (or it could not be made):
    /// [`Client::negotiate`] looks at them only then, not on every poll.
    renegotiate: bool,
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
        // one codec of each kind: a subscriber must decode what a publisher sends, as the host
        // forwards and never transcodes, and every m-line of a large meeting's SDP lists each
        // codec (a room of 50 has a hundred: docs/sfu.md "Limits")
        let mut rtc = Rtc::builder()
            .set_crypto_provider(crypto.clone())
            .clear_codecs()
            .enable_opus(true)
            .enable_vp8(true)
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
            room: room.into(),
            rtc,
            pending: None,
            published: Vec::new(),
            forwarded: Vec::new(),
            view: View::default(),
            cameras: Vec::new(),
            wake: now,
            renegotiate: false,
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
        self.renegotiate = true;
        self.forwarded.push(Forwarded {
            source,
            kind,
            state: OutState::ToOpen,
            gone: false,
            layer: None,
            needs_keyframe: false,
        });
    }

    /// `sfu-view`: how it shows the others' cameras now (in place of the last one).
    pub fn set_view(&mut self, view: View) {
        self.view = view;
    }

    pub fn view(&self) -> &View {
        &self.view
    }

    /// Receive the cameras of `peers` from now on (and no others). Whether that changed (not
    /// their order). A camera that stops is started again at a keyframe.
    pub fn set_cameras(&mut self, peers: &[PeerId]) -> bool {
        let same =
            self.cameras.len() == peers.len() && peers.iter().all(|p| self.cameras.contains(p));
        if same {
            return false;
        }
        for track in &mut self.forwarded {
            if track.kind == MediaKind::Video && !peers.contains(&track.source.peer) {
                track.layer = None;
                track.needs_keyframe = true;
            }
        }
        self.cameras = peers.to_vec();
        true
    }

    /// The simulcast layers heard of its track `mid` (empty: none, or no simulcast).
    pub fn layers(&self, mid: Mid) -> &[Layer] {
        self.published
            .iter()
            .find(|p| p.mid == mid)
            .map_or(&[], |p| p.layers.as_slice())
    }

    /// `peer` left: stop forwarding its tracks.
    pub fn source_gone(&mut self, peer: PeerId) {
        self.renegotiate = true;
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
                    keyframe_requests: Vec::new(),
                    layers: Vec::new(),
                });
                let source = Source {
                    peer: self.peer,
                    mid: m.mid,
                };
                Happened::Published(source, m.kind)
            }
            Event::MediaData(data) => {
                if !data.contiguous {
                    self.request_keyframe(data.mid, data.rid, KeyframeRequestKind::Fir);
                }
                if let Some(rid) = data.rid {
                    self.heard_layer(&data, rid);
                }
                let source = Source {
                    peer: self.peer,
                    mid: data.mid,
                };
                Happened::Media(source, Box::new(data))
            }
            Event::KeyframeRequest(req) => match self.source_of(req.mid) {
                Some((source, layer)) => Happened::KeyframeWanted(source, layer, req.kind),
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

    /// A frame of simulcast layer `rid` of one of its tracks: the layer is on, and its
    /// keyframes tell its height.
    fn heard_layer(&mut self, data: &MediaData, rid: Rid) {
        let Some(track) = self.published.iter_mut().find(|p| p.mid == data.mid) else {
            return;
        };
        let height = is_keyframe(data).then(|| vp8_height(&data.data)).flatten();
        let room = track.layers.len() < MAX_LAYERS;
        match track.layers.iter_mut().find(|l| l.rid == rid) {
            Some(layer) => {
                layer.seen = data.network_time;
                if let Some(h) = height {
                    layer.height = h;
                }
            }
            None if room => track.layers.push(Layer {
                rid,
                height: height.unwrap_or(0),
                seen: data.network_time,
            }),
            None => {}
        }
    }

    /// The source whose media goes out on our m-line `mid`, and the layer of it sent now.
    fn source_of(&self, mid: Mid) -> Option<(Source, Option<Rid>)> {
        self.forwarded
            .iter()
            .find(|t| t.state == OutState::Open(mid))
            .map(|t| (t.source, t.layer))
    }

    /// Ask this client (a publisher) for a keyframe of its track `mid` (of its simulcast layer
    /// `rid`), at most once a second each. Without a layer, a simulcast track is not asked:
    /// each subscriber asks for the layer it needs when it forwards. Whether it was asked (its
    /// `Rtc` changed: drain it).
    pub fn request_keyframe(
        &mut self,
        mid: Mid,
        rid: Option<Rid>,
        kind: KeyframeRequestKind,
    ) -> bool {
        let now = Instant::now();
        let Some(track) = self.published.iter_mut().find(|p| p.mid == mid) else {
            return false;
        };
        let recent = track
            .keyframe_requests
            .iter()
            .any(|(r, t)| *r == rid && now.duration_since(*t) < KEYFRAME_EVERY);
        if track.kind != MediaKind::Video || recent || (rid.is_none() && !track.layers.is_empty()) {
            return false;
        }
        let Some(mut writer) = self.rtc.writer(mid) else {
            return false;
        };
        if writer.request_keyframe(rid, kind).is_err() {
            return false;
        }
        track.keyframe_requests.retain(|(r, _)| *r != rid);
        track.keyframe_requests.push((rid, now));
        true
    }

    /// Send a frame of `source` on the m-line that forwards it, if that one is open and, of a
    /// camera, if this client receives that camera now. Of a simulcast camera (`layers`, as its
    /// publisher sends them) only the layer that fits this subscriber's tile is sent: a switch
    /// waits for a keyframe of the new layer. Whether it was written (its `Rtc` changed: drain
    /// it), and the keyframe wanted of the publisher, if any.
    pub fn forward(
        &mut self,
        source: Source,
        data: &MediaData,
        layers: &[Layer],
    ) -> (bool, Option<KeyframeOf>) {
        let mut keyframe = None;
        let wrote = self.write(source, data, layers, &mut keyframe).is_some();
        (wrote, keyframe)
    }

    fn write(
        &mut self,
        source: Source,
        data: &MediaData,
        layers: &[Layer],
        keyframe: &mut Option<KeyframeOf>,
    ) -> Option<()> {
        let want = self
            .view
            .sizes
            .get(&source.peer)
            .copied()
            .unwrap_or(DEFAULT_VIEW_HEIGHT);
        let track = self
            .forwarded
            .iter_mut()
            .find(|t| t.source == source && !t.gone && matches!(t.state, OutState::Open(_)))?;
        let OutState::Open(mid) = track.state else {
            return None;
        };
        if track.kind == MediaKind::Video && !self.cameras.contains(&source.peer) {
            return None;
        }
        if let Some(rid) = data.rid {
            let target = pick_layer(layers, want, data.network_time).unwrap_or(rid);
            if track.layer == Some(rid) {
                // on the layer sent now; a move to another waits for its keyframe
                *keyframe = (target != rid).then_some(Some(target));
            } else if rid == target && is_keyframe(data) {
                track.layer = Some(rid);
            } else {
                *keyframe = (rid == target).then_some(Some(target));
                return None;
            }
        } else if track.needs_keyframe {
            if !is_keyframe(data) {
                *keyframe = Some(None);
                return None;
            }
            track.needs_keyframe = false;
        }
        let writer = self.rtc.writer(mid)?;
        let pt = writer.match_params(data.params)?;
        let writer = match (data.ext_vals.audio_level, data.ext_vals.voice_activity) {
            (Some(level), Some(voice)) => writer.audio_level(level, voice),
            _ => writer,
        };
        if let Err(e) = writer.write(pt, data.network_time, data.time, data.data.clone()) {
            tracing::info!(peer = %self.peer, %e, "SFU forward failed");
            self.rtc.disconnect();
        }
        Some(())
    }

    /// An offer for the tracks that wait for one (none while one is unanswered).
    fn negotiate(&mut self) -> Option<Happened> {
        if self.pending.is_some() || !self.renegotiate {
            return None;
        }
        self.renegotiate = false;
        for track in &mut self.forwarded {
            if let OutState::Open(mid) = track.state {
                if track.gone {
                    track.state = OutState::ToStop(mid);
                }
            }
        }
        // str0m draws each new m-line's mid at random (three characters) and checks it only
        // against the session, not against the others added in the same offer: a host adding
        // a hundred m-lines at once drew the same mid twice about once in fifty offers, and the
        // client refused the offer. So an offer whose new mids repeat is dropped unmade and
        // drawn again.
        for _ in 0..MID_DRAWS {
            let mut change = self.rtc.sdp_api();
            let mut mids: Vec<Option<Mid>> = Vec::with_capacity(self.forwarded.len());
            for track in &self.forwarded {
                mids.push(match track.state {
                    OutState::ToOpen => {
                        let stream = Some(track.source.peer.to_string());
                        Some(change.add_media(track.kind, Direction::SendOnly, stream, None, None))
                    }
                    OutState::ToStop(mid) => {
                        change.stop_media(mid);
                        None
                    }
                    _ => None,
                });
            }
            let mut new: Vec<Mid> = mids.iter().flatten().copied().collect();
            new.sort();
            new.dedup();
            if new.len() < mids.iter().flatten().count() {
                continue;
            }
            if !change.has_changes() {
                return None;
            }
            let (offer, pending) = change.apply()?;
            for (track, mid) in self.forwarded.iter_mut().zip(mids) {
                match (track.state, mid) {
                    (OutState::ToOpen, Some(mid)) => track.state = OutState::Negotiating(mid),
                    (OutState::ToStop(mid), _) => track.state = OutState::NegotiatingStop(mid),
                    _ => {}
                }
            }
            self.pending = Some(pending);
            return Some(Happened::Offer(offer.to_sdp_string(), self.tracks(true)));
        }
        tracing::warn!(peer = %self.peer, "SFU offer not made: its new mids kept repeating");
        self.renegotiate = true;
        None
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

/// The simulcast layer to send for a tile `want` device pixels tall: the smallest layer on now
/// at least about that tall, or the tallest on if none is (`None`: no layer is on). Layers
/// whose height is not known yet count as the shortest.
pub(super) fn pick_layer(layers: &[Layer], want: u32, now: Instant) -> Option<Rid> {
    let mut on: Vec<&Layer> = layers
        .iter()
        .filter(|l| now.saturating_duration_since(l.seen) < LAYER_STALE)
        .collect();
    on.sort_by_key(|l| l.height);
    on.iter()
        .find(|l| l.height.saturating_mul(100) >= want.saturating_mul(FIT_PERCENT))
        .or(on.last())
        .map(|l| l.rid)
}

/// Whether `data` is a keyframe (for the codecs whose frames say so).
fn is_keyframe(data: &MediaData) -> bool {
    match &data.codec_extra {
        CodecExtra::Vp8(e) => e.is_keyframe,
        CodecExtra::H264(e) => e.is_keyframe,
        CodecExtra::Av1(e) => e.is_keyframe,
        _ => false,
    }
}

/// The height of a VP8 keyframe (RFC 6386 9.1: a 3-byte frame tag whose low bit is 0 for a
/// keyframe, the start code 9d 01 2a, then 14-bit width and height, little-endian).
fn vp8_height(frame: &[u8]) -> Option<u32> {
    match frame {
        [tag, _, _, 0x9d, 0x01, 0x2a, _, _, lo, hi, ..] if tag & 1 == 0 => {
            Some(u32::from(u16::from_le_bytes([*lo, *hi]) & 0x3fff))
        }
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(rid: &str, height: u32, seen: Instant) -> Layer {
        Layer {
            rid: rid.into(),
            height,
            seen,
        }
    }

    #[test]
    fn the_shortest_layer_that_fits_the_tile_or_the_tallest_on() {
        let now = Instant::now();
        let all = [
            layer("f", 720, now),
            layer("q", 180, now),
            layer("h", 360, now),
        ];
        let pick = |layers: &[Layer], want| pick_layer(layers, want, now).map(|r| r.to_string());
        assert_eq!(pick(&all, 0).as_deref(), Some("q"), "a hidden tile");
        assert_eq!(pick(&all, 110).as_deref(), Some("q"));
        assert_eq!(pick(&all, 200).as_deref(), Some("q"), "180 is 90 % of 200");
        assert_eq!(pick(&all, 201).as_deref(), Some("h"));
        assert_eq!(pick(&all, 400).as_deref(), Some("h"));
        assert_eq!(pick(&all, 700).as_deref(), Some("f"));
        assert_eq!(
            pick(&all, 2160).as_deref(),
            Some("f"),
            "the tallest there is"
        );
        // the browser switched its top layer off: the next one down
        let stale = now - Duration::from_secs(2);
        let no_top = [
            layer("f", 720, stale),
            layer("q", 180, now),
            layer("h", 360, now),
        ];
        assert_eq!(pick(&no_top, 700).as_deref(), Some("h"));
        // heights not known yet (no keyframe): they count as the shortest
        let unknown = [layer("q", 0, now), layer("h", 360, now)];
        assert_eq!(pick(&unknown, 300).as_deref(), Some("h"));
        assert_eq!(pick(&[], 300), None, "nothing is sent");
    }

    #[test]
    fn a_vp8_keyframe_tells_its_height() {
        // frame tag (key frame, version 0, shown), start code, 640 × 360 (scale bits set)
        let key = [
            0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x42, 0x68, 0xc1, 0x00,
        ];
        assert_eq!(vp8_height(&key), Some(360));
        let mut inter = key;
        inter[0] |= 1;
        assert_eq!(vp8_height(&inter), None, "an interframe has no size");
        assert_eq!(vp8_height(&key[..6]), None, "cut short");
        let mut no_code = key;
        no_code[4] = 0;
        assert_eq!(vp8_height(&no_code), None);
    }
}
