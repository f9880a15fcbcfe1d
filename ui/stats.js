// Connection quality from RTCPeerConnection.getStats(), every 2 s, per remote peer: round-trip
// time of the selected ICE candidate pair, media bitrate in and out, packet loss both ways
// (inbound-rtp for what reaches us, remote-inbound-rtp for what reaches them), the encoder's
// qualityLimitationReason for our video, and from these a verdict (good / poor / bad, with the
// reason) for the tile. uplink() tells whether this person's own upload (or computer) is the
// problem.
// No DOM here.
//
// Events: 'stats' (Map<peerId, Quality>)

import { Emitter } from './emitter.js';

export const STATS_EVERY_MS = 2000;
/** Loss (share of packets) from which a connection is poor, and bad. */
export const LOSS_POOR = 0.03;
export const LOSS_BAD = 0.1;
/** Round-trip time (ms) from which a connection is poor, and bad. */
export const RTT_POOR_MS = 300;
export const RTT_BAD_MS = 600;

/** @typedef {'good'|'poor'|'bad'} Level */
/** @typedef {'loss'|'rtt'|'bandwidth'|'cpu'|null} Reason */
/** @typedef {''|'upload'|'cpu'} Own what of this person's own side holds the call back */
/**
 * @typedef {object} Quality
 * @property {number|null} rttMs
 * @property {number} kbpsIn
 * @property {number} kbpsOut
 * @property {number} lossIn share of the packets sent to us that were lost (last interval)
 * @property {number} lossOut share of our packets the other side reports lost
 * @property {string} limitation our video encoder's qualityLimitationReason ('none', 'cpu', 'bandwidth', 'other')
 * @property {number|null} availableBps the browser's estimate of the upload this connection has
 * @property {Level} level
 * @property {Reason} reason
 */
/** @typedef {{packets: number, lost: number}} Counts */
/** @typedef {{audio: Counts, video: Counts}} Inbound packets received and lost, by kind */
/** @typedef {{t: number, bytesIn: number, bytesOut: number, inbound: Inbound}} Totals */
/**
 * @typedef {object} Reading one getStats() report summed up
 * @property {number|null} rttMs
 * @property {number} bytesIn
 * @property {number} bytesOut
 * @property {Inbound} inbound packets received and lost on the way to us, by kind
 * @property {number} lossOut the worst fractionLost the other side reports for our streams
 * @property {string} limitation
 * @property {number|null} availableBps
 */

/**
 * Sum up one getStats() report.
 * @param {RTCStatsReport|Map<string, any>} report
 * @returns {Reading}
 */
