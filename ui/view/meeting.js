// The meeting view (#meeting): the grid of tiles, the header, the control bar. DOM only.
//
// A tile is `.tile[data-peer-id]` (the local one also `.local`) with data-state
// (connecting|connected|reconnecting|failed), data-audio / data-video ("on"|"off"),
// data-speaking ("true"|"false"), a <video>, the name, mic/camera-off icons, the connection
// badge and the quality readout.

import { byId, el, icon, play } from './dom.js';
import { initials } from '../room-id.js';

/**
 * @typedef {object} MeetingHandlers
 * @property {() => void} onToggleMic
 * @property {() => void} onToggleCam
 * @property {() => void} onLeave
 * @property {() => void} onCopyLink
 * @property {() => void} onAutoplayBlocked
 */

const STATE_TEXT = {
  connecting: 'connecting…',
  connected: 'connected',
  reconnecting: 'reconnecting…',
  failed: 'connection failed',
  presence: 'in the meeting (no call here)',
};

/** What a quality reason (stats.js) means, in a few words. */
/** @type {Record<string, string>} */
const QUALITY_REASON = {
  loss: 'losing packets',
  rtt: 'slow round trip',
  bandwidth: 'not enough bandwidth',
  cpu: 'computer busy',
};

/**
 * The grid (columns, rows) that makes n 16:9 tiles largest in a w×h box.
 * @param {number} n
 * @param {number} w
 * @param {number} h
 */
export function gridFor(n, w, h) {
  let best = { cols: 1, rows: 1, size: 0 };
  for (let cols = 1; cols <= Math.max(1, n); cols += 1) {
    const rows = Math.ceil(n / cols);
    const cw = w / cols;
    const ch = h / rows;
    const tileW = Math.min(cw, (ch * 16) / 9);
    if (tileW > best.size) best = { cols, rows, size: tileW };
  }
  return best;
}

