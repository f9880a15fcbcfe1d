// The stage's layout (ui/layout.js), the speaker detector's hysteresis (ui/speaking.js), the
// people panel's order, the shortcuts and the upload budget with a screen up: `node --test ui/test/`.
import test from 'node:test';
import assert from 'node:assert/strict';
import { arrange, ASPECT } from '../layout.js';
import { ActiveSpeaker, SWITCH_MS, HOLD_MS } from '../speaking.js';
import { capsFor, SCREEN_BUDGET_BPS } from '../budget.js';
import { sortPeople } from '../view/people.js';
import { actionFor } from '../view/shortcuts.js';

// The stage at 1280×800 and 390×844 (the header and control bar taken off).
const STAGES = [
  { w: 1280, h: 800 - 120 },
  { w: 390, h: 844 - 150 },
];

/** @param {number} n */
const people = (n) => Array.from({ length: n }, (_, i) => ({ id: `p${i}`, local: i === 0 }));

/** Checks every rectangle of `a`: inside the stage, no overlap (except my corner picture), 16:9 cameras. */
function check(a, tiles, { w, h }) {
  const rects = [...a.rects.entries()];
  assert.equal(rects.length, tiles.length, 'every tile placed');
  for (const [id, r] of rects) {
    assert.ok(r.x >= 0 && r.y >= 0 && r.x + r.w <= w + 0.5 && r.y + r.h <= h + 0.5, `${id} inside the stage: ${JSON.stringify(r)}`);
    const screen = tiles.find((t) => t.id === id)?.screen;
    if (!screen) assert.ok(Math.abs(r.w / r.h - ASPECT) < 0.001, `${id} is 16:9`);
  }
  for (const [i, [ia, ra]] of rects.entries()) {
    for (const [ib, rb] of rects.slice(i + 1)) {
      if (a.mode === 'pair') continue;
      const apart = ra.x + ra.w <= rb.x + 0.5 || rb.x + rb.w <= ra.x + 0.5 || ra.y + ra.h <= rb.y + 0.5 || rb.y + rb.h <= ra.y + 0.5;
      assert.ok(apart, `${ia} and ${ib} overlap`);
    }
  }
}

test('grid: 1 to 8 people, desktop and phone, 16:9 tiles that fill the stage', () => {
  for (const stage of STAGES) {
    for (let n = 1; n <= 8; n += 1) {
      const tiles = people(n);
      const a = arrange(tiles, stage);
      check(a, tiles, stage);
      const shown = [...a.rects].filter(([id]) => !(a.mode === 'pair' && id === 'p0'));
      const area = shown.reduce((s, [, r]) => s + r.w * r.h, 0) / (stage.w * stage.h);
      const xs = shown.flatMap(([, r]) => [r.x, r.x + r.w]);
      const ys = shown.flatMap(([, r]) => [r.y, r.y + r.h]);
      const span = Math.max((Math.max(...xs) - Math.min(...xs)) / stage.w, (Math.max(...ys) - Math.min(...ys)) / stage.h);
      // most of the stage, or (a tall phone stage, where 16:9 cannot cover half) its whole width
      assert.ok(area >= 0.5 || span >= 0.9, `${stage.w}x${stage.h} n=${n}: cover ${area.toFixed(2)}, span ${span.toFixed(2)}`);
      if (stage.w > stage.h) assert.ok(area >= 0.5, `desktop n=${n}: cover ${area.toFixed(2)}`);
    }
  }
});

test('one-to-one: the other person large, my own picture small in a corner', () => {
  const a = arrange(people(2), STAGES[0]);
  assert.equal(a.mode, 'pair');
  const me = /** @type {any} */ (a.rects.get('p0'));
  const other = /** @type {any} */ (a.rects.get('p1'));
  assert.ok(me.w < other.w / 3, 'a small self-view');
  assert.ok(me.x + me.w > other.x + other.w / 2, 'in the right corner');
});

