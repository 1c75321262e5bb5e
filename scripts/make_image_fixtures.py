#!/usr/bin/env python3
"""Writes the image and array fixtures of Tests/ImbalanceDataTests/Fixtures/ with
third-party writers, and the pixels each must decode to:

- png/*.png by pypng: every colour type and bit depth of the standard, interlaced and not.
  The expected pixels follow the readers' documented rules from the source samples (alpha
  dropped; grey below 8 bits scaled by 255 / (2^depth - 1); 16-bit samples rounded
  v * 255 / 65535), so the test checks our decoder against an independent encoder.
- jpeg/*.jpg by Pillow (libjpeg-turbo): baseline colour, progressive colour, baseline grey,
  4:2:0 and 4:4:4 subsampling. Expected pixels are Pillow's own decoding.
- npz/*.npz by numpy: np.savez and np.savez_compressed in MedMNIST's layout.
- luma.json: Pillow's convert("L") of RGB triples, for the grey conversion.

Run from the repository root in a venv with numpy, pillow and pypng:
    python3 scripts/make_image_fixtures.py
"""
import io
import json
import os
import random

import numpy as np
import png
from PIL import Image

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ImbalanceDataTests", "Fixtures")
os.makedirs(os.path.join(root, "png"), exist_ok=True)
os.makedirs(os.path.join(root, "jpeg"), exist_ok=True)
os.makedirs(os.path.join(root, "npz"), exist_ok=True)
rng = random.Random(20)
expected = {}


def eight(v, depth):
    if depth == 16:
        return (v * 255 + 32767) // 65535
    if depth == 8:
        return v
    return v * 255 // ((1 << depth) - 1)


# (name, colour type, depth, width, height, interlaced)
cases = []
for depth in (1, 2, 4, 8, 16):
    cases.append(("grey%d" % depth, "grey", depth))
for depth in (8, 16):
    cases += [("rgb%d" % depth, "rgb", depth), ("greyalpha%d" % depth, "greyalpha", depth),
              ("rgba%d" % depth, "rgba", depth)]
for depth in (1, 2, 4, 8):
    cases.append(("palette%d" % depth, "palette", depth))
for name, kind, depth in cases:
    for interlaced in (False, True):
        w, h = 13, 11   # odd sizes exercise partial bytes and every Adam7 pass
        top = (1 << depth) - 1
        planes = {"grey": 1, "rgb": 3, "greyalpha": 2, "rgba": 4, "palette": 1}[kind]
        if kind == "palette":
            entries = min(1 << depth, 200)
            palette = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(entries)]
            samples = [[rng.randrange(entries) for _ in range(w)] for _ in range(h)]
            writer = png.Writer(w, h, palette=palette, bitdepth=depth, interlace=interlaced)
            pixels = [c for row in samples for i in row for c in palette[i]]
            channels = 3
        else:
            samples = [[rng.randrange(top + 1) for _ in range(w * planes)] for _ in range(h)]
            writer = png.Writer(w, h, greyscale=kind in ("grey", "greyalpha"), alpha=kind in ("greyalpha", "rgba"),
                                bitdepth=depth, interlace=interlaced)
            keep = {"grey": [0], "rgb": [0, 1, 2], "greyalpha": [0], "rgba": [0, 1, 2]}[kind]
            pixels = [eight(row[x * planes + k], depth) for row in samples for x in range(w) for k in keep]
            channels = len(keep)
        file = "%s%s.png" % (name, "-interlaced" if interlaced else "")
        with open(os.path.join(root, "png", file), "wb") as f:
            writer.write(f, samples)
        expected["png/" + file] = {"width": w, "height": h, "channels": channels, "pixels": pixels}

# JPEGs: Pillow writes and decodes them (the expected pixels are Pillow's decoding).
def gradient(w, h, mode):
    image = Image.new(mode, (w, h))
    data = []
    for y in range(h):
        for x in range(w):
            if mode == "L":
                data.append((x * 7 + y * 3 + rng.randrange(16)) % 256)
            else:
                data.append(((x * 9) % 256, (y * 11) % 256, (x * y + rng.randrange(32)) % 256))
    image.putdata(data)
    return image

for name, mode, options in [("baseline", "RGB", {}), ("progressive", "RGB", {"progressive": True}),
                            ("grey", "L", {}), ("subsampling444", "RGB", {"subsampling": 0}),
                            ("subsampling420", "RGB", {"subsampling": 2})]:
    image = gradient(37, 23, mode)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, **options)
    file = name + ".jpg"
    with open(os.path.join(root, "jpeg", file), "wb") as f:
        f.write(buffer.getvalue())
    decoded = Image.open(io.BytesIO(buffer.getvalue()))
    decoded.load()
    channels = 1 if decoded.mode == "L" else 3
    pixels = list(decoded.tobytes())
    expected["jpeg/" + file] = {"width": decoded.width, "height": decoded.height, "channels": channels,
                                "pixels": pixels}

# NPZ in MedMNIST's layout, as numpy writes it.
arrays = {
    "train_images": np.arange(6 * 5 * 4, dtype=np.uint8).reshape(6, 5, 4),
    "train_labels": np.array([[0], [1], [2], [0], [1], [2]], dtype=np.uint8),
    "val_images": np.full((3, 5, 4), 7, dtype=np.uint8),
    "val_labels": np.array([[2], [1], [0]], dtype=np.uint8),
    "test_images": (np.arange(3 * 5 * 4, dtype=np.uint8) * 3).reshape(3, 5, 4),
    "test_labels": np.array([[1], [0], [2]], dtype=np.int64),
}
np.savez(os.path.join(root, "npz", "medmnist-stored.npz"), **arrays)
np.savez_compressed(os.path.join(root, "npz", "medmnist-deflated.npz"), **arrays)
rgb = {"x_train": np.arange(4 * 3 * 2 * 3, dtype=np.uint8).reshape(4, 3, 2, 3), "y_train": np.array([0, 1, 1, 0]),
       "x_test": np.arange(2 * 3 * 2 * 3, dtype=np.uint8).reshape(2, 3, 2, 3)[::-1].copy(), "y_test": np.array([1, 0])}
np.savez_compressed(os.path.join(root, "npz", "keras-rgb.npz"), **rgb)
expected["npz/medmnist"] = {k: v.flatten().tolist() for k, v in arrays.items()}
expected["npz/keras-rgb"] = {k: v.flatten().tolist() for k, v in rgb.items()}

# Pillow's grey conversion of RGB triples.
triples = [(r, g, b) for r in (0, 1, 127, 128, 254, 255) for g in (0, 2, 128, 255) for b in (0, 3, 200, 255)]
image = Image.new("RGB", (len(triples), 1))
image.putdata(triples)
expected["luma"] = {"rgb": [c for t in triples for c in t], "grey": list(image.convert("L").tobytes())}

with open(os.path.join(root, "expected.json"), "w") as f:
    json.dump(expected, f, separators=(",", ":"), sort_keys=True)
print("wrote", len(expected), "fixtures to", root)
