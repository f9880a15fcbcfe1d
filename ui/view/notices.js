// Short notices in the meeting (#notices): someone joined, left or took another name. Each
// shows for a few seconds; an optional sound goes with joins and leaves. DOM only.

import { holdAudio, releaseAudio } from '../audio.js';
import { byId, el } from './dom.js';

/** How long a notice stays. */
export const NOTICE_MS = 6000;

export class NoticesView {
  constructor() {
    this.root = byId('notices');
    /** chimes still sounding: the page's audio context is held while there are any */
    this.sounding = 0;
  }

  /**
   * @param {'join'|'leave'|'rename'|'media'} kind
   * @param {string} text
   * @param {boolean} sound play a short tone with it
   */
  add(kind, text, sound) {
    const item = el('li', { className: 'notice', textContent: text, dataset: { kind } });
    this.root.append(item);
    while (this.root.children.length > 4) this.root.firstElementChild?.remove();
    setTimeout(() => item.remove(), NOTICE_MS);
    if (sound && (kind === 'join' || kind === 'leave')) this._tone(kind === 'join' ? [523, 784] : [784, 523]);
  }

  /** Remove every notice (out of the meeting). */
  clear() {
    this.root.replaceChildren();
  }

  /** @param {number[]} freqs two short notes */
  _tone(freqs) {
    const ctx = holdAudio(this);
    if (!ctx) return;
    this.sounding += 1;
    freqs.forEach((f, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      const at = ctx.currentTime + i * 0.12;
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.08, at);
      gain.gain.exponentialRampToValueAtTime(0.001, at + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.22);
      // the last note of the last chime over, the context may rest
      if (i === freqs.length - 1) {
        osc.onended = () => {
          this.sounding -= 1;
          if (!this.sounding) releaseAudio(this);
        };
      }
    });
  }
}

/**
 * Route the page's sound to the speaker `deviceId` ('' = the default): every video and audio
 * element now and every one added later (the tiles come and go), where the browser can.
 */
export class SpeakerRouter {
  constructor() {
    this.deviceId = '';
    /** @type {MutationObserver|null} */
    this.observer = null;
  }

  /** @param {string} deviceId */
  use(deviceId) {
    this.deviceId = deviceId;
    if (!('setSinkId' in HTMLMediaElement.prototype)) return;
    for (const m of document.querySelectorAll('video, audio')) this._apply(/** @type {HTMLMediaElement} */ (m));
    if (!this.observer) {
      this.observer = new MutationObserver((records) => {
        for (const r of records) {
          for (const n of r.addedNodes) {
            if (!(n instanceof Element)) continue;
            for (const m of n.matches('video, audio') ? [n] : n.querySelectorAll('video, audio')) this._apply(/** @type {HTMLMediaElement} */ (m));
          }
        }
      });
      this.observer.observe(document.body, { childList: true, subtree: true });
    }
  }

  /** @param {HTMLMediaElement} m */
  _apply(m) {
    const el = /** @type {HTMLMediaElement & {setSinkId: (id: string) => Promise<void>, sinkId: string}} */ (m);
    if (el.sinkId !== this.deviceId) el.setSinkId(this.deviceId).catch((e) => console.warn('moim: setSinkId', e));
  }
}
