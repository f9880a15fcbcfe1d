// Signals that arrive while a join is under way: a peer already in the room may offer before
// this page has its `existing-peers` (the host relays in order, but the page enters the room
// only when that answer is handled). They wait here and are replayed once the room is entered,
// for the peers it lists. No DOM. Small on purpose, so that the mesh can own it later.

/** @typedef {{from: string, data: string}} HeldSignal */

/** At most this many signals wait (a join takes one round trip; more means something is off). */
export const EARLY_SIGNALS_MAX = 200;

export class EarlySignals {
  constructor() {
    /** @type {HeldSignal[]} */
    this.held = [];
  }

  /**
   * Keep a signal for later; returns false when full (the signal is dropped).
   * @param {HeldSignal} msg
   */
  hold(msg) {
    if (this.held.length >= EARLY_SIGNALS_MAX) return false;
    this.held.push({ from: msg.from, data: msg.data });
    return true;
  }

  /**
   * Hand every held signal from a peer that `known` accepts to `deliver`, in arrival order,
   * and forget them all.
   * @param {(from: string) => boolean} known
   * @param {(from: string, data: string) => void} deliver
   */
  release(known, deliver) {
    const held = this.held;
    this.held = [];
    for (const s of held) if (known(s.from)) deliver(s.from, s.data);
  }

  /** Forget every held signal (the join did not happen). */
  clear() {
    this.held = [];
  }
}
