// Connection quality from RTCPeerConnection.getStats(), every 2 s: round-trip time of the
// selected ICE candidate pair and the media bitrate in and out. No DOM here.
//
// Events: 'stats' (Map<peerId, Quality>)

import { Emitter } from './emitter.js';

export const STATS_EVERY_MS = 2000;

/** @typedef {{rttMs: number|null, kbpsIn: number, kbpsOut: number}} Quality */
/** @typedef {{t: number, bytesIn: number, bytesOut: number}} Totals */

/**
 * Sum up one getStats() report.
 * @param {RTCStatsReport|Map<string, any>} report
 * @returns {{rttMs: number|null, bytesIn: number, bytesOut: number}}
 */
export function readReport(report) {
  let bytesIn = 0;
  let bytesOut = 0;
  let rttMs = null;
  /** @type {string|null} */
  let selected = null;
  /** @type {any[]} */
  const pairs = [];
  report.forEach((s) => {
    if (s.type === 'inbound-rtp') bytesIn += s.bytesReceived || 0;
    else if (s.type === 'outbound-rtp') bytesOut += s.bytesSent || 0;
    else if (s.type === 'transport' && s.selectedCandidatePairId) selected = s.selectedCandidatePairId;
    else if (s.type === 'candidate-pair') pairs.push(s);
  });
  const pair =
    pairs.find((p) => p.id === selected) || pairs.find((p) => p.nominated && p.state === 'succeeded') || null;
  if (pair && typeof pair.currentRoundTripTime === 'number') rttMs = Math.round(pair.currentRoundTripTime * 1000);
  return { rttMs, bytesIn, bytesOut };
}

/**
 * kbit/s between two byte counts taken `ms` apart.
 * @param {number} before
 * @param {number} after
 * @param {number} ms
 */
export function kbps(before, after, ms) {
  if (ms <= 0 || after < before) return 0;
  return Math.round(((after - before) * 8) / ms);
}

export class Stats extends Emitter {
  /** @param {() => Map<string, RTCPeerConnection>} connections */
  constructor(connections) {
    super();
    this.connections = connections;
    /** @type {Map<RTCPeerConnection, Totals>} */
    this.prev = new Map();
    /** @type {Map<string, Quality>} */
    this.latest = new Map();
    /** @type {ReturnType<typeof setInterval>|null} */
    this.timer = null;
  }

  start() {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), STATS_EVERY_MS);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.prev.clear();
    this.latest.clear();
  }

  async poll() {
    /** @type {Map<string, Quality>} */
    const out = new Map();
    /** @type {Map<RTCPeerConnection, Totals>} */
    const next = new Map();
    await Promise.all(
      [...this.connections()].map(async ([id, pc]) => {
        if (pc.connectionState === 'closed') return;
        try {
          const r = readReport(await pc.getStats());
          const now = performance.now();
          const p = this.prev.get(pc);
          next.set(pc, { t: now, bytesIn: r.bytesIn, bytesOut: r.bytesOut });
          out.set(id, {
            rttMs: r.rttMs,
            kbpsIn: p ? kbps(p.bytesIn, r.bytesIn, now - p.t) : 0,
            kbpsOut: p ? kbps(p.bytesOut, r.bytesOut, now - p.t) : 0,
          });
        } catch {
          /* the connection went away meanwhile */
        }
      }),
    );
    this.prev = next;
    this.latest = out;
    this.emit('stats', out);
  }
}
