// One RTCPeerConnection to one remote peer, carrying both directions, with the "perfect
// negotiation" pattern (W3C WebRTC 1.0 §10.7, webrtc/samples perfect-negotiation):
//
// * polite = my peer id > their peer id (string comparison), so exactly one side of each pair
//   yields (rolls back) when both make an offer at once;
// * only the impolite side adds the audio and video transceivers; the polite side adopts the
//   ones the offer created, so glare can never leave two m-lines of a kind;
// * the chat channel (channel.js) is the same negotiated channel on both sides; the polite side
//   creates it once it applied the first offer;
// * trickle ICE; ICE restart via restartIce() on `failed`, and on `disconnected` lasting > 3 s
//   (6 s on the polite side, so both rarely restart at once); a blackout of a few seconds
//   heals on the same connection, no rebuild, no rejoin;
// * set-up never waits for a timer: the host relays in order and makes a joiner a member before
//   anyone hears of it, so the first offer (impolite side) and hello (polite side) always
//   arrive. Only a pair that makes no progress at all for SETUP_STALL_MS (a message lost by
//   something outside this protocol) is rebuilt: a fresh connection and session, which the
//   other side follows (see mesh.js); one whose signals all went through but whose ICE never
//   connects is not: the network keeps the two apart, and the host is told (`unreachable`);
// * what is sent (camera, microphone, a shared screen) and with which encodings lives in
//   senders.js: audio first (priority `high`, video `low`), the camera's caps lowered under
//   pressure (`setPressure()`), the screen on transceivers of its own;
// * every step of the set-up is traced (`trace`, see mesh.js setupTrace()), so a slow call can
//   be explained message by message;
// * every signal carries the sender's session id `s` (one per RTCPeerConnection) and the
//   session it is addressed to `r`, so a peer that rebuilt its connection is noticed, and
//   stale messages for an old connection are dropped (see mesh.js).
//
// signal.data (opaque to the host) is this module's JSON:
//   {"s": "...", "r": "..."|null, "description": RTCSessionDescriptionInit}
//   {"s": "...", "r": "...", "candidate": RTCIceCandidateInit}
//   {"s": "...", "r": null, "hello": true}  the polite side's first word (it makes no offer)
//   {"unsupported": true}            sent by a client without WebRTC
//
// Events:
//   'state'   (state)  'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed'
//   'track'   (MediaStream)  the remote camera/microphone stream changed (a track was added)
//   'screen'  (MediaStream)  a track arrived with a stream id: the remote's screen (senders.js)
//   'channel' (RTCDataChannel) the chat channel opened
//   'message' (any)    a JSON message on the chat channel
//   'channel-close'    the chat channel closed (the other side closed its connection)
//   'negotiated'       signaling state became stable
//   'unreachable'      it never connected though its signals went through (_cannotReach)

import { Emitter } from './emitter.js';
import { Senders, MAX_PRESSURE, pressed } from './senders.js';
import { openChatChannel, sendJson } from './channel.js';
import { withStartBitrate } from './sdp.js';

export { MAX_PRESSURE, pressed };

/** How long `disconnected` may last before an ICE restart. */
export const DISCONNECTED_GRACE_MS = 3000;
/**
 * Before the first connection: the impolite side (the offerer) rebuilds a pair that made no
 * progress (no message from the other side, no ICE or signaling change) for this long; the
 * polite side waits twice as long, so normally only one side starts over.
 */
export const SETUP_STALL_MS = 8000;
/** While failed, restart again this often. */
export const FAILED_RETRY_MS = 5000;

/** @typedef {'audio'|'video'} Kind */
/** @typedef {import('./budget.js').Caps} Caps */
/** @typedef {import('./budget.js').AllCaps} AllCaps */
/** @typedef {(ev: string, detail?: string) => void} Tracer */

/** Wall-clock milliseconds with sub-millisecond precision (comparable across pages). */
export function now() {
  return performance.timeOrigin + performance.now();
}


/** A random id that does not need a secure context. */
export function randomId() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Perfect negotiation's politeness rule.
 * @param {string} localId
 * @param {string} remoteId
 */
export function isPolite(localId, remoteId) {
  return localId > remoteId;
}

