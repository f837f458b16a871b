/* test_overlay.c: label text, colours, sizes, chip placement and captions of the overlay. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/overlay.h"
#include "src/text.h"
#include "tests/unit/check.h"

static const DrawColor bg = { 100, 128, 128 };

typedef struct Frame {
    DrawImage img;
    uint8_t *buf;
    size_t size;
} Frame;

static int frame_new(Frame *f, int w, int h)
{
    int cw = (w + 1) / 2, ch = (h + 1) / 2;

    f->size = (size_t)w * h + 2 * (size_t)cw * ch;
    f->buf = malloc(f->size);
    if (!f->buf)
        return -1;
    memset(f->buf, bg.y, (size_t)w * h);
    memset(f->buf + (size_t)w * h, 128, 2 * (size_t)cw * ch);
    f->img = (DrawImage){ { f->buf, f->buf + (size_t)w * h, f->buf + (size_t)w * h + cw * ch },
                          { w, cw, cw }, w, h };
    return 0;
}

static uint8_t luma(const Frame *f, int x, int y)
{
    return f->img.plane[0][y * f->img.stride[0] + x];
}

static EvclipDetection det(const char *label, double x1, double y1, double x2, double y2)
{
    return (EvclipDetection){ .frame_idx = 0, .ts = EVCLIP_NONE, .x1 = x1, .y1 = y1, .x2 = x2,
                              .y2 = y2, .label = label, .score = EVCLIP_NONE,
                              .track_id = EVCLIP_NONE };
}

static EvclipDetection colored(double x1, double y1, double x2, double y2, uint8_t b,
                               uint8_t g, uint8_t r)
{
    EvclipDetection d = det("car", x1, y1, x2, y2);

    d.track_id = 7;
    d.score = 0.64;
    d.has_color = 1;
    d.color[0] = b;
    d.color[1] = g;
    d.color[2] = r;
    return d;
}

static Overlay *open_overlay(int w, int h, int thickness, int font_size)
{
    OverlayParams p = { .width = w, .height = h, .matrix = DRAW_BT601, .thickness = thickness,
                        .font_size = font_size };
    Overlay *o = NULL;

    CHECK_MSG(overlay_open(&o, &p) == 0, "overlay %dx%d: %s", w, h, ev_error_message());
    return o;
}

static void test_format(void)
{
    EvclipDetection d = det("car", 0, 0, 1, 1);
    char buf[64];

    d.track_id = 7;
    d.score = 0.64;
    CHECK(overlay_format_label(&d, buf, sizeof(buf)) == 11 && !strcmp(buf, "car #7 0.64"));
    d.track_id = EVCLIP_NONE;
    overlay_format_label(&d, buf, sizeof(buf));
    CHECK(!strcmp(buf, "car 0.64"));
    d.score = EVCLIP_NONE;
    d.track_id = 0;
    overlay_format_label(&d, buf, sizeof(buf));
    CHECK(!strcmp(buf, "car #0"));
    d.track_id = EVCLIP_NONE;
    overlay_format_label(&d, buf, sizeof(buf));
    CHECK(!strcmp(buf, "car"));
    d.score = 0.999;
    overlay_format_label(&d, buf, sizeof(buf));
    CHECK(!strcmp(buf, "car 1.00"));
    d.score = NAN;
    overlay_format_label(&d, buf, sizeof(buf));
    CHECK(!strcmp(buf, "car"));
    /* Truncation never leaves half a UTF-8 sequence. */
    d = det("caf\xC3\xA9", 0, 0, 1, 1);
    d.track_id = 12;
    CHECK(overlay_format_label(&d, buf, 5) == 9 && !strcmp(buf, "caf"));
    CHECK(overlay_format_label(&d, buf, 6) == 9 && !strcmp(buf, "caf\xC3\xA9"));
}

