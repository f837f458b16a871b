/* test_text.c: font loading, measuring and drawing UTF-8 text with the glyph cache. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/error.h"
#include "src/text.h"
#include "tests/unit/check.h"

#define W 400
#define H 64
#define BG 16

typedef struct Frame {
    uint8_t y[W * H], u[(W / 2) * (H / 2)], v[(W / 2) * (H / 2)];
    DrawImage img;
} Frame;

static const DrawColor white = { 235, 128, 128 };

static void frame_init(Frame *f)
{
    memset(f->y, BG, sizeof(f->y));
    memset(f->u, 128, sizeof(f->u));
    memset(f->v, 128, sizeof(f->v));
    f->img = (DrawImage){ { f->y, f->u, f->v }, { W, W / 2, W / 2 }, W, H };
}

/* Counts changed luma pixels inside and outside [x0, x1) x [y0, y1). */
static void count_ink(const Frame *f, int x0, int y0, int x1, int y1, int *in, int *out)
{
    *in = *out = 0;
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            if (f->y[y * W + x] == BG)
                continue;
            if (x >= x0 && x < x1 && y >= y0 && y < y1)
                (*in)++;
            else
                (*out)++;
        }
    }
}

/* Ink lies inside the measured box (advance width x line height) for these strings. */
static void test_ink_box(TextFont *font, const char *s, int size)
{
    static Frame f;
    int w = text_measure(font, s), lh, in, out;

    text_font_metrics(font, NULL, &lh);
    frame_init(&f);
    text_draw(font, &f.img, 10, 5, s, white);
    count_ink(&f, 10, 5, 10 + w, 5 + lh, &in, &out);
    CHECK_MSG(in > 0 && out == 0, "'%s' at %dpx: width %d, %d ink pixels inside, %d outside",
              s, size, w, in, out);
}

static void test_sizes(void)
{
    static const int sizes[] = { 12, 16, 27, 40 };
    static const char *const strings[] = {
        "Hello", "Stra\xC3\x9F" "e", "caf\xC3\xA9", "car #7 0.64",
    };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        TextFont *font;
        int ascent, lh;
        if (text_font_open(&font, NULL, sizes[i]) < 0) {
            CHECK_MSG(0, "open at %d: %s", sizes[i], ev_error_message());
            continue;
        }
        text_font_metrics(font, &ascent, &lh);
        CHECK_MSG(lh == sizes[i] && ascent > lh / 2 && ascent < lh, "size %d: ascent %d line %d",
                  sizes[i], ascent, lh);
        for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++)
            test_ink_box(font, strings[k], sizes[i]);
        text_font_close(&font);
    }
}

static void test_measure(TextFont *font)
{
    int a = text_measure(font, "a"), ab = text_measure(font, "ab");

    CHECK(text_measure(font, "") == 0 && text_measure(font, NULL) == 0);
    CHECK(a > 0 && ab > a && text_measure(font, "abc") > ab);
    CHECK(text_measure(font, "caf\xC3\xA9") > text_measure(font, "caf"));
    CHECK(text_measure(font, "Stra\xC3\x9F" "e") > text_measure(font, "Strae"));
    /* Kerning pulls "AV" together (DejaVu Sans has a kern table). */
    CHECK(text_measure(font, "AV") < text_measure(font, "A") + text_measure(font, "V"));
    /* A code point missing from the font still takes room (the .notdef box). */
    CHECK(text_measure(font, "\xF3\xB0\x80\x80") > 0);
    CHECK(text_measure(font, "\xFF") > 0); /* invalid byte: U+FFFD */
}

static void test_draw(TextFont *font)
{
    static Frame f;
    int in, out;

    frame_init(&f);
    text_draw(font, &f.img, 10, 5, "\xF3\xB0\x80\x80", white); /* missing glyph: a box */
    count_ink(&f, 0, 0, W, H, &in, &out);
    CHECK(in > 0);
    /* Clipped on every side, also far away: no crash, no stray writes (ASan). */
    frame_init(&f);
    text_draw(font, &f.img, -15, -10, "Clipped text", white);
    text_draw(font, &f.img, W - 20, H - 10, "Clipped text", white);
    text_draw(font, &f.img, -2147483647 - 1, -2147483647 - 1, "far", white);
    text_draw(font, &f.img, 2147483647, 2147483647, "far", white);
    text_draw(font, &f.img, -2147483647 - 1, 10, "far", white);
    text_draw(font, &f.img, 10, 10, NULL, white);
    count_ink(&f, 0, 0, W, H, &in, &out);
    CHECK(in > 0);
    /* Chroma follows the text colour. */
    frame_init(&f);
    text_draw(font, &f.img, 10, 5, "Hello", (DrawColor){ 81, 90, 240 });
    CHECK(memchr(f.v, 240, sizeof(f.v)) != NULL);
}

/* A string draws like its characters drawn one by one at their pen positions (ASCII only).
 * Pixels where two glyph bitmaps overlap may differ slightly (added vs blended twice). */
