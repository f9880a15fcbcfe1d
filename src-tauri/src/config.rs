//! Host configuration: documented defaults and the one clap struct that `moim serve` parses and
//! the desktop app fills from its settings.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::protocol::IceServer;

/// The port a host listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7447;
/// How many peers a room holds by default. Mesh upload grows with N-1, so beyond about eight
/// people a mesh call stops being pleasant on ordinary laptops.
pub const DEFAULT_MAX_PEERS_PER_ROOM: usize = 8;
/// How many people a large meeting (media through the host's SFU) holds by default.
pub const DEFAULT_MAX_PEERS_PER_LARGE_ROOM: usize = 50;
/// Default for `--sfu-threshold`: the head count at which a room moves from the mesh to the
/// host's SFU (at five, each laptop would encode and upload four copies of its camera).
pub const DEFAULT_SFU_THRESHOLD: usize = 5;

/// Largest WebSocket frame or message the host reads; larger ones close the socket with 1009.
/// Room for the largest SDP of a large meeting, JSON-escaped.
pub const MAX_FRAME_BYTES: usize = MAX_SFU_SDP_BYTES + 32 * 1024;
/// Largest `signal.data`. An SDP offer for a few tracks is 3 to 10 KiB.
pub const MAX_SIGNAL_BYTES: usize = 32 * 1024;
/// Largest SDP of `sfu-offer` / `sfu-answer`. A large meeting's grows with the room: an m-line
/// for each track of every other member (two each, a hundred in a room of 50).
pub const MAX_SFU_SDP_BYTES: usize = 256 * 1024;
/// Bytes queued for one client (WebSocket or event stream) before the host drops it rather
/// than buffer without bound: a reader that stops reading costs the host at most this much,
/// and never delays anyone else. A busy good peer holds a few KiB; this is 32 full-size signals.
pub const OUTBOX_BYTES: usize = 1024 * 1024;
/// What one queued frame costs the outbox beyond its bytes (its share of the queue itself), so
/// a flood of tiny frames is bounded too.
pub const OUTBOX_FRAME_OVERHEAD: usize = 64;
/// Default for `--max-pending-connections`.
pub const DEFAULT_MAX_PENDING: usize = 1024;
/// Default for `--max-connections-per-address`: a classroom of 50 behind one NAT'd access
/// point, with a spare tab each, fits four times over.
pub const DEFAULT_SESSIONS_PER_ADDRESS: usize = 256;
/// Connections that are not a session, per address: 50 browsers loading the page at once open
/// up to six each.
pub const DEFAULT_PENDING_PER_ADDRESS: usize = 384;
/// Default for `--rooms-per-address`: rooms one address may create at once, and again per
/// minute (50 pupils each making a breakout room fit).
pub const DEFAULT_ROOMS_PER_ADDRESS: u32 = 64;
/// Default for `--passcode-tries-per-address`: wrong passcodes one address may give at once;
/// they come back at this many per two minutes (a 4-digit passcode then takes hours to guess).
pub const DEFAULT_PASSCODE_TRIES_PER_ADDRESS: u32 = 64;
/// tungstenite's default read buffer is 128 KiB per connection; signaling frames are small, and
/// the buffer grows for the rare large frame, so start small.
pub const WS_READ_BUFFER_BYTES: usize = 4 * 1024;
/// Frames already queued for a socket are written together, up to this many bytes per write:
/// under load one `send` system call carries several frames instead of one each (the kernel's
/// loopback/TCP path is most of a relay's cost). An idle socket's buffer stays empty.
pub const WS_WRITE_BUFFER_BYTES: usize = 8 * 1024;
/// At most this many queued frames go into one flush, so one busy socket cannot starve others.
pub const WRITE_BATCH_FRAMES: usize = 32;
/// How long shutdown waits for sockets to flush their goodbye.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Everything a host needs to run. `moim serve --help` shows it with the env fallbacks.
#[derive(Debug, Clone, Args)]
pub struct HostConfig {
    /// Address to listen on.
    #[arg(long, env = "MOIM_BIND", default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "MOIM_PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// This host's name as others see it (default: the machine's host name).
    #[arg(long, env = "MOIM_NAME")]
    pub name: Option<String>,
    /// How many peers one room holds.
    #[arg(long, env = "MOIM_MAX_PEERS_PER_ROOM", default_value_t = DEFAULT_MAX_PEERS_PER_ROOM,
          value_parser = parse_capacity)]
    pub max_peers_per_room: usize,
    /// How many peers one large meeting (media through the host's SFU) holds.
    #[arg(long, env = "MOIM_MAX_PEERS_PER_LARGE_ROOM",
          default_value_t = DEFAULT_MAX_PEERS_PER_LARGE_ROOM, value_parser = parse_capacity)]
    pub max_peers_per_large_room: usize,
    /// UDP port of the SFU, for every client of every large meeting (default: the same number
    /// as `--port`, or a free one if that is taken; 0 picks a free one).
    #[arg(long, env = "MOIM_SFU_PORT")]
    pub sfu_port: Option<u16>,
    /// The head count at which a room moves from peer-to-peer media to the host's SFU (0:
    /// never; only rooms created as large meetings use it).
    #[arg(long, env = "MOIM_SFU_THRESHOLD", default_value_t = DEFAULT_SFU_THRESHOLD)]
    pub sfu_threshold: usize,
    /// How many rooms the host holds at once.
    #[arg(long, env = "MOIM_MAX_ROOMS", default_value_t = 10_000)]
    pub max_rooms: usize,
    /// How many sessions (WebSocket or event stream) the host holds at once (more get HTTP 503).
    #[arg(long, env = "MOIM_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// How many connections that are not (yet) a session the host holds at once: page loads,
    /// API requests, TLS handshakes. More are answered 503 at once and closed.
    #[arg(long, env = "MOIM_MAX_PENDING_CONNECTIONS", default_value_t = DEFAULT_MAX_PENDING)]
    pub max_pending_connections: usize,
    /// How many sessions one address (an IPv6 /64) may hold at once.
    #[arg(long, env = "MOIM_MAX_CONNECTIONS_PER_ADDRESS",
          default_value_t = DEFAULT_SESSIONS_PER_ADDRESS)]
    pub max_connections_per_address: usize,
    /// How many rooms one address may create at once, and again per minute.
    #[arg(long, env = "MOIM_ROOMS_PER_ADDRESS", default_value_t = DEFAULT_ROOMS_PER_ADDRESS)]
    pub rooms_per_address: u32,
    /// How many wrong passcodes one address may give at once (earned back over two minutes).
    #[arg(long, env = "MOIM_PASSCODE_TRIES_PER_ADDRESS",
          default_value_t = DEFAULT_PASSCODE_TRIES_PER_ADDRESS)]
    pub passcode_tries_per_address: u32,
    /// Sustained messages per second one connection may send.
    #[arg(long, env = "MOIM_MSG_RATE", default_value_t = 50)]
    pub msg_rate: u32,
    /// Messages one connection may send in a burst.
    #[arg(long, env = "MOIM_MSG_BURST", default_value_t = 200)]
    pub msg_burst: u32,
    /// Another origin allowed to open the WebSocket (repeatable). The host's own origin and the
    /// Tauri webview origins are always allowed.
    #[arg(
        long = "allow-origin",
        env = "MOIM_ALLOW_ORIGIN",
        value_delimiter = ','
    )]
    pub allow_origins: Vec<String>,
    /// STUN or TURN URL handed to clients (repeatable). None by default: on a LAN, host
    /// candidates connect, and an unreachable STUN server only delays ICE.
    #[arg(long = "ice-server", env = "MOIM_ICE_SERVERS", value_delimiter = ',')]
    pub ice_servers: Vec<String>,
    /// User name for the TURN servers.
    #[arg(long, env = "MOIM_TURN_USERNAME")]
    pub turn_username: Option<String>,
    /// Credential for the TURN servers.
    #[arg(long, env = "MOIM_TURN_CREDENTIAL")]
    pub turn_credential: Option<String>,
    /// Do not announce or browse with mDNS.
    #[arg(long, env = "MOIM_NO_MDNS")]
    pub no_mdns: bool,
    /// Network interfaces (names or addresses) mDNS uses; all by default.
    #[arg(long = "interface", env = "MOIM_INTERFACES", value_delimiter = ',')]
    pub interfaces: Vec<String>,
    /// Folder for the host key and the TLS certificate (default: the platform's data folder).
    #[arg(long, env = "MOIM_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Serve plain HTTP only, with no certificate (guests on the LAN then get no camera or
    /// microphone: browsers allow those only on HTTPS or localhost).
    #[arg(long, env = "MOIM_NO_TLS")]
    pub no_tls: bool,
    /// Also answer plain HTTP from the LAN (by default plain HTTP is for this machine only, and
    /// LAN browsers are sent to HTTPS).
    #[arg(long, env = "MOIM_LAN_HTTP")]
    pub lan_http: bool,
    /// A PEM certificate (chain) to serve instead of the self-signed one.
    #[arg(long, env = "MOIM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, env = "MOIM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve the UI from this folder instead of the files built into the binary.
    #[arg(long, env = "MOIM_UI_DIR")]
    pub ui_dir: Option<PathBuf>,
    /// Seconds between WebSocket pings.
    #[arg(long, env = "MOIM_PING_INTERVAL", default_value_t = 5.0, hide = true)]
    pub ping_interval_secs: f64,
    /// Seconds of silence after which a peer is dropped.
    #[arg(long, env = "MOIM_IDLE_TIMEOUT", default_value_t = 10.0, hide = true)]
    pub idle_timeout_secs: f64,
    /// Seconds a silent peer keeps its place in its room (a Wi-Fi blackout, a closed lid), so
    /// that coming back with its resume token it is still in the call; 0 drops it at once.
    #[arg(
        long,
        env = "MOIM_RECONNECT_GRACE",
        default_value_t = 30.0,
        hide = true
    )]
    pub reconnect_grace_secs: f64,
    /// Seconds each stage before a session may take: the first byte, the TLS handshake, the
    /// request head (and the wait for the next one), the request body.
    #[arg(
        long,
        env = "MOIM_REQUEST_TIMEOUT",
        default_value_t = 10.0,
        hide = true
    )]
    pub request_timeout_secs: f64,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            bind: IpAddr::from([0, 0, 0, 0]),
            port: DEFAULT_PORT,
            name: None,
            max_peers_per_room: DEFAULT_MAX_PEERS_PER_ROOM,
            max_peers_per_large_room: DEFAULT_MAX_PEERS_PER_LARGE_ROOM,
            sfu_port: None,
            sfu_threshold: DEFAULT_SFU_THRESHOLD,
            max_rooms: 10_000,
            max_connections: 4096,
            max_pending_connections: DEFAULT_MAX_PENDING,
            max_connections_per_address: DEFAULT_SESSIONS_PER_ADDRESS,
            rooms_per_address: DEFAULT_ROOMS_PER_ADDRESS,
            passcode_tries_per_address: DEFAULT_PASSCODE_TRIES_PER_ADDRESS,
            msg_rate: 50,
            msg_burst: 200,
            allow_origins: Vec::new(),
            ice_servers: Vec::new(),
            turn_username: None,
            turn_credential: None,
            no_mdns: false,
            interfaces: Vec::new(),
            data_dir: None,
            no_tls: false,
            lan_http: false,
            tls_cert: None,
            tls_key: None,
            ui_dir: None,
            ping_interval_secs: 5.0,
            idle_timeout_secs: 10.0,
            reconnect_grace_secs: 30.0,
            request_timeout_secs: 10.0,
        }
    }
}