static int same_rgb(const uint8_t a[3], const uint8_t b[3])
{
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

static void test_colors(void)
{
    EvclipDetection a = det("car", 0, 0, 1, 1), b = det("person", 0, 0, 1, 1);
    uint8_t ra[3], rb[3], seen[16][3];
    int distinct = 1;

    /* Explicit BGR colour wins over the track. */
    a.has_color = 1;
    a.color[0] = 0, a.color[1] = 0, a.color[2] = 255;
    a.track_id = 3;
    overlay_detection_rgb(&a, ra);
    CHECK(ra[0] == 255 && ra[1] == 0 && ra[2] == 0);
    /* The track wins over the label. */
    a.has_color = 0;
    b.track_id = 3;
    overlay_detection_rgb(&a, ra);
    overlay_detection_rgb(&b, rb);
    CHECK(same_rgb(ra, rb));
    /* Without a track, the label decides, stably. */
    a.track_id = b.track_id = EVCLIP_NONE;
    b.label = "car";
    overlay_detection_rgb(&a, ra);
    overlay_detection_rgb(&b, rb);
    CHECK(same_rgb(ra, rb));
    /* 16 consecutive tracks get 16 different colours. */
    for (int i = 0; i < 16; i++) {
        a.track_id = i;
        overlay_detection_rgb(&a, seen[i]);
        for (int k = 0; k < i; k++)
            distinct &= !same_rgb(seen[i], seen[k]);
    }
    CHECK(distinct);
}

static void test_open(void)
{
    static const int sizes[][3] = {
        { 240, 2, 12 }, { 480, 2, 12 }, { 1000, 3, 25 }, { 1080, 3, 27 }, { 2160, 5, 54 },
    };
    OverlayParams p = { .width = 64, .height = 0 };
    Overlay *o = NULL;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        o = open_overlay(sizes[i][0] * 16 / 9, sizes[i][0], 0, 0);
        CHECK_MSG(o && overlay_thickness(o) == sizes[i][1] && overlay_font_size(o) == sizes[i][2],
                  "height %d: thickness %d font %d", sizes[i][0], o ? overlay_thickness(o) : -1,
                  o ? overlay_font_size(o) : -1);
        overlay_close(&o);
    }
    o = open_overlay(640, 480, 7, 20);
    CHECK(o && overlay_thickness(o) == 7 && overlay_font_size(o) == 20);
    overlay_close(&o);
    CHECK(o == NULL);
    overlay_close(&o);
    overlay_close(NULL);
    CHECK(overlay_open(&o, &p) == EVCLIP_ERR_INVALID && !o);
    p = (OverlayParams){ .width = 64, .height = 64, .matrix = 5 };
    CHECK(overlay_open(&o, &p) == EVCLIP_ERR_INVALID);
    p = (OverlayParams){ .width = 64, .height = 64, .font_size = 2 };
    CHECK(overlay_open(&o, &p) == EVCLIP_ERR_INVALID);
    p = (OverlayParams){ .width = 64, .height = 64, .thickness = -1 };
    CHECK(overlay_open(&o, &p) == EVCLIP_ERR_INVALID);
    p = (OverlayParams){ .width = 64, .height = 64, .font = "No Such Font Family 42" };
    CHECK(overlay_open(&o, &p) == EVCLIP_ERR_FONT && !o);
}

static void test_chip_rect(Overlay *o)
{
    int r[4], r2[4];

    overlay_chip_rect(o, "car #7 0.64", 100, 100, r);
    CHECK(r[0] == 100 && r[1] + r[3] == 100 && r[2] > 0 && r[3] >= overlay_font_size(o));
    overlay_chip_rect(o, "car #7 0.64 long long", 100, 100, r2);
    CHECK(r2[2] > r[2] && r2[3] == r[3]);
    overlay_chip_rect(o, "car", 100, 0, r);
    CHECK(r[0] == 100 && r[1] == 0);                       /* inside the box top */
    overlay_chip_rect(o, "car", 100, 5, r);
    CHECK(r[1] == 5);                                      /* no room above */
    overlay_chip_rect(o, "car", 100, -40, r);
    CHECK(r[1] == 0);                                      /* box top above the frame */
    overlay_chip_rect(o, "car #7 0.64", 630, 200, r);
    CHECK(r[0] + r[2] == 640 && r[0] < 630);               /* shifted left */
    overlay_chip_rect(o, "car", -50, 200, r);
    CHECK(r[0] == 0);
}

/* Luma range of the chip rectangle r: min in *lo, max in *hi. */
static void chip_range(const Frame *f, const int r[4], int *lo, int *hi)
{
    *lo = 255;
    *hi = 0;
    for (int y = r[1]; y < r[1] + r[3]; y++) {
        for (int x = r[0]; x < r[0] + r[2]; x++) {
            int v = luma(f, x, y);
            *lo = v < *lo ? v : *lo;
            *hi = v > *hi ? v : *hi;
        }
    }
}

