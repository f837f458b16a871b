/* test_draw.c: pixel-exact tests of the YUV drawing primitives against a per-pixel model. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/draw.h"
#include "tests/unit/check.h"

#define GUARD 0xA5
#define PAD 5 /* stride padding columns, checked for stray writes */

static const DrawColor bg = { 50, 60, 70 };
static const DrawColor ink = { 200, 30, 220 };

/* An image with guard rows above and below every plane and guard columns right of it. */
typedef struct TestImage {
    DrawImage d;
    uint8_t *buf[3];
    int pw[3], ph[3];
} TestImage;

static int image_new(TestImage *t, int w, int h)
{
    memset(t, 0, sizeof(*t));
    t->d.width = w;
    t->d.height = h;
    for (int p = 0; p < 3; p++) {
        t->pw[p] = p ? (w + 1) / 2 : w;
        t->ph[p] = p ? (h + 1) / 2 : h;
        t->d.stride[p] = t->pw[p] + PAD;
        t->buf[p] = malloc((size_t)t->d.stride[p] * (t->ph[p] + 2));
        if (!t->buf[p])
            return -1;
        memset(t->buf[p], GUARD, (size_t)t->d.stride[p] * (t->ph[p] + 2));
        t->d.plane[p] = t->buf[p] + t->d.stride[p];
    }
    return 0;
}

static void image_clear(TestImage *t, DrawColor c)
{
    const uint8_t v[3] = { c.y, c.u, c.v };

    for (int p = 0; p < 3; p++)
        for (int y = 0; y < t->ph[p]; y++)
            memset(t->d.plane[p] + y * t->d.stride[p], v[p], (size_t)t->pw[p]);
}

static void image_free(TestImage *t)
{
    for (int p = 0; p < 3; p++)
        free(t->buf[p]);
}

static uint8_t *px(TestImage *t, int p, int x, int y)
{
    return t->d.plane[p] + y * t->d.stride[p] + x;
}

/* 1 when no byte outside the visible planes changed. */
static int guards_intact(TestImage *t)
{
    for (int p = 0; p < 3; p++) {
        ptrdiff_t s = t->d.stride[p];
        for (int y = -1; y <= t->ph[p]; y++)
            for (int x = 0; x < s; x++)
                if ((y < 0 || y == t->ph[p] || x >= t->pw[p]) && t->d.plane[p][y * s + x] != GUARD)
                    return 0;
    }
    return 1;
}

static uint8_t mix(uint8_t d, uint8_t v, int a)
{
    return (uint8_t)((d * (255 - a) + v * a + 127) / 255);
}

/* Compares the image with the model: alpha[] holds the per-luma-pixel alpha (0..255) that the
 * primitive applied to bg; chroma uses the largest alpha of its luma pixels. Returns the number
 * of mismatching samples. */
static int compare(TestImage *t, const uint8_t *alpha, DrawColor c)
{
    int w = t->d.width, h = t->d.height, bad = 0;

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            bad += *px(t, 0, x, y) != mix(bg.y, c.y, alpha[y * w + x]);
    for (int y = 0; y < t->ph[1]; y++) {
        for (int x = 0; x < t->pw[1]; x++) {
            int a = 0;
            for (int yy = 2 * y; yy < 2 * y + 2 && yy < h; yy++)
                for (int xx = 2 * x; xx < 2 * x + 2 && xx < w; xx++)
                    a = alpha[yy * w + xx] > a ? alpha[yy * w + xx] : a;
            bad += *px(t, 1, x, y) != mix(bg.u, c.u, a);
            bad += *px(t, 2, x, y) != mix(bg.v, c.v, a);
        }
    }
    return bad;
}

static int in(int64_t v, int64_t lo, int64_t hi)
{
    return v >= lo && v < hi;
}

/* Model of draw_box_outline: inside the box and within `t` of one of its edges. */
static void model_outline(uint8_t *alpha, int w, int h, const int64_t b[4], int64_t t)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            alpha[y * w + x] = (in(x, b[0], b[2]) && in(y, b[1], b[3]) && t >= 1 &&
                                (x < b[0] + t || x >= b[2] - t || y < b[1] + t ||
                                 y >= b[3] - t)) ? 255 : 0;
}

static void model_rect(uint8_t *alpha, int w, int h, int64_t x, int64_t y, int64_t rw,
                       int64_t rh, int a)
{
    for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++)
            alpha[yy * w + xx] = in(xx, x, x + rw) && in(yy, y, y + rh) ? (uint8_t)a : 0;
}

static uint32_t seed = 12345;

