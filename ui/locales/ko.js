// 한국어. The same keys as en.js (a test checks); `{name:이/가}` picks the particle that fits.

export default {
  // @core
  'app.name': '모임',

  // @meeting (screen share, layouts, people, hands, reactions, shortcuts)

  // @files (file transfer, recording)

  // @room-control (roles, waiting room, moderation, verification)
  'control.people': "참가자",
  'control.waitingTitle': "호스트가 들여보내 주기를 기다리는 중입니다",
  'control.waitingText': "“{name}” 회의 입구에서 기다리고 있어요. 진행자에게 알렸으니 이 페이지에 머물러 주세요.",
  'control.giveUp': "그만 기다리기",
  'control.knocking': "입장 대기 중",
  'control.knock': "{name:이/가} 입장을 기다리고 있어요.",
  'control.admit': "들여보내기",
  'control.turnAway': "거절",
  'control.admitAll': "모두 들여보내기",
  'control.turnAwayAll': "모두 거절",
  'control.waitingRoom': "대기실",
  'control.closed': "회의 잠그기 (새 참가자 없음)",
  'control.modsUnmute': "진행자만 음소거를 해제할 수 있음",
  'control.muteAll': "모두 음소거",
  'control.askAll': "모두에게 음소거 해제 요청",
  'control.endAll': "모두에게 회의 종료",
  'control.endPrompt': "모두에게 보낼 한 문장 (선택)",
  'control.verify': "확인",
  'control.verified': "확인됨",
  'control.noCode': "아직 연결되지 않았어요",
  'control.codesMatch': "코드가 같아요",
  'control.mute': "음소거",
  'control.askUnmute': "음소거 해제 요청",
  'control.stopVideo': "카메라 끄기",
  'control.stopShare': "화면 공유 중지",
  'control.makeModerator': "진행자로 지정",
  'control.remove': "내보내기",
  'control.moderatorBadge': "진행자",
  'control.youModerate': "이 회의의 진행자가 되었어요.",
  'control.turnedAway': "진행자가 입장을 허락하지 않았어요.",
  'control.asked.mute': "{name:이/가} 마이크를 음소거했어요.",
  'control.asked.ask-unmute': "{name:이/가} 음소거를 해제해 달라고 요청했어요.",
  'control.asked.stop-video': "{name:이/가} 카메라를 껐어요.",
  'control.asked.stop-share': "{name:이/가} 화면 공유를 중지했어요.",
  'control.unmute': "음소거 해제",
  'control.removed': "{name:이/가} 회의에서 내보냈어요.",
  'control.ended': "{name:이/가} 회의를 종료했어요. {message}",
  'control.notAllowed': "진행자만 할 수 있어요.",
  'control.roomClosed': "이 회의는 잠겨 있어 새로 참가할 수 없어요.",

  // @first-minutes (lobby, pre-join, invitation, left screen, notices, devices)

  // @language (errors, banners, dialogs, host panel, chat, settings)
};
