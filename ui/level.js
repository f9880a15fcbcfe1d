// The microphone's loudness for the level meter (pre-join page and devices menu): a WebAudio
// analyser on the local audio track (in the page's shared context, audio.js), read ten times
// a second while there is one. No DOM.
//
// Events:
//   'level'  (level: number)   0 (silence) to 1 (loud)

import { holdAudio, releaseAudio, unlockAudio } from './audio.js';
import { Emitter } from './emitter.js';

export class LevelMeter extends Emitter {
  constructor() {
    super();
    /** @type {{track: MediaStreamTrack, source: MediaStreamAudioSourceNode, analyser: AnalyserNode}|null} */
    this.src = null;
    /** @type {ReturnType<typeof setInterval>|null} */
    this.timer = null;
  }

  /**
   * Follow the audio track of `stream` (none: stop).
   * @param {MediaStream} stream
   */
  watch(stream) {
    const track = stream.getAudioTracks().find((t) => t.readyState === 'live') || null;
    if (this.src && this.src.track === track) return;
    this._stop();
    const ctx = track && holdAudio(this);
    if (!ctx) return;
    const source = ctx.createMediaStreamSource(new MediaStream([track]));
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    this.src = { track, source, analyser };
    const data = new Float32Array(analyser.fftSize);
    this.timer = setInterval(() => {
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const x of data) sum += x * x;
      const rms = Math.sqrt(sum / data.length);
      // about -60 dBFS reads as nothing, -10 dBFS as full
      const db = 20 * Math.log10(rms || 1e-8);
      this.emit('level', track.enabled ? Math.max(0, Math.min(1, (db + 60) / 50)) : 0);
    }, 100);
  }

  /** A person's gesture: the browser lets the audio context run now. */
  resume() {
    unlockAudio();
  }

  _stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.src) this.src.source.disconnect();
    this.src = null;
    releaseAudio(this);
    this.emit('level', 0);
  }
}
