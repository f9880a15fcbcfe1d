// The wiring of room control: the Moderation controller (moderation.js) to the host, the
// session, the call's media and the view (view/moderation.js). What a moderator asks of me is
// done here (mic or camera off, screen share stopped) and said in the banner, with who did it.
// Its view lives in the meeting's people panel (features.js owns the panel: `people` lends
// its section and row slots, `openPeople` opens it when someone knocks).

import { Moderation } from './moderation.js';
import { ModerationView } from './view/moderation.js';
import { t } from './i18n.js';

/**
 * @typedef {object} ControlParts
 * @property {import('./signaling.js').Signaling} sig
 * @property {import('./session.js').Session} session
 * @property {import('./mesh.js').Mesh} mesh
 * @property {import('./media.js').Media} media
 * @property {import('./call.js').Call} call
 * @property {import('./view/banner.js').Banner} banner
 * @property {import('./view/people.js').PeopleView} people the meeting's people panel
 * @property {() => void} openPeople
 */

/** @param {ControlParts} p */
export function startRoomControl(p) {
  const { sig, session, mesh, media, call, banner, people: panel } = p;
  const control = new Moderation({
    send: (frame) => sig.send(frame),
    pcOf: (id) => mesh.peers.get(id)?.pc,
  });
  const view = new ModerationView({
    onGiveUp() {
      sig.send({ type: 'leave' });
      view.setWaiting(false, '');
      session.refused();
    },
    onAdmit: (peer) => control.admit(peer),
    onTurnAway: (peer) => control.turnAway(peer),
    onAct: (action, peer) => control.act(action, peer),
    onSettings: (change) => control.change(change),
    onEnd: (message) => control.end(message),
    codeOf: (peer) => control.codeWith(peer),
    onConfirm: (peer) => control.confirm(peer),
    onOpen: () => p.openPeople(),
  }, panel);
  control.attach(sig);
  const people = () => view.setPeople([...mesh.infos.values()]);
  mesh.on('peer-added', people);
  mesh.on('peer-info', people);
  mesh.on('peer-removed', people);
  control.on('role', (on) => {
    view.setModerator(on);
    if (on && session.inRoom) banner.set('moderator', t('control.youModerate'), { level: 'info' });
  });
  control.on('settings', (s) => view.setSettings(s));
  control.on('verified', (peer) => view.markVerified(peer));
  control.on('waiting', (peers, knocked) => {
    view.setKnocks(peers, knocked); // announced there, and the people panel opens
  });
  control.on('door', (state, name) => {
    view.setWaiting(state === 'waiting', name);
    if (state === 'turned-away') {
      banner.set('turned-away', t('control.turnedAway'), { level: 'error' });
      session.refused();
    }
  });
  control.on('asked', async (action, by) => {
    if (action === 'mute' && media.isOn('audio')) await media.setEnabled('audio', false);
    if (action === 'stop-video' && media.isOn('video')) await media.setEnabled('video', false);
    if (action === 'stop-share') window.dispatchEvent(new CustomEvent('moim:stop-share', { detail: { by } }));
    call.syncLocal();
    const text = t(`control.asked.${action}`, { name: by });
    const unmute = { label: t('control.unmute'), run: () => call.toggle('audio') };
    banner.set('moderation', text, { level: 'warn', action: action === 'ask-unmute' ? unmute : undefined });
  });
  control.on('out', (why, by, message) => {
    const text = why === 'removed' ? t('control.removed', { name: by }) : t('control.ended', { name: by, message });
    session.leave({ dropped: true });
    banner.set(why === 'removed' ? 'removed' : 'meeting-ended', text.trim(), { level: 'error', sticky: true });
  });
  sig.on('existing-peers', (/** @type {import('./protocol.js').ExistingPeers} */ msg) => {
    control.entered(msg);
    banner.clear('turned-away');
  });
  sig.on('error', async (/** @type {import('./protocol.js').ErrorMessage} */ msg) => {
    // an unmute the room's moderators must allow: the mic stays off
    if (msg.code === 'not-allowed' && session.inRoom && media.isOn('audio') && call.you && !call.you.audio) {
      await media.setEnabled('audio', false);
      call.syncLocal();
    }
  });
  session.on('left', () => {
    control.reset();
    view.clear();
  });
  return control;
}
