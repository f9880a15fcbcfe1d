// The files and recording controls (#files-tools in the control bar): "Send a file" with its
// popover (to whom, choose a file), the drop target over the meeting, the Record button, the
// "recording" indicator naming who records, and the transfers' and recordings' entries in the
// chat timeline (handed to the chat view, which places them in time order). DOM only.

import { byId, el, setWords } from './dom.js';
import { language, t } from '../i18n.js';

/** @typedef {import('../files.js').Transfer} Transfer */
/** @typedef {import('../recorder.js').StageShot} StageShot */

/**
 * "200 MB", in the page's language.
 * @param {number} bytes
 */
export function formatSize(bytes) {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'];
  let i = 0;
  let n = bytes;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return new Intl.NumberFormat(language(), { style: 'unit', unit: units[i], unitDisplay: 'short', maximumFractionDigits: i ? 1 : 0 }).format(n);
}

/** "1:05" @param {number} seconds */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** @param {string} d an SVG path */
function glyph(d) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', d);
  svg.append(path);
  return svg;
}

/**
 * What the stage shows now: its size and each visible tile's video and place (for the
 * recorder). Reads the meeting view's tiles, never changes them.
 * @returns {StageShot}
 */
export function stageShot() {
  const stage = byId('tiles');
  const box = stage.getBoundingClientRect();
  const tiles = [];
  for (const tile of stage.querySelectorAll('.tile')) {
    const r = tile.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(tile).visibility === 'hidden') continue;
    tiles.push({
      video: tile.querySelector('video'),
      x: r.left - box.left,
      y: r.top - box.top,
      w: r.width,
      h: r.height,
      name: tile.querySelector('.name')?.textContent || '',
    });
  }
  return { width: box.width || 1280, height: box.height || 720, tiles };
}

export class FilesView {
  /**
   * @param {object} h
   * @param {(files: File[], to: string|null) => void} h.onSend
   * @param {(id: string) => void} h.onCancel
   * @param {() => void} h.onRecord
   * @param {(node: HTMLElement, mine: boolean) => void} h.addEntry puts an entry in the chat timeline
   * @param {{files: boolean, recording: boolean}} h.available
   */
  constructor(h) {
    this.h = h;
    /** @type {Map<string, HTMLElement>} transfer entries by id */
    this.entries = new Map();
    /** @type {string[]} blob: URLs handed out (revoked on reset) */
    this.urls = [];
    const mount = byId('files-tools');
    this.input = /** @type {HTMLInputElement} */ (el('input', { type: 'file', id: 'file-input', multiple: true, hidden: true }));
    this.to = /** @type {HTMLSelectElement} */ (el('select', { id: 'file-to' }));
    this.pick = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', id: 'file-pick', className: 'primary', i18n: 'files.pick' }));
    this.popover = el(
      'div',
      { id: 'file-popover', className: 'popover', hidden: true },
      el('label', { className: 'field' }, t('files.to'), this.to),
      this.pick,
      el('p', { className: 'muted', i18n: 'files.drop-hint' }),
    );
    this.button = /** @type {HTMLButtonElement} */ (
      el('button', { type: 'button', id: 'file-btn', className: 'ctl', i18nTitle: 'files.send', attrs: { 'aria-expanded': 'false' } },
        glyph('M14 3H6v18h12V7zM14 3v4h4M12 17v-6M9 14l3-3 3 3'), el('span', { i18n: 'files.send' }))
    );
    this.record = /** @type {HTMLButtonElement} */ (
      el('button', { type: 'button', id: 'record-btn', className: 'ctl', i18nTitle: 'rec.start-title', attrs: { 'aria-pressed': 'false' } },
        glyph('M12 7a5 5 0 1 0 0 10 5 5 0 0 0 0-10z'), el('span', { i18n: 'rec.start' }))
    );
    this.indicator = el('div', { id: 'rec-indicator', hidden: true, attrs: { role: 'status', 'aria-live': 'polite' } });
    this.drop = el('div', { id: 'file-drop', hidden: true });
    mount.append(el('div', { className: 'popover-wrap' }, this.button, this.popover), this.input, this.record, this.indicator, this.drop);
    if (!h.available.files) {
      this.button.disabled = true;
      this.button.title = t('files.unavailable');
    }
    if (!h.available.recording) {
      this.record.disabled = true;
      this.record.title = t('rec.unavailable');
    }
    this.setPeople([]);
    this.button.addEventListener('click', () => this._open(this.popover.hidden));
    this.pick.addEventListener('click', () => this.input.click());
    this.input.addEventListener('change', () => {
      const files = [...(this.input.files || [])];
      this.input.value = '';
      this._open(false);
      if (files.length) h.onSend(files, this.to.value || null);
    });
    this.record.addEventListener('click', () => h.onRecord());
    this._dropTarget(byId('meeting'));
  }

