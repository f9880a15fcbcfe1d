// The set of peers of the room I am in: one Peer (peer.js) per remote peer id, kept in step
// with the host's roster (existing-peers / peer-joined / peer-left), the upload bandwidth
// budget (budget.js), my shared screen, and the routing of signals and chat-channel messages.
// In a large meeting (RoomInfo.media `sfu`) each remote peer is instead a Peer-shaped ViaHost
// of the one connection to the host (sfu.js); everything else here stays the same.
// No DOM here. Another module may open more data channels on a connection:
// `mesh.peers.get(id).pc` (see channel.js).
//
// Events:
//   'peer-added'   (info)            a new remote peer (PeerInfo)
//   'peer-info'    (info)            its PeerInfo changed (name, audio, video)
//   'peer-removed' (id)
//   'peer-state'   (id, state)       connecting|connected|reconnecting|failed
//   'stream'       (id, MediaStream) its camera and microphone
//   'screen'       (id, MediaStream) a screen it shares (PeerInfo.screen names the current one)
//   'channel-open' (id)              the chat channel to it opened
//   'data'         (id, msg)         a chat-channel message from it
//   'size'         (n)               number of people in the room, me included
//
// The set-up trace (setupTrace()): when this page asked to join, when the host's roster
// arrived, and for each remote peer when we heard of it and every step of each of its
// connections (peer.js), all in wall-clock ms, so a slow set-up can be read message by message.

import { Emitter } from './emitter.js';
import { Peer, now } from './peer.js';
import { capsFor } from './budget.js';
import { HostLink } from './sfu.js';

// the budget's numbers, where they were first defined
export { capsFor, targetHeight, VIDEO_BUDGET_BPS, VIDEO_PER_PEER_MAX_BPS, AUDIO_MAX_BPS } from './budget.js';

/** A peer the host dropped while our connection to it still works is kept this long at most. */
export const AWAY_GRACE_MS = 5 * 60 * 1000;
/** Signals queued while the host is unreachable (oldest dropped first). */
export const MAX_QUEUED_SIGNALS = 400;
export { CLEAR_POLLS } from './senders.js';

/**
 * When a room moves to the host's SFU, a direct connection is handed over to the host's once
 * the host forwards that peer's media (or the direct one fails), or after this long at the
 * most (a host that never forwards it: the direct connection goes on working until then).
 */
export const HANDOVER_MAX_MS = 30000;
/** A direct connection handed over stays open this long, for the other side's hand-over. */
export const HANDOVER_LINGER_MS = 3000;

/** Trace steps kept per remote peer (a guard against a pair that keeps rebuilding). */
export const MAX_TRACE_STEPS = 400;

/** @typedef {import('./protocol.js').PeerInfo} PeerInfo */
/** @typedef {{t: number, ev: string, detail?: string}} TraceStep */
/**
 * @typedef {object} SetupTrace
 * @property {Record<string, number>} marks page-wide steps: join, existing-peers
 * @property {Record<string, TraceStep[]>} peers per remote peer id: peer-joined or listed,
 *   then each connection's steps (`created` starts a new connection)
 */
/** @typedef {import('./peer.js').Caps} Caps */
/** @typedef {Peer|import('./sfu.js').ViaHost} Remote a peer reached directly, or through the host */

export class Mesh extends Emitter {
  /**
   * @param {object} opts
   * @param {(to: string, data: string) => boolean} opts.sendSignal false when it could not be sent
   * @param {(msg: import('./protocol.js').SfuOut) => boolean} [opts.sendHost] to the host (its
   *   SFU, or that a member cannot be reached directly)
   * @param {boolean} [opts.webrtc] false in a browser without RTCPeerConnection (presence only)
   */
  constructor({ sendSignal, sendHost = () => false, webrtc = true }) {
    super();
    /** the connection to the host's SFU, used in a large meeting only */
    this.link = new HostLink({ send: sendHost });
    this.link.on('cameras', (/** @type {Set<string>|null} */ cameras) => this.emit('cameras', cameras));
    this.sendHost = sendHost;
    /** @type {HostLink|null} set while in a large meeting */
    this.host = null;
    this.sendSignalRaw = sendSignal;
    this.webrtc = webrtc;
    /** @type {string|null} */
    this.localId = null;
    /** @type {RTCIceServer[]} */
    this.iceServers = [];
    /** @type {Map<string, PeerInfo>} */
    this.infos = new Map();
    /** @type {Map<string, Remote>} */
    this.peers = new Map();
    /** ids the host says left while our connection to them still worked */
    /** @type {Map<string, ReturnType<typeof setTimeout>>} */
    this.away = new Map();
    /** @type {{audio: MediaStreamTrack|null, video: MediaStreamTrack|null}} */
    this.tracks = { audio: null, video: null };
    /** @type {MediaStream|null} the screen I share */
    this.screen = null;
    /** @type {{to: string, data: string}[]} */
    this.queue = [];
    /** whether signals can go out now (in the room, socket up) */
    this.online = false;
    /** @type {Record<string, number>} */
    this.marks = {};
    /** @type {Map<string, TraceStep[]>} */
    this.traces = new Map();
  }

