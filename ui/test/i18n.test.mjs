// The message catalogues: every language has exactly the keys of every other, and `t` fills in
// names, Korean particles and plural forms.
import test from 'node:test';
import assert from 'node:assert/strict';
import { CATALOGUES, FALLBACK, t, setLanguage, pickLanguage, formatDate } from '../i18n.js';
import { shortCode } from '../short-code.js';

test('every catalogue has the same keys as the fallback, no more, no fewer', () => {
  const want = Object.keys(CATALOGUES[FALLBACK]).sort();
  for (const [lang, cat] of Object.entries(CATALOGUES)) {
    const have = Object.keys(cat).sort();
    const missing = want.filter((k) => !have.includes(k));
    const stale = have.filter((k) => !want.includes(k));
    assert.deepEqual({ lang, missing, stale }, { lang, missing: [], stale: [] });
  }
});

test('every entry is a non-empty sentence or a set of plural forms with `other`', () => {
  for (const [lang, cat] of Object.entries(CATALOGUES)) {
    for (const [key, entry] of Object.entries(cat)) {
      if (typeof entry === 'string') assert.ok(entry.length > 0, `${lang} ${key} is empty`);
      else assert.ok(typeof entry.other === 'string', `${lang} ${key} has no plural form "other"`);
    }
  }
});

test('placeholders, particles and plurals', () => {
  CATALOGUES.en['test.joined'] = '{name} joined';
  CATALOGUES.ko['test.joined'] = '{name:이/가} 들어왔습니다';
  CATALOGUES.en['test.people'] = { one: '{count} person', other: '{count} people' };
  CATALOGUES.ko['test.people'] = { other: '{count}명' };
  try {
    setLanguage('en-US');
    assert.equal(t('test.joined', { name: 'Ada' }), 'Ada joined');
    assert.equal(t('test.people', { count: 1 }), '1 person');
    assert.equal(t('test.people', { count: 3 }), '3 people');
    setLanguage('ko-KR');
    assert.equal(t('test.joined', { name: '민준' }), '민준이 들어왔습니다');
    assert.equal(t('test.joined', { name: '지아' }), '지아가 들어왔습니다');
    assert.equal(t('test.people', { count: 3 }), '3명');
    assert.equal(t('no.such.key'), 'no.such.key');
  } finally {
    for (const cat of Object.values(CATALOGUES)) {
      delete cat['test.joined'];
      delete cat['test.people'];
    }
    setLanguage(FALLBACK);
  }
});

test('the browser languages pick the first catalogue we have', () => {
  assert.equal(pickLanguage(['fr-FR', 'ko-KR', 'en']), 'ko');
  assert.equal(pickLanguage(['de']), FALLBACK);
});

test('a short code is twelve digits in four groups and depends on the digest', () => {
  const a = shortCode(new Uint8Array([1, 2, 3, 4, 5, 6]));
  const b = shortCode(new Uint8Array([1, 2, 3, 4, 6, 6]));
  assert.match(a, /^\d{3} \d{3} \d{3} \d{3}$/);
  assert.notEqual(a, b);
});

// ------------------------------------------------------------------ the sources against the catalogues
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const UI = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Keys used only through a name built at run time (`t(\`stage.state.${state}\`)`): an entry
 * ending in '.' stands for every key under it. A key listed here counts as used although no
 * source names it.
 */
const DYNAMIC_KEYS = ['stage.state.', 'stage.level.', 'stage.reason.', 'stage.own.', 'stage.ownShort.', 'files.state.', 'files.reason.',
  'control.asked.', 'first.media.', 'first.prejoin.'];

/** @param {string} key */
const dynamic = (key) => DYNAMIC_KEYS.some((d) => (d.endsWith('.') ? key.startsWith(d) : key === d));

/** Every .js and .html file of the UI, but the tests and the catalogues themselves. */
function sources(dir = UI) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return ['test', 'locales', 'fonts'].includes(name) ? [] : sources(path);
    return /\.(js|html)$/.test(name) ? [path] : [];
  });
}

