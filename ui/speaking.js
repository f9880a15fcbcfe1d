// Who is speaking: a WebAudio AnalyserNode on each stream's audio (in the page's shared
// context, audio.js, held while anything is watched), its level polled ten times a second,
// with a short hangover so the indicator does not flicker; and who is the active speaker (the
// loudest recent one among the others, ActiveSpeaker below), which changes only when someone
// else has led for a while, so the speaker view does not flicker either. No DOM.
//
// Events: 'speaking' (id, boolean)   'active' (id|null)

import { holdAudio, releaseAudio, unlockAudio } from './audio.js';
import { Emitter } from './emitter.js';

export const SPEAKING_LEVEL = 0.02; // RMS of the waveform, 0..1
export const HANGOVER_MS = 600;
const POLL_MS = 100;
/** Someone else must be the loudest this long before the active speaker changes. */
export const SWITCH_MS = 1200;
/** An active speaker stays at least this long. */
export const HOLD_MS = 2500;
/** How much of the held level is left after each reading (a level rises at once, falls slowly). */
const RELEASE = 0.7;

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
    /** @type {Map<string, {source: MediaStreamAudioSourceNode, analyser: AnalyserNode, track: MediaStreamTrack, speaking: boolean, lastLoud: number, buf: Float32Array<ArrayBuffer>}>} */
    this.watched = new Map();
    /** @type {ReturnType<typeof setInterval>|null} */
    this.timer = null;
    this.speaker = new ActiveSpeaker();
    /** @type {string|null} */
    this.active = null;
  }

  /** Call from a user gesture so the AudioContext may run. */
  resume() {
    unlockAudio();
  }

  /**
   * Watch the audio of `stream` under `id` (again if its audio track changed).
   * @param {string} id
   * @param {MediaStream} stream
   */
  watch(id, stream) {
    const track = stream.getAudioTracks()[0];
    const cur = this.watched.get(id);
    if (cur && cur.track === track) return;
    this.unwatch(id);
    if (!track) return;
    const ctx = holdAudio(this);
    if (!ctx) return;
    try {
      const source = ctx.createMediaStreamSource(new MediaStream([track]));
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      this.watched.set(id, { source, analyser, track, speaking: false, lastLoud: 0, buf: new Float32Array(new ArrayBuffer(analyser.fftSize * 4)) });
      if (!this.timer) this.timer = setInterval(() => this._poll(), POLL_MS);
    } catch (err) {
      console.debug('moim: no speaking detection', err);
      if (!this.watched.size) releaseAudio(this);
    }
  }

  /** @param {string} id */
  unwatch(id) {
    const w = this.watched.get(id);
    if (!w) return;
    try {
      w.source.disconnect();
    } catch {
      /* already */
    }
    this.watched.delete(id);
    if (w.speaking) this.emit('speaking', id, false);
    if (!this.watched.size) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      releaseAudio(this);
    }
  }

  _poll() {
    const now = performance.now();
    /** @type {Map<string, number>} */
    const levels = new Map();
    for (const [id, w] of this.watched) {
      let level = 0;
      if (w.track.enabled && w.track.readyState === 'live') {
        w.analyser.getFloatTimeDomainData(w.buf);
        let sum = 0;
        for (let i = 0; i < w.buf.length; i += 1) sum += w.buf[i] * w.buf[i];
        level = Math.sqrt(sum / w.buf.length);
      }
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
