/* test_shape.c: labels in every script: no tofu, HarfBuzz/FreeType reference rasters, Arabic
 * joining, bidi order, font fallback, control stripping, ellipsis, label_max, chip layout. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include <hb-ft.h>
#include <hb.h>

#include "src/error.h"
#include "src/overlay.h"
#include "src/text.h"
#include "tests/unit/check.h"

#define W 480
#define H 64
#define BG 16
#define PX 24
#define MAX_GLYPHS 256
#define FSI "\xE2\x81\xA8"
#define PDI "\xE2\x81\xA9"
#define ELL "\xE2\x80\xA6"

typedef struct Frame {
    uint8_t y[W * H], u[(W / 2) * (H / 2)], v[(W / 2) * (H / 2)];
    DrawImage img;
} Frame;

static const DrawColor white = { 235, 128, 128 };

/* One label per script the issue names. */
static const struct {
    const char *script, *text;
} samples[] = {
    { "Latin", "Stra\xC3\x9F" "e caf\xC3\xA9" },
    { "Cyrillic", "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82" },
    { "Greek", "\xCE\x9A\xCE\xB1\xCE\xBB\xCE\xB7\xCE\xBC\xCE\xAD\xCF\x81\xCE\xB1" },
    { "Arabic", "\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85" },
    { "Hebrew", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D" },
    { "Devanagari", "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4"
                    "\xE0\xA5\x87" },
    { "Thai", "\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA\xE0\xB8\x94\xE0\xB8\xB5" },
    { "CJK", "\xE6\xB1\xBD\xE8\xBD\xA6\xE8\xA1\x8C\xE4\xBA\xBA" },
    { "emoji", "\xF0\x9F\x9A\x97\xF0\x9F\x90\xB6\xF0\x9F\x9A\x8C\xF0\x9F\x91\xA4" },
};

static void frame_init(Frame *f)
{
    memset(f->y, BG, sizeof(f->y));
    memset(f->u, 128, sizeof(f->u));
    memset(f->v, 128, sizeof(f->v));
    f->img = (DrawImage){ { f->y, f->u, f->v }, { W, W / 2, W / 2 }, W, H };
}

static int count_cps(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static int diff_pixels(const Frame *a, const Frame *b)
{
    int n = 0;

    for (int k = 0; k < W * H; k++)
        n += a->y[k] != b->y[k];
    return n;
}

/* Reference raster of s drawn at (x, y_top): shaped by HarfBuzz's FreeType font functions on
 * the font file text_glyphs reports, glyphs rendered by FreeType, advances rounded to whole
 * pixels (the documented rule), coverage added. Also checks the glyph ids are HarfBuzz's. */
static void reference(TextFont *font, const char *s, int x, int y_top, uint8_t *cov)
{
    TextGlyph g[MAX_GLYPHS];
    int n = text_glyphs(font, s, g, MAX_GLYPHS), ascent;
    FT_Library lib;
    FT_Face face;
    FT_Size_RequestRec req = { FT_SIZE_REQUEST_TYPE_CELL, 0, (FT_Long)PX << 6, 0, 0 };

    memset(cov, 0, W * H);
    text_font_metrics(font, &ascent, NULL);
    if (n <= 0 || FT_Init_FreeType(&lib))
        return;
    if (FT_New_Face(lib, g[0].path, g[0].face_index, &face) || FT_Request_Size(face, &req)) {
        FT_Done_FreeType(lib);
        return;
    }
    hb_font_t *hb = hb_ft_font_create_referenced(face);
    hb_buffer_t *buf = hb_buffer_create();
    hb_buffer_add_utf8(buf, s, -1, 0, -1);
    hb_buffer_guess_segment_properties(buf);
    hb_shape(hb, buf, NULL, 0);
    unsigned count;
    hb_glyph_info_t *info = hb_buffer_get_glyph_infos(buf, &count);
    hb_glyph_position_t *pos = hb_buffer_get_glyph_positions(buf, NULL);
    CHECK_MSG((int)count == n, "'%s': HarfBuzz gives %u glyphs, evclip %d", s, count, n);
    int64_t pen = 0;
    for (unsigned i = 0; i < count; i++) {
        if ((int)i < n)
            CHECK_MSG(info[i].codepoint == g[i].glyph, "'%s': glyph %u is %u, HarfBuzz %u", s,
                      i, g[i].glyph, info[i].codepoint);
        int gx = x + (int)((pen + ((pos[i].x_offset + 32) & ~63)) >> 6);
        pen += (pos[i].x_advance + 32) & ~63;
        if (FT_Load_Glyph(face, info[i].codepoint, FT_LOAD_DEFAULT | FT_LOAD_TARGET_LIGHT) ||
            FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL))
            continue;
        FT_Bitmap *bm = &face->glyph->bitmap;
        int ox = gx + face->glyph->bitmap_left, oy = y_top + ascent - face->glyph->bitmap_top -
                 (int)(((pos[i].y_offset + 32) & ~63) >> 6);
        for (unsigned r = 0; r < bm->rows; r++) {
            for (unsigned c = 0; c < bm->width; c++) {
                int px = ox + (int)c, py = oy + (int)r;
                if (px < 0 || py < 0 || px >= W || py >= H)
                    continue;
                int v = cov[py * W + px] + bm->buffer[r * bm->pitch + c];
                cov[py * W + px] = (uint8_t)(v > 255 ? 255 : v);
            }
        }
    }
    hb_buffer_destroy(buf);
    hb_font_destroy(hb);
    FT_Done_FreeType(lib);
}

/* Every script: no missing glyph, one font per sample, not the .notdef rendering, and the
 * same pixels as the reference raster. */
static void test_scripts(TextFont *font)
{
    static Frame a, b;
    static uint8_t cov[W * H];
    char tofu[64] = "";

    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        const char *s = samples[i].text;
        TextGlyph g[MAX_GLYPHS];
        int n = text_glyphs(font, s, g, MAX_GLYPHS), zero = 0, fonts = 1;
        CHECK_MSG(n > 0, "%s: no glyphs", samples[i].script);
        for (int k = 0; k < n && k < MAX_GLYPHS; k++) {
            zero += g[k].glyph == 0;
            fonts += strcmp(g[k].path, g[0].path) != 0;
        }
        CHECK_MSG(zero == 0, "%s: %d missing glyphs (tofu) in %s", samples[i].script, zero,
                  n > 0 ? g[0].path : "-");
        CHECK_MSG(fonts == 1, "%s: drawn with more than one font", samples[i].script);
        /* .notdef of the same length: U+10FFFD (private use) is in no installed font. */
        tofu[0] = 0;
        for (int k = 0; k < count_cps(s) && k < 15; k++)
            strcat(tofu, "\xF4\x8F\xBF\xBD");
        frame_init(&a);
        frame_init(&b);
        text_draw(font, &a.img, 8, 8, s, white);
        text_draw(font, &b.img, 8, 8, tofu, white);
        CHECK_MSG(diff_pixels(&a, &b) > 50, "%s: draws like .notdef boxes", samples[i].script);
        /* Reference raster: luma is BG + coverage * (235 - BG) / 255, within rounding. */
        reference(font, s, 8, 8, cov);
        int bad = 0, ink = 0;
        for (int k = 0; k < W * H; k++) {
            int want = BG + (cov[k] * (235 - BG) + 127) / 255;
            bad += abs(a.y[k] - want) > 2;
            ink += cov[k] > 0;
        }
        CHECK_MSG(ink > 50 && bad == 0, "%s: %d of %d ink pixels differ from the HarfBuzz/"
                  "FreeType reference", samples[i].script, bad, ink);
    }
}

