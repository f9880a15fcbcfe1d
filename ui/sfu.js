// A large meeting's media: one RTCPeerConnection to the host's SFU instead of one per peer
// (docs/sfu.md). I publish my camera (three simulcast layers) and microphone once, on two
// sendonly transceivers, and say how tall I show each member (`sfu-view`); the
// host adds one sendonly m-line per track of every other member and says whose each is
// (`tracks` of its `sfu-offer` / `sfu-answer`). No DOM.
//
// HostLink is the connection; ViaHost is one remote member as seen through it, shaped like
// peer.js's Peer (state, events 'state' and 'track', senders, transceiver(), pc), so mesh.js
// keeps one object per member and the call view cannot tell a member reached through the host
// from one reached directly.
//
// Negotiation is perfect negotiation with me always polite: the host ignores my offer while its
// own is unanswered; I roll mine back, answer the host's, and offer again (negotiationneeded).
// Signals travel on the signaling session: `sfu-offer` / `sfu-answer` both ways.

import { Emitter } from './emitter.js';
import { withStartBitrate } from './sdp.js';
import { AUDIO_MAX_BPS } from './budget.js';

/** @typedef {import('./protocol.js').SfuTrack} SfuTrack */
/** @typedef {'connecting'|'connected'|'reconnecting'|'failed'|'closed'} LinkState */
/** @typedef {'audio'|'video'} Kind */

/**
 * How many of the last speakers' cameras I receive in a large meeting: the host sends those and
 * the ones I pin, no others, so a room of fifty decodes about ten videos (docs/sfu.md, "Last N").
 */
export const LAST_N = 9;

/** A connection that stays `failed` this long is built again (a new offer, a new host Rtc). */
export const REBUILD_MS = 3000;

/**
 * The camera as three simulcast layers (a quarter, half and full size: 180p, 360p, 720p for a
 * 720p camera); the host forwards each subscriber the one that fits its tile (docs/sfu.md).
 * The browser drops the top layers itself when the uplink cannot carry them.
 * @type {RTCRtpEncodingParameters[]}
 */
export const LAYERS = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];
/** The microphone's one encoding (audio first, as in a mesh: senders.js). */
const VOICE = { priority: 'high', networkPriority: 'high', maxBitrate: AUDIO_MAX_BPS };

/** What a member reached through the host sends on: nothing of mine is per member. */
const NO_SENDERS = {
  /** @param {Kind} _kind @param {MediaStreamTrack|null} _track */
  setTrack(_kind, _track) {},
  /** @param {MediaStream|null} _stream */
  setScreen(_stream) {},
  /** @param {any} _caps */
  setCaps(_caps) {},
  /** @param {any} _q */
  adapt(_q) {},
};

/** One remote member of a large meeting, Peer-shaped (see peer.js). */
export class ViaHost extends Emitter {
  /**
   * @param {HostLink} link
   * @param {string} remoteId
   */
  constructor(link, remoteId) {
    super();
    this.link = link;
    this.remoteId = remoteId;
    /** @type {LinkState} */
    this.state = link.state;
    this.everConnected = link.state === 'connected';
    this.closed = false;
    /** (files.js reads it for its channel ids: there are no channels to a member here) */
    this.polite = true;
    /** @type {string|null} (no per-member session: the host is the other end) */
    this.session = null;
    /** @type {string|null} */
    this.remoteSession = null;
    this.stream = new MediaStream();
    this.senders = NO_SENDERS;
  }

  /** The one connection to the host (what stats and the tests read). */
  get pc() {
    return /** @type {RTCPeerConnection} */ (this.link.pc);
  }

  /** My sending transceiver of `kind` (shared by every member). @param {Kind} kind */
  transceiver(kind) {
    return this.link.transceiver(kind);
  }

  /** Signals from this member never come: everything goes through the host. @param {any} _msg */
  handle(_msg) {}

  resume() {}

  /** No chat channel to a member: chat goes through the host. @param {any} _msg */
  sendData(_msg) {
    return false;
  }

  close() {
    this.closed = true;
    this.link.forget(this.remoteId);
  }

  /** @param {LinkState} state */
  _state(state) {
    if (state === this.state) return;
    this.state = state;
    if (state === 'connected') this.everConnected = true;
    this.emit('state', state);
  }

