"""evclip.overlay: draw_detections draws on numpy frames through the library's own overlay
(evclip_painter_*), pixel for pixel the clips' look; color_for_label and
default_label_formatter come from the C library."""

import ctypes

import numpy as np
import pytest

from evclip import Detection, FrameDetections, _lib, palette_color
from evclip.overlay import color_for_label, default_label_formatter, draw_detections

W, H = 640, 360    # below 720 lines: the I420 painter uses BT.601, as clips of SD video

DETS = [
    Detection((40, 60, 240, 200), "car", 0.64, 7),
    Detection((300, 100, 420, 300), "person", 0.9),
    Detection((500, 20, 700, 120), "truck"),            # crosses the right edge
    Detection((0.1, 0.7, 0.3, 0.95), "bike", extra={"normalized": True}),
]


def gray(h=H, w=W):
    return np.full((h, w, 3), 128, np.uint8)


def test_default_label_formatter_is_the_chip_text_of_clips(lib):
    assert default_label_formatter(DETS[0]) == "car #7 0.64"
    assert default_label_formatter(DETS[1]) == "person 0.90"
    assert default_label_formatter(DETS[2]) == "truck"


def test_color_for_label_is_the_library_palette(lib):
    assert color_for_label("car") == palette_color("car") != color_for_label("person")
    assert color_for_label("car", 3) == palette_color("anything", 3)
    with pytest.raises(TypeError):
        color_for_label(None)
    with pytest.raises(TypeError):
        color_for_label("car", "3")


def test_outline_pixels_have_the_palette_colour_and_the_rest_is_untouched(lib):
    frame = gray()
    assert draw_detections(frame, DETS) == 4
    assert tuple(frame[130, 41]) == color_for_label("car", 7)       # left edge, thickness 2
    assert tuple(frame[300 - 1, 340]) == color_for_label("person")  # bottom edge
    assert tuple(frame[21, W - 1]) == color_for_label("truck")      # top edge, clipped
    assert tuple(frame[341, 128]) == color_for_label("bike")    # normalised: 0.95 * 360
    inside, outside = frame[100:190, 50:230], frame[:, 0:30]
    assert (inside == 128).all() and (outside == 128).all()


def test_rgb_flag_swaps_the_channel_order(lib):
    bgr, rgb = gray(), gray()
    draw_detections(bgr, DETS)
    draw_detections(rgb, DETS, rgb=True)
    assert np.array_equal(bgr, rgb[:, :, ::-1])


def _i420_painter(lib, w, h):
    handle = ctypes.c_void_p()
    assert lib.evclip_painter_new(ctypes.byref(handle), w, h, _lib.PIXFMT_YUV420P, None, 0,
                                  0) == 0
    return handle


def _c_dets(dets):
    from evclip.render import _fill_detection

    arr = (_lib.EvclipDetection * len(dets))()
    for i, d in enumerate(dets):
        arr[i].frame_idx = 0
        _fill_detection(d, arr[i], None, 0, "d")
    return arr