export class Peer extends Emitter {
  /**
   * @param {object} opts
   * @param {string} opts.localId
   * @param {string} opts.remoteId
   * @param {RTCIceServer[]} opts.iceServers
   * @param {(data: string) => void} opts.sendSignal
   * @param {{audio: MediaStreamTrack|null, video: MediaStreamTrack|null}} opts.tracks local tracks to send
   * @param {AllCaps} opts.caps
   * @param {Tracer} [opts.trace] receives every set-up step
   */
  constructor({ localId, remoteId, iceServers, sendSignal, tracks, caps, trace }) {
    super();
    /** @type {Tracer} */
    this.trace = trace || (() => {});
    /** @type {Set<string>} steps traced once only */
    this.traced = new Set();
    /** whether the next offer restarts ICE (for the trace) */
    this.iceRestarting = false;
    /** @type {RTCDtlsTransport|null} */
    this.dtls = null;
    this.localId = localId;
    this.remoteId = remoteId;
    this.polite = isPolite(localId, remoteId);
    this.session = randomId();
    /** @type {string|null} the remote RTCPeerConnection's session id, once heard */
    this.remoteSession = null;
    this.sendSignal = sendSignal;
    /** @type {'connecting'|'connected'|'reconnecting'|'failed'|'closed'} */
    this.state = 'connecting';
    this.everConnected = false;
    this.closed = false;
    this.makingOffer = false;
    this.ignoreOffer = false;
    this.isSettingRemoteAnswerPending = false;
    /** serialises incoming signals */
    this.chain = Promise.resolve();
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.restartTimer = null;
    this.stream = new MediaStream();
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.stallTimer = null;

    // max-bundle: one transport (one set of candidates, one ICE and DTLS handshake) for audio,
    // video and chat from the first offer on.
    this.pc = new RTCPeerConnection({ iceServers: iceServers || [], bundlePolicy: 'max-bundle' });
    const pc = this.pc;
    this.trace('created', `${this.polite ? 'polite' : 'impolite'} ${this.session}`);

    this.senders = new Senders(pc, { tracks, caps, polite: this.polite, trace: this.trace, closed: () => this.closed });
    if (!this.polite) this.senders.addInitial();
    /** @type {RTCDataChannel|null} */
    this.channel = null;
    // The impolite side opens the chat channel at once (its first offer carries it); the polite
    // side only once it has applied that offer: a channel created before would be closed by the
    // rollback of a colliding offer of its own.
    if (!this.polite) this._openChannel();
    // The polite side makes no offer of its own at first; it says hello so that a peer still
    // holding an older connection to us notices the new session and starts afresh (mesh.js).
    else
      queueMicrotask(() => {
        this.trace('hello-out');
        this._send({ hello: true });
      });

    pc.onnegotiationneeded = () => this._negotiate();
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate) return this._once('gathering-done');
      this._once('candidate-out', candidate.type || '');
      this._send({ candidate: candidate.toJSON() });
    };
    pc.ontrack = ({ track, streams }) => {
      if (streams.length) {
        // only a screen is sent with a stream id (senders.js)
        this.emit('screen', streams[0]);
        return;
      }
      if (track.muted) track.addEventListener('unmute', () => this._once(`${track.kind}-unmuted`), { once: true });
      else this._once(`${track.kind}-unmuted`);
      if (!this.stream.getTracks().includes(track)) {
        for (const old of this.stream.getTracks()) {
          if (old.kind === track.kind) this.stream.removeTrack(old);
        }
        this.stream.addTrack(track);
      }
      this.emit('track', this.stream);
    };
    pc.onconnectionstatechange = () => this._onConnectionState();
    pc.oniceconnectionstatechange = () => {
      this.trace(`ice-${pc.iceConnectionState}`);
      this._progress();
      if (pc.iceConnectionState === 'failed') this._onConnectionState();
    };
    pc.onsignalingstatechange = () => {
      this._progress();
      this._watchDtls();
      if (pc.signalingState === 'stable') {
        this.senders.applyCaps();
        this.emit('negotiated');
      }
    };
    this._progress();
  }

  /** Trace `ev` the first time only. @param {string} ev @param {string} [detail] */
  _once(ev, detail) {
    if (this.traced.has(ev)) return;
    this.traced.add(ev);
    this.trace(ev, detail);
  }

  /** Trace the DTLS transport's states, once it exists. */
  _watchDtls() {
    if (this.dtls) return;
    const t = this.pc.getSenders().find((s) => s.transport)?.transport || this.pc.sctp?.transport;
    if (!t) return;
    this.dtls = t;
    t.addEventListener('statechange', () => this.trace(`dtls-${t.state}`));
  }

  /** Something moved in the set-up: the stall watchdog starts again. */
  _progress() {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    if (this.closed || this.everConnected || this.unsupported) return;
    this.stallTimer = setTimeout(() => this._stalled(), this.polite ? 2 * SETUP_STALL_MS : SETUP_STALL_MS);
  }

  _stalled() {
    this.stallTimer = null;
    if (this.closed || this.everConnected || this.unsupported) return;
    if (this._cannotReach()) return;
    this.trace('stalled', `${this.pc.signalingState}/${this.pc.iceConnectionState}`);
    this.emit('stalled');
  }

  /**
   * Whether this pair never connected though its signals went through: the descriptions are
   * applied, the other side's candidates arrived, and ICE is still checking after a stall's
   * wait, or failed. The network lets both sides reach the host but not each other (an access
   * point isolating its clients, a firewall): rebuilding would not help. Said once
   * ('unreachable'); ICE goes on trying meanwhile.
   */
  _cannotReach() {
    const pc = this.pc;
    // both descriptions applied (a lost offer or answer leaves one missing: that pair is rebuilt)
    const applied = !!pc.currentLocalDescription && !!pc.currentRemoteDescription;
    const checked = pc.signalingState === 'stable' && applied && this.traced.has('candidate-in');
    if (!checked || this.everConnected || !['new', 'checking', 'failed'].includes(pc.iceConnectionState)) return false;
    if (!this.traced.has('unreachable')) {
      this._once('unreachable', pc.iceConnectionState);
      this.emit('unreachable');
    }
    return true;
  }

  /** The camera or microphone transceiver of `kind` (senders.js). @param {Kind} kind */
  transceiver(kind) {
    return this.senders.transceiver(kind);
  }

  _openChannel() {
    if (this.channel || this.closed) return;
    this.channel = openChatChannel(this.pc, {
      open: (ch) => this.emit('channel', ch),
      close: () => !this.closed && this.emit('channel-close'),
      message: (msg) => this.emit('message', msg),
    });
  }

  /** The polite side: after an offer created transceivers, send our tracks on them. */
  async _adopt() {
    this._openChannel();
    await this.senders.adopt();
  }

  /** Camera pressure steps (0 = the room's caps; senders.js). */
  get pressure() {
    return this.senders.pressure;
  }

  /** @param {object} body */
  _send(body) {
    if (this.closed) return;
    this.sendSignal(JSON.stringify({ s: this.session, r: this.remoteSession, ...body }));
  }

  async _negotiate() {
    if (this.closed) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      const d = this.pc.localDescription;
      if (!d) return;
      this.trace(`${d.type}-out`, this.iceRestarting ? 'ice-restart' : undefined);
      this.iceRestarting = false;
      this._send({ description: d.toJSON() });
    } catch (err) {
      console.warn('moim: making an offer failed', err);
    } finally {
      this.makingOffer = false;
    }
  }

  /**
   * An incoming signal (already parsed and checked by the mesh).
   * @param {any} msg
   * @returns {Promise<void>}
   */
  handle(msg) {
    this.chain = this.chain.then(() => this._handle(msg)).catch((err) => {
      // closed while the signal was being applied (replaced, or the person left): nothing broke
      if (this.closed) return;
      console.warn('moim: signal from', this.remoteId, 'failed', err);
      this.trace('broken', `${this.pc.signalingState}: ${err && err.message ? err.message : err}`.slice(0, 200));
      this.emit('broken', err);
    });
    return this.chain;
  }

  /** @param {any} msg */
  async _handle(msg) {
    if (this.closed) return;
    if (msg.s && !this.remoteSession) this.remoteSession = msg.s;
    this._progress();
    if (msg.hello) {
      this.trace('hello-in');
      return;
    }
    if (msg.unsupported) {
      this._setState('failed');
      this.unsupported = true;
      return;
    }
    const pc = this.pc;
    if (msg.description) {
      const description = msg.description;
      this.trace(`${description.type}-in`);
      // an answer when we have no offer out is stale (e.g. a re-sent offer was answered twice)
      if (description.type === 'answer' && pc.signalingState === 'stable') return;
      const readyForOffer =
        !this.makingOffer && (pc.signalingState === 'stable' || this.isSettingRemoteAnswerPending);
      const offerCollision = description.type === 'offer' && !readyForOffer;
      this.ignoreOffer = !this.polite && offerCollision;
      if (this.ignoreOffer) {
        this.trace('offer-ignored', 'glare, impolite side');
        return;
      }
      if (offerCollision) this.trace('rollback', 'glare, polite side');
      this.isSettingRemoteAnswerPending = description.type === 'answer';
      try {
        // rolls back our offer if needed; the video start bitrate: see sdp.js
        await pc.setRemoteDescription({ type: description.type, sdp: withStartBitrate(description.sdp || '') });
      } finally {
        this.isSettingRemoteAnswerPending = false;
      }
      if (description.type === 'offer') {
        await this._adopt();
        // the polite side's encoders, too, start with the caps and priorities (see _encoding)
        if (!pc.currentLocalDescription) await this.senders.applyCaps();
        await pc.setLocalDescription();
        this.trace('answer-out');
        const answer = pc.localDescription;
        if (answer) this._send({ description: answer.toJSON() });
      }
    } else if (msg.candidate) {
      this._once('candidate-in', msg.candidate.candidate?.split(' ')[7] || '');
      try {
        await pc.addIceCandidate(msg.candidate);
      } catch (err) {
        if (!this.ignoreOffer) console.debug('moim: candidate refused', err);
      }
    }
  }

  /** Restart ICE now (both sides may; perfect negotiation resolves the glare). */
  restartIce() {
    if (this.closed || this.unsupported) return;
    this.trace('ice-restart');
    this.iceRestarting = true;
    try {
      this.pc.restartIce();
    } catch (err) {
      console.warn('moim: restartIce failed', err);
    }
  }

  /**
   * After the signaling socket came back: if an offer of ours may have been lost, send it
   * again; if the connection is not up, restart ICE.
   */
  resume() {
    if (this.closed || this.unsupported) return;
    const pc = this.pc;
    if (pc.signalingState === 'have-local-offer' && pc.localDescription) {
      this.trace('offer-resent', 'signaling socket back');
      this._send({ description: pc.localDescription.toJSON() });
    } else if (pc.connectionState !== 'connected') {
      this.restartIce();
    }
  }

  _onConnectionState() {
    const pc = this.pc;
    const cs = pc.connectionState;
    this.trace(`pc-${cs}`);
    this._progress();
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
    if (cs === 'connected') {
      this.everConnected = true;
      this._setState('connected');
    } else if (cs === 'disconnected') {
      this._setState('reconnecting');
      // the impolite side restarts first; the polite side only if that did not come, so the
      // two restarts rarely collide (glare would cost a round trip)
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (pc.connectionState === 'disconnected' || pc.connectionState === 'failed') {
          this.restartIce();
          this._retryWhileDown();
        }
      }, this.polite ? 2 * DISCONNECTED_GRACE_MS : DISCONNECTED_GRACE_MS);
    } else if (cs === 'failed' || pc.iceConnectionState === 'failed') {
      this._setState('failed');
      this._cannotReach();
      this.restartIce();
      this._retryWhileDown();
    } else if (cs === 'closed') {
      this._setState('closed');
    } else {
      this._setState(this.everConnected ? 'reconnecting' : 'connecting');
    }
  }

  /** Keep restarting ICE every few seconds while the connection is down. */
  _retryWhileDown() {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      const cs = this.pc.connectionState;
      if (this.closed || cs === 'connected') return;
      if (cs === 'failed' || cs === 'disconnected') this.restartIce();
      this._retryWhileDown();
    }, FAILED_RETRY_MS);
  }

  /** @param {Peer['state']} state */
  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  /** Send a JSON message on the chat channel; false if it is not open. @param {any} msg */
  sendData(msg) {
    return sendJson(this.channel, msg);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.stallTimer) clearTimeout(this.stallTimer);
    try {
      this.pc.close();
    } catch {
      /* already closed */
    }
    this.state = 'closed';
    this.emit('state', 'closed');
  }
}
