// 한국어. The same keys as en.js (a test checks); `{name:이/가}` picks the particle that fits.

export default {
  // @core
  'app.name': '모임',

  // @meeting (screen share, layouts, people, hands, reactions, shortcuts)

  // @files (file transfer, recording)

  // @room-control (roles, waiting room, moderation, verification)

  // @first-minutes (lobby, pre-join, invitation, left screen, notices, devices)

  // @language (errors, banners, dialogs, host panel, chat, settings)
};
