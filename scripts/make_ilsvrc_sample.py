#!/usr/bin/env python3
"""Writes a small ILSVRC-2012 directory in the official layout, with images of ImageNet's
typical size, for timing the ImageNet arm on this engine (docs/imagenet.md) and for trying
`imbench train --dataset imagenet` without the 150 GB download:

  OUT/ILSVRC2012_img_train.tar       one tar per class, WNID.tar, of WNID_N.JPEG files
  OUT/ILSVRC2012_img_val.tar         ILSVRC2012_val_%08d.JPEG
  OUT/ILSVRC2012_devkit_t12.tar.gz   data/ILSVRC2012_validation_ground_truth.txt and
                                     data/meta.mat (written by scipy.io.savemat, as the
                                     devkit's: a 'synsets' struct array)

Images are Pillow JPEGs (quality 90) of smooth colour fields with noise, 500 x 375 or
375 x 500 (ImageNet's most common sizes). Not real ImageNet: the numbers it gives are
costs, never accuracies.

    python3 scripts/make_ilsvrc_sample.py OUT [--classes 4] [--train 16] [--val 4]
(needs numpy, pillow and scipy)
"""
import argparse
import io
import os
import random
import tarfile

import numpy as np
import scipy.io
from PIL import Image

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--classes", type=int, default=4)
parser.add_argument("--train", type=int, default=16, help="training images per class")
parser.add_argument("--val", type=int, default=4, help="validation images per class")
args = parser.parse_args()
rng = random.Random(2012)
nrng = np.random.default_rng(2012)
os.makedirs(args.out, exist_ok=True)
wnids = sorted("n%08d" % rng.randrange(1440764, 15075141) for _ in range(args.classes))


def jpeg(cls):
    w, h = rng.choice([(500, 375), (375, 500), (500, 333)])
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * (cls + 1) * 0.3) % 256, (y * 0.5 + cls * 40) % 256, ((x + y) * 0.2) % 256], -1)
    pixels = np.clip(base + nrng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


with tarfile.open(os.path.join(args.out, "ILSVRC2012_img_train.tar"), "w", format=tarfile.GNU_FORMAT) as outer:
    for c, wnid in enumerate(wnids):
        inner = io.BytesIO()
        with tarfile.open(fileobj=inner, mode="w", format=tarfile.GNU_FORMAT) as t:
            for i in range(args.train):
                add(t, "%s_%d.JPEG" % (wnid, 10000 + i), jpeg(c))
        add(outer, wnid + ".tar", inner.getvalue())

truth = []
with tarfile.open(os.path.join(args.out, "ILSVRC2012_img_val.tar"), "w", format=tarfile.GNU_FORMAT) as val:
    for n in range(args.classes * args.val):
        c = rng.randrange(args.classes)
        truth.append(c + 1)
        add(val, "ILSVRC2012_val_%08d.JPEG" % (n + 1), jpeg(c))

dtype = [("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O"), ("num_children", "O")]
synsets = np.zeros((len(wnids) + 1, 1), dtype=dtype)
for i, wnid in enumerate(wnids):
    synsets[i, 0] = (np.array([[i + 1]], dtype=np.float64), wnid, "class %d" % i, np.array([[0]], dtype=np.float64))
synsets[len(wnids), 0] = (np.array([[1001]], dtype=np.float64), "n00001740", "entity", np.array([[len(wnids)]], dtype=np.float64))
meta = io.BytesIO()
scipy.io.savemat(meta, {"synsets": synsets}, do_compression=True)
with tarfile.open(os.path.join(args.out, "ILSVRC2012_devkit_t12.tar.gz"), "w:gz") as devkit:
    add(devkit, "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt",
        "".join("%d\n" % t for t in truth).encode())
    add(devkit, "ILSVRC2012_devkit_t12/data/meta.mat", meta.getvalue())
print("wrote", args.out, ":", args.classes, "classes,", args.classes * args.train, "training and",
      args.classes * args.val, "validation images")