/* Glyph ids of s, in visual order; returns their count. */
static int ids(TextFont *font, const char *s, uint32_t *out, int max)
{
    TextGlyph g[MAX_GLYPHS];
    int n = text_glyphs(font, s, g, MAX_GLYPHS);

    for (int i = 0; i < n && i < max; i++)
        out[i] = g[i].glyph;
    return n;
}


static void test_arabic_joined(TextFont *font)
{
    static const char *const letters[] = {
        "\xD8\xB3", "\xD9\x84", "\xD8\xA7", "\xD9\x85",
    };
    uint32_t joined[16], iso[16], one[4];
    int n = ids(font, samples[3].text, joined, 16), differ = 0;

    for (int i = 0; i < 4; i++) {
        CHECK(ids(font, letters[i], one, 4) == 1);
        iso[3 - i] = one[0]; /* visual order: the first letter is rightmost */
    }
    CHECK_MSG(n == 4 || n == 3, "joined Arabic has %d glyphs", n); /* lam-alef may ligate */
    for (int i = 0; i < n && i < 4; i++)
        differ += joined[i] != iso[i];
    CHECK_MSG(differ >= 2, "only %d of the joined glyphs differ from isolated forms", differ);
}

/* x of the first glyph of id `id` in s, or -1. */
static int x_of(TextFont *font, const char *s, uint32_t id)
{
    TextGlyph g[MAX_GLYPHS];
    int n = text_glyphs(font, s, g, MAX_GLYPHS);

    for (int i = 0; i < n && i < MAX_GLYPHS; i++)
        if (g[i].glyph == id)
            return g[i].x;
    return -1;
}

