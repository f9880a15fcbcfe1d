// The page's shared AudioContext (audio.js): it runs while someone holds it and rests when the
// last holder lets go. A stand-in AudioContext records what it was asked.
import test from 'node:test';
import assert from 'node:assert/strict';

const made = [];
globalThis.AudioContext = class {
  constructor() {
    this.state = 'suspended'; // as before a person's first gesture
    this.calls = [];
    made.push(this);
  }
  resume() {
    this.calls.push('resume');
    this.state = 'running';
    return Promise.resolve();
  }
  suspend() {
    this.calls.push('suspend');
    this.state = 'suspended';
    return Promise.resolve();
  }
};
const { holdAudio, releaseAudio, unlockAudio } = await import('../audio.js');

test('one context for every holder, suspended when the last lets go', () => {
  const meter = {};
  const detector = {};
  const a = holdAudio(meter);
  const b = holdAudio(detector);
  assert.equal(a, b, 'one context for the page');
  assert.equal(made.length, 1);
  assert.equal(a.state, 'running');
  releaseAudio(meter);
  assert.equal(a.state, 'running', 'the detector still holds it');
  releaseAudio(meter);
  assert.equal(a.state, 'running', 'letting go twice lets go once');
  releaseAudio(detector);
  assert.equal(a.state, 'suspended');
  unlockAudio();
  assert.equal(a.state, 'suspended', "a gesture does not wake a context nobody holds");
  holdAudio(meter);
  assert.equal(a.state, 'running');
  a.state = 'suspended'; // the browser held it back until a gesture
  unlockAudio();
  assert.equal(a.state, 'running');
  assert.deepEqual(a.calls, ['resume', 'suspend', 'resume', 'resume']);
});

test("a remote stream's level is its packets' audio level, silence once they stop", async () => {
  const { rtpLevel, LEVEL_STALE_MS } = await import('../speaking.js');
  const now = 50_000;
  const wall = 1_765_000_000_000;
  assert.equal(rtpLevel([], now, wall), 0, 'no packet yet');
  assert.equal(rtpLevel([{ timestamp: now - 20 }], now, wall), 0, 'no level in the packets');
  assert.equal(rtpLevel([{ audioLevel: 0.3, timestamp: now - 20 }], now, wall), 0.3, "on the page's clock");
  assert.equal(rtpLevel([{ audioLevel: 0.3, timestamp: wall - 20 }], now, wall), 0.3, 'on the wall clock');
  assert.equal(rtpLevel([{ audioLevel: 0.3, timestamp: now - LEVEL_STALE_MS - 1 }], now, wall), 0, 'stale');
});
