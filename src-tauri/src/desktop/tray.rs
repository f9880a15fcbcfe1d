//! The tray icon: the running meetings (click one to show it), the window, and Quit. The menu
//! is rebuilt whenever rooms change.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

use super::host::EmbeddedHost;
use crate::room::RoomDetail;

const TRAY: &str = "moim";
const SHOW: &str = "show";
const QUIT: &str = "quit";
const ROOM_PREFIX: &str = "room:";

/// Put the icon in the tray.
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let menu = menu(app, &[])?;
    let mut tray = TrayIconBuilder::with_id(TRAY)
        .tooltip("moim: no meetings")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// Show the meetings `rooms` in the tray menu.
pub fn refresh(app: &AppHandle, rooms: &[RoomDetail]) {
    let Some(tray) = app.tray_by_id(TRAY) else {
        return;
    };
    match menu(app, rooms) {
        Ok(menu) => {
            if let Err(err) = tray.set_menu(Some(menu)) {
                tracing::debug!(%err, "could not update the tray menu");
            }
        }
        Err(err) => tracing::debug!(%err, "could not build the tray menu"),
    }
    let tip = match rooms.len() {
        0 => "moim: no meetings".to_string(),
        1 => "moim: 1 meeting".to_string(),
        n => format!("moim: {n} meetings"),
    };
    let _ = tray.set_tooltip(Some(tip));
}

/// The label of one meeting: its name and head count.
pub fn room_label(room: &RoomDetail) -> String {
    let people = match room.members.len() {
        1 => "1 person".to_string(),
        n => format!("{n} people"),
    };
    let lock = if room.info.locked { " 🔒" } else { "" };
    format!("{}{lock} · {people}", room.info.name)
}

fn menu(app: &AppHandle, rooms: &[RoomDetail]) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    if rooms.is_empty() {
        menu.append(&MenuItem::with_id(
            app,
            "none",
            "No meetings",
            false,
            None::<&str>,
        )?)?;
    }
    for room in rooms {
        let id = format!("{ROOM_PREFIX}{}", room.info.id);
        menu.append(&MenuItem::with_id(
            app,
            id,
            room_label(room),
            true,
            None::<&str>,
        )?)?;
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        SHOW,
        "Show moim",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        QUIT,
        "Quit (ends every meeting)",
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

fn on_menu(app: &AppHandle, id: &str) {
    match id {
        SHOW => super::window::focus(app),
        QUIT => app.exit(0),
        _ => {
            if let Some(room) = id.strip_prefix(ROOM_PREFIX) {
                if let Some(host) = app.try_state::<std::sync::Arc<EmbeddedHost>>() {
                    super::window::navigate(app, &host, &format!("/j/{room}"));
                }
            }
        }
    }
}