/* A box and its chip above it, pixel by pixel. */
static void test_draw_box(Overlay *o)
{
    EvclipDetection d = colored(100, 100, 200, 180, 0, 255, 255); /* yellow: black text */
    DrawColor yellow = draw_color_from_rgb(255, 255, 0, DRAW_BT601, 0);
    int t = overlay_thickness(o), r[4], lo, hi;
    Frame f;

    if (frame_new(&f, 640, 360) < 0)
        return;
    CHECK(overlay_draw_detections(o, &f.img, &d, 1, NULL) == 1);
    CHECK(luma(&f, 100, 100) == yellow.y && luma(&f, 199, 179) == yellow.y);
    CHECK(luma(&f, 100 + t - 1, 150) == yellow.y && luma(&f, 100 + t, 150) == bg.y);
    CHECK(luma(&f, 200, 150) == bg.y && luma(&f, 150, 180) == bg.y);
    overlay_chip_rect(o, "car #7 0.64", 100, 100, r);
    CHECK(luma(&f, r[0], r[1]) == yellow.y && luma(&f, r[0] + r[2] - 1, r[1]) == yellow.y);
    CHECK(luma(&f, r[0] + r[2] - 1, 99) == yellow.y);
    CHECK(luma(&f, r[0], r[1] - 1) == bg.y && luma(&f, r[0] - 1, r[1]) == bg.y);
    CHECK(luma(&f, r[0] + r[2], r[1] + 1) == bg.y);
    chip_range(&f, r, &lo, &hi);
    CHECK_MSG(lo < 40 && hi == yellow.y, "yellow chip luma %d..%d", lo, hi); /* black text */
    free(f.buf);
}

/* Chip inside the box at the top edge, shifted left at the right edge, black text on red. */
static void test_draw_edges(Overlay *o)
{
    EvclipDetection d[2] = { colored(50, 0, 150, 100, 0, 0, 255),
                             colored(600, 200, 640, 300, 0, 0, 255) };
    DrawColor red = draw_color_from_rgb(255, 0, 0, DRAW_BT601, 0);
    int r[4], lo, hi;
    Frame f;

    if (frame_new(&f, 640, 360) < 0)
        return;
    CHECK(overlay_draw_detections(o, &f.img, d, 2, NULL) == 2);
    overlay_chip_rect(o, "car #7 0.64", 50, 0, r);
    CHECK(r[1] == 0 && luma(&f, r[0] + r[2] - 1, r[3] - 1) == red.y);
    CHECK(luma(&f, r[0] + r[2] / 2, r[3] + 1) == bg.y);  /* inside the box, below the chip */
    chip_range(&f, r, &lo, &hi);
    /* black text: white on pure red would be 4.0:1, below WCAG's 4.5 */
    CHECK_MSG(lo < 40 && hi == red.y, "red chip luma %d..%d", lo, hi);
    overlay_chip_rect(o, "car #7 0.64", 600, 200, r);
    CHECK(r[0] + r[2] == 640 && r[0] < 600 && r[1] + r[3] == 200);
    CHECK(luma(&f, 639, r[1]) == red.y && luma(&f, r[0], r[1]) == red.y);
    CHECK(luma(&f, r[0] - 1, r[1]) == bg.y);
    free(f.buf);
}

/* Boxes wholly outside draw nothing and are not counted; extreme values do not crash. */
static void test_draw_outside(Overlay *o)
{
    EvclipDetection d[] = {
        det("a", -300, 10, -1, 50), det("b", 640, 10, 700, 50), det("c", 10, 360, 50, 400),
        det("d", 10, -100, 50, 0), det("e", NAN, 0, 10, 10), det("f", 0, 0, INFINITY, 10),
        det("g", 50, 50, 10, 10),
    };
    EvclipDetection huge = det("h", -1e300, -1e300, 1e300, 1e300);
    EvclipDetection part = det("i", -20, -20, 30, 30);
    uint8_t *copy;
    Frame f;

    if (frame_new(&f, 640, 360) < 0 || !(copy = malloc(f.size)))
        return;
    memcpy(copy, f.buf, f.size);
    CHECK(overlay_draw_detections(o, &f.img, d, sizeof(d) / sizeof(d[0]), NULL) == 0);
    CHECK(!memcmp(copy, f.buf, f.size));
    CHECK(overlay_draw_detections(o, &f.img, &huge, 1, NULL) == 1);
    CHECK(overlay_draw_detections(o, &f.img, &part, 1, NULL) == 1);
    CHECK(luma(&f, 0, 29) != bg.y && luma(&f, 29, 0) != bg.y);
    part = det("", 100, 100, 150, 150); /* empty label: no chip */
    CHECK(overlay_draw_detections(o, &f.img, &part, 1, NULL) == 1);
    CHECK(luma(&f, 100, 100) != bg.y && luma(&f, 100, 99) == bg.y && luma(&f, 101, 90) == bg.y);
    free(copy);
    free(f.buf);
}

