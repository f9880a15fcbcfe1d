//! The one test harness every suite shares: namespaces, processes, scratch folders, waiting,
//! WebSocket clients and Chromium. Each suite's own module (`common`, `e2e`, `desktop_lab`)
//! includes this folder and builds on it, so a teardown or flag fix lands once.
//!
//! # Layout
//! - [`netns`]: `ip`, one namespace ([`netns::Netns`]), a veth link between two, a bridged LAN.
//! - [`procs`]: signals by PID, a child process ended on drop, free ports, log tails.
//! - [`scratch`]: a scratch folder, removed when the test ends.
//! - [`wait`]: the one polling helper, for what no event announces.
//! - [`ws`]: a JSON WebSocket client over any stream (plain, TLS, pinned TLS).
//! - [`chromium`]: where Chromium and chromedriver are and the flags every browser gets.
#![allow(dead_code)]

pub mod chromium;
pub mod netns;
pub mod procs;
pub mod scratch;
pub mod wait;
pub mod ws;
