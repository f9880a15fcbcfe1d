// Unit tests of the client's pure parts: `node --test ui/test/` (no browser needed).
import test from 'node:test';
import assert from 'node:assert/strict';
import { parseJoinInput, normalizeRoomId, joinLink, roomFromPath, initials } from '../room-id.js';
import { capsFor } from '../mesh.js';
import { readReport, kbps, lossBetween, judge, uplink } from '../stats.js';
import { Chat, validMessage } from '../chat.js';
import { backoffDelay, watchdog, PING_EVERY_MS, SILENCE_LIMIT_MS } from '../signaling.js';
import { isPolite, pressed } from '../peer.js';
import { withStartBitrate } from '../sdp.js';

test('room ids and links are normalised', () => {
  assert.equal(normalizeRoomId('  K3F9-X2MQ-7TVD-PA4H '), 'k3f9-x2mq-7tvd-pa4h');
  assert.equal(normalizeRoomId('k3f9x2mq7tvdpa4h'), 'k3f9-x2mq-7tvd-pa4h');
  assert.equal(normalizeRoomId('k3f9-x2mq-7tvd-pa4O'), 'k3f9-x2mq-7tvd-pa40');
  assert.deepEqual(parseJoinInput('http://10.0.0.5:7272/j/K3F9-X2MQ-7TVD-PA4H#p=se%20same'), { id: 'k3f9-x2mq-7tvd-pa4h', passcode: 'se same' });
  assert.deepEqual(parseJoinInput('https://h/j/k3f9-x2mq-7tvd-pa4h/?name=x'), { id: 'k3f9-x2mq-7tvd-pa4h', passcode: '' });
  assert.equal(roomFromPath('/j/k3f9-x2mq-7tvd-pa4h'), 'k3f9-x2mq-7tvd-pa4h');
  assert.equal(roomFromPath('/'), null);
  assert.equal(joinLink('http://h:1/', 'abcd', 'p w'), 'http://h:1/j/abcd#p=p%20w');
  assert.equal(initials('Kim Min-jun'), 'KM');
  assert.equal(initials(''), '?');
});

test('bandwidth budget: ≤ 2.5 Mbps of video in total, ≤ 360p with 4 others, ≤ 240p with 6', () => {
  assert.equal(capsFor(1).video.maxBitrate, 1_500_000);
  assert.equal(capsFor(1).video.scaleResolutionDownBy, 1);
  assert.equal(capsFor(2).video.maxBitrate, 1_250_000);
  for (let n = 1; n <= 12; n += 1) {
    const c = capsFor(n, 720);
    assert.ok(c.video.maxBitrate * n <= 2_500_000);
    assert.equal(c.audio.maxBitrate, 48_000);
    const h = 720 / c.video.scaleResolutionDownBy;
    if (n >= 6) assert.ok(h <= 240, `n=${n} h=${h}`);
    else if (n >= 4) assert.ok(h <= 360, `n=${n} h=${h}`);
  }
  assert.equal(capsFor(4, 480).video.scaleResolutionDownBy, 1.34);
});

test('stats: rtt of the selected pair, bytes in and out', () => {
  const r = new Map([
    ['t', { type: 'transport', selectedCandidatePairId: 'p1' }],
    ['p1', { id: 'p1', type: 'candidate-pair', currentRoundTripTime: 0.012 }],
    ['i', { type: 'inbound-rtp', bytesReceived: 1000 }],
    ['o', { type: 'outbound-rtp', bytesSent: 500 }],
    ['o2', { type: 'outbound-rtp', bytesSent: 500 }],
  ]);
  assert.deepEqual(readReport(r), { rttMs: 12, bytesIn: 1000, bytesOut: 1000, inbound: { audio: { packets: 0, lost: 0 }, video: { packets: 0, lost: 0 } }, lossOut: 0, limitation: 'none', availableBps: null });
  assert.equal(kbps(0, 250_000, 2000), 1000);
});

test('stats: loss both ways, the encoder limitation, and the verdict with its reason', () => {
  const r = readReport(
    new Map([
      ['a', { type: 'inbound-rtp', kind: 'audio', packetsReceived: 95, packetsLost: 5 }],
      ['iv', { type: 'inbound-rtp', kind: 'video', packetsReceived: 1000, packetsLost: 1 }],
      ['v', { type: 'outbound-rtp', kind: 'video', bytesSent: 1, qualityLimitationReason: 'bandwidth' }],
      ['ri', { type: 'remote-inbound-rtp', fractionLost: 0.02 }],
    ]),
  );
  assert.equal(r.limitation, 'bandwidth');
  assert.equal(r.lossOut, 0.02);
  const zero = { audio: { packets: 0, lost: 0 }, video: { packets: 0, lost: 0 } };
  assert.equal(lossBetween(zero, r.inbound), 0.05, 'the kind that lost most');
  assert.equal(lossBetween(undefined, r.inbound), 0);
  const ok = { rttMs: 20, lossIn: 0, lossOut: 0, limitation: 'none' };
  assert.deepEqual(judge(ok), { level: 'good', reason: null });
  assert.deepEqual(judge({ ...ok, lossIn: 0.05 }), { level: 'poor', reason: 'loss' });
  assert.deepEqual(judge({ ...ok, lossOut: 0.2 }), { level: 'bad', reason: 'loss' });
  assert.deepEqual(judge({ ...ok, rttMs: 700 }), { level: 'bad', reason: 'rtt' });
  assert.deepEqual(judge({ ...ok, limitation: 'cpu' }), { level: 'poor', reason: 'cpu' });
  const q = (/** @type {string} */ limitation) => ({ ...ok, kbpsIn: 10, kbpsOut: 20, limitation, level: 'good', reason: null });
  const mine = uplink(new Map([['x', q('bandwidth')], ['y', q('bandwidth')], ['z', q('none')]]));
  assert.equal(mine.reason, 'bandwidth');
  assert.equal(mine.own, 'upload');
  assert.equal(mine.kbpsOut, 60);
  assert.equal(uplink(new Map([['x', q('bandwidth')], ['y', q('none')]])).own, '', 'half is not most');
  assert.equal(uplink(new Map([['x', q('cpu')]])).own, 'cpu');
  assert.equal(uplink(new Map([['x', { ...q('none'), lossOut: 0.2 }]])).level, 'bad', 'our packets lost');
});