static uint32_t rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

/* Coordinates near the frame and at the limits of int. */
static int coord(void)
{
    static const int extreme[] = { INT_MIN, INT_MIN + 1, -1000000000, -1, 0, 1,
                                   1000000000, INT_MAX - 1, INT_MAX };
    if (rnd() % 5 == 0)
        return extreme[rnd() % (sizeof(extreme) / sizeof(extreme[0]))];
    return (int)(rnd() % 60) - 15;
}

static int thick(void)
{
    static const int t[] = { 0, 1, 1, 2, 3, 4, 7, 12, INT_MAX / 2, INT_MAX, -3 };
    return t[rnd() % (sizeof(t) / sizeof(t[0]))];
}

/* Random boxes, partly or wholly outside, against the model, on even and odd frame sizes. */
static void test_outline_random(int w, int h)
{
    TestImage t;
    uint8_t *alpha = malloc((size_t)w * h);
    int fails = 0;

    if (!alpha || image_new(&t, w, h) < 0) {
        CHECK(!"out of memory");
        return;
    }
    for (int i = 0; i < 3000; i++) {
        int b[4] = { coord(), coord(), coord(), coord() }, th = thick();
        const int64_t b64[4] = { b[0], b[1], b[2], b[3] };
        image_clear(&t, bg);
        draw_box_outline(&t.d, b[0], b[1], b[2], b[3], th, ink);
        model_outline(alpha, w, h, b64, th);
        if (compare(&t, alpha, ink) && fails++ < 5)
            CHECK_MSG(0, "%dx%d box %d,%d-%d,%d thickness %d", w, h, b[0], b[1], b[2], b[3], th);
    }
    CHECK_MSG(fails == 0, "%d of 3000 random outlines differ from the model", fails);
    CHECK(guards_intact(&t));
    image_free(&t);
    free(alpha);
}

/* Random rectangles, filled and blended, against the model. */
static void test_rect_random(int w, int h)
{
    TestImage t;
    uint8_t *alpha = malloc((size_t)w * h);
    int fails = 0;

    if (!alpha || image_new(&t, w, h) < 0) {
        CHECK(!"out of memory");
        return;
    }
    for (int i = 0; i < 3000; i++) {
        int x = coord(), y = coord(), rw = coord(), rh = coord(), a = (int)(rnd() % 300) - 20;
        int blend = i & 1, ma = !blend ? 255 : a < 0 ? 0 : a > 255 ? 255 : a;
        image_clear(&t, bg);
        if (blend)
            draw_blend_rect(&t.d, x, y, rw, rh, ink, a);
        else
            draw_fill_rect(&t.d, x, y, rw, rh, ink);
        model_rect(alpha, w, h, x, y, rw, rh, ma);
        if (compare(&t, alpha, ink) && fails++ < 5)
            CHECK_MSG(0, "%dx%d rect %d,%d %dx%d alpha %d", w, h, x, y, rw, rh, blend ? a : 255);
    }
    CHECK_MSG(fails == 0, "%d of 3000 random rectangles differ from the model", fails);
    CHECK(guards_intact(&t));
    image_free(&t);
    free(alpha);
}

