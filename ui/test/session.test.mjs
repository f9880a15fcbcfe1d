// The session state machine's transitions (ui/session.js), and the small pure parts around it:
// the LAN directory, the meeting link, the early-signal buffer, the error sentences.
// `node --test ui/test/` (no browser needed).
import test from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../session.js';
import { Directory, distinctHosts } from '../directory.js';
import { EarlySignals, EARLY_SIGNALS_MAX } from '../early-signals.js';
import { meetingLink } from '../room-id.js';
import { certificateCode } from '../short-code.js';
import { hostErrorNotice } from '../errors.js';

const A = 'aaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbb';
const ROOM = 'k3f9-x2mq-7tvd-pa4h';

/** A session over a fake socket that records what went out and what the session said. */
function harness({ connected = true } = {}) {
  const sent = [];
  const events = [];
  const socket = { connected };
  const s = new Session({
    send: (f) => (socket.connected ? (sent.push(f), true) : false),
    connected: () => socket.connected,
    joinFields: () => ({ name: 'Ann', audio: true, video: false }),
  });
  for (const e of ['phase', 'connect', 'busy', 'entered', 'left', 'join']) s.on(e, (...a) => events.push([e, ...a]));
  const types = () => sent.map((f) => f.type);
  const take = () => sent.splice(0);
  return { s, sent, events, socket, types, take };
}

/** `existing-peers` for ROOM. */
function existing(id = ROOM, you = 'me-1') {
  return {
    type: 'existing-peers',
    room: { id, name: 'standup', peers: 1, capacity: 8, locked: false },
    you: { id: you, name: 'Ann', audio: true, video: false },
    peers: [],
    room_token: 'tok',
  };
}

test('lobby → joining → meeting → left → lobby, on this host', () => {
  const { s, events, take } = harness();
  s.open({ roomId: null });
  assert.equal(s.phase, 'lobby');
  assert.equal(s.via, null);
  s.welcomed();
  assert.deepEqual(take(), [{ type: 'watch-hosts', on: true }], 'the lobby asks for the directory');
  assert.equal(s.join(ROOM, ''), true);
  assert.equal(s.phase, 'joining');
  assert.equal(s.view, 'lobby', 'the lobby stays on screen while joining');
  assert.deepEqual(take(), [{ type: 'join', room: ROOM, name: 'Ann', audio: true, video: false }]);
  assert.equal(s.live, false, 'signals wait during the join');
  s.entered(existing());
  assert.equal(s.phase, 'meeting');
  assert.equal(s.live, true);
  assert.deepEqual(s.room, { id: ROOM, name: 'standup', token: 'tok', passcode: '', capacity: 8 });
  assert.equal(s.path(), `/j/${ROOM}`);
  assert.equal(events.filter((e) => e[0] === 'join').length, 1, 'one join went out');
  const entered = events.find((e) => e[0] === 'entered');
  assert.deepEqual(entered[2], { first: true });
  s.leave();
  assert.deepEqual(take(), [{ type: 'leave' }]);
  assert.equal(s.phase, 'left');
  assert.deepEqual(events.at(-1), ['left', { dropped: false, roomId: ROOM }]);
  s.open({ roomId: null });
  assert.equal(s.phase, 'lobby');
  assert.deepEqual(take(), [{ type: 'watch-hosts', on: true }], 'back in the lobby: the directory again');
  assert.equal(events.filter((e) => e[0] === 'connect').length, 0, 'never left this host');
});

