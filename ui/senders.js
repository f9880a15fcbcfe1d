// What one RTCPeerConnection sends (peer.js owns the connection and its negotiation): the
// camera and microphone transceivers, the shared screen's own transceivers, and the encodings
// each sender uses under the budget (budget.js) and the pressure the stats measured. No DOM.
//
// * Camera and microphone: only the impolite side adds their transceivers (peer.js); the polite
//   side adopts the ones the first offer created. They are sent without a stream id (msid `-`).
// * The screen: each side adds its own `sendonly` video transceiver (and one for the tab's audio
//   when there is one) the first time it shares, with the screen's MediaStream as its stream,
//   so the receiver tells the screen from the camera by the msid stream id that the sharer also
//   announces in its presence (`PeerInfo.screen`). Stopping turns them `inactive` (no track);
//   sharing again reuses them. The polite side adds them only once the first offer is applied,
//   so the first negotiation is never a glare over m-lines. Screens are sent sharp, not smooth:
//   the track's contentHint is `detail` (share.js), the sender keeps the resolution
//   (`degradationPreference: 'maintain-resolution'`) and lets the frame rate drop.

/** @typedef {'audio'|'video'} Kind */
/** @typedef {import('./budget.js').Caps} Caps */
/** @typedef {import('./budget.js').AllCaps} AllCaps */

/** The most the camera caps are lowered under pressure (each step halves the bitrate). */
export const MAX_PRESSURE = 3;
/** Stats readings without a CPU or bandwidth limitation before the camera goes one step up. */
export const CLEAR_POLLS = 3;

/**
 * The video caps under `pressure` steps of CPU or bandwidth limitation: each step halves the
 * bitrate (not below 100 kbit/s) and shrinks the picture by a further 1.5.
 * @param {Caps} cap
 * @param {number} pressure
 * @returns {Caps}
 */
export function pressed(cap, pressure) {
  if (!pressure) return cap;
  return {
    maxBitrate: Math.max(100_000, Math.floor(cap.maxBitrate / 2 ** pressure)),
    scaleResolutionDownBy: Math.round((cap.scaleResolutionDownBy || 1) * 1.5 ** pressure * 100) / 100,
  };
}

export class Senders {
  /**
   * @param {RTCPeerConnection} pc
   * @param {object} opts
   * @param {{audio: MediaStreamTrack|null, video: MediaStreamTrack|null}} opts.tracks
   * @param {AllCaps} opts.caps
   * @param {boolean} opts.polite
   * @param {(ev: string, detail?: string) => void} opts.trace
   * @param {() => boolean} opts.closed
   */
  constructor(pc, { tracks, caps, polite, trace, closed }) {
    this.pc = pc;
    this.tracks = { ...tracks };
    this.caps = caps;
    this.polite = polite;
    this.trace = trace;
    this.isClosed = closed;
    /** camera pressure steps (0 = the room's caps) */
    this.pressure = 0;
    /** stats readings in a row without a limitation (adapt()) */
    this.clearPolls = 0;
    /** @type {MediaStream|null} the screen I share, if any */
    this.screen = null;
    /** @type {{audio: RTCRtpTransceiver|null, video: RTCRtpTransceiver|null}} my screen's own */
    this.screenTx = { audio: null, video: null };
    /** @type {Promise<void>} */
    this.capsChain = Promise.resolve();
  }

  /** @param {RTCRtpTransceiver} t */
  isScreen(t) {
    return t === this.screenTx.audio || t === this.screenTx.video;
  }

  /** The camera or microphone transceiver of `kind`, if negotiated or added. @param {Kind} kind */
  transceiver(kind) {
    return this.pc
      .getTransceivers()
      .find((t) => !this.isScreen(t) && t.currentDirection !== 'stopped' && t.direction !== 'stopped' && t.receiver.track?.kind === kind);
  }

  /** The impolite side's first transceivers, with the encodings they will run with. */
  addInitial() {
    for (const kind of /** @type {Kind[]} */ (['audio', 'video'])) {
      const track = this.tracks[kind];
      this.pc.addTransceiver(track || kind, { direction: track ? 'sendrecv' : 'recvonly', sendEncodings: [this.encoding(kind)] });
    }
  }