static void test_transform(Overlay *o)
{
    EvclipDetection d = colored(100, 100, 200, 200, 255, 0, 0);
    BoxTransform t = { 0.5, 0.5, 10, 20 };
    DrawColor blue = draw_color_from_rgb(0, 0, 255, DRAW_BT601, 0);
    Frame f;

    if (frame_new(&f, 640, 360) < 0)
        return;
    CHECK(overlay_draw_detections(o, &f.img, &d, 1, &t) == 1);
    CHECK(luma(&f, 60, 70) == blue.y && luma(&f, 109, 119) == blue.y);
    CHECK(luma(&f, 59, 80) == bg.y && luma(&f, 110, 80) == bg.y && luma(&f, 80, 120) == bg.y);
    free(f.buf);
}

static void test_captions(Overlay *o)
{
    DrawColor black = draw_color_from_rgb(0, 0, 0, DRAW_BT601, 0);
    int dark = (bg.y * 95 + black.y * 160 + 127) / 255, r[4], lo, hi;
    Frame f;

    if (frame_new(&f, 640, 360) < 0)
        return;
    overlay_draw_captions(o, &f.img, "Camera 1", "2024-05-01 12:00:03.250");
    CHECK(luma(&f, 0, 0) == dark && luma(&f, 0, 359) == dark);
    CHECK(luma(&f, 639, 0) == bg.y && luma(&f, 639, 359) == bg.y && luma(&f, 320, 180) == bg.y);
    overlay_chip_rect(o, "Camera 1", 0, 1000, r); /* same band size as the caption */
    r[1] = 0;
    chip_range(&f, r, &lo, &hi);
    CHECK_MSG(lo == dark && hi > 200, "title band luma %d..%d", lo, hi);
    CHECK(luma(&f, r[2], 0) == bg.y && luma(&f, r[2] - 1, 0) == dark);
    overlay_draw_captions(o, &f.img, NULL, NULL);
    free(f.buf);
}

/* Small odd frames: everything clipped, nothing out of bounds (checked by ASan). */
static void test_odd_frame(void)
{
    EvclipDetection d[2] = { colored(0, 0, 33, 25, 0, 255, 0), det("person", 20, 3, 32, 24) };
    Overlay *o = open_overlay(33, 25, 0, 0);
    Frame f;

    if (!o || frame_new(&f, 33, 25) < 0) {
        overlay_close(&o);
        return;
    }
    CHECK(overlay_draw_detections(o, &f.img, d, 2, NULL) == 2);
    overlay_draw_captions(o, &f.img, "title wider than the frame", "00:00:01");
    CHECK(luma(&f, 32, 24) != bg.y);
    free(f.buf);
    overlay_close(&o);
}

/* 1 when the default font is not installed: the drawing tests are then skipped. */
static int font_missing(void)
{
    TextFont *font;

    if (text_font_open(&font, NULL, 12) == EVCLIP_ERR_FONT)
        return 1;
    text_font_close(&font);
    return 0;
}

/* Chip text keeps WCAG contrast >= 4.5 on every palette colour (track ids 0..19 cover the 20
 * entries, labels hash into the same table) and on a grid over the RGB cube (explicit colours). */
