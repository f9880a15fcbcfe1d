//! Per-address budgets: how much one network address may ask of the host (connections, room
//! creation, passcode attempts), so that no single machine can fill the host or guess a
//! passcode, while a whole classroom behind one NAT'd access point still gets in. IPv4
//! addresses count one by one; IPv6 addresses by their /64 (one machine can hold many).
//! The sizes are in `docs/protocol.md` ("Limits").

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// A token bucket over std time: `burst` at once, refilled at `per_sec`.
#[derive(Debug, Clone, Copy)]
struct Tokens {
    tokens: f64,
    last: Instant,
}

/// The size of one budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Spent at once.
    pub burst: f64,
    /// Earned back per second.
    pub per_sec: f64,
}

impl Tokens {
    fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: rate.burst,
            last: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let earned = now.duration_since(self.last).as_secs_f64() * rate.per_sec;
        self.tokens = (self.tokens + earned).min(rate.burst);
        self.last = now;
    }

    /// `Ok` if one token is there (taking it when `take`), else how long until it is.
    fn check(&mut self, rate: Rate, now: Instant, take: bool) -> Result<(), Duration> {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            if take {
                self.tokens -= 1.0;
            }
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / rate.per_sec.max(1e-6);
            Err(Duration::from_secs_f64(wait.min(3600.0)))
        }
    }

    fn is_full(&self, rate: Rate, now: Instant) -> bool {
        let mut t = *self;
        t.refill(rate, now);
        t.tokens >= rate.burst
    }
}

/// The sizes of every per-address budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetSizes {
    /// Sessions (WebSocket or event stream) open at once.
    pub sessions: usize,
    /// Connections that are not (yet) a session: page loads, API requests, handshakes.
    pub pending: usize,
    /// Rooms created.
    pub create_room: Rate,
    /// Wrong passcodes.
    pub passcode: Rate,
}

#[derive(Debug)]
struct Entry {
    sessions: usize,
    pending: usize,
    create: Tokens,
    passcode: Tokens,
}

/// Which address counts: IPv4 as is, IPv6 by its /64.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::from([s[0], s[1], s[2], s[3], 0, 0, 0, 0])
            }
        },
    }
}

/// Entries beyond this many are pruned of the idle ones at once (the host never holds more
/// than this many addresses' worth of state, whatever the LAN).
const MAX_ENTRIES: usize = 65_536;

/// The budgets of every address the host has heard from lately.
#[derive(Debug)]
pub struct Budgets {
    sizes: BudgetSizes,
    map: Mutex<HashMap<IpAddr, Entry>>,
}

/// What kind of connection a [`Slot`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    /// A session.
    Session,
    /// A connection that is not a session.
    Pending,
}

/// One place in an address's connection budget, given back on drop.
#[derive(Debug)]
pub struct Slot {
    budgets: Arc<Budgets>,
    ip: IpAddr,
    kind: SlotKind,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.budgets.map.lock();
        if let Some(e) = map.get_mut(&self.ip) {
            match self.kind {
                SlotKind::Session => e.sessions = e.sessions.saturating_sub(1),
                SlotKind::Pending => e.pending = e.pending.saturating_sub(1),
            }
        }
    }
}

impl Budgets {
    /// Budgets of these sizes.
    pub fn new(sizes: BudgetSizes) -> Self {
        Self {
            sizes,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The sizes.
    pub fn sizes(&self) -> BudgetSizes {
        self.sizes
    }

    fn with<T>(&self, ip: IpAddr, f: impl FnOnce(&mut Entry, &BudgetSizes, Instant) -> T) -> T {
        let now = Instant::now();
        let mut map = self.map.lock();
        if map.len() >= MAX_ENTRIES {
            prune(&mut map, &self.sizes, now);
        }
        let sizes = &self.sizes;
        let entry = map.entry(key(ip)).or_insert_with(|| Entry {
            sessions: 0,
            pending: 0,
            create: Tokens::full(sizes.create_room, now),
            passcode: Tokens::full(sizes.passcode, now),
        });
        f(entry, sizes, now)
    }

    /// Take one place of `kind` for `ip`, if its budget has one.
    pub fn open(self: &Arc<Self>, ip: IpAddr, kind: SlotKind) -> Option<Slot> {
        let ok = self.with(ip, |e, sizes, _| match kind {
            SlotKind::Session if e.sessions < sizes.sessions => {
                e.sessions += 1;
                true
            }
            SlotKind::Pending if e.pending < sizes.pending => {
                e.pending += 1;
                true
            }
            _ => false,
        });
        ok.then(|| Slot {
            budgets: self.clone(),
            ip: key(ip),
            kind,
        })
    }

    /// Spend one room creation, or learn how long to wait.
    pub fn create_room(&self, ip: IpAddr) -> Result<(), Duration> {
        self.with(ip, |e, sizes, now| {
            e.create.check(sizes.create_room, now, true)
        })
    }

    /// Whether `ip` may try a passcode now (a locked-out address is not even told whether
    /// its passcode was right).
    pub fn passcode_allowed(&self, ip: IpAddr) -> Result<(), Duration> {
        self.with(ip, |e, sizes, now| {
            e.passcode.check(sizes.passcode, now, false)
        })
    }

    /// Count a wrong passcode against `ip`.
    pub fn passcode_failed(&self, ip: IpAddr) {
        self.with(ip, |e, sizes, now| {
            let _ = e.passcode.check(sizes.passcode, now, true);
        });
    }

    /// Forget addresses that hold nothing and whose budgets are full again.
    pub fn sweep(&self) {
        prune(&mut self.map.lock(), &self.sizes, Instant::now());
    }
}

fn prune(map: &mut HashMap<IpAddr, Entry>, sizes: &BudgetSizes, now: Instant) {
    map.retain(|_, e| {
        e.sessions > 0
            || e.pending > 0
            || !e.create.is_full(sizes.create_room, now)
            || !e.passcode.is_full(sizes.passcode, now)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes() -> BudgetSizes {
        BudgetSizes {
            sessions: 2,
            pending: 1,
            create_room: Rate {
                burst: 3.0,
                per_sec: 1.0,
            },
            passcode: Rate {
                burst: 2.0,
                per_sec: 0.5,
            },
        }
    }

    #[test]
    fn each_address_has_its_own_budget() {
        let b = Arc::new(Budgets::new(sizes()));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        let s1 = b.open(a, SlotKind::Session).unwrap();
        let _s2 = b.open(a, SlotKind::Session).unwrap();
        assert!(b.open(a, SlotKind::Session).is_none());
        assert!(b.open(other, SlotKind::Session).is_some());
        drop(s1);
        assert!(b.open(a, SlotKind::Session).is_some(), "given back on drop");
        for _ in 0..3 {
            b.create_room(a).unwrap();
        }
        let wait = b.create_room(a).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        b.create_room(other).unwrap();
        b.passcode_failed(a);
        b.passcode_allowed(a).unwrap();
        b.passcode_failed(a);
        assert!(b.passcode_allowed(a).is_err());
    }

    #[test]
    fn ipv6_counts_by_its_64() {
        let b = Arc::new(Budgets::new(sizes()));
        let _x = b
            .open("fd00::1".parse().unwrap(), SlotKind::Pending)
            .unwrap();
        assert!(b
            .open("fd00::2".parse().unwrap(), SlotKind::Pending)
            .is_none());
        assert!(b
            .open("fd00:0:0:1::2".parse().unwrap(), SlotKind::Pending)
            .is_some());
    }
}
