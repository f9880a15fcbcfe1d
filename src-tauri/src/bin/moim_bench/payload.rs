//! What the load sends: signal frames shaped like a browser's (an SDP offer or answer of a few
//! KiB, ICE candidates of about 200 B, all JSON inside the opaque `data` string, so the host
//! pays for the escaping a real client causes), with a small header in front that says who
//! sent it to whom, when, and in which order.
//!
//! `data` = `B|<phase>|<src>|<dst>|<seq>|<sent ns>|<kind>|<JSON body>`. The header holds no
//! character JSON escapes, so the escaped `data` is the header followed by the escaped body,
//! and the receiver checks the body byte for byte against the one it knows was sent.

use std::fmt::Write as _;

/// What a signal carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An SDP offer (about 3.5 KiB).
    Offer,
    /// An SDP answer (about 2.5 KiB).
    Answer,
    /// An ICE candidate (about 200 B).
    Candidate,
}

impl Kind {
    fn code(self) -> char {
        match self {
            Kind::Offer => 'o',
            Kind::Answer => 'a',
            Kind::Candidate => 'c',
        }
    }

    /// The Socket.IO event the seed servers relay this kind as.
    pub fn event(self, dialect: Dialect) -> &'static str {
        match (self, dialect) {
            (Kind::Offer, _) => "offer",
            (Kind::Answer, _) => "answer",
            (Kind::Candidate, Dialect::Node) => "ice-candidate",
            (Kind::Candidate, Dialect::Flask) => "ice_candidate",
        }
    }

    /// The field of a seed server's relay event that carries the signal.
    fn field(self) -> &'static str {
        match self {
            Kind::Offer => "offer",
            Kind::Answer => "answer",
            Kind::Candidate => "candidate",
        }
    }

    fn from_code(c: &str) -> Option<Kind> {
        match c {
            "o" => Some(Kind::Offer),
            "a" => Some(Kind::Answer),
            "c" => Some(Kind::Candidate),
            _ => None,
        }
    }

    /// The kind of a sender's `n`-th message: a negotiation is one offer or answer and four
    /// candidates, so one message in five is an SDP of a few KiB.
    pub fn nth(mix: Mix, n: u64) -> Kind {
        match (mix, n % 10) {
            (Mix::Candidates, _) => Kind::Candidate,
            (Mix::Negotiation, 0) => Kind::Offer,
            (Mix::Negotiation, 5) => Kind::Answer,
            _ => Kind::Candidate,
        }
    }
}

/// Which messages a phase sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mix {
    /// One offer, one answer and eight candidates in every ten messages (mean ≈ 0.8 KiB).
    Negotiation,
    /// Candidates only (≈ 0.3 KiB frames).
    Candidates,
}

/// The two seed servers' spellings of the same Socket.IO protocol (bench/seeds/).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Seed a, Express + Socket.IO: `join-room` with the room id, `ice-candidate`.
    Node,
    /// Seed b, Flask-SocketIO: `join_room` with `{"room": id}`, `ice_candidate`.
    Flask,
}

/// The three bodies, JSON-escaped once.
pub struct Payloads {
    escaped: [String; 3],
}

/// The header fields of a received signal.
pub struct Header<'a> {
    /// Which phase sent it.
    pub phase: u8,
    /// Sender index.
    pub src: usize,
    /// Intended target index.
    pub dst: usize,
    /// Per sender-target pair, from 0.
    pub seq: u64,
    /// Send time, ns since the run's epoch.
    pub sent_ns: u64,
    /// The peer id in the frame: `from` (relayed by the host) or `to` (echoed).
    pub id: &'a str,
    /// Whether the body arrived exactly as sent.
    pub intact: bool,
}

impl Default for Payloads {
    fn default() -> Self {
        let offer = serde_json::json!({"description": {"type": "offer", "sdp": sdp(3500)}});
        let answer = serde_json::json!({"description": {"type": "answer", "sdp": sdp(2500)}});
        let candidate = serde_json::json!({"candidate": {
            "candidate": "candidate:842163049 1 udp 1677729535 192.168.1.23 54321 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag 4ZcD network-cost 999",
            "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "4ZcD"}});
        let escape = |v: serde_json::Value| {
            let s = serde_json::to_string(&v.to_string()).expect("a string serializes");
            s[1..s.len() - 1].to_string()
        };
        Self {
            escaped: [escape(offer), escape(answer), escape(candidate)],
        }
    }
}

/// What a benchmark signal's header says, in front of its body: `B|phase|src|dst|seq|sent_ns|kind|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Which phase sends it.
    pub phase: u8,
    /// Sender index.
    pub src: usize,
    /// Intended target index.
    pub dst: usize,
    /// Per sender-target pair, from 0.
    pub seq: u64,
    /// Send time, ns since the run's epoch.
    pub sent_ns: u64,
    /// What it carries.
    pub kind: Kind,
}

impl Stamp {
    fn write(&self, f: &mut String, body: &str) {
        let Stamp {
            phase,
            src,
            dst,
            seq,
            sent_ns,
            kind,
        } = self;
        let _ = write!(
            f,
            "B|{phase}|{src}|{dst}|{seq}|{sent_ns}|{}|{body}",
            kind.code()
        );
    }

    /// The stamp at the start of `text` and the body after it, up to `suffix`.
    fn read<'a>(text: &'a str, suffix: &str) -> Option<(Stamp, &'a str)> {
        let mut it = text.strip_prefix("B|")?.splitn(7, '|');
        let stamp = Stamp {
            phase: it.next()?.parse().ok()?,
            src: it.next()?.parse().ok()?,
            dst: it.next()?.parse().ok()?,
            seq: it.next()?.parse().ok()?,
            sent_ns: it.next()?.parse().ok()?,
            kind: Kind::from_code(it.next()?)?,
        };
        Some((stamp, it.next()?.strip_suffix(suffix)?))
    }

    fn header<'a>(&self, id: &'a str, intact: bool) -> Header<'a> {
        Header {
            phase: self.phase,
            src: self.src,
            dst: self.dst,
            seq: self.seq,
            sent_ns: self.sent_ns,
            id,
            intact,
        }
    }
}

