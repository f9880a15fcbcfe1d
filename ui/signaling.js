// The WebSocket to the host (docs/protocol.md): one socket, JSON frames, automatic reconnection
// with backoff and the resume token, an outgoing rate limiter that stays under the host's
// `limits`, and an application-level ping as a watchdog. No DOM here.
//
// Events:
//   'status'   ({state: 'connecting'|'open'|'reconnecting', attempt, delay, code?})
//   'welcome'  (msg, {resumed: boolean, first: boolean})   after every (re)connection
//   'closing'  (msg)                                         the host announced a shutdown
//   '<type>'   (msg)                                         every server frame, by its `type`
//   'message'  (msg)                                         every server frame

import { Emitter } from './emitter.js';
import { SseSocket } from './sse.js';

/** After this many WebSockets that never opened in a row, try server-sent events. */
export const WS_FAILURES_BEFORE_SSE = 2;
/** `readyState` of an open WebSocket and of an open `SseSocket` (not `WebSocket.OPEN`: a browser
 * with no usable WebSocket may have no such global). */
const OPEN = 1;

/** Reconnection backoff: 250 ms doubling to 2 s, forever. */
export const BACKOFF_MIN_MS = 250;
export const BACKOFF_MAX_MS = 2000;
/** How often an application `ping` is sent while connected. */
export const PING_EVERY_MS = 5000;
/** A socket from which nothing arrived for this long is considered dead and is replaced. */
export const SILENCE_LIMIT_MS = 15000;

/**
 * The watchdog's verdict at one of its ticks. A tick that comes far later than asked means this
 * page itself was frozen (a sleeping laptop, a throttled background tab, a starved CPU): the
 * host's words may still be queued behind the timer, so silence counts only from when the page
 * woke. Otherwise a socket silent for longer than SILENCE_LIMIT_MS is dead.
 * @param {number} now
 * @param {number} lastTick when the previous tick ran
 * @param {number} lastReceived when the host was last heard
 * @returns {{dead: boolean, lastReceived: number}}
 */
export function watchdog(now, lastTick, lastReceived) {
  if (now - lastTick > 2 * PING_EVERY_MS) return { dead: false, lastReceived: Math.max(lastReceived, now) };
  return { dead: now - lastReceived > SILENCE_LIMIT_MS, lastReceived };
}

/**
 * @typedef {{max_peers_per_room?: number, max_signal_bytes?: number, max_frame_bytes?: number,
 *   msg_rate?: number, msg_burst?: number}} Limits
 * @typedef {{type: string, [key: string]: any}} Frame
 */

/**
 * The delay before reconnection attempt number `attempt` (0-based).
 * @param {number} attempt
 */
export function backoffDelay(attempt) {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(attempt, 16));
}

/**
 * The WebSocket URL of the host that served this page (or of `base`, an http(s) origin).
 * With `via` (another host's id from /api/hosts) this host relays the socket to that host.
 * @param {string} [base]
 * @param {string|null} [via]
 */
