// The message catalogues: every language has exactly the keys of every other, and `t` fills in
// names, Korean particles and plural forms.
import test from 'node:test';
import assert from 'node:assert/strict';
import { CATALOGUES, FALLBACK, t, setLanguage, pickLanguage } from '../i18n.js';
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
