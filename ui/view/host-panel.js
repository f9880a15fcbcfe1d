// The desktop app's host panel (loaded only inside the moim app, by its window's init script;
// browsers never load it). It shows this host's addresses and port, every meeting with who is
// in it, who knocks at its door (Admit / Turn away, answered by the host itself: `answer_knock`),
// each meeting's join link and QR code, and Quit. It also reports what this webview can
// do (detected here, never assumed) and, where the webview cannot make calls (no
// RTCPeerConnection, as in Debian's and Ubuntu's WebKitGTK), hands the meeting to the system
// browser while this window stays the host. Talks to the app over Tauri IPC only; reads the
// page's DOM only for the display name the lobby already keeps. Its words, and the tray menu's
// (which the app builds in Rust: `set_tray_labels` hands it the catalogue's `tray.*` entries,
// the knock's sentence as a template the app fills in, Korean particle and all), come from the
// message catalogues, in the page's language; a switch of language redraws both. The app
// announces each knock with a desktop notification in those words too.

import { SETTINGS, load } from '../settings.js';
import { copyText } from './invite.js';
import { joinLink } from '../room-id.js';
import { certificateCode } from '../short-code.js';
import { CATALOGUES, FALLBACK, language, onLanguage, t } from '../i18n.js';

/**
 * @typedef {{id: string, name: string, audio: boolean, video: boolean}} Member
 * @typedef {{id: string, name: string, peers: number, capacity: number, locked: boolean, listed?: boolean, members: Member[], waiting?: Member[]}} RoomDetail
 * @typedef {{name: string, version: string, port: number, page: string, urls: string[], join_base: string, fingerprint: string|null, rooms: RoomDetail[]}} HostState
 * @typedef {{getUserMedia: boolean, RTCPeerConnection: boolean, platform: string, userAgent: string}} WebviewCaps
 * @typedef {{type: 'open'|'no-webrtc', url: string}} ShellRequest
 */

