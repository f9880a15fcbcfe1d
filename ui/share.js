// My screen share: getDisplayMedia (a screen, a window or a tab, with the tab's audio where the
// browser offers it), the track set up to be sent sharp (contentHint `detail`), and its end,
// whether from our button or the browser's own "Stop sharing" bar (the track's `ended`). The
// mesh sends it (mesh.js setScreen, senders.js); the room learns its stream id from my presence
// (`update {screen}`). No DOM.
//
// Events: 'change' (MediaStream|null)   'problem' (string: an i18n key)

import { Emitter } from './emitter.js';

/** Frames per second asked for: a screen is read, not watched; the encoder may go lower. */
export const SCREEN_FPS = 15;

/**
 * Whether this browser can share a screen, and if not, why (an i18n key).
 * @param {any} [nav] navigator (for tests)
 * @returns {{ok: true, reason: null} | {ok: false, reason: string}}
 */
export function shareSupport(nav = globalThis.navigator) {
  if (typeof RTCPeerConnection === 'undefined') return { ok: false, reason: 'share.noWebrtc' };
  if (!nav?.mediaDevices) return { ok: false, reason: 'share.insecure' };
  if (typeof nav.mediaDevices.getDisplayMedia !== 'function') return { ok: false, reason: 'share.unsupported' };
  return { ok: true, reason: null };
}

export class ScreenShare extends Emitter {
  constructor() {
    super();
    /** @type {MediaStream|null} */
    this.stream = null;
    this.starting = false;
  }

  get sharing() {
    return !!this.stream;
  }

  /** Ask the browser for a screen (call from a click: the browser requires a gesture). */
  async start() {
    if (this.stream || this.starting) return;
    const support = shareSupport();
    if (!support.ok) return this.emit('problem', support.reason);
    this.starting = true;
    try {
      const stream = await capture();
      if (!stream) return;
      const video = stream.getVideoTracks()[0];
      if (!video) {
        for (const t of stream.getTracks()) t.stop();
        return;
      }
      video.contentHint = 'detail';
      for (const a of stream.getAudioTracks()) a.contentHint = 'music';
      // the browser's own "Stop sharing" ends the video track: that ends the share for everyone
      video.addEventListener('ended', () => {
        if (this.stream === stream) this.stop();
      });
      this.stream = stream;
      this.emit('change', stream);
    } finally {
      this.starting = false;
    }
  }

  stop() {
    const s = this.stream;
    if (!s) return;
    this.stream = null;
    for (const t of s.getTracks()) t.stop();
    this.emit('change', null);
  }

  toggle() {
    return this.stream ? this.stop() : this.start();
  }
}

/** getDisplayMedia with the tab's audio if offered; without audio where asking for it fails. */
async function capture() {
  const video = { frameRate: { ideal: SCREEN_FPS, max: 30 } };
  try {
    return await navigator.mediaDevices.getDisplayMedia(/** @type {any} */ ({ video, audio: true, systemAudio: 'include' }));
  } catch (err) {
    const name = /** @type {any} */ (err)?.name;
    if (name === 'NotAllowedError' || name === 'AbortError') return null; // the person cancelled
    try {
      return await navigator.mediaDevices.getDisplayMedia({ video });
    } catch (again) {
      console.warn('moim: getDisplayMedia failed', err, again);
      return null;
    }
  }
}
