// The meeting view (#meeting): the header (room name, the head count that opens the people
// panel), the control bar and its popovers (devices, reactions, layout), the notice above it
// when my own connection is the problem (#own-quality), and the stage (view/stage.js, which
// owns the tiles). DOM only.

import { byId, el, setWords } from './dom.js';
import { announce } from './announce.js';
import { Stage } from './stage.js';
import { t } from '../i18n.js';

/**
 * @typedef {object} MeetingHandlers
 * @property {() => void} onToggleMic
 * @property {() => void} onToggleCam
 * @property {() => void} onLeave
 * @property {() => void} onCopyLink
 * @property {() => void} onAutoplayBlocked
 * @property {(sizes: Record<string, number>, pinned: string[]) => void} [onTileSizes] how tall
 *   (device pixels) each remote camera is shown and which is pinned, after every layout (see Stage)
 */

/**
 * What the meeting's features (features.js) handle, bound after the view exists.
 * @typedef {object} FeatureHandlers
 * @property {() => void} onShare
 * @property {() => void} onHand
 * @property {(emoji: string) => void} onReact
 * @property {() => void} onPeople
 */

/** The same sentence about one's own connection is not announced again within this. */
export const OWN_REPEAT_MS = 60_000;

/** The reactions offered (the host relays only these: protocol.rs REACTIONS). */
export const REACTIONS = ['👍', '👏', '😂', '❤️', '🎉', '😮'];

export class MeetingView {
  /** @param {MeetingHandlers} h */
  constructor(h) {
    this.h = h;
    /** @type {FeatureHandlers} */
    this.f = { onShare() {}, onHand() {}, onReact() {}, onPeople() {} };
    this.root = byId('meeting');
    this.header = byId('room-header');
    this.title = byId('room-title');
    this.count = byId('head-count');
    this.mic = byId('toggle-mic');
    this.cam = byId('toggle-cam');
    this.shareBtn = byId('share');
    this.handBtn = byId('hand');
    this.devicesBtn = byId('devices-btn');
    this.devicesPopover = byId('devices-popover');
    this.own = byId('own-quality');
    /** what the own-quality notice last announced, and when */
    this.ownSaid = { own: '', at: 0 };
    this.stage = new Stage({ onAutoplayBlocked: h.onAutoplayBlocked, onTileSizes: h.onTileSizes });
    /** @type {[HTMLElement, HTMLElement][]} each popover's button and box */
    this.popovers = [
      [this.devicesBtn, this.devicesPopover],
      [byId('react-btn'), byId('react-popover')],
      [byId('layout-btn'), byId('layout-popover')],
    ];

    this.mic.addEventListener('click', () => h.onToggleMic());
    this.cam.addEventListener('click', () => h.onToggleCam());
    this.shareBtn.addEventListener('click', () => this.f.onShare());
    this.handBtn.addEventListener('click', () => this.f.onHand());
    this.count.addEventListener('click', () => this.f.onPeople());
    byId('leave').addEventListener('click', () => h.onLeave());
    byId('copy-link').addEventListener('click', () => h.onCopyLink());
    for (const [btn, box] of this.popovers) btn.addEventListener('click', () => this._popover(box, box.hidden));
    document.addEventListener('click', (ev) => {
      const target = /** @type {Node} */ (ev.target);
      for (const [btn, box] of this.popovers) if (!box.hidden && !box.contains(target) && !btn.contains(target)) this._popover(box, false);
    });
    for (const emoji of REACTIONS) {
      const b = el('button', { type: 'button', className: 'emoji', textContent: emoji, dataset: { emoji } });
      b.addEventListener('click', () => {
        this.f.onReact(emoji);
        this.closePopovers();
      });
      byId('react-popover').append(b);
    }
    for (const b of byId('layout-popover').querySelectorAll('button[data-view]')) {
      const view = /** @type {import('./stage.js').View} */ (/** @type {HTMLElement} */ (b).dataset.view);
      b.addEventListener('click', () => {
        this.setView(view);
        this.closePopovers();
      });
    }
    byId('stage-full').addEventListener('click', () => this.stage.fullscreen(null));
    this.setView('auto');
  }

  /** @param {FeatureHandlers} f */
  bind(f) {
    this.f = f;
  }

  /** Close every popover (Escape). */
  closePopovers() {
    for (const [, box] of this.popovers) this._popover(box, false);
  }

  /** @param {HTMLElement} box @param {boolean} open */
  _popover(box, open) {
    box.hidden = !open;
    const pair = this.popovers.find(([, b]) => b === box);
    pair?.[0].setAttribute('aria-expanded', String(open));
  }

