// Who is speaking: each stream's level polled ten times a second, with a short hangover so the indicator does not flicker; and who is the active speaker (the
// loudest recent one among the others, ActiveSpeaker below), which changes only when someone
// else has led for a while, so the speaker view does not flicker either. A remote stream's
// level is the one its sender writes into every audio packet (the RTP audio-level header
// extension, read from the receiver: nothing decoded or analysed here, through the host's SFU
// too, which forwards it); my own stream, or one without a receiver that reports levels, goes
// through a WebAudio AnalyserNode in the page's shared context (audio.js, held while any
// analyser runs). No DOM.
//
// Events: 'speaking' (id, boolean)   'active' (id|null)

import { holdAudio, releaseAudio, unlockAudio } from './audio.js';
import { Emitter } from './emitter.js';

export const SPEAKING_LEVEL = 0.02; // RMS of the waveform, or the packets' audio level, 0..1
export const HANGOVER_MS = 600;
const POLL_MS = 100;
/** Someone else must be the loudest this long before the active speaker changes. */
export const SWITCH_MS = 1200;
/** An active speaker stays at least this long. */
export const HOLD_MS = 2500;
/** How much of the held level is left after each reading (a level rises at once, falls slowly). */
const RELEASE = 0.7;
/** A remote level whose last packet is older than this reads as silence. */
export const LEVEL_STALE_MS = 1000;

/**
 * How loud a remote track is by its packets' audio-level header extension (0..1 of full
 * scale, as the sender measured it): `sources` is its receiver's getSynchronizationSources().
 * 0 when there is none or the last is older than LEVEL_STALE_MS. Browsers stamp a source on
 * the page's clock (performance.now()) or, older ones, on the wall clock: either is accepted.
 * @param {{audioLevel?: number, timestamp: number}[]} sources
 * @param {number} now performance.now()
 * @param {number} wall Date.now()
 */
export function rtpLevel(sources, now, wall) {
  const s = sources[0];
  if (!s || typeof s.audioLevel !== 'number') return 0;
  const age = Math.min(Math.abs(now - s.timestamp), Math.abs(wall - s.timestamp));
  return age > LEVEL_STALE_MS ? 0 : s.audioLevel;
}

/**
 * The active speaker, with hysteresis: the loudest held level (its peak, slowly released)
 * above SPEAKING_LEVEL leads; the active speaker changes to the leader once it has led for
 * SWITCH_MS and the current one has been active for HOLD_MS; nobody speaking keeps the last
 * one. Pure: fed with levels.
 */
export class ActiveSpeaker {
  constructor() {
    /** @type {string|null} */
    this.current = null;
    /** @type {Map<string, number>} */
    this.smoothed = new Map();
    /** @type {string|null} */
    this.leader = null;
    this.leaderSince = 0;
    this.since = 0;
  }

  /**
   * One reading of everyone's level; returns the active speaker.
   * @param {number} now ms
   * @param {Map<string, number>} levels
   */
  update(now, levels) {
    for (const id of [...this.smoothed.keys()]) if (!levels.has(id)) this.smoothed.delete(id);
    let leader = null;
    let loudest = SPEAKING_LEVEL;
    for (const [id, level] of levels) {
      // fast attack, slow release, as a level meter: a short loud syllable counts at once
      const s = Math.max(level, (this.smoothed.get(id) ?? 0) * RELEASE);
      this.smoothed.set(id, s);
      if (s > loudest) {
        loudest = s;
        leader = id;
      }
    }
    if (this.current && !levels.has(this.current)) this.current = null;
    // silence is no challenger: a leader's lead lasts across the pauses of its speech
    if (leader && leader !== this.leader) {
      this.leader = leader;
      this.leaderSince = now;
    }
    if (leader && leader !== this.current) {
      const settled = !this.current || (now - this.leaderSince >= SWITCH_MS && now - this.since >= HOLD_MS);
      if (settled) {
        this.current = leader;
        this.since = now;
      }
    }
    return this.current;
  }
}

export class SpeakingDetector extends Emitter {
  constructor() {
    super();
    /** @type {Map<string, {track: MediaStreamTrack, level: () => number, stop: (() => void)|null, speaking: boolean, lastLoud: number}>} */
    this.watched = new Map();
    /** @type {ReturnType<typeof setInterval>|null} */
    this.timer = null;
    this.speaker = new ActiveSpeaker();
    /** @type {string|null} */
    this.active = null;
  }

  /** How many watched streams run through an analyser (the audio context is held meanwhile). */
  get analysed() {
    let n = 0;
    for (const w of this.watched.values()) if (w.stop) n += 1;
    return n;
  }

  /** Call from a user gesture so the AudioContext may run. */
  resume() {
    unlockAudio();
  }

  /**
   * Watch the audio of `stream` under `id` (again if its audio track changed); `pc` is the
   * connection it arrives on (none for my own).
   * @param {string} id
   * @param {MediaStream} stream
   * @param {RTCPeerConnection|null} [pc]
   */
  watch(id, stream, pc = null) {
    const track = stream.getAudioTracks()[0];
    const cur = this.watched.get(id);
    if (cur && cur.track === track) return;
    this.unwatch(id);
    if (!track) return;
    const receiver = pc ? pc.getReceivers().find((r) => r.track === track) : null;
    if (receiver && typeof receiver.getSynchronizationSources === 'function') {
      const level = () => rtpLevel(receiver.getSynchronizationSources(), performance.now(), Date.now());
      this._add(id, { track, level, stop: null, speaking: false, lastLoud: 0 });
      return;
    }
    const ctx = holdAudio(this);
    if (!ctx) return;
    try {
      const source = ctx.createMediaStreamSource(new MediaStream([track]));
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      const buf = new Float32Array(new ArrayBuffer(analyser.fftSize * 4));
      const level = () => {
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (let i = 0; i < buf.length; i += 1) sum += buf[i] * buf[i];
        return Math.sqrt(sum / buf.length);
      };
      this._add(id, { track, level, stop: () => source.disconnect(), speaking: false, lastLoud: 0 });
    } catch (err) {
      console.debug('moim: no speaking detection', err);
      if (!this.analysed) releaseAudio(this);
    }
  }

  /**
   * @param {string} id
   * @param {{track: MediaStreamTrack, level: () => number, stop: (() => void)|null, speaking: boolean, lastLoud: number}} w
   */
  _add(id, w) {
    this.watched.set(id, w);
    if (!this.timer) this.timer = setInterval(() => this._poll(), POLL_MS);
  }

  /** @param {string} id */
  unwatch(id) {
    const w = this.watched.get(id);
    if (!w) return;
    this.watched.delete(id);
    if (w.stop) {
      try {
        w.stop();
      } catch {
        /* already */
      }
      if (!this.analysed) releaseAudio(this);
    }
    if (w.speaking) this.emit('speaking', id, false);
    if (!this.watched.size && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  _poll() {
    const now = performance.now();
    /** @type {Map<string, number>} */
    const levels = new Map();
    for (const [id, w] of this.watched) {
      const level = w.track.enabled && w.track.readyState === 'live' ? w.level() : 0;
      if (id !== 'local') levels.set(id, level);
      if (level > SPEAKING_LEVEL) w.lastLoud = now;
      const speaking = now - w.lastLoud < HANGOVER_MS;
      if (speaking !== w.speaking) {
        w.speaking = speaking;
        this.emit('speaking', id, speaking);
      }
    }
    const active = this.speaker.update(now, levels);
    if (active !== this.active) {
      this.active = active;
      this.emit('active', active);
    }
  }
}
