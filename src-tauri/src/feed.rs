//! A feed: one server message that changes over time (the room list of the lobby; the LAN's
//! hosts), serialized once per change and shared by every socket that watches it. A watcher
//! holds only the latest version, so one that reads slowly skips versions instead of queueing
//! them: a feed costs one copy of its message in all, never one per watcher or per change.
//!
//! The hub starts a socket watching by putting [`Outgoing::Watch`](crate::room::Outgoing) in
//! its outbox (in order with everything else it was sent), and stops it with
//! `Outgoing::Unwatch`; the socket's [`Mailbox`](crate::room::Mailbox) does the rest.

use axum::extract::ws::Utf8Bytes;
use tokio::sync::watch;

/// The publishing side of one feed.
#[derive(Debug, Clone)]
pub struct Feed {
    name: &'static str,
    tx: watch::Sender<Option<Utf8Bytes>>,
}

impl Feed {
    /// An empty feed; `name` tells one feed from another in a socket's mailbox.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            tx: watch::channel(None).0,
        }
    }

    /// Replace the message every watcher will get next. Never waits.
    pub fn publish(&self, frame: Utf8Bytes) {
        self.tx.send_replace(Some(frame));
    }

    /// A watcher that gets the current message at once (if there is one), then every change.
    pub fn watch_now(&self) -> Watch {
        let mut rx = self.tx.subscribe();
        rx.mark_changed();
        Watch {
            name: self.name,
            rx,
        }
    }

    /// A watcher that gets only changes after now (the caller sent the current message
    /// itself).
    pub fn watch_changes(&self) -> Watch {
        let mut rx = self.tx.subscribe();
        rx.mark_unchanged();
        Watch {
            name: self.name,
            rx,
        }
    }
}

/// One socket's subscription to a feed.
#[derive(Debug)]
pub struct Watch {
    pub(crate) name: &'static str,
    pub(crate) rx: watch::Receiver<Option<Utf8Bytes>>,
}

impl PartialEq for Watch {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.rx.same_channel(&other.rx)
    }
}

impl Watch {
    /// The next version, once it differs from the last one taken; `None` when the feed is gone.
    pub(crate) async fn next(&mut self) -> Option<Utf8Bytes> {
        loop {
            self.rx.changed().await.ok()?;
            if let Some(frame) = self.rx.borrow_and_update().clone() {
                return Some(frame);
            }
        }
    }
}
