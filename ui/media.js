// The local camera and microphone: getUserMedia, device lists, switching devices (the mesh
// then calls RTCRtpSender.replaceTrack, no renegotiation), mute (track.enabled = false).
// No DOM here.
//
// Events:
//   'stream'  (MediaStream)               the local stream (same object; its tracks changed)
//   'track'   ('audio'|'video', track|null) the track of a kind was replaced or removed
//   'devices' ({cams, mics, speakers})    the device lists changed
//   'problem' ({kind, code, message})     a device could not be opened

import { Emitter } from './emitter.js';
import { t } from './i18n.js';

/** Capture size: 720p is the most any peer receives (see the budget in mesh.js). */
export const VIDEO_CONSTRAINTS = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30, max: 30 },
};
export const AUDIO_CONSTRAINTS = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/** @typedef {'audio'|'video'} Kind */
/** @typedef {{deviceId: string, label: string}} Device */

/** @param {Kind|'both'} kind */
function deviceWord(kind) {
  return t(kind === 'audio' ? 'first.media.mic' : kind === 'video' ? 'first.media.camera' : 'first.media.both');
}

/**
 * What went wrong with a getUserMedia call, as a code.
 * @param {any} err
 * @returns {'denied'|'absent'|'busy'|'insecure'|'error'}
 */
export function mediaErrorCode(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return 'denied';
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') return 'absent';
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return 'busy';
  if (name === 'insecure') return 'insecure';
  return 'error';
}

/**
 * A sentence a person understands for a getUserMedia failure (without the "you can still
 * join" that `mergeProblems` adds once).
 * @param {Kind|'both'} kind
 * @param {any} err
 * @returns {{code: string, message: string}}
 */
export function describeMediaError(kind, err) {
  const code = mediaErrorCode(err);
  return { code, message: describeCode(kind, code, code === 'error' ? String((err && err.name) || err) : '') };
}

/**
 * @param {Kind|'both'} kind
 * @param {string} code
 * @param {string} [detail]
 */
function describeCode(kind, code, detail = '') {
  return t(`first.media.${code}`, { what: deviceWord(kind), detail });
}

/**
 * One message for every device problem at once: the same problem of both kinds said once,
 * each sentence once, "you can still join" once at the end.
 * @param {{code: string, message: string, kind: Kind|'both'}[]} problems
 */
export function mergeProblems(problems) {
  if (!problems.length) return '';
  const codes = new Set(problems.map((p) => p.code));
  const kinds = new Set(problems.map((p) => p.kind));
  const one = codes.size === 1 && (kinds.size > 1 || kinds.has('both')) && problems[0].code !== 'error';
  const sentences = one ? [describeCode('both', problems[0].code)] : [...new Set(problems.map((p) => p.message))];
  return `${sentences.join(' ')} ${t('first.media.still')}`;
}

/**
 * A word or two for beside a device's box ('' when nothing is wrong).
 * @param {string} code
 */
export function reasonWord(code) {
  return code ? t(`first.media.why.${code in { denied: 1, absent: 1, busy: 1, insecure: 1, ended: 1 } ? code : 'error'}`) : '';
}

/**
 * The word beside each device's box for the problems met ('' where there was none).
 * @param {{code: string, kind: Kind|'both'}[]} problems
 * @returns {{audio: string, video: string}}
 */
export function problemReasons(problems) {
  const of = (/** @type {Kind} */ kind) => problems.find((p) => p.kind === kind || p.kind === 'both');
  return { audio: reasonWord(of('audio')?.code || ''), video: reasonWord(of('video')?.code || '') };
}

