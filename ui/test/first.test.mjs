// Unit tests of the first minutes' pure parts: the pre-join page's state and sentence for each
// room status, the merged device message, the certificate's verification code.
import test from 'node:test';
import assert from 'node:assert/strict';
import { prejoinState, prejoinSentence } from '../view/prejoin.js';
import { mergeProblems, describeMediaError, problemReasons } from '../media.js';
import { certificateCode } from '../view/fingerprint.js';
import { ROOM_ID } from '../first.js';

const status = (over) => ({ type: 'room-status', room: 'abcd-efgh-jkmn-pqrs', name: 'standup', peers: [], count: 0, capacity: 8, full: false, passcode: false, locked: false, waiting_room: false, gone: false, ...over });

test('the pre-join page says what the room status says', () => {
  assert.equal(prejoinState({ state: 'malformed' }), 'malformed');
  assert.equal(prejoinState({ state: 'status', status: status({ gone: true }) }), 'gone');
  assert.equal(prejoinState({ state: 'status', status: status({ locked: true, full: true }) }), 'locked', 'a moderator’s lock first');
  assert.equal(prejoinState({ state: 'status', status: status({ full: true, count: 8 }) }), 'full');
  assert.equal(prejoinState({ state: 'status', status: status({ count: 2, peers: ['Ada', 'Grace'] }) }), 'open');
  assert.match(prejoinSentence({ state: 'status', status: status({ count: 2, peers: ['Ada', 'Grace'] }) }), /Ada, Grace are here/);
  assert.match(prejoinSentence({ state: 'status', status: status({ count: 1, passcode: true }) }), /One person is here\. It needs a passcode/);
  assert.match(prejoinSentence({ state: 'status', status: status({ full: true, count: 8 }) }), /8 of 8/);
  assert.match(prejoinSentence({ state: 'status', status: status({}) }), /Nobody/);
  assert.match(prejoinSentence({ state: 'status', status: status({ count: 1, waiting_room: true }) }), /lets each newcomer in/);
  assert.match(prejoinSentence({ state: 'status', status: status({ locked: true }) }), /closed this meeting/);
});

test('room ids are told from anything else before the host is asked', () => {
  assert.ok(ROOM_ID.test('k3f9-x2mq-7tvd-pa4h'));
  for (const bad of ['not-a-real-room', 'k3f9-x2mq-7tvd-pa4', 'abcd-efgh-ijkl-mnop', '']) assert.ok(!ROOM_ID.test(bad), bad);
});

test('device problems make one message, each thing said once', () => {
  const denied = { name: 'NotAllowedError' };
  const both = [
    { ...describeMediaError('audio', denied), kind: 'audio' },
    { ...describeMediaError('video', denied), kind: 'video' },
  ];
  const text = mergeProblems(both);
  assert.equal(text.match(/denied/g).length, 1, text);
  assert.match(text, /camera and microphone/);
  assert.equal(text.match(/You can still join/g).length, 1, text);
  const mixed = mergeProblems([
    { ...describeMediaError('video', { name: 'NotFoundError' }), kind: 'video' },
    { ...describeMediaError('audio', denied), kind: 'audio' },
  ]);
  assert.match(mixed, /No camera was found\. Access to the microphone was denied/);
  assert.deepEqual(problemReasons([{ code: 'absent', kind: 'video' }]), { audio: '', video: 'none found' });
  assert.equal(mergeProblems([]), '');
});

test('the certificate’s verification code is the short code of its SHA-256', () => {
  const hex = 'ab'.repeat(32);
  assert.match(certificateCode(hex), /^\d{3} \d{3} \d{3} \d{3}$/);
  assert.equal(certificateCode(hex), certificateCode(hex.toUpperCase()));
  assert.notEqual(certificateCode(hex), certificateCode('ac' + 'ab'.repeat(31)));
  assert.equal(certificateCode('abc'), '');
});
