// Small DOM helpers for the view modules (the only modules that touch the document).

import { t } from '../i18n.js';

/**
 * The element with this id (throws if the page lacks it: a broken page should fail loudly).
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
export function byId(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`moim: #${id} is missing from index.html`);
  return /** @type {T} */ (e);
}

/**
 * Create an element: el('li', {className: 'x', dataset: {roomId: '…'}}, child, 'text').
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    // a catalogue key: the words now, and again after a language switch (localize)
    if (k === 'i18n') {
      e.textContent = t(v);
      e.dataset.i18n = v;
    } else if (k === 'i18nTitle') {
      e.title = t(v);
      e.dataset.i18nTitle = v;
    } else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) e.setAttribute(a, String(av));
    else /** @type {any} */ (e)[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

/**
 * Give `e` the words of catalogue key `key` (kept on it, so a language switch redraws them).
 * @param {HTMLElement} e
 * @param {string} key
 * @param {'text'|'title'} [where]
 */
export function setWords(e, key, where = 'text') {
  if (where === 'title') {
    e.title = t(key);
    e.dataset.i18nTitle = key;
  } else {
    e.textContent = t(key);
    e.dataset.i18n = key;
  }
}

/**
 * An inline icon from the sprite in index.html.
 * @param {string} name e.g. 'mic-off'
 * @param {string} [className]
 */
export function icon(name, className) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('aria-hidden', 'true');
  if (className) svg.setAttribute('class', className);
  const use = document.createElementNS(ns, 'use');
  use.setAttribute('href', `#i-${name}`);
  svg.append(use);
  return svg;
}

/**
 * Attach a stream to a video element and start it. When the browser blocks autoplay with
 * sound, the element is muted and played, and `onBlocked` is told (the app then offers a click
 * to enable sound).
 * @param {HTMLVideoElement} video
 * @param {MediaStream|null} stream
 * @param {() => void} [onBlocked]
 */
export function play(video, stream, onBlocked) {
  if (video.srcObject !== stream) video.srcObject = stream;
  if (!stream) return;
  const p = video.play();
  if (p && p.catch) {
    p.catch((err) => {
      if (err && err.name === 'NotAllowedError' && !video.muted) {
        video.muted = true;
        video.dataset.autoMuted = 'true';
        video.play().catch(() => {});
        if (onBlocked) onBlocked();
      }
    });
  }
}

/**
 * Mark the page with the screen it shows (`body[data-view]`: lobby, prejoin or meeting).
 * @param {string} view
 */
export function markView(view) {
  document.body.dataset.view = view;
}

/**
 * Call `fn` on every click anywhere on the page (a person's gesture: it lets audio start).
 * @param {() => void} fn
 */
export function onAnyClick(fn) {
  document.addEventListener('click', fn);
}
