// The stage (#tiles): every camera and shared screen as a tile (view/tile.js), placed by
// layout.js. Views: `auto` (presenter view while someone shares: the screen large, people in a
// strip; otherwise the grid), `grid` (always the grid), `speaker` (the active speaker large).
// A pinned tile is large in any view. Full screen on a tile or on the whole stage. DOM of
// #tiles only.
//
// #tiles carries data-layout (grid|pair|focus), data-view (auto|grid|speaker) and data-focus
// (the keys shown large); each tile's rectangle is set inline (left/top/width/height).

import { byId, play } from './dom.js';
import { arrange } from '../layout.js';
import { createTile, floatReaction, screenInfo, tileInfo, tileQuality, tileState } from './tile.js';

/** @typedef {'auto'|'grid'|'speaker'} View */

/** The key of a peer's screen tile. @param {string} peerId */
export const screenKey = (peerId) => `screen:${peerId}`;

export class Stage {
  /**
   * @param {{onAutoplayBlocked: () => void, onChange?: () => void,
   *   onTileSizes?: (sizes: Record<string, number>, pinned: string[]) => void}} h `onTileSizes`:
   *   after each layout, how tall each remote camera is shown (device pixels, by peer id), and
   *   the remote camera pinned (none or one)
   */
  constructor(h) {
    this.h = h;
    this.root = byId('tiles');
    /** @type {Map<string, HTMLElement>} by key: a peer id, or screenKey(peer id) */
    this.tiles = new Map();
    /** @type {View} */
    this.view = 'auto';
    /** @type {string|null} */
    this.pinned = null;
    /** @type {string|null} the active speaker (speaking.js) */
    this.active = null;
    /** @type {string[]} */
    this.focus = [];
    /** @type {Set<string>|null} whose cameras come (a large meeting's last speakers; null: all) */
    this.cameras = null;
    new ResizeObserver(() => this.layout()).observe(this.root);
  }

  /**
   * A camera tile (or the existing one for this id).
   * @param {string} id
   * @param {{name: string, local?: boolean, audio?: boolean, video?: boolean, hand?: number|null}} info
   */
  addTile(id, info) {
    let tile = this.tiles.get(id);
    if (tile) return tile;
    tile = createTile(id, { local: info.local }, { pin: () => this.pin(id), full: () => this.fullscreen(id) });
    this.tiles.set(id, tile);
    this._offstage(id, tile);
    if (info.local) this.root.prepend(tile);
    else this.root.append(tile);
    this.setInfo(id, { name: info.name, audio: !!info.audio, video: !!info.video, hand: info.hand ?? null }, !!info.local);
    this.layout();
    return tile;
  }

  /** @param {string} id a peer id (its screen goes too) */
  removeTile(id) {
    this._remove(screenKey(id));
    this._remove(id);
  }

  /** @param {string} key */
  _remove(key) {
    const tile = this.tiles.get(key);
    if (!tile) return;
    const video = tile.querySelector('video');
    if (video) video.srcObject = null;
    if (document.fullscreenElement === tile) document.exitFullscreen().catch(() => {});
    tile.remove();
    this.tiles.delete(key);
    if (this.pinned === key) this.pinned = null;
    this.layout();
  }

  /**
   * @param {string} id
   * @param {{name: string, audio: boolean, video: boolean, hand?: number|null}} info
   * @param {boolean} [local]
   */
  setInfo(id, info, local = false) {
    const tile = this.tiles.get(id);
    if (tile) tileInfo(tile, info, local);
    const screen = this.tiles.get(screenKey(id));
    if (screen) screenInfo(screen, info.name);
  }

  /** @param {string} id @param {MediaStream|null} stream */
  setStream(id, stream) {
    const tile = this.tiles.get(id);
    if (tile) play(/** @type {HTMLVideoElement} */ (tile.querySelector('video')), stream, this.h.onAutoplayBlocked);
  }

  /**
   * The screen `peerId` shares (null: none): a tile of its own, and presenter view.
   * @param {string} peerId
   * @param {MediaStream|null} stream
   * @param {string} name the sharer's name
   * @param {boolean} [local] my own screen (shown muted, never echoed)
   */
  setScreen(peerId, stream, name, local = false) {
    const key = screenKey(peerId);
    if (!stream) return this._remove(key);
    let tile = this.tiles.get(key);
    if (!tile) {
      tile = createTile(key, { local, screenOf: peerId }, { pin: () => this.pin(key), full: () => this.fullscreen(key) });
      if (local) /** @type {HTMLVideoElement} */ (tile.querySelector('video')).muted = true;
      this.tiles.set(key, tile);
      this.root.append(tile);
    }
    screenInfo(tile, name);
    play(/** @type {HTMLVideoElement} */ (tile.querySelector('video')), stream, this.h.onAutoplayBlocked);
    this.layout();
  }

  /** @param {string} id @param {string} state */
  setState(id, state) {
    const tile = this.tiles.get(id);
    if (tile) tileState(tile, state);
  }

