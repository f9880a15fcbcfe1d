//! The `moim serve` command line as a person runs it, inside a namespace of its own (it binds
//! every interface there, and nothing else is on that network).

mod e2e;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use e2e::{step, Proc};

e2e_test!(
    /// `--port 0` lets the system choose; every address printed carries the port it chose.
    async fn serve_on_port_zero_prints_the_bound_port() {
        let dir = e2e::scratch();
        let child = Command::new(env!("CARGO_BIN_EXE_moim"))
            .args(["serve", "--port", "0", "--no-mdns", "--data-dir"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moim serve");
        let mut proc = Proc::new(child, "moim serve");
        let out = BufReader::new(proc.child.stdout.take().unwrap());
        let mut lines = Vec::new();
        for line in out.lines() {
            let line = line.expect("stdout");
            step(&format!("moim serve: {line}"));
            let done = line.contains("fingerprint");
            lines.push(line);
            if done {
                break;
            }
        }
        let port_of = |prefix: &str| -> Vec<u16> {
            lines
                .iter()
                .filter(|l| l.trim_start().starts_with(prefix))
                .map(|l| {
                    let url = l.rsplit(' ').next().unwrap();
                    let authority = url.split("//").nth(1).unwrap().trim_end_matches('/');
                    authority.rsplit(':').next().unwrap().parse().unwrap()
                })
                .collect()
        };
        let local = port_of("on this machine:");
        let lan = port_of("on the LAN:");
        assert_eq!(local.len(), 1, "{lines:?}");
        assert_ne!(local[0], 0, "{lines:?}");
        assert!(
            !lan.is_empty(),
            "the namespace's address is listed: {lines:?}"
        );
        assert!(lan.iter().all(|p| *p == local[0]), "{lines:?}");
        // And it really serves there.
        let health = tokio::net::TcpStream::connect(("127.0.0.1", local[0])).await;
        assert!(health.is_ok(), "nothing listens on {}", local[0]);
    }
);
