//! The Tauri shell (feature `desktop`). Filled in by the desktop-app work.

/// Whether a graphical session is available.
pub fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// Run the desktop app.
pub fn run(config: crate::HostConfig) -> anyhow::Result<()> {
    crate::cli::run_headless(config)
}
