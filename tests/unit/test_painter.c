/* test_painter.c: evclip_painter_* (the clip overlay drawn into caller frames) and
 * evclip_detections_add_text (a chip text that leaves the detection's label alone). */
#include <stdlib.h>
#include <string.h>

#include "evclip/evclip.h"
#include "tests/unit/check.h"

enum { W = 64, H = 48 };

static EvclipDetection box(const char *label, double x1, double y1, double x2, double y2)
{
    return (EvclipDetection){ .frame_idx = 0, .ts = EVCLIP_NONE, .x1 = x1, .y1 = y1, .x2 = x2,
                              .y2 = y2, .label = label, .score = EVCLIP_NONE,
                              .track_id = EVCLIP_NONE };
}

/* Outline pixels in the palette colour, packed in the format's byte order; inside untouched. */
static void test_packed(int format)
{
    static uint8_t buf[H][W * 3 + 5]; /* padded rows */
    uint8_t bgr[3];
    EvclipPainter *p = NULL;
    EvclipDetection d = box("car", 10, 20, 50, 44);
    memset(buf, 100, sizeof(buf));
    CHECK(evclip_painter_new(&p, W, H, format, NULL, 2, 0) == 0 && p);
    uint8_t *data[3] = { &buf[0][0], NULL, NULL };
    int linesize[3] = { (int)sizeof(buf[0]), 0, 0 };
    CHECK(evclip_painter_draw(p, data, linesize, &d, NULL, 1) == 1);
    evclip_palette_color("car", EVCLIP_NONE, bgr);
    const uint8_t *px = &buf[30][10 * 3]; /* left edge */
    if (format == EVCLIP_PIXFMT_BGR24)
        CHECK(px[0] == bgr[0] && px[1] == bgr[1] && px[2] == bgr[2]);
    else
        CHECK(px[0] == bgr[2] && px[1] == bgr[1] && px[2] == bgr[0]);
    CHECK(buf[30][20 * 3] == 100 && buf[30][W * 3 + 2] == 100); /* inside; row padding */
    /* A too narrow row and bad arguments: INVALID, frame untouched. */
    uint8_t before = buf[30][11 * 3];
    linesize[0] = W * 3 - 1;
    CHECK(evclip_painter_draw(p, data, linesize, &d, NULL, 1) == EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "too narrow") != NULL);
    linesize[0] = (int)sizeof(buf[0]);
    CHECK(evclip_painter_draw(p, data, linesize, NULL, NULL, 1) == EVCLIP_ERR_INVALID);
    CHECK(evclip_painter_draw(p, NULL, linesize, &d, NULL, 1) == EVCLIP_ERR_INVALID);
    EvclipDetection nolabel = box(NULL, 1, 1, 5, 5);
    CHECK(evclip_painter_draw(p, data, linesize, &nolabel, NULL, 1) == EVCLIP_ERR_INVALID);
    CHECK(buf[30][11 * 3] == before);
    evclip_painter_free(&p);
    CHECK(p == NULL);
    evclip_painter_free(&p);
    evclip_painter_free(NULL);
}

static void test_new_errors(void)
{
    EvclipPainter *p = (EvclipPainter *)&p;
    CHECK(evclip_painter_new(NULL, W, H, EVCLIP_PIXFMT_BGR24, NULL, 0, 0) == EVCLIP_ERR_INVALID);
    CHECK(evclip_painter_new(&p, 0, H, EVCLIP_PIXFMT_BGR24, NULL, 0, 0) == EVCLIP_ERR_INVALID);
    CHECK(p == NULL);
    CHECK(evclip_painter_new(&p, W, H, 7, NULL, 0, 0) == EVCLIP_ERR_INVALID);
    CHECK(evclip_painter_new(&p, W, H, EVCLIP_PIXFMT_BGR24, NULL, 300, 0) ==
          EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "thickness 300") != NULL);
    CHECK(evclip_painter_new(&p, W, H, EVCLIP_PIXFMT_BGR24, NULL, 0, 3) == EVCLIP_ERR_INVALID);
}

