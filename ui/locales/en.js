// English. Keys are `<area>.<what>`; every key here is in every other catalogue too (a test
// checks). Placeholders: `{name}`; plural forms as `{one, other}` chosen by `count`.

export default {
  // @core
  'app.name': 'moim',

  // @meeting (screen share, layouts, people, hands, reactions, shortcuts)

  // @files (file transfer, recording)

  // @room-control (roles, waiting room, moderation, verification)

  // @first-minutes (lobby, pre-join, invitation, left screen, notices, devices)

  // @language (errors, banners, dialogs, host panel, chat, settings)
};
