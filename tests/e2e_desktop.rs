//! End-to-end tests of the desktop app, the real parts only: the built `moim` binary driven by
//! tauri-driver (WebKitWebDriver) on an Xvfb display, and headless Chromium peers with fake
//! cameras, all inside network namespaces the tests create (see `desktop_lab`).
//!
//! Needs root (namespaces), Xvfb, tauri-driver, WebKitWebDriver, chromium and chromedriver
//! (`scripts/deps.sh test`). Run: `cargo test --features desktop --test e2e_desktop`.
#![cfg(all(feature = "desktop", target_os = "linux"))]

mod desktop_lab;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use desktop_lab::{chromium_caps, wait_for, webdriver_in, Lab};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

const PORT: u16 = 7447;
const APP_BIN: &str = env!("CARGO_BIN_EXE_moim");

/// The app under tauri-driver in the lab's app namespace.
struct App {
    client: Client,
    /// Where the app writes the URLs it would open in the system browser.
    opened: PathBuf,
    /// The environment the app runs in, for launching it a second time.
    envs: Vec<(&'static str, String)>,
}

fn start_app(lab: &mut Lab) -> App {
    start_app_with(lab, Vec::new())
}

fn start_app_with(lab: &mut Lab, extra: Vec<(&'static str, String)>) -> App {
    let display = lab.start_x();
    let home = lab.path("home");
    let run = lab.path("run");
    std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let opened = lab.dir.path().join("opened.txt");
    let s = |p: &Path| p.display().to_string();
    let mut envs = vec![
        ("DISPLAY", display),
        ("HOME", s(&home)),
        ("XDG_DATA_HOME", s(&home.join(".local/share"))),
        ("XDG_CONFIG_HOME", s(&home.join(".config"))),
        ("XDG_CACHE_HOME", s(&home.join(".cache"))),
        ("XDG_RUNTIME_DIR", s(&run)),
        ("MOIM_MOCK_CAPTURE", "1".into()),
        ("MOIM_OPENER_RECORD", s(&opened)),
        ("RUST_LOG", "moim=debug,info".into()),
        ("NO_AT_BRIDGE", "1".into()),
        ("GDK_BACKEND", "x11".into()),
        ("LIBGL_ALWAYS_SOFTWARE", "1".into()),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".into()),
    ];
    envs.extend(extra);
    let ns = lab.app_ns.clone();
    lab.spawn(
        "tauri-driver",
        &ns,
        "tauri-driver",
        &["--port", "4444", "--native-port", "4445"],
        &envs,
    );
    let caps = json!({ "tauri:options": { "application": APP_BIN } });
    let client = webdriver_in(&lab.app_ns, 4444, caps, Duration::from_secs(60));
    App {
        client,
        opened,
        envs,
    }
}

/// Launch the app binary again, as a user would, with `args`; its exit status (it must end
/// within `limit`).
fn launch_again(lab: &Lab, app: &App, args: &[&str], limit: Duration) -> std::process::ExitStatus {
    let mut child = Lab::command(&lab.app_ns, APP_BIN, args, &app.envs)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("launch the app again");
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the second launch {args:?} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// chromedriver for the Chromium peers, in the lab's LAN namespace.
fn start_chromedriver(lab: &mut Lab) {
    let lan_ns = lab.lan_ns.clone();
    let home = lab.path("chromedriver-home");
    lab.spawn(
        "chromedriver",
        &lan_ns,
        "chromedriver",
        &["--port=9515"],
        &[("HOME", home.display().to_string())],
    );
}

/// A Chromium peer in the lab's LAN namespace.
fn start_browser(lab: &Lab, name: &str) -> Client {
    let profile = lab.path(&format!("chromium-{name}"));
    webdriver_in(
        &lab.lan_ns,
        9515,
        chromium_caps(&profile),
        Duration::from_secs(30),
    )
}

/// How long one WebDriver command may take before the test gives up on it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

async fn js(client: &Client, script: &str) -> Value {
    tokio::time::timeout(COMMAND_TIMEOUT, client.execute(script, vec![]))
        .await
        .unwrap_or_else(|_| panic!("script timed out:\n{script}"))
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

async fn js_async(client: &Client, script: &str) -> Value {
    tokio::time::timeout(COMMAND_TIMEOUT, client.execute_async(script, vec![]))
        .await
        .unwrap_or_else(|_| panic!("script timed out:\n{script}"))
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

async fn wait_css(client: &Client, css: &str) -> fantoccini::elements::Element {
    match client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(el) => el,
        Err(e) => {
            let page = client
                .execute(
                    "return [location.href, typeof window.__TAURI__, typeof window.__moimShell,
                             document.body && document.body.className, document.title]",
                    vec![],
                )
                .await;
            let probe = client
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     const out = {};
                     import('/view/host-panel.js').then(() => { out.import = 'ok'; }, (e) => { out.import = String(e); })
                       .then(() => window.__TAURI__.core.invoke('host_state')).then((s) => { out.state = 'ok'; }, (e) => { out.state = String(e); })
                       .then(() => done(out));",
                    vec![],
                )
                .await;
            panic!("no {css}: {e}; page: {page:?}; probe: {probe:?}")
        }
    }
}

/// Fill in the lobby of the app's window and create a meeting; returns its id.
async fn create_meeting(app: &Client, me: &str, meeting: &str) -> String {
    wait_css(app, "#host-panel .hp-head strong").await;
    let name = wait_css(app, "#name").await;
    name.clear().await.unwrap();
    name.send_keys(me).await.unwrap();
    wait_css(app, "#create-name")
        .await
        .send_keys(meeting)
        .await
        .unwrap();
    wait_css(app, "#create-btn").await.click().await.unwrap();
    // the panel re-renders on every change: read it with one script, not element handles
    wait_for("the meeting in the panel", Duration::from_secs(20), || async {
        let id = js(app, "const r = document.querySelector('#hp-rooms .hp-room'); return r ? r.dataset.roomId : null").await;
        id.as_str().map(str::to_string)
    })
    .await
}

/// The join link of meeting `room` as the host panel shows it, split at the fragment: the
/// page, and `c=<the certificate's verification code>`.
async fn join_link(app: &Client, room: &str) -> (String, String) {
    let link = wait_for("the meeting's join link", Duration::from_secs(10), || async {
        let link = js(app, &format!("return document.querySelector(\".hp-room[data-room-id='{room}'] .hp-link\")?.value ?? null")).await;
        link.as_str().map(str::to_string)
    })
    .await;
    let (page, fragment) = link.split_once('#').unwrap_or((&link, ""));
    (page.to_string(), fragment.to_string())
}

/// A meeting on this host made over the app page's own socket (kept open, so it stays) with
/// the `create-room` fields `create`; with `join_as`, that socket joins it too, under that name
/// (so the meeting has a member, its moderator). Its id.
async fn room_over_socket(app: &Client, create: Value, join_as: Option<&str>) -> String {
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const create = {create}, joinAs = {join_as};
         const ws = new WebSocket(`ws://${{location.host}}/ws`);
         (window.__keep = window.__keep || []).push(ws);
         let room = null;
         ws.onmessage = (e) => {{
           const m = JSON.parse(e.data);
           if (m.type === 'welcome') ws.send(JSON.stringify({{ type: 'create-room', ...create }}));
           else if (m.type === 'room-created' && !joinAs) done(m.room.id);
           else if (m.type === 'room-created') {{
             room = m.room.id;
             ws.send(JSON.stringify({{ type: 'join', room, name: joinAs, audio: false, video: false }}));
           }} else if (m.type === 'existing-peers') done(room);
           else if (m.type === 'error') done(null);
         }};
         ws.onerror = () => done(null);",
        join_as = json!(join_as),
    );
    let room = js_async(app, &script).await;
    room.as_str().expect("a room id").to_string()
}

/// The URLs the app handed to the system browser so far.
fn opened(app: &App) -> Vec<String> {
    std::fs::read_to_string(&app.opened)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Everything in the app's log folder (`$XDG_DATA_HOME/app.moim.desktop/logs`).
fn app_log(lab: &Lab) -> String {
    let dir = lab
        .dir
        .path()
        .join("home/.local/share/app.moim.desktop/logs");
    let mut out = String::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        out += &std::fs::read_to_string(entry.path()).unwrap_or_default();
    }
    out
}

/// Progress on stderr (shown with --nocapture), so a slow step is easy to find.
fn step(what: &str) {
    eprintln!("[e2e_desktop] {what}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn bin_path() -> PathBuf {
    std::fs::canonicalize(APP_BIN).unwrap()
}

/// The PID of the one app process in the lab.
fn the_app(lab: &Lab) -> u32 {
    let pids = lab.pids_of(&lab.app_ns, &bin_path());
    assert_eq!(pids.len(), 1, "one moim process: {pids:?}");
    pids[0]
}

/// Per-peer connection state and decoded video frames of the Chromium page's mesh.
const MESH_STATS: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const out = {};
  for (const [id, p] of window.moim.mesh.peers) {
    const stats = await p.pc.getStats();
    let frames = 0;
    stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded || 0; });
    out[id] = { state: p.pc.connectionState, frames };
  }
  return { me: window.moim.state().peerId, peers: out };
})().then(done, (e) => done({ error: String(e) }));
"#;

