#!/usr/bin/python3
"""Make the fonts the host serves: Noto Sans CJK KR (SIL Open Font License 1.1, from Debian's
fonts-noto-cjk) subset to the UI's own characters (every catalogue in ui/locales/, plus printable
ASCII and a little punctuation) and the 2,350 common Hangul syllables of KS X 1001, as WOFF2 in
ui/fonts/. Run `scripts/font-subset.sh` (it installs what this needs) or this file with Debian's
python3 (python3-fonttools, python3-brotli).

    scripts/font-subset.py [--source-dir /usr/share/fonts/opentype/noto]

Regenerate after adding words to a catalogue that use a character the subset lacks (the Node
test `ui/test/i18n.test.mjs` names any such character).
"""

import argparse
import pathlib
import sys

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "ui" / "fonts"
# name in the collection -> (output file, weight)
FACES = {
    "NotoSansCJK-Regular.ttc": ("moim-sans-kr-400.woff2", 400),
    "NotoSansCJK-Bold.ttc": ("moim-sans-kr-700.woff2", 700),
}
FAMILY = "Noto Sans CJK KR"
# all in ui/fonts/ stays under this (the budget: 600 KiB)
BUDGET = 600 * 1024


def ks_x_1001_hangul():
    """The 2,350 Hangul syllables of KS X 1001: every EUC-KR two-byte code in rows 0xB0-0xC8."""
    out = []
    for lead in range(0xB0, 0xC9):
        for trail in range(0xA1, 0xFF):
            out.append(bytes([lead, trail]).decode("euc-kr"))
    assert len(out) == 2350 and len(set(out)) == 2350, len(out)
    return "".join(out)


def ui_characters():
    """Every character in the catalogues, printable ASCII, and the punctuation the UI uses."""
    chars = set(chr(c) for c in range(0x20, 0x7F))
    chars.update("…·×→←“”‘’–—•°")
    for cat in sorted((ROOT / "ui" / "locales").glob("*.js")):
        chars.update(ch for ch in cat.read_text(encoding="utf-8") if ch.isprintable())
    return "".join(sorted(chars))


def face(collection_path):
    """The KR face of a Noto Sans CJK collection."""
    coll = TTCollection(str(collection_path), lazy=False)
    for font in coll.fonts:
        if font["name"].getDebugName(1) == FAMILY:
            return font
    sys.exit(f"font-subset: no {FAMILY} in {collection_path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source-dir", default="/usr/share/fonts/opentype/noto")
    args = ap.parse_args()
    text = ui_characters() + ks_x_1001_hangul()
    OUT.mkdir(parents=True, exist_ok=True)
    opts = subset.Options()
    opts.flavor = "woff2"
    opts.layout_features = ["kern", "liga", "calt", "ccmp", "locl", "mark", "mkmk", "vert"]
    opts.name_IDs = ["*"]  # keep the copyright and licence records
    opts.notdef_outline = True
    opts.hinting = False
    opts.desubroutinize = True
    total = 0
    for src, (name, _weight) in FACES.items():
        font = face(pathlib.Path(args.source_dir) / src)
        sub = subset.Subsetter(opts)
        sub.populate(text=text)
        sub.subset(font)
        dest = OUT / name
        font.flavor = "woff2"
        font.save(str(dest))
        size = dest.stat().st_size
        total += size
        print(f"font-subset: {dest.relative_to(ROOT)}: {size} bytes, {len(set(text))} characters")
    # the characters the fonts cover, for the Node test that every catalogue character is in
    (ROOT / "scripts" / "font-characters.txt").write_text(
        "".join(sorted(set(text))) + "\n", encoding="utf-8"
    )
    print(f"font-subset: {total} bytes in all (budget {BUDGET})")
    if total > BUDGET:
        sys.exit("font-subset: over the budget")


if __name__ == "__main__":
    main()
