// Group chat over the peers' data channels (`negotiated: true, id: 0`, see peer.js): every
// message goes to every peer directly; ids make delivery idempotent (a message that reaches
// us twice, or comes back in another peer's history, is shown once). A peer whose channel
// opens gets our recent history so late joiners see the conversation. No DOM here.
//
// Wire (chat channel JSON):
//   {"t": "chat", "id": "...", "name": "...", "time": <ms since epoch>, "text": "..."}
//   {"t": "history", "messages": [<chat>, ...]}
//
// Each message is also sent once through the host (`chat` in docs/protocol.md), which relays it
// to the room: that reaches members who cannot hold a peer connection (the desktop app's window
// where the webview has no WebRTC). The ids make the two paths idempotent.
//
// Events: 'message' (ChatMessage, {mine: boolean})

import { Emitter } from './emitter.js';
import { randomId } from './peer.js';

export const MAX_TEXT = 4000;
export const MAX_NAME = 48;
export const HISTORY_SENT = 100;
export const HISTORY_KEPT = 500;

/** @typedef {{id: string, name: string, time: number, text: string, from?: string}} ChatMessage */

/**
 * A well-formed chat message from the network, or null.
 * @param {any} m
 * @returns {ChatMessage|null}
 */
export function validMessage(m) {
  if (!m || typeof m !== 'object') return null;
  if (typeof m.id !== 'string' || !m.id || m.id.length > 64) return null;
  if (typeof m.text !== 'string' || !m.text.trim() || m.text.length > MAX_TEXT) return null;
  if (typeof m.name !== 'string' || m.name.length > MAX_NAME) return null;
  if (typeof m.time !== 'number' || !Number.isFinite(m.time)) return null;
  return { id: m.id, name: m.name || '?', time: m.time, text: m.text };
}

export class Chat extends Emitter {
  /**
   * @param {object} opts
   * @param {(msg: any) => number} opts.broadcast send to every peer, returns how many
   * @param {(peerId: string, msg: any) => boolean} opts.sendTo
   * @param {(msg: {type: 'chat', id: string, text: string}) => void} [opts.relay] through the host
   */
  constructor({ broadcast, sendTo, relay }) {
    super();
    this.broadcast = broadcast;
    this.sendTo = sendTo;
    this.relay = relay;
    /** @type {ChatMessage[]} in time order */
    this.messages = [];
    /** @type {Set<string>} */
    this.seen = new Set();
  }

  /** Forget everything (left the room). */
  reset() {
    this.messages = [];
    this.seen.clear();
  }

  /**
   * Send a message from me; returns it, or null for an empty text.
   * @param {string} name
   * @param {string} text
   */
  send(name, text) {
    const t = text.trim().slice(0, MAX_TEXT);
    if (!t) return null;
    /** @type {ChatMessage} */
    const msg = { id: randomId(), name: name.slice(0, MAX_NAME), time: Date.now(), text: t };
    this._add(msg, true);
    this.broadcast({ t: 'chat', ...msg });
    this.relay?.({ type: 'chat', id: msg.id, text: msg.text });
    return msg;
  }

  /**
   * A chat-channel message from a peer.
   * @param {string} from peer id
   * @param {any} msg
   */
  receive(from, msg) {
    if (!msg || typeof msg !== 'object') return;
    if (msg.t === 'chat') {
      const m = validMessage(msg);
      if (m) this._add({ ...m, from }, false);
    } else if (msg.t === 'history' && Array.isArray(msg.messages)) {
      for (const raw of msg.messages.slice(-HISTORY_SENT)) {
        const m = validMessage(raw);
        if (m) this._add(m, false);
      }
    }
  }

  /**
   * A channel to `peerId` opened: hand it our recent history.
   * @param {string} peerId
   */
  peerOpened(peerId) {
    if (!this.messages.length) return;
    const messages = this.messages.slice(-HISTORY_SENT).map(({ id, name, time, text }) => ({ id, name, time, text }));
    this.sendTo(peerId, { t: 'history', messages });
  }

  /**
   * @param {ChatMessage} msg
   * @param {boolean} mine
   */
  _add(msg, mine) {
    if (this.seen.has(msg.id)) return;
    this.seen.add(msg.id);
    let i = this.messages.length;
    while (i > 0 && this.messages[i - 1].time > msg.time) i -= 1;
    this.messages.splice(i, 0, msg);
    if (this.messages.length > HISTORY_KEPT) this.messages.shift();
    this.emit('message', msg, { mine });
  }
}