static void test_contrast(void)
{
    static const uint8_t black[3] = { 0, 0, 0 }, white[3] = { 255, 255, 255 };
    double worst = 21;
    CHECK(fabs(overlay_contrast(black, white) - 21.0) < 1e-9);
    for (int track = 0; track < 40; track++) {
        EvclipDetection d = { 0 };
        uint8_t rgb[3];
        d.track_id = track;
        d.label = "x";
        overlay_detection_rgb(&d, rgb);
        double c = overlay_contrast(rgb, overlay_chip_text_black(rgb) ? black : white);
        CHECK_MSG(c >= 4.5, "palette %d (#%02x%02x%02x): contrast %.2f", track, rgb[0], rgb[1],
                  rgb[2], c);
    }
    for (int r = 0; r < 256; r += 5)
        for (int g = 0; g < 256; g += 5)
            for (int b = 0; b < 256; b += 5) {
                uint8_t rgb[3] = { (uint8_t)r, (uint8_t)g, (uint8_t)b };
                double c = overlay_contrast(rgb, overlay_chip_text_black(rgb) ? black : white);
                worst = c < worst ? c : worst;
            }
    CHECK_MSG(worst >= 4.5, "worst contrast over the RGB grid %.3f", worst);
    /* The old luma >= 128 rule put white on pure red (#ff0000, 4.0:1); black reads 5.25:1. */
    CHECK(overlay_chip_text_black((const uint8_t[3]){ 255, 0, 0 }));
}

/* A later box's outline running through an earlier box's chip stays under the chip: chips are
 * drawn after all outlines. */
static void test_chips_over_outlines(Overlay *o)
{
    int r[4];
    Frame f;
    DrawColor red = draw_color_from_rgb(255, 0, 0, DRAW_BT601, 0);
    DrawColor blue = draw_color_from_rgb(0, 0, 255, DRAW_BT601, 0);

    if (frame_new(&f, 640, 360) < 0)
        return;
    overlay_chip_rect(o, "car #7 0.64", 100, 100, r);
    int x = r[0] + r[2] / 2; /* the blue box's left edge crosses the red chip vertically */
    EvclipDetection d[2] = { colored(100, 100, 300, 200, 0, 0, 255),
                             colored(x, r[1] - 30, x + 150, 300, 255, 0, 0) };
    CHECK(overlay_draw_detections(o, &f.img, d, 2, NULL) == 2);
    CHECK_MSG(luma(&f, x, r[1]) == red.y, "chip top row at the line: %d (red %d, blue %d)",
              luma(&f, x, r[1]), red.y, blue.y);
    CHECK(luma(&f, x, r[1] + r[3] - 1) == red.y);          /* chip bottom row too */
    CHECK(luma(&f, x, r[1] - 5) == blue.y);                /* the line above the chip */
    CHECK(luma(&f, x, r[1] + r[3] + 10) == blue.y);        /* and below it */
    free(f.buf);
}

/* Untracked boxes of one label in one frame get distinct colours (their chips would read the
 * same); the leftmost keeps the label colour; a lone box of another label keeps its own. */
static void test_ambiguous_colors(Overlay *o)
{
    Frame f;
    if (frame_new(&f, 640, 360) < 0)
        return;
    EvclipDetection d[4] = { det("person", 400, 100, 450, 200), det("person", 50, 100, 100, 200),
                             det("person", 250, 100, 300, 200), det("car", 500, 250, 600, 300) };
    uint8_t rgb[3];
    CHECK(overlay_draw_detections(o, &f.img, d, 4, NULL) == 4);
    overlay_detection_rgb(&d[1], rgb);
    DrawColor label = draw_color_from_rgb(rgb[0], rgb[1], rgb[2], DRAW_BT601, 0);
    overlay_detection_rgb(&d[3], rgb);
    DrawColor car = draw_color_from_rgb(rgb[0], rgb[1], rgb[2], DRAW_BT601, 0);
    int left = luma(&f, 50, 150), mid = luma(&f, 250, 150), right = luma(&f, 400, 150);
    CHECK_MSG(left == label.y, "leftmost keeps the label colour: %d vs %d", left, label.y);
    CHECK_MSG(left != mid && mid != right && left != right, "distinct: %d %d %d", left, mid,
              right);
    CHECK(luma(&f, 500, 275) == car.y);
    free(f.buf);
    /* The same boxes tracked keep their track colours, however many share the label. */
    if (frame_new(&f, 640, 360) < 0)
        return;
    d[0].track_id = d[1].track_id = 3;
    overlay_draw_detections(o, &f.img, d, 2, NULL);
    CHECK(luma(&f, 400, 150) == luma(&f, 50, 150));
    free(f.buf);
}