  /** @param {import('./stage.js').View} view */
  setView(view) {
    this.stage.setView(view);
    for (const b of byId('layout-popover').querySelectorAll('button[data-view]')) {
      b.setAttribute('aria-pressed', String(/** @type {HTMLElement} */ (b).dataset.view === view));
    }
  }

  /** Grid, or back to the automatic view (a shortcut). */
  toggleGrid() {
    this.setView(this.stage.view === 'grid' ? 'auto' : 'grid');
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
    this.closePopovers();
    this.stage.clear();
    this.setOwnQuality('');
  }

  /** @param {string} name @param {number} people */
  setRoom(name, people) {
    this.title.textContent = name;
    this.count.textContent = t('meeting.people', { count: people });
    this.count.title = t('meeting.peopleOpen');
    this.count.dataset.count = String(people);
    document.title = `${name} · moim`;
  }

  /** @param {boolean} open the people panel is open */
  setPeopleOpen(open) {
    this.count.setAttribute('aria-expanded', String(open));
  }

  // the stage's tiles (view/stage.js)
  /** @param {string} id @param {{name: string, local?: boolean, audio?: boolean, video?: boolean}} info */
  addTile(id, info) {
    return this.stage.addTile(id, info);
  }

  /** @param {string} id */
  removeTile(id) {
    this.stage.removeTile(id);
  }

  /** @param {string} id @param {{name: string, audio: boolean, video: boolean, hand?: number|null}} info @param {boolean} [local] */
  setInfo(id, info, local = false) {
    this.stage.setInfo(id, info, local);
  }

  /** @param {string} id @param {MediaStream|null} stream */
  setStream(id, stream) {
    this.stage.setStream(id, stream);
  }

  /** @param {string} id @param {'connecting'|'connected'|'reconnecting'|'failed'|'presence'} state */
  setState(id, state) {
    this.stage.setState(id, state);
  }

  /** @param {string} id @param {boolean} speaking */
  setSpeaking(id, speaking) {
    this.stage.setSpeaking(id, speaking);
  }

  /** Whose cameras come (null: everyone's). @param {Set<string>|null} cameras */
  setCameras(cameras) {
    this.stage.setCameras(cameras);
  }

  /** @param {string} id @param {import('./tile.js').Quality|null} q */
  setQuality(id, q) {
    this.stage.setQuality(id, q);
  }

  /**
   * The notice above the controls while my own upload or computer holds the call back
   * (stats.js `uplink`): shown when it starts or changes, gone when it ends; announced when it
   * starts, but the same sentence not again within OWN_REPEAT_MS (a link at its limit flickers
   * in and out of it, and a screen reader should not repeat it every few seconds).
   * @param {import('../stats.js').Own} own
   */
  setOwnQuality(own) {
    if ((this.own.dataset.own || '') === own) return;
    this.own.dataset.own = own;
    this.own.hidden = !own;
    if (!own) return;
    setWords(this.own, `stage.own.${own}`);
    const at = Date.now();
    if (this.ownSaid.own === own && at - this.ownSaid.at < OWN_REPEAT_MS) return;
    this.ownSaid = { own, at };
    announce(t(`stage.own.${own}`));
  }

  unmuteBlocked() {
    this.stage.unmuteBlocked();
  }

  /**
   * The control buttons' state.
   * @param {{audio: boolean, video: boolean}} on
   */
  setControls(on) {
    this.mic.setAttribute('aria-pressed', String(on.audio));
    this.mic.title = t(on.audio ? 'meeting.mute' : 'meeting.unmute');
    this.cam.setAttribute('aria-pressed', String(on.video));
    this.cam.title = t(on.video ? 'meeting.camOff' : 'meeting.camOn');
  }

  /**
   * The share button: sharing or not, or unavailable with the reason (an i18n key).
   * @param {boolean} sharing
   * @param {string|null} unavailable
   */
  setShare(sharing, unavailable) {
    const b = this.shareBtn;
    b.dataset.on = String(sharing);
    b.setAttribute('aria-disabled', String(!!unavailable));
    b.title = unavailable ? t(unavailable) : t(sharing ? 'meeting.shareStop' : 'meeting.share');
    b.dataset.reason = unavailable || '';
  }

  /** @param {boolean} raised */
  setHand(raised) {
    this.handBtn.dataset.on = String(raised);
    this.handBtn.title = t(raised ? 'meeting.handDown' : 'meeting.handUp');
  }
}