#[test]
fn the_app_hosts_a_meeting_that_two_browsers_join_by_its_link() {
    let started = Instant::now();
    let mut lab = Lab::new();
    let app = start_app(&mut lab);
    start_chromedriver(&mut lab);
    let origin = format!("https://{}:{PORT}", lab.app_ip);
    let app_pids = lab.pids_of(&lab.app_ns.clone(), &bin_path());
    assert_eq!(app_pids.len(), 1, "one moim process: {app_pids:?}");

    runtime().block_on(async {
        let a = &app.client;
        let room = create_meeting(a, "Host app", "Standup").await;
        step("created");

        // the join link uses this machine's LAN address, and the QR code encodes it
        let (page, fragment) = join_link(a, &room).await;
        let link = format!("{page}#{fragment}");
        // https on the LAN, with the certificate's verification code in the fragment
        assert_eq!(page, format!("{origin}/j/{room}"));
        assert!(
            fragment.starts_with("c=") && fragment.len() == 12,
            "a ten-character code: {link}"
        );
        let qr = js_async(
            a,
            r#"const done = arguments[arguments.length - 1];
               const img = document.querySelector('.hp-qr');
               const check = () => img.complete
                 ? fetch(img.src).then((r) => done({ width: img.naturalWidth, src: img.getAttribute('src'),
                     type: r.headers.get('content-type') }))
                 : setTimeout(check, 50);
               check();"#,
        )
        .await;
        assert!(qr["width"].as_u64().unwrap_or(0) > 0, "QR code drawn: {qr}");
        assert_eq!(qr["type"], "image/svg+xml");
        let src = qr["src"].as_str().unwrap();
        let encoded = js(a, &format!("return encodeURIComponent({link:?})")).await;
        assert_eq!(src, format!("/api/qr.svg?text={}", encoded.as_str().unwrap()));

        step("qr checked");
        // two browsers on the LAN join through that link and see each other
        let ada = start_browser(&lab, "ada");
        step("browser 1 up");
        let grace = start_browser(&lab, "grace");
        ada.goto(&format!("{page}?name=Ada&autojoin=1#{fragment}")).await.unwrap();
        grace.goto(&format!("{page}?name=Grace&autojoin=1#{fragment}")).await.unwrap();
        for (who, browser) in [("Ada", &ada), ("Grace", &grace)] {
            wait_for(&format!("{who} receiving video"), Duration::from_secs(45), || async {
                let s = js_async(browser, MESH_STATS).await;
                let ok = s["peers"].as_object().is_some_and(|peers| {
                    peers.values().any(|p| p["state"] == "connected" && p["frames"].as_u64().unwrap_or(0) > 0)
                });
                ok.then_some(())
            })
            .await;
        }
        let ada_id = js(&ada, "return window.moim.state().peerId").await;
        step("video flowing");
        let grace_id = js(&grace, "return window.moim.state().peerId").await;
        let ada_view = js_async(&ada, MESH_STATS).await;
        assert_eq!(
            ada_view["peers"][grace_id.as_str().unwrap()]["state"], "connected",
            "Ada is connected to Grace: {ada_view}"
        );

        // the app's panel shows both of them in the meeting
        let members = wait_for("both in the panel", Duration::from_secs(10), || async {
            let names = js(
                a,
                &format!(
                    "return [...document.querySelectorAll(\".hp-room[data-room-id='{room}'] .hp-member\")]
                       .map((li) => [li.dataset.peerId, li.firstChild.textContent])"
                ),
            )
            .await;
            let names = names.as_array().cloned().unwrap_or_default();
            let has = |id: &Value, name: &str| names.iter().any(|n| n[0] == *id && n[1] == name);
            (has(&ada_id, "Ada") && has(&grace_id, "Grace")).then_some(names)
        })
        .await;
        assert!(members.len() >= 2, "{members:?}");

        if let Some(path) = std::env::var_os("MOIM_SCREENSHOT") {
            // the pointer rests on the empty header, so no tooltip covers the tiles
            use fantoccini::actions::{InputSource, MouseActions, PointerAction};
            let rest = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
                duration: None,
                x: 400.0,
                y: 18.0,
            });
            let _ = a.perform_actions(rest).await;
            tokio::time::sleep(Duration::from_secs(2)).await;
            // (WebKitWebDriver's own screenshot never answers under Xvfb: read the screen)
            std::fs::write(path, lab.screenshot_png()).unwrap();
        }

        step("panel shows both");
        // quitting the app closes the host: both browsers are told
        let quit = wait_css(a, "#hp-quit").await;
        quit.click().await.unwrap(); // arms it
        // the second click quits: the session may end before WebKit answers the click
        let _ = quit.click().await;
        for (who, browser) in [("Ada", &ada), ("Grace", &grace)] {
            let text = wait_for(&format!("{who} told the host closed"), Duration::from_secs(15), || async {
                let b = js(browser, "const b = document.getElementById('banner'); return [b.dataset.code || '', b.hidden, document.getElementById('banner-text').textContent]").await;
                (b[0] == "closing" && b[1] == false).then(|| b[2].as_str().unwrap_or("").to_string())
            })
            .await;
            assert!(text.contains("shutting down"), "{who}: {text}");
        }
        wait_for("the app process to end", Duration::from_secs(15), || async {
            app_pids.iter().all(|p| !Lab::alive(*p)).then_some(())
        })
        .await;
        let _ = ada.close().await;
        let _ = grace.close().await;
    });
    let log = app_log(&lab);
    assert!(
        log.contains("the host stopped"),
        "graceful stop in the app's log:\n{log}"
    );
    eprintln!("desktop meeting test took {:?}", started.elapsed());
}

