//! Chromium for the tests: the binaries, and the flags every browser gets (fake camera and
//! microphone, no network chatter outside the namespaces, loopback candidates allowed).

use std::path::Path;

use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Every browser gets exactly these flags, plus its own `--user-data-dir`.
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
];

/// WebDriver capabilities for a Chromium with `flags` and its own profile in `profile`.
pub fn caps(flags: &[String], profile: &Path) -> Value {
    let mut args: Vec<String> = flags.to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    json!({
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        "goog:loggingPrefs": {"browser": "ALL"},
    })
}

/// [`CHROMIUM_FLAGS`] as owned strings, to add to.
pub fn default_flags() -> Vec<String> {
    CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect()
}
