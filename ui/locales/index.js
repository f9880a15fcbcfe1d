// Every message catalogue, by language tag (BCP 47 base). Adding a language is one file
// (`ui/locales/<tag>.js`, every key of en.js) and its line here; `ui/test/i18n.test.mjs` fails
// when a file in this folder is not listed.
export { default as en } from './en.js';
export { default as ko } from './ko.js';
