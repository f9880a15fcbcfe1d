// Every sentence the page shows a person about something that went wrong (or needs them), in
// one place: the host's `error` codes and the page's own conditions, each with the banner code
// (`#banner[data-code]`) and level it goes out under. The words come from the message
// catalogues (`error.*` in ui/locales/), looked up when a notice's `text` is read, so a notice
// is in the language in use at the time it is shown. No DOM.

import { t } from './i18n.js';

/** @typedef {'error'|'warn'|'info'} Level */
/** @typedef {{code: string, text: string, level: Level, sticky?: boolean}} Notice */

/** Banner codes a successful join clears. */
export const CLEARED_ON_JOIN = ['wrong-passcode', 'no-such-room', 'room-full', 'bad-token', 'reconnecting', 'closing', 'error'];
/** Banner codes leaving a meeting clears. */
export const CLEARED_ON_LEAVE = ['reconnecting', 'closing', 'autoplay'];

/** The catalogue keys of the host's field names (`invalid-field`), for the catalogue check. */
export const FIELD_KEYS = /** @type {Record<string, string>} */ ({
  name: 'error.field.name',
  passcode: 'error.field.passcode',
  room: 'error.field.room',
});

/**
 * A notice whose text is looked up (with `params`) whenever it is read.
 * @param {string} code @param {Level} level @param {string} key
 * @param {Record<string, string|number>} [params] @param {boolean} [sticky]
 * @returns {Notice}
 */
function notice(code, level, key, params, sticky) {
  return {
    code,
    level,
    ...(sticky ? { sticky } : {}),
    get text() {
      return t(key, params);
    },
  };
}

/**
 * The sentence for a host's `error` frame, or null when it needs none (or something else
 * handles it: a passcode prompt, a rejoin, a signal for someone who just left).
 * @param {import('./protocol.js').ErrorMessage} msg
 * @param {{roomId?: string, capacity?: number}} ctx the pending room, the room's capacity
 * @returns {Notice|null}
 */
export function hostErrorNotice(msg, ctx) {
  const code = String(msg.code || 'error');
  switch (code) {
    case 'wrong-passcode':
    case 'already-in-room':
    case 'not-in-room':
    case 'unknown-peer':
      return null;
    case 'room-full': {
      const cap = typeof msg.capacity === 'number' ? msg.capacity : ctx.capacity;
      return cap === undefined
        ? notice(code, 'error', 'error.roomFullNoCount')
        : notice(code, 'error', 'error.roomFull', { count: cap });
    }
    case 'no-such-room':
      return ctx.roomId
        ? notice(code, 'error', 'error.noSuchRoom', { room: ctx.roomId })
        : notice(code, 'error', 'error.noSuchRoomNoId');
    case 'bad-token':
      return notice(code, 'error', 'error.badToken');
    case 'invalid-field': {
      // the host's own detail is English: the English sentence shows it, others need not
      const field = t(FIELD_KEYS[msg.field || ''] || 'error.field.other');
      return notice(code, 'error', 'error.invalidField', { field, detail: msg.message || t('error.notAccepted') });
    }
    case 'too-many-rooms':
      return notice(code, 'error', 'error.tooManyRooms');
    case 'rate-limited':
      return notice(code, 'warn', 'error.rateLimited');
    case 'try-later': {
      // a per-address budget of the host (rooms created, wrong passcodes, connections)
      const secs = typeof msg.retry_after_ms === 'number' ? Math.max(1, Math.ceil(msg.retry_after_ms / 1000)) : null;
      return secs ? notice(code, 'warn', 'error.tryLater', { count: secs }) : notice(code, 'warn', 'error.tryLaterNoTime');
    }
    // @room-control
    case 'not-allowed':
      return { code, level: 'warn', text: t('control.notAllowed') };
    case 'room-closed':
      return { code, level: 'error', text: t('control.roomClosed') };
    default:
      if (msg.message) console.warn('moim: the host refused a request:', code, msg.message);
      return notice('error', 'error', 'error.refused', { code });
  }
}

/** The passcode prompt. @param {boolean} again a passcode was given and is wrong */
export function passcodePrompt(again) {
  return t(again ? 'passcode.again' : 'passcode.prompt');
}

/** the passcode prompt was cancelled */
export const PASSCODE_NEEDED = notice('wrong-passcode', 'error', 'error.passcodeNeeded');

export const BAD_JOIN_INPUT = notice('no-such-room', 'error', 'error.badJoinInput');

/** @param {string} host `host:port` @returns {Notice} */
export function cannotReach(host) {
  return notice('reconnecting', 'error', 'error.cannotReach', { host }, true);
}

/** the socket dropped during a call */
export const LOST_IN_CALL = notice('reconnecting', 'warn', 'error.lostInCall', {}, true);

/** @param {boolean} inCall @returns {Notice} */
export function closing(inCall) {
  return notice('closing', 'warn', inCall ? 'error.closingInCall' : 'error.closing', {}, true);
}

export const AUTOPLAY = notice('autoplay', 'info', 'error.autoplay');

export const NO_WEBRTC = notice('no-webrtc', 'error', 'error.noWebRTC', {}, true);

/** @param {string[]} problems the media problems' sentences @returns {Notice} */
export function mediaDenied(problems) {
  return { code: 'media-denied', level: 'warn', text: problems.join(' ') };
}

/** @param {boolean} ok @param {string} url @returns {Notice} */
export function copied(ok, url) {
  return notice('copied', 'info', ok ? 'error.copied' : 'error.copyThis', { url });
}