  /**
   * Whose cameras come: the other remote tiles show their initials (`data-offstage`), as a
   * camera that is off does, until they are among the last speakers again.
   * @param {Set<string>|null} cameras null: everyone's
   */
  setCameras(cameras) {
    this.cameras = cameras;
    for (const [key, tile] of this.tiles) this._offstage(key, tile);
  }

  /** @param {string} key @param {HTMLElement} tile */
  _offstage(key, tile) {
    const off = !!this.cameras && !tile.classList.contains('local') && !tile.classList.contains('screen') && !this.cameras.has(key);
    if (off) tile.dataset.offstage = 'true';
    else delete tile.dataset.offstage;
  }

  /** @param {string} id @param {boolean} speaking */
  setSpeaking(id, speaking) {
    const tile = this.tiles.get(id);
    if (tile) tile.dataset.speaking = String(speaking);
  }

  /** @param {string|null} id the active speaker, for the speaker view */
  setActive(id) {
    if (this.active === id) return;
    this.active = id;
    if (this.view === 'speaker') this.layout();
  }

  /**
   * @param {string} id
   * @param {import('./tile.js').Quality|null} q
   */
  setQuality(id, q) {
    const tile = this.tiles.get(id);
    if (tile) tileQuality(tile, q, tile.classList.contains('local'));
  }

  /** @param {string} id @param {string} emoji */
  react(id, emoji) {
    const tile = this.tiles.get(id);
    if (tile) floatReaction(tile, emoji);
  }

  /** @param {View} view */
  setView(view) {
    this.view = view;
    this.layout();
  }

  /** Pin `key` large (again: unpin). @param {string} key */
  pin(key) {
    this.pinned = this.pinned === key || !this.tiles.has(key) ? null : key;
    for (const [k, tile] of this.tiles) {
      tile.dataset.pinned = String(k === this.pinned);
      tile.querySelector('.tile-pin')?.setAttribute('aria-pressed', String(k === this.pinned));
    }
    this.layout();
  }

  /** Full screen on a tile, or on the whole stage (`null`); again: leave it. @param {string|null} key */
  fullscreen(key) {
    const target = key ? this.tiles.get(key) : this.root.parentElement;
    if (!target) return;
    if (document.fullscreenElement) {
      const same = document.fullscreenElement === target;
      document.exitFullscreen().catch(() => {});
      if (same) return;
    }
    target.requestFullscreen?.().catch((err) => console.debug('moim: no full screen', err));
  }

  /** The keys shown large now. */
  _focus() {
    if (this.pinned && this.tiles.has(this.pinned)) return [this.pinned];
    const screens = [...this.tiles.keys()].filter((k) => k.startsWith('screen:'));
    if (screens.length && this.view !== 'grid') return screens;
    if (this.view === 'speaker') {
      const remote = [...this.tiles.keys()].filter((k) => !k.startsWith('screen:') && !this.tiles.get(k)?.classList.contains('local'));
      const who = this.active && this.tiles.has(this.active) ? this.active : remote[0];
      if (who && this.tiles.size > 1) return [who];
    }
    return [];
  }

  /** Place every tile (layout.js). */
  layout() {
    const r = this.root.getBoundingClientRect();
    const specs = [...this.tiles].map(([key, tile]) => ({ id: key, local: tile.classList.contains('local'), screen: tile.classList.contains('screen') }));
    this.focus = this._focus();
    const a = arrange(specs, { w: r.width, h: r.height, focus: this.focus });
    for (const [key, tile] of this.tiles) {
      const rect = a.rects.get(key);
      if (!rect) continue;
      Object.assign(tile.style, { left: `${rect.x}px`, top: `${rect.y}px`, width: `${rect.w}px`, height: `${rect.h}px` });
      tile.dataset.big = String(this.focus.includes(key) || a.mode === 'grid');
    }
    this.root.dataset.layout = a.mode;
    this.root.dataset.view = this.view;
    this.root.dataset.focus = this.focus.join(' ');
    this.root.dataset.strip = a.strip || '';
    if (this.h.onTileSizes) {
      /** @type {Record<string, number>} */
      const sizes = {};
      for (const [key, tile] of this.tiles) {
        const rect = a.rects.get(key);
        if (rect && !key.startsWith('screen:') && !tile.classList.contains('local')) sizes[key] = Math.round(rect.h * devicePixelRatio);
      }
      const pinned = this.pinned && sizes[this.pinned] !== undefined ? [this.pinned] : [];
      this.h.onTileSizes(sizes, pinned);
    }
    if (this.h.onChange) this.h.onChange();
  }

  /** Unmute the videos the browser muted because autoplay with sound was blocked. */
  unmuteBlocked() {
    for (const v of this.root.querySelectorAll('video[data-auto-muted]')) {
      const video = /** @type {HTMLVideoElement} */ (v);
      video.muted = false;
      delete video.dataset.autoMuted;
      video.play().catch(() => {});
    }
  }

  clear() {
    for (const key of [...this.tiles.keys()]) this._remove(key);
    this.pinned = null;
    this.active = null;
  }
}