  /** Note a page-wide set-up step (the first time only), e.g. `join`. @param {string} ev */
  mark(ev) {
    if (!(ev in this.marks)) this.marks[ev] = now();
  }

  /**
   * A step of the set-up with remote peer `id`.
   * @param {string} id
   * @param {string} ev
   * @param {string} [detail]
   */
  traceStep(id, ev, detail) {
    let steps = this.traces.get(id);
    if (!steps) this.traces.set(id, (steps = []));
    if (steps.length >= MAX_TRACE_STEPS) return;
    /** @type {TraceStep} */
    const step = { t: now(), ev };
    if (detail) step.detail = detail;
    steps.push(step);
  }

  /**
   * Everything traced since this page entered the room (see the header).
   * @returns {SetupTrace}
   */
  setupTrace() {
    return {
      marks: { ...this.marks },
      peers: Object.fromEntries([...this.traces].map(([id, steps]) => [id, steps.map((s) => ({ ...s }))])),
    };
  }

  /**
   * Adapt what we send to each connection to the quality stats.js measured (senders.js
   * adapt(): the camera goes a step down under a CPU or network limitation, up when it clears).
   * @param {Map<string, {limitation?: string, availableBps?: number|null}>} all
   */
  adapt(all) {
    for (const [id, q] of all) {
      const peer = this.peers.get(id);
      if (peer && peer.state === 'connected') peer.senders.adapt(q);
    }
  }

  /** Number of people in the room, me included. */
  get size() {
    return this.infos.size + 1;
  }

  /**
   * Entered a room (first `existing-peers`), or re-entered it after a reconnection (then the
   * connections to peers still listed are kept, the others closed).
   * @param {string} localId
   * @param {RTCIceServer[]} iceServers
   * @param {PeerInfo[]} peers
   * @param {import('./protocol.js').RoomMedia} [media] `sfu`: a large meeting, through the host
   */
  enter(localId, iceServers, peers, media = 'mesh') {
    if (this.localId && this.localId !== localId) this.closeAll();
    if (!this.localId) this.traces.clear();
    if (media === 'sfu' && this.webrtc && !this.host) {
      this.host = this.link;
      this.host.open(iceServers || [], this.tracks);
    }
    this.mark('existing-peers');
    // connections made before this roster may have lost signals while the socket was down
    const before = [...this.peers.values()];
    this.localId = localId;
    this.iceServers = iceServers || [];
    const listed = new Set(peers.map((p) => p.id));
    for (const id of [...this.infos.keys()]) {
      // not listed: gone, unless our connection to it still works (after a host restart the
      // others come back one by one; a peer that is really gone is dropped when its
      // connection dies or it says bye, see left())
      if (!listed.has(id)) this.left(id, 'closed');
    }
    for (const info of peers) this.join(info, 'listed');
    this.online = true;
    this._flushQueue();
    for (const peer of before) if (this.peers.get(peer.remoteId) === peer) peer.resume();
    this.emit('size', this.size);
  }

  /**
   * The host moved the room to its SFU (`room-media`): open the connection to the host now,
   * and keep each direct connection until the host forwards that peer's media, so a tile
   * freezes for a moment at most and the sound does not stop. Peers who join from now on are
   * reached through the host only.
   */
  toHost() {
    if (this.host || !this.webrtc || !this.localId) return;
    this.mark('to-host');
    this.host = this.link;
    this.host.open(this.iceServers, this.tracks);
    for (const id of this.infos.keys()) this._handOver(id, this.host);
  }