impl Payloads {
    fn body(&self, kind: Kind) -> &str {
        &self.escaped[kind as usize]
    }

    /// The frame a client sends: a `signal` to `to` (a peer id) with a header and a body.
    pub fn frame(&self, to: &str, stamp: Stamp) -> String {
        let body = self.body(stamp.kind);
        let mut f = String::with_capacity(body.len() + 128);
        let _ = write!(f, r#"{{"type":"signal","to":"{to}","data":""#);
        stamp.write(&mut f, body);
        f.push_str(r#""}"#);
        f
    }

    /// The same signal as a Socket.IO event to a seed server: `42["offer",{"target":<sid>,
    /// "offer":"B|…"}]`, the header and the escaped body exactly as in [`Payloads::frame`].
    pub fn sio_frame(&self, dialect: Dialect, to: &str, stamp: Stamp) -> String {
        let body = self.body(stamp.kind);
        let mut f = String::with_capacity(body.len() + 128);
        let (event, field) = (stamp.kind.event(dialect), stamp.kind.field());
        let _ = write!(f, r#"42["{event}",{{"target":"{to}","{field}":""#);
        stamp.write(&mut f, body);
        f.push_str(r#""}]"#);
        f
    }

    /// Read a relayed Socket.IO signal, `42["offer",{"from":<sid>,"offer":"B|…"}]`; `None`
    /// when the packet is not a benchmark signal.
    pub fn parse_sio<'a>(&self, dialect: Dialect, text: &'a str) -> Option<Header<'a>> {
        let rest = text.strip_prefix(r#"42[""#)?;
        let (event, rest) = rest.split_once('"')?;
        let rest = rest.strip_prefix(r#",{"from":""#)?;
        let (id, rest) = rest.split_once('"')?;
        let (field, rest) = rest.strip_prefix(r#",""#)?.split_once('"')?;
        let (stamp, body) = Stamp::read(rest.strip_prefix(r#":""#)?, r#""}]"#)?;
        Some(stamp.header(
            id,
            body == self.body(stamp.kind)
                && event == stamp.kind.event(dialect)
                && field == stamp.kind.field(),
        ))
    }

    /// Size of the client frame for `kind` (without the header's variable digits).
    pub fn frame_len(&self, kind: Kind) -> usize {
        let stamp = Stamp {
            phase: 0,
            src: 0,
            dst: 0,
            seq: 0,
            sent_ns: 0,
            kind,
        };
        self.frame("00000000-0000-0000-0000-000000000000", stamp)
            .len()
    }

    /// Read a signal frame as the host relays it (`from`) or the echo returns it (`to`);
    /// `None` when the frame is not a benchmark signal at all.
    pub fn parse<'a>(&self, text: &'a str) -> Option<Header<'a>> {
        let rest = text.strip_prefix(r#"{"type":"signal",""#)?;
        let (key, rest) = rest.split_once(r#"":""#)?;
        if key != "from" && key != "to" {
            return None;
        }
        let id = rest.get(..36)?;
        let rest = rest.get(36..)?.strip_prefix(r#"","data":""#)?;
        let (stamp, body) = Stamp::read(rest, r#""}"#)?;
        Some(stamp.header(id, body == self.body(stamp.kind)))
    }
}

/// A made-up but typical Chrome SDP of about `len` bytes: audio (Opus) and video (VP8, VP9,
/// H.264, AV1) sections with their attributes, repeated codec lines making up the length.
fn sdp(len: usize) -> String {
    let head = [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=extmap-allow-mixed",
        "a=msid-semantic: WMS 6d3c3f6e-4a0b-4c1e-9c7e-0b0c8d8f2a11",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:4ZcD",
        "a=ice-pwd:2/1muCWoOi3uLifh0NuRHlt+",
        "a=ice-options:trickle",
        "a=fingerprint:sha-256 75:74:5A:A6:A4:E5:52:F4:A7:67:4C:01:C7:EE:91:3F:21:3D:A2:E3:53:7B:6F:30:86:F2:30:AA:65:FB:04:24",
        "a=setup:actpass",
        "a=mid:0",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "a=sendrecv",
        "a=msid:6d3c3f6e-4a0b-4c1e-9c7e-0b0c8d8f2a11 0c6b3d7a-5b52-4f4c-b0f1-6f1f3c2d9e10",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=rtcp-fb:111 transport-cc",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=ssrc:3735928559 cname:q1Ypb7Yx0mGSm1Fm",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 45 46",
        "c=IN IP4 0.0.0.0",
        "a=mid:1",
        "a=sendrecv",
        "a=rtcp-mux",
        "a=rtcp-rsize",
    ];
    let codecs = [
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 goog-remb",
        "a=rtcp-fb:96 transport-cc",
        "a=rtcp-fb:96 ccm fir",
        "a=rtcp-fb:96 nack",
        "a=rtcp-fb:96 nack pli",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=rtpmap:98 VP9/90000",
        "a=fmtp:98 profile-id=0",
        "a=rtpmap:100 H264/90000",
        "a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "a=rtpmap:45 AV1/90000",
        "a=fmtp:45 level-idx=5;profile=0;tier=0",
    ];
    let mut sdp = String::new();
    for line in head {
        sdp.push_str(line);
        sdp.push_str("\r\n");
    }
    for line in codecs.iter().cycle() {
        if sdp.len() + line.len() + 2 > len {
            break;
        }
        sdp.push_str(line);
        sdp.push_str("\r\n");
    }
    sdp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_parses_back_as_sent() {
        let p = Payloads::default();
        let id = "6d3c3f6e-4a0b-4c1e-9c7e-0b0c8d8f2a11";
        for kind in [Kind::Offer, Kind::Answer, Kind::Candidate] {
            let f = p.frame(
                id,
                Stamp {
                    phase: 1,
                    src: 7,
                    dst: 9,
                    seq: 42,
                    sent_ns: 123_456,
                    kind,
                },
            );
            // What the host relays: `to` replaced by `from`, `data` byte for byte.
            let relayed = f.replace(r#""to":"#, r#""from":"#);
            let h = p.parse(&relayed).expect("parses");
            assert_eq!((h.phase, h.src, h.dst, h.seq), (1, 7, 9, 42));
            assert_eq!((h.sent_ns, h.id, h.intact), (123_456, id, true));
            let value: serde_json::Value = serde_json::from_str(&f).expect("JSON");
            let data = value["data"].as_str().unwrap();
            assert!(data.starts_with("B|1|7|9|42|123456|"));
        }
        let damaged = p
            .frame(
                id,
                Stamp {
                    phase: 1,
                    src: 7,
                    dst: 9,
                    seq: 42,
                    sent_ns: 1,
                    kind: Kind::Offer,
                },
            )
            .replace("VP8", "VP9");
        assert!(!p.parse(&damaged).unwrap().intact);
        assert!(p.frame_len(Kind::Offer) > 3000 && p.frame_len(Kind::Candidate) < 400);
    }

    #[test]
    fn a_socket_io_frame_parses_back_as_relayed() {
        let p = Payloads::default();
        let sid = "avvGiYtpdc6rohSJAAAA";
        for dialect in [Dialect::Node, Dialect::Flask] {
            for kind in [Kind::Offer, Kind::Answer, Kind::Candidate] {
                let f = p.sio_frame(
                    dialect,
                    sid,
                    Stamp {
                        phase: 2,
                        src: 3,
                        dst: 1,
                        seq: 7,
                        sent_ns: 99,
                        kind,
                    },
                );
                let value: serde_json::Value = serde_json::from_str(&f[2..]).expect("JSON");
                assert_eq!(value[0], kind.event(dialect));
                assert_eq!(value[1]["target"], sid);
                // What a seed server emits: `{from, <field>}` with the field as received.
                let relayed = format!(
                    r#"42["{}",{{"from":"Xy_9","{}":{}}}]"#,
                    kind.event(dialect),
                    kind.field(),
                    value[1][kind.field()]
                );
                let h = p.parse_sio(dialect, &relayed).expect("parses");
                assert_eq!((h.phase, h.src, h.dst, h.seq, h.sent_ns), (2, 3, 1, 7, 99));
                assert_eq!((h.id, h.intact), ("Xy_9", true));
                assert!(p.parse(&relayed).is_none());
            }
        }
        let wrong = r#"42["answer",{"from":"a","answer":"B|1|0|1|0|5|o|x"}]"#;
        assert!(!p.parse_sio(Dialect::Node, wrong).unwrap().intact);
        assert!(p
            .parse_sio(Dialect::Node, r#"42["user-joined","abc"]"#)
            .is_none());
    }
}
