//! The web UI in `ui/`: built into the binary (read from disk in debug builds, so edits show on
//! reload), or served from `--ui-dir`. Nothing is ever fetched from a CDN.

use std::path::{Component, Path, PathBuf};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/ui"]
#[exclude = "*.md"]
#[exclude = "jsconfig.json"]
#[exclude = "tsconfig.json"]
struct Embedded;

/// Where the UI comes from.
#[derive(Debug, Clone)]
pub enum Assets {
    /// The files built into the binary.
    Embedded,
    /// A folder on disk.
    Dir(PathBuf),
}

impl Assets {
    /// `--ui-dir` if given, else the built-in files.
    pub fn new(dir: Option<PathBuf>) -> Self {
        dir.map_or(Self::Embedded, Self::Dir)
    }

    /// The bytes of `path` (relative, `/`-separated), if it exists.
    pub async fn get(&self, path: &str) -> Option<Vec<u8>> {
        let path = path.trim_start_matches('/');
        match self {
            Self::Embedded => Embedded::get(path).map(|f| f.data.into_owned()),
            Self::Dir(root) => {
                let rel = Path::new(path);
                if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                    return None;
                }
                tokio::fs::read(root.join(rel)).await.ok()
            }
        }
    }

    /// An HTTP response for `path`: the file with its type, or 404.
    pub async fn respond(&self, path: &str) -> Response {
        let Some(body) = self.get(path).await else {
            return (StatusCode::NOT_FOUND, "not found").into_response();
        };
        let mime = mime_guess::from_path(path).first_or_octet_stream();
        let cache = if path.ends_with(".html") {
            "no-cache"
        } else {
            "max-age=300"
        };
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_str(mime.as_ref())
                        .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
            body,
        )
            .into_response()
    }
}