#[test]
fn the_webview_reports_what_it_can_do_and_hands_calls_to_the_browser() {
    let started = Instant::now();
    let mut lab = Lab::new();
    let app = start_app(&mut lab);
    runtime().block_on(async {
        let a = &app.client;
        wait_css(a, "#host-panel .hp-head strong").await;

        // what the page reported to the app is what the webview has
        let caps = wait_for("reported capabilities", Duration::from_secs(15), || async {
            let c = js_async(
                a,
                "const done = arguments[arguments.length - 1];
                 window.__TAURI__.core.invoke('webview_capabilities').then(done, (e) => done({ error: String(e) }));",
            )
            .await;
            (!c.is_null()).then_some(c)
        })
        .await;
        let truth = js(
            a,
            "return { rtc: typeof RTCPeerConnection !== 'undefined',
                      gum: !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia) }",
        )
        .await;
        assert_eq!(caps["RTCPeerConnection"], truth["rtc"], "{caps}");
        assert_eq!(caps["getUserMedia"], truth["gum"], "{caps}");
        assert!(caps["platform"].as_str().unwrap_or("").contains("Linux"), "{caps}");
        // Debian's and Ubuntu's WebKitGTK: capture works (media stream on, the permission
        // answered for the app's page, mock devices here), but there is no WebRTC
        assert_eq!(caps["getUserMedia"], true, "{caps}");
        assert_eq!(caps["RTCPeerConnection"], false, "this WebKitGTK has WebRTC now: {caps}");
        let tracks = js_async(
            a,
            "const done = arguments[arguments.length - 1];
             navigator.mediaDevices.getUserMedia({ audio: true, video: true })
               .then((s) => { const t = s.getTracks().map((t) => t.kind + ':' + t.readyState).sort(); s.getTracks().forEach((t) => t.stop()); done(t); },
                     (e) => done(['error:' + e.name]));",
        )
        .await;
        assert_eq!(tracks, json!(["audio:live", "video:live"]));

        // the window never leaves the host's page
        let before = a.current_url().await.unwrap();
        js(a, &format!("location.href = 'http://{}:9/'; return 1", lab.lan_ip)).await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(a.current_url().await.unwrap().origin(), before.origin());

        // without WebRTC, a meeting made here opens in the browser, named, joining at once
        let room = create_meeting(a, "Mina", "Design review").await;
        let want = format!("http://127.0.0.1:{PORT}/j/{room}?name=Mina&autojoin=1");
        wait_for("the browser hand-off", Duration::from_secs(10), || async {
            (opened(&app) == vec![want.clone()]).then_some(())
        })
        .await;
        let note = js(a, "const n = document.getElementById('hp-webrtc-note'); return [n.hidden, n.textContent]").await;
        assert_eq!(note[0], false);
        assert!(note[1].as_str().unwrap().contains("no WebRTC"), "{note}");
        // the banner's button opens it again on request
        let code = js(a, "return document.getElementById('banner').dataset.code").await;
        assert_eq!(code, "no-webrtc");
        wait_css(a, "#banner-action").await.click().await.unwrap();
        wait_for("a second hand-off", Duration::from_secs(10), || async {
            (opened(&app) == vec![want.clone(), want.clone()]).then_some(())
        })
        .await;
        // and the window still took its place in the meeting (presence, chat)
        let state = js(a, "return window.moim.state()").await;
        assert_eq!(state["room"], room.as_str());
        let _ = a.close_window().await;
    });
    eprintln!("desktop capabilities test took {:?}", started.elapsed());
}

