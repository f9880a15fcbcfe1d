//! `moim://join/<room>`: a link that opens the app on a meeting of its own host. The scheme is
//! registered by the installers (`plugins.deep-link` in `tauri.conf.json`); a link opened while
//! the app runs reaches this instance through the single-instance plugin.

use tauri::{AppHandle, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

use super::host::EmbeddedHost;
use crate::room::is_room_id;

/// The window path for a deep link, `/j/<room>`; `None` for anything that is not
/// `moim://join/<room id>`.
pub fn room_path(link: &str) -> Option<String> {
    let rest = link.strip_prefix("moim://join/")?;
    let room = rest.trim_end_matches('/').to_ascii_lowercase();
    is_room_id(&room).then(|| format!("/j/{room}"))
}

/// The deep link the app was started with (its only argument), if any.
pub fn from_args(mut args: impl Iterator<Item = String>) -> Option<String> {
    let _bin = args.next();
    let link = args.next()?;
    (args.next().is_none() && link.starts_with("moim://")).then_some(link)
}

/// Navigate the window when a link arrives while the app runs.
pub fn listen(app: &AppHandle) {
    #[cfg(target_os = "linux")]
    if std::env::var_os("APPIMAGE").is_some() {
        // an AppImage has no installer to register the scheme; a .deb does it in its .desktop
        if let Err(err) = app.deep_link().register_all() {
            tracing::warn!(%err, "could not register moim:// links");
        }
    }
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            open(&handle, url.as_str());
        }
    });
}

/// Show meeting `link` in the window; anything else is logged and ignored.
pub fn open(app: &AppHandle, link: &str) {
    let Some(path) = room_path(link) else {
        tracing::warn!(%link, "ignored a link that is not moim://join/<meeting id>");
        return;
    };
    let Some(host) = app.try_state::<std::sync::Arc<EmbeddedHost>>() else {
        return;
    };
    tracing::info!(%path, "opening a moim:// link");
    super::window::navigate(app, &host, &path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_join_links_with_a_room_id_open_a_room() {
        assert_eq!(
            room_path("moim://join/k3f9-x2mq-7tvd-pa4h").as_deref(),
            Some("/j/k3f9-x2mq-7tvd-pa4h")
        );
        assert_eq!(
            room_path("moim://join/K3F9-X2MQ-7TVD-PA4H/").as_deref(),
            Some("/j/k3f9-x2mq-7tvd-pa4h")
        );
        assert_eq!(room_path("moim://join/../../x"), None);
        assert_eq!(room_path("moim://settings"), None);
        assert_eq!(room_path("http://evil/j/k3f9-x2mq-7tvd-pa4h"), None);
    }

    #[test]
    fn a_deep_link_is_the_only_argument() {
        let args = |v: &[&str]| {
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .into_iter()
        };
        assert_eq!(
            from_args(args(&["moim", "moim://join/x"])).as_deref(),
            Some("moim://join/x")
        );
        assert_eq!(from_args(args(&["moim", "serve"])), None);
        assert_eq!(from_args(args(&["moim", "moim://join/x", "more"])), None);
        assert_eq!(from_args(args(&["moim"])), None);
    }
}