  /**
   * Send `track` (or nothing) for `kind`. Uses replaceTrack, so no renegotiation unless the
   * transceiver has to turn from recvonly to sendrecv (the first time a device appears).
   * @param {Kind} kind
   * @param {MediaStreamTrack|null} track
   */
  async setTrack(kind, track) {
    this.tracks[kind] = track;
    if (this.isClosed()) return;
    const t = this.transceiver(kind);
    if (!t) return; // the polite side before the first offer: adopted in adopt()
    try {
      if (t.sender.track !== track) await t.sender.replaceTrack(track);
    } catch (err) {
      console.warn('moim: replaceTrack failed', err);
    }
    if (track && t.direction === 'recvonly') t.direction = 'sendrecv';
    if (kind === 'video') this.applyCaps();
  }

  /** The polite side: after an offer created transceivers, send our tracks on them. */
  async adopt() {
    for (const kind of /** @type {Kind[]} */ (['audio', 'video'])) {
      const t = this.transceiver(kind);
      if (!t) continue;
      const track = this.tracks[kind];
      if (t.sender.track !== track) {
        try {
          await t.sender.replaceTrack(track);
        } catch (err) {
          console.warn('moim: replaceTrack failed', err);
        }
      }
      const want = track ? 'sendrecv' : 'recvonly';
      if (t.direction !== want && !(want === 'recvonly' && t.direction === 'sendrecv')) t.direction = want;
    }
    // a share that started before the first offer reached us
    if (this.screen && !this.screenTx.video) queueMicrotask(() => this.setScreen(this.screen));
  }

  /**
   * Share `stream` (a screen: a video track and maybe the tab's audio), or stop (`null`).
   * @param {MediaStream|null} stream
   */
  async setScreen(stream) {
    this.screen = stream;
    if (this.isClosed()) return;
    // the polite side waits for the first offer (see the header)
    if (this.polite && !this.pc.remoteDescription) return;
    for (const kind of /** @type {Kind[]} */ (['video', 'audio'])) {
      const track = stream?.getTracks().find((x) => x.kind === kind) || null;
      const t = this.screenTx[kind];
      try {
        if (!track) {
          if (t && t.sender.track) await t.sender.replaceTrack(null);
          if (t && t.direction !== 'inactive') t.direction = 'inactive';
        } else if (!t) {
          this.screenTx[kind] = this.pc.addTransceiver(track, {
            direction: 'sendonly',
            streams: [/** @type {MediaStream} */ (stream)],
            sendEncodings: [this.screenEncoding(kind)],
          });
          this.trace('screen-added', kind);
        } else {
          if (t.sender.track !== track) await t.sender.replaceTrack(track);
          t.sender.setStreams(/** @type {MediaStream} */ (stream));
          if (t.direction !== 'sendonly') t.direction = 'sendonly';
        }
      } catch (err) {
        console.warn('moim: screen sender', kind, err);
      }
    }
    this.applyCaps();
  }

  /**
   * The send encoding for camera or microphone `kind` under the current caps and pressure:
   * given to the first offer's transceivers, so the encoder starts as it will run (no
   * reconfiguration at the first frame), and kept by applyCaps().
   * @param {Kind} kind
   * @returns {RTCRtpEncodingParameters}
   */
  encoding(kind) {
    const cap = kind === 'video' ? pressed(this.caps.video, this.pressure) : this.caps.audio;
    // audio first: under congestion the browser keeps audio and sheds video
    const priority = kind === 'audio' ? 'high' : 'low';
    /** @type {any} */
    const enc = { maxBitrate: cap.maxBitrate, priority, networkPriority: priority };
    if (kind === 'video') enc.scaleResolutionDownBy = cap.scaleResolutionDownBy || 1;
    return enc;
  }

