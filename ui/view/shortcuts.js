// Keyboard shortcuts in the meeting, and the help overlay that lists them (#shortcuts, opened
// with `?`). Single keys without modifiers, ignored while typing in a field. DOM of #shortcuts
// and the document's keydown only.

import { byId, el } from './dom.js';
import { t } from '../i18n.js';

/**
 * Every shortcut: the keys (as `KeyboardEvent.key`), the action's name and its i18n label.
 * @type {{keys: string[], action: string, label: string}[]}
 */
export const SHORTCUTS = [
  { keys: ['m'], action: 'mic', label: 'keys.mic' },
  { keys: ['v'], action: 'cam', label: 'keys.cam' },
  { keys: ['s'], action: 'share', label: 'keys.share' },
  { keys: ['h'], action: 'hand', label: 'keys.hand' },
  { keys: ['c'], action: 'chat', label: 'keys.chat' },
  { keys: ['p'], action: 'people', label: 'keys.people' },
  { keys: ['g'], action: 'grid', label: 'keys.grid' },
  { keys: ['f'], action: 'fullscreen', label: 'keys.fullscreen' },
  { keys: ['?'], action: 'help', label: 'keys.help' },
  { keys: ['Escape'], action: 'close', label: 'keys.close' },
];

/**
 * The action for a key press, or null.
 * @param {{key: string, ctrlKey?: boolean, metaKey?: boolean, altKey?: boolean}} ev
 */
export function actionFor(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return null;
  const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  return SHORTCUTS.find((s) => s.keys.includes(key))?.action || null;
}

export class Shortcuts {
  /**
   * @param {() => boolean} active whether the meeting is on screen
   * @param {Record<string, () => void>} actions by action name (`help` and `close` are built in)
   */
  constructor(active, actions) {
    this.dialog = /** @type {HTMLDialogElement} */ (byId('shortcuts'));
    this.actions = actions;
    this._fill();
    byId('help-btn').addEventListener('click', () => this.toggle());
    document.addEventListener('keydown', (ev) => {
      if (!active()) return;
      const target = /** @type {HTMLElement} */ (ev.target);
      if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
      const action = actionFor(ev);
      if (!action) return;
      if (action === 'help') this.toggle();
      else if (action === 'close') {
        if (this.dialog.open) this.dialog.close();
        this.actions.close?.();
      } else if (this.actions[action]) this.actions[action]();
      else return;
      ev.preventDefault();
    });
  }

  toggle() {
    if (this.dialog.open) this.dialog.close();
    else this.dialog.showModal();
  }

  _fill() {
    const list = byId('shortcuts-list');
    list.replaceChildren(
      ...SHORTCUTS.map((s) =>
        el('div', { className: 'shortcut' }, el('dt', {}, ...s.keys.map((k) => el('kbd', { textContent: k === 'Escape' ? 'Esc' : k.toUpperCase() }))), el('dd', { textContent: t(s.label) })),
      ),
    );
  }
}