  /** The host's m-lines for this member now carry these tracks. @param {MediaStreamTrack[]} tracks */
  _tracks(tracks) {
    const had = this.stream.getTracks();
    for (const old of had) if (!tracks.includes(old)) this.stream.removeTrack(old);
    let added = false;
    for (const track of tracks) {
      if (had.includes(track)) continue;
      this.stream.addTrack(track);
      added = true;
    }
    if (added) this.emit('track', this.stream);
  }
}

export class HostLink extends Emitter {
  /**
   * @param {object} opts
   * @param {(msg: import('./protocol.js').SfuOut) => boolean} opts.send on the signaling session
   */
  constructor({ send }) {
    super();
    this.send = send;
    /** @type {RTCPeerConnection|null} */
    this.pc = null;
    /** @type {LinkState} */
    this.state = 'connecting';
    /** @type {Map<string, ViaHost>} */
    this.remotes = new Map();
    /** @type {Map<string, SfuTrack>} mid → whose media the host sends on it */
    this.mids = new Map();
    /** @type {{audio: RTCRtpTransceiver|null, video: RTCRtpTransceiver|null}} */
    this.tx = { audio: null, video: null };
    /** @type {{audio: MediaStreamTrack|null, video: MediaStreamTrack|null}} */
    this.tracks = { audio: null, video: null };
    /** @type {RTCIceServer[]} */
    this.iceServers = [];
    /** serialises the host's descriptions */
    this.chain = Promise.resolve();
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.rebuildTimer = null;
    this.fresh = true;
    /** @type {{sizes: Record<string, number>, last_n: number, pinned: string[]}} how I show
     *  each member's camera, and whose I want (`sfu-view`) */
    this.view = { sizes: {}, last_n: LAST_N, pinned: [] };
    /** the view the host has, as sent */
    this.viewSent = '';
    /** @type {Set<string>|null} whose cameras the host sends me (`sfu-forwarded`; null: not said yet) */
    this.cameras = null;
  }

  /**
   * How tall (device pixels) each member's camera is shown now, and whom I pinned: said to the
   * host (`sfu-view`) when it changed, once the connection is up (and again after a new
   * connection).
   * @param {Record<string, number>} sizes by peer id
   * @param {string[]} pinned peer ids
   */
  setView(sizes, pinned) {
    this.view = { ...this.view, sizes, pinned };
    this._sendView();
  }

  /** Receive the cameras of this many of the last speakers (default LAST_N). @param {number} n */
  setLastN(n) {
    this.view = { ...this.view, last_n: n };
    this._sendView();
  }

  _sendView() {
    if (!this.pc || this.state !== 'connected') return;
    const said = JSON.stringify(this.view);
    if (said === this.viewSent) return;
    if (this.send({ type: 'sfu-view', ...this.view })) this.viewSent = said;
  }

  /**
   * The host's `sfu-forwarded`: whose cameras it sends me now (event 'cameras').
   * @param {string[]} peers
   */
  forwarded(peers) {
    this.cameras = new Set(peers);
    this.emit('cameras', this.cameras);
  }

  /**
   * Open the connection (again: a previous one is closed) and publish `tracks`.
   * @param {RTCIceServer[]} iceServers
   * @param {{audio: MediaStreamTrack|null, video: MediaStreamTrack|null}} tracks
   */
  open(iceServers, tracks) {
    this._closePc();
    this.iceServers = iceServers;
    this.tracks = { ...tracks };
    this.mids.clear();
    /** whether the next offer is this connection's first (`fresh`: the host drops its old one) */
    this.fresh = true;
    const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.pc = pc;
    for (const kind of /** @type {Kind[]} */ (['audio', 'video'])) {
      const encodings = kind === 'video' ? LAYERS.map((l) => ({ ...l, priority: 'low', networkPriority: 'low' })) : [VOICE];
      this.tx[kind] = pc.addTransceiver(this.tracks[kind] || kind, { direction: 'sendonly', sendEncodings: /** @type {any} */ (encodings) });
    }
    pc.onnegotiationneeded = () => this._offer(pc);
    pc.ontrack = () => this._assign();
    pc.onconnectionstatechange = () => this._connectionState(pc);
    this._setState('connecting');
  }

  /** Whether the connection is open. */
  get isOpen() {
    return !!this.pc;
  }

  /** The member `id` as a Peer-shaped object (one per id). @param {string} id */
  remote(id) {
    let r = this.remotes.get(id);
    if (!r) {
      r = new ViaHost(this, id);
      this.remotes.set(id, r);
      queueMicrotask(() => this._assign());
    }
    return r;
  }