const tauri = /** @type {any} */ (window).__TAURI__;
const shell = /** @type {{queue: ShellRequest[], handler: ((r: ShellRequest) => void)|null}} */ (
  /** @type {any} */ (window).__moimShell || { queue: [], handler: null }
);
const ROOM_IN_PATH = /\/j\/([0-9a-z-]{19})(?:[/?#]|$)/;

/** @param {string} cmd @param {object} [args] */
function invoke(cmd, args) {
  return tauri.core.invoke(cmd, args);
}

/** What this webview can do, detected now. @returns {WebviewCaps} */
export function detectCapabilities() {
  const md = navigator.mediaDevices;
  return {
    getUserMedia: !!md && typeof md.getUserMedia === 'function',
    RTCPeerConnection: typeof RTCPeerConnection !== 'undefined',
    platform: navigator.platform || '',
    userAgent: navigator.userAgent,
  };
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node|string)[]} [children]
 */
function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

/** The display name the lobby keeps (input first, then what it saved). */
function displayName() {
  const input = /** @type {HTMLInputElement|null} */ (document.getElementById('name'));
  return ((input && input.value) || load(SETTINGS.name)).trim();
}

class HostPanel {
  constructor() {
    /** @type {HostState|null} */
    this.state = null;
    this.caps = detectCapabilities();
    /** @type {{room: string, url: string}[]} */
    this.handoffs = [];
    /** @type {Set<string>} rooms already handed to the browser on this page */
    this.handedOff = new Set();
    this.quitArmed = /** @type {ReturnType<typeof setTimeout>|null} */ (null);

    this.root = el('aside', { id: 'host-panel', 'aria-labelledby': 'hp-title' });
    this.toggle = el('button', { type: 'button', id: 'hp-toggle', 'aria-expanded': 'true' });
    this.head = el('div', { class: 'hp-head' });
    this.note = el('p', { id: 'hp-webrtc-note', class: 'hp-note', hidden: '' });
    this.handoffNote = el('p', { id: 'hp-handoff', class: 'hp-muted', hidden: '' });
    this.addresses = el('ul', { id: 'hp-addresses', class: 'hp-addresses' });
    this.rooms = el('ul', { id: 'hp-rooms', class: 'hp-rooms' });
    this.empty = el('p', { id: 'hp-empty', class: 'hp-muted' });
    this.quit = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', id: 'hp-quit', class: 'hp-danger' }));
    this.title = el('h2', { id: 'hp-title' });
    this.addressesTitle = el('h3');
    this.roomsTitle = el('h3');
    /** @type {string} the hand-off note's catalogue key, '' for none or an error of the app's */
    this.handoffKey = '';
    this.root.append(
      el('header', {}, [this.title, this.toggle]),
      this.head,
      this.note,
      this.handoffNote,
      this.addressesTitle,
      this.addresses,
      this.roomsTitle,
      this.rooms,
      this.empty,
      el('div', { class: 'hp-foot' }, [this.quit]),
    );
    this.toggle.addEventListener('click', () => {
      const collapsed = document.body.classList.toggle('hp-collapsed');
      this.toggle.setAttribute('aria-expanded', String(!collapsed));
    });
    this.quit.addEventListener('click', () => this.onQuit());
    this.words();
    onLanguage(() => {
      this.words();
      if (this.state) this.render(this.state);
      this.sendTrayLabels();
    });
  }

  /** The panel's fixed words, in the language in use. */
  words() {
    this.title.textContent = t('host.panel');
    this.toggle.textContent = t('host.toggle');
    this.toggle.title = t('host.toggleTitle');
    this.addressesTitle.textContent = t('host.addresses');
    this.roomsTitle.textContent = t('host.meetings');
    this.empty.textContent = t('host.empty');
    this.quit.textContent = t(this.quitArmed ? 'host.quitArmed' : 'host.quit');
    this.note.textContent = t('host.noWebRTC');
    if (this.handoffKey) this.handoffNote.textContent = t(this.handoffKey);
  }

  /**
   * Hand the app the tray menu's words (the tray is built in Rust, which has no catalogue):
   * fixed labels, and each counted label's plural forms with `{count}` left in.
   */
  sendTrayLabels() {
    const cat = CATALOGUES[language()];
    /** @param {string} key */
    const forms = (key) => {
      const entry = cat[key] ?? CATALOGUES[FALLBACK][key];
      return typeof entry === 'string' ? { other: entry } : entry;
    };
    const labels = {
      none: t('tray.none'),
      show: t('tray.show'),
      quit: t('tray.quit'),
      tooltip_none: t('tray.tooltipNone'),
      tooltip: forms('tray.tooltip'),
      people: forms('tray.people'),
      knock: String(cat['tray.knock'] ?? CATALOGUES[FALLBACK]['tray.knock']),
      knock_hint: t('tray.knockHint'),
      admit: t('host.admit'),
      turn_away: t('host.turnAway'),
    };
    invoke('set_tray_labels', { labels }).catch((/** @type {unknown} */ e) => console.warn('moim: tray labels', e));
  }

  mount() {
    const css = el('link', { rel: 'stylesheet', href: '/view/host-panel.css' });
    document.head.append(css);
    document.body.append(this.root);
    document.body.classList.add('has-host-panel');
    if (!this.caps.RTCPeerConnection) this.note.hidden = false;
  }

  /** @param {HostState} state */
  render(state) {
    this.state = state;
    this.head.replaceChildren(
      el('p', {}, [el('strong', { text: state.name }), ` · ${t('host.port', { port: state.port })}`]),
    );
    this.addresses.replaceChildren(
      ...state.urls.map((u) => el('li', {}, [el('code', { text: u })])),
    );
    this.empty.hidden = state.rooms.length > 0;
    this.rooms.replaceChildren(...state.rooms.map((r) => this.roomItem(r, state)));
  }

  /** @param {RoomDetail} room @param {HostState} state */
  roomItem(room, state) {
    const link = joinLink(state.join_base, room.id, '', certificateCode(state.fingerprint || ''));
    const members = el(
      'ul',
      { class: 'hp-members' },
      room.members.map((m) =>
        el('li', { class: 'hp-member', 'data-peer-id': m.id }, [
          m.name,
          el('span', { class: 'hp-media', text: `${m.audio ? '' : ` · ${t('host.muted')}`}${m.video ? '' : ` · ${t('host.noCamera')}`}` }),
        ]),
      ),
    );
    const knocks = this.knocks(room);
    const input = /** @type {HTMLInputElement} */ (el('input', { class: 'hp-link', readonly: '', value: link, 'aria-label': t('host.joinLink') }));
    input.addEventListener('focus', () => input.select());
    const copy = el('button', { type: 'button', class: 'hp-copy', text: t('host.copy') });
    copy.addEventListener('click', () => this.copy(link, copy));
    const open = el('button', { type: 'button', class: 'hp-open', text: t('host.open') });
    open.addEventListener('click', () => this.handOff(room.id, true));
    const qr = el('img', {
      class: 'hp-qr',
      alt: t('host.qrAlt', { name: room.name }),
      src: `/api/qr.svg?text=${encodeURIComponent(link)}`,
      width: '160',
      height: '160',
    });
    return el('li', { class: 'hp-room', 'data-room-id': room.id }, [
      el('div', { class: 'hp-room-head' }, [
        el('strong', { class: 'hp-room-name', text: room.name }),
        el('span', { class: 'hp-muted', text: `${room.locked ? '🔒 ' : ''}${room.members.length}/${room.capacity}`, title: room.locked ? t('host.locked') : '' }),
      ]),
      members,
      knocks,
      el('div', { class: 'hp-row' }, [input]),
      el('div', { class: 'hp-row' }, [copy, open]),
      qr,
    ]);
  }

  /**
   * Who waits at the door of `room`, each with Admit and Turn away (an empty list when nobody).
   * @param {RoomDetail} room
   */
  knocks(room) {
    const waiting = room.waiting || [];
    const list = el('ul', { class: 'hp-knocks', 'aria-label': t('host.knocking') });
    list.hidden = waiting.length === 0;
    for (const w of waiting) {
      const admit = el('button', { type: 'button', class: 'hp-admit', text: t('host.admit') });
      admit.addEventListener('click', () => this.answer(room.id, w.id, true));
      const away = el('button', { type: 'button', class: 'hp-turn-away', text: t('host.turnAway') });
      away.addEventListener('click', () => this.answer(room.id, w.id, false));
      list.append(el('li', { class: 'hp-knock', 'data-peer-id': w.id }, [el('span', { text: t('host.knock', { name: w.name }) }), admit, away]));
    }
    return list;
  }

  /**
   * Let `peer` into `room`, or turn it away; the host state that follows redraws the list.
   * @param {string} room @param {string} peer @param {boolean} admit
   */
  answer(room, peer, admit) {
    invoke('answer_knock', { room, peer, admit }).catch((/** @type {{code?: string}} */ e) => {
      this.handoffKey = '';
      this.handoffNote.textContent = e && e.code === 'room-full' ? t('host.knockFull') : t('host.knockGone');
      this.handoffNote.hidden = false;
    });
  }

  /** @param {string} text @param {HTMLElement} button */
  async copy(text, button) {
    const ok = await copyText(text);
    button.textContent = t(ok ? 'host.copied' : 'host.copyFailed');
    setTimeout(() => (button.textContent = t('host.copy')), 2000);
  }

  /**
   * Open meeting `room` in the system browser (once per page unless asked again by a click).
   * @param {string} room
   * @param {boolean} again
   */
  async handOff(room, again) {
    if (!again && this.handedOff.has(room)) return;
    this.handedOff.add(room);
    try {
      const url = /** @type {string} */ (await invoke('open_in_browser', { room, name: displayName() || null }));
      this.handoffs.push({ room, url });
      this.handoffKey = 'host.handedOff';
      this.handoffNote.textContent = t('host.handedOff');
      this.handoffNote.hidden = false;
    } catch (err) {
      // the app answers {code, url}: a sentence of ours, not one of its own
      const e = /** @type {{code?: string, url?: string}} */ (err || {});
      this.handoffKey = '';
      this.handoffNote.textContent = e.code === 'no-browser' ? t('host.noBrowser', { url: e.url || '' }) : t('host.notARoom');
      this.handoffNote.hidden = false;
    }
  }

  /**
   * A request from the page (queued by the init script): the banner's "open in the system
   * browser" (always honoured), or `moim:no-webrtc` for a meeting of this host, which hands the
   * call to the browser once if this webview cannot make it.
   * @param {ShellRequest} req
   */
  async onRequest(req) {
    const m = ROOM_IN_PATH.exec(new URL(req.url || '/', location.origin).pathname);
    if (!m) return;
    if (req.type === 'open') return this.handOff(m[1], true);
    if (this.caps.RTCPeerConnection) return;
    if (!this.state || !this.state.rooms.some((r) => r.id === m[1])) {
      this.render(await invoke('host_state')); // the room may be seconds old
    }
    if (this.state && this.state.rooms.some((r) => r.id === m[1])) this.handOff(m[1], false);
  }

  onQuit() {
    if (!this.quitArmed) {
      this.quitArmed = setTimeout(() => {
        this.quitArmed = null;
        this.quit.textContent = t('host.quit');
      }, 4000);
      this.quit.textContent = t('host.quitArmed');
      return;
    }
    this.quit.disabled = true;
    invoke('quit');
  }
}

async function start() {
  if (!tauri || !tauri.core) return; // not inside the app
  const panel = new HostPanel();
  /** @type {any} */ (window).moimShell = panel;
  panel.mount();
  panel.sendTrayLabels();
  invoke('report_capabilities', { detected: panel.caps }).catch((/** @type {unknown} */ e) => console.warn('moim:', e));
  await tauri.event.listen('host-state', (/** @type {{payload: HostState}} */ e) => panel.render(e.payload));
  panel.render(await invoke('host_state'));
  shell.handler = (r) => panel.onRequest(r);
  for (const r of shell.queue.splice(0)) panel.onRequest(r);
}

start().catch((e) => console.error('moim: host panel', e));
