#!/usr/bin/env python3
"""Makes the tiny image fixtures of ImagingTests, with the pixels each should decode to.

PNGs are written by hand (struct + zlib, no imaging library), so they are an independent reference for libpng's
decoding: every colour type, bit depths 1/2/4/8/16, palette with tRNS, all five row filters, Adam7 interlacing.
JPEGs are written with Pillow (pip install pillow); their expected pixels are Pillow's own decode.
For each fixture NAME.png/NAME.jpg the expected 8-bit RGB (H, W, 3) is in NAME.rgb, and manifest.json lists
size and tolerance. Alpha is composited over white in 8 bits: out = (a*c + (255-a)*255 + 127) // 255;
16-bit samples are scaled to 8 bits first as round(v / 257).

Run from this folder: python3 make_fixtures.py
"""
import io
import json
import struct
import zlib

manifest = []


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp):
    """Filters each raw row with filter type (row index % 5): None, Sub, Up, Average, Paeth."""
    out = bytearray()
    prev = bytes(len(rows[0])) if rows else b""
    for index, row in enumerate(rows):
        kind = index % 5
        out.append(kind)
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            out.append((x - predictor) & 0xFF)
        prev = row
    return bytes(out)


def pack_row(samples, depth):
    """Packs one row of samples (ints) at the given bit depth, big-endian, padded to a byte."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(name, width, height, color_type, depth, samples, palette=None, trns=None, interlace=False):
    """samples[y][x] is a tuple of channel values at `depth` bits (palette: an index)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    bpp = max(1, channels * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    data = b""
    for x0, y0, dx, dy in passes:
        rows = []
        for y in range(y0, height, dy):
            xs = range(x0, width, dx)
            if not xs:
                continue
            rows.append(pack_row([v for x in xs for v in samples[y][x]], depth))
        if rows:
            data += filter_rows(rows, bpp)
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 1 if interlace else 0))
    if palette is not None:
        png += chunk(b"PLTE", bytes(v for rgb in palette for v in rgb))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    png += chunk(b"IDAT", zlib.compress(data, 9)) + chunk(b"IEND", b"")
    open(name + ".png", "wb").write(png)
    return png


def to8(v, depth):
    """A sample scaled to 8 bits: exact for 1/2/4/8, round(v/257) for 16."""
    if depth == 16:
        return (v * 2 + 257) // (2 * 257)  # round half up of v/257 (no ties exist: 257 is odd)
    return v * 255 // ((1 << depth) - 1)


def over_white(c, a):
    return (a * c + (255 - a) * 255 + 127) // 255


def expect(name, width, height, rgb_rows, tolerance=0, note=""):
    open(name + ".rgb", "wb").write(bytes(v for row in rgb_rows for px in row for v in px))
    manifest.append({"name": name, "file": name + (".png" if note.startswith("PNG") else ".jpg"),
                     "width": width, "height": height, "tolerance": tolerance, "note": note})


def png_case(name, width, height, color_type, depth, interlace=False, palette_size=None, trns=False, tolerance=0):
    top = (1 << depth) - 1
    samples, expected = [], []
    palette = trns_bytes = None
    if color_type == 3:
        palette = [((37 * i + 11) % 256, (91 * i + 7) % 256, (53 * i + 200) % 256) for i in range(palette_size)]
        alphas = [(255 - 40 * i) % 256 for i in range(palette_size)] if trns else [255] * palette_size
        trns_bytes = bytes(alphas) if trns else None
    for y in range(height):
        srow, erow = [], []
        for x in range(width):
            seed = (x * 7 + y * 13 + x * y * 3) % 997
            if color_type == 3:
                i = seed % palette_size
                srow.append((i,))
                erow.append(tuple(over_white(c, alphas[i]) for c in palette[i]))
                continue
            values = tuple((seed * (k * 31 + 17) + k * 101 + (y * 977 if depth == 16 else 0)) % (top + 1)
                           for k in range({0: 1, 2: 3, 4: 2, 6: 4}[color_type]))
            srow.append(values)
            v8 = [to8(v, depth) for v in values]
            if color_type == 0:
                erow.append((v8[0],) * 3)
            elif color_type == 2:
                erow.append(tuple(v8))
            elif color_type == 4:
                erow.append((over_white(v8[0], v8[1]),) * 3)
            else:
                erow.append(tuple(over_white(c, v8[3]) for c in v8[:3]))
        samples.append(srow)
        expected.append(erow)
    write_png(name, width, height, color_type, depth, samples, palette, trns_bytes, interlace)
    expect(name, width, height, expected, tolerance, f"PNG color type {color_type}, {depth}-bit"
           + (", Adam7" if interlace else "") + (", tRNS" if trns else ""))


