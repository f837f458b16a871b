"""Outer contour of a boolean mask as a simplified polygon (supervision masks -> polygons)."""

from __future__ import annotations

from typing import Any, List, Optional

MAX_POINTS = 256  # a simplified outline keeps at most this many points

# Directions E, S, W, N (y grows downwards) and, for each, the pixels ahead of a corner on the
# left and on the right of the direction (row, column offsets from the corner (x, y)).
_STEP = ((1, 0), (0, 1), (-1, 0), (0, -1))
_AHEAD = (((-1, 0), (0, 0)),     # E: left = row y-1, col x; right = row y, col x
          ((0, 0), (0, -1)),     # S: left = row y, col x;   right = row y, col x-1
          ((0, -1), (-1, -1)),   # W: left = row y, col x-1; right = row y-1, col x-1
          ((-1, -1), (-1, 0)))   # N: left = row y-1, col x-1; right = row y-1, col x


def _trace(buf: bytes, stride: int, r0: int, c0: int, limit: int) -> List[List[float]]:
    """Corners where the outline turns, walked clockwise along pixel edges from the top-left
    corner of pixel (r0, c0) (the region's first pixel in raster order) with the region on
    the right: the outer boundary of its 8-connected component, in pixel-edge coordinates
    (a pixel (r, c) spans [c, c + 1] x [r, r + 1], as a bbox's x2 = last column + 1).
    buf is the mask padded by one row and column of zeros on each side."""
    def inside(r: int, c: int) -> bool:
        return buf[(r + 1) * stride + c + 1] != 0

    x, y, d = c0, r0, 0
    pts = [[float(x), float(y)]]
    for _ in range(limit):
        x += _STEP[d][0]
        y += _STEP[d][1]
        if x == c0 and y == r0:
            break
        (lr, lc), (rr, rc) = _AHEAD[d]
        if inside(y + lr, x + lc):
            nd = (d + 3) % 4      # turn left: the region goes on diagonally
        elif inside(y + rr, x + rc):
            nd = d                # straight on along the edge
        else:
            nd = (d + 1) % 4      # turn right around the corner
        if nd != d:
            pts.append([float(x), float(y)])
        d = nd
    return pts


def _distance(p: List[float], a: List[float], b: List[float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    norm = (dx * dx + dy * dy) ** 0.5
    if norm == 0:
        return ((p[0] - a[0]) ** 2 + (p[1] - a[1]) ** 2) ** 0.5
    return abs(dy * (p[0] - a[0]) - dx * (p[1] - a[1])) / norm


def _simplify(pts: List[List[float]], eps: float) -> List[List[float]]:
    """Douglas-Peucker on an open polyline (iterative: outlines can be long)."""
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        i, j = stack.pop()
        best, at = 0.0, -1
        for k in range(i + 1, j):
            dist = _distance(pts[k], pts[i], pts[j])
            if dist > best:
                best, at = dist, k
        if at >= 0 and best > eps:
            keep[at] = True
            stack += [(i, at), (at, j)]
    return [p for p, k in zip(pts, keep) if k]


def mask_polygon(mask: Any) -> Optional[List[List[float]]]:
    """The outer contour of a 2-D boolean mask (numpy array or nested lists) as [[x, y], ...]
    in pixel-edge coordinates, simplified to within half a pixel (more when it would keep over
    MAX_POINTS points): the outline of the component holding the mask's first pixel in
    raster order (top-most, then left-most). None for an empty mask or one of fewer than
    3 corners. Needs numpy (supervision's masks are numpy arrays)."""
    import numpy as np

    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"a mask must be 2-D (H x W), got shape {m.shape}")
    m = m.astype(bool, copy=False)
    rows = np.flatnonzero(m.any(axis=1))
    if rows.size == 0:
        return None
    r0 = int(rows[0])
    c0 = int(np.argmax(m[r0]))
    padded = np.pad(m, 1).astype(np.uint8)
    pts = _trace(padded.tobytes(), padded.shape[1], r0, c0, 4 * m.size + 4)
    # Closed outline: simplify as a polyline from the start corner back to it.
    eps = 0.5
    out = _simplify(pts + [pts[0]], eps)[:-1]
    while len(out) > MAX_POINTS:
        eps *= 2
        out = _simplify(pts + [pts[0]], eps)[:-1]
    return out if len(out) >= 3 else None
