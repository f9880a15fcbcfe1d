// Signaling over server-sent events + POST (docs/protocol.md, "Transports"), for browsers that
// refuse a WebSocket to a host with a self-signed certificate (Safari does, even after the page
// was accepted). It looks like the part of WebSocket that signaling.js uses, so the rest of the
// client does not know which transport carries it. No DOM here.

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 3;

export class SseSocket {
  /** @param {string} url the `/events` URL (with `?resume=` when resuming) */
  constructor(url) {
    this.readyState = CONNECTING;
    /** @type {((ev: {}) => void)|null} */
    this.onopen = null;
    /** @type {((ev: {data: string}) => void)|null} */
    this.onmessage = null;
    /** @type {((ev: {code: number, reason: string}) => void)|null} */
    this.onclose = null;
    /** @type {(() => void)|null} */
    this.onerror = null;
    /** @type {string|null} */
    this.session = null;
    this.postUrl = '';
    /** POSTs go one after another, so messages keep their order. */
    this.queue = Promise.resolve();
    this.es = new EventSource(url);
    this.es.addEventListener('session', (ev) => {
      try {
        this.session = JSON.parse(/** @type {MessageEvent} */ (ev).data).session;
      } catch {
        this._closed(1002, 'bad session');
        return;
      }
      this.postUrl = new URL(`/events/${this.session}`, url).toString();
      this.readyState = OPEN;
      this.onopen?.({});
    });
    this.es.onmessage = (ev) => this.onmessage?.({ data: ev.data });
    this.es.addEventListener('close', (ev) => {
      let code = 1000;
      let reason = '';
      try {
        ({ code, reason } = JSON.parse(/** @type {MessageEvent} */ (ev).data));
      } catch {
        /* keep the defaults */
      }
      this._closed(code, reason);
    });
    // EventSource would reconnect by itself, but without the resume token: let signaling.js
    // reconnect instead, as it does for a WebSocket.
    this.es.onerror = () => this._closed(1006, '');
  }

  /** @param {string} text one JSON message */
  send(text) {
    if (this.readyState !== OPEN) throw new Error('not open');
    const url = this.postUrl;
    this.queue = this.queue
      .then(() => fetch(url, { method: 'POST', body: text, headers: { 'content-type': 'application/json' } }))
      .then((res) => {
        if (res.status === 404) this._closed(1006, 'session gone');
      })
      .catch(() => this._closed(1006, 'post failed'));
  }

  /** @param {number} [_code] */
  close(_code) {
    this.readyState = CLOSED;
    this.es.close();
  }

  /** @param {number} code @param {string} reason */
  _closed(code, reason) {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.es.close();
    this.onclose?.({ code, reason });
  }
}
