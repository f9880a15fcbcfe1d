// The passcode dialog (#passcode-dialog). Its static words are in index.html (`data-i18n`); the
// message is the caller's, already in the person's language (errors.js `passcodePrompt`).

import { byId } from './dom.js';

/**
 * Ask for a passcode; resolves to it, or null when cancelled.
 * @param {string} message
 * @returns {Promise<string|null>}
 */
export function askPasscode(message) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('passcode-dialog'));
  const input = /** @type {HTMLInputElement} */ (byId('passcode-input'));
  byId('passcode-message').textContent = message;
  input.value = '';
  if (!dialog.dataset.wired) {
    dialog.dataset.wired = 'true';
    byId('passcode-cancel').addEventListener('click', () => dialog.close('cancel'));
  }
  if (dialog.open) {
    dialog.returnValue = 'cancel';
    dialog.close();
  }
  return new Promise((resolve) => setTimeout(resolve, 0)).then(() => new Promise((resolve) => {
    const done = () => {
      dialog.removeEventListener('close', done);
      resolve(dialog.returnValue === 'ok' ? input.value : null);
    };
    dialog.returnValue = '';
    dialog.addEventListener('close', done);
    dialog.showModal();
    input.focus();
  }));
}
