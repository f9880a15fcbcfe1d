// The page's words: one message catalogue per language (ui/locales/<lang>.js), looked up by
// key. `t(key, params)` returns the sentence with `{name}` placeholders filled in; a catalogue
// entry may be an object of plural forms (`{one, other}`, chosen by `Intl.PluralRules` from
// `params.count`); `{name:이/가}` picks the Korean particle that fits the name's last syllable
// (after a final consonant the first, else the second). Static markup carries `data-i18n`
// (its text) and `data-i18n-<attribute>` (title, placeholder, aria-label, alt) and is filled in
// by `localize(root)`. Dates and times go through `formatDate` (Intl, in the language in use).
// The language is the person's choice (`SETTINGS.lang`, or `?lang=` in the address), else the
// browser's (`navigator.languages`, which follow the OS); `switchLanguage` changes it while
// the page runs and tells every `onLanguage` listener. No other DOM.

import * as LOCALES from './locales/index.js';
import { SETTINGS, load, save } from './settings.js';

/** @typedef {string | {[form: string]: string}} Entry */
/** @typedef {Record<string, Entry>} Catalogue */

/** Every catalogue by language tag (ui/locales/index.js lists them). */
export const CATALOGUES = /** @type {Record<string, Catalogue>} */ ({ ...LOCALES });

/** The language used when neither the person nor the browser names one we have. */
export const FALLBACK = 'en';

let lang = FALLBACK;

/** @returns {string} the language in use */
export function language() {
  return lang;
}

/**
 * Use `tag` (or the closest catalogue we have: `ko-KR` → `ko`); unknown tags leave the
 * fallback.
 * @param {string} tag
 * @returns {string} the language now in use
 */
export function setLanguage(tag) {
  const base = String(tag || '').toLowerCase().split(/[-_]/)[0];
  lang = base in CATALOGUES ? base : FALLBACK;
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
  return lang;
}

/**
 * The first of `tags` (the browser's `navigator.languages`, in order) that we have a
 * catalogue for.
 * @param {readonly string[]} tags
 */
export function pickLanguage(tags) {
  for (const tag of tags) {
    const base = String(tag).toLowerCase().split(/[-_]/)[0];
    if (base in CATALOGUES) return base;
  }
  return FALLBACK;
}

/** @param {string} word @param {string} afterConsonant @param {string} afterVowel */
function particle(word, afterConsonant, afterVowel) {
  const last = word.trim().slice(-1);
  const code = last.charCodeAt(0) - 0xac00;
  if (code >= 0 && code < 11172) return (code % 28 ? afterConsonant : afterVowel);
  // not Hangul: digits and Latin letters read out in Korean
  if (/[0136789lmnLMN]$/.test(last)) return afterConsonant;
  return afterVowel;
}

/**
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 * @returns {string}
 */
export function t(key, params = {}) {
  const entry = CATALOGUES[lang][key] ?? CATALOGUES[FALLBACK][key];
  if (entry === undefined) return key;
  let text;
  if (typeof entry === 'string') text = entry;
  else {
    const count = Number(params.count ?? 0);
    const form = new Intl.PluralRules(lang).select(count);
    text = entry[form] ?? entry.other ?? Object.values(entry)[0];
  }
  return text.replace(/\{(\w+)(?::([^/{}]+)\/([^{}]+))?\}/g, (whole, name, a, b) => {
    if (!(name in params)) return whole;
    const value = String(params[name]);
    return a === undefined ? value : value + particle(value, a, b);
  });
}

const ATTRIBUTES = ['title', 'placeholder', 'aria-label', 'alt'];

/**
 * Fill in every `data-i18n` / `data-i18n-<attribute>` under `root`.
 * @param {ParentNode} root
 */
export function localize(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(/** @type {HTMLElement} */ (el).dataset.i18n || '');
  }
  for (const attr of ATTRIBUTES) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) {
      el.setAttribute(attr, t(el.getAttribute(`data-i18n-${attr}`) || ''));
    }
  }
}

/**
 * Format a date or time in the language in use (`Intl.DateTimeFormat`).
 * @param {number|Date} when
 * @param {Intl.DateTimeFormatOptions} options
 */
export function formatDate(when, options) {
  return new Intl.DateTimeFormat(lang, options).format(when);
}

/** The languages we have, each named in itself (its catalogue's `lang.name`). */
export function languages() {
  return Object.keys(CATALOGUES).map((tag) => ({ tag, name: String(CATALOGUES[tag]['lang.name'] || tag) }));
}

/** @type {Set<(lang: string) => void>} */
const listeners = new Set();

/**
 * Call `fn` after every switch of language (to redraw what `localize` cannot reach).
 * @param {(lang: string) => void} fn
 * @returns {() => void} stops listening
 */
export function onLanguage(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * The person picked a language ('' to follow the browser again): remember it, redraw the static
 * markup and tell the listeners.
 * @param {string} tag
 */
export function switchLanguage(tag) {
  save(SETTINGS.lang, tag);
  setLanguage(tag || browserLanguage());
  if (typeof document !== 'undefined') localize(document);
  for (const fn of listeners) fn(lang);
}

function browserLanguage() {
  return pickLanguage(typeof navigator === 'undefined' ? [] : navigator.languages || [navigator.language]);
}

/**
 * At page start: `?lang=` in the address, else the language the person chose before, else the
 * browser's; then the static markup in it.
 */
export function startLanguage() {
  const asked = typeof location === 'undefined' ? '' : new URLSearchParams(location.search).get('lang') || '';
  setLanguage(asked || load(SETTINGS.lang) || browserLanguage());
  if (typeof document !== 'undefined') localize(document);
}