#[test]
fn a_second_launch_hands_its_moim_link_to_the_running_app() {
    let started = Instant::now();
    let mut lab = Lab::new();
    // the single-instance handshake runs over the session bus, as on a desktop
    let bus = lab.start_session_bus();
    let app = start_app_with(&mut lab, vec![("DBUS_SESSION_BUS_ADDRESS", bus)]);
    runtime().block_on(async {
        let a = &app.client;
        wait_css(a, "#host-panel .hp-head strong").await;
        let app_pids = lab.pids_of(&lab.app_ns, &bin_path());
        assert_eq!(app_pids.len(), 1, "one moim process: {app_pids:?}");

        // a meeting on this host, made over the page's own socket (kept open, so it stays)
        let room = room_over_socket(a, json!({ "name": "Retro" }), None).await;
        let home = a.current_url().await.unwrap();

        // a link that is not a meeting: the second launch still ends, the window stays put
        let status = launch_again(
            &lab,
            &app,
            &["moim://join/../../etc/passwd"],
            Duration::from_secs(30),
        );
        assert!(status.success(), "second launch: {status}");
        wait_for("the bad link logged", Duration::from_secs(10), || async {
            app_log(&lab).contains("ignored a link").then_some(())
        })
        .await;
        assert_eq!(a.current_url().await.unwrap(), home);

        // a meeting link (as a browser or the desktop hands it over, upper case and all)
        let link = format!("moim://join/{}", room.to_ascii_uppercase());
        let status = launch_again(&lab, &app, &[&link], Duration::from_secs(30));
        assert!(status.success(), "second launch: {status}");
        wait_for(
            "the window on the meeting",
            Duration::from_secs(15),
            || async {
                let url = a.current_url().await.ok()?;
                (url.path() == format!("/j/{room}")).then_some(())
            },
        )
        .await;
        // the one app is still the only one, and still the host
        assert_eq!(lab.pids_of(&lab.app_ns, &bin_path()), app_pids);
        let rooms = js_async(
            a,
            "const done = arguments[arguments.length - 1];
             fetch('/api/rooms').then((r) => r.json()).then(done, (e) => done(String(e)));",
        )
        .await;
        assert!(rooms.to_string().contains(&room), "{rooms}");
        let _ = a.close_window().await;
    });
    let log = app_log(&lab);
    assert!(log.contains("opening a moim:// link"), "{log}");
    eprintln!("desktop single-instance test took {:?}", started.elapsed());
}