test('pressure halves the video bitrate and shrinks the picture, step by step', () => {
  const cap = { maxBitrate: 1_200_000, scaleResolutionDownBy: 1 };
  assert.deepEqual(pressed(cap, 0), cap);
  assert.deepEqual(pressed(cap, 1), { maxBitrate: 600_000, scaleResolutionDownBy: 1.5 });
  assert.deepEqual(pressed(cap, 3), { maxBitrate: 150_000, scaleResolutionDownBy: 3.38 });
  assert.equal(pressed({ maxBitrate: 300_000 }, 3).maxBitrate, 100_000);
});

test('chat: ids deduplicate, history merges in time order, junk is refused', () => {
  /** @type {any[]} */
  const sent = [];
  const chat = new Chat({ broadcast: (m) => (sent.push(m), 1), sendTo: () => true });
  const got = [];
  chat.on('message', (m) => got.push(m.text));
  chat.send('Me', ' hi ');
  const m = { t: 'chat', id: 'x1', name: 'Ana', time: 5, text: 'old' };
  chat.receive('p', m);
  chat.receive('q', m);
  chat.receive('q', { t: 'history', messages: [m, { id: 'x2', name: 'Bo', time: 6, text: 'older too' }] });
  assert.deepEqual(got, ['hi', 'old', 'older too']);
  assert.deepEqual(chat.messages.map((x) => x.text), ['old', 'older too', 'hi']);
  assert.equal(sent[0].text, 'hi');
  assert.equal(validMessage({ id: 'a', name: 'n', time: 1, text: '   ' }), null);
  assert.equal(validMessage({ id: 'a', name: 'n', time: 'x', text: 't' }), null);
});

test('reconnection backoff: 250 ms doubling to 2 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 10].map(backoffDelay), [250, 500, 1000, 2000, 2000, 2000]);
});

test('exactly one side of a pair is polite', () => {
  assert.notEqual(isPolite('a', 'b'), isPolite('b', 'a'));
});

test('watchdog: a silent host is dead, a frozen page is not', () => {
  const t0 = 1_000_000;
  // ticks on time, nothing heard for longer than the limit: dead
  const late = t0 + SILENCE_LIMIT_MS + 1;
  assert.equal(watchdog(late, late - PING_EVERY_MS, t0).dead, true);
  assert.equal(watchdog(t0 + SILENCE_LIMIT_MS, t0 + SILENCE_LIMIT_MS - PING_EVERY_MS, t0).dead, false);
  // the page itself slept 60 s: the silence starts over from now
  const woke = t0 + 60_000;
  const v = watchdog(woke, t0, t0);
  assert.deepEqual(v, { dead: false, lastReceived: woke });
  // and if the host stays silent after the page woke, it is dead one limit later
  const after = woke + SILENCE_LIMIT_MS + PING_EVERY_MS;
  assert.equal(watchdog(after, after - PING_EVERY_MS, v.lastReceived).dead, true);
});

test('sdp: the video codecs get a start bitrate, nothing else changes', () => {
  const sdp = [
    'v=0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98',
    'a=rtpmap:96 VP8/90000',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    'a=rtpmap:98 H264/90000',
    'a=fmtp:98 profile-level-id=42e01f;x-google-start-bitrate=700',
    'a=fingerprint:sha-256 AB:CD',
    '',
  ].join('\r\n');
  const out = withStartBitrate(sdp, 1000).split('\r\n');
  assert.deepEqual(out, [
    'v=0',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98',
    'a=rtpmap:96 VP8/90000',
    'a=fmtp:96 x-google-start-bitrate=1000',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    'a=rtpmap:98 H264/90000',
    'a=fmtp:98 profile-level-id=42e01f;x-google-start-bitrate=700',
    'a=fingerprint:sha-256 AB:CD',
    '',
  ]);
  assert.equal(withStartBitrate(withStartBitrate(sdp)), withStartBitrate(sdp), 'applied twice = once');
});