  /**
   * The screen's encoding: its own budget, full resolution, above the cameras in priority.
   * @param {Kind} kind
   * @returns {RTCRtpEncodingParameters}
   */
  screenEncoding(kind) {
    const cap = kind === 'video' ? this.caps.screen : this.caps.screenAudio;
    /** @type {any} */
    const enc = { maxBitrate: cap.maxBitrate, priority: 'medium', networkPriority: 'medium' };
    if (kind === 'video') enc.scaleResolutionDownBy = 1;
    return enc;
  }

  /** @param {AllCaps} caps new caps (the room size or the screens changed) */
  setCaps(caps) {
    this.caps = caps;
    return this.applyCaps();
  }

  /**
   * Lower (or raise again) the camera sent on this connection: `pressure` steps of
   * {@link pressed}, 0 = the room's caps. Returns whether it changed.
   * @param {number} pressure
   */
  setPressure(pressure) {
    const p = Math.max(0, Math.min(MAX_PRESSURE, Math.round(pressure)));
    if (p === this.pressure) return false;
    this.trace('pressure', String(p));
    this.pressure = p;
    this.applyCaps();
    return true;
  }

  /**
   * Adapt the camera to the quality stats.js measured. One step down (pressed()) while the
   * encoder reports a CPU limitation, or a bandwidth limitation with the browser's upload
   * estimate under the current cap (so the network, not our own cap, is what limits); one step
   * up after `CLEAR_POLLS` readings in a row without a CPU limitation and with the estimate
   * clear of the cap (a step up under a tight link is a probe: it comes down again at the next
   * reading that says so).
   * @param {{limitation?: string, availableBps?: number|null}} q
   */
  adapt(q) {
    const cap = pressed(this.caps.video, this.pressure).maxBitrate;
    const est = typeof q.availableBps === 'number' ? q.availableBps : null;
    const limited = q.limitation === 'cpu' || (q.limitation === 'bandwidth' && (est === null || est < cap));
    const roomy = q.limitation !== 'cpu' && (q.limitation !== 'bandwidth' || (est !== null && est >= 1.2 * cap));
    this.clearPolls = roomy ? this.clearPolls + 1 : 0;
    if (limited) this.setPressure(this.pressure + 1);
    else if (this.pressure && this.clearPolls >= CLEAR_POLLS) {
      this.clearPolls = 0;
      this.setPressure(this.pressure - 1);
    }
  }

  /** Apply the caps with RTCRtpSender.setParameters (needs negotiated encodings), serialised. */
  applyCaps() {
    this.capsChain = this.capsChain.then(() => this._applyCaps());
    return this.capsChain;
  }

  /** Every sender with the encoding it should use, and its degradation preference. */
  _wanted() {
    /** @type {[RTCRtpTransceiver, any, string|null][]} */
    const out = [];
    for (const kind of /** @type {Kind[]} */ (['audio', 'video'])) {
      const t = this.transceiver(kind);
      if (t) out.push([t, this.encoding(kind), null]);
      const s = this.screenTx[kind];
      if (s && s.sender.track) out.push([s, this.screenEncoding(kind), kind === 'video' ? 'maintain-resolution' : null]);
    }
    return out;
  }

  async _applyCaps() {
    if (this.isClosed()) return;
    for (const [t, want, degradation] of this._wanted()) {
      const params = /** @type {any} */ (t.sender.getParameters());
      if (!params.encodings || params.encodings.length === 0) continue;
      let changed = false;
      if (degradation && params.degradationPreference !== degradation) {
        params.degradationPreference = degradation;
        changed = true;
      }
      for (const e of params.encodings) {
        for (const key of Object.keys(want)) {
          if (e[key] !== want[key]) {
            e[key] = want[key];
            changed = true;
          }
        }
      }
      if (!changed) continue;
      try {
        await t.sender.setParameters(params);
      } catch (err) {
        if (!degradation) {
          console.debug('moim: setParameters deferred', err);
          continue;
        }
        // a browser that refuses the preference still gets the bitrate (contentHint `detail`
        // asks for the same trade-off)
        delete params.degradationPreference;
        await t.sender.setParameters(params).catch((e) => console.debug('moim: setParameters deferred', e));
      }
    }
  }
}
