// English. Keys are `<area>.<what>`; every key here is in every other catalogue too (a test
// checks). Placeholders: `{name}`; plural forms as `{one, other}` chosen by `count`.

export default {
  // @core
  'app.name': 'moim',

  // @meeting (screen share, layouts, people, hands, reactions, shortcuts)

  // @files (file transfer, recording)
  'files.send': 'Send a file',
  'files.to': 'To',
  'files.everyone': 'Everyone',
  'files.pick': 'Choose a file…',
  'files.drop-hint': 'or drop a file on the meeting',
  'files.drop': 'Drop to send to {to}',
  'files.unavailable': 'Sending files needs WebRTC and a secure page (https)',
  'files.nobody': 'Nobody else is connected yet',
  'files.to-peer': 'To {name}',
  'files.from-peer': 'From {name}',
  'files.progress': '{done} of {total}',
  'files.cancel': 'Cancel',
  'files.download': 'Download',
  'files.state.offered': 'Waiting for the other side…',
  'files.state.sending': 'Sending',
  'files.state.receiving': 'Receiving',
  'files.state.verifying': 'Checking the file…',
  'files.state.sent': 'Sent',
  'files.state.received': 'Received',
  'files.state.cancelled': 'Cancelled',
  'files.state.failed': 'Failed: {reason}',
  'files.reason.offline': 'the connection is gone',
  'files.reason.closed': 'the connection is gone',
  'files.reason.integrity': 'the file arrived damaged',
  'files.reason.no-space': 'not enough disk space',
  'files.reason.unsupported': 'the other browser cannot receive files',
  'files.reason.left': 'left the meeting',
  'files.reason.failed': 'something went wrong',
  'rec.start': 'Record',
  'rec.stop': 'Stop recording',
  'rec.start-title': 'Record this meeting on this computer',
  'rec.unavailable': 'This browser cannot record',
  'rec.indicator': 'Recording: {names}',
  'rec.you': 'you',
  'rec.done': 'Recording ({duration})',
  'rec.failed': 'The recording could not be saved',

  // @room-control (roles, waiting room, moderation, verification)

  // @first-minutes (lobby, pre-join, invitation, left screen, notices, devices)

  // @language (errors, banners, dialogs, host panel, chat, settings)
};