  /** @param {string} id */
  forget(id) {
    this.remotes.delete(id);
  }

  /** @param {Kind} kind */
  transceiver(kind) {
    return this.tx[kind] || undefined;
  }

  /**
   * My camera or microphone changed: replaceTrack, no renegotiation.
   * @param {Kind} kind
   * @param {MediaStreamTrack|null} track
   */
  async setTrack(kind, track) {
    this.tracks[kind] = track;
    const t = this.tx[kind];
    if (!t || t.sender.track === track) return;
    try {
      await t.sender.replaceTrack(track);
    } catch (err) {
      console.warn('moim: replaceTrack (host) failed', err);
    }
  }

  /**
   * The host's `sfu-offer` or `sfu-answer`.
   * @param {import('./protocol.js').SfuIn} msg
   */
  description(msg) {
    const pc = this.pc;
    if (!pc) return;
    this.chain = this.chain.then(() => this._apply(pc, msg)).catch((err) => {
      console.warn('moim: a description from the host failed', err);
      if (this.pc === pc) this._rebuildSoon(0);
    });
  }

  /** Close the connection and forget every member. */
  close() {
    this._closePc();
    this.remotes.clear();
    this._setState('closed');
  }

  /**
   * @param {RTCPeerConnection} pc
   * @param {import('./protocol.js').SfuIn} msg
   */
  async _apply(pc, msg) {
    if (this.pc !== pc) return;
    if (msg.type === 'sfu-answer' && pc.signalingState !== 'have-local-offer') return; // rolled back
    this.mids = new Map(msg.tracks.map((t) => [t.mid, t]));
    // an offer while mine is out: the host ignored mine; setRemoteDescription rolls it back
    // (the video start bitrate, as on a direct connection: sdp.js)
    await pc.setRemoteDescription({ type: msg.type === 'sfu-offer' ? 'offer' : 'answer', sdp: withStartBitrate(msg.sdp) });
    if (msg.type === 'sfu-offer') {
      await pc.setLocalDescription();
      if (pc.localDescription) this.send({ type: 'sfu-answer', sdp: pc.localDescription.sdp });
    }
    this._assign();
  }

  /** @param {RTCPeerConnection} pc */
  async _offer(pc) {
    try {
      await pc.setLocalDescription();
      if (this.pc === pc && pc.localDescription?.type === 'offer') {
        this.send({ type: 'sfu-offer', sdp: pc.localDescription.sdp, fresh: this.fresh });
        this.fresh = false;
      }
    } catch (err) {
      console.warn('moim: an offer to the host failed', err);
    }
  }

  /** Hand each member the tracks the host's m-lines carry for it. */
  _assign() {
    const pc = this.pc;
    if (!pc) return;
    /** @type {Map<string, MediaStreamTrack[]>} */
    const byPeer = new Map();
    for (const t of pc.getTransceivers()) {
      const entry = t.mid ? this.mids.get(t.mid) : undefined;
      if (!entry || t.currentDirection === 'stopped' || t.direction === 'stopped') continue;
      const list = byPeer.get(entry.peer) || [];
      list.push(t.receiver.track);
      byPeer.set(entry.peer, list);
    }
    for (const [id, remote] of this.remotes) remote._tracks(byPeer.get(id) || []);
  }

  /** @param {RTCPeerConnection} pc */
  _connectionState(pc) {
    if (this.pc !== pc) return;
    const s = pc.connectionState;
    if (s === 'connected') {
      this._setState('connected');
      this._sendView();
    }
    else if (s === 'disconnected') this._setState('reconnecting');
    else if (s === 'failed') {
      this._setState('failed');
      this._rebuildSoon(REBUILD_MS);
    }
  }

  /** Build the connection again (the host dropped it, or a description failed). @param {number} ms */
  _rebuildSoon(ms) {
    if (this.rebuildTimer) return;
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = null;
      if (!this.pc) return;
      this.open(this.iceServers, this.tracks);
      this._assign();
    }, ms);
  }

  /** @param {LinkState} state */
  _setState(state) {
    this.state = state;
    for (const r of this.remotes.values()) r._state(state);
  }

  _closePc() {
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    this.rebuildTimer = null;
    if (this.pc) this.pc.close();
    this.pc = null;
    this.tx = { audio: null, video: null };
    this.viewSent = ''; // a new connection is a new client of the host's
    if (this.cameras) {
      this.cameras = null; // the new one says again
      this.emit('cameras', null);
    }
  }
}