test('a room on another host: its session while there, this host again after leaving', () => {
  const { s, events, take } = harness();
  s.open({ roomId: ROOM, via: B, passcode: 'pw' });
  assert.equal(s.phase, 'prejoin');
  assert.equal(s.via, B);
  assert.deepEqual(events.filter((e) => e[0] === 'connect'), [['connect', B]]);
  assert.deepEqual(s.prejoin, { roomId: ROOM, passcode: 'pw' });
  assert.equal(s.path(), `/j/${ROOM}?via=${B}`, 'the pre-join address keeps ?via=');
  s.welcomed();
  take();
  s.join(ROOM, 'pw');
  s.entered(existing());
  assert.equal(s.room.passcode, 'pw');
  assert.equal(s.path(), `/j/${ROOM}?via=${B}`, 'the meeting address leads back through this host');
  s.leave();
  take();
  s.open({ roomId: null });
  assert.equal(s.via, null, 'the lobby is this host');
  assert.deepEqual(events.filter((e) => e[0] === 'connect'), [['connect', B], ['connect', null]]);
  assert.deepEqual(take(), [], 'a new session: its welcome asks for the directory, not the old socket');
  s.welcomed();
  assert.deepEqual(take(), [{ type: 'watch-hosts', on: true }]);
  s.create({ name: 'mine', passcode: '', listed: true });
  assert.deepEqual(take(), [{ type: 'create-room', name: 'mine' }]);
  assert.equal(s.via, null, 'created on this host');
});

test('the lobby never talks to another host, whatever the address says', () => {
  const { s, events } = harness();
  s.open({ roomId: null, via: B });
  assert.equal(s.via, null);
  assert.equal(events.filter((e) => e[0] === 'connect').length, 0);
  s.open({ roomId: ROOM, via: A });
  s.open({ roomId: ROOM, via: B });
  assert.deepEqual(events.filter((e) => e[0] === 'connect'), [['connect', A], ['connect', B]]);
});

test('create → room-created → join → meeting; a create lost with the socket is given up', () => {
  const { s, take, socket } = harness();
  s.open({ roomId: null });
  assert.equal(s.create({ name: 'x', passcode: 'sec', listed: false }), true);
  assert.deepEqual(take(), [{ type: 'create-room', name: 'x', passcode: 'sec', listed: false }]);
  s.created(ROOM);
  assert.deepEqual(take(), [{ type: 'join', room: ROOM, name: 'Ann', audio: true, video: false, passcode: 'sec' }]);
  s.entered(existing());
  assert.equal(s.room.passcode, 'sec');
  s.leave();
  s.open({ roomId: null });
  take();
  s.create({ name: 'y', passcode: '', listed: true });
  socket.connected = false;
  socket.connected = true;
  s.welcomed();
  assert.equal(s.phase, 'lobby', 'no answer will come: back to the lobby');
  assert.equal(s.pending, null);
});

test('a join while the host is unreachable goes out with the next welcome', () => {
  const { s, take, socket } = harness({ connected: false });
  s.open({ roomId: ROOM });
  assert.equal(s.join(ROOM, 'p'), false);
  assert.equal(s.phase, 'joining');
  assert.equal(s.view, 'prejoin');
  socket.connected = true;
  s.welcomed();
  assert.deepEqual(take().map((f) => f.type), ['watch-hosts', 'join']);
});

test('socket back during a meeting: rejoin with recreate; kept place or refused', () => {
  const { s, take, events } = harness();
  s.open({ roomId: ROOM });
  s.join(ROOM, 'pw');
  s.entered(existing());
  take();
  assert.equal(s.welcomed(), 'rejoin');
  assert.equal(s.phase, 'rejoining');
  assert.equal(s.view, 'meeting');
  assert.equal(s.live, false);
  assert.deepEqual(take(), [
    { type: 'join', room: ROOM, name: 'Ann', audio: true, video: false, passcode: 'pw', recreate: { name: 'standup', token: 'tok' } },
  ]);
  s.entered(existing(ROOM, 'me-2'));
  assert.equal(s.phase, 'meeting');
  assert.deepEqual(events.filter((e) => e[0] === 'entered').at(-1)[2], { first: false }, 'a rejoin, not a first entry');

  s.welcomed();
  assert.equal(s.hostError('already-in-room'), 'kept');
  assert.equal(s.phase, 'meeting');

  s.welcomed();
  assert.equal(s.hostError('bad-token'), 'refused');
  s.refused();
  assert.equal(s.phase, 'left');
  assert.deepEqual(events.at(-1), ['left', { dropped: true, roomId: ROOM }]);
  assert.ok(!take().some((f) => f.type === 'leave'), 'nothing to leave: the host did not let me in');
});