static void test_glyph_by_glyph(TextFont *font, const char *s, int y)
{
    static Frame a, b;
    char prefix[128], one[2] = { 0, 0 };
    int bad = 0, n = (int)strlen(s);

    frame_init(&a);
    frame_init(&b);
    text_draw(font, &a.img, 7, y, s, white);
    for (int i = 0; i < n && i < 127; i++) {
        memcpy(prefix, s, (size_t)i + 1);
        prefix[i + 1] = '\0';
        one[0] = s[i];
        /* Pen position of character i: kerning with its predecessor included. */
        text_draw(font, &b.img, 7 + text_measure(font, prefix) - text_measure(font, one), y, one,
                  white);
    }
    for (int k = 0; k < W * H; k++)
        bad += abs(a.y[k] - b.y[k]) > 24;
    CHECK_MSG(bad == 0, "'%s': %d pixels differ from glyph-by-glyph drawing", s, bad);
}

typedef struct Job {
    TextFont *font;
    Frame frame;
} Job;

static void *worker(void *arg)
{
    Job *j = arg;

    frame_init(&j->frame);
    for (int i = 0; i < 50; i++)
        text_draw(j->font, &j->frame.img, 5, 5 + i % 20, "Th\xC3\xA9\xC3\xA2tre \xE2\x82\xAC 42",
                  white);
    return NULL;
}

/* Threads sharing one font (and its cache) draw the same pixels as one thread. */
static void test_threads(void)
{
    static Job jobs[4], ref;
    pthread_t th[4];
    int started = 0;

    if (text_font_open(&ref.font, NULL, 20) < 0) {
        CHECK_MSG(0, "open: %s", ev_error_message());
        return;
    }
    for (int i = 0; i < 4; i++) {
        jobs[i].font = ref.font;
        started += !pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    CHECK(started == 4);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    worker(&ref);
    for (int i = 0; i < started; i++)
        CHECK(!memcmp(jobs[i].frame.y, ref.frame.y, sizeof(ref.frame.y)));
    text_font_close(&ref.font);
}

/* Writes a file that is not a font; returns its path or NULL. */
static const char *junk_file(void)
{
    static char path[] = "/tmp/evclip-test-text-XXXXXX";
    int fd = mkstemp(path);

    if (fd < 0)
        return NULL;
    if (write(fd, "not a font\n", 11) != 11) {
        close(fd);
        unlink(path);
        return NULL;
    }
    close(fd);
    return path;
}

/* More glyphs than one composed run holds, and glyphs larger than its mask. */
static void test_runs(void)
{
    TextFont *font;
    static Frame f;
    int in, out;

    if (text_font_open(&font, NULL, 8) == 0) {
        test_glyph_by_glyph(font, "il.,:;|1il.,:;|1il.,:;|1il.,:;|1il.,:;|1il.,:;|1il.,:;|1il.,:;|1"
                                  "il.,:;|1il.,:;|1", 20);
        text_font_close(&font);
    }
    if (text_font_open(&font, NULL, 400) == 0) {
        test_glyph_by_glyph(font, "Wj", -200);
        frame_init(&f);
        text_draw(font, &f.img, -50, -150, "W", white);
        count_ink(&f, 0, 0, W, H, &in, &out);
        CHECK(in > 1000);
        text_font_close(&font);
    }
}

/* Fontconfig patterns, generic families and file paths. */
static void test_open(void)
{
    TextFont *font, *again;

    CHECK(text_font_open(&font, "sans-serif", 12) == 0);
    text_font_close(&font);
    if (text_font_open(&font, "DejaVu Sans:bold", 12) == 0) {
        CHECK(strstr(text_font_path(font), "Bold") != NULL);
        CHECK(text_font_open(&again, text_font_path(font), 12) == 0);
        CHECK(again && !strcmp(text_font_path(again), text_font_path(font)));
        text_font_close(&again);
        text_font_close(&font);
    }
}

static void test_errors(void)
{
    TextFont *font = (TextFont *)&font;
    const char *junk = junk_file();

    CHECK(text_font_open(&font, "No Such Font Family 42", 20) == EVCLIP_ERR_FONT && !font);
    CHECK(strstr(ev_error_message(), "No Such Font Family 42") != NULL);
    CHECK(text_font_open(&font, "/nonexistent/dir/font.ttf", 20) == EVCLIP_ERR_FONT);
    if (junk) {
        CHECK(text_font_open(&font, junk, 20) == EVCLIP_ERR_FONT && !font);
        CHECK(strstr(ev_error_message(), "not a font file") != NULL);
    }
    CHECK(text_font_open(&font, NULL, 3) < 0 && !font);
    text_font_close(&font);
    text_font_close(NULL);
    if (junk)
        unlink(junk);
}

int main(void)
{
    TextFont *font;

    if (text_font_open(&font, NULL, 24) < 0) {
        printf("skipped: %s\n", ev_error_message());
        return TEST_SKIP;
    }
    CHECK(strstr(text_font_path(font), "DejaVuSans") != NULL);
    test_measure(font);
    test_draw(font);
    test_glyph_by_glyph(font, "bicycle 0.65", 9);
    test_glyph_by_glyph(font, "AVATAR Wolf #12 0.99", 9);
    text_font_close(&font);
    CHECK(font == NULL);
    test_sizes();
    test_threads();
    test_runs();
    test_open();
    test_errors();
    return test_summary();
}