/* Right-to-left order: the first Hebrew letter is rightmost; digits in Hebrew text stay left
 * to right; Latin before Hebrew stays on the left. */
static void test_rtl(TextFont *font)
{
    uint32_t alef, bet, one, two, a;
    const char *s = "\xD7\x90\xD7\x91";

    ids(font, "\xD7\x90", &alef, 1);
    ids(font, "\xD7\x91", &bet, 1);
    ids(font, "1", &one, 1);
    ids(font, "2", &two, 1);
    ids(font, "a", &a, 1);
    CHECK(x_of(font, s, alef) > x_of(font, s, bet));
    s = "\xD7\x90\xD7\x91 12";
    CHECK(x_of(font, s, one) < x_of(font, s, two));
    CHECK(x_of(font, s, two) < x_of(font, s, bet) && x_of(font, s, bet) < x_of(font, s, alef));
    s = "a \xD7\x90\xD7\x91";
    CHECK(x_of(font, s, a) < x_of(font, s, bet) && x_of(font, s, bet) < x_of(font, s, alef));
}

/* Per-glyph fallback: one label mixing scripts takes each glyph from a font that has it, also
 * when the font asked for is a CJK one (Hebrew and Arabic were tofu with it); an emoji
 * variation selector or skin-tone modifier the emoji's font lacks is no tofu either. */
static void test_fallback(void)
{
    static const char *const fonts[] = { NULL, "Noto Sans CJK JP" };
    const char *s = "car \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD8\xB3\xD9\x84\xD8\xA7\xD9\x85 "
                    "\xE6\xB1\xBD\xE8\xBD\xA6 \xF0\x9F\x9A\x97 "
                    "\xE2\x9D\xA4\xEF\xB8\x8F\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"; /* VS16, tone */

    for (int f = 0; f < 2; f++) {
        TextFont *font;
        TextGlyph g[MAX_GLYPHS];
        if (text_font_open(&font, fonts[f], PX) < 0) {
            CHECK_MSG(0, "%s", ev_error_message());
            continue;
        }
        int n = text_glyphs(font, s, g, MAX_GLYPHS), zero = 0, paths = 0;
        for (int i = 0; i < n && i < MAX_GLYPHS; i++) {
            zero += g[i].glyph == 0;
            paths += i > 0 && strcmp(g[i].path, g[i - 1].path) != 0;
        }
        CHECK_MSG(n > 10 && zero == 0, "font %s: %d of %d glyphs missing", fonts[f] ? fonts[f]
                  : "default", zero, n);
        CHECK_MSG(paths >= 2, "font %s: one font for every script", fonts[f] ? fonts[f] : "-");
        text_font_close(&font);
    }
}

