// One tile of the stage (view/stage.js places it): a person's camera, or a shared screen. DOM of
// the tile only.
//
// A camera tile is `.tile[data-peer-id]` (mine also `.local`) with data-state
// (connecting|connected|reconnecting|failed|presence), data-audio / data-video ("on"|"off"),
// data-speaking, data-hand (the raise number, absent when down), data-pinned; a <video>
// (shown whole: object-fit contain), the initials placeholder, the name with a mic-off badge,
// the connection badge, the signal bars (`.quality`, figures on hover) and a raised-hand badge.
// A screen tile is `.tile.screen[data-screen-of=<peer id>]`.
// Each tile has a pin and a full-screen button (`.tile-pin`, `.tile-full`).

import { el, icon, setWords } from './dom.js';
import { initials } from '../room-id.js';
import { t } from '../i18n.js';

/** @typedef {{rttMs: number|null, kbpsIn: number, kbpsOut: number, level?: string, reason?: string|null,
 *   lossIn?: number, lossOut?: number, own?: string}} Quality */

/** Bars lit for a verdict (of four). */
const BARS = /** @type {Record<string, number>} */ ({ good: 4, poor: 2, bad: 1 });

/**
 * A new tile.
 * @param {string} id the tile's key on the stage
 * @param {{local?: boolean, screenOf?: string}} how
 * @param {{pin: () => void, full: () => void}} on
 */
export function createTile(id, how, on) {
  const video = /** @type {HTMLVideoElement} */ (el('video', { autoplay: true, playsInline: true, muted: !!how.local }));
  const pin = el('button', { type: 'button', className: 'tile-pin', i18nTitle: 'stage.pin', attrs: { 'aria-pressed': 'false', 'aria-label': t('stage.pin') } }, icon('pin'));
  const full = el('button', { type: 'button', className: 'tile-full', i18nTitle: 'stage.fullscreen', attrs: { 'aria-label': t('stage.fullscreen') } }, icon('expand'));
  pin.addEventListener('click', (ev) => {
    ev.stopPropagation();
    on.pin();
  });
  full.addEventListener('click', (ev) => {
    ev.stopPropagation();
    on.full();
  });
  const tools = el('div', { className: 'tile-tools' }, pin, full);
  if (how.screenOf) {
    return el(
      'div',
      { className: how.local ? 'tile screen local-screen' : 'tile screen', dataset: { screenOf: how.screenOf, key: id, pinned: 'false' } },
      video,
      tools,
      el('div', { className: 'label' }, icon('screen', 'screen-icon'), el('span', { className: 'name' })),
    );
  }
  return el(
    'div',
    {
      className: how.local ? 'tile local' : 'tile',
      dataset: { peerId: id, key: id, state: how.local ? 'connected' : 'connecting', audio: 'off', video: 'off', speaking: 'false', pinned: 'false' },
    },
    video,
    el('div', { className: 'placeholder' }, el('span', { className: 'initials' })),
    el('span', { className: 'badge', i18n: 'stage.state.connecting' }),
    el('span', { className: 'quality' }, el('span', { className: 'bars', attrs: { 'aria-hidden': 'true' } }, el('i'), el('i'), el('i'), el('i')), el('span', { className: 'why' })),
    el('span', { className: 'hand', attrs: { role: 'img' } }, icon('hand')),
    tools,
    el('div', { className: 'label' }, el('span', { className: 'mic-badge' }, icon('mic-off', 'mic-off')), icon('cam-off', 'cam-off'), el('span', { className: 'name' })),
  );
}

/**
 * @param {HTMLElement} tile
 * @param {{name: string, audio: boolean, video: boolean, hand?: number|null}} info
 * @param {boolean} local
 */
