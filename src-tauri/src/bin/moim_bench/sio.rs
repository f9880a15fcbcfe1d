//! Just enough of Engine.IO v4 and Socket.IO v5 over the WebSocket transport to load the seeds'
//! servers (bench/seeds/) the way their browser clients do: the server opens with `0{"sid",
//! "pingInterval",…}`, the client connects to the main namespace with `40` and hears
//! `40{"sid":…}`, events travel as `42["name",args…]`, and the server's ping `2` is answered
//! with `3`. No polling, no binary attachments, no acknowledgements: the seeds use none.

use crate::payload::Dialect;

/// Connect to the main namespace (sent after the server's open packet).
pub const CONNECT: &str = "40";
/// The answer to the server's ping.
pub const PONG: &str = "3";

/// The WebSocket URL of a Socket.IO server on `addr`.
pub fn url(addr: std::net::SocketAddr) -> String {
    format!("ws://{addr}/socket.io/?EIO=4&transport=websocket")
}

/// What a text frame from the server is.
#[derive(Debug, PartialEq)]
pub enum Packet {
    /// Engine.IO open (`0{…}`).
    Open,
    /// Engine.IO ping (`2`).
    Ping,
    /// Socket.IO connect to the main namespace, with this socket's id.
    Connected(String),
    /// Socket.IO event: its name and arguments.
    Event(String, Vec<serde_json::Value>),
    /// Anything else (a disconnect, a connect error, a packet this client does not speak).
    Other,
}

/// Read one text frame.
pub fn classify(text: &str) -> Packet {
    if text == "2" {
        return Packet::Ping;
    }
    if text.starts_with("0{") {
        return Packet::Open;
    }
    if let Some(body) = text.strip_prefix("40") {
        let sid = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["sid"].as_str().map(str::to_string));
        return sid.map_or(Packet::Other, Packet::Connected);
    }
    if let Some(body) = text.strip_prefix("42") {
        if let Ok(serde_json::Value::Array(mut items)) = serde_json::from_str(body) {
            if let Some(serde_json::Value::String(name)) = items.first().cloned() {
                items.remove(0);
                return Packet::Event(name, items);
            }
        }
    }
    Packet::Other
}

/// The join event in each seed's spelling.
pub fn join(dialect: Dialect, room: &str) -> String {
    let room = serde_json::to_string(room).expect("a string serializes");
    match dialect {
        Dialect::Node => format!(r#"42["join-room",{room}]"#),
        Dialect::Flask => format!(r#"42["join_room",{{"room":{room}}}]"#),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets() {
        assert_eq!(
            classify(r#"0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":20000}"#),
            Packet::Open
        );
        assert_eq!(classify("2"), Packet::Ping);
        assert_eq!(
            classify(r#"40{"sid":"Xy_9-AAAB"}"#),
            Packet::Connected("Xy_9-AAAB".into())
        );
        assert_eq!(
            classify(r#"42["existing-users",["a","b"]]"#),
            Packet::Event("existing-users".into(), vec![serde_json::json!(["a", "b"])])
        );
        assert_eq!(classify("41"), Packet::Other);
        assert_eq!(classify(r#"44{"message":"no"}"#), Packet::Other);
        assert_eq!(classify("42{}"), Packet::Other);
        assert_eq!(join(Dialect::Node, "r 1"), r#"42["join-room","r 1"]"#);
        assert_eq!(join(Dialect::Flask, "r"), r#"42["join_room",{"room":"r"}]"#);
    }
}
