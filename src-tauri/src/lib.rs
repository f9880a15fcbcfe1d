//! moim (모임, "a gathering"): video meetings on a local network with no internet and no
//! central server. Every copy of the app carries its own signaling host and announces itself
//! with mDNS; browsers on the LAN join through a link.
//!
//! # Layout
//! - [`protocol`]: the wire messages (data only), documented in `docs/protocol.md`.
//! - [`remote`]: talking to another moim host (requests and signaling sockets), over HTTPS
//!   pinned to its fingerprint.
//! - [`room`]: the hub of rooms and peers; delivers every message to its one target.
//! - [`feed`]: a message built once per change and shared by every socket that watches it.
//! - [`budget`]: what one network address may ask of the host.
//! - [`sfu`]: large meetings: the host's SFU (str0m), one UDP port for every client, forwarding
//!   each member's audio and video to the others (`docs/sfu.md`).
//! - [`signaling`]: the life of one WebSocket (reader, writer, limits, liveness).
//! - [`sse`]: the same session over server-sent events and POST, for browsers that refuse the
//!   WebSocket.
//! - [`server`]: the HTTP side: routes, upgrade checks, serving and graceful shutdown.
//! - [`assets`]: the web UI from `ui/`, built in.
//! - [`bridge`]: joining a room on another host through this one.
//! - [`config`]: defaults and the `moim serve` flags.
//! - [`discovery`]: mDNS announcing and browsing; the other hosts on the LAN and their rooms.
//! - [`directory`]: the one live list of hosts the lobby shows, this one first, pushed to
//!   lobbies as `hosts`.
//! - [`tls`]: the host's certificate and its fingerprint, for HTTPS on the LAN.
//! - [`token`]: the host key, resume and room tokens.
//! - [`net`]: this machine's addresses.
//! - [`qr`]: QR codes for join links, drawn locally.
//! - [`shutdown`]: SIGINT/SIGTERM into a cancellation token.
//! - [`error`]: the host's start-up errors.
//! - [`cli`]: the `moim` command line.
//! - `desktop` (feature `desktop`): the Tauri shell around all of the above.
#![forbid(unsafe_code)]

pub(crate) mod assets;
pub(crate) mod bridge;
pub(crate) mod budget;
pub mod cli;
pub mod config;
pub(crate) mod directory;
pub(crate) mod discovery;
pub(crate) mod error;
pub(crate) mod feed;
pub(crate) mod net;
pub mod protocol;
pub(crate) mod qr;
pub mod remote;
pub mod room;
pub(crate) mod server;
pub(crate) mod sfu;
pub(crate) mod shutdown;
pub(crate) mod signaling;
pub(crate) mod sse;
pub mod tls;
pub mod token;

#[cfg(feature = "desktop")]
pub mod desktop;

pub use config::HostConfig;
pub use server::Host;
