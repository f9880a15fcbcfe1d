//! Build script: Tauri's code generation, only when the desktop shell is built.
//!
//! `tauri.conf.json` sits at the top level beside `Cargo.toml`; the shell's capabilities and the
//! app's command permissions live under `src-tauri/`, so the patterns say where.
fn main() {
    #[cfg(feature = "desktop")]
    {
        println!("cargo:rerun-if-changed=src-tauri/capabilities");
        println!("cargo:rerun-if-changed=src-tauri/permissions");
        let attributes = tauri_build::Attributes::new()
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(
                tauri_build::AppManifest::new()
                    .permissions_path_pattern("src-tauri/permissions/**/*"),
            );
        if let Err(err) = tauri_build::try_build(attributes) {
            panic!("tauri-build: {err:#}");
        }
    }
}