def test_same_pixels_as_the_clip_overlay_in_yuv(lib):
    """The clips' overlay draws into YUV 4:2:0: the same detections drawn by it (the painter
    in I420) and by draw_detections (BGR) give the same luma everywhere, chips and glyphs
    included (within rounding)."""
    frame = gray()
    draw_detections(frame, DETS)
    y = np.full((H, W), 126, np.uint8)       # BT.601 limited-range luma of gray 128
    u = np.full((H // 2, W // 2), 128, np.uint8)
    v = np.full((H // 2, W // 2), 128, np.uint8)
    painter = _i420_painter(lib, W, H)
    try:
        data = (ctypes.c_void_p * 3)(y.ctypes.data, u.ctypes.data, v.ctypes.data)
        sizes = (ctypes.c_int * 3)(W, W // 2, W // 2)
        arr = _c_dets(DETS)
        assert lib.evclip_painter_draw(painter, data, sizes, arr, None, len(DETS)) == 4
    finally:
        lib.evclip_painter_free(ctypes.byref(painter))
    b, g, r = (frame[:, :, i].astype(np.float64) for i in range(3))
    luma = np.rint(16 + (0.299 * r + 0.587 * g + 0.114 * b) * 219 / 255)
    diff = np.abs(luma - y)
    assert diff.max() <= 2, np.argwhere(diff > 2)[:5]
    changed = (frame != 128).any(axis=2)
    assert changed.sum() > 5000 and ((y != 126) == changed).mean() > 0.999


def test_label_formatter_and_supervision_input(lib):
    class SvDetections:
        xyxy = np.array([[40, 60, 240, 200]], np.float32)
        confidence = np.array([0.64], np.float32)
        class_id = np.array([2])
        tracker_id = np.array([7])
        data = {"class_name": np.array(["car"])}

    plain, sv, formatted = gray(), gray(), gray()
    draw_detections(plain, [DETS[0]])
    draw_detections(sv, SvDetections())
    assert np.array_equal(plain, sv)
    draw_detections(formatted, FrameDetections([DETS[0]], 0), label_formatter=lambda d: "X")
    box = (slice(60, 200), slice(40, 240))
    assert np.array_equal(formatted[box], plain[box])     # the same outline and colour
    assert not np.array_equal(formatted, plain)           # another chip
    empty = gray()
    draw_detections(empty, [DETS[0]], label_formatter=lambda d: "")   # no chip at all
    assert (empty[:58] == 128).all() and np.array_equal(empty[box], plain[box])


def test_boxes_outside_and_empty_lists(lib):
    frame = gray()
    assert draw_detections(frame, [Detection((700, 400, 900, 500), "far")]) == 0
    assert draw_detections(frame, []) == 0 and (frame == 128).all()
    assert draw_detections(frame, [Detection((5, 5, 5, 9), "flat")]) == 0   # nonsense box


def test_views_with_padded_rows_are_drawn_in_place(lib):
    big = gray(H, W + 64)
    view = big[:, 32:32 + W]
    draw_detections(view, DETS)
    alone = gray()
    draw_detections(alone, DETS)
    assert np.array_equal(view, alone) and (big[:, :32] == 128).all()


@pytest.mark.parametrize("frame, exc, match", [
    ("frame", TypeError, "numpy array"),
    (np.zeros((10, 10, 3), np.float32), TypeError, "uint8"),
    (np.zeros((10, 10), np.uint8), ValueError, "H x W x 3"),
    (np.zeros((10, 10, 4), np.uint8), ValueError, "H x W x 3"),
    (np.zeros((10, 20, 3), np.uint8)[:, ::2], ValueError, "packed pixels"),
    (np.zeros((0, 10, 3), np.uint8), ValueError, "empty"),
])
def test_bad_frames(lib, frame, exc, match):
    with pytest.raises(exc, match=match):
        draw_detections(frame, DETS)


def test_bad_arguments(lib):
    ro = gray()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        draw_detections(ro, DETS)
    with pytest.raises(TypeError, match="got None"):
        draw_detections(gray(), None)
    with pytest.raises(TypeError, match="got str"):
        draw_detections(gray(), "car")
    with pytest.raises(TypeError, match="rgb must be a bool"):
        draw_detections(gray(), DETS, rgb="yes")
    with pytest.raises(ValueError, match="thickness 999 is outside 1..256"):
        draw_detections(gray(), DETS, thickness=999)
    with pytest.raises(TypeError, match="expected a Detection"):
        draw_detections(gray(), [(1, 2, 3, 4)])


def test_painter_c_errors(lib):
    handle = ctypes.c_void_p()
    assert lib.evclip_painter_new(ctypes.byref(handle), 0, 10, _lib.PIXFMT_BGR24, None, 0,
                                  0) == _lib.ERR_INVALID
    assert not handle
    assert lib.evclip_painter_new(ctypes.byref(handle), 10, 10, 9, None, 0, 0) == \
        _lib.ERR_INVALID
    assert "unknown pixel format 9" in _lib.last_error()
    assert lib.evclip_painter_new(ctypes.byref(handle), 16, 16, _lib.PIXFMT_BGR24, None, 0,
                                  0) == 0
    try:
        buf = np.zeros((16, 16, 3), np.uint8)
        data = (ctypes.c_void_p * 3)(buf.ctypes.data, None, None)
        sizes = (ctypes.c_int * 3)(47, 0, 0)        # a row is 48 bytes
        assert lib.evclip_painter_draw(handle, data, sizes, _c_dets(DETS[:1]), None, 1) == \
            _lib.ERR_INVALID
        assert "too narrow" in _lib.last_error() and not buf.any()
        assert lib.evclip_painter_draw(handle, data, sizes, None, None, -1) == _lib.ERR_INVALID
    finally:
        lib.evclip_painter_free(ctypes.byref(handle))
    assert not handle
    lib.evclip_painter_free(ctypes.byref(handle))    # &NULL is fine


def test_ultralytics_results_are_drawn_as_their_detections(lib):
    class Boxes:
        xyxy = np.array([[40, 60, 240, 200]], np.float32)
        conf = np.array([0.64], np.float32)
        cls = np.array([2.0], np.float32)
        id = np.array([7.0], np.float32)

    class Results:
        boxes, obb, names = Boxes(), None, {2: "car"}

    via_results, plain = gray(), gray()
    assert draw_detections(via_results, Results()) == 1
    draw_detections(plain, [DETS[0]])
    assert np.array_equal(via_results, plain)


def test_attacks_huge_nan_long_many_tiny(lib):
    frame = gray()
    nan = float("nan")
    assert draw_detections(frame, [Detection((nan, 1, 5, 5), "nan"),
                                   Detection((1, 1, float("inf"), 5), "inf")]) == 0
    assert (frame == 128).all()
    assert draw_detections(frame, [Detection((-1e12, -1e12, 1e12, 1e12), "huge")]) in (0, 1)
    long_label = gray()
    assert draw_detections(long_label, [Detection((10, 100, 50, 140), "x" * 100000)]) == 1
    many = gray()
    dets = [Detection((i % 600, i % 300, i % 600 + 40, i % 300 + 40), f"l{i % 40}", 0.5, i)
            for i in range(1000)]
    assert draw_detections(many, dets) == 1000
    tiny = np.full((1, 1, 3), 7, np.uint8)
    assert draw_detections(tiny, [Detection((0, 0, 1, 1), "dot")]) == 1
    with pytest.raises(TypeError, match="label_formatter must return a str"):
        draw_detections(gray(), DETS, label_formatter=lambda d: 5)
    for w in range(20, 40):            # many sizes: the painter cache stays bounded
        draw_detections(gray(20, w), DETS)
    from evclip import overlay
    assert len(overlay._local.painters) <= 8
