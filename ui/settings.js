// What the page remembers between visits (localStorage), under one set of keys shared by the
// lobby wiring and the desktop host panel. No DOM. Storage may be off (private mode, a
// sandboxed webview): then nothing is remembered and nothing fails.

/** The localStorage keys. */
export const SETTINGS = {
  /** display name */
  name: 'moim.name',
  /** camera deviceId */
  cam: 'moim.camera',
  /** microphone deviceId */
  mic: 'moim.microphone',
  /** '0' to join without the camera */
  useCam: 'moim.useCamera',
  /** '0' to join without the microphone */
  useMic: 'moim.useMicrophone',
  /** the language the person chose ('' to follow the browser) */
  lang: 'moim.language',
  /** '1': a sound when someone joins or leaves the meeting */
  sound: 'moim.sound',
  /** the speaker's deviceId ('' = the default) */
  speaker: 'moim.speaker',
  /** '0' to keep my raised hand up while I speak (meeting) */
  handAutoLower: 'moim.handAutoLower',
};

/** @param {string} key @returns {string} '' when unset or storage is off */
export function load(key) {
  try {
    return localStorage.getItem(key) || '';
  } catch {
    return '';
  }
}

/**
 * @param {string} key
 * @param {string} value
 */
export function save(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* storage off */
  }
}