const KEY = /^[a-z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$/;
/** The catalogue areas (`error` of `error.badToken`). */
const AREAS = new Set(Object.keys(CATALOGUES[FALLBACK]).map((k) => k.split('.')[0]));

/** Every key a source names: `t('…')`, `data-i18n*="…"`, `el()`'s `i18n: '…'`, and any string literal shaped like a key of a known area. */
function usedKeys() {
  /** @type {Map<string, string>} key → first file naming it */
  const used = new Map();
  /** @type {Map<string, string>} keys that must exist (t() and data-i18n) → file */
  const required = new Map();
  for (const file of sources()) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(UI, file);
    for (const m of text.matchAll(/\bt\(\s*(['"`])([^'"`$]+)\1/g)) required.set(m[2], rel);
    for (const m of text.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)) required.set(m[1], rel);
    for (const m of text.matchAll(/\bi18n(?:Title)?:\s*(['"])([^'"]+)\1/g)) required.set(m[2], rel);
    for (const m of text.matchAll(/(['"`])([a-z][a-zA-Z0-9.]+)\1/g)) {
      if (KEY.test(m[2]) && AREAS.has(m[2].split('.')[0]) && !/\.(js|css|html|json|svg)$/.test(m[2])) {
        if (!used.has(m[2])) used.set(m[2], rel);
      }
    }
  }
  for (const [k, f] of required) if (!used.has(k)) used.set(k, f);
  return { used, required };
}

test('every key the sources use is in the catalogues', () => {
  const { required } = usedKeys();
  const missing = [...required].filter(([k]) => !(k in CATALOGUES[FALLBACK])).map(([k, f]) => `${k} (${f})`);
  assert.deepEqual(missing, [], 't() / data-i18n keys with no catalogue entry');
});

test('every catalogue key is used somewhere in the sources (or listed as dynamic)', () => {
  const { used } = usedKeys();
  const unused = Object.keys(CATALOGUES[FALLBACK]).filter((k) => !used.has(k) && !dynamic(k));
  assert.deepEqual(unused, [], 'catalogue keys no source names: remove them, or list them in DYNAMIC_KEYS');
});

test('every string literal shaped like a key of a catalogue area is a key', () => {
  const { used } = usedKeys();
  const stray = [...used].filter(([k]) => !(k in CATALOGUES[FALLBACK])).map(([k, f]) => `${k} (${f})`);
  assert.deepEqual(stray, [], 'key-like strings with no catalogue entry (a typo?)');
});

test('every catalogue file is listed in ui/locales/index.js', () => {
  const files = readdirSync(join(UI, 'locales')).filter((f) => f.endsWith('.js') && f !== 'index.js');
  const listed = Object.keys(CATALOGUES).map((tag) => `${tag}.js`).sort();
  assert.deepEqual(files.sort(), listed);
});

test('the served fonts cover every character of every catalogue', () => {
  const covered = new Set(readFileSync(join(UI, '..', 'scripts', 'font-characters.txt'), 'utf8'));
  for (const [lang, cat] of Object.entries(CATALOGUES)) {
    const text = Object.values(cat).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))).join('');
    const lacking = [...new Set(text)].filter((ch) => !covered.has(ch) && ch.codePointAt(0) < 0x1f000);
    assert.deepEqual(lacking, [], `${lang}: characters the font lacks (run scripts/font-subset.sh)`);
  }
});

test('dates and times follow the language', () => {
  const when = Date.UTC(2026, 2, 3, 14, 5);
  try {
    setLanguage('ko');
    assert.match(formatDate(when, { month: 'long', timeZone: 'UTC' }), /3월/);
    setLanguage('en');
    assert.match(formatDate(when, { month: 'long', timeZone: 'UTC' }), /March/);
  } finally {
    setLanguage(FALLBACK);
  }
});