png_case("png_rgb8", 7, 6, 2, 8)
png_case("png_rgb16", 5, 4, 2, 16)
png_case("png_rgba8", 6, 5, 6, 8)
png_case("png_rgba16", 5, 3, 6, 16)
png_case("png_gray1", 13, 3, 0, 1)
png_case("png_gray2", 9, 3, 0, 2)
png_case("png_gray4", 5, 4, 0, 4)
png_case("png_gray8", 6, 4, 0, 8)
png_case("png_gray16", 4, 3, 0, 16)
png_case("png_graya8", 5, 4, 4, 8)
png_case("png_graya16", 4, 4, 4, 16)
png_case("png_palette8_trns", 7, 5, 3, 8, palette_size=200, trns=True)
png_case("png_palette4", 6, 4, 3, 4, palette_size=16)
png_case("png_palette2_trns", 5, 5, 3, 2, palette_size=4, trns=True)
png_case("png_palette1", 11, 2, 3, 1, palette_size=2)
png_case("png_rgb8_adam7", 11, 9, 2, 8, interlace=True)
png_case("png_gray2_adam7", 10, 10, 0, 2, interlace=True)
png_case("png_rgba16_adam7", 9, 7, 6, 16, interlace=True, tolerance=1)   # composited in 16 bits: within 1
png_case("png_gray16_adam7", 7, 6, 0, 16, interlace=True)

# Bad PNGs. A valid IHDR (with a correct CRC) declaring 100000x100000 RGB pixels: a decompression bomb.
bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
bomb += chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
open("bad_bomb.png", "wb").write(bomb)
# A valid 4x4 PNG whose IDAT CRC is wrong (last CRC byte of IDAT flipped).
good = write_png("bad_crc", 4, 4, 2, 8, [[(x * 60, y * 60, 128) for x in range(4)] for y in range(4)])
idat = good.index(b"IDAT")
length = struct.unpack(">I", good[idat - 4:idat])[0]
crc_at = idat + 4 + length
open("bad_crc.png", "wb").write(good[:crc_at + 3] + bytes([good[crc_at + 3] ^ 0xFF]) + good[crc_at + 4:])

# ---- JPEGs (Pillow) ----------------------------------------------------------------------------------------------
from PIL import Image, ImageOps  # noqa: E402


def smooth(width, height):
    im = Image.new("RGB", (width, height))
    im.putdata([((x * 255) // (width - 1), (y * 255) // (height - 1), ((x + y) * 255) // (width + height - 2))
                for y in range(height) for x in range(width)])
    return im


def rows_of(im):
    im = im.convert("RGB")
    raw = im.tobytes()
    data = [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    return [data[y * im.width:(y + 1) * im.width] for y in range(im.height)]


def jpeg_case(name, im, note, tolerance=2, **save):
    im.save(name + ".jpg", "JPEG", **save)
    decoded = Image.open(name + ".jpg")
    decoded.load()
    expect(name, decoded.width, decoded.height, rows_of(decoded), tolerance, note)


jpeg_case("jpeg_baseline", smooth(40, 24), "JPEG baseline 4:2:0, reference: Pillow's decode", quality=90)
jpeg_case("jpeg_progressive", smooth(40, 24), "JPEG progressive, reference: Pillow's decode",
          quality=90, progressive=True)
jpeg_case("jpeg_gray", smooth(24, 16).convert("L"), "JPEG grayscale, reference: Pillow's decode", quality=90)

# CMYK (Pillow writes Adobe APP14, inverted CMYK). Expected RGB from Pillow's decoded ink values with
# R = 255 (1 - c)(1 - k), rounded: (255 - c) * (255 - k) / 255.
cmyk = Image.new("CMYK", (16, 16))
cmyk.putdata([((x * 17) % 256, (y * 17) % 256, ((x + y) * 8) % 256, (x * y) % 128) for y in range(16) for x in range(16)])
cmyk.save("jpeg_cmyk.jpg", "JPEG", quality=100)
decoded = Image.open("jpeg_cmyk.jpg")
decoded.load()
assert decoded.mode == "CMYK"
raw = decoded.tobytes()
ink = [tuple(raw[i:i + 4]) for i in range(0, len(raw), 4)]
rgb = [tuple(((255 - v) * (255 - k) + 127) // 255 for v in (c, m, y)) for c, m, y, k in ink]
expect("jpeg_cmyk", 16, 16, [rgb[r * 16:(r + 1) * 16] for r in range(16)], 1,
       "JPEG CMYK (Adobe, inverted), reference: Pillow's decoded ink, R = 255(1-c)(1-k)")

# EXIF orientation 1...8 on a 24x16 image of six flat 8x8 blocks; reference: Pillow's exif_transpose.
blocks = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255)]
oriented = Image.new("RGB", (24, 16))
oriented.putdata([blocks[(y // 8) * 3 + x // 8] for y in range(16) for x in range(24)])
for orientation in range(1, 9):
    exif = Image.Exif()
    exif[0x0112] = orientation
    name = f"jpeg_orientation{orientation}"
    oriented.save(name + ".jpg", "JPEG", quality=100, subsampling=0, exif=exif.tobytes())
    upright = ImageOps.exif_transpose(Image.open(name + ".jpg"))
    expect(name, upright.width, upright.height, rows_of(upright), 2,
           f"JPEG EXIF orientation {orientation}, reference: Pillow's exif_transpose")

# A JPEG whose SOF declares 65000x65000 (4225 megapixels): the 8x8 image above with the size patched.
buffer = io.BytesIO()
Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, "JPEG", quality=90)
data = bytearray(buffer.getvalue())
sof = data.index(b"\xff\xc0")
data[sof + 5:sof + 9] = struct.pack(">HH", 65000, 65000)   # SOFn: length(2) precision(1) height(2) width(2)
open("bad_bomb.jpg", "wb").write(bytes(data))

json.dump(manifest, open("manifest.json", "w"), indent=1)
print(f"{len(manifest)} fixtures")