/* Hand-checked edges of one outline on 32x24. */
static void test_outline_edges(void)
{
    TestImage t;

    if (image_new(&t, 32, 24) < 0) {
        CHECK(!"out of memory");
        return;
    }
    image_clear(&t, bg);
    draw_box_outline(&t.d, 4, 3, 20, 15, 2, ink);
    CHECK(*px(&t, 0, 4, 3) == ink.y && *px(&t, 0, 19, 3) == ink.y);   /* top-left, top-right */
    CHECK(*px(&t, 0, 3, 3) == bg.y && *px(&t, 0, 20, 3) == bg.y);     /* just outside */
    CHECK(*px(&t, 0, 4, 2) == bg.y && *px(&t, 0, 4, 15) == bg.y);
    CHECK(*px(&t, 0, 5, 5) == ink.y && *px(&t, 0, 6, 5) == bg.y);     /* left line 2 wide */
    CHECK(*px(&t, 0, 18, 5) == ink.y && *px(&t, 0, 17, 5) == bg.y);   /* right line inward */
    CHECK(*px(&t, 0, 10, 4) == ink.y && *px(&t, 0, 10, 5) == bg.y);   /* top line 2 high */
    CHECK(*px(&t, 0, 10, 13) == ink.y && *px(&t, 0, 10, 14) == ink.y && *px(&t, 0, 10, 12) == bg.y);
    /* Chroma: x 4..5 -> column 2; top rows 3..4 -> chroma rows 1..2; inside untouched. */
    CHECK(*px(&t, 1, 2, 1) == ink.u && *px(&t, 2, 2, 2) == ink.v && *px(&t, 1, 1, 4) == bg.u);
    CHECK(*px(&t, 1, 5, 4) == bg.u && *px(&t, 2, 5, 4) == bg.v);
    /* A box thinner than twice the thickness is filled. */
    image_clear(&t, bg);
    draw_box_outline(&t.d, 10, 10, 13, 20, 2, ink);
    CHECK(*px(&t, 0, 11, 15) == ink.y && *px(&t, 0, 12, 15) == ink.y && *px(&t, 0, 13, 15) == bg.y);
    /* Empty or reversed boxes and thickness < 1 draw nothing. */
    image_clear(&t, bg);
    draw_box_outline(&t.d, 5, 5, 5, 10, 1, ink);
    draw_box_outline(&t.d, 5, 10, 10, 5, 1, ink);
    draw_box_outline(&t.d, 5, 5, 10, 10, 0, ink);
    CHECK(*px(&t, 0, 5, 5) == bg.y && *px(&t, 0, 7, 7) == bg.y);
    /* A box touching the frame edge stays fully visible. */
    draw_box_outline(&t.d, 0, 0, 32, 24, 1, ink);
    CHECK(*px(&t, 0, 0, 0) == ink.y && *px(&t, 0, 31, 23) == ink.y && *px(&t, 0, 31, 10) == ink.y);
    CHECK(*px(&t, 0, 1, 1) == bg.y && guards_intact(&t));
    image_free(&t);
}

/* A one-pixel line keeps its colour in the chroma planes, on an odd-sized frame. */
static void test_chroma_rule(void)
{
    TestImage t;

    if (image_new(&t, 33, 25) < 0) {
        CHECK(!"out of memory");
        return;
    }
    image_clear(&t, bg);
    draw_fill_rect(&t.d, 5, 0, 1, 25, ink);  /* odd column: chroma column 2 */
    draw_fill_rect(&t.d, 0, 24, 33, 1, ink); /* last row of an odd height: chroma row 12 */
    draw_fill_rect(&t.d, 32, 0, 1, 1, ink);  /* last column of an odd width: chroma 16 */
    CHECK(*px(&t, 1, 2, 5) == ink.u && *px(&t, 2, 2, 5) == ink.v);
    CHECK(*px(&t, 1, 1, 5) == bg.u && *px(&t, 1, 3, 5) == bg.u);
    CHECK(*px(&t, 1, 10, 12) == ink.u && *px(&t, 1, 10, 11) == bg.u);
    CHECK(*px(&t, 2, 16, 0) == ink.v && *px(&t, 2, 16, 1) == bg.v);
    CHECK(*px(&t, 0, 4, 3) == bg.y && *px(&t, 0, 5, 3) == ink.y && *px(&t, 0, 6, 3) == bg.y);
    CHECK(guards_intact(&t));
    image_free(&t);
}

static void test_blend_math(void)
{
    TestImage t;

    if (image_new(&t, 32, 24) < 0) {
        CHECK(!"out of memory");
        return;
    }
    image_clear(&t, bg);
    draw_blend_rect(&t.d, 0, 0, 2, 2, (DrawColor){ 250, 128, 0 }, 128);
    CHECK(*px(&t, 0, 0, 0) == 150); /* (50 * 127 + 250 * 128 + 127) / 255 */
    CHECK(*px(&t, 1, 0, 0) == 94 && *px(&t, 2, 0, 0) == 35);
    CHECK(*px(&t, 0, 2, 0) == bg.y);
    image_clear(&t, bg);
    draw_blend_rect(&t.d, 0, 0, 32, 24, ink, 0);
    CHECK(*px(&t, 0, 3, 3) == bg.y && *px(&t, 1, 3, 3) == bg.u);
    draw_blend_rect(&t.d, 0, 0, 32, 24, ink, 255);
    CHECK(*px(&t, 0, 3, 3) == ink.y && *px(&t, 2, 3, 3) == ink.v);
    image_free(&t);
}