/// The knock of `peer` (named `name`) in the host panel's entry of `room`: waits until it is
/// listed with its sentence, and returns the panel's knock list of that room as
/// `[peer id, text]` pairs.
async fn panel_knock(app: &Client, room: &str, peer: &str, name: &str) -> Value {
    wait_for(&format!("{name}'s knock in the host panel"), Duration::from_secs(20), || async {
        let knocks = js(
            app,
            &format!(
                "return [...document.querySelectorAll(\".hp-room[data-room-id='{room}'] .hp-knock\")]
                   .map((li) => [li.dataset.peerId, li.firstChild.textContent])"
            ),
        )
        .await;
        let listed = knocks.as_array().is_some_and(|k| {
            k.iter().any(|k| k[0] == peer && k[1].as_str().unwrap_or("").contains(name))
        });
        listed.then_some(knocks)
    })
    .await
}

/// Click `button` (`.hp-admit` or `.hp-turn-away`) of `peer`'s knock in the host panel.
async fn answer_in_panel(app: &Client, room: &str, peer: &str, button: &str) {
    let css = format!(".hp-room[data-room-id='{room}'] .hp-knock[data-peer-id='{peer}'] {button}");
    wait_css(app, &css).await.click().await.unwrap();
    wait_for("the knock answered", Duration::from_secs(15), || async {
        let gone = js(app, &format!("return !document.querySelector(\"{css}\")")).await;
        (gone == true).then_some(())
    })
    .await;
}