export class Media extends Emitter {
  constructor() {
    super();
    this.stream = new MediaStream();
    /** @type {{audio: MediaStreamTrack|null, video: MediaStreamTrack|null}} */
    this.tracks = { audio: null, video: null };
    /** whether the person wants each kind on (mute / camera off keep the track, disabled) */
    this.enabled = { audio: true, video: true };
    /** @type {{cams: Device[], mics: Device[], speakers: Device[]}} */
    this.devices = { cams: [], mics: [], speakers: [] };
    /** @type {{audio: string, video: string}} preferred device ids ('' = default) */
    this.preferred = { audio: '', video: '' };
    this.available = !!(typeof navigator !== 'undefined' && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
    if (this.available) {
      navigator.mediaDevices.addEventListener('devicechange', () => this.refreshDevices());
    }
  }

  /** Whether a kind is being sent: there is a track and it is enabled. @param {Kind} kind */
  isOn(kind) {
    const t = this.tracks[kind];
    return !!(t && t.readyState === 'live' && t.enabled);
  }

  /**
   * Open the wanted devices. Failures of one kind do not prevent the other.
   * @param {{audio: boolean, video: boolean}} want
   * @returns {Promise<{code: string, message: string, kind: Kind|'both'}[]>} the problems met
   */
  async start(want) {
    /** @type {{code: string, message: string, kind: Kind|'both'}[]} */
    const problems = [];
    for (const kind of /** @type {Kind[]} */ (['audio', 'video'])) {
      if (!want[kind]) this._setTrack(kind, null);
    }
    const need = /** @type {Kind[]} */ (['audio', 'video']).filter((k) => want[k] && !this._live(k));
    if (!need.length) {
      await this.refreshDevices();
      return problems;
    }
    if (!this.available) {
      problems.push({ ...describeMediaError('both', { name: 'insecure' }), kind: 'both' });
      return problems;
    }
    // one request for both (one permission prompt); on failure, each kind alone
    try {
      const s = await navigator.mediaDevices.getUserMedia(this._constraints(need));
      for (const kind of need) this._setTrack(kind, s.getTracks().find((t) => t.kind === kind) || null);
    } catch (err) {
      if (need.length === 1) {
        problems.push({ ...describeMediaError(need[0], err), kind: need[0] });
      } else {
        for (const kind of need) {
          try {
            const s = await navigator.mediaDevices.getUserMedia(this._constraints([kind]));
            this._setTrack(kind, s.getTracks()[0] || null);
          } catch (err2) {
            problems.push({ ...describeMediaError(kind, err2), kind });
          }
        }
      }
    }
    await this.refreshDevices();
    for (const p of problems) this.emit('problem', p);
    return problems;
  }

  /**
   * Switch to another camera or microphone. The new track replaces the old one everywhere
   * (the mesh listens to 'track'); on failure the old one is kept.
   * @param {Kind} kind
   * @param {string} deviceId
   */
  async switchDevice(kind, deviceId) {
    this.preferred[kind] = deviceId;
    const old = this.tracks[kind];
    if (!old || !this.available) return null;
    if (old.getSettings().deviceId === deviceId) return null;
    let track = null;
    try {
      track = (await navigator.mediaDevices.getUserMedia(this._constraints([kind]))).getTracks()[0];
    } catch (err) {
      // some systems cannot open two cameras at once: free the old one and try again
      if (kind === 'video' && err instanceof Error && err.name === 'NotReadableError') {
        old.stop();
        try {
          track = (await navigator.mediaDevices.getUserMedia(this._constraints([kind]))).getTracks()[0];
        } catch (err2) {
          this._setTrack(kind, null);
          const p = { ...describeMediaError(kind, err2), kind };
          this.emit('problem', p);
          return p;
        }
      } else {
        const p = { ...describeMediaError(kind, err), kind };
        this.emit('problem', p);
        return p;
      }
    }
    this._setTrack(kind, track || null);
    return null;
  }

  /**
   * Mute/unmute or camera off/on. Turning a kind on that has no track yet opens the device.
   * @param {Kind} kind
   * @param {boolean} on
   */
  async setEnabled(kind, on) {
    this.enabled[kind] = on;
    if (on && !this._live(kind)) {
      const problems = await this.start({ audio: kind === 'audio' || this._live('audio'), video: kind === 'video' || this._live('video') });
      if (problems.length) {
        this.enabled[kind] = false;
        return problems[0];
      }
    }
    const t = this.tracks[kind];
    if (t) t.enabled = this.enabled[kind];
    return null;
  }

  /** Stop every track (leaving the app). */
  stop() {
    for (const kind of /** @type {Kind[]} */ (['audio', 'video'])) this._setTrack(kind, null);
  }

  async refreshDevices() {
    if (!this.available || !navigator.mediaDevices.enumerateDevices) return this.devices;
    try {
      const list = await navigator.mediaDevices.enumerateDevices();
      const of = (/** @type {string} */ kind, /** @type {string} */ key) =>
        list
          .filter((d) => d.kind === kind && d.deviceId)
          .map((d, i) => ({ deviceId: d.deviceId, label: d.label || t(key, { n: i + 1 }) }));
      this.devices = {
        cams: of('videoinput', 'first.media.nthCamera'),
        mics: of('audioinput', 'first.media.nthMic'),
        // a speaker can be picked only where the page can route its sound (setSinkId)
        speakers: 'setSinkId' in HTMLMediaElement.prototype ? of('audiooutput', 'first.media.nthSpeaker') : [],
      };
      this.emit('devices', this.devices);
    } catch (err) {
      console.warn('moim: enumerateDevices failed', err);
    }
    return this.devices;
  }

  /** The device id in use for a kind, or the preferred one. @param {Kind} kind */
  currentDevice(kind) {
    const t = this.tracks[kind];
    return (t && t.getSettings().deviceId) || this.preferred[kind] || '';
  }

  /** @param {Kind} kind */
  _live(kind) {
    const t = this.tracks[kind];
    return !!(t && t.readyState === 'live');
  }

  /** @param {Kind[]} kinds */
  _constraints(kinds) {
    /** @type {MediaStreamConstraints} */
    const c = {};
    if (kinds.includes('audio')) {
      c.audio = this.preferred.audio
        ? { ...AUDIO_CONSTRAINTS, deviceId: { exact: this.preferred.audio } }
        : { ...AUDIO_CONSTRAINTS };
    }
    if (kinds.includes('video')) {
      c.video = this.preferred.video
        ? { ...VIDEO_CONSTRAINTS, deviceId: { exact: this.preferred.video } }
        : { ...VIDEO_CONSTRAINTS };
    }
    return c;
  }

  /**
   * @param {Kind} kind
   * @param {MediaStreamTrack|null} track
   */
  _setTrack(kind, track) {
    const old = this.tracks[kind];
    if (old === track) return;
    if (old) {
      old.onended = null;
      old.stop();
      this.stream.removeTrack(old);
    }
    this.tracks[kind] = track;
    if (track) {
      track.enabled = this.enabled[kind];
      this.stream.addTrack(track);
      // a device unplugged mid-call
      track.onended = () => {
        if (this.tracks[kind] === track) {
          this._setTrack(kind, null);
          this.emit('problem', { kind, code: 'ended', message: t('first.media.ended', { what: deviceWord(kind) }) });
        }
      };
    }
    this.emit('track', kind, track);
    this.emit('stream', this.stream);
  }
}
