//! HTTPS on one port with plain HTTP for this machine, the certificate kept across restarts,
//! and moim's own clients refusing any certificate but the announced one.

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use moim::remote;
use moim::tls::Fingerprint;
use tokio_tungstenite::tungstenite::Message;

fn tls_config(dir: &std::path::Path) -> moim::HostConfig {
    moim::HostConfig {
        data_dir: Some(dir.to_path_buf()),
        ..test_config()
    }
}

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("moim-tls-test-{}", uuid::Uuid::new_v4()))
}

#[tokio::test]
async fn the_certificate_persists_across_restarts_and_is_the_one_served() {
    let dir = temp_dir();
    let host = start_host(tls_config(&dir)).await;
    let fp = host.host.tls().expect("HTTPS is on by default").fingerprint;
    let body = remote::get(host.addr, Some(fp), "/api/info")
        .await
        .expect("pinned HTTPS");
    let info: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(info["fingerprint"], fp.hex());
    let addr = host.addr;
    host.stop().await;

    let again = start_host_on(tls_config(&dir), addr).await;
    assert_eq!(
        again.host.tls().unwrap().fingerprint,
        fp,
        "same certificate after a restart"
    );
    remote::get(again.addr, Some(fp), "/healthz")
        .await
        .expect("still served");
    again.stop().await;
    assert!(dir.join(moim::tls::CERT_FILE).exists() && dir.join(moim::tls::KEY_FILE).exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_wrong_fingerprint_is_refused_by_moims_own_client() {
    let host = start_host(test_config()).await;
    let real = host.host.tls().unwrap().fingerprint;
    let mut wrong = real.0;
    wrong[0] ^= 0xff;
    let err = remote::rooms(host.addr, Some(Fingerprint(wrong)))
        .await
        .expect_err("a certificate that is not the announced one");
    assert!(matches!(err, remote::RemoteError::Tls { .. }), "{err}");
    let rooms = remote::rooms(host.addr, Some(real))
        .await
        .expect("the right one");
    assert!(rooms.is_empty());
    host.stop().await;
}

#[tokio::test]
async fn https_wss_and_local_plain_http_share_one_port() {
    let host = start_host(test_config()).await;
    let fp = host.host.tls().unwrap().fingerprint;
    // Plain HTTP from this machine (the app window and the browser hand-off).
    let plain = remote::get(host.addr, None, "/healthz")
        .await
        .expect("plain on loopback");
    assert!(String::from_utf8_lossy(&plain).contains("\"ok\""));
    // Signaling over TLS on the same port.
    let remote::RemoteStream::Tls(tls) = remote::connect(host.addr, Some(fp)).await.unwrap() else {
        panic!("expected TLS");
    };
    let url = format!("wss://{}/ws", host.addr);
    let (mut ws, _) = tokio_tungstenite::client_async(url, *tls)
        .await
        .expect("wss");
    let welcome = loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Text(t) => {
                break serde_json::from_str::<serde_json::Value>(t.as_str()).unwrap()
            }
            _ => continue,
        }
    };
    assert_eq!(welcome["type"], "welcome");
    ws.send(Message::text(r#"{"type":"ping","nonce":5}"#))
        .await
        .unwrap();
    let pong = loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Text(t) => {
                break serde_json::from_str::<serde_json::Value>(t.as_str()).unwrap()
            }
            _ => continue,
        }
    };
    assert_eq!(pong["nonce"], 5);
    host.stop().await;
}

#[tokio::test]
async fn a_host_without_tls_refuses_handshakes_but_serves_plain() {
    let config = moim::HostConfig {
        no_tls: true,
        ..test_config()
    };
    let host = start_host(config).await;
    assert!(host.host.tls().is_none());
    let any = Fingerprint([7; 32]);
    assert!(remote::get(host.addr, Some(any), "/healthz").await.is_err());
    remote::get(host.addr, None, "/healthz")
        .await
        .expect("plain");
    host.stop().await;
}
