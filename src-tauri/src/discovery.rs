//! Every other moim host on the LAN, found with mDNS (DNS-SD, `_moim._tcp.local.`), and what
//! rooms each of them holds.
//!
//! Each host announces a small, fixed TXT record: its id, name, protocol version, port and
//! certificate fingerprint. It also browses: for every other host it finds, it opens one
//! signaling socket over HTTPS pinned to the announced fingerprint and asks to `watch` its room
//! list, so room changes arrive as pushes (the TXT record never changes with rooms), and a host
//! that dies is noticed when its socket does. What it learns flows one way, into
//! [`crate::directory`]; discovery knows nothing of this host's own rooms.
//!
//! The mDNS daemon runs on its own thread; a supervisor restarts it if it stops answering.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mdns_sd::{IfKind, ServiceDaemon, ServiceEvent, ServiceInfo};
use parking_lot::RwLock;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::protocol::{HostEntry, RoomInfo, PROTOCOL_VERSION};
use crate::remote::{self, RemoteError};
use crate::tls::Fingerprint;

/// The DNS-SD service type of moim hosts.
pub const SERVICE_TYPE: &str = "_moim._tcp.local.";
/// Most addresses kept for one announced host.
const MAX_ADDRS: usize = 8;
/// Most rooms kept for one remote host.
const MAX_REMOTE_ROOMS: usize = 200;
/// Longest host name kept from an announcement.
const MAX_HOST_NAME: usize = 64;
/// A watch socket silent this long is dead (hosts ping every 5 s).
const WATCH_IDLE: Duration = Duration::from_secs(10);
/// How often the supervisor checks that the mDNS daemon still answers.
const HEALTH_EVERY: Duration = Duration::from_secs(5);

/// What an announcement says about a remote host, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// DNS-SD instance name.
    pub fullname: String,
    /// Host id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// IPv4 addresses.
    pub addrs: Vec<IpAddr>,
    /// Port.
    pub port: u16,
    /// Certificate fingerprint.
    pub fingerprint: Option<Fingerprint>,
}

/// What this host announces of itself.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Host id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The port it serves on.
    pub port: u16,
    /// Its certificate fingerprint, when it speaks HTTPS.
    pub fingerprint: Option<Fingerprint>,
    /// Interfaces (names or addresses) to announce on; empty for all.
    pub interfaces: Vec<String>,
}

struct Remote {
    ann: Announcement,
    rooms: Vec<RoomInfo>,
    /// Whether its watch socket is up (only reachable hosts are listed).
    reachable: bool,
    watcher: JoinHandle<()>,
}

/// The live list of the other hosts on the LAN.
pub struct Discovery {
    remotes: RwLock<HashMap<String, Remote>>,
    changed: watch::Sender<u64>,
    me: Identity,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery")
            .field("id", &self.me.id)
            .finish()
    }
}

impl Discovery {
    /// A discovery that will announce `me`; it announces and browses nothing until
    /// [`Discovery::start`].
    pub fn new(me: Identity) -> Arc<Self> {
        Arc::new(Self {
            remotes: RwLock::new(HashMap::new()),
            changed: watch::channel(0).0,
            me,
        })
    }

