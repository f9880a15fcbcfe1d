//! The tray icon: who is waiting at a meeting's door (each with Admit and Turn away, answered
//! by the host itself as the host panel does), the running meetings (click one to show it), the
//! window, and Quit. The menu is rebuilt whenever rooms or their waiting lists change.
//!
//! Its words are the page's: the window's page has the message catalogues (`ui/locales/`) and
//! hands the tray its labels in the person's language (`set_tray_labels`, see
//! `ui/view/host-panel.js`), again after every switch of language. Until it does, the labels
//! are English ([`TrayLabels::default`]). Counted labels come as plural forms with `{count}` in
//! them; the form is picked here (`one` for 1 where the language has it, else `other`).

use std::collections::BTreeMap;

use parking_lot::Mutex;
use serde::Deserialize;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

use super::host::EmbeddedHost;
use super::knock::{self, Knock};
use crate::protocol::PeerId;
use crate::room::RoomDetail;

const TRAY: &str = "moim";
const SHOW: &str = "show";
const QUIT: &str = "quit";
const ROOM_PREFIX: &str = "room:";
/// `admit:<room>:<peer>` and `away:<room>:<peer>`: the answers to a knock.
const ADMIT_PREFIX: &str = "admit:";
const AWAY_PREFIX: &str = "away:";
/// A label longer than this is cut (the page is trusted, but a menu is no place for essays).
const MAX_LABEL: usize = 200;

/// A counted label's plural forms (`one`, `other`, ...), each with `{count}` in it.
pub type Forms = BTreeMap<String, String>;

/// The tray's words, from the page's catalogue (`tray.*`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrayLabels {
    /// The greyed item when there are no meetings.
    pub none: String,
    /// Show the window.
    pub show: String,
    /// Quit (ends every meeting).
    pub quit: String,
    /// The tooltip with no meetings.
    pub tooltip_none: String,
    /// The tooltip with `{count}` meetings.
    pub tooltip: Forms,
    /// `{count}` people in a meeting.
    pub people: Forms,
    /// Someone waits: `{name}` at the door of meeting `{room}` (the menu entry and the
    /// notification; [`super::words::fill`] fills it).
    pub knock: String,
    /// The notification's second line: where to answer.
    pub knock_hint: String,
    /// Let them in.
    pub admit: String,
    /// Turn them away.
    pub turn_away: String,
}

impl Default for TrayLabels {
    fn default() -> Self {
        let forms = |one: &str, other: &str| {
            Forms::from([("one".into(), one.into()), ("other".into(), other.into())])
        };
        Self {
            none: "No meetings".into(),
            show: "Show moim".into(),
            quit: "Quit (ends every meeting)".into(),
            tooltip_none: "moim: no meetings".into(),
            tooltip: forms("moim: {count} meeting", "moim: {count} meetings"),
            people: forms("{count} person", "{count} people"),
            knock: "{name} is waiting to join “{room}”".into(),
            knock_hint: "Admit or turn away in the tray menu or the host panel.".into(),
            admit: "Admit".into(),
            turn_away: "Turn away".into(),
        }
    }
}

impl TrayLabels {
    /// The form of `forms` for `count`, with the count filled in.
    fn counted(forms: &Forms, count: usize) -> String {
        let form = (count == 1)
            .then(|| forms.get("one"))
            .flatten()
            .or_else(|| forms.get("other"))
            .or_else(|| forms.values().next());
        form.map_or_else(
            || count.to_string(),
            |f| f.replace("{count}", &count.to_string()),
        )
    }

    /// The tooltip for `rooms` meetings.
    pub fn tooltip(&self, rooms: usize) -> String {
        match rooms {
            0 => self.tooltip_none.clone(),
            n => Self::counted(&self.tooltip, n),
        }
    }

    /// The label of one meeting: its name and head count.
    pub fn room_label(&self, room: &RoomDetail) -> String {
        let people = Self::counted(&self.people, room.members.len());
        let lock = if room.info.locked { " 🔒" } else { "" };
        format!("{}{lock} · {people}", room.info.name)
    }

    /// Every label cut to [`MAX_LABEL`] characters.
    pub fn bounded(mut self) -> Self {
        let cut = |s: &mut String| *s = s.chars().take(MAX_LABEL).collect();
        for s in [
            &mut self.none,
            &mut self.show,
            &mut self.quit,
            &mut self.tooltip_none,
            &mut self.knock,
            &mut self.knock_hint,
            &mut self.admit,
            &mut self.turn_away,
        ] {
            cut(s);
        }
        for forms in [&mut self.tooltip, &mut self.people] {
            forms.retain(|k, _| k.len() <= 8);
            forms.values_mut().for_each(cut);
        }
        self
    }
}

/// The labels in use (managed state).
#[derive(Debug, Default)]
pub struct Labels(pub Mutex<TrayLabels>);

/// The labels the page gave last (English until it does).
pub fn current(app: &AppHandle) -> TrayLabels {
    app.try_state::<Labels>()
        .map(|l| l.0.lock().clone())
        .unwrap_or_default()
}

