//! This machine's addresses, for the URLs a host prints and shows.

use std::net::{IpAddr, SocketAddr};

/// The addresses a listener on `local` can be reached at: loopback first, then every LAN
/// address when it listens on all of them.
pub fn reachable_addrs(local: SocketAddr) -> Vec<IpAddr> {
    let ip = local.ip();
    if !ip.is_unspecified() {
        return vec![ip];
    }
    let mut out = vec![IpAddr::from([127, 0, 0, 1])];
    out.extend(lan_addrs());
    out
}

/// The machine's non-loopback IPv4 addresses.
pub fn lan_addrs() -> Vec<IpAddr> {
    let mut addrs: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback())
        .map(|i| i.ip())
        .filter(|ip| ip.is_ipv4())
        .collect();
    addrs.sort();
    addrs.dedup();
    addrs
}

/// `scheme://addr:port/` for every reachable address.
pub fn urls(local: SocketAddr, scheme: &str) -> Vec<String> {
    reachable_addrs(local)
        .into_iter()
        .map(|ip| format!("{scheme}://{}/", SocketAddr::new(ip, local.port())))
        .collect()
}
