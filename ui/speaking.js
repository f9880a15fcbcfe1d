// Who is speaking: a WebAudio AnalyserNode on each stream's audio, its level polled ten times a
// second, with a short hangover so the indicator does not flicker. No DOM here.
//
// Events: 'speaking' (id, boolean)

import { Emitter } from './emitter.js';

export const SPEAKING_LEVEL = 0.02; // RMS of the waveform, 0..1
export const HANGOVER_MS = 600;
const POLL_MS = 100;

export class SpeakingDetector extends Emitter {
  constructor() {
    super();
    /** @type {AudioContext|null} */
    this.ctx = null;
    /** @type {Map<string, {source: MediaStreamAudioSourceNode, analyser: AnalyserNode, track: MediaStreamTrack, speaking: boolean, lastLoud: number, buf: Float32Array<ArrayBuffer>}>} */
    this.watched = new Map();
    /** @type {ReturnType<typeof setInterval>|null} */
    this.timer = null;
  }

  /** Call from a user gesture so the AudioContext may run. */
  resume() {
    if (this.ctx && this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
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
    const AC = globalThis.AudioContext || /** @type {any} */ (globalThis).webkitAudioContext;
    if (!AC) return;
    try {
      if (!this.ctx) this.ctx = new AC();
      const source = this.ctx.createMediaStreamSource(new MediaStream([track]));
      const analyser = this.ctx.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      this.watched.set(id, { source, analyser, track, speaking: false, lastLoud: 0, buf: new Float32Array(new ArrayBuffer(analyser.fftSize * 4)) });
      if (!this.timer) this.timer = setInterval(() => this._poll(), POLL_MS);
    } catch (err) {
      console.debug('moim: no speaking detection', err);
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
    if (!this.watched.size && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  _poll() {
    const now = performance.now();
    for (const [id, w] of this.watched) {
      let level = 0;
      if (w.track.enabled && w.track.readyState === 'live') {
        w.analyser.getFloatTimeDomainData(w.buf);
        let sum = 0;
        for (let i = 0; i < w.buf.length; i += 1) sum += w.buf[i] * w.buf[i];
        level = Math.sqrt(sum / w.buf.length);
      }
      if (level > SPEAKING_LEVEL) w.lastLoud = now;
      const speaking = now - w.lastLoud < HANGOVER_MS;
      if (speaking !== w.speaking) {
        w.speaking = speaking;
        this.emit('speaking', id, speaking);
      }
    }
  }
}
