// Where each tile of the stage goes: a pure function of the tiles, what is in focus and the
// stage's size (view/stage.js applies the rectangles; ui/test/layout.test.mjs checks them for
// every count). Camera tiles are always 16:9 (their video is shown whole, `object-fit:
// contain`), as large as the stage allows, rows centred so that three people do not leave an
// empty quarter. No DOM.
//
// * grid: every tile the same size, the arrangement (columns × rows) that makes them largest;
// * one-to-one: the other person fills the stage, my own picture small in a corner;
// * focus (a shared screen: presenter view; a pinned tile; the active speaker): the focused
//   tiles large, everyone else in a strip (on the right of a wide stage, below a tall one).
//   A single focused screen takes the whole main area (its own shape, shown whole).

/** The camera tiles' shape. */
export const ASPECT = 16 / 9;
/** Space between tiles, and around them (px). */
export const GAP = 8;

/**
 * @typedef {{id: string, local?: boolean, screen?: boolean}} TileSpec
 * @typedef {{x: number, y: number, w: number, h: number}} Rect
 * @typedef {{mode: 'grid'|'pair'|'focus', rects: Map<string, Rect>, strip: 'right'|'bottom'|null}} Arrangement
 */

/**
 * The arrangement (columns × rows) that makes `n` tiles of shape `aspect` largest in w×h.
 * @param {number} n
 * @param {number} w
 * @param {number} h
 * @param {number} [gap]
 * @param {number} [aspect]
 */
export function bestGrid(n, w, h, gap = GAP, aspect = ASPECT) {
  let best = { cols: 1, rows: 1, tw: 0, th: 0 };
  for (let cols = 1; cols <= Math.max(1, n); cols += 1) {
    const rows = Math.ceil(n / cols);
    const cw = (w - gap * (cols - 1)) / cols;
    const ch = (h - gap * (rows - 1)) / rows;
    const tw = Math.max(0, Math.min(cw, ch * aspect));
    if (tw > best.tw) best = { cols, rows, tw, th: tw / aspect };
  }
  return best;
}

/**
 * `ids` as a grid of equal 16:9 tiles centred in `box`, the last row centred too.
 * @param {string[]} ids
 * @param {Rect} box
 * @param {Map<string, Rect>} out
 */
function grid(ids, box, out) {
  if (!ids.length) return;
  const { cols, rows, tw, th } = bestGrid(ids.length, box.w, box.h);
  const top = box.y + (box.h - (rows * th + (rows - 1) * GAP)) / 2;
  ids.forEach((id, i) => {
    const row = Math.floor(i / cols);
    const inRow = row === rows - 1 ? ids.length - row * cols : cols;
    const left = box.x + (box.w - (inRow * tw + (inRow - 1) * GAP)) / 2;
    out.set(id, { x: left + (i % cols) * (tw + GAP), y: top + row * (th + GAP), w: tw, h: th });
  });
}

/**
 * @param {TileSpec[]} tiles in their order on the stage (mine first)
 * @param {{w: number, h: number, focus?: string[]}} stage `focus`: ids to show large
 * @returns {Arrangement}
 */
export function arrange(tiles, { w, h, focus = [] }) {
  /** @type {Map<string, Rect>} */
  const rects = new Map();
  const box = { x: GAP, y: GAP, w: Math.max(0, w - 2 * GAP), h: Math.max(0, h - 2 * GAP) };
  const ids = tiles.map((t) => t.id);
  const focused = focus.filter((id) => ids.includes(id));
  if (!focused.length) {
    const local = tiles.find((t) => t.local);
    if (tiles.length === 2 && local && !tiles.some((t) => t.screen)) {
      const other = /** @type {TileSpec} */ (tiles.find((t) => t !== local));
      grid([other.id], box, rects);
      const pw = Math.round(Math.min(280, Math.max(112, box.w * 0.22)));
      const ph = pw / ASPECT;
      rects.set(local.id, { x: box.x + box.w - pw - GAP, y: box.y + box.h - ph - GAP, w: pw, h: ph });
      return { mode: 'pair', rects, strip: null };
    }
    grid(ids, box, rects);
    return { mode: 'grid', rects, strip: null };
  }
  const rest = ids.filter((id) => !focused.includes(id));
  let main = box;
  /** @type {'right'|'bottom'|null} */
  let strip = null;
  if (rest.length) {
    if (box.w >= box.h * 1.1) {
      strip = 'right';
      const sw = Math.round(Math.min(300, Math.max(160, box.w * 0.2)));
      main = { ...box, w: box.w - sw - GAP };
      grid(rest, { x: box.x + main.w + GAP, y: box.y, w: sw, h: box.h }, rects);
    } else {
      strip = 'bottom';
      const sh = Math.round(Math.min(220, Math.max(80, box.h * 0.22)));
      main = { ...box, h: box.h - sh - GAP };
      grid(rest, { x: box.x, y: box.y + main.h + GAP, w: box.w, h: sh }, rects);
    }
  }
  const single = focused.length === 1 && tiles.find((t) => t.id === focused[0])?.screen;
  if (single) rects.set(focused[0], { ...main });
  else grid(focused, main, rects);
  return { mode: 'focus', rects, strip };
}
