// Unit tests of the first minutes' pure parts: the pre-join page's state and sentence for each
// room status, the merged device message, the certificate's verification code.
import test from 'node:test';
import assert from 'node:assert/strict';
import { prejoinState, prejoinSentence } from '../view/prejoin.js';
import { mergeProblems, describeMediaError, problemReasons } from '../media.js';
import { certificateCode, normalizeCode, formatCode } from '../short-code.js';
import { codeFromFragment, joinLink } from '../room-id.js';
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

test('the certificate’s verification code is the first 50 bits of its SHA-256, in base32', () => {
  const hex = 'ab'.repeat(32);
  assert.equal(certificateCode(hex), 'nentqaxbne');
  assert.equal(certificateCode('00'.repeat(32)), '0000000000');
  assert.equal(certificateCode('ff'.repeat(32)), 'zzzzzzzzzz');
  assert.equal(certificateCode(hex), certificateCode(hex.toUpperCase()));
  const at12 = (/** @type {string} */ d) => 'ab'.repeat(6) + d + 'b' + 'ab'.repeat(25);
  assert.notEqual(certificateCode(at12('8')), certificateCode(at12('c')), 'bit 49 counts');
  assert.equal(certificateCode(at12('8')), certificateCode(at12('b')), 'bits 50 and 51 do not');
  assert.equal(certificateCode('abc'), '');
  assert.equal(formatCode('nentqaxbne'), 'nentq-axbne');
  assert.equal(normalizeCode(' NENTQ-AXBNE '), 'nentqaxbne', 'any case, dashes');
  assert.equal(normalizeCode('0I1LO00000'), '0111000000', 'look-alikes');
  for (const bad of ['nentqaxbn', 'nentqaxbnea', 'nentqaxbnu', '']) assert.equal(normalizeCode(bad), '', bad);
});

test('join links carry the certificate code; older #fp= links still give it', () => {
  const hex = 'ab'.repeat(32);
  const link = joinLink('https://192.168.100.200:7447/', 'k3f9-x2mq-7tvd-pa4h', '', certificateCode(hex));
  assert.equal(link, 'https://192.168.100.200:7447/j/k3f9-x2mq-7tvd-pa4h#c=nentqaxbne');
  assert.ok(link.length < 70, link);
  assert.equal(codeFromFragment('#c=NENTQ-AXBNE&p=x'), 'nentqaxbne');
  assert.equal(codeFromFragment(`#fp=${hex}&p=x`), 'nentqaxbne', 'an old invitation');
  assert.equal(codeFromFragment(`#p=x&fp=${hex.toUpperCase()}`), 'nentqaxbne');
  assert.equal(codeFromFragment('#c=short&fp=abc'), '');
  assert.equal(codeFromFragment(''), '');
});