/* Controls are stripped (line breaks and tabs become spaces), in measuring and drawing. */
static void test_controls(TextFont *font)
{
    static Frame a, b;

    CHECK(text_measure(font, "ab\x01\x1b[31m\x7f" "c") == text_measure(font, "ab[31mc"));
    CHECK(text_measure(font, "a\nb\tc\r") == text_measure(font, "a b c "));
    CHECK(text_measure(font, "a\xC2\x85" "b\xE2\x80\xA8" "c") == text_measure(font, "a b c"));
    CHECK(text_measure(font, "\x01\x02\x03") == 0);
    frame_init(&a);
    frame_init(&b);
    text_draw(font, &a.img, 4, 4, "car\x07\x08\x1b #7", white);
    text_draw(font, &b.img, 4, 4, "car #7", white);
    CHECK(diff_pixels(&a, &b) == 0);
}

/* text_fit: whole when it fits, else head cut with an ellipsis keeping the tail. */
static void test_fit(TextFont *font)
{
    char *out = NULL;

    CHECK(text_fit(font, "car", 0, " #7", 1000, &out) == 0 && !strcmp(out, FSI "car" PDI " #7"));
    free(out);
    CHECK(text_fit(font, "abcdefghij", 4, " #7", 1000, &out) == 0 &&
          !strcmp(out, FSI "abcd" ELL PDI " #7"));
    free(out);
    int w = text_measure(font, "abcdefghij #7") - 1;
    CHECK(text_fit(font, "abcdefghij", 0, " #7", w, &out) == 0);
    CHECK_MSG(strstr(out, ELL PDI " #7") && text_measure(font, out) <= w, "'%s'", out);
    free(out);
    /* Combining marks stay with their base: no cut between e and U+0301. */
    CHECK(text_fit(font, "e\xCC\x81" "e\xCC\x81" "e", 1, NULL, 1000, &out) == 0 &&
          !strcmp(out, "e\xCC\x81\xE2\x80\xA6"));
    free(out);
    CHECK(text_fit(font, "abc", 0, NULL, 1, &out) == 0 && !strcmp(out, ""));
    free(out);
}

static Overlay *open_overlay(int width, int height, int label_max)
{
    OverlayParams p = { .width = width, .height = height, .matrix = DRAW_BT709,
                        .label_max = label_max };
    Overlay *o = NULL;

    if (overlay_open(&o, &p) < 0)
        fprintf(stderr, "overlay_open: %s\n", ev_error_message());
    return o;
}

static int overlap(const int a[4], const int b[4])
{
    return a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
}

/* n boxes side by side, w pixels wide, top at y: chips drawn, inside the frame, no two
 * overlapping, the same layout every time. */
static void check_row(Overlay *o, int n, int w, int y, int fw, int fh)
{
    EvclipDetection d[64];
    int r[64][4], again[64][4], bad = 0, outside = 0, missing = 0;

    for (int i = 0; i < n; i++)
        d[i] = (EvclipDetection){ .x1 = 10 + i * w, .y1 = y, .x2 = 10 + (i + 1) * w - 2,
                                  .y2 = y + 80, .label = "person", .score = 0.87,
                                  .track_id = 100 + i, .frame_idx = 0, .ts = EVCLIP_NONE };
    overlay_chip_layout(o, d, n, NULL, r);
    overlay_chip_layout(o, d, n, NULL, again);
    for (int i = 0; i < n; i++) {
        missing += r[i][2] <= 0;
        outside += r[i][0] < 0 || r[i][1] < 0 || r[i][0] + r[i][2] > fw ||
                   r[i][1] + r[i][3] > fh;
        for (int j = 0; j < i; j++)
            bad += overlap(r[i], r[j]);
    }
    CHECK_MSG(!missing && !outside && !bad, "%d boxes at y %d: %d chips missing, %d outside, "
              "%d overlapping pairs", n, y, missing, outside, bad);
    CHECK(!memcmp(r, again, sizeof(r[0]) * (size_t)n));
}