/// Put the icon in the tray.
pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let labels = current(app);
    let menu = menu(app, &labels, &[])?;
    let mut tray = TrayIconBuilder::with_id(TRAY)
        .tooltip(labels.tooltip(0))
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
    let labels = current(app);
    match menu(app, &labels, rooms) {
        Ok(menu) => {
            if let Err(err) = tray.set_menu(Some(menu)) {
                tracing::debug!(%err, "could not update the tray menu");
            }
        }
        Err(err) => tracing::debug!(%err, "could not build the tray menu"),
    }
    let _ = tray.set_tooltip(Some(labels.tooltip(rooms.len())));
}

fn menu(app: &AppHandle, labels: &TrayLabels, rooms: &[RoomDetail]) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    let waiting = knock::waiting(rooms);
    for knock in &waiting {
        menu.append(&knock_menu(app, labels, knock)?)?;
    }
    if !waiting.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
    }
    if rooms.is_empty() {
        menu.append(&MenuItem::with_id(
            app,
            "none",
            &labels.none,
            false,
            None::<&str>,
        )?)?;
    }
    for room in rooms {
        let id = format!("{ROOM_PREFIX}{}", room.info.id);
        menu.append(&MenuItem::with_id(
            app,
            id,
            labels.room_label(room),
            true,
            None::<&str>,
        )?)?;
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        SHOW,
        &labels.show,
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        QUIT,
        &labels.quit,
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

/// One person waiting: a submenu named by the knock's sentence, with Admit and Turn away.
fn knock_menu(app: &AppHandle, labels: &TrayLabels, knock: &Knock) -> tauri::Result<Submenu<Wry>> {
    let answer = |prefix: &str, text: &str| {
        let id = format!("{prefix}{}:{}", knock.room, knock.peer);
        MenuItem::with_id(app, id, text, true, None::<&str>)
    };
    let admit = answer(ADMIT_PREFIX, &labels.admit)?;
    let away = answer(AWAY_PREFIX, &labels.turn_away)?;
    let sentence: String = knock.sentence(labels).chars().take(MAX_LABEL).collect();
    Submenu::with_items(app, sentence, true, &[&admit, &away])
}

fn on_menu(app: &AppHandle, id: &str) {
    match id {
        SHOW => super::window::focus(app),
        QUIT => app.exit(0),
        _ => {
            let Some(host) = app.try_state::<std::sync::Arc<EmbeddedHost>>() else {
                return;
            };
            if let Some(room) = id.strip_prefix(ROOM_PREFIX) {
                super::window::navigate(app, &host, &format!("/j/{room}"));
            } else if let Some((room, peer, admit)) = answer(id) {
                // the waiting list's change rebuilds this menu
                if let Err(err) = host.host().hub().answer_knock(room, Some(peer), admit) {
                    tracing::info!(code = ?err.code, "the knock answered from the tray is gone");
                }
            }
        }
    }
}

/// The knock a menu id answers: its room, its peer, and whether it admits.
fn answer(id: &str) -> Option<(&str, PeerId, bool)> {
    let (rest, admit) = match (id.strip_prefix(ADMIT_PREFIX), id.strip_prefix(AWAY_PREFIX)) {
        (Some(rest), _) => (rest, true),
        (_, Some(rest)) => (rest, false),
        _ => return None,
    };
    let (room, peer) = rest.split_once(':')?;
    Some((room, peer.parse().ok()?, admit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_labels_pick_one_or_other_and_fill_the_count() {
        let en = TrayLabels::default();
        assert_eq!(en.tooltip(0), "moim: no meetings");
        assert_eq!(en.tooltip(1), "moim: 1 meeting");
        assert_eq!(en.tooltip(3), "moim: 3 meetings");
        let ko = TrayLabels {
            tooltip: Forms::from([("other".into(), "모임: 회의 {count}개".into())]),
            people: Forms::from([("other".into(), "{count}명".into())]),
            ..TrayLabels::default()
        };
        assert_eq!(ko.tooltip(1), "모임: 회의 1개");
        assert_eq!(TrayLabels::counted(&ko.people, 1), "1명");
        assert_eq!(TrayLabels::counted(&Forms::new(), 4), "4");
    }

    #[test]
    fn a_menu_id_names_the_knock_it_answers() {
        let peer = PeerId::new_v4();
        let room = "abcd-efgh-jkmn-pqrs";
        assert_eq!(
            answer(&format!("admit:{room}:{peer}")),
            Some((room, peer, true))
        );
        assert_eq!(
            answer(&format!("away:{room}:{peer}")),
            Some((room, peer, false))
        );
        assert_eq!(answer(&format!("away:{room}:not-a-peer")), None);
        assert_eq!(answer(&format!("room:{room}")), None);
        assert_eq!(answer("admit:"), None);
    }

    #[test]
    fn labels_from_the_page_are_bounded() {
        let long = "x".repeat(5000);
        let labels = TrayLabels {
            quit: long.clone(),
            people: Forms::from([
                ("other".into(), long),
                ("a-very-long-form".into(), "y".into()),
            ]),
            ..TrayLabels::default()
        }
        .bounded();
        assert_eq!(labels.quit.chars().count(), MAX_LABEL);
        assert_eq!(labels.people.len(), 1);
        assert_eq!(labels.people["other"].chars().count(), MAX_LABEL);
    }
}
