#!/usr/bin/env python3
"""PngSuite images (Willem van Schaik's PNG test suite; "Permission to use, copy, modify and distribute these images
for any purpose and without fee is hereby granted") with the samples as stored, for the gamma policy test.

Every PngSuite basic image carries gAMA 1.0, where a reader that applies gamma and one that does not differ by up to
72 levels. The reference is pypng's pure-Python reader, which does not apply gAMA (as PIL, OpenCV and Keras do not):
16-bit samples scaled to 8 bits as round(v / 257), alpha composited over white in 8 bits as in make_fixtures.py.

Usage: pip download --no-deps --no-binary :all: pypng==0.20220715.0 && tar xzf pypng-0.20220715.0.tar.gz
       python3 make_pngsuite_fixtures.py pypng-0.20220715.0/code     (writes pngsuite_*.png/.rgb and pngsuite.json)
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
import png  # noqa: E402  (pypng)
import pngsuite  # noqa: E402  (pypng's copy of PngSuite)

# Gray, RGB, palette, RGBA, 8 and 16 bits, one Adam7 16-bit file (stylize decodes those in 16 bits).
NAMES = ["basn0g08", "basn0g16", "basn2c08", "basn2c16", "basn3p04", "basn6a08", "basi0g16"]


def over_white(c, a):
    return (a * c + (255 - a) * 255 + 127) // 255


def to8(v, depth):
    return (v * 2 + 257) // (2 * 257) if depth == 16 else v


cases = []
for name in NAMES:
    data = pngsuite.png[name]
    open("pngsuite_%s.png" % name, "wb").write(data)
    reader = png.Reader(bytes=data)
    width, height, rows, info = reader.read()   # raw samples: asDirect would also apply sBIT
    depth, planes = info["bitdepth"], info["planes"]
    if "palette" in info:   # indices through the palette (RGB or RGBA entries)
        palette = reader.palette()
        rows = [[v for i in row for v in palette[i]] for row in rows]
        depth, planes = 8, len(palette[0])
    out = bytearray()
    for row in rows:
        for x in range(width):
            px = [to8(v, depth) for v in row[x * planes:(x + 1) * planes]]
            if planes in (1, 2):
                px = [px[0]] * 3 + px[1:]
            if len(px) == 4:
                px = [over_white(c, px[3]) for c in px[:3]]
            out += bytes(px)
    open("pngsuite_%s.rgb" % name, "wb").write(out)
    cases.append({"name": "pngsuite_" + name, "file": "pngsuite_%s.png" % name, "width": width, "height": height,
                  "tolerance": 0, "gamma": info.get("gamma"),
                  "note": "PngSuite %s, gAMA %s, samples as stored" % (name, info.get("gamma"))})
json.dump(cases, open("pngsuite.json", "w"), indent=1)