    /// Start announcing and browsing on the LAN until `shutdown`; the supervisor restarts the
    /// mDNS daemon if it dies. On shutdown the service is unregistered (a goodbye packet).
    pub fn start(self: &Arc<Self>, shutdown: CancellationToken) -> JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move { this.supervise(shutdown).await })
    }

    /// Changes whenever the list changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Every reachable remote host with its rooms, by name.
    pub fn remotes(&self) -> Vec<HostEntry> {
        let remotes = self.remotes.read();
        let mut out: Vec<HostEntry> = remotes
            .values()
            .filter(|r| r.reachable)
            .map(|r| HostEntry {
                id: r.ann.id.clone(),
                name: r.ann.name.clone(),
                is_self: false,
                url: url_of(&r.ann),
                fingerprint: r.ann.fingerprint.map(|f| f.hex()),
                rooms: r.rooms.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        out
    }

    /// Where to reach a remote host by id: its addresses, port and fingerprint.
    pub fn route(&self, id: &str) -> Option<(Vec<SocketAddr>, Option<Fingerprint>)> {
        let remotes = self.remotes.read();
        let r = remotes.get(id)?;
        let addrs = r
            .ann
            .addrs
            .iter()
            .map(|ip| SocketAddr::new(*ip, r.ann.port))
            .collect();
        Some((addrs, r.ann.fingerprint))
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    async fn supervise(self: Arc<Self>, shutdown: CancellationToken) {
        let mut backoff = Duration::from_millis(500);
        loop {
            match self.run_daemon(&shutdown).await {
                Ok(()) => return,
                Err(err) => {
                    tracing::warn!(%err, "mDNS daemon stopped; restarting it");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }

    /// One life of the mDNS daemon. `Ok` means a clean shutdown; `Err` asks for a restart.
    async fn run_daemon(self: &Arc<Self>, shutdown: &CancellationToken) -> Result<(), String> {
        let daemon = ServiceDaemon::new().map_err(|e| e.to_string())?;
        // Loopback multicast is never useful here, and IPv6 adds nothing to IPv4 on a LAN.
        let _ =
            daemon.disable_interface(vec![IfKind::LoopbackV4, IfKind::LoopbackV6, IfKind::IPv6]);
        if !self.me.interfaces.is_empty() {
            let _ = daemon.disable_interface(IfKind::All);
            for name in &self.me.interfaces {
                let kind = match name.parse::<IpAddr>() {
                    Ok(ip) => IfKind::Addr(ip),
                    Err(_) => IfKind::Name(name.clone()),
                };
                daemon.enable_interface(kind).map_err(|e| e.to_string())?;
            }
        }
        let info = self.service_info()?;
        daemon.register(info.clone()).map_err(|e| e.to_string())?;
        let events = daemon.browse(SERVICE_TYPE).map_err(|e| e.to_string())?;
        tracing::info!(id = %self.me.id, "announcing on the LAN and browsing for other hosts");
        let mut health = tokio::time::interval(HEALTH_EVERY);
        health.tick().await;
        let result = loop {
            tokio::select! {
                _ = shutdown.cancelled() => break Ok(()),
                event = events.recv_async() => match event {
                    Ok(event) => self.on_event(event),
                    Err(_) => break Err("the browse channel closed".to_string()),
                },
                _ = health.tick() => {
                    let alive = match daemon.status() {
                        Ok(rx) => matches!(
                            tokio::time::timeout(Duration::from_secs(2), rx.recv_async()).await,
                            Ok(Ok(mdns_sd::DaemonStatus::Running))
                        ),
                        Err(_) => false,
                    };
                    if !alive {
                        break Err("the daemon does not answer".to_string());
                    }
                }
            }
        };
        if let Ok(rx) = daemon.unregister(info.get_fullname()) {
            let _ = tokio::time::timeout(Duration::from_secs(1), rx.recv_async()).await;
        }
        let _ = daemon.shutdown();
        if result.is_err() {
            // The restarted daemon will find the others again.
            self.forget_all();
        }
        result
    }

    fn service_info(&self) -> Result<ServiceInfo, String> {
        let me = &self.me;
        let short: String = me.name.chars().take(40).collect();
        let instance = format!("{short} ({})", &me.id[..6]);
        let server = format!("moim-{}.local.", me.id);
        let port = me.port.to_string();
        let version = PROTOCOL_VERSION.to_string();
        let fp = me.fingerprint.map(|f| f.hex());
        let mut txt: Vec<(&str, &str)> = vec![
            ("id", &me.id),
            ("name", &short),
            ("v", &version),
            ("port", &port),
        ];
        if let Some(fp) = &fp {
            txt.push(("tls", "1"));
            txt.push(("fp", fp));
        } else {
            txt.push(("tls", "0"));
        }
        ServiceInfo::new(SERVICE_TYPE, &instance, &server, "", me.port, &txt[..])
            .map(ServiceInfo::enable_addr_auto)
            .map_err(|e| e.to_string())
    }

    fn on_event(self: &Arc<Self>, event: ServiceEvent) {
        match event {
            ServiceEvent::ServiceResolved(info) => match parse_announcement(&info) {
                Ok(ann) if ann.id == self.me.id => {}
                Ok(ann) => self.upsert(ann),
                Err(why) => {
                    tracing::debug!(fullname = %info.fullname, why, "ignored an announcement")
                }
            },
            ServiceEvent::ServiceRemoved(_, fullname) => {
                let mut remotes = self.remotes.write();
                let gone: Vec<String> = remotes
                    .iter()
                    .filter(|(_, r)| r.ann.fullname == fullname)
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in gone {
                    if let Some(r) = remotes.remove(&id) {
                        tracing::info!(host = %id, name = %r.ann.name, "host left the LAN");
                        r.watcher.abort();
                    }
                }
                drop(remotes);
                self.bump();
            }
            _ => {}
        }
    }

    fn upsert(self: &Arc<Self>, ann: Announcement) {
        let mut remotes = self.remotes.write();
        if let Some(existing) = remotes.get_mut(&ann.id) {
            if existing.ann.fingerprint != ann.fingerprint && existing.reachable {
                // Someone else claims a host id whose certificate we already reach: a spoof,
                // or a reinstall; keep the one we can verify until it goes away.
                tracing::warn!(host = %ann.id, "ignored an announcement with another certificate");
                return;
            }
            let route_changed = existing.ann.addrs != ann.addrs
                || existing.ann.port != ann.port
                || existing.ann.fingerprint != ann.fingerprint;
            existing.ann = ann.clone();
            if !route_changed && !existing.watcher.is_finished() {
                return;
            }
            existing.watcher.abort();
            existing.watcher = tokio::spawn(self.clone().watch_remote(ann));
            return;
        }
        tracing::info!(host = %ann.id, name = %ann.name, addrs = ?ann.addrs, "found a host");
        let watcher = tokio::spawn(self.clone().watch_remote(ann.clone()));
        remotes.insert(
            ann.id.clone(),
            Remote {
                ann,
                rooms: Vec::new(),
                reachable: false,
                watcher,
            },
        );
    }

    fn forget_all(&self) {
        for (_, r) in self.remotes.write().drain() {
            r.watcher.abort();
        }
        self.bump();
    }

    fn set_remote(&self, id: &str, rooms: Option<Vec<RoomInfo>>) {
        let mut remotes = self.remotes.write();
        let Some(r) = remotes.get_mut(id) else { return };
        match rooms {
            Some(rooms) => {
                r.rooms = rooms;
                r.reachable = true;
            }
            None if !r.reachable => return,
            None => r.reachable = false,
        }
        drop(remotes);
        self.bump();
    }

    /// Keep one `watch` socket to a remote host for as long as it is announced.
    async fn watch_remote(self: Arc<Self>, ann: Announcement) {
        let mut backoff = Duration::from_millis(250);
        loop {
            for ip in &ann.addrs {
                let addr = SocketAddr::new(*ip, ann.port);
                match self.watch_once(addr, &ann).await {
                    Ok(()) => backoff = Duration::from_millis(250),
                    Err(err) => tracing::debug!(host = %ann.id, %addr, %err, "room watch ended"),
                }
            }
            self.set_remote(&ann.id, None);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(4));
        }
    }

    async fn watch_once(&self, addr: SocketAddr, ann: &Announcement) -> Result<(), RemoteError> {
        let mut ws = remote::open_socket(addr, ann.fingerprint, None).await?;
        ws.send(Message::text(r#"{"type":"list-rooms","watch":true}"#))
            .await?;
        loop {
            let msg = tokio::time::timeout(WATCH_IDLE, ws.next())
                .await
                .map_err(|_| RemoteError::Timeout)?
                .ok_or_else(|| RemoteError::Answer("closed".into()))??;
            let Message::Text(text) = msg else { continue };
            #[derive(serde::Deserialize)]
            struct Frame {
                #[serde(rename = "type")]
                ty: String,
                #[serde(default)]
                rooms: Vec<RoomInfo>,
            }
            let frame: Frame = serde_json::from_str(text.as_str())
                .map_err(|e| RemoteError::Answer(e.to_string()))?;
            match frame.ty.as_str() {
                "rooms" => self.set_remote(&ann.id, Some(clean_rooms(frame.rooms))),
                "closing" => return Err(RemoteError::Answer("the host is closing".into())),
                _ => {}
            }
        }
    }
}

fn url_of(ann: &Announcement) -> String {
    let scheme = if ann.fingerprint.is_some() {
        "https"
    } else {
        "http"
    };
    ann.addrs
        .first()
        .map(|ip| format!("{scheme}://{}/", SocketAddr::new(*ip, ann.port)))
        .unwrap_or_default()
}

/// Keep a remote room list within bounds: names trimmed, counts sane, at most 200 rooms.
fn clean_rooms(rooms: Vec<RoomInfo>) -> Vec<RoomInfo> {
    rooms
        .into_iter()
        .filter(|r| crate::room::is_room_id(&r.id) && r.peers <= r.capacity && r.capacity <= 64)
        .map(|mut r| {
            r.name = r
                .name
                .chars()
                .filter(|c| !c.is_control())
                .take(64)
                .collect();
            r
        })
        .take(MAX_REMOTE_ROOMS)
        .collect()
}

/// Check an announcement; anything malformed is refused with a reason.
pub fn parse_announcement(info: &mdns_sd::ResolvedService) -> Result<Announcement, &'static str> {
    let props = &info.txt_properties;
    let get = |k: &str| props.get_property_val_str(k);
    let id = get("id").ok_or("no id")?;
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("bad id");
    }
    if get("v") != Some(&PROTOCOL_VERSION.to_string()) {
        return Err("another protocol version");
    }
    let name: String = get("name")
        .unwrap_or("moim")
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_HOST_NAME)
        .collect();
    let fingerprint = match get("tls") {
        Some("1") => Some(
            get("fp")
                .and_then(Fingerprint::parse)
                .ok_or("bad fingerprint")?,
        ),
        Some("0") => None,
        _ => return Err("bad tls flag"),
    };
    if info.port == 0 {
        return Err("no port");
    }
    let mut addrs: Vec<IpAddr> = info
        .addresses
        .iter()
        .map(|a| a.to_ip_addr())
        .filter(|ip| {
            ip.is_ipv4() && !ip.is_unspecified() && !ip.is_multicast() && !ip.is_loopback()
        })
        .collect();
    addrs.sort();
    addrs.dedup();
    addrs.truncate(MAX_ADDRS);
    if addrs.is_empty() {
        return Err("no usable address");
    }
    Ok(Announcement {
        fullname: info.fullname.clone(),
        id: id.to_string(),
        name,
        addrs,
        port: info.port,
        fingerprint,
    })
}
