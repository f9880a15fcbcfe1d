// File transfers, peer to peer: the offer / accept / cancel protocol on the chat channel, one
// data channel per transfer for the bytes, back-pressure, progress, integrity. No DOM; the host
// never sees a byte (docs/client.md, "Files").
//
// Wire, on the chat channel (peer.js, JSON):
//   {"t": "file-offer", "id", "name", "size", "mime", "ch"}   sender → receiver
//   {"t": "file-accept", "id"}                                 receiver → sender
//   {"t": "file-cancel", "id", "reason"}                       either side, any time
// The bytes go on their own ordered channel `negotiated: true, id: ch` on the same
// RTCPeerConnection (the SCTP association exists since the chat channel, so no renegotiation):
// the sender picks `ch` (odd on the polite side, even on the other, so the two directions never
// collide), the receiver opens its end before it accepts, the sender opens its end on the accept
// and sends binary messages, then the string {"end": true, "sha256": <hex>}. The receiver
// answers on the same channel {"ack": <bytes written>} after each block it wrote (the sender
// stays within WINDOW bytes of it, so a slow disk never fills the receiver's memory), then
// {"done": true} once the digest matched, or {"cancel": true, "reason"} (a person cancelled,
// the digest differed, the disk refused). Either side sends its cancel on both channels.
//
// Events: 'transfer' (Transfer) whenever one starts, changes state or moves on (progress is
// reported at most every PROGRESS_MS).

import { Emitter } from './emitter.js';
import { randomId } from './peer.js';
import { BLOCK, BlockHasher, canHash, clearStore, openSink } from './file-store.js';

/** One binary message. */
export const CHUNK = 64 * 1024;
/** Stop sending while the channel buffers more than this… */
export const HIGH_WATER = 4 * 1024 * 1024;
/** …until `bufferedamountlow` says it fell to this. */
export const LOW_WATER = 1024 * 1024;
/** The sender stays within this many bytes of what the receiver wrote. */
export const WINDOW = 32 * 1024 * 1024;
/** The largest file offered or accepted. */
export const MAX_SIZE = 2 ** 40;
/** Progress events at most this often per transfer. */
export const PROGRESS_MS = 100;
/** Data channel stream ids for transfers: 2 … MAX_CHANNEL (0 is the chat channel). */
export const MAX_CHANNEL = 1022;

/**
 * @typedef {'offered'|'sending'|'receiving'|'verifying'|'done'|'cancelled'|'failed'} TransferState
 * @typedef {object} Transfer
 * @property {string} id
 * @property {string} peer the other side's peer id
 * @property {'out'|'in'} dir
 * @property {string} name
 * @property {number} size
 * @property {string} mime
 * @property {number} bytes sent (out) or received (in)
 * @property {number} acked bytes the receiver wrote
 * @property {TransferState} state
 * @property {string} [reason] why it was cancelled or failed
 * @property {string} [sha256] the digest, once known
 * @property {File} [file] the received file (in, done)
 * @property {number} time when it was offered (ms since epoch)
 * @property {number} [started] when the bytes started (performance.now())
 * @property {number} [ended]
 */

/** @param {any} m @returns {boolean} */
function validOffer(m) {
  return (
    typeof m.id === 'string' && /^[0-9a-f]{8,64}$/.test(m.id) &&
    typeof m.name === 'string' && m.name.length > 0 && m.name.length <= 255 &&
    Number.isSafeInteger(m.size) && m.size >= 0 && m.size <= MAX_SIZE &&
    typeof m.mime === 'string' && m.mime.length <= 255 &&
    Number.isInteger(m.ch) && m.ch >= 2 && m.ch <= MAX_CHANNEL
  );
}

/** A file name safe to show and to save: no path, no control characters. @param {string} name */
export function cleanName(name) {
  // eslint-disable-next-line no-control-regex
  const n = String(name).replace(/[\u0000-\u001f\u007f/\\]/g, '_').trim().slice(0, 255);
  return n || 'file';
}

export class Files extends Emitter {
  /**
   * @param {object} opts
   * @param {import('./mesh.js').Mesh} opts.mesh the peers (their connections and chat channels)
   */
  constructor({ mesh }) {
    super();
    this.mesh = mesh;
    /** @type {Map<string, Transfer>} */
    this.transfers = new Map();
    /** @type {Map<string, {ch?: RTCDataChannel, source?: Blob, sink?: import('./file-store.js').Sink, wake?: () => void, last: number, block?: Uint8Array, fill: number, hasher?: BlockHasher, writing: Promise<void>, written: number}>} */
    this.live = new Map();
    /** next channel id per peer connection */
    /** @type {WeakMap<RTCPeerConnection, number>} */
    this.nextCh = new WeakMap();
    this.available = canHash() && typeof RTCPeerConnection !== 'undefined';
    if (this.available) clearStore();
  }

