//! A scratch folder for one test (profiles, logs, host data), removed when it is dropped, or
//! kept for a look when the test failed or `MOIM_KEEP_SCRATCH` is set.

use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Scratch {
    dir: PathBuf,
    /// Whether dropping it removes the folder (a view of a folder that another process owns
    /// does not).
    owned: bool,
}

impl Scratch {
    /// A new folder `<tmp>/<prefix>-<uuid>`.
    pub fn new(prefix: &str) -> Scratch {
        Scratch::at(std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4())))
    }

    /// The folder `dir`, made now and removed on drop.
    pub fn at(dir: PathBuf) -> Scratch {
        std::fs::create_dir_all(&dir).expect("scratch folder");
        Scratch { dir, owned: true }
    }

    /// A folder another process made and will remove (the outer process of a namespaced test).
    pub fn view(dir: PathBuf) -> Scratch {
        assert!(dir.is_dir(), "{} is not a folder", dir.display());
        Scratch { dir, owned: false }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A folder inside it.
    pub fn sub(&self, name: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }
}

impl Drop for Scratch {
    /// Browsers killed by a failing test may still be writing their profiles here for a
    /// moment: try again for a while.
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        if std::thread::panicking() || std::env::var_os("MOIM_KEEP_SCRATCH").is_some() {
            eprintln!("test files kept in {}", self.dir.display());
            return;
        }
        for _ in 0..40 {
            if std::fs::remove_dir_all(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("could not remove {}", self.dir.display());
    }
}