export class MeetingView {
  /** @param {MeetingHandlers} h */
  constructor(h) {
    this.h = h;
    this.root = byId('meeting');
    this.tiles = byId('tiles');
    this.header = byId('room-header');
    this.title = byId('room-title');
    this.count = byId('head-count');
    this.mic = byId('toggle-mic');
    this.cam = byId('toggle-cam');
    this.devicesBtn = byId('devices-btn');
    this.devicesPopover = byId('devices-popover');
    /** @type {Map<string, HTMLElement>} */
    this.byId = new Map();

    this.mic.addEventListener('click', () => h.onToggleMic());
    this.cam.addEventListener('click', () => h.onToggleCam());
    byId('leave').addEventListener('click', () => h.onLeave());
    byId('copy-link').addEventListener('click', () => h.onCopyLink());
    this.devicesBtn.addEventListener('click', () => this._devices(this.devicesPopover.hidden));
    document.addEventListener('click', (ev) => {
      const t = /** @type {Node} */ (ev.target);
      if (!this.devicesPopover.hidden && !this.devicesPopover.contains(t) && !this.devicesBtn.contains(t)) this._devices(false);
    });
    document.addEventListener('keydown', (ev) => {
      if (this.root.hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const target = /** @type {HTMLElement} */ (ev.target);
      if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA')) return;
      if (ev.key === 'm' || ev.key === 'M') h.onToggleMic();
      else if (ev.key === 'v' || ev.key === 'V') h.onToggleCam();
      else if (ev.key === 'Escape') this._devices(false);
    });
    new ResizeObserver(() => this.layout()).observe(this.tiles);
  }

  /** @param {boolean} open */
  _devices(open) {
    this.devicesPopover.hidden = !open;
    this.devicesBtn.setAttribute('aria-expanded', String(open));
  }

  /** @param {string} url the join link just copied (`#copy-link[data-link]`) */
  setCopied(url) {
    byId('copy-link').dataset.link = url;
  }

  show() {
    this.root.hidden = false;
    this.header.hidden = false;
  }

  hide() {
    this.root.hidden = true;
    this.header.hidden = true;
    this._devices(false);
    for (const id of [...this.byId.keys()]) this.removeTile(id);
  }

  /**
   * @param {string} name
   * @param {number} people
   */
  setRoom(name, people) {
    this.title.textContent = name;
    this.count.textContent = people === 1 ? '1 person' : `${people} people`;
    this.count.dataset.count = String(people);
    document.title = `${name} · moim`;
  }

  /**
   * Add a tile, or return the existing one for this id.
   * @param {string} id
   * @param {{name: string, local?: boolean, audio?: boolean, video?: boolean}} info
   */
  addTile(id, info) {
    let tile = this.byId.get(id);
    if (tile) return tile;
    const video = /** @type {HTMLVideoElement} */ (el('video', { autoplay: true, playsInline: true, muted: !!info.local }));
    tile = el(
      'div',
      {
        className: info.local ? 'tile local' : 'tile',
        dataset: { peerId: id, state: info.local ? 'connected' : 'connecting', audio: 'off', video: 'off', speaking: 'false' },
      },
      video,
      el('div', { className: 'placeholder' }, el('span', { className: 'initials' })),
      el('span', { className: 'badge', textContent: STATE_TEXT.connecting }),
      el('span', { className: 'quality' }),
      el('div', { className: 'label' }, icon('mic-off', 'mic-off'), icon('cam-off', 'cam-off'), el('span', { className: 'name' })),
    );
    this.byId.set(id, tile);
    if (info.local) this.tiles.prepend(tile);
    else this.tiles.append(tile);
    this.setInfo(id, { name: info.name, audio: !!info.audio, video: !!info.video }, !!info.local);
    this.layout();
    return tile;
  }

  /** @param {string} id */
  removeTile(id) {
    const tile = this.byId.get(id);
    if (!tile) return;
    const video = tile.querySelector('video');
    if (video) video.srcObject = null;
    tile.remove();
    this.byId.delete(id);
    this.layout();
  }

  /**
   * @param {string} id
   * @param {{name: string, audio: boolean, video: boolean}} info
   * @param {boolean} [local]
   */
  setInfo(id, info, local = false) {
    const tile = this.byId.get(id);
    if (!tile) return;
    tile.dataset.audio = info.audio ? 'on' : 'off';
    tile.dataset.video = info.video ? 'on' : 'off';
    const shown = local ? `${info.name || 'You'} (you)` : info.name || 'Someone';
    /** @type {HTMLElement} */ (tile.querySelector('.name')).textContent = shown;
    /** @type {HTMLElement} */ (tile.querySelector('.initials')).textContent = initials(info.name);
    tile.title = `${shown}${info.audio ? '' : ' · microphone off'}${info.video ? '' : ' · camera off'}`;
  }

  /**
   * @param {string} id
   * @param {MediaStream|null} stream
   */
  setStream(id, stream) {
    const tile = this.byId.get(id);
    if (!tile) return;
    play(/** @type {HTMLVideoElement} */ (tile.querySelector('video')), stream, this.h.onAutoplayBlocked);
  }

  /** Unmute the videos the browser muted because autoplay with sound was blocked. */
  unmuteBlocked() {
    for (const v of this.tiles.querySelectorAll('video[data-auto-muted]')) {
      const video = /** @type {HTMLVideoElement} */ (v);
      video.muted = false;
      delete video.dataset.autoMuted;
      video.play().catch(() => {});
    }
  }

  /**
   * @param {string} id
   * @param {'connecting'|'connected'|'reconnecting'|'failed'|'presence'} state `presence`: this
   *   page cannot call (no WebRTC), so the tile only says who is there
   */
  setState(id, state) {
    const tile = this.byId.get(id);
    if (!tile || !(state in STATE_TEXT)) return;
    tile.dataset.state = state;
    /** @type {HTMLElement} */ (tile.querySelector('.badge')).textContent = STATE_TEXT[state];
  }

  /**
   * @param {string} id
   * @param {boolean} speaking
   */
  setSpeaking(id, speaking) {
    const tile = this.byId.get(id);
    if (tile) tile.dataset.speaking = String(speaking);
  }

  /**
   * The quality readout of a tile: a verdict (good / poor / bad, with the reason: loss,
   * round-trip time, bandwidth, CPU) from stats.js, the figures, and on my own tile the
   * sentence that says when my own connection or computer is the problem.
   * @param {string} id
   * @param {{rttMs: number|null, kbpsIn: number, kbpsOut: number, level?: string, reason?: string|null,
   *   lossIn?: number, lossOut?: number, sentence?: string}|null} q
   */
  setQuality(id, q) {
    const tile = this.byId.get(id);
    if (!tile) return;
    const box = /** @type {HTMLElement} */ (tile.querySelector('.quality'));
    if (!q) {
      box.textContent = '';
      delete tile.dataset.quality;
      return;
    }
    const rtt = q.rttMs === null ? '–' : `${q.rttMs} ms`;
    const figures = `${rtt} · ↓${q.kbpsIn} ↑${q.kbpsOut} kbps`;
    const level = q.level || '';
    const why = q.reason ? QUALITY_REASON[q.reason] || q.reason : '';
    const loss = Math.round(Math.max(q.lossIn || 0, q.lossOut || 0) * 100);
    const verdict = level && level !== 'good' ? `${level}: ${why}${q.reason === 'loss' ? ` ${loss} %` : ''}` : level;
    box.textContent = [verdict, figures].filter(Boolean).join(' · ');
    box.title = q.sentence || (level ? `Connection ${verdict}` : '');
    if (q.sentence) box.textContent = `${q.sentence} (${figures})`;
    box.dataset.rtt = q.rttMs === null ? '' : String(q.rttMs);
    box.dataset.kbpsIn = String(q.kbpsIn);
    box.dataset.kbpsOut = String(q.kbpsOut);
    box.dataset.level = level;
    box.dataset.reason = q.reason || '';
    if (level) tile.dataset.quality = level;
    else delete tile.dataset.quality;
  }

  /**
   * The control buttons' state.
   * @param {{audio: boolean, video: boolean}} on
   */
  setControls(on) {
    this.mic.setAttribute('aria-pressed', String(on.audio));
    this.mic.title = on.audio ? 'Mute (M)' : 'Unmute (M)';
    this.cam.setAttribute('aria-pressed', String(on.video));
    this.cam.title = on.video ? 'Camera off (V)' : 'Camera on (V)';
  }

  /** Lay the tiles out as large as the stage allows. */
  layout() {
    const n = this.tiles.children.length;
    if (!n) return;
    const r = this.tiles.getBoundingClientRect();
    const { cols, rows } = gridFor(n, r.width || 1, r.height || 1);
    this.tiles.style.setProperty('--cols', String(cols));
    this.tiles.style.setProperty('--rows', String(rows));
  }
}
