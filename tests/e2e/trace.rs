//! The client's call set-up trace (`window.moim.mesh.setupTrace()`, see ui/mesh.js): read it
//! from a page, count the steps that mean a set-up did not go straight (a re-sent offer, a
//! stalled pair rebuilt), and sum many set-ups up into the median time of each step, for the
//! benchmark's breakdown of where the time goes.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::Browser;

/// The steps of one pair's set-up, in the order they normally happen (ui/peer.js). `join` and
/// `existing-peers` are page-wide; the others are per remote peer.
pub const SETUP_STEPS: &[&str] = &[
    "join",
    "existing-peers",
    "listed",
    "peer-joined",
    "created",
    "hello-out",
    "hello-in",
    "offer-out",
    "offer-in",
    "answer-out",
    "answer-in",
    "candidate-out",
    "candidate-in",
    "ice-checking",
    "ice-connected",
    "dtls-connected",
    "pc-connected",
    "audio-unmuted",
    "video-unmuted",
];

/// Steps that mean a set-up needed more than one straight exchange.
pub const DETOURS: &[&str] = &[
    "offer-resent",
    "stalled",
    "follow-new-session",
    "offer-ignored",
    "rollback",
    "signal-before-roster",
    "ice-restart",
];

/// The page's set-up trace.
pub async fn setup_trace(b: &Browser) -> Value {
    b.eval("window.moim.mesh.setupTrace()").await
}

/// How many times `ev` occurs in `trace`, over all its peers.
pub fn count(trace: &Value, ev: &str) -> usize {
    peers(trace)
        .map(|(_, steps)| steps.iter().filter(|s| s["ev"] == ev).count())
        .sum()
}

/// How many connections were made to `peer` (1 when it was never rebuilt).
pub fn connections(trace: &Value, peer: &str) -> usize {
    trace["peers"][peer]
        .as_array()
        .map(|s| s.iter().filter(|s| s["ev"] == "created").count())
        .unwrap_or(0)
}

fn peers(trace: &Value) -> impl Iterator<Item = (&String, &Vec<Value>)> {
    trace["peers"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(id, v)| v.as_array().map(|a| (id, a)))
}

/// Many set-ups summed up: for each step, the times (ms after the set-up's origin, e.g. the
/// join click) at which it first happened, one per page and remote peer; and how often each
/// detour happened.
#[derive(Default)]
pub struct Breakdown {
    steps: BTreeMap<&'static str, Vec<f64>>,
    detours: BTreeMap<&'static str, usize>,
    setups: usize,
}

impl Breakdown {
    /// Add one page's trace, its times taken from `origin` (wall-clock ms). `extra` adds
    /// page-wide steps measured elsewhere (e.g. the first frame seen in the page).
    pub fn add(&mut self, trace: &Value, origin: f64, extra: &[(&'static str, f64)]) {
        self.setups += 1;
        for step in SETUP_STEPS {
            if let Some(t) = trace["marks"][*step].as_f64() {
                self.steps.entry(step).or_default().push(t - origin);
            }
        }
        for (step, t) in extra {
            self.steps.entry(step).or_default().push(t - origin);
        }
        for (_, steps) in peers(trace) {
            for step in SETUP_STEPS {
                if let Some(t) = steps
                    .iter()
                    .find(|s| s["ev"] == *step)
                    .and_then(|s| s["t"].as_f64())
                {
                    self.steps.entry(step).or_default().push(t - origin);
                }
            }
        }
        for d in DETOURS {
            *self.detours.entry(d).or_default() += count(trace, d);
        }
    }

    /// `{"steps": [{"step", "median_ms", "n"}…] in set-up order, "detours": {step: count}}`.
    pub fn summary(&self) -> Value {
        let mut rows: Vec<(f64, Value)> = self
            .steps
            .iter()
            .map(|(step, times)| {
                let mut t = times.clone();
                t.sort_by(f64::total_cmp);
                let median = t[t.len() / 2];
                (
                    median,
                    json!({"step": step, "median_ms": (median * 10.0).round() / 10.0, "n": t.len()}),
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        json!({
            "pages": self.setups,
            "steps": rows.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
            "detours": self.detours,
        })
    }
}

/// One line for a report: `step +12 ms · step +30 ms …` and the detours that happened.
pub fn describe(summary: &Value) -> String {
    let steps: Vec<String> = summary["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            format!(
                "{} {:.0}",
                s["step"].as_str().unwrap_or("?"),
                s["median_ms"].as_f64().unwrap_or(0.0)
            )
        })
        .collect();
    let detours: Vec<String> = summary["detours"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect();
    format!(
        "{}; detours: {}",
        steps.join(" · "),
        if detours.is_empty() {
            "none".to_string()
        } else {
            detours.join(", ")
        }
    )
}
