// Recording the meeting on this machine: the stage as this person sees it, drawn into a canvas
// FPS times a second (`canvas.captureStream`), and everyone's audio mixed by WebAudio (a
// `MediaStreamAudioDestinationNode` fed by every remote audio track and my microphone), into one
// WebM file (MediaRecorder, VP8 or VP9 + Opus). The file is written to the Origin Private File
// System as it grows (file-store.js), so an hour of meeting does not sit in memory, and offered
// for download when the recording stops. No DOM of its own: what the stage shows comes from the
// `tiles` callback; the canvas is never in the document.
//
// MediaRecorder writes WebM without a duration header (it streams); players play it, and the
// tests measure the duration from the packets' timestamps (ffprobe).
//
// Events: 'state' (recording: boolean), 'done' ({file: File, seconds: number}), 'error' (Error)

import { Emitter } from './emitter.js';
import { randomId } from './peer.js';
import { openSink, removeStored } from './file-store.js';

/** Canvas frames per second. */
export const FPS = 15;
/** The recording's largest width (its height follows the stage's shape). */
export const MAX_WIDTH = 1280;
/** MediaRecorder hands over a piece this often (ms): what a crash can lose. */
export const SLICE_MS = 1000;

/**
 * A tile as the stage shows it, in CSS pixels relative to the stage's top left corner.
 * @typedef {{video: HTMLVideoElement|null, x: number, y: number, w: number, h: number, name: string}} TileShot
 * @typedef {{width: number, height: number, tiles: TileShot[]}} StageShot
 */

/** The best WebM type this browser records. */
export function recordingType() {
  if (typeof MediaRecorder === 'undefined') return null;
  for (const type of ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm']) {
    if (MediaRecorder.isTypeSupported(type)) return type;
  }
  return null;
}

export class Recorder extends Emitter {
  /** @param {{stage: () => StageShot}} opts */
  constructor({ stage }) {
    super();
    this.stage = stage;
    this.available = !!recordingType() && typeof HTMLCanvasElement.prototype.captureStream === 'function';
    /** @type {MediaRecorder|null} */
    this.rec = null;
    /** @type {AudioContext|null} */
    this.ctx = null;
    /** @type {MediaStreamAudioDestinationNode|null} */
    this.dest = null;
    /** @type {Map<string, MediaStreamAudioSourceNode>} by track id */
    this.sources = new Map();
    /** @type {ReturnType<typeof setInterval>|null} */
    this.timer = null;
    /**
     * when recording was asked to start and to stop (performance.now()): the span the file's
     * packets cover. Not MediaRecorder's onstart/onstop, which a busy page hears late: the
     * recording was already running (or already over) by then.
     */
    this.startedAt = 0;
    this.stoppedAt = 0;
    /** @type {File|null} the last recording (a test hook reads it) */
    this.last = null;
  }

  get recording() {
    return !!this.rec;
  }

  /**
   * Start recording, mixing the audio of `streams`.
   * @param {MediaStream[]} streams
   */
  async start(streams) {
    if (this.rec || !this.available) return;
    const shot = this.stage();
    const scale = Math.min(1, MAX_WIDTH / Math.max(1, shot.width));
    const canvas = document.createElement('canvas');
    // even sizes: VP8 and most players want them
    canvas.width = Math.max(2, Math.round((shot.width * scale) / 2) * 2);
    canvas.height = Math.max(2, Math.round((shot.height * scale) / 2) * 2);
    const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    this.ctx = new AudioContext();
    // started from a click, so allowed to run; a suspended context would record silence
    if (this.ctx.state === 'suspended') await this.ctx.resume().catch(() => {});
    this.dest = this.ctx.createMediaStreamDestination();
    this.setAudio(streams);
    const video = canvas.captureStream(FPS).getVideoTracks()[0];
    const stream = new MediaStream([video, ...this.dest.stream.getAudioTracks()]);
    const type = /** @type {string} */ (recordingType());
    this.name = `moim-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.webm`;
    this.entry = `rec-${randomId()}.webm`;
    const sink = await openSink(this.entry, 'video/webm');
    let writing = Promise.resolve();
    const rec = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 2_500_000, audioBitsPerSecond: 128_000 });
    this.rec = rec;
    rec.ondataavailable = (ev) => {
      if (ev.data.size) writing = writing.then(() => sink.write(ev.data));
    };
    rec.onstop = async () => {
      video.stop();
      for (const node of this.sources.values()) node.disconnect();
      this.sources.clear();
      this.ctx?.close();
      this.ctx = null;
      this.dest = null;
      this.emit('state', false);
      try {
        await writing;
        const raw = await sink.close();
        const file = new File([raw], /** @type {string} */ (this.name), { type: 'video/webm' });
        this.last = file;
        this.emit('done', { file, seconds: (this.stoppedAt - this.startedAt) / 1000 });
      } catch (err) {
        await sink.abort();
        this.emit('error', err);
      }
    };
    const draw = () => this._draw(g, canvas, scale);
    draw();
    this.timer = setInterval(draw, 1000 / FPS);
    const started = new Promise((resolve) => {
      rec.onstart = resolve;
    });
    rec.start(SLICE_MS);
    this.startedAt = performance.now();
    await started;
    this.emit('state', true);
  }

  /**
   * The voices to mix now (people came, went, or changed microphone).
   * @param {MediaStream[]} streams
   */
  setAudio(streams) {
    if (!this.ctx || !this.dest) return;
    const tracks = new Map();
    for (const s of streams) for (const t of s.getAudioTracks()) if (t.readyState === 'live') tracks.set(t.id, t);
    for (const [id, node] of this.sources) {
      if (tracks.has(id)) continue;
      node.disconnect();
      this.sources.delete(id);
    }
    for (const [id, track] of tracks) {
      if (this.sources.has(id)) continue;
      const node = this.ctx.createMediaStreamSource(new MediaStream([track]));
      node.connect(this.dest);
      this.sources.set(id, node);
    }
  }

  /** @param {CanvasRenderingContext2D} g @param {HTMLCanvasElement} canvas @param {number} scale */
  _draw(g, canvas, scale) {
    g.fillStyle = '#111';
    g.fillRect(0, 0, canvas.width, canvas.height);
    for (const t of this.stage().tiles) {
      const [x, y, w, h] = [t.x * scale, t.y * scale, t.w * scale, t.h * scale];
      g.fillStyle = '#2a2a2a';
      g.fillRect(x, y, w, h);
      const v = t.video;
      if (v && v.videoWidth && v.readyState >= 2) {
        // object-fit: cover, as the tile shows it
        const s = Math.max(w / v.videoWidth, h / v.videoHeight);
        const sw = w / s;
        const sh = h / s;
        g.drawImage(v, (v.videoWidth - sw) / 2, (v.videoHeight - sh) / 2, sw, sh, x, y, w, h);
      }
      g.fillStyle = '#fff';
      g.font = `${Math.max(10, Math.round(14 * scale))}px sans-serif`;
      g.fillText(t.name, x + 8 * scale, y + h - 10 * scale, w - 16 * scale);
    }
  }

  /** Stop: 'state' false when MediaRecorder has stopped, then the file in 'done'. */
  stop() {
    const rec = this.rec;
    if (!rec) return;
    this.rec = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    rec.stop(); // 'state' false once it has stopped (onstop)
    this.stoppedAt = performance.now();
  }

  /** Forget a finished recording's stored file. */
  async discard() {
    if (this.entry) await removeStored(this.entry);
  }
}