  /**
   * Move `id` from its direct connection to `host` once the host's tracks of it carry media
   * (every kind it says it sends has unmuted), once the direct connection fails, or after
   * HANDOVER_MAX_MS; at once if the direct connection never came up.
   * @param {string} id
   * @param {HostLink} host
   */
  _handOver(id, host) {
    const direct = this.peers.get(id);
    const via = host.remote(id);
    if (!direct) {
      this._wire(id, via);
      return;
    }
    this.traceStep(id, 'hand-over');
    const arrived = () => {
      const info = this.infos.get(id);
      const tracks = via.stream.getTracks();
      const has = (/** @type {string} */ kind) => tracks.some((t) => t.kind === kind && !t.muted);
      // (someone with camera and microphone off has nothing to lose on the way)
      return (!info?.audio || has('audio')) && (!info?.video || has('video'));
    };
    const check = () => {
      if (this.peers.get(id) !== direct || this.host !== host) return finish(false);
      if (arrived()) finish(true, 'media');
      else if (!direct.everConnected) finish(true, 'never-connected'); // nothing to keep
      else if (direct.state === 'failed' || direct.closed) finish(true, direct.state);
    };
    /** @type {(() => void)[]} */
    const offs = [];
    const watch = (/** @type {MediaStream} */ stream) => {
      for (const t of stream.getTracks()) t.addEventListener('unmute', check);
      check();
    };
    const timer = setTimeout(() => finish(true, 'timeout'), HANDOVER_MAX_MS);
    let done = false;
    /** @param {boolean} swap @param {string} [why] */
    const finish = (swap, why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const off of offs) off();
      for (const t of via.stream.getTracks()) t.removeEventListener('unmute', check);
      if (!swap || this.peers.get(id) !== direct) return;
      this.traceStep(id, 'handed-over', why);
      this.peers.delete(id);
      this._wire(id, via);
      setTimeout(() => direct.close(), HANDOVER_LINGER_MS);
    };
    offs.push(via.on('track', watch), direct.on('state', check));
    watch(via.stream);
  }

  /**
   * How tall (device pixels) each remote camera is shown now, and which are pinned: in a large
   * meeting the host forwards the pinned cameras and the last speakers' (event 'cameras': whose,
   * null when every camera comes), each at the layer that fits (sfu.js); a mesh sends one size
   * to all.
   * @param {Record<string, number>} sizes by peer id
   * @param {string[]} pinned peer ids
   */
  setTileSizes(sizes, pinned) {
    this.link.setView(sizes, pinned);
  }

  /** The socket dropped: signals are queued until enter() is called again. */
  offline() {
    this.online = false;
  }

  /**
   * `peer-joined` (or a peer listed in existing-peers). An id we already know keeps its
   * connection: no second RTCPeerConnection is ever made for the same id.
   * @param {PeerInfo} info
   * @param {string} [how] `peer-joined` or `listed` (in existing-peers), for the trace
   */
  join(info, how = 'peer-joined') {
    if (!info || info.id === this.localId) return;
    if (!this.infos.has(info.id)) this.traceStep(info.id, how);
    const t = this.away.get(info.id);
    if (t) {
      clearTimeout(t);
      this.away.delete(info.id);
    }
    const known = this.infos.get(info.id);
    this.infos.set(info.id, { ...info });
    if (known) {
      this.emit('peer-info', this.infos.get(info.id));
      if (!known.screen !== !info.screen) this._recap();
    } else {
      this.emit('peer-added', this.infos.get(info.id));
      this._ensurePeer(info.id);
      this._recap();
    }
  }

  /** @param {PeerInfo} info */
  updated(info) {
    const before = info && this.infos.get(info.id);
    if (!before) return;
    this.infos.set(info.id, { ...info });
    this.emit('peer-info', this.infos.get(info.id));
    if (!before.screen !== !info.screen) this._recap(); // the cameras shrink while a screen is up
  }

  /**
   * `peer-left`. A peer that left on purpose goes at once; one whose socket dropped but whose
   * connection to us works or is reconnecting is kept until that connection fails or it
   * comes back.
   * @param {string} id
   * @param {string} reason
   */
  left(id, reason) {
    if (this.infos.has(id)) this.traceStep(id, 'peer-left', reason);
    const peer = this.peers.get(id);
    // `reconnecting` too: a blackout of its link long enough for the host to time its socket
    // out (10 s of silence) also interrupts our connection to it, which then heals by itself
    // (through the host, its media stops with its session: nothing to wait for)
    const working = !this.host && peer && peer.everConnected && (peer.state === 'connected' || peer.state === 'reconnecting');
    if (reason !== 'left' && working) {
      if (!this.away.has(id)) {
        this.away.set(
          id,
          setTimeout(() => this.remove(id), AWAY_GRACE_MS),
        );
      }
      return;
    }
    this.remove(id);
  }

  /** @param {string} id */
  remove(id) {
    const t = this.away.get(id);
    if (t) clearTimeout(t);
    this.away.delete(id);
    const peer = this.peers.get(id);
    if (peer) {
      this.peers.delete(id);
      peer.close();
    }
    this.host?.forget(id); // (one being handed over to the host)
    this.queue = this.queue.filter((q) => q.to !== id);
    if (this.infos.delete(id)) {
      this.emit('peer-removed', id);
      this._recap();
    }
  }

  /** Leave the room: close every connection. */
  closeAll() {
    for (const peer of this.peers.values()) peer.sendData({ t: 'bye' });
    for (const id of [...this.infos.keys()]) this.remove(id);
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.queue = [];
    this.online = false;
    this.localId = null;
    this.marks = {};
    this.host?.close();
    this.host = null;
  }

  /**
   * A `signal` from the host.
   * @param {string} from
   * @param {string} data
   */
  signal(from, data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    if (!this.webrtc) {
      if (msg.description && msg.description.type === 'offer') {
        this._sendSignal(from, JSON.stringify({ unsupported: true }));
      }
      return;
    }
    if (from === this.localId) return;
    if (!this.infos.has(from)) {
      // a signal can only come from a member of our room; we may just not have heard yet
      this.traceStep(from, 'signal-before-roster');
      this.infos.set(from, { id: from, name: '', audio: false, video: false, screen: null, hand: null });
      this.emit('peer-added', this.infos.get(from));
      this._recap();
    }
    let peer = this.peers.get(from) || this._ensurePeer(from);
    if (!peer) return;
    if (msg.r && msg.r !== peer.session) return; // meant for a connection we no longer have
    if (msg.s && peer.remoteSession && msg.s !== peer.remoteSession) {
      // the other side rebuilt its connection (it reloaded its state or dropped ours): follow
      this.traceStep(from, 'follow-new-session', msg.s);
      peer = this._replacePeer(from);
      if (!peer) return;
    }
    peer.handle(msg);
  }

  /**
   * The local track of `kind` changed (device switch, camera turned on): replaceTrack on every
   * connection, no renegotiation of the mesh.
   * @param {'audio'|'video'} kind
   * @param {MediaStreamTrack|null} track
   */
  setTrack(kind, track) {
    this.tracks[kind] = track;
    this.host?.setTrack(kind, track);
    for (const peer of this.peers.values()) peer.senders.setTrack(kind, track);
    if (kind === 'video') this._recap();
  }

  /**
   * Share `stream` (my screen) with everyone, or stop (`null`): its own transceivers on every
   * connection (senders.js), and the cameras' caps for a room with a screen up.
   * @param {MediaStream|null} stream
   */
  setScreen(stream) {
    this.screen = stream;
    for (const peer of this.peers.values()) peer.senders.setScreen(stream);
    this._recap();
  }

  /** Whether anyone in the room (me included) shares a screen. */
  screenUp() {
    return !!this.screen || [...this.infos.values()].some((i) => !!i.screen);
  }

  /**
   * Send a chat-channel message to everyone; returns how many got it.
   * @param {any} msg
   */
  broadcast(msg) {
    let n = 0;
    for (const peer of this.peers.values()) if (peer.sendData(msg)) n += 1;
    return n;
  }

  /**
   * @param {string} id
   * @param {any} msg
   */
  sendTo(id, msg) {
    return this.peers.get(id)?.sendData(msg) || false;
  }

  /** The caps for the current room size and camera. */
  caps() {
    const s = this.tracks.video?.getSettings?.() || {};
    const h = s.width && s.height ? Math.min(s.width, s.height) : 720;
    return capsFor(this.infos.size, h, this.screenUp());
  }

  /** Re-apply the bandwidth budget to every sender (room size or camera changed). */
  _recap() {
    const caps = this.caps();
    for (const peer of this.peers.values()) peer.senders.setCaps(caps);
    this.emit('size', this.size);
  }

  /** @param {string} id */
  _ensurePeer(id) {
    if (!this.webrtc || !this.localId) return null;
    const existing = this.peers.get(id);
    if (existing) return existing;
    const peer = this.host ? this.host.remote(id) : this._newPeer(id);
    this._wire(id, peer);
    return peer;
  }

  /** A direct connection to `id`. @param {string} id */
  _newPeer(id) {
    /** @type {Peer} */
    const peer = new Peer({
      localId: this.localId || '',
      remoteId: id,
      iceServers: this.iceServers,
      sendSignal: (data) => {
        if (this.peers.get(id) === peer) this._sendSignal(id, data);
      },
      tracks: this.tracks,
      caps: this.caps(),
      trace: (ev, detail) => {
        // 'created' comes from inside the constructor, before `peer` is assigned
        if (ev === 'created' || this.peers.get(id) === peer) this.traceStep(id, ev, detail);
      },
    });
    return peer;
  }

  /**
   * Follow the events of the connection (or host member) for `id`.
   * @param {string} id
   * @param {Remote} peer
   */
  _wire(id, peer) {
    this.peers.set(id, peer);
    if (this.screen) peer.senders.setScreen(this.screen);
    peer.on('screen', (stream) => {
      if (this.peers.get(id) === peer) this.emit('screen', id, stream);
    });
    peer.on('state', (state) => {
      if (this.peers.get(id) !== peer) return;
      // The host already said this peer is gone; we kept it only while its media still
      // flowed. Once the connection falters (a crashed browser: `disconnected` within seconds),
      // there is nothing to wait for and no one to restart ICE with.
      if (this.away.has(id) && state !== 'connected') {
        this.remove(id);
        return;
      }
      this.emit('peer-state', id, state);
    });
    peer.on('track', (stream) => {
      if (this.peers.get(id) === peer) this.emit('stream', id, stream);
    });
    peer.on('channel', () => {
      if (this.peers.get(id) === peer) this.emit('channel-open', id);
    });
    peer.on('channel-close', () => {
      if (this.peers.get(id) === peer && this.away.has(id)) this.remove(id);
    });
    peer.on('message', (msg) => {
      if (this.peers.get(id) !== peer) return;
      if (msg && msg.t === 'bye') {
        // it is closing this connection on purpose (left, or lost its id): do not wait
        this.remove(id);
        return;
      }
      this.emit('data', id, msg);
    });
    peer.on('broken', () => {
      // a description could not be applied: start over with a fresh connection
      if (this.peers.get(id) === peer) this._replacePeer(id);
    });
    peer.on('unreachable', () => {
      // the network keeps us apart though both reach the host: the host moves the room to its
      // SFU (room-media, then toHost())
      if (this.peers.get(id) === peer && !this.host) this.sendHost({ type: 'unreachable', peer: id });
    });
    peer.on('stalled', () => {
      // no progress at all: a signal was lost outside this protocol; start over (the other
      // side sees the new session and follows)
      if (this.peers.get(id) === peer) this._replacePeer(id);
    });
    this.emit('peer-state', id, peer.state);
    // (a member handed over to the host already has its tracks)
    if (peer.stream.getTracks().length) this.emit('stream', id, peer.stream);
  }

  /** @param {string} id */
  _replacePeer(id) {
    const old = this.peers.get(id);
    if (old) {
      this.peers.delete(id);
      old.close();
    }
    return this._ensurePeer(id);
  }

  /**
   * @param {string} to
   * @param {string} data
   */
  _sendSignal(to, data) {
    if (this.online && this.sendSignalRaw(to, data)) return;
    this.queue.push({ to, data });
    if (this.queue.length > MAX_QUEUED_SIGNALS) this.queue.shift();
  }

  _flushQueue() {
    const q = this.queue;
    this.queue = [];
    for (const { to, data } of q) {
      if (this.infos.has(to)) this._sendSignal(to, data);
    }
  }
}