/// A Chromium guest opens `link` (page, fragment) as `name` and waits at the door; its peer id.
async fn knock(guest: &Client, link: &(String, String), name: &str) -> String {
    let (page, fragment) = link;
    guest
        .goto(&format!("{page}?name={name}&autojoin=1#{fragment}"))
        .await
        .unwrap();
    wait_for(
        &format!("{name} at the door"),
        Duration::from_secs(30),
        || async {
            let s = js(
                guest,
                "const w = document.getElementById('waiting-room');
             return window.moim && w && !w.hidden && window.moim.state().mode !== 'meeting'
               ? window.moim.state().peerId : null",
            )
            .await;
            s.as_str().map(str::to_string)
        },
    )
    .await
}

/// The notification announcing `summary`, once the app has sent it over the session bus.
async fn notified(lab: &Lab, summary: &str) -> (String, String) {
    wait_for(
        &format!("the notification {summary:?}"),
        Duration::from_secs(15),
        || async { lab.notifications().into_iter().find(|(s, _)| s == summary) },
    )
    .await
}

/// The tray menu's entry for a knock whose sentence is `knock`, with its two answers right
/// under it: the ids of `admit` and `turn_away`, once the menu shows it.
async fn tray_knock(lab: &Lab, bus: &str, knock: &str, admit: &str, turn_away: &str) -> (i32, i32) {
    let app = the_app(lab);
    wait_for(
        &format!("{knock:?} in the tray menu"),
        Duration::from_secs(15),
        || async {
            let items = lab.tray_menu(bus, app)?;
            let at = items.iter().position(|(_, label)| label == knock)?;
            match &items[at + 1..] {
                [(a, al), (t, tl), ..] if al == admit && tl == turn_away => Some((*a, *t)),
                _ => None,
            }
        },
    )
    .await
}

/// Until the tray menu has no entry `knock`.
async fn tray_without(lab: &Lab, bus: &str, knock: &str) {
    let app = the_app(lab);
    wait_for(
        &format!("{knock:?} gone from the tray menu"),
        Duration::from_secs(15),
        || async {
            let items = lab.tray_menu(bus, app)?;
            items.iter().all(|(_, label)| label != knock).then_some(())
        },
    )
    .await
}

/// Until `guest` is in the call of `room` (the waiting screen gone); the names of its peers.
async fn in_meeting(guest: &Client, room: &str) -> Vec<Value> {
    wait_for("the guest in the meeting", Duration::from_secs(20), || async {
        let s = js(
            guest,
            &format!(
                "const s = window.moim.state();
                 return s.mode === 'meeting' && s.room === '{room}'
                   && document.getElementById('waiting-room').hidden ? s.peers.map((p) => p.name).sort() : null"
            ),
        )
        .await;
        s.as_array().cloned()
    })
    .await
}

/// Until `guest` was turned away: the banner says so, the waiting screen is gone, no room.
async fn turned_away(guest: &Client) -> String {
    wait_for("the guest turned away", Duration::from_secs(15), || async {
        let b = js(
            guest,
            "const b = document.getElementById('banner');
             return [b.dataset.code || '', b.hidden, document.getElementById('banner-text').textContent,
                     document.getElementById('waiting-room').hidden, window.moim.state().room]",
        )
        .await;
        let away = b[0] == "turned-away" && b[1] == false && b[3] == true && b[4].is_null();
        away.then(|| b[2].as_str().unwrap_or("").to_string())
    })
    .await
}