  /**
   * Offer `file` to `to` (a peer id) or, with null, to everyone in the room: one transfer each.
   * @param {Blob} file (a File's name is used)
   * @param {string|null} to
   * @returns {Transfer[]}
   */
  send(file, to) {
    const ids = to ? [to] : [...this.mesh.peers.keys()];
    const name = cleanName(/** @type {any} */ (file).name || 'file');
    /** @type {Transfer[]} */
    const out = [];
    for (const peerId of ids) {
      const peer = this.mesh.peers.get(peerId);
      if (!peer) continue;
      const ch = this._channelId(peer.pc, peer.polite);
      /** @type {Transfer} */
      const tr = { id: randomId(), peer: peerId, dir: 'out', name, size: file.size, mime: file.type || '', bytes: 0, acked: 0, state: 'offered', time: Date.now() };
      this.transfers.set(tr.id, tr);
      this.live.set(tr.id, { source: file, last: 0, fill: 0, writing: Promise.resolve(), written: 0 });
      /** @type {any} */ (this.live.get(tr.id)).chId = ch;
      this.emit('transfer', tr);
      const sent = this.mesh.sendTo(peerId, { t: 'file-offer', id: tr.id, name, size: file.size, mime: tr.mime, ch });
      if (!sent) this._finish(tr, 'failed', 'offline');
      out.push(tr);
    }
    return out;
  }

  /** @param {RTCPeerConnection} pc @param {boolean} polite */
  _channelId(pc, polite) {
    const first = polite ? 3 : 2;
    let n = this.nextCh.get(pc) ?? first;
    if (n > MAX_CHANNEL) n = first;
    this.nextCh.set(pc, n + 2);
    return n;
  }

  /**
   * Cancel a transfer from this side (either direction).
   * @param {string} id
   */
  cancel(id) {
    const tr = this.transfers.get(id);
    if (!tr || !this._active(tr)) return;
    this._tell(tr, 'cancelled');
    this._finish(tr, 'cancelled', 'cancelled');
  }

  /** @param {Transfer} tr */
  _active(tr) {
    return tr.state !== 'done' && tr.state !== 'cancelled' && tr.state !== 'failed';
  }

  /** Tell the other side, on both channels. @param {Transfer} tr @param {string} reason */
  _tell(tr, reason) {
    const ch = this.live.get(tr.id)?.ch;
    if (ch && ch.readyState === 'open') {
      try {
        ch.send(JSON.stringify({ cancel: true, reason }));
      } catch {
        /* closing */
      }
    }
    this.mesh.sendTo(tr.peer, { t: 'file-cancel', id: tr.id, reason });
  }

  /**
   * A chat-channel message from a peer; true if it was about files.
   * @param {string} from
   * @param {any} msg
   */
  receive(from, msg) {
    if (!msg || typeof msg.t !== 'string' || !msg.t.startsWith('file-')) return false;
    const tr = typeof msg.id === 'string' ? this.transfers.get(msg.id) : undefined;
    if (tr && tr.peer !== from) return true; // not theirs to speak about
    if (msg.t === 'file-offer' && !tr) this._offered(from, msg);
    else if (msg.t === 'file-accept' && tr && tr.dir === 'out' && tr.state === 'offered') this._accepted(tr);
    else if (msg.t === 'file-cancel' && tr && this._active(tr)) {
      const reason = typeof msg.reason === 'string' ? msg.reason.slice(0, 32) : 'cancelled';
      this._finish(tr, reason === 'cancelled' ? 'cancelled' : 'failed', reason);
    }
    return true;
  }

  /** @param {string} from @param {any} msg */
  async _offered(from, msg) {
    const peer = this.mesh.peers.get(from);
    if (!validOffer(msg) || !peer) return;
    // the other side picks odd ids when it is the polite one
    if (msg.ch % 2 !== (peer.polite ? 0 : 1)) return;
    /** @type {Transfer} */
    const tr = { id: msg.id, peer: from, dir: 'in', name: cleanName(msg.name), size: msg.size, mime: msg.mime, bytes: 0, acked: 0, state: 'receiving', time: Date.now() };
    const live = { last: 0, fill: 0, writing: Promise.resolve(), written: 0, hasher: new BlockHasher() };
    this.transfers.set(tr.id, tr);
    this.live.set(tr.id, live);
    this.emit('transfer', tr);
    if (!this.available) return this._refuse(tr, 'unsupported');
    const est = await navigator.storage?.estimate?.().catch(() => null);
    if (est && est.quota !== undefined && est.usage !== undefined && est.quota - est.usage < tr.size) return this._refuse(tr, 'no-space');
    let sink;
    try {
      sink = await openSink(tr.id, tr.mime);
    } catch {
      return this._refuse(tr, 'no-space');
    }
    if (!this._active(tr)) return sink.abort(); // cancelled meanwhile
    /** @type {any} */ (live).sink = sink;
    let ch;
    try {
      ch = peer.pc.createDataChannel(`file-${tr.id}`, { negotiated: true, id: msg.ch, ordered: true });
    } catch {
      return this._refuse(tr, 'failed');
    }
    this._wire(tr, ch);
    tr.started = performance.now();
    this.mesh.sendTo(from, { t: 'file-accept', id: tr.id });
  }

