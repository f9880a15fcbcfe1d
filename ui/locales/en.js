// English. Keys are `<area>.<what>`; every key here is in every other catalogue too (a test
// checks). Placeholders: `{name}`; plural forms as `{one, other}` chosen by `count`.

export default {
  // @core
  'app.name': 'moim',

  // @meeting (screen share, layouts, people, hands, reactions, shortcuts)

  // @files (file transfer, recording)

  // @room-control (roles, waiting room, moderation, verification)
  'control.people': "People",
  'control.waitingTitle': "Waiting for the host to let you in",
  'control.waitingText': "You are at the door of “{name}”. A moderator has been told; stay on this page.",
  'control.giveUp': "Give up",
  'control.knocking': "Waiting to join",
  'control.knock': "{name} is waiting to join.",
  'control.admit': "Admit",
  'control.turnAway': "Turn away",
  'control.admitAll': "Admit everyone",
  'control.turnAwayAll': "Turn everyone away",
  'control.waitingRoom': "Waiting room",
  'control.closed': "Lock the room (nobody new)",
  'control.modsUnmute': "Only moderators may unmute",
  'control.muteAll': "Mute everyone",
  'control.askAll': "Ask everyone to unmute",
  'control.endAll': "End for everyone",
  'control.endPrompt': "One sentence for everyone (optional)",
  'control.verify': "Verify",
  'control.verified': "Verified",
  'control.noCode': "not connected yet",
  'control.codesMatch': "Codes match",
  'control.mute': "Mute",
  'control.askUnmute': "Ask to unmute",
  'control.stopVideo': "Camera off",
  'control.stopShare': "Stop share",
  'control.makeModerator': "Make moderator",
  'control.remove': "Remove",
  'control.moderatorBadge': "moderator",
  'control.youModerate': "You are a moderator of this meeting.",
  'control.turnedAway': "A moderator did not let you in.",
  'control.asked.mute': "{name} muted you.",
  'control.asked.ask-unmute': "{name} asks you to unmute.",
  'control.asked.stop-video': "{name} turned your camera off.",
  'control.asked.stop-share': "{name} stopped your screen share.",
  'control.unmute': "Unmute",
  'control.removed': "{name} removed you from the meeting.",
  'control.ended': "{name} ended the meeting. {message}",
  'control.notAllowed': "Only a moderator can do that.",
  'control.roomClosed': "This meeting is locked: nobody new can join.",

  // @first-minutes (lobby, pre-join, invitation, left screen, notices, devices)

  // @language (errors, banners, dialogs, host panel, chat, settings)
};
