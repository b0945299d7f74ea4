#!/usr/bin/env python3
"""Writes the fixtures of HostileImageTests that Swift cannot make itself (run from the project root:
python3 Tests/ImagingTests/Fixtures/make_hostile_fixtures.py; needs Pillow).

- progressive_128.jpg: a 128x128 progressive JPEG (Pillow, quality 80, 4:2:0) whose coefficient buffers need more
  than 1 KiB, for the decoder memory cap.
"""
import os
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
image = Image.new("RGB", (128, 128))
image.putdata([((x * 2) % 256, (y * 2) % 256, (x + y) % 256) for y in range(128) for x in range(128)])
image.save(os.path.join(here, "progressive_128.jpg"), progressive=True, quality=80)
