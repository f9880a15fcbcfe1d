// 한국어. The same keys as en.js (a test checks); `{name:이/가}` picks the particle that fits.

export default {
  // @core
  'app.name': '모임',

  // @meeting (screen share, layouts, people, hands, reactions, shortcuts)

  // @files (file transfer, recording)
  'files.send': '파일 보내기',
  'files.to': '받는 사람',
  'files.everyone': '모두',
  'files.pick': '파일 선택…',
  'files.drop-hint': '또는 회의 화면에 파일을 끌어다 놓으세요',
  'files.drop': '놓으면 {to}에게 보냅니다',
  'files.unavailable': '파일을 보내려면 WebRTC와 보안 페이지(https)가 필요합니다',
  'files.nobody': '아직 연결된 사람이 없습니다',
  'files.to-peer': '받는 사람: {name}',
  'files.from-peer': '보낸 사람: {name}',
  'files.progress': '{total} 중 {done}',
  'files.cancel': '취소',
  'files.download': '다운로드',
  'files.state.offered': '상대방을 기다리는 중…',
  'files.state.sending': '보내는 중',
  'files.state.receiving': '받는 중',
  'files.state.verifying': '파일을 확인하는 중…',
  'files.state.sent': '보냈습니다',
  'files.state.received': '받았습니다',
  'files.state.cancelled': '취소되었습니다',
  'files.state.failed': '실패했습니다: {reason}',
  'files.reason.offline': '연결이 끊겼습니다',
  'files.reason.closed': '연결이 끊겼습니다',
  'files.reason.integrity': '파일이 손상된 채로 도착했습니다',
  'files.reason.no-space': '저장 공간이 부족합니다',
  'files.reason.unsupported': '상대방 브라우저는 파일을 받을 수 없습니다',
  'files.reason.left': '회의에서 나갔습니다',
  'files.reason.failed': '문제가 생겼습니다',
  'rec.start': '녹화',
  'rec.stop': '녹화 중지',
  'rec.start-title': '이 회의를 이 컴퓨터에 녹화합니다',
  'rec.unavailable': '이 브라우저에서는 녹화할 수 없습니다',
  'rec.indicator': '녹화 중: {names}',
  'rec.you': '나',
  'rec.done': '녹화 ({duration})',
  'rec.failed': '녹화를 저장하지 못했습니다',

  // @room-control (roles, waiting room, moderation, verification)

  // @first-minutes (lobby, pre-join, invitation, left screen, notices, devices)

  // @language (errors, banners, dialogs, host panel, chat, settings)
};