test('refused joins go back where they came from; the passcode is asked and retried', () => {
  const { s, take } = harness();
  s.open({ roomId: ROOM });
  s.join(ROOM, '');
  assert.equal(s.hostError('room-full'), 'refused');
  s.refused();
  assert.equal(s.phase, 'prejoin');

  s.join(ROOM, '');
  take();
  assert.equal(s.hostError('wrong-passcode'), 'ask');
  const asked = { kind: 'join', roomId: ROOM, passcode: '' };
  assert.equal(s.pending, null, 'answered while the person is asked');
  s.retry(asked, 'secret');
  assert.deepEqual(take(), [{ type: 'join', room: ROOM, name: 'Ann', audio: true, video: false, passcode: 'secret' }]);
  assert.equal(s.hostError('wrong-passcode'), 'ask');
  s.refused({ kind: 'join', roomId: ROOM, passcode: 'secret' });
  assert.equal(s.phase, 'prejoin', 'cancelled: back to the pre-join page');
  assert.equal(s.hostError('wrong-passcode'), 'ignored', 'nothing pending: nothing to ask');
  assert.equal(s.hostError('unknown-peer'), 'ignored');
  s.join(ROOM, '');
  assert.equal(s.hostError('unknown-type', 'watch-hosts'), 'ignored', 'an older host without the feed');
  assert.equal(s.phase, 'joining', 'the join it did not refuse goes on');
  assert.equal(s.hostError('unknown-type', 'dance'), 'refused');
});

test('already-in-room on a join: leave the old room and join again', () => {
  const { s, take } = harness();
  s.open({ roomId: null });
  s.join(ROOM, '');
  take();
  assert.equal(s.hostError('already-in-room'), 'ignored');
  assert.deepEqual(take().map((f) => f.type), ['leave', 'join']);
});

test('not-in-room in a meeting rejoins; media updates only in a meeting and only on change', () => {
  const { s, take } = harness();
  s.open({ roomId: ROOM });
  assert.equal(s.mediaUpdate({ audio: true, video: true }), null, 'not in a room');
  s.join(ROOM, '');
  s.entered(existing());
  take();
  assert.equal(s.mediaUpdate({ audio: true, video: false }), null, 'the join said so already');
  assert.deepEqual(s.mediaUpdate({ audio: false, video: false }), { type: 'update', audio: false, video: false });
  assert.equal(s.mediaUpdate({ audio: false, video: false }), null);
  s.hostError('not-in-room');
  assert.equal(s.phase, 'rejoining');
  assert.equal(take()[0].recreate.token, 'tok');
  assert.equal(s.mediaUpdate({ audio: true, video: true }), null, 'not while rejoining');
});

test('opening an address is ignored in a room; join is ignored in a room', () => {
  const { s, take } = harness();
  s.open({ roomId: ROOM });
  s.join(ROOM, '');
  s.entered(existing());
  take();
  s.open({ roomId: null });
  assert.equal(s.phase, 'meeting');
  assert.equal(s.join('other-room-id-xxxx', ''), false);
  assert.deepEqual(take(), []);
});

test('the directory: this host first, each host once; the session host follows the session', () => {
  assert.deepEqual(
    distinctHosts([
      { id: B, name: 'b', self: false, url: 'https://b/', rooms: [] },
      { id: A, name: 'a', self: true, url: 'https://a/' },
      { id: B, name: 'b again', self: false, url: 'https://b/', rooms: [] },
      null,
    ]).map((h) => [h.id, h.name, h.rooms.length]),
    [
      [A, 'a', 0],
      [B, 'b', 0],
    ],
  );
  const d = new Directory();
  const room = { id: ROOM, name: 'over there', peers: 1, capacity: 8, locked: false };
  assert.equal(d.update({ mdns: true, hosts: [{ id: A, self: true, rooms: [] }, { id: B, self: false, rooms: [room] }] }, null), true);
  assert.equal(d.sessionHost.id, A);
  assert.equal(d.roomName(ROOM, B), 'over there', 'known from this host’s directory');
  d.sessionChanged();
  assert.equal(d.sessionHost, null);
  assert.equal(d.update({ mdns: true, hosts: [{ id: B, self: true, url: 'https://b:7447/', rooms: [room] }] }, B), false);
  assert.equal(d.sessionHost.id, B, 'through ?via=, the session host is the meeting’s');
  assert.equal(d.home.hosts.length, 2, 'the lobby’s directory is untouched');
});

