// The language menu in the top bar (#lang-select): one option per catalogue, each named in its
// own language, the one in use selected. Choosing one switches the page at once and remembers
// the choice (i18n.js `switchLanguage`, under `SETTINGS.lang`). Owns #lang-select only.

import { byId, el } from './dom.js';
import { language, languages, switchLanguage } from '../i18n.js';

export class LanguageMenu {
  constructor() {
    this.select = /** @type {HTMLSelectElement} */ (byId('lang-select'));
    this.select.replaceChildren(
      ...languages().map(({ tag, name }) => el('option', { value: tag, textContent: name, lang: tag })),
    );
    this.select.value = language();
    this.select.addEventListener('change', () => switchLanguage(this.select.value));
  }
}