#[test]
fn knocks_at_a_waiting_room_reach_the_host_panel_the_tray_and_a_notification() {
    let started = Instant::now();
    let mut lab = Lab::new();
    // a session bus with nothing serving notifications: the app's calls are seen on the bus,
    // and answered with an error it must live with; the tray menu is read on it too
    let bus = lab.start_session_bus();
    lab.watch_notifications(&bus);
    let app = start_app_with(&mut lab, vec![("DBUS_SESSION_BUS_ADDRESS", bus.clone())]);
    start_chromedriver(&mut lab);
    runtime().block_on(async {
        let a = &app.client;
        wait_css(a, "#host-panel .hp-head strong").await;
        // the window's page is in the meeting, as its moderator; newcomers wait
        let create = json!({ "name": "Design review", "waiting_room": true });
        let room = room_over_socket(a, create, Some("Mina")).await;
        let link = join_link(a, &room).await;
        step("the meeting with a waiting room");

        // Ada knocks: the panel and the tray list her, and a notification says so
        let ada = start_browser(&lab, "ada");
        let ada_id = knock(&ada, &link, "Ada").await;
        let knocks = panel_knock(a, &room, &ada_id, "Ada").await;
        assert_eq!(knocks.as_array().map(Vec::len), Some(1), "{knocks}");
        let sentence = "Ada is waiting to join “Design review”";
        let (_, hint) = notified(&lab, sentence).await;
        assert!(hint.contains("tray menu"), "{hint}");
        tray_knock(&lab, &bus, sentence, "Admit", "Turn away").await;
        step("Ada's knock in the panel, the tray and a notification");
        // nobody serves notifications on this bus: the app said so in its log and went on
        wait_for("the missing notification service logged", Duration::from_secs(10), || async {
            app_log(&lab).contains("could not show a desktop notification").then_some(())
        })
        .await;
        let peers = js(&ada, "return window.moim.state().peers.length").await;
        assert_eq!(peers, 0, "someone waiting is nobody's peer yet");

        // Admit in the panel: Ada is in the call, with Mina, and a member in the panel
        answer_in_panel(a, &room, &ada_id, ".hp-admit").await;
        assert_eq!(in_meeting(&ada, &room).await, vec![json!("Mina")], "Ada sees the room's other peer");
        wait_for("Ada a member in the panel", Duration::from_secs(10), || async {
            let ok = js(a, &format!("return !!document.querySelector(\".hp-room[data-room-id='{room}'] .hp-member[data-peer-id='{ada_id}']\")")).await;
            (ok == true).then_some(())
        })
        .await;
        tray_without(&lab, &bus, sentence).await;
        step("Ada admitted");

        // in Korean now: the tray's words, and so the notification's, follow the page
        js(a, "import('/i18n.js').then((m) => m.switchLanguage('ko')); return 1").await;
        wait_for("the panel in Korean", Duration::from_secs(10), || async {
            let title = js(a, "return document.getElementById('hp-title').textContent").await;
            (title == "이 호스트").then_some(())
        })
        .await;

        // Grace knocks and is turned away in the panel: she sees it at once, never in the room
        let grace = start_browser(&lab, "grace");
        let grace_id = knock(&grace, &link, "Grace").await;
        panel_knock(a, &room, &grace_id, "Grace").await;
        notified(&lab, "Grace가 “Design review” 회의 입장을 기다립니다").await;
        step("Grace's knock shown and notified in Korean");
        answer_in_panel(a, &room, &grace_id, ".hp-turn-away").await;
        let text = turned_away(&grace).await;
        assert!(text.contains("did not let you in"), "{text}");
        let _ = grace.close().await;

        // Linus knocks and is let in from the tray menu, in Korean
        let linus = start_browser(&lab, "linus");
        knock(&linus, &link, "Linus").await;
        let sentence = "Linus가 “Design review” 회의 입장을 기다립니다";
        let (admit, _) = tray_knock(&lab, &bus, sentence, "들여보내기", "거절").await;
        lab.click_tray_item(&bus, the_app(&lab), admit);
        assert_eq!(in_meeting(&linus, &room).await, vec![json!("Ada"), json!("Mina")]);
        tray_without(&lab, &bus, sentence).await;
        step("Linus admitted from the tray");

        let peers = js(&ada, "return window.moim.state().peers.map((p) => p.name).sort()").await;
        assert_eq!(peers, json!(["Linus", "Mina"]), "Grace never got in");
        assert_eq!(lab.notifications().len(), 3, "one notification a knock");
        let _ = ada.close().await;
        let _ = linus.close().await;
        let _ = a.close_window().await;
    });
    eprintln!("desktop knock test took {:?}", started.elapsed());
}
