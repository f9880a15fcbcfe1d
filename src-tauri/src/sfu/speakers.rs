//! Who spoke last in a large meeting, from the audio-level header extension of the packets the
//! host forwards (RFC 6464: the sender's level of each packet, in −dBov). The order picks whose
//! camera a subscriber receives: the last N speakers (`docs/sfu.md`, "Last N").

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::protocol::PeerId;

/// A packet at least this loud is speech (−34 dBov: the client's speaking level, 0.02 of full
/// scale, `ui/speaking.js`).
pub(super) const SPEECH_DBOV: i8 = -34;
/// Speech is taken as someone speaking once this much of it came within [`SPEECH_WINDOW`]
/// (a cough or a click is shorter).
const SPEECH_PACKETS: usize = 8;
/// The window [`SPEECH_PACKETS`] are counted in (at 20 ms a packet: 8 of the last 25).
const SPEECH_WINDOW: Duration = Duration::from_millis(500);

/// One room's speakers: every member publishing to the host, the most recent speaker first;
/// members who have not spoken keep the order they came in, after those who have.
#[derive(Debug, Default)]
pub(super) struct Speakers {
    order: Vec<PeerId>,
    /// Per member, the times of its recent loud packets (at most [`SPEECH_PACKETS`]).
    loud: Vec<(PeerId, VecDeque<Instant>)>,
}

impl Speakers {
    /// `peer` publishes in the room: last in the order, until it speaks.
    pub fn joined(&mut self, peer: PeerId) {
        if !self.order.contains(&peer) {
            self.order.push(peer);
            self.loud.push((peer, VecDeque::new()));
        }
    }

    pub fn left(&mut self, peer: PeerId) {
        self.order.retain(|p| *p != peer);
        self.loud.retain(|(p, _)| *p != peer);
    }

    pub fn has(&self, peer: PeerId) -> bool {
        self.order.contains(&peer)
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// A packet of `peer`'s at `level` (−dBov, str0m's sign: 0 is loudest, −127 silence) at
    /// `at`. Whether the order changed: `peer` started speaking and was not first already.
    pub fn heard(&mut self, peer: PeerId, level: i8, at: Instant) -> bool {
        if level < SPEECH_DBOV {
            return false;
        }
        let Some((_, times)) = self.loud.iter_mut().find(|(p, _)| *p == peer) else {
            return false;
        };
        while times
            .front()
            .is_some_and(|t| at.saturating_duration_since(*t) > SPEECH_WINDOW)
        {
            times.pop_front();
        }
        if times.len() == SPEECH_PACKETS {
            times.pop_front();
        }
        times.push_back(at);
        if times.len() < SPEECH_PACKETS || self.order.first() == Some(&peer) {
            return false;
        }
        self.order.retain(|p| *p != peer);
        self.order.insert(0, peer);
        true
    }

    /// Whether `peer` is among the first `n` of the order.
    pub fn among_first(&self, n: usize, peer: PeerId) -> bool {
        self.order.iter().take(n).any(|p| *p == peer)
    }

    /// The first `n` of the order, leaving out `except` (the subscriber itself).
    pub fn last(&self, n: usize, except: PeerId) -> impl Iterator<Item = PeerId> + '_ {
        self.order
            .iter()
            .copied()
            .filter(move |p| *p != except)
            .take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<PeerId> {
        (0..n).map(|_| PeerId::new_v4()).collect()
    }

    /// `peer` talks for `ms` from `from`, a packet every 20 ms; whether the order changed.
    fn talk(s: &mut Speakers, peer: PeerId, from: Instant, ms: u64, level: i8) -> bool {
        let mut changed = false;
        for i in 0..ms / 20 {
            changed |= s.heard(peer, level, from + Duration::from_millis(i * 20));
        }
        changed
    }

    #[test]
    fn the_last_speakers_come_first_and_the_rest_keep_their_order() {
        let p = ids(5);
        let mut s = Speakers::default();
        for id in &p {
            s.joined(*id);
        }
        let last = |s: &Speakers, n, except| s.last(n, except).collect::<Vec<_>>();
        assert_eq!(last(&s, 3, p[0]), vec![p[1], p[2], p[3]], "nobody spoke");
        let t0 = Instant::now();
        assert!(talk(&mut s, p[4], t0, 400, -20));
        assert_eq!(last(&s, 3, p[0]), vec![p[4], p[1], p[2]]);
        assert!(talk(&mut s, p[3], t0 + Duration::from_secs(1), 400, -25));
        assert_eq!(last(&s, 3, p[0]), vec![p[3], p[4], p[1]]);
        assert_eq!(
            last(&s, 2, p[3]),
            vec![p[4], p[0]],
            "not the subscriber itself"
        );
        assert!(
            !talk(&mut s, p[3], t0 + Duration::from_secs(2), 400, -25),
            "first already"
        );
        s.left(p[3]);
        assert_eq!(last(&s, 9, p[0]), vec![p[4], p[1], p[2]]);
    }

    #[test]
    fn silence_noise_and_clicks_are_not_speech() {
        let p = ids(2);
        let mut s = Speakers::default();
        s.joined(p[0]);
        s.joined(p[1]);
        let t0 = Instant::now();
        assert!(!talk(&mut s, p[1], t0, 2000, -127), "silence");
        assert!(
            !talk(&mut s, p[1], t0, 2000, SPEECH_DBOV - 1),
            "quiet noise"
        );
        assert!(
            !talk(&mut s, p[1], t0, 20 * (SPEECH_PACKETS as u64 - 1), -10),
            "a click"
        );
        // loud packets too far apart (one a 100 ms) never make speech either
        let mut changed = false;
        for i in 0..50u64 {
            changed |= s.heard(p[1], -10, t0 + Duration::from_millis(5000 + i * 100));
        }
        assert!(!changed);
        assert!(talk(
            &mut s,
            p[1],
            t0 + Duration::from_secs(20),
            200,
            SPEECH_DBOV
        ));
        let stranger = PeerId::new_v4();
        assert!(!talk(&mut s, stranger, t0, 1000, -10), "not a member");
        assert_eq!(s.last(9, stranger).count(), 2);
    }
}
