// The invitation (#invite): the join link, its QR code (drawn by the host) and the certificate
// fingerprint guests compare; and copying text to the clipboard, for the page and the desktop
// host panel alike. DOM only.

import { byId } from './dom.js';
import { fingerprintFromFragment, formatFingerprint } from '../room-id.js';

/**
 * Copy `text` to the clipboard; where the Clipboard API is refused (plain HTTP on a LAN
 * address is not a secure context), through a hidden text area. Resolves to whether it worked.
 * @param {string} text
 * @returns {Promise<boolean>}
 */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

export class InviteView {
  constructor() {
    this.dialog = /** @type {HTMLDialogElement} */ (byId('invite'));
    this.link = byId('invite-link');
    this.qr = /** @type {HTMLImageElement} */ (byId('invite-qr'));
    this.fp = byId('invite-fp');
  }

  /**
   * Show the invitation for `url` (its `#fp=` gives the fingerprint shown).
   * @param {string} url
   */
  show(url) {
    this.link.textContent = url;
    this.qr.src = `/api/qr.svg?text=${encodeURIComponent(url)}`;
    const fp = fingerprintFromFragment(new URL(url).hash);
    this.fp.textContent = fp ? formatFingerprint(fp) : 'none (plain HTTP)';
    if (!this.dialog.open) this.dialog.showModal?.();
  }
}