test('meeting links lead back to the same meeting', () => {
  const base = { origin: 'http://127.0.0.1:7447', roomId: ROOM, passcode: '', via: null, host: null, loopback: true, code: '' };
  const fpA = 'ab'.repeat(32);
  const fpB = 'cd'.repeat(32);
  const [codeA, codeB] = [certificateCode(fpA), certificateCode(fpB)];
  assert.equal(meetingLink(base), `http://127.0.0.1:7447/j/${ROOM}`);
  const self = { url: 'https://10.0.0.1:7447/', fingerprint: fpA };
  assert.equal(meetingLink({ ...base, host: self }), `https://10.0.0.1:7447/j/${ROOM}#c=${codeA}`, 'loopback: the LAN address');
  assert.equal(meetingLink({ ...base, host: self, loopback: false, origin: 'https://10.0.0.9:7447' }), `https://10.0.0.9:7447/j/${ROOM}#c=${codeA}`, 'the page’s own origin');
  assert.equal(meetingLink({ ...base, loopback: false, origin: 'https://10.0.0.9:7447', code: codeA }), `https://10.0.0.9:7447/j/${ROOM}#c=${codeA}`, 'before the host said: the page’s own link’s code');
  const b = { url: 'https://10.0.0.2:7447/', fingerprint: fpB };
  assert.equal(meetingLink({ ...base, via: B, host: b, passcode: 'p w', loopback: false }), `https://10.0.0.2:7447/j/${ROOM}#c=${codeB}&p=p%20w`, 'straight to the meeting’s host');
  assert.equal(meetingLink({ ...base, via: B }), `http://127.0.0.1:7447/j/${ROOM}?via=${B}`, 'its address unknown: through this host');
});

test('early signals wait, bounded, and are replayed for known peers only', () => {
  const e = new EarlySignals();
  for (let i = 0; i < EARLY_SIGNALS_MAX; i += 1) assert.equal(e.hold({ from: i % 2 ? 'x' : 'y', data: String(i) }), true);
  assert.equal(e.hold({ from: 'x', data: 'late' }), false);
  const got = [];
  e.release((id) => id === 'x', (from, data) => got.push(data));
  assert.equal(got.length, EARLY_SIGNALS_MAX / 2);
  assert.deepEqual(got.slice(0, 2), ['1', '3'], 'in arrival order');
  const again = [];
  e.release(() => true, (f, d) => again.push(d));
  assert.deepEqual(again, [], 'released once');
});

test('error sentences', () => {
  assert.match(hostErrorNotice({ type: 'error', code: 'room-full', message: '', capacity: 8 }, {}).text, /at most 8 people/);
  assert.match(hostErrorNotice({ type: 'error', code: 'try-later', message: '', retry_after_ms: 2500 }, {}).text, /wait 3 s/);
  assert.match(hostErrorNotice({ type: 'error', code: 'no-such-room', message: '' }, { roomId: ROOM }).text, new RegExp(`“${ROOM}”`));
  assert.equal(hostErrorNotice({ type: 'error', code: 'invalid-field', message: 'too long', field: 'name' }, {}).text, 'Name: too long');
  assert.equal(hostErrorNotice({ type: 'error', code: 'host-unreachable', message: 'B is away' }, {}).code, 'error');
  assert.equal(hostErrorNotice({ type: 'error', code: 'unknown-peer', message: '' }, {}), null);
});
