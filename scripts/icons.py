#!/usr/bin/env python3
"""Draw moim's app icons (src-tauri/icons/) from code: a rounded tile with three people around a
table, a gathering (모임). Needs Pillow (pip install Pillow). Run from the repository root."""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path("src-tauri/icons")
SIZE = 1024
TILE = (22, 110, 100)       # deep teal
TILE_LIGHT = (38, 166, 140)
PEOPLE = [(255, 196, 87), (255, 255, 255), (255, 125, 110)]


def draw(size: int = SIZE) -> Image.Image:
    s = size / 1024
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    # tile with a soft vertical gradient
    grad = Image.new("RGBA", (size, size))
    gd = ImageDraw.Draw(grad)
    for y in range(size):
        t = y / size
        c = tuple(round(a + (b - a) * t) for a, b in zip(TILE_LIGHT, TILE))
        gd.line([(0, y), (size, y)], fill=c + (255,))
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        [40 * s, 40 * s, 984 * s, 984 * s], radius=220 * s, fill=255)
    img.paste(grad, (0, 0), mask)
    # three people (head + shoulders) around a round table
    centers = [(300, 430), (512, 330), (724, 430)]
    for (cx, cy), colour in zip(centers, PEOPLE):
        r = 82
        d.ellipse([(cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s], fill=colour)
        d.pieslice([(cx - 150) * s, (cy + 95) * s, (cx + 150) * s, (cy + 395) * s],
                   180, 360, fill=colour)
    # the table
    d.ellipse([230 * s, 600 * s, 794 * s, 820 * s], fill=(255, 255, 255, 235))
    d.ellipse([290 * s, 640 * s, 734 * s, 780 * s], fill=TILE_LIGHT + (255,))
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    big = draw()
    for name, px in [("32x32.png", 32), ("64x64.png", 64), ("128x128.png", 128),
                     ("128x128@2x.png", 256), ("icon.png", 512)]:
        big.resize((px, px), Image.LANCZOS).save(OUT / name, optimize=True)
    big.resize((256, 256), Image.LANCZOS).save(
        OUT / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (256, 256)])
    big.save(OUT / "icon.icns")


if __name__ == "__main__":
    main()