export function wsUrlFor(base, via) {
  const url = new URL('/ws', base || location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  if (via && /^[0-9a-f]{16}$/.test(via)) url.searchParams.set('via', via);
  return url.toString();
}

export class Signaling extends Emitter {
  /** @param {string} url the `/ws` URL */
  constructor(url) {
    super();
    this.url = url;
    /** @type {WebSocket|SseSocket|null} */
    this.ws = null;
    /** @type {string|null} */
    this.peerId = null;
    /** @type {string|null} */
    this.resumeToken = null;
    /** @type {Frame|null} the last welcome */
    this.welcome = null;
    /** @type {Limits} */
    this.limits = {};
    this.attempt = 0;
    this.stopped = true;
    /** true once a welcome arrived on the current socket */
    this.ready = false;
    this.welcomes = 0;
    /** @type {Frame[]} frames waiting for the rate limiter */
    this.outbox = [];
    this.tokens = 8;
    this.lastRefill = Date.now();
    this.lastReceived = 0;
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.retryTimer = null;
    /** @type {ReturnType<typeof setTimeout>|null} */
    this.flushTimer = null;
    /** @type {ReturnType<typeof setInterval>|null} */
    this.pingTimer = null;
    this.nonce = 0;
    /** @type {'websocket'|'sse'} the transport in use; `?transport=sse` forces the fallback */
    this.transport = typeof WebSocket === 'function' ? 'websocket' : 'sse';
    /** WebSockets that closed without ever opening, in a row */
    this.wsFailures = 0;
    /** once a WebSocket has opened, a failure is a network problem, not a refused transport */
    this.wsWorked = false;
  }

  /** Use server-sent events + POST from now on. */
  useSse() {
    this.transport = 'sse';
  }

  /** Open the socket (and keep it open until stop()). */
  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this._open();
  }

  /**
   * Talk to another `/ws` from now on (the page's session moved to another host, or back): a
   * new session there, not a resume of this one. Nothing happens when `url` is the current one.
   * @param {string} url
   */
  connectTo(url) {
    if (url === this.url) return;
    this.url = url;
    this.peerId = null;
    this.resumeToken = null;
    this.welcome = null;
    this.attempt = 0;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (!this.stopped) this._open();
  }

  /** Close for good (no reconnection). */
  stop() {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this._teardown();
  }

  /** Whether frames can be sent now (socket open and welcomed). */
  get connected() {
    return this.ready && this.ws?.readyState === OPEN;
  }

  /**
   * Queue a frame for sending. Frames are paced to stay under the host's rate limit; returns
   * false (and drops the frame) when the socket is not connected.
   * @param {Frame} frame
   */
  send(frame) {
    if (!this.connected) return false;
    this.outbox.push(frame);
    this._flush();
    return true;
  }

  _open() {
    this._teardown();
    const url = new URL(this.url);
    if (this.resumeToken) url.searchParams.set('resume', this.resumeToken);
    this.emit('status', { state: this.welcomes ? 'reconnecting' : 'connecting', attempt: this.attempt, delay: 0 });
    /** @type {WebSocket|SseSocket} */
    let ws;
    let opened = false;
    try {
      if (this.transport === 'websocket') {
        ws = new WebSocket(url.toString());
      } else {
        const events = new URL('/events', url);
        events.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
        events.search = url.search;
        ws = new SseSocket(events.toString());
      }
    } catch (err) {
      console.warn(`moim: cannot open the ${this.transport} transport`, err);
      if (this.transport === 'websocket') this.useSse();
      this._scheduleRetry(0);
      return;
    }
    this.ws = ws;
    this.ready = false;
    ws.onopen = () => {
      opened = true;
      if (this.transport === 'websocket') {
        this.wsWorked = true;
        this.wsFailures = 0;
      }
    };
    ws.onmessage = (/** @type {{data: unknown}} */ ev) => {
      if (ws !== this.ws) return;
      this.lastReceived = Date.now();
      if (typeof ev.data !== 'string') return;
      /** @type {Frame} */
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        console.warn('moim: bad frame from host', ev.data);
        return;
      }
      if (!msg || typeof msg.type !== 'string') return;
      this._receive(msg);
    };
    ws.onclose = (/** @type {{code: number}} */ ev) => {
      if (ws !== this.ws) return;
      if (!opened && this.transport === 'websocket' && !this.wsWorked) {
        this.wsFailures += 1;
        if (this.wsFailures >= WS_FAILURES_BEFORE_SSE) {
          console.warn('moim: the WebSocket will not open here; using server-sent events');
          this.useSse();
        }
      }
      this._teardown();
      this._scheduleRetry(ev.code);
    };
    ws.onerror = () => {
      /* followed by close */
    };
  }

  /** @param {Frame} msg */
  _receive(msg) {
    if (msg.type === 'welcome') {
      const resumed = this.peerId !== null && msg.peer_id === this.peerId;
      const first = this.welcomes === 0;
      this.welcomes += 1;
      this.peerId = msg.peer_id;
      this.resumeToken = msg.resume;
      this.welcome = msg;
      this.limits = msg.limits || {};
      this.tokens = this._burst();
      this.lastRefill = Date.now();
      this.attempt = 0;
      this.ready = true;
      this._startPing();
      this.emit('status', { state: 'open', attempt: 0, delay: 0 });
      this.emit('welcome', msg, { resumed, first });
      this.emit('message', msg);
      return;
    }
    if (msg.type === 'pong') return;
    this.emit(msg.type, msg);
    this.emit('message', msg);
  }

  /** @param {number} code the WebSocket close code, 0 if it never opened */
  _scheduleRetry(code) {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.emit('status', { state: 'reconnecting', attempt: this.attempt, delay, code });
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this._open();
    }, delay);
  }

  _teardown() {
    this.ready = false;
    this.outbox = [];
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.pingTimer = null;
    this.flushTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onmessage = ws.onclose = ws.onerror = ws.onopen = null;
      if (ws.readyState === OPEN || ws.readyState === 0) {
        try {
          ws.close(1000);
        } catch {
          /* already closing */
        }
      }
    }
  }

  _startPing() {
    if (this.pingTimer) clearInterval(this.pingTimer);
    let lastTick = Date.now();
    this.pingTimer = setInterval(() => {
      const now = Date.now();
      const verdict = watchdog(now, lastTick, this.lastReceived);
      lastTick = now;
      this.lastReceived = verdict.lastReceived;
      if (verdict.dead) {
        console.warn('moim: no word from the host for a while, reconnecting');
        this._teardown();
        this._scheduleRetry(0);
        return;
      }
      this.nonce += 1;
      this.send({ type: 'ping', nonce: this.nonce });
    }, PING_EVERY_MS);
  }

  /** The burst we allow ourselves: 80 % of the host's, at least 1. */
  _burst() {
    const b = this.limits.msg_burst;
    return typeof b === 'number' && b > 0 ? Math.max(1, Math.floor(b * 0.8)) : 16;
  }

  /** Messages per second we allow ourselves: 80 % of the host's sustained rate. */
  _rate() {
    const r = this.limits.msg_rate;
    return typeof r === 'number' && r > 0 ? Math.max(0.5, r * 0.8) : 10;
  }

  _flush() {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return;
    const now = Date.now();
    this.tokens = Math.min(this._burst(), this.tokens + ((now - this.lastRefill) / 1000) * this._rate());
    this.lastRefill = now;
    while (this.outbox.length && this.tokens >= 1) {
      const frame = this.outbox.shift();
      this.tokens -= 1;
      ws.send(JSON.stringify(frame));
    }
    if (this.outbox.length && !this.flushTimer) {
      const wait = Math.ceil(((1 - this.tokens) / this._rate()) * 1000) + 5;
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this._flush();
      }, wait);
    }
  }
}
