"""Regenerated files that show nothing new are left as they are.

`make figures` and `make student` redraw pictures whose last digits depend on the machine (the
BLAS kernel, Pillow's zlib); rewriting a file for that would put noise in every commit.  So a
file is rewritten only when its new content differs from the old in what a reader could see:

    same_png(old, new)    the same size, every pixel channel within PIXEL_LEVELS levels
    same_gif(old, new)    the same frames and durations, each within GIF_LEVELS on average
    same_svg(old, new)    the same text around the numbers, each number within SVG_POINTS
    write(path, new)      writes new to path unless the two are equal or the same as above

    svg_ids(svg)          matplotlib's hashed SVG ids (p1a2b3c4d5e, ...) numbered in order, so
                          that an id no longer depends on the last digits of what it names
"""
import io
import re
from pathlib import Path

import numpy as np

__all__ = ["PIXEL_LEVELS", "GIF_LEVELS", "SVG_POINTS", "same_png", "same_gif", "same_svg", "svg_ids",
           "write"]

#: Largest difference of a pixel channel (0-255) that is not a change: antialiasing of an edge
#: that moved by a ten-thousandth of a pixel.  A figure that changed differs by tens of levels.
PIXEL_LEVELS = 2
#: A GIF has a palette of 256 colours chosen per frame, and a slightly different picture can get
#: a slightly different palette, moving some pixels by tens of levels: so a GIF frame is compared
#: by its mean difference (0-255, over pixels and channels).  Rounding the animation's fit moved
#: it by at most 0.003; one more digit in a frame's title moves it by 0.03.
GIF_LEVELS = 0.01
#: Largest difference of an SVG coordinate (points) that is not a change.
SVG_POINTS = 1e-3
_HASHED_ID = re.compile(rb'id="([a-z][0-9a-f]{10})"')
_NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def _frames(data):
    """Each frame of an image as an RGBA array, and its duration (None for a still image)."""
    from PIL import Image, ImageSequence      # Pillow comes with matplotlib

    with Image.open(io.BytesIO(data)) as image:
        return [(np.asarray(frame.convert("RGBA"), dtype=np.int16), frame.info.get("duration"))
                for frame in ImageSequence.Iterator(image)]


def _same_frames(old, new, differ):
    """True if the images (bytes) have as many frames, with the same sizes and durations, and
    differ(old_frame, new_frame), the arrays' absolute difference, is small for each."""
    try:
        a, b = _frames(old), _frames(new)
    except OSError:                              # not an image Pillow can read
        return False
    return len(a) == len(b) and all(
        da == db and fa.shape == fb.shape and differ(np.abs(fa - fb))
        for (fa, da), (fb, db) in zip(a, b))


def same_png(old, new):
    """True if two PNGs (bytes) show the same picture: same size, pixels within PIXEL_LEVELS."""
    return _same_frames(old, new, lambda diff: diff.max(initial=0) <= PIXEL_LEVELS)


def same_gif(old, new):
    """True if two GIFs (bytes) have the same frames and durations, each frame within
    GIF_LEVELS of the other on average."""
    return _same_frames(old, new, lambda diff: diff.mean() <= GIF_LEVELS)


def same_svg(old, new):
    """True if two SVGs (bytes) differ only in numbers, each by at most SVG_POINTS."""
    a, b = svg_ids(old).decode("utf-8"), svg_ids(new).decode("utf-8")
    if _NUMBER.split(a) != _NUMBER.split(b):
        return False
    x = np.array([float(v) for v in _NUMBER.findall(a)])
    y = np.array([float(v) for v in _NUMBER.findall(b)])
    return x.shape == y.shape and bool(np.all(np.abs(x - y) <= SVG_POINTS))


def svg_ids(svg):
    """The SVG (bytes) with matplotlib's hashed ids (a letter and ten hex digits: clip paths,
    markers, hatches) replaced by the letter and a number counted in order of appearance, and
    every reference to them with it."""
    names = {}
    for old in _HASHED_ID.findall(svg):
        names.setdefault(old, old[:1] + str(len(names) + 1).encode())
    if not names:
        return svg
    return re.sub(rb"\b(" + b"|".join(names) + rb")\b", lambda m: names[m.group(1)], svg)


_SAME = {".png": same_png, ".gif": same_gif, ".svg": same_svg}


def write(path, new):
    """Write the bytes `new` to path, unless path already holds them or, for a PNG, GIF or SVG,
    the same picture.  Returns True if the file was written."""
    path = Path(path)
    if path.exists():
        old = path.read_bytes()
        same = _SAME.get(path.suffix.lower())
        if old == new or (same is not None and same(old, new)):
            return False
    path.write_bytes(new)
    return True
