// The desktop app's host panel (loaded only inside the moim app, by its window's init script;
// browsers never load it). It shows this host's addresses and port, every meeting with who is
// in it, each meeting's join link and QR code, and Quit. It also reports what this webview can
// do (detected here, never assumed) and, where the webview cannot make calls (no
// RTCPeerConnection, as in Debian's and Ubuntu's WebKitGTK), hands the meeting to the system
// browser while this window stays the host. Talks to the app over Tauri IPC only; reads the
// page's DOM only for the display name the lobby already keeps.

import { SETTINGS, load } from '../settings.js';
import { copyText } from './invite.js';

/**
 * @typedef {{id: string, name: string, audio: boolean, video: boolean}} Member
 * @typedef {{id: string, name: string, peers: number, capacity: number, locked: boolean, listed?: boolean, members: Member[]}} RoomDetail
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

    this.root = el('aside', { id: 'host-panel', 'aria-label': 'This host' });
    this.toggle = el('button', { type: 'button', id: 'hp-toggle', title: 'Show or hide the host panel', text: 'Host' });
    this.head = el('div', { class: 'hp-head' });
    this.note = el('p', { id: 'hp-webrtc-note', class: 'hp-note', hidden: '' });
    this.handoffNote = el('p', { id: 'hp-handoff', class: 'hp-muted', hidden: '' });
    this.addresses = el('ul', { id: 'hp-addresses', class: 'hp-addresses' });
    this.rooms = el('ul', { id: 'hp-rooms', class: 'hp-rooms' });
    this.empty = el('p', { id: 'hp-empty', class: 'hp-muted', text: 'No meetings yet. Create one, then share its link or QR code.' });
    this.quit = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', id: 'hp-quit', class: 'hp-danger', text: 'Quit moim' }));
    this.root.append(
      el('header', {}, [el('h2', { text: 'This host' }), this.toggle]),
      this.head,
      this.note,
      this.handoffNote,
      el('h3', { text: 'Addresses' }),
      this.addresses,
      el('h3', { text: 'Meetings' }),
      this.rooms,
      this.empty,
      el('div', { class: 'hp-foot' }, [this.quit]),
    );
    this.toggle.addEventListener('click', () => document.body.classList.toggle('hp-collapsed'));
    this.quit.addEventListener('click', () => this.onQuit());
  }

  mount() {
    const css = el('link', { rel: 'stylesheet', href: '/view/host-panel.css' });
    document.head.append(css);
    document.body.append(this.root);
    document.body.classList.add('has-host-panel');
    if (!this.caps.RTCPeerConnection) {
      this.note.textContent =
        'This window’s web engine has no WebRTC, so your calls open in your web browser; this window stays the host.';
      this.note.hidden = false;
    }
  }

  /** @param {HostState} state */
  render(state) {
    this.state = state;
    this.head.replaceChildren(
      el('p', {}, [el('strong', { text: state.name }), ` · port ${state.port}`]),
    );
    this.addresses.replaceChildren(
      ...state.urls.map((u) => el('li', {}, [el('code', { text: u })])),
    );
    this.empty.hidden = state.rooms.length > 0;
    this.rooms.replaceChildren(...state.rooms.map((r) => this.roomItem(r, state)));
  }

  /** @param {RoomDetail} room @param {HostState} state */
  roomItem(room, state) {
    const fp = state.fingerprint ? `#fp=${encodeURIComponent(state.fingerprint)}` : '';
    const link = `${state.join_base.replace(/\/+$/, '')}/j/${room.id}${fp}`;
    const members = el(
      'ul',
      { class: 'hp-members' },
      room.members.map((m) =>
        el('li', { class: 'hp-member', 'data-peer-id': m.id }, [
          m.name,
          el('span', { class: 'hp-media', text: `${m.audio ? '' : ' · muted'}${m.video ? '' : ' · no camera'}` }),
        ]),
      ),
    );
    const input = /** @type {HTMLInputElement} */ (el('input', { class: 'hp-link', readonly: '', value: link, 'aria-label': 'Join link' }));
    input.addEventListener('focus', () => input.select());
    const copy = el('button', { type: 'button', class: 'hp-copy', text: 'Copy link' });
    copy.addEventListener('click', () => this.copy(link, copy));
    const open = el('button', { type: 'button', class: 'hp-open', text: 'Open in browser' });
    open.addEventListener('click', () => this.handOff(room.id, true));
    const qr = el('img', {
      class: 'hp-qr',
      alt: `QR code of the join link of ${room.name}`,
      src: `/api/qr.svg?text=${encodeURIComponent(link)}`,
      width: '160',
      height: '160',
    });
    return el('li', { class: 'hp-room', 'data-room-id': room.id }, [
      el('div', { class: 'hp-room-head' }, [
        el('strong', { class: 'hp-room-name', text: room.name }),
        el('span', { class: 'hp-muted', text: `${room.locked ? '🔒 ' : ''}${room.members.length}/${room.capacity}` }),
      ]),
      members,
      el('div', { class: 'hp-row' }, [input]),
      el('div', { class: 'hp-row' }, [copy, open]),
      qr,
    ]);
  }

  /** @param {string} text @param {HTMLElement} button */
  async copy(text, button) {
    const ok = await copyText(text);
    button.textContent = ok ? 'Copied' : 'Select and copy';
    setTimeout(() => (button.textContent = 'Copy link'), 2000);
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
      this.handoffNote.textContent = 'The meeting opened in your web browser.';
      this.handoffNote.hidden = false;
    } catch (err) {
      this.handoffNote.textContent = String(err);
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
      this.quit.textContent = 'Click again: ends every meeting';
      this.quitArmed = setTimeout(() => {
        this.quitArmed = null;
        this.quit.textContent = 'Quit moim';
      }, 4000);
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
  invoke('report_capabilities', { detected: panel.caps }).catch((/** @type {unknown} */ e) => console.warn('moim:', e));
  await tauri.event.listen('host-state', (/** @type {{payload: HostState}} */ e) => panel.render(e.payload));
  panel.render(await invoke('host_state'));
  shell.handler = (r) => panel.onRequest(r);
  for (const r of shell.queue.splice(0)) panel.onRequest(r);
}

start().catch((e) => console.error('moim: host panel', e));
