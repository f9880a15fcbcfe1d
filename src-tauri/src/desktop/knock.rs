//! Knocks at this host's rooms, for the person running it: even with the window hidden or in
//! the background they learn that someone waits at the door. Each new knock becomes a desktop
//! notification ("Ada is waiting to join “Design review”", in the page's language: the tray's
//! labels), and the tray menu lists everyone waiting with Admit and Turn away
//! ([`super::tray`]). The notification goes through the platform's service
//! (`org.freedesktop.Notifications` on the session D-Bus on Linux); a desktop without one gets
//! a line in the log and nothing else changes.

use std::collections::HashSet;

use super::tray::TrayLabels;
use super::words::fill;
use crate::protocol::PeerId;
use crate::room::RoomDetail;

/// Someone waiting at the door of one of the host's rooms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Knock {
    /// The room's id.
    pub room: String,
    /// The room's name.
    pub room_name: String,
    /// Who waits.
    pub peer: PeerId,
    /// Their display name.
    pub name: String,
}

impl Knock {
    /// "Ada is waiting to join “Design review”", in the labels' language.
    pub fn sentence(&self, labels: &TrayLabels) -> String {
        fill(
            &labels.knock,
            &[("name", &self.name), ("room", &self.room_name)],
        )
    }
}

/// Everyone waiting in `rooms`: room by room, oldest knock first.
pub fn waiting(rooms: &[RoomDetail]) -> Vec<Knock> {
    rooms
        .iter()
        .flat_map(|room| {
            room.waiting.iter().map(|peer| Knock {
                room: room.info.id.clone(),
                room_name: room.info.name.clone(),
                peer: peer.id,
                name: peer.name.clone(),
            })
        })
        .collect()
}

/// The knocks seen at the last look, so that each is announced once.
#[derive(Debug, Default)]
pub struct Doors {
    seen: HashSet<(String, PeerId)>,
}

impl Doors {
    /// The knocks of `rooms` that were not there at the last call. Someone who stopped
    /// waiting (admitted, turned away, gave up) and knocks again is new again.
    pub fn fresh(&mut self, rooms: &[RoomDetail]) -> Vec<Knock> {
        let now = waiting(rooms);
        let fresh = now
            .iter()
            .filter(|k| !self.seen.contains(&(k.room.clone(), k.peer)))
            .cloned()
            .collect();
        self.seen = now.into_iter().map(|k| (k.room, k.peer)).collect();
        fresh
    }
}

/// Announce `knock` with a desktop notification, off the async runtime (the platform call
/// blocks). Without a notification service it is logged and that is all.
pub fn notify(labels: &TrayLabels, knock: &Knock) {
    let summary = knock.sentence(labels);
    let body = markup_text(&labels.knock_hint);
    tracing::info!(room = %knock.room, peer = %knock.peer, "a knock: notifying");
    tauri::async_runtime::spawn_blocking(move || {
        let shown = notify_rust::Notification::new()
            .appname("moim")
            .summary(&summary)
            .body(&body)
            .show();
        if let Err(err) = shown {
            tracing::warn!(%err, "could not show a desktop notification (no notification service?)");
        }
    });
}

/// `text` safe in a notification body, which freedesktop servers may read as markup (a name
/// like `<b>` stays text). Other platforms show the body as it is.
fn markup_text(text: &str) -> String {
    if !cfg!(all(unix, not(target_os = "macos"))) {
        return text.to_string();
    }
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{PeerInfo, RoomInfo, RoomMedia};

    fn peer(name: &str) -> PeerInfo {
        PeerInfo::new(PeerId::new_v4(), name)
    }

    fn room(id: &str, name: &str, waiting: Vec<PeerInfo>) -> RoomDetail {
        RoomDetail {
            info: RoomInfo {
                id: id.into(),
                name: name.into(),
                peers: 1,
                capacity: 8,
                locked: false,
                closed: false,
                waiting_room: true,
                media: RoomMedia::default(),
            },
            members: Vec::new(),
            waiting,
        }
    }

    #[test]
    fn each_knock_is_fresh_once_and_again_after_it_ended() {
        let (ada, grace) = (peer("Ada"), peer("Grace"));
        let mut doors = Doors::default();
        assert!(doors
            .fresh(&[room("r1", "Design review", vec![])])
            .is_empty());
        let one = [room("r1", "Design review", vec![ada.clone()])];
        let fresh = doors.fresh(&one);
        assert_eq!(fresh.len(), 1);
        assert_eq!((fresh[0].peer, fresh[0].name.as_str()), (ada.id, "Ada"));
        assert_eq!(fresh[0].room_name, "Design review");
        assert!(doors.fresh(&one).is_empty(), "announced once");
        // Grace knocks too: only she is new
        let two = [room(
            "r1",
            "Design review",
            vec![ada.clone(), grace.clone()],
        )];
        let fresh = doors.fresh(&two);
        assert_eq!(
            fresh.iter().map(|k| k.peer).collect::<Vec<_>>(),
            vec![grace.id]
        );
        // Ada is let in, then knocks again later (at another room, say)
        doors.fresh(&[room("r1", "Design review", vec![grace.clone()])]);
        let again = doors.fresh(&[
            room("r1", "Design review", vec![grace]),
            room("r2", "Retro", vec![ada.clone()]),
        ]);
        assert_eq!(again.len(), 1);
        assert_eq!((again[0].peer, again[0].room.as_str()), (ada.id, "r2"));
    }

    #[test]
    fn the_sentence_is_the_labels_and_the_body_stays_text() {
        let knock = waiting(&[room("r1", "Design review", vec![peer("Ada")])]).remove(0);
        let en = TrayLabels::default();
        assert_eq!(
            knock.sentence(&en),
            "Ada is waiting to join “Design review”"
        );
        let ko = TrayLabels {
            knock: "{name:이/가} “{room}” 회의 입장을 기다립니다".into(),
            ..TrayLabels::default()
        };
        assert_eq!(
            knock.sentence(&ko),
            "Ada가 “Design review” 회의 입장을 기다립니다"
        );
        if cfg!(all(unix, not(target_os = "macos"))) {
            assert_eq!(
                markup_text("<b>Tom & Jerry</b>"),
                "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"
            );
        }
    }
}
