// The one change the client makes to a remote session description before applying it: a start
// bitrate for the video codecs (`x-google-start-bitrate`, kbit/s, read by Chromium's send side
// from the codec parameters the remote side offered or answered; other browsers ignore it).
//
// Why: Chromium starts a call's bandwidth estimate at 300 kbit/s, below what its encoder wants
// for a 720p camera, so it drops the first frames and scales down before sending any: the first
// remote picture came about 200 ms after the connection (docs/benchmarks.md, call set-up). On a
// LAN the link can carry a start of about 1 Mbit/s; the estimate still falls at once where it
// cannot. The DTLS fingerprints (verification codes) are not touched. Pure string work, no DOM.

/** The video start bitrate the remote side is given (kbit/s): Chromium's 720p minimum and some. */
export const START_BITRATE_KBPS = 1000;

/** Codecs whose encoders take a start bitrate (not rtx, red, ulpfec, flexfec). */
const VIDEO_CODECS = /^(VP8|VP9|H264|H265|AV1)\//i;

/**
 * `sdp` with `x-google-start-bitrate=kbps` on every video codec of every video m-section (added
 * to the codec's `a=fmtp` line, or a new one after its `a=rtpmap`); unchanged where it is set.
 * @param {string} sdp
 * @param {number} [kbps]
 */
export function withStartBitrate(sdp, kbps = START_BITRATE_KBPS) {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  /** @type {string[][]} the session part, then one list of lines per m-section */
  const sections = [[]];
  for (const line of sdp.split(eol)) {
    if (line.startsWith('m=')) sections.push([]);
    sections[sections.length - 1].push(line);
  }
  return sections.map((lines) => (lines[0]?.startsWith('m=video ') ? videoSection(lines, kbps) : lines).join(eol)).join(eol);
}

/**
 * One video m-section's lines with the start bitrate on each of its video codecs.
 * @param {string[]} lines
 * @param {number} kbps
 */
function videoSection(lines, kbps) {
  const param = `x-google-start-bitrate=${kbps}`;
  const codecs = new Set(
    lines.flatMap((line) => {
      const m = /^a=rtpmap:(\d+) (.*)$/.exec(line);
      return m && VIDEO_CODECS.test(m[2]) ? [m[1]] : [];
    }),
  );
  const hasFmtp = new Set(lines.flatMap((line) => /^a=fmtp:(\d+) /.exec(line)?.slice(1) ?? []));
  return lines.flatMap((line) => {
    const fmtp = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (fmtp && codecs.has(fmtp[1])) return fmtp[2].includes('x-google-start-bitrate=') ? [line] : [`${line};${param}`];
    const rtpmap = /^a=rtpmap:(\d+) /.exec(line);
    if (rtpmap && codecs.has(rtpmap[1]) && !hasFmtp.has(rtpmap[1])) return [line, `a=fmtp:${rtpmap[1]} ${param}`];
    return [line];
  });
}