static void test_chip_layout(void)
{
    Overlay *o = open_overlay(1280, 720, 0);

    if (!o) {
        CHECK(0);
        return;
    }
    check_row(o, 20, 60, 300, 1280, 720); /* chips wider than boxes: stacked */
    check_row(o, 20, 60, 0, 1280, 720);   /* no room above */
    check_row(o, 20, 60, 640, 1280, 720); /* little room below */
    /* More chips than the frame has room for: every one stays inside the frame. */
    Overlay *small = open_overlay(200, 100, 0);
    EvclipDetection many[40];
    int mr[40][4], outside = 0;
    for (int i = 0; i < 40; i++)
        many[i] = (EvclipDetection){ .x1 = 50, .y1 = 40, .x2 = 90, .y2 = 60, .label = "person",
                                     .score = 0.5, .track_id = i };
    if (small)
        overlay_chip_layout(small, many, 40, NULL, mr);
    for (int i = 0; small && i < 40; i++)
        outside += mr[i][2] <= 0 || mr[i][0] < 0 || mr[i][1] < 0 || mr[i][0] + mr[i][2] > 200 ||
                   mr[i][1] + mr[i][3] > 100;
    CHECK_MSG(small && outside == 0, "%d of 40 piled chips outside the frame", outside);
    overlay_close(&small);
    /* A lone box keeps its chip above its top-left corner. */
    int r[1][4];
    EvclipDetection d = { .x1 = 100, .y1 = 200, .x2 = 300, .y2 = 300, .label = "car",
                          .score = EVCLIP_NONE, .track_id = EVCLIP_NONE };
    overlay_chip_layout(o, &d, 1, NULL, r);
    CHECK(r[0][0] == 100 && r[0][1] + r[0][3] == 200);
    overlay_close(&o);
}

/* A chip is never wider than the frame: the label is cut with an ellipsis, "#track score"
 * kept; label_max cuts to N characters. */
static void test_chip_text(void)
{
    Overlay *o = open_overlay(320, 240, 0), *m = open_overlay(320, 240, 5);
    char *label = malloc(100001), *t;
    int r[1][4];

    if (!o || !m || !label) {
        CHECK(0);
        return;
    }
    memset(label, 'W', 100000);
    label[100000] = 0;
    EvclipDetection d = { .x1 = 10, .y1 = 100, .x2 = 50, .y2 = 150, .label = label,
                          .score = 0.64, .track_id = 7 };
    t = overlay_chip_text(o, &d);
    CHECK_MSG(t && strlen(t) < 200 && strstr(t, ELL PDI " #7 0.64"), "'%s'", t);
    overlay_chip_layout(o, &d, 1, NULL, r);
    CHECK_MSG(r[0][2] > 200 && r[0][2] <= 320 && r[0][0] >= 0, "chip %d wide at x %d",
              r[0][2], r[0][0]);
    free(t);
    d.label = "elephant";
    t = overlay_chip_text(m, &d);
    CHECK_MSG(t && !strcmp(t, FSI "eleph" ELL PDI " #7 0.64"), "'%s'", t);
    free(t);
    d.label = "zebra";
    t = overlay_chip_text(m, &d);
    CHECK_MSG(t && !strcmp(t, FSI "zebra" PDI " #7 0.64"), "'%s'", t);
    free(t);
    /* A right-to-left label reads right to left and "#track score" stays on its right, also
     * when the label carries a bidi override meant to reverse what follows it. */
    static const char *const rtl[] = {
        "\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\xE2\x80\xAE",
        "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\xE2\x81\xA9\xE2\x80\xAE",
    };
    for (int k = 0; k < 3; k++) {
        TextGlyph g[64];
        uint32_t hash, seven;
        d.label = rtl[k];
        t = overlay_chip_text(o, &d);
        TextFont *font = NULL;
        if (!t || text_font_open(&font, NULL, 16) < 0) {
            CHECK(0);
            free(t);
            continue;
        }
        ids(font, "#", &hash, 1);
        ids(font, "7", &seven, 1);
        int n = text_glyphs(font, t, g, 64), at_hash = -1, at_seven = -1, max_rtl = -1;
        for (int i = 0; i < n && i < 64; i++) {
            if (g[i].glyph == hash)
                at_hash = g[i].x;
            else if (g[i].glyph == seven)
                at_seven = g[i].x;
            else if (strstr(g[i].path, "DejaVu") == NULL || g[i].glyph > 1000)
                max_rtl = g[i].x > max_rtl ? g[i].x : max_rtl;
        }
        CHECK_MSG(at_hash >= 0 && at_hash < at_seven && max_rtl < at_hash, "label %d: '%s': "
                  "'#' at %d, '7' at %d, label up to %d", k, t, at_hash, at_seven, max_rtl);
        text_font_close(&font);
        free(t);
    }
    d.label = "ze\x1b[0mbra\n";
    t = overlay_chip_text(o, &d);
    CHECK_MSG(t && !strchr(t, '\x1b') && !strchr(t, '\n'), "controls kept: '%s'", t);
    free(t);
    Overlay *bad = NULL;
    CHECK(overlay_open(&bad, &(OverlayParams){ .width = 320, .height = 240, .label_max = -1 })
          == EVCLIP_ERR_INVALID && !bad);
    free(label);
    overlay_close(&o);
    overlay_close(&m);
}

