//! The one window: the host's own page, `http://127.0.0.1:<port>/`, so the UI is same-origin
//! with the signaling WebSocket and a secure context (getUserMedia needs one) with no
//! certificate. The window never leaves that origin, and only that origin gets IPC
//! (`src-tauri/capabilities/host-panel.json`).
//!
//! What the webview can do is detected by the page at run time and reported to the app
//! ([`super::commands::report_capabilities`]); nothing here assumes it. On Linux the WebKitGTK
//! settings that gate media are turned on, and the webview's permission requests are answered:
//! camera and microphone for the app's own page, nothing for anyone else.

use tauri::{AppHandle, Manager, Url, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

use super::host::EmbeddedHost;

/// The window's label.
pub const MAIN: &str = "main";

/// When set, WebKitGTK's mock camera and microphone stand in for real ones (tests, machines
/// with no devices).
pub const MOCK_CAPTURE_ENV: &str = "MOIM_MOCK_CAPTURE";

/// Open the window on `path` of the host's page.
pub fn open(app: &AppHandle, host: &EmbeddedHost, path: &str) -> anyhow::Result<WebviewWindow> {
    let origin = host.page_origin();
    let url = Url::parse(&format!("{origin}{path}"))?;
    let allowed = origin.clone();
    let window = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::External(url))
        .title("moim")
        .inner_size(1280.0, 820.0)
        .min_inner_size(640.0, 480.0)
        .initialization_script(init_script(&origin))
        .on_navigation(move |url| {
            let ok = same_origin(url.as_str(), &allowed);
            if !ok {
                tracing::warn!(%url, "the window stays on this host's page: navigation refused");
            }
            ok
        })
        .build()?;
    #[cfg(target_os = "linux")]
    linux::configure(&window, origin);
    Ok(window)
}

/// Bring the window to the front.
pub fn focus(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Show `path` of the host's page in the window.
pub fn navigate(app: &AppHandle, host: &EmbeddedHost, path: &str) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    match Url::parse(&format!("{}{path}", host.page_origin())) {
        Ok(url) => {
            if let Err(err) = window.navigate(url) {
                tracing::warn!(%err, "could not navigate the window");
            }
        }
        Err(err) => tracing::warn!(%err, %path, "bad path"),
    }
    focus(app);
}

/// Whether `url` is on `origin` (scheme, host and port).
pub fn same_origin(url: &str, origin: &str) -> bool {
    match (Url::parse(url), Url::parse(origin)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// Runs before the page's own scripts, on every page load of the window. On the host's page
/// only, it tells the client how to hand a call to the system browser (`moimConfig`, see
/// ui/app.js), keeps the hand-off requests and `moim:no-webrtc` events that fire before the
/// panel module has loaded, and loads the host panel (`ui/view/host-panel.js`).
fn init_script(origin: &str) -> String {
    let origin = serde_json::to_string(origin).unwrap_or_else(|_| "\"\"".to_string());
    format!(
        r#"(function () {{
  if (location.origin !== {origin} || window.top !== window) return;
  var shell = {{ queue: [], handler: null }};
  function post(item) {{ if (shell.handler) shell.handler(item); else shell.queue.push(item); }}
  Object.defineProperty(window, '__moimShell', {{ value: shell }});
  window.moimConfig = Object.assign({{}}, window.moimConfig, {{
    openExternal: function (url) {{ post({{ type: 'open', url: String(url) }}); }}
  }});
  window.addEventListener('moim:no-webrtc', function (e) {{
    post({{ type: 'no-webrtc', url: String((e.detail && e.detail.url) || '') }});
  }});
  function load() {{
    var script = document.createElement('script');
    script.type = 'module';
    script.src = '/view/host-panel.js';
    document.head.appendChild(script);
  }}
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', load, {{ once: true }});
  else load();
}})();"#
    )
}

#[cfg(target_os = "linux")]
mod linux {
    //! WebKitGTK: media on, and the webview's permission requests answered.

    use tauri::WebviewWindow;
    use webkit2gtk::glib::prelude::ObjectExt;
    use webkit2gtk::{PermissionRequestExt, SettingsExt, UserMediaPermissionRequest, WebViewExt};

    pub(super) fn configure(window: &WebviewWindow, origin: String) {
        let mock = std::env::var_os(super::MOCK_CAPTURE_ENV).is_some();
        let done = window.with_webview(move |platform| {
            let view = platform.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                // getUserMedia is off in WebKitGTK unless asked for; WebRTC too, where the
                // build has it at all (Debian's and Ubuntu's do not: the page detects that).
                settings.set_enable_media_stream(true);
                settings.set_enable_webrtc(true);
                if mock {
                    settings.set_enable_mock_capture_devices(true);
                }
            }
            view.connect_permission_request(move |view, request| {
                let page = view.uri().map(|u| u.to_string()).unwrap_or_default();
                let ours = super::same_origin(&page, &origin);
                if ours && request.is::<UserMediaPermissionRequest>() {
                    tracing::info!("camera/microphone allowed for the app's page");
                    request.allow();
                } else {
                    tracing::info!(%page, kind = %request.type_().name(), "permission denied");
                    request.deny();
                }
                true
            });
        });
        if let Err(err) = done {
            tracing::warn!(%err, "could not configure the webview's media settings");
        }
    }
}
