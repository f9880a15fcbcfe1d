//! Chromium for the tests: the binaries, and the flags every browser gets (fake camera and
//! microphone, no network chatter outside the namespaces, loopback candidates allowed).

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::OnceLock,
};

use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Every browser gets these flags, plus its own `--user-data-dir` and, unless a test asks for
/// the fake device's own 1280×720 camera, the light camera ([`default_flags`]).
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

/// The flags of a test browser, to add to: [`CHROMIUM_FLAGS`] with the light camera and the
/// microphone that goes with it. Four Chromiums in a mesh on two cores, each encoding its
/// camera for three others and decoding three, starve the machine with the fake device's own
/// 1280×720 camera at 20 frames/s (a four-person call took three times as long on CI); a
/// 640×360 picture at 10 frames/s costs a fraction of that and still moves every frame. The
/// fake microphone beeps only when the fake device's own camera tells it to, so with a file
/// for the camera it needs a file too: [`light_microphone`].
pub fn default_flags() -> Vec<String> {
    flags_with_camera(light_camera())
}

/// [`default_flags`] with a larger picture of the same kind, 960×540: the smallest from which
/// Chromium sends a camera as three simulcast layers (a large meeting's test), at a fraction of
/// the cost of the fake device's own camera.
pub fn simulcast_flags() -> Vec<String> {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    flags_with_camera(FILE.get_or_init(|| camera_file(SIMULCAST)))
}

fn flags_with_camera(camera: &Path) -> Vec<String> {
    let mut flags = full_camera_flags();
    flags.push(format!(
        "--use-file-for-fake-video-capture={}",
        camera.display()
    ));
    flags.push(format!(
        "--use-file-for-fake-audio-capture={}",
        light_microphone().display()
    ));
    flags
}

/// [`CHROMIUM_FLAGS`] as owned strings: the fake device's own camera, 1280×720 at 20
/// frames/s, for the tests that look at the picture's size (Chromium sends a camera as three
/// simulcast layers only from 960×540 up; a quality test needs room to degrade).
pub fn full_camera_flags() -> Vec<String> {
    CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect()
}

/// The light camera's picture: width, height, frames a second.
const LIGHT: (usize, usize, usize) = (640, 360, 10);
/// The picture of [`simulcast_flags`].
const SIMULCAST: (usize, usize, usize) = (960, 540, 10);
/// Part of the light files' names, raised whenever what they hold changes: a file is reused
/// when its name and size match, and an older picture has the same size.
const LIGHT_VERSION: u32 = 2;
/// Seconds of it; Chromium plays the file in a loop.
const LIGHT_SECS: usize = 3;

/// The light camera's Y4M file, written once per machine into the temporary directory: a calm
/// blue-grey picture with a soft light disc that sways from side to side and back (the loop
/// has no jump), so every frame differs and the encoders work as they would on a person.
pub fn light_camera() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| camera_file(LIGHT))
}

/// The light camera's picture at `w`×`h`, `fps` frames a second, as a Y4M file (see
/// [`light_camera`]).
fn camera_file((w, h, fps): (usize, usize, usize)) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "moim-e2e-camera-{w}x{h}-{fps}-v{LIGHT_VERSION}.y4m"
    ));
    let frames = fps * LIGHT_SECS;
    let header = format!("YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n");
    let size = header.len() + frames * (6 + w * h * 3 / 2);
    written_once(path, size, |out| {
        out.extend_from_slice(header.as_bytes());
        let r = (h / 4) as f64;
        for f in 0..frames {
            out.extend_from_slice(b"FRAME\n");
            let phase = f as f64 / frames as f64 * std::f64::consts::TAU;
            let (cx, cy) = (w as f64 * (0.5 + 0.25 * phase.sin()), h as f64 * 0.55);
            for y in 0..h {
                for x in 0..w {
                    let d = ((x as f64 - cx).powi(2) + (y as f64 - cy).powi(2)).sqrt();
                    // a gradient from 70 at the top to 130 at the bottom, the disc up to 190
                    let glow = (1.0 - (d / r - 0.8).clamp(0.0, 1.0)) * 60.0;
                    let luma = 70.0 + 60.0 * y as f64 / h as f64 + glow;
                    out.push(luma as u8);
                }
            }
            let (cw, ch) = (w / 2, h / 2);
            for plane in 0..2 {
                for y in 0..ch {
                    for x in 0..cw {
                        // slightly blue (U above grey), a touch warmer to the right (V)
                        let c = if plane == 0 {
                            140 + 10 * y / ch
                        } else {
                            118 + 12 * x / cw
                        };
                        out.push(c as u8);
                    }
                }
            }
        }
    })
}

/// `path`, holding the `size` bytes `fill` writes, unless a file of that size is there already
/// (written under another name and renamed: a browser never reads half a file).
fn written_once(path: PathBuf, size: usize, fill: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == size as u64) {
        return path;
    }
    let mut out = Vec::with_capacity(size);
    fill(&mut out);
    assert_eq!(out.len(), size, "{}", path.display());
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&tmp).expect("write a fake device's file");
    file.write_all(&out).expect("write a fake device's file");
    std::fs::rename(&tmp, &path).expect("write a fake device's file");
    path
}

/// The light microphone's WAV file (48 kHz mono, 16 bits), written once like the camera's: a
/// 440-Hz tone at a quarter of full scale, 200 ms on and 300 ms off, in a loop, as the fake
/// device's beeps (a voice for the speaking detector, sound for the level meters).
pub fn light_microphone() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        const RATE: usize = 48_000;
        let samples = RATE * LIGHT_SECS;
        let data = samples * 2;
        let path =
            std::env::temp_dir().join(format!("moim-e2e-microphone-48k-v{LIGHT_VERSION}.wav"));
        written_once(path, 44 + data, |out| {
            let u32le =
                |out: &mut Vec<u8>, v: usize| out.extend_from_slice(&(v as u32).to_le_bytes());
            out.extend_from_slice(b"RIFF");
            u32le(out, 36 + data);
            out.extend_from_slice(b"WAVEfmt ");
            u32le(out, 16);
            out.extend_from_slice(&[1, 0, 1, 0]); // PCM, one channel
            u32le(out, RATE);
            u32le(out, RATE * 2);
            out.extend_from_slice(&[2, 0, 16, 0]); // two bytes a frame, 16 bits
            out.extend_from_slice(b"data");
            u32le(out, data);
            for i in 0..samples {
                let on = i % (RATE / 2) < RATE / 5;
                let t = i as f64 / RATE as f64;
                let v = if on {
                    (t * 440.0 * std::f64::consts::TAU).sin() * 8192.0
                } else {
                    0.0
                };
                out.extend_from_slice(&(v as i16).to_le_bytes());
            }
        })
    })
}