/* Random masks at random positions, clipped on every side. */
static void test_alpha_mask(int w, int h)
{
    TestImage t;
    uint8_t mask[13 * 9], *alpha = malloc((size_t)w * h);
    int fails = 0;

    if (!alpha || image_new(&t, w, h) < 0) {
        CHECK(!"out of memory");
        return;
    }
    for (int i = 0; i < 2000; i++) {
        int mw = 1 + (int)(rnd() % 11), mh = 1 + (int)(rnd() % 9), x = coord(), y = coord();
        for (int k = 0; k < 13 * 9; k++)
            mask[k] = (uint8_t)(rnd() % 3 == 0 ? 0 : rnd() % 2 ? 255 : rnd());
        image_clear(&t, bg);
        draw_alpha_mask(&t.d, x, y, mask, mw, mh, 13, ink);
        for (int yy = 0; yy < h; yy++)
            for (int xx = 0; xx < w; xx++)
                alpha[yy * w + xx] = in(xx, x, (int64_t)x + mw) && in(yy, y, (int64_t)y + mh)
                                         ? mask[((int64_t)yy - y) * 13 + ((int64_t)xx - x)] : 0;
        if (compare(&t, alpha, ink) && fails++ < 5)
            CHECK_MSG(0, "%dx%d mask %dx%d at %d,%d", w, h, mw, mh, x, y);
    }
    CHECK_MSG(fails == 0, "%d of 2000 random masks differ from the model", fails);
    CHECK(guards_intact(&t));
    draw_alpha_mask(&t.d, 0, 0, NULL, 4, 4, 4, ink);
    draw_alpha_mask(&t.d, 0, 0, mask, 0, 4, 4, ink);
    image_free(&t);
    free(alpha);
}

static int near(DrawColor c, int y, int u, int v)
{
    return abs(c.y - y) <= 1 && abs(c.u - u) <= 1 && abs(c.v - v) <= 1;
}

static void test_colors(void)
{
    DrawColor c;

    c = draw_color_from_rgb(255, 255, 255, DRAW_BT601, 0);
    CHECK(c.y == 235 && c.u == 128 && c.v == 128);
    c = draw_color_from_rgb(0, 0, 0, DRAW_BT709, 0);
    CHECK(c.y == 16 && c.u == 128 && c.v == 128);
    c = draw_color_from_rgb(255, 255, 255, DRAW_BT709, 1);
    CHECK(c.y == 255 && c.u == 128 && c.v == 128);
    c = draw_color_from_rgb(0, 0, 0, DRAW_BT601, 1);
    CHECK(c.y == 0 && c.u == 128 && c.v == 128);
    c = draw_color_from_rgb(255, 0, 0, DRAW_BT601, 0);
    CHECK_MSG(near(c, 81, 90, 240), "601 red %d %d %d", c.y, c.u, c.v);
    c = draw_color_from_rgb(255, 0, 0, DRAW_BT709, 0);
    CHECK_MSG(near(c, 63, 102, 240), "709 red %d %d %d", c.y, c.u, c.v);
    c = draw_color_from_rgb(0, 255, 0, DRAW_BT601, 0);
    CHECK_MSG(near(c, 145, 54, 34), "601 green %d %d %d", c.y, c.u, c.v);
    c = draw_color_from_rgb(0, 0, 255, DRAW_BT601, 0);
    CHECK_MSG(near(c, 41, 240, 110), "601 blue %d %d %d", c.y, c.u, c.v);
    c = draw_color_from_rgb(0, 0, 255, DRAW_BT601, 1);
    CHECK_MSG(c.u == 255 && near(c, 29, 255, 107), "full blue %d %d %d", c.y, c.u, c.v);
    CHECK(draw_rgb_luma(255, 255, 255) == 255 && draw_rgb_luma(0, 0, 0) == 0);
    CHECK(draw_rgb_luma(255, 255, 0) > 200 && draw_rgb_luma(0, 0, 255) < 40);
}

/* Null and empty images are ignored. */
static void test_degenerate(void)
{
    DrawImage empty = { { NULL, NULL, NULL }, { 0, 0, 0 }, 0, 0 };
    uint8_t m = 255;

    draw_fill_rect(&empty, 0, 0, 10, 10, ink);
    draw_blend_rect(&empty, 0, 0, 10, 10, ink, 100);
    draw_box_outline(&empty, 0, 0, 10, 10, 1, ink);
    draw_alpha_mask(&empty, 0, 0, &m, 1, 1, 1, ink);
    draw_fill_rect(NULL, 0, 0, 10, 10, ink);
    CHECK(1);
}

int main(void)
{
    test_colors();
    test_outline_edges();
    test_chroma_rule();
    test_blend_math();
    test_degenerate();
    test_outline_random(32, 24);
    test_outline_random(33, 25);
    test_outline_random(1, 1);
    test_rect_random(32, 24);
    test_rect_random(33, 25);
    test_alpha_mask(32, 24);
    test_alpha_mask(33, 25);
    return test_summary();
}
