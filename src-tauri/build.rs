//! Build script: Tauri's code generation, only when the desktop shell is built.
fn main() {
    #[cfg(feature = "desktop")]
    tauri_build::build();
}
