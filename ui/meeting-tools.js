// Files and recording in the meeting: wires the transfers (files.js) and the recorder
// (recorder.js) to the mesh, the socket, the session and their view (view/files.js), whose
// entries go into the chat timeline. Wiring only: no DOM of its own.
//
// Recording: the host is told first (`update.recording`, docs/protocol.md), and MediaRecorder
// starts once the host's `peer-updated` came back, so the others' indicator is on before the
// first frame is recorded; it goes off only after MediaRecorder stopped. Leaving the meeting
// stops the recording and downloads it at once.

import { Files } from './files.js';
import { Recorder } from './recorder.js';
import { FilesView, stageShot } from './view/files.js';
import { extendTestHooks } from './test-hooks.js';
import { storedNames } from './file-store.js';
import { t } from './i18n.js';

/** How long to wait for the host to confirm a recording before starting it anyway. */
export const RECORDING_ECHO_MS = 2000;

/**
 * @typedef {object} ToolParts
 * @property {import('./session.js').Session} session
 * @property {import('./signaling.js').Signaling} sig
 * @property {import('./mesh.js').Mesh} mesh
 * @property {import('./media.js').Media} media
 * @property {import('./view/chat.js').ChatView} chatView
 * @property {import('./call.js').Call} call
 */

export class MeetingTools {
  /** @param {ToolParts} p */
  constructor(p) {
    this.p = p;
    const { mesh, sig, session } = p;
    this.files = new Files({ mesh });
    this.recorder = new Recorder({ stage: stageShot });
    /** @type {Map<string, MediaStream>} the others' media, for the audio mix */
    this.streams = new Map();
    /** my own `recording` as the host last said */
    this.myRecording = false;
    /** @type {((on: boolean) => void)|null} */
    this.echo = null;
    this.leaving = false;
    this.view = new FilesView({
      onSend: (files, to) => {
        for (const f of files) this.files.send(f, to);
        p.chatView.setOpen(true);
      },
      onCancel: (id) => this.files.cancel(id),
      onRecord: () => this.toggleRecording(),
      addEntry: (node, mine) => p.chatView.addEntry(node, mine),
      available: { files: this.files.available, recording: this.recorder.available },
    });
    const people = () => {
      this.view.setPeople([...mesh.infos.values()].filter((i) => mesh.peers.has(i.id)).map((i) => ({ id: i.id, name: i.name })));
      this._recorders();
    };
    mesh.on('data', (id, msg) => this.files.receive(id, msg));
    mesh.on('peer-added', people);
    mesh.on('peer-info', people);
    mesh.on('peer-removed', (id) => {
      this.files.peerGone(id);
      this.streams.delete(id);
      this._mix();
      people();
    });
    mesh.on('peer-state', people);
    mesh.on('stream', (id, stream) => {
      this.streams.set(id, stream);
      this._mix();
    });
    p.media.on('track', () => this._mix());
    this.files.on('transfer', (tr) => this.view.showTransfer(tr, mesh.infos.get(tr.peer)?.name || ''));
    sig.on('peer-updated', (msg) => {
      if (msg.peer.id !== sig.peerId) return;
      this.myRecording = !!msg.peer.recording;
      this.echo?.(this.myRecording);
      this._recorders();
    });
    this.recorder.on('state', (on) => {
      this.view.setRecording(on);
      if (!on && session.inRoom) sig.send({ type: 'update', recording: false });
      this.view.setRecordBusy(false);
    });
    this.recorder.on('done', ({ file, seconds }) => this.view.addRecording(file, seconds, this.leaving));
    this.recorder.on('error', () => this.view.recordingFailed(t('rec.failed')));
    session.on('entered', (/** @type {import('./protocol.js').ExistingPeers} */ msg) => {
      this.leaving = false;
      this.myRecording = !!msg.you.recording;
      // the host forgot (it restarted): say it again
      if (this.recorder.recording && !this.myRecording) sig.send({ type: 'update', recording: true });
      people();
    });
    session.on('left', () => {
      this.leaving = true;
      this.recorder.stop();
      this.files.reset();
      this.streams.clear();
      this.myRecording = false;
      this.view.reset();
    });
    extendTestHooks({
      files: {
        engine: this.files,
        send: (/** @type {Blob} */ blob, /** @type {string|null} */ to) => this.files.send(blob, to).map((x) => x.id),
        transfers: () => [...this.files.transfers.values()].map(({ file, ...rest }) => ({ ...rest, hasFile: !!file })),
        file: (/** @type {string} */ id) => this.files.transfers.get(id)?.file || null,
        cancel: (/** @type {string} */ id) => this.files.cancel(id),
        stored: () => storedNames(),
      },
      recorder: this.recorder,
    });
  }

  /** Everyone whose audio goes into the recording: the others and my microphone. */
  _mix() {
    if (!this.recorder.recording) return;
    this.recorder.setAudio([this.p.media.stream, ...this.streams.values()]);
  }

  /** The indicator: who records now, me included. */
  _recorders() {
    const who = [...this.p.mesh.infos.values()].filter((i) => /** @type {import('./protocol.js').PeerInfo} */ (i).recording).map((i) => ({ id: i.id, name: i.name, me: false }));
    if (this.myRecording || this.recorder.recording) who.unshift({ id: this.p.sig.peerId || '', name: '', me: true });
    this.view.setRecorders(who);
  }

  /** The Record button: start (once the room knows) or stop. */
  async toggleRecording() {
    const { session, sig } = this.p;
    if (this.recorder.recording) {
      this.view.setRecordBusy(true);
      this.recorder.stop();
      return;
    }
    if (!session.inRoom || !this.recorder.available) return;
    this.view.setRecordBusy(true);
    const confirmed = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), RECORDING_ECHO_MS);
      this.echo = (on) => {
        if (!on) return;
        clearTimeout(timer);
        resolve(true);
      };
    });
    sig.send({ type: 'update', recording: true });
    await confirmed;
    this.echo = null;
    try {
      await this.recorder.start([this.p.media.stream, ...this.streams.values()]);
    } catch (err) {
      console.warn('moim: recording failed to start', err);
      sig.send({ type: 'update', recording: false });
      this.view.recordingFailed(t('rec.failed'));
    }
    this.view.setRecordBusy(false);
    this._recorders();
  }
}
