//! The Tauri shell (feature `desktop`): a thin window around the headless core.
//!
//! The app starts the same [`Host`](crate::Host) that `moim serve` runs, in process, on Tauri's
//! tokio runtime, then opens one window on the host's own page (`http://127.0.0.1:<port>/`), so
//! the UI is same-origin with the signaling WebSocket and a secure context. Quitting, by any road
//! (the last window closed, the tray, the panel's button, SIGINT/SIGTERM), stops the host the
//! graceful way: every peer gets `closing` before the process ends.
//!
//! # Layout
//! - [`host`]: the embedded host: bind (falling back to a free port), serve, stop; its state
//!   for the panel.
//! - [`commands`]: what the page may ask over IPC (`host_state`, `webview_capabilities`, ...).
//! - [`window`]: the one window, its navigation guard and init script; on Linux the WebKitGTK
//!   media settings and permission answers.
//! - [`handoff`]: opening a meeting in the system browser where the webview cannot call.
//! - [`tray`]: the tray icon listing who is waiting at a door and the running meetings.
//! - [`knock`]: knocks at the host's rooms announced with a desktop notification.
//! - [`words`]: the page's sentences (the tray's, the notifications') filled in on this side.
//! - [`deep_link`]: links of the form `moim://join/<room>`.

pub mod commands;
pub mod deep_link;
pub mod handoff;
pub mod host;
pub mod knock;
pub mod tray;
pub mod window;
pub mod words;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use tauri::{Emitter, Manager, RunEvent};

use crate::config::HostConfig;
use host::EmbeddedHost;

/// The app's identifier (as in `tauri.conf.json`); names its data and log folders.
pub const IDENTIFIER: &str = "app.moim.desktop";

/// The event the window gets when rooms or their members change; its payload is a
/// [`host::HostState`].
pub const HOST_STATE_EVENT: &str = "host-state";

/// Whether a graphical session is available.
pub fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// The platform's log folder for the app, the one Tauri's `app_log_dir()` names
/// (`~/.local/share/app.moim.desktop/logs` on Linux). Logging starts before Tauri does, so the
/// path is worked out here the same way.
pub fn log_dir() -> Option<PathBuf> {
    #[cfg(target_os = "macos")]
    return dirs::home_dir().map(|h| h.join("Library/Logs").join(IDENTIFIER));
    #[cfg(not(target_os = "macos"))]
    return dirs::data_local_dir().map(|d| d.join(IDENTIFIER).join("logs"));
}

/// Run the desktop app until it quits. The host is stopped (peers told) before this returns.
pub fn run(config: HostConfig) -> anyhow::Result<()> {
    let deep_link_at_start = deep_link::from_args(std::env::args());
    let app = tauri::Builder::default()
        // first: a second launch hands its arguments (a deep link) to us and exits
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::focus(app);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(tauri::generate_handler![
            commands::host_state,
            commands::webview_capabilities,
            commands::report_capabilities,
            commands::open_in_browser,
            commands::set_tray_labels,
            commands::answer_knock,
            commands::quit,
        ])
        .setup(move |app| {
            setup(app, config, deep_link_at_start)?;
            Ok(())
        })
        .build(tauri::generate_context!())
        .context("could not start the desktop app")?;

    let handle = app.handle().clone();
    let code = app.run_return(|app, event| {
        if let RunEvent::Exit = event {
            tracing::info!("the app is quitting");
            if let Some(host) = app.try_state::<Arc<EmbeddedHost>>() {
                host.shutdown_token().cancel();
            }
        }
    });
    // The window is gone; the host still says goodbye to every peer before the process ends.
    let host = handle
        .try_state::<Arc<EmbeddedHost>>()
        .map(|h| h.inner().clone());
    if let Some(host) = host {
        tauri::async_runtime::block_on(host.stop());
    }
    tracing::info!(code, "moim stopped");
    if code != 0 {
        anyhow::bail!("the app ended with code {code}");
    }
    Ok(())
}

fn setup(
    app: &mut tauri::App,
    config: HostConfig,
    deep_link_at_start: Option<String>,
) -> anyhow::Result<()> {
    let handle = app.handle().clone();
    if let Ok(dir) = app.path().app_log_dir() {
        tracing::info!(dir = %dir.display(), "logging to the app log folder");
    }
    let host = tauri::async_runtime::block_on(EmbeddedHost::start(config))?;
    let host = Arc::new(host);
    app.manage(host.clone());
    app.manage(commands::Capabilities::default());
    app.manage(tray::Labels::default());
    tracing::info!(page = %host.page_origin(), urls = ?host.state().urls, "moim host is running");

    let path = deep_link_at_start
        .as_deref()
        .and_then(deep_link::room_path)
        .unwrap_or_else(|| "/".to_string());
    window::open(&handle, &host, &path)?;
    deep_link::listen(&handle);
    if let Err(err) = tray::install(&handle) {
        // a desktop without a tray (no StatusNotifier host) still gets the window
        tracing::warn!(%err, "no tray icon");
    }
    watch_rooms(handle.clone(), host.clone());
    quit_on_signals(handle);
    Ok(())
}

/// Push the host state to the window, rebuild the tray menu and announce new knocks whenever
/// rooms or their waiting lists change.
fn watch_rooms(app: tauri::AppHandle, host: Arc<EmbeddedHost>) {
    let mut changes = host.host().hub().subscribe_rooms();
    let stop = host.shutdown_token();
    tauri::async_runtime::spawn(async move {
        let mut doors = knock::Doors::default();
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                changed = changes.changed() => if changed.is_err() { return },
            }
            // a burst of joins becomes one update
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            changes.borrow_and_update();
            let state = host.state();
            if let Err(err) = app.emit_to(window::MAIN, HOST_STATE_EVENT, &state) {
                tracing::debug!(%err, "could not push the host state");
            }
            tray::refresh(&app, &state.rooms);
            let fresh = doors.fresh(&state.rooms);
            if !fresh.is_empty() {
                let labels = tray::current(&app);
                fresh.iter().for_each(|k| knock::notify(&labels, k));
            }
        }
    });
}

/// SIGINT/SIGTERM quit the app the same way the Quit button does.
fn quit_on_signals(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        crate::shutdown::on_signals().cancelled().await;
        app.exit(0);
    });
}
