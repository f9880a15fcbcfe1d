//! The host key and the tokens derived from it: `resume` tokens that let a reconnecting client
//! keep its peer id, and room tokens that let members bring back a room after a host restart.
//! The key lives in the data folder, so both survive restarts.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::protocol::PeerId;

/// File name of the host key inside the data folder.
pub const KEY_FILE: &str = "host.key";

/// A 256-bit secret that signs tokens.
#[derive(Clone)]
pub struct HostKey([u8; 32]);

impl std::fmt::Debug for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostKey(..)")
    }
}

impl HostKey {
    /// A fresh random key, for hosts with no data folder.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Self(key)
    }

    /// Load the key from `dir`, creating it (and `dir`) on first use.
    pub fn load_or_create(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes);
                Ok(Self(key))
            }
            Ok(_) | Err(_) => {
                std::fs::create_dir_all(dir)?;
                let key = Self::random();
                write_private(&path, &key.0)?;
                Ok(key)
            }
        }
    }

    fn mac(&self, domain: &str, value: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(domain.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
    }

    /// The `resume` token for a peer id: `<peer_id>.<mac>`.
    pub fn resume_token(&self, peer: PeerId) -> String {
        format!("{peer}.{}", self.mac("peer", &peer.to_string()))
    }

    /// The peer id a resume token proves, if it is genuine.
    pub fn check_resume(&self, token: &str) -> Option<PeerId> {
        let (id, mac) = token.split_once('.')?;
        let peer: PeerId = id.parse().ok()?;
        constant_time_eq(
            self.mac("peer", &peer.to_string()).as_bytes(),
            mac.as_bytes(),
        )
        .then_some(peer)
    }

    /// This host's stable id on the LAN (16 hex digits), derived from the key so it survives
    /// restarts without revealing anything about the key.
    pub fn host_id(&self) -> String {
        let mac = self.mac("host-id", "");
        let bytes = URL_SAFE_NO_PAD.decode(mac).unwrap_or_default();
        bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// The token that proves membership of a room.
    pub fn room_token(&self, room: &str) -> String {
        self.mac("room", room)
    }

    /// Whether `token` is the room token of `room`.
    pub fn check_room(&self, room: &str, token: &str) -> bool {
        constant_time_eq(self.room_token(room).as_bytes(), token.as_bytes())
    }

    /// The token that proves `peer` is a moderator of room `room` (its id): bound to both, so
    /// it neither moves to another peer nor to another room.
    pub fn role_token(&self, room: &str, peer: PeerId) -> String {
        self.mac("moderator", &format!("{room}\n{peer}"))
    }

    /// Whether `token` is the moderator token of `peer` in `room`.
    pub fn check_role(&self, room: &str, peer: PeerId, token: &str) -> bool {
        constant_time_eq(self.role_token(room, peer).as_bytes(), token.as_bytes())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Write a secret readable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(bytes)
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_tokens_verify_and_resist_tampering() {
        let key = HostKey::random();
        let peer = PeerId::new_v4();
        let token = key.resume_token(peer);
        assert_eq!(key.check_resume(&token), Some(peer));
        let other = PeerId::new_v4();
        let forged = format!("{other}.{}", token.split_once('.').unwrap().1);
        assert_eq!(key.check_resume(&forged), None);
        assert_eq!(HostKey::random().check_resume(&token), None);
        assert_eq!(key.check_resume("garbage"), None);
    }

    #[test]
    fn role_tokens_belong_to_one_peer_in_one_room() {
        let key = HostKey::random();
        let (a, b) = (PeerId::new_v4(), PeerId::new_v4());
        let token = key.role_token("room-1", a);
        assert!(key.check_role("room-1", a, &token));
        assert!(!key.check_role("room-1", b, &token));
        assert!(!key.check_role("room-2", a, &token));
        assert!(!HostKey::random().check_role("room-1", a, &token));
        assert_ne!(token, key.room_token("room-1"));
    }

    #[test]
    fn key_persists_in_its_folder() {
        let dir = std::env::temp_dir().join(format!("moim-key-{}", PeerId::new_v4()));
        let a = HostKey::load_or_create(&dir).unwrap();
        let b = HostKey::load_or_create(&dir).unwrap();
        assert_eq!(a.room_token("x"), b.room_token("x"));
        assert!(b.check_room("x", &a.room_token("x")));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