/* A chip text changes the chip only: same outline; other chip pixels; label read back. */
static void test_texts(void)
{
    static uint8_t plain[H][W * 3], texted[H][W * 3], none[H][W * 3];
    EvclipPainter *p = NULL;
    EvclipDetection d = box("car", 10, 24, 50, 44);
    const char *texts[1] = { "XYZ" }, *empty[1] = { "" };
    int linesize[3] = { W * 3, 0, 0 };
    memset(plain, 100, sizeof(plain));
    memset(texted, 100, sizeof(texted));
    memset(none, 100, sizeof(none));
    CHECK(evclip_painter_new(&p, W, H, EVCLIP_PIXFMT_BGR24, NULL, 2, 12) == 0);
    CHECK(evclip_painter_draw(p, (uint8_t *[3]){ &plain[0][0] }, linesize, &d, NULL, 1) == 1);
    CHECK(evclip_painter_draw(p, (uint8_t *[3]){ &texted[0][0] }, linesize, &d, texts, 1) == 1);
    CHECK(evclip_painter_draw(p, (uint8_t *[3]){ &none[0][0] }, linesize, &d, empty, 1) == 1);
    evclip_painter_free(&p);
    CHECK(!memcmp(plain[30], texted[30], sizeof(plain[30])));   /* outline rows alike */
    CHECK(memcmp(plain, texted, sizeof(plain)) != 0);            /* chips differ */
    int untouched = 1;                                           /* "" : no chip above */
    for (int y = 0; y < 24; y++)
        for (int x = 0; x < W * 3; x++)
            untouched &= none[y][x] == 100;
    CHECK(untouched);

    EvclipDetections *s = NULL;
    EvclipDetection back;
    d.score = 0.5;
    d.track_id = 7;
    CHECK(evclip_detections_new(&s) == 0);
    CHECK(evclip_detections_add_text(s, &d, "car 50%") == 0);
    CHECK(evclip_detections_add_text(s, &d, NULL) == 0);
    CHECK(evclip_detections_add_text(NULL, &d, "x") == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_get(s, 0, &back) == 0);
    CHECK(!strcmp(back.label, "car") && back.score == 0.5 && back.track_id == 7 &&
          back.normalized == 0);
    CHECK(evclip_detections_get(s, 1, &back) == 0 && !strcmp(back.label, "car"));
    evclip_detections_free(&s);
}

static void test_label(void)
{
    char buf[64];
    EvclipDetection d = box("car", 1, 2, 3, 4);
    d.score = 0.64;
    d.track_id = 7;
    CHECK(evclip_painter_label(&d, buf, sizeof(buf)) == 11 && !strcmp(buf, "car #7 0.64"));
    d.normalized = 0x100; /* an internal flag's value from a caller changes nothing */
    CHECK(evclip_painter_label(&d, buf, 4) == 11 && !strcmp(buf, "car"));
    CHECK(evclip_painter_label(NULL, buf, sizeof(buf)) == EVCLIP_ERR_INVALID);
}

/* evclip_painter_draw_polygons: the outline on the polygon's edges, not on its box's corners;
 * a bad polygon is INVALID with the frame untouched. */
static void test_polygons(void)
{
    static uint8_t buf[H][W * 3];
    static const double diamond[] = { 32, 4, 52, 24, 32, 44, 12, 24 }, two[] = { 1, 2, 3, 4 };
    const double *polys[2] = { diamond, NULL };
    int counts[2] = { 4, 0 };
    uint8_t bgr[3];
    EvclipPainter *p = NULL;
    EvclipDetection d[2] = { box("ship", 0, 0, 1, 1), box("car", 2, 2, 6, 6) };
    memset(buf, 100, sizeof(buf));
    CHECK(evclip_painter_new(&p, W, H, EVCLIP_PIXFMT_BGR24, NULL, 2, 12) == 0);
    uint8_t *data[3] = { &buf[0][0], NULL, NULL };
    int linesize[3] = { (int)sizeof(buf[0]), 0, 0 };
    CHECK(evclip_painter_draw_polygons(p, data, linesize, d, NULL, polys, counts, 2) == 2);
    evclip_palette_color("ship", EVCLIP_NONE, bgr);
    CHECK(buf[34][42 * 3] == bgr[0] && buf[34][42 * 3 + 2] == bgr[2]); /* an edge */
    CHECK(buf[42][14 * 3] == 100 && buf[42][50 * 3] == 100);            /* box corners */
    uint8_t copy[H][W * 3];
    memcpy(copy, buf, sizeof(buf));
    polys[1] = two;
    counts[1] = 2;
    CHECK(evclip_painter_draw_polygons(p, data, linesize, d, NULL, polys, counts, 2) ==
          EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "field 'polygon': expected") != NULL);
    CHECK(memcmp(copy, buf, sizeof(buf)) == 0);
    evclip_painter_free(&p);
}

int main(void)
{
    test_packed(EVCLIP_PIXFMT_BGR24);
    test_packed(EVCLIP_PIXFMT_RGB24);
    test_new_errors();
    test_texts();
    test_label();
    test_polygons();
    return test_summary();
}