/* Captions: the same path (controls stripped, cut to the frame with an ellipsis). */
static void test_captions(void)
{
    static Frame a, b;
    Overlay *o = open_overlay(W, H, 0);
    char title[600];

    if (!o) {
        CHECK(0);
        return;
    }
    frame_init(&a);
    frame_init(&b);
    overlay_draw_captions(o, &a.img, "Cam\n1 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", "\x1b" "12:00");
    overlay_draw_captions(o, &b.img, "Cam 1 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", "12:00");
    CHECK(diff_pixels(&a, &b) == 0);
    memset(title, 'M', sizeof(title) - 1);
    title[sizeof(title) - 1] = 0;
    frame_init(&a);
    overlay_draw_captions(o, &a.img, title, NULL);
    /* The band spans the frame with text cut before its right edge (the padding stays). */
    int ink_right = 0;
    for (int y = 0; y < H; y++)
        ink_right += a.y[y * W + W - 1] > 100;
    CHECK_MSG(ink_right == 0, "caption text reaches the right edge (%d pixels)", ink_right);
    overlay_close(&o);
}

typedef struct Job {
    TextFont *font;
    const Frame *ref; /* samples[3] drawn before the threads started */
    int id, bad;
} Job;

/* Draws mixed-script labels, many distinct (so the shaped-line cache fills, is emptied while
 * other threads hold lines, and refills), and now and then a label checked against ref. */
static void *worker(void *arg)
{
    Job *j = arg;
    Frame *f = malloc(sizeof(*f));
    char text[128];

    if (!f) {
        j->bad = 1;
        return NULL;
    }
    for (int i = 0; i < 1500; i++) {
        snprintf(text, sizeof(text), "%s #%d", samples[(i + j->id) % 9].text, i * 4 + j->id);
        frame_init(f);
        text_draw(j->font, &f->img, 2, 2, i % 100 ? text : samples[3].text, white);
        j->bad += i % 100 == 0 && diff_pixels(f, j->ref) != 0;
        j->bad += text_measure(j->font, text) <= 0;
    }
    free(f);
    return NULL;
}

static void test_threads(void)
{
    TextFont *font;
    pthread_t t[4];
    Job jobs[4];
    static Frame one;

    if (text_font_open(&font, NULL, 16) < 0) {
        CHECK(0);
        return;
    }
    frame_init(&one);
    text_draw(font, &one.img, 2, 2, samples[3].text, white);
    for (int i = 0; i < 4; i++) {
        jobs[i] = (Job){ .font = font, .ref = &one, .id = i };
        CHECK(pthread_create(&t[i], NULL, worker, &jobs[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_MSG(jobs[i].bad == 0, "thread %d: %d wrong drawings", i, jobs[i].bad);
    }
    text_font_close(&font);
}

int main(void)
{
    TextFont *font;

    if (text_font_open(&font, NULL, PX) < 0) {
        fprintf(stderr, "%s\n", ev_error_message());
        return 1;
    }
    test_scripts(font);
    test_arabic_joined(font);
    test_rtl(font);
    test_controls(font);
    test_fit(font);
    text_font_close(&font);
    test_fallback();
    test_chip_layout();
    test_chip_text();
    test_captions();
    test_threads();
    return test_summary();
}
