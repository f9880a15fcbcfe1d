//! The LAN directory: every moim host the lobby can offer, this one first, each with its listed
//! rooms. Data travels one way: this host's rooms (from the hub) and the other hosts' rooms
//! (from [`crate::discovery`]) flow into one list, built here once per change; the list is
//! serialized once into a `hosts` frame that the hub pushes to every lobby that follows it
//! (`watch-hosts`), and `/api/hosts` answers with the same list.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::discovery::Discovery;
use crate::protocol::{HostEntry, ServerMessage};
use crate::room::{self, Hub};

/// Changes are gathered this long before the list is rebuilt and pushed, so a burst of joins
/// costs one push.
pub const COALESCE: Duration = Duration::from_millis(100);

/// How this host describes itself in the list (the rooms come from the hub).
#[derive(Debug, Clone)]
pub struct SelfEntry {
    /// Host id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Where guests reach it.
    pub url: String,
    /// Certificate fingerprint (hex), if it speaks HTTPS.
    pub fingerprint: Option<String>,
}

/// The one live list of hosts.
pub struct Directory {
    hub: Arc<Hub>,
    me: SelfEntry,
    discovery: Option<Arc<Discovery>>,
    latest: RwLock<Arc<Vec<HostEntry>>>,
}

impl Directory {
    /// A directory of this host (`me`, rooms from `hub`) and, with mDNS on, the hosts that
    /// `discovery` finds. Builds and publishes the first list at once.
    pub fn new(hub: Arc<Hub>, me: SelfEntry, discovery: Option<Arc<Discovery>>) -> Arc<Self> {
        let this = Arc::new(Self {
            hub,
            me,
            discovery,
            latest: RwLock::new(Arc::default()),
        });
        this.refresh();
        this
    }

    /// The mDNS side, when it is on.
    pub fn discovery(&self) -> Option<&Arc<Discovery>> {
        self.discovery.as_ref()
    }

    /// The hub whose rooms are this host's entry.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// This host's entry with `rooms`.
    pub fn build_self(rooms: Vec<crate::protocol::RoomInfo>, me: &SelfEntry) -> HostEntry {
        HostEntry {
            id: me.id.clone(),
            name: me.name.clone(),
            is_self: true,
            url: me.url.clone(),
            fingerprint: me.fingerprint.clone(),
            rooms,
        }
    }

    /// The list as last built: this host first, then every reachable remote host, by name.
    pub fn hosts(&self) -> Arc<Vec<HostEntry>> {
        self.latest.read().clone()
    }

    /// Rebuild the list and push it to the lobbies that follow it.
    pub fn refresh(&self) {
        let mut hosts = vec![Self::build_self(self.hub.rooms(), &self.me)];
        if let Some(d) = &self.discovery {
            hosts.extend(d.remotes());
        }
        let frame = room::text(&ServerMessage::Hosts {
            mdns: self.discovery.is_some(),
            hosts: hosts.clone(),
        });
        *self.latest.write() = Arc::new(hosts);
        self.hub.publish_hosts(frame);
    }

    /// Keep the list current until `shutdown`: after this host's rooms or another host's
    /// change, wait [`COALESCE`], rebuild once, push once. `on_rooms` runs on every change of
    /// this host's own rooms (the `list-rooms` watchers are pushed from there).
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken, on_rooms: impl Fn()) {
        let mut rooms = self.hub.subscribe_rooms();
        // Without mDNS the sender lives here and never sends: `changed()` then waits forever.
        let (_idle, idle_rx) = watch::channel(0u64);
        let mut remotes = self.discovery.as_ref().map_or(idle_rx, |d| d.subscribe());
        loop {
            let own = tokio::select! {
                _ = shutdown.cancelled() => return,
                changed = rooms.changed() => match changed {
                    Ok(()) => true,
                    Err(_) => return,
                },
                changed = remotes.changed() => match changed {
                    Ok(()) => false,
                    Err(_) => return,
                },
            };
            tokio::time::sleep(COALESCE).await;
            let own = own || rooms.has_changed().unwrap_or(false);
            rooms.borrow_and_update();
            remotes.borrow_and_update();
            if own {
                on_rooms();
            }
            self.refresh();
        }
    }
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("me", &self.me.id)
            .finish()
    }
}