/* The detections of frame 0 of a store holding one polygon (points xy) into *list. */
static int polygon_det(EvclipDetections **d, DetList *list, const double *xy, int n)
{
    EvclipDetection one = colored(0, 0, 1, 1, 0, 255, 255);
    if (evclip_detections_new(d) < 0 || evclip_detections_add_polygon(*d, &one, NULL, xy, n) < 0 ||
        detections_prepare(*d) < 0)
        return -1;
    return detections_lookup(*d, 0, 1, 0, 0, list);
}

/* A rotated square: its outline is drawn on the polygon's edges, not on its bounding box;
 * the chip sits above its top-most point; a polygon far outside the frame is clipped. */
static void test_draw_polygon(Overlay *o)
{
    static const double diamond[] = { 200, 60, 280, 140, 200, 220, 120, 140 };
    static const double huge[] = { -1e7, 10, 600, 10, 600, 1e7 };
    DrawColor yellow = draw_color_from_rgb(255, 255, 0, DRAW_BT601, 0);
    EvclipDetections *d = NULL;
    DetList list = { 0 };
    int r[4];
    Frame f;

    if (frame_new(&f, 640, 360) < 0)
        return;
    CHECK(polygon_det(&d, &list, diamond, 4) == 1);
    CHECK(list.items[0].x1 == 120 && list.items[0].y2 == 220); /* the bounding box */
    CHECK(overlay_draw_detections(o, &f.img, list.items, 1, NULL) == 1);
    CHECK(luma(&f, 240, 100) == yellow.y && luma(&f, 160, 180) == yellow.y); /* edges */
    CHECK(luma(&f, 280, 140) == yellow.y && luma(&f, 200, 219) == yellow.y); /* corners */
    CHECK(luma(&f, 120, 61) == bg.y && luma(&f, 279, 61) == bg.y);   /* box corners */
    CHECK(luma(&f, 121, 218) == bg.y && luma(&f, 278, 218) == bg.y);
    CHECK(luma(&f, 200, 140) == bg.y && luma(&f, 130, 100) == bg.y);  /* inside, box edge */
    overlay_chip_rect(o, "car #7 0.64", 200, 60, r);
    CHECK(r[0] == 200 && luma(&f, r[0], r[1]) == yellow.y);
    CHECK(luma(&f, 199, r[1]) == bg.y); /* not at the box's corner (x 120) */
    detlist_free(&list);
    evclip_detections_free(&d);

    /* thickness: a horizontal edge is overlay_thickness() rows thick */
    static const double tri[] = { 400, 250, 600, 250, 500, 340 };
    int t = overlay_thickness(o), top = 250 - t / 2;
    memset(f.buf, bg.y, 640 * 360);
    CHECK(polygon_det(&d, &list, tri, 3) == 1);
    CHECK(overlay_draw_detections(o, &f.img, list.items, 1, NULL) == 1);
    overlay_chip_rect(o, "car #7 0.64", 400, 250, r); /* the chip above: look right of it */
    int x = r[0] + r[2] + 5;
    CHECK(x < 590 && luma(&f, x, top - 1) == bg.y);
    CHECK(luma(&f, x, top) == yellow.y && luma(&f, x, top + t - 1) == yellow.y);
    CHECK(luma(&f, x, top + t) == bg.y);
    detlist_free(&list);
    evclip_detections_free(&d);

    memset(f.buf, bg.y, 640 * 360);
    CHECK(polygon_det(&d, &list, huge, 3) == 1);
    CHECK(overlay_draw_detections(o, &f.img, list.items, 1, NULL) == 1);
    CHECK(luma(&f, 0, 10) == yellow.y && luma(&f, 300, 10) == yellow.y);
    CHECK(luma(&f, 600, 300) == yellow.y && luma(&f, 300, 300) == bg.y);
    detlist_free(&list);
    evclip_detections_free(&d);
    free(f.buf);
}

int main(void)
{
    Overlay *o;

    test_contrast();

    test_format();
    test_colors();
    if (font_missing()) {
        printf("skipped: %s\n", ev_error_message());
        return test_summary() ? 1 : TEST_SKIP;
    }
    test_open();
    o = open_overlay(640, 360, 0, 0);
    if (o) {
        test_chip_rect(o);
        test_draw_box(o);
        test_draw_polygon(o);
        test_draw_edges(o);
        test_chips_over_outlines(o);
        test_ambiguous_colors(o);
        test_draw_outside(o);
        test_transform(o);
        test_captions(o);
    }
    overlay_close(&o);
    test_odd_frame();
    return test_summary();
}