  /** @param {boolean} open */
  _open(open) {
    this.popover.hidden = !open;
    this.button.setAttribute('aria-expanded', String(open));
  }

  /** Files dragged over the meeting: a hint while over it, sent on drop. @param {HTMLElement} area */
  _dropTarget(area) {
    const hasFiles = (/** @type {DragEvent} */ ev) => !!ev.dataTransfer && [...ev.dataTransfer.types].includes('Files');
    let depth = 0;
    area.addEventListener('dragenter', (ev) => {
      if (!hasFiles(ev) || this.button.disabled) return;
      depth += 1;
      this.drop.textContent = t('files.drop', { to: this.to.selectedOptions[0]?.textContent || '' });
      this.drop.hidden = false;
    });
    area.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (!depth) this.drop.hidden = true;
    });
    area.addEventListener('dragover', (ev) => {
      if (hasFiles(ev) && !this.button.disabled) ev.preventDefault();
    });
    area.addEventListener('drop', (ev) => {
      depth = 0;
      this.drop.hidden = true;
      if (!hasFiles(ev) || this.button.disabled) return;
      ev.preventDefault();
      const files = [...(ev.dataTransfer?.files || [])];
      if (files.length) this.h.onSend(files, this.to.value || null);
    });
  }

  /**
   * The people one can send to.
   * @param {{id: string, name: string}[]} people
   */
  setPeople(people) {
    const was = this.to.value;
    this.to.replaceChildren(
      el('option', { value: '', i18n: 'files.everyone' }),
      ...people.map((p) => el('option', { value: p.id, textContent: p.name || '?' })),
    );
    if (people.some((p) => p.id === was)) this.to.value = was;
    this.pick.disabled = !people.length;
    this.pick.title = people.length ? '' : t('files.nobody');
  }

  /**
   * A transfer started or moved on: its entry in the timeline.
   * @param {Transfer} tr
   * @param {string} peerName the other side's name
   */
  showTransfer(tr, peerName) {
    let item = this.entries.get(tr.id);
    if (!item) {
      item = this._entry(tr, peerName);
      this.entries.set(tr.id, item);
      this.h.addEntry(item, tr.dir === 'out');
    }
    item.dataset.state = tr.state;
    const bar = /** @type {HTMLProgressElement} */ (item.querySelector('progress'));
    // the sender shows what the receiver has written, the receiver what arrived
    const done = tr.dir === 'out' ? tr.acked : tr.bytes;
    bar.max = Math.max(1, tr.size);
    bar.value = tr.state === 'done' ? bar.max : Math.min(done, tr.size);
    item.dataset.bytes = String(done);
    const status = /** @type {HTMLElement} */ (item.querySelector('.file-status'));
    status.textContent = this._status(tr, done);
    const active = !['done', 'cancelled', 'failed'].includes(tr.state);
    /** @type {HTMLButtonElement} */ (item.querySelector('.file-cancel')).hidden = !active;
    if (tr.state === 'done' && tr.file && !item.querySelector('.file-download')) {
      const url = URL.createObjectURL(tr.file);
      this.urls.push(url);
      item.querySelector('.file-actions')?.append(el('a', { className: 'file-download', href: url, download: tr.name, i18n: 'files.download' }));
    }
    if (tr.sha256 && tr.state === 'done') item.dataset.sha256 = tr.sha256;
  }

  /** @param {Transfer} tr @param {number} done */
  _status(tr, done) {
    if (tr.state === 'failed') return t('files.state.failed', { reason: t(`files.reason.${tr.reason || 'failed'}`) });
    if (tr.state === 'done') return t(tr.dir === 'out' ? 'files.state.sent' : 'files.state.received');
    if (tr.state === 'sending' || tr.state === 'receiving') {
      return `${t(`files.state.${tr.state}`)} · ${t('files.progress', { done: formatSize(done), total: formatSize(tr.size) })}`;
    }
    return t(`files.state.${tr.state}`);
  }

  /** @param {Transfer} tr @param {string} peerName */
  _entry(tr, peerName) {
    const cancel = el('button', { type: 'button', className: 'file-cancel', i18n: 'files.cancel' });
    cancel.addEventListener('click', () => this.h.onCancel(tr.id));
    return el(
      'li',
      { className: tr.dir === 'out' ? 'msg file mine' : 'msg file', dataset: { transferId: tr.id, dir: tr.dir, peer: tr.peer, time: String(tr.time) } },
      el('div', { className: 'meta' }, el('span', { className: 'from', textContent: t(tr.dir === 'out' ? 'files.toPeer' : 'files.fromPeer', { name: peerName || '?' }) })),
      el('div', { className: 'file-head' }, el('span', { className: 'file-name', textContent: tr.name }), el('span', { className: 'file-size muted', textContent: formatSize(tr.size) })),
      el('progress', { className: 'file-progress', max: Math.max(1, tr.size), value: 0 }),
      el('div', { className: 'file-actions' }, el('span', { className: 'file-status' }), cancel),
    );
  }

  /** @param {boolean} on I am recording */
  setRecording(on) {
    this.record.setAttribute('aria-pressed', String(on));
    const label = /** @type {HTMLElement} */ (this.record.querySelector('span'));
    setWords(label, on ? 'rec.stop' : 'rec.start');
    setWords(this.record, on ? 'rec.stop' : 'rec.start-title', 'title');
  }

  /** @param {boolean} busy starting or stopping */
  setRecordBusy(busy) {
    this.record.disabled = busy;
  }

  /**
   * Who records now (the indicator shows while anyone does).
   * @param {{id: string, name: string, me: boolean}[]} who
   */
  setRecorders(who) {
    this.indicator.hidden = who.length === 0;
    this.indicator.dataset.recorders = who.map((w) => w.id).join(',');
    const names = who.map((w) => (w.me ? t('rec.you') : w.name || '?')).join(', ');
    this.indicator.textContent = who.length ? t('rec.indicator', { names }) : '';
  }

  /**
   * A finished recording: its entry with the download link.
   * @param {File} file
   * @param {number} seconds
   * @param {boolean} now download at once (the meeting is over)
   */
  addRecording(file, seconds, now) {
    const url = URL.createObjectURL(file);
    this.urls.push(url);
    const link = el('a', { className: 'rec-download', href: url, download: file.name, i18n: 'files.download' });
    const item = el(
      'li',
      { className: 'msg rec mine', dataset: { time: String(Date.now()), seconds: String(seconds) } },
      el('div', { className: 'meta' }, el('span', { className: 'from', textContent: t('rec.done', { duration: formatDuration(seconds) }) })),
      el('div', { className: 'file-head' }, el('span', { className: 'file-name', textContent: file.name }), el('span', { className: 'file-size muted', textContent: formatSize(file.size) })),
      el('div', { className: 'file-actions' }, link),
    );
    if (now) link.click();
    else this.h.addEntry(item, true);
  }

  /** @param {string} text a problem with recording */
  recordingFailed(text) {
    this.indicator.hidden = false;
    this.indicator.textContent = text;
  }

  /** Out of the meeting: forget every entry (the chat view empties its log) and link. */
  reset() {
    this.entries.clear();
    for (const url of this.urls.splice(0)) URL.revokeObjectURL(url);
    this.setRecorders([]);
    this.setRecording(false);
    this._open(false);
  }
}