impl HostConfig {
    /// A config for tests and embedding: loopback, any port, no mDNS, a throwaway key.
    pub fn loopback() -> Self {
        Self {
            bind: IpAddr::from([127, 0, 0, 1]),
            port: 0,
            no_mdns: true,
            ..Self::default()
        }
    }

    /// The name this host shows: `--name`, else the machine's host name.
    pub fn host_name(&self) -> String {
        self.name.clone().unwrap_or_else(machine_name)
    }

    /// The ICE servers handed to clients.
    pub fn ice_server_list(&self) -> Vec<IceServer> {
        if self.ice_servers.is_empty() {
            return Vec::new();
        }
        vec![IceServer {
            urls: self.ice_servers.clone(),
            username: self.turn_username.clone(),
            credential: self.turn_credential.clone(),
        }]
    }

    /// The data folder: `--data-dir`, else the platform's (e.g. `~/.local/share/moim`).
    pub fn resolved_data_dir(&self) -> Option<PathBuf> {
        self.data_dir
            .clone()
            .or_else(|| dirs::data_dir().map(|d| d.join("moim")))
    }

    /// Ping interval as a duration (bounded so a silly value cannot spin the host).
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs_f64(self.ping_interval_secs.clamp(0.05, 3600.0))
    }

    /// Idle timeout as a duration.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.idle_timeout_secs.clamp(0.1, 3600.0))
    }

    /// How long a silent peer keeps its place in its room.
    pub fn reconnect_grace(&self) -> Duration {
        Duration::from_secs_f64(self.reconnect_grace_secs.clamp(0.0, 600.0))
    }

    /// The time each stage before a session may take.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.request_timeout_secs.clamp(0.1, 3600.0))
    }

    /// The per-address budgets this configuration asks for.
    pub fn budget_sizes(&self) -> crate::budget::BudgetSizes {
        use crate::budget::{BudgetSizes, Rate};
        let rooms = f64::from(self.rooms_per_address.max(1));
        let tries = f64::from(self.passcode_tries_per_address.max(1));
        BudgetSizes {
            sessions: self.max_connections_per_address.max(1),
            pending: DEFAULT_PENDING_PER_ADDRESS.max(self.max_connections_per_address),
            create_room: Rate {
                burst: rooms,
                per_sec: rooms / 60.0,
            },
            passcode: Rate {
                burst: tries,
                per_sec: tries / 120.0,
            },
        }
    }
}

/// The machine's host name, or `moim` when it cannot be read.
pub fn machine_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "moim".to_string())
}

/// Room capacity from the command line: 2 to 64.
fn parse_capacity(raw: &str) -> Result<usize, String> {
    match raw.parse::<usize>() {
        Ok(n) if (2..=64).contains(&n) => Ok(n),
        _ => Err("a room holds 2 to 64 peers".to_string()),
    }
}
