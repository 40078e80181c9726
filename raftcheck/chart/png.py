"""A small PNG reader and palette writer (zlib and struct only, no imaging library).

`read_png` reads 8-bit greyscale, RGB, RGBA and palette images without interlacing (Chromium
writes RGB or RGBA) (the browser test checks its screenshots with it); anything else raises
ValueError. `write_palette_png` writes an image with at most 256 colours (the README's figure,
docs/make_chart_png.py).
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel


@dataclass
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]  # unfiltered scanlines

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        c = self.channels
        row = self.rows[y]
        return tuple(row[x * c : x * c + c])


def read_png(data: bytes) -> Image:
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG file")
    pos = len(SIGNATURE)
    idat = []
    width = height = channels = colour = 0
    plte = b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _comp, _filt, interlace = struct.unpack(
                ">IIBBBBB", body)
            if depth != 8 or colour not in CHANNELS or interlace:
                raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, "
                                 f"interlace {interlace}")
            channels = CHANNELS[colour]
        elif kind == b"PLTE":
            plte = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(ftype, line, prev, channels)
        rows.append(bytes(line))
        prev = line
    if colour == 3:  # palette indexes -> RGB
        rows = [b"".join(plte[3 * i : 3 * i + 3] for i in row) for row in rows]
        channels = 3
    return Image(width, height, channels, rows)


def _unfilter(ftype: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    n = len(line)
    if ftype == 0:
        return
    if ftype == 1:  # Sub
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif ftype == 2:  # Up
        for i in range(n):
            line[i] = (line[i] + prev[i]) & 0xFF
    elif ftype == 3:  # Average
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif ftype == 4:  # Paeth
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 0xFF
    else:
        raise ValueError(f"bad PNG filter type {ftype}")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _dist(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True))


def write_palette_png(img: Image, colours: int = 256, spread: int = 300) -> bytes:
    """`img` with at most `colours` colours: the most frequent ones, each at least `spread`
    (squared RGB distance) from those kept before it, so that a rare but distinct colour (a
    legend's swatch) is kept rather than yet another shade of anti-aliased grey; every other
    colour becomes the nearest kept one. Screenshots of charts are mostly flat colours plus
    anti-aliased text, so this keeps them sharp at a fraction of the size."""
    count: Counter[tuple[int, ...]] = Counter()
    for y in range(img.height):
        for x in range(img.width):
            count[img.pixel(x, y)[:3]] += 1
    palette: list[tuple[int, ...]] = []
    for c, _n in count.most_common():
        if len(palette) == colours:
            break
        if all(_dist(c, p) >= spread for p in palette):
            palette.append(c)
    index = {c: i for i, c in enumerate(palette)}
    for c in count:
        if c not in index:
            index[c] = min(range(len(palette)), key=lambda i: _dist(c, palette[i]))
    raw = bytearray()
    for y in range(img.height):
        raw.append(0)
        raw += bytes(index[img.pixel(x, y)[:3]] for x in range(img.width))
    return (
        SIGNATURE
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", img.width, img.height, 8, 3, 0, 0, 0))
        + _chunk(b"PLTE", b"".join(bytes(c) for c in palette))
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + _chunk(b"IEND", b"")
    )
