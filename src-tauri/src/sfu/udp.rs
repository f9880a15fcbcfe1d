//! The SFU's one UDP port: a socket per address it announces (str0m must know which of its
//! addresses a datagram reached, and a socket bound to `0.0.0.0` cannot say), all on the same
//! port number, each address a host candidate of every client.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Largest datagram read (WebRTC keeps its packets under the path MTU, about 1,200 bytes).
const MAX_DATAGRAM: usize = 2048;

/// A datagram a client sent to one of the SFU's addresses.
pub(super) struct Datagram {
    pub data: Vec<u8>,
    pub source: SocketAddr,
    pub destination: SocketAddr,
    /// When it was read off the socket: its arrival time for the transport-wide congestion
    /// feedback the client's bandwidth estimate runs on. Read by a task of its own, so a busy
    /// engine does not stamp it late (a late stamp reads as a congested network: a browser
    /// would switch its top simulcast layers off).
    pub at: Instant,
}

/// The bound sockets.
pub(super) struct Udp {
    sockets: Vec<Arc<UdpSocket>>,
    /// Each socket's address (asked once: [`Udp::send`] picks the socket by it per datagram).
    local: Vec<SocketAddr>,
    /// The reader tasks (see [`Udp::readers`]), ended with the sockets.
    readers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Udp {
    fn drop(&mut self) {
        for reader in &self.readers {
            reader.abort();
        }
    }
}

impl Udp {
    /// Bind `port` (0: a free one, then the same one on every other address) on `bind`, or on
    /// every IPv4 address of this machine when `bind` is unspecified.
    pub async fn bind(bind: IpAddr, port: u16) -> io::Result<Udp> {
        let mut addrs = if bind.is_unspecified() {
            let mut all = crate::net::lan_addrs();
            all.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
            all
        } else {
            vec![bind]
        };
        addrs.dedup();
        let mut sockets = Vec::new();
        let mut port = port;
        for ip in addrs {
            let socket = UdpSocket::bind(SocketAddr::new(ip, port)).await?;
            port = socket.local_addr()?.port();
            sockets.push(Arc::new(socket));
        }
        let local = sockets
            .iter()
            .map(|s| s.local_addr())
            .collect::<io::Result<_>>()?;
        Ok(Udp {
            sockets,
            local,
            readers: Vec::new(),
        })
    }

    /// The port every socket is bound to.
    pub fn port(&self) -> u16 {
        self.local.first().map_or(0, |a| a.port())
    }

    /// The addresses clients may send to (the host candidates).
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.local
    }

    /// One reader task per socket, each sending what it reads into one channel. The tasks end
    /// when the channel's receiver or this `Udp` is dropped.
    pub fn readers(&mut self) -> mpsc::Receiver<Datagram> {
        let (tx, rx) = mpsc::channel(1024);
        for socket in &self.sockets {
            let (socket, tx) = (socket.clone(), tx.clone());
            self.readers.push(tokio::spawn(async move {
                let Ok(destination) = socket.local_addr() else {
                    return;
                };
                let mut buf = vec![0u8; MAX_DATAGRAM];
                loop {
                    let (n, source) = match socket.recv_from(&mut buf).await {
                        Ok(got) => got,
                        // an ICMP "port unreachable" from a client that went away
                        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
                        Err(e) => {
                            tracing::warn!(%e, addr = %destination, "SFU socket failed");
                            return;
                        }
                    };
                    let at = Instant::now();
                    let data = buf[..n].to_vec();
                    let datagram = Datagram {
                        data,
                        source,
                        destination,
                        at,
                    };
                    if tx.send(datagram).await.is_err() {
                        return;
                    }
                }
            }));
        }
        rx
    }

    /// Send `data` from `source` (one of our addresses) to `destination`, without waiting: a
    /// datagram the kernel has no room for is dropped, as the network could drop it.
    pub fn send(&self, source: SocketAddr, destination: SocketAddr, data: &[u8]) {
        let socket = self
            .local
            .iter()
            .position(|a| *a == source)
            .map_or(self.sockets.first(), |i| self.sockets.get(i));
        if let Some(socket) = socket {
            let _ = socket.try_send_to(data, destination);
        }
    }
}
