//! This machine's addresses, for the URLs a host prints and shows.

use std::net::IpAddr;

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