export function tileInfo(tile, info, local) {
  tile.dataset.audio = info.audio ? 'on' : 'off';
  tile.dataset.video = info.video ? 'on' : 'off';
  if (typeof info.hand === 'number') tile.dataset.hand = String(info.hand);
  else delete tile.dataset.hand;
  const shown = local ? t('stage.you', { name: info.name || t('stage.me') }) : info.name || t('stage.someone');
  /** @type {HTMLElement} */ (tile.querySelector('.name')).textContent = shown;
  /** @type {HTMLElement} */ (tile.querySelector('.initials')).textContent = initials(info.name);
  const hand = /** @type {HTMLElement} */ (tile.querySelector('.hand'));
  hand.setAttribute('aria-label', t('stage.handUp'));
  const parts = [shown];
  if (!info.audio) parts.push(t('stage.micOff'));
  if (!info.video) parts.push(t('stage.camOff'));
  if (typeof info.hand === 'number') parts.push(t('stage.handUp'));
  tile.title = parts.join(' · ');
}

/** @param {HTMLElement} tile @param {string} name the sharer's name */
export function screenInfo(tile, name) {
  const text = t('stage.screenOf', { name });
  /** @type {HTMLElement} */ (tile.querySelector('.name')).textContent = text;
  tile.title = text;
}

/** @param {HTMLElement} tile @param {string} state */
export function tileState(tile, state) {
  tile.dataset.state = state;
  setWords(/** @type {HTMLElement} */ (tile.querySelector('.badge')), `stage.state.${state}`);
}

/**
 * The signal indicator: bars for the verdict (good / poor / bad, stats.js), the figures on
 * hover, a few words when it is not good. My own tile shows only when my own upload or
 * computer is the problem (`q.own`, stats.js `uplink`): two words, the whole sentence on hover
 * (the meeting view shows that sentence above the controls).
 * @param {HTMLElement} tile
 * @param {Quality|null} q
 * @param {boolean} local
 */
export function tileQuality(tile, q, local) {
  const box = /** @type {HTMLElement} */ (tile.querySelector('.quality'));
  const why = /** @type {HTMLElement} */ (box.querySelector('.why'));
  const level = q?.level || '';
  if (!q || (local && !q.own)) {
    why.textContent = '';
    box.title = '';
    box.dataset.level = '';
    box.dataset.reason = '';
    box.dataset.own = '';
    box.hidden = true;
    delete tile.dataset.quality;
    return;
  }
  box.hidden = false;
  const rtt = q.rttMs === null ? '' : t('stage.rtt', { ms: q.rttMs });
  const figures = [rtt, t('stage.kbps', { down: q.kbpsIn, up: q.kbpsOut })].filter(Boolean).join(' · ');
  const loss = Math.round(Math.max(q.lossIn || 0, q.lossOut || 0) * 100);
  const reason = q.reason ? t(`stage.reason.${q.reason}`) + (q.reason === 'loss' ? ` ${loss} %` : '') : '';
  const verdict = level ? t(`stage.level.${level}`) : '';
  if (local && q.own) {
    why.textContent = t(`stage.ownShort.${q.own}`);
    box.title = `${t(`stage.own.${q.own}`)} · ${figures}`;
  } else {
    why.textContent = level && level !== 'good' ? reason || verdict : '';
    box.title = `${verdict}${reason ? `: ${reason}` : ''} · ${figures}`;
  }
  box.dataset.bars = String(BARS[level] ?? 0);
  box.dataset.rtt = q.rttMs === null ? '' : String(q.rttMs);
  box.dataset.kbpsIn = String(q.kbpsIn);
  box.dataset.kbpsOut = String(q.kbpsOut);
  box.dataset.level = level;
  box.dataset.reason = q.reason || '';
  box.dataset.own = q.own || '';
  box.dataset.figures = figures;
  if (level) tile.dataset.quality = level;
  else delete tile.dataset.quality;
}

/**
 * A reaction floating up over the tile (removed when its animation ends, or after 3 s where
 * motion is reduced and there is none).
 * @param {HTMLElement} tile
 * @param {string} emoji
 */
export function floatReaction(tile, emoji) {
  const r = el('span', { className: 'reaction', textContent: emoji, attrs: { 'aria-hidden': 'true' } });
  r.style.left = `${20 + Math.random() * 60}%`;
  tile.append(r);
  const done = () => r.remove();
  r.addEventListener('animationend', done);
  setTimeout(done, 3000);
}