test('presenter view: the screen takes the main area, everyone else a strip', () => {
  for (const stage of STAGES) {
    for (let n = 1; n <= 8; n += 1) {
      const tiles = [...people(n), { id: 'screen:p1', screen: true }];
      const a = arrange(tiles, { ...stage, focus: ['screen:p1'] });
      check(a, tiles, stage);
      const s = /** @type {any} */ (a.rects.get('screen:p1'));
      for (const [id, r] of a.rects) if (id !== 'screen:p1') assert.ok(r.w * r.h < (s.w * s.h) / 3, `${id} smaller than the screen`);
      assert.ok((s.w * s.h) / (stage.w * stage.h) > 0.4, `the screen is large: ${JSON.stringify(s)}`);
      assert.equal(a.strip, stage.w > stage.h ? 'right' : 'bottom');
    }
  }
  // two screens share the main area; a pinned camera is large the same way
  const tiles = [...people(3), { id: 'screen:p1', screen: true }, { id: 'screen:p2', screen: true }];
  check(arrange(tiles, { ...STAGES[0], focus: ['screen:p1', 'screen:p2'] }), tiles, STAGES[0]);
  const pinned = arrange(people(5), { ...STAGES[0], focus: ['p3'] });
  assert.equal(pinned.mode, 'focus');
  assert.ok(/** @type {any} */ (pinned.rects.get('p3')).w > /** @type {any} */ (pinned.rects.get('p1')).w * 2);
});

test('active speaker: the loudest leads, changes only after a steady lead, pauses do not count', () => {
  const s = new ActiveSpeaker();
  const lv = (/** @type {Record<string, number>} */ o) => new Map(Object.entries(o));
  let t = 0;
  for (; t < 1000; t += 100) s.update(t, lv({ a: 0.2, b: 0 }));
  assert.equal(s.current, 'a', 'the first voice leads at once');
  // b speaks over a for a moment: no change
  for (let i = 0; i < 5; i += 1, t += 100) s.update(t, lv({ a: 0, b: 0.3 }));
  for (let i = 0; i < 5; i += 1, t += 100) s.update(t, lv({ a: 0.2, b: 0 }));
  assert.equal(s.current, 'a', 'no flicker');
  // b speaks on, with pauses: after SWITCH_MS (and HOLD_MS since a) b leads
  const start = t;
  while (t - start < Math.max(SWITCH_MS, HOLD_MS) + 1000) {
    s.update(t, lv({ a: 0, b: (t / 100) % 4 === 0 ? 0 : 0.3 }));
    t += 100;
  }
  assert.equal(s.current, 'b');
  // silence keeps the last speaker
  for (let i = 0; i < 50; i += 1, t += 100) s.update(t, lv({ a: 0, b: 0 }));
  assert.equal(s.current, 'b');
  s.update(t, lv({ a: 0 }));
  assert.equal(s.current, null, 'someone who left is not the speaker');
});

test('active speaker: short syllables with pauses between them lead too', () => {
  const s = new ActiveSpeaker();
  const lv = (/** @type {Record<string, number>} */ o) => new Map(Object.entries(o));
  let t = 0;
  for (; t < 1000; t += 100) s.update(t, lv({ a: 0.2, b: 0 }));
  // a falls silent; b speaks in short bursts, one loud reading in ten, just above the threshold
  const start = t;
  while (t - start < Math.max(SWITCH_MS, HOLD_MS) + 2000) {
    s.update(t, lv({ a: 0, b: ((t - start) / 100) % 10 === 0 ? 0.05 : 0 }));
    t += 100;
  }
  assert.equal(s.current, 'b');
});

test('people: raised hands first in order, then me, then by name', () => {
  const p = (id, name, hand = null, local = false) => ({ id, name, hand, local, audio: true, video: true, state: 'connected' });
  const sorted = sortPeople([p('1', 'Zoe'), p('2', 'Bo', 7), p('3', 'Me', null, true), p('4', 'Al'), p('5', 'Cy', 3)]);
  assert.deepEqual(sorted.map((x) => x.id), ['5', '2', '3', '4', '1']);
});

test('shortcuts: single keys, not while a modifier is held', () => {
  assert.equal(actionFor({ key: 'M' }), 'mic');
  assert.equal(actionFor({ key: '?' }), 'help');
  assert.equal(actionFor({ key: 'm', ctrlKey: true }), null);
  assert.equal(actionFor({ key: 'x' }), null);
});

test('budget: cameras shrink while a screen is up; the screen has its own budget', () => {
  for (let n = 1; n <= 7; n += 1) {
    const plain = capsFor(n, 720);
    const shared = capsFor(n, 720, true);
    assert.ok(shared.video.maxBitrate <= plain.video.maxBitrate && shared.video.maxBitrate <= 400_000);
    assert.ok(720 / /** @type {number} */ (shared.video.scaleResolutionDownBy) <= 240);
    assert.equal(shared.screen.scaleResolutionDownBy, 1, 'the screen keeps its resolution');
    assert.ok(shared.screen.maxBitrate >= 500_000 && shared.screen.maxBitrate <= 2_500_000);
    if (n >= 2 && n <= 8) assert.ok(shared.screen.maxBitrate * n <= Math.max(SCREEN_BUDGET_BPS, 500_000 * n));
  }
});