  /** @param {Transfer} tr @param {string} reason */
  _refuse(tr, reason) {
    this.mesh.sendTo(tr.peer, { t: 'file-cancel', id: tr.id, reason });
    this._finish(tr, 'failed', reason);
  }

  /** @param {Transfer} tr */
  _accepted(tr) {
    const peer = this.mesh.peers.get(tr.peer);
    const live = /** @type {any} */ (this.live.get(tr.id));
    if (!peer || !live) return this._finish(tr, 'failed', 'offline');
    let ch;
    try {
      ch = peer.pc.createDataChannel(`file-${tr.id}`, { negotiated: true, id: live.chId, ordered: true });
    } catch {
      this._tell(tr, 'failed');
      return this._finish(tr, 'failed', 'failed');
    }
    tr.state = 'sending';
    tr.started = performance.now();
    this.emit('transfer', tr);
    this._wire(tr, ch);
    const go = () => this._pump(tr).catch((err) => {
      console.warn('moim: sending a file failed', err);
      if (this._active(tr)) {
        this._tell(tr, 'failed');
        this._finish(tr, 'failed', 'failed');
      }
    });
    if (ch.readyState === 'open') go();
    else ch.addEventListener('open', go, { once: true });
  }

  /** @param {Transfer} tr @param {RTCDataChannel} ch */
  _wire(tr, ch) {
    const live = /** @type {any} */ (this.live.get(tr.id));
    live.ch = ch;
    ch.binaryType = 'arraybuffer';
    ch.bufferedAmountLowThreshold = LOW_WATER;
    ch.addEventListener('bufferedamountlow', () => live.wake?.());
    ch.addEventListener('close', () => {
      if (this._active(tr)) this._finish(tr, 'failed', 'closed');
    });
    ch.addEventListener('message', (ev) => {
      if (!this._active(tr)) return;
      if (typeof ev.data !== 'string') return tr.dir === 'in' ? this._data(tr, new Uint8Array(ev.data)) : undefined;
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!m || typeof m !== 'object') return;
      if (m.cancel) {
        const reason = typeof m.reason === 'string' ? m.reason.slice(0, 32) : 'cancelled';
        this._finish(tr, reason === 'cancelled' ? 'cancelled' : 'failed', reason);
      } else if (tr.dir === 'out' && typeof m.ack === 'number') {
        tr.acked = Math.max(tr.acked, Math.min(m.ack, tr.size));
        live.wake?.();
        this._progress(tr);
      } else if (tr.dir === 'out' && m.done) {
        tr.acked = tr.size;
        this._finish(tr, 'done');
      } else if (tr.dir === 'in' && m.end && typeof m.sha256 === 'string') {
        this._end(tr, m.sha256);
      }
    });
  }

  /**
   * Send the file in CHUNKs, reading it by BLOCK slices (the next slice is read while this one
   * goes out), never with more than HIGH_WATER buffered or WINDOW unwritten at the receiver.
   * @param {Transfer} tr
   */
  async _pump(tr) {
    const live = /** @type {any} */ (this.live.get(tr.id));
    const ch = /** @type {RTCDataChannel} */ (live.ch);
    /** @type {Blob} */
    const file = live.source;
    const hasher = new BlockHasher();
    const read = (/** @type {number} */ at) => file.slice(at, Math.min(at + BLOCK, tr.size)).arrayBuffer();
    let next = tr.size ? read(0) : null;
    for (let at = 0; at < tr.size; at += BLOCK) {
      const block = new Uint8Array(await /** @type {Promise<ArrayBuffer>} */ (next));
      next = at + BLOCK < tr.size ? read(at + BLOCK) : null;
      hasher.add(block);
      for (let i = 0; i < block.length; i += CHUNK) {
        while (this._active(tr) && (ch.bufferedAmount > HIGH_WATER || tr.bytes - tr.acked > WINDOW)) {
          await new Promise((resolve) => (live.wake = resolve));
        }
        if (!this._active(tr)) return;
        const part = block.subarray(i, i + CHUNK);
        ch.send(part);
        tr.bytes += part.length;
      }
      this._progress(tr);
    }
    tr.sha256 = await hasher.digest();
    if (!this._active(tr)) return;
    ch.send(JSON.stringify({ end: true, sha256: tr.sha256 }));
    tr.state = 'verifying';
    this.emit('transfer', tr);
  }

  /** Bytes for an incoming transfer: gathered into blocks, each hashed and written. @param {Transfer} tr @param {Uint8Array} data */
  _data(tr, data) {
    const live = /** @type {any} */ (this.live.get(tr.id));
    if (tr.bytes + data.length > tr.size) {
      this._tell(tr, 'failed');
      return this._finish(tr, 'failed', 'integrity');
    }
    tr.bytes += data.length;
    let off = 0;
    while (off < data.length) {
      if (!live.block) {
        live.block = new Uint8Array(Math.min(BLOCK, tr.size - (tr.bytes - data.length + off)));
        live.fill = 0;
      }
      const n = Math.min(data.length - off, live.block.length - live.fill);
      live.block.set(data.subarray(off, off + n), live.fill);
      live.fill += n;
      off += n;
      if (live.fill === live.block.length) this._block(tr, live);
    }
    this._progress(tr);
  }

  /** A full block: hash it, write it, then tell the sender. @param {Transfer} tr @param {any} live */
  _block(tr, live) {
    const block = live.block;
    live.block = undefined;
    live.hasher.add(block);
    live.writing = live.writing.then(async () => {
      if (!this._active(tr)) return;
      await live.sink.write(block);
      live.written += block.length;
      tr.acked = live.written;
      if (live.ch?.readyState === 'open') live.ch.send(JSON.stringify({ ack: live.written }));
    });
    live.writing.catch(() => {
      if (!this._active(tr)) return;
      this._tell(tr, 'no-space');
      this._finish(tr, 'failed', 'no-space');
    });
  }

  /** The sender's digest arrived: compare it with ours once everything is written. @param {Transfer} tr @param {string} sha256 */
  async _end(tr, sha256) {
    const live = /** @type {any} */ (this.live.get(tr.id));
    tr.state = 'verifying';
    this.emit('transfer', tr);
    try {
      await live.writing;
    } catch {
      return;
    }
    const mine = await live.hasher.digest();
    if (!this._active(tr)) return;
    if (tr.bytes !== tr.size || mine !== sha256) {
      this._tell(tr, 'integrity');
      return this._finish(tr, 'failed', 'integrity');
    }
    tr.sha256 = mine;
    const file = await live.sink.close();
    live.sink = undefined;
    tr.file = file;
    if (live.ch?.readyState === 'open') live.ch.send(JSON.stringify({ done: true }));
    this._finish(tr, 'done');
  }

  /** @param {Transfer} tr */
  _progress(tr) {
    const live = this.live.get(tr.id);
    if (!live) return;
    const now = performance.now();
    if (now - live.last < PROGRESS_MS) return;
    live.last = now;
    this.emit('transfer', tr);
  }

  /**
   * The end of a transfer: whatever it held goes (its channel, a partial file on disk).
   * @param {Transfer} tr
   * @param {'done'|'cancelled'|'failed'} state
   * @param {string} [reason]
   */
  _finish(tr, state, reason) {
    if (!this._active(tr)) return;
    tr.state = state;
    if (reason) tr.reason = reason;
    tr.ended = performance.now();
    const live = this.live.get(tr.id);
    this.live.delete(tr.id);
    if (live) {
      live.wake?.();
      const ch = live.ch;
      // a cancel we send must get out first: the close waits for what the channel buffers
      if (ch && ch.readyState !== 'closed') {
        try {
          ch.close();
        } catch {
          /* already closing */
        }
      }
      const sink = live.sink;
      if (sink) live.writing.catch(() => {}).then(() => sink.abort());
    }
    this.emit('transfer', tr);
  }

  /** The connection to `id` is gone: its transfers fail. @param {string} id */
  peerGone(id) {
    for (const tr of this.transfers.values()) if (tr.peer === id && this._active(tr)) this._finish(tr, 'failed', 'offline');
  }

  /** Left the room: end every transfer, forget them, empty the store. */
  async reset() {
    for (const tr of this.transfers.values()) if (this._active(tr)) this._finish(tr, 'cancelled', 'left');
    this.transfers.clear();
    if (this.available) await clearStore();
  }
}
