//! The `moim` binary: everything lives in the library.
#![forbid(unsafe_code)]
#![cfg_attr(all(not(debug_assertions), windows), windows_subsystem = "windows")]

fn main() -> anyhow::Result<()> {
    moim::cli::main()
}
