//! Errors of the host's own layer (start-up, files). Protocol errors are data, in
//! [`crate::protocol::ErrorBody`], because they go back to the client.

use std::path::PathBuf;

/// Why a host could not start.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The data folder could not be read or written.
    #[error("cannot use the data folder {path}: {source}")]
    DataDir {
        /// The folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The TLS certificate could not be loaded or made.
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// What went wrong.
        source: std::io::Error,
    },
}