export function readReport(report) {
  let bytesIn = 0;
  let bytesOut = 0;
  /** @type {Inbound} */
  const inbound = { audio: { packets: 0, lost: 0 }, video: { packets: 0, lost: 0 } };
  let lossOut = 0;
  let limitation = 'none';
  let rttMs = null;
  let availableBps = null;
  /** @type {string|null} */
  let selected = null;
  /** @type {any[]} */
  const pairs = [];
  report.forEach((s) => {
    if (s.type === 'inbound-rtp') {
      bytesIn += s.bytesReceived || 0;
      const c = s.kind === 'audio' ? inbound.audio : inbound.video;
      c.packets += s.packetsReceived || 0;
      c.lost += Math.max(0, s.packetsLost || 0);
    } else if (s.type === 'outbound-rtp') {
      bytesOut += s.bytesSent || 0;
      // the camera's encoder: a screen (contentType 'screenshare') drops frames by design
      if (s.kind === 'video' && s.qualityLimitationReason && s.contentType !== 'screenshare') limitation = s.qualityLimitationReason;
    } else if (s.type === 'remote-inbound-rtp') {
      if (typeof s.fractionLost === 'number') lossOut = Math.max(lossOut, s.fractionLost);
    } else if (s.type === 'transport' && s.selectedCandidatePairId) selected = s.selectedCandidatePairId;
    else if (s.type === 'candidate-pair') pairs.push(s);
  });
  const pair =
    pairs.find((p) => p.id === selected) || pairs.find((p) => p.nominated && p.state === 'succeeded') || null;
  if (pair && typeof pair.currentRoundTripTime === 'number') rttMs = Math.round(pair.currentRoundTripTime * 1000);
  if (pair && typeof pair.availableOutgoingBitrate === 'number') availableBps = pair.availableOutgoingBitrate;
  return { rttMs, bytesIn, bytesOut, inbound, lossOut, limitation, availableBps };
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

/**
 * The share of packets lost between two readings, for the kind that lost most (audio is not
 * retransmitted, so its loss shows what the network does; video's is after retransmission).
 * 0 when nothing was due.
 * @param {Inbound|undefined} before
 * @param {Inbound} after
 */
export function lossBetween(before, after) {
  if (!before) return 0;
  let worst = 0;
  for (const kind of /** @type {('audio'|'video')[]} */ (['audio', 'video'])) {
    const got = after[kind].packets - before[kind].packets;
    const lost = after[kind].lost - before[kind].lost;
    if (got >= 0 && lost > 0) worst = Math.max(worst, lost / (got + lost));
  }
  return worst;
}

/**
 * The verdict for one connection: the worst of loss (either way), round-trip time and the
 * encoder's limitation, with the reason that set it.
 * @param {{rttMs: number|null, lossIn: number, lossOut: number, limitation: string}} q
 * @returns {{level: Level, reason: Reason}}
 */
export function judge(q) {
  const loss = Math.max(q.lossIn, q.lossOut);
  const rtt = q.rttMs ?? 0;
  if (loss >= LOSS_BAD) return { level: 'bad', reason: 'loss' };
  if (rtt >= RTT_BAD_MS) return { level: 'bad', reason: 'rtt' };
  if (loss >= LOSS_POOR) return { level: 'poor', reason: 'loss' };
  if (rtt >= RTT_POOR_MS) return { level: 'poor', reason: 'rtt' };
  if (q.limitation === 'bandwidth' || q.limitation === 'cpu') return { level: 'poor', reason: q.limitation };
  return { level: 'good', reason: null };
}

/**
 * This person's own side, from all their connections: the summed bitrates, and what holds the
 * call back when it is their own side (`own`): their upload ('upload': most connections report
 * a bandwidth limitation or lose our packets) or their computer ('cpu'); '' while all is well.
 * @param {Map<string, Quality>} all
 * @returns {{rttMs: null, kbpsIn: number, kbpsOut: number, level: Level, reason: Reason, own: Own}}
 */
export function uplink(all) {
  let kbpsIn = 0;
  let kbpsOut = 0;
  let bandwidth = 0;
  let cpu = 0;
  let lossy = 0;
  for (const q of all.values()) {
    kbpsIn += q.kbpsIn;
    kbpsOut += q.kbpsOut;
    if (q.limitation === 'bandwidth') bandwidth += 1;
    if (q.limitation === 'cpu') cpu += 1;
    if (q.lossOut >= LOSS_POOR) lossy += 1;
  }
  const most = (/** @type {number} */ n) => all.size > 0 && n * 2 > all.size;
  /** @type {{level: Level, reason: Reason, own: Own}} */
  let verdict = { level: 'good', reason: null, own: '' };
  if (most(cpu)) {
    verdict = { level: 'poor', reason: 'cpu', own: 'cpu' };
  } else if (most(bandwidth) || most(lossy)) {
    verdict = {
      level: most(lossy) && !most(bandwidth) ? 'bad' : 'poor',
      reason: most(bandwidth) ? 'bandwidth' : 'loss',
      own: 'upload',
    };
  }
  return { rttMs: null, kbpsIn, kbpsOut, ...verdict };
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
          next.set(pc, { t: now, bytesIn: r.bytesIn, bytesOut: r.bytesOut, inbound: r.inbound });
          const q = {
            rttMs: r.rttMs,
            kbpsIn: p ? kbps(p.bytesIn, r.bytesIn, now - p.t) : 0,
            kbpsOut: p ? kbps(p.bytesOut, r.bytesOut, now - p.t) : 0,
            lossIn: Math.round(lossBetween(p?.inbound, r.inbound) * 1000) / 1000,
            lossOut: Math.round(r.lossOut * 1000) / 1000,
            limitation: r.limitation,
            availableBps: r.availableBps,
          };
          out.set(id, { ...q, ...judge(q) });
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
