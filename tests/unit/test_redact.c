/* test_redact.c: redaction pixels (detail gone inside, nothing changed outside), selectors,
 * per-frame marks and ranges, and the SEI redaction bit (old payloads still read). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/redact.h"
#include "src/sei.h"
#include "tests/unit/check.h"

#define W 320
#define H 240

typedef struct Img {
    DrawImage d;
    uint8_t *buf;
} Img;

/* A detailed picture (hash noise) in every plane. */
static void img_new(Img *m, unsigned seed)
{
    int cw = (W + 1) / 2, ch = (H + 1) / 2;
    m->buf = malloc((size_t)W * H + 2 * (size_t)cw * ch);
    m->d = (DrawImage){ { m->buf, m->buf + W * H, m->buf + W * H + cw * ch },
                        { W, cw, cw }, W, H };
    for (size_t i = 0; i < (size_t)W * H + 2 * (size_t)cw * ch; i++)
        m->buf[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

/* Variance of the 4-neighbour Laplacian of luma over [x1, x2) x [y1, y2) (interior). */
static double lap_var(const DrawImage *d, int x1, int y1, int x2, int y2)
{
    double sum = 0, sq = 0;
    int n = 0;
    for (int y = y1 + 1; y < y2 - 1; y++)
        for (int x = x1 + 1; x < x2 - 1; x++) {
            const uint8_t *p = d->plane[0] + y * d->stride[0] + x;
            double l = p[-1] + p[1] + p[-d->stride[0]] + p[d->stride[0]] - 4.0 * p[0];
            sum += l;
            sq += l * l;
            n++;
        }
    return sq / n - (sum / n) * (sum / n);
}

/* 1 when every sample of a and b outside the luma box (and the chroma samples covering it)
 * is equal. */
static int same_outside(const Img *a, const Img *b, int x1, int y1, int x2, int y2)
{
    for (int p = 0; p < 3; p++) {
        int s = p ? 2 : 1, pw = p ? (W + 1) / 2 : W, ph = p ? (H + 1) / 2 : H;
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++) {
                int inside = x >= x1 / s && x < (x2 + s - 1) / s && y >= y1 / s &&
                             y < (y2 + s - 1) / s;
                size_t i = (size_t)y * a->d.stride[p] + x;
                if (!inside && a->d.plane[p][i] != b->d.plane[p][i])
                    return 0;
            }
    }
    return 1;
}

static void test_modes(void)
{
    for (int mode = EVCLIP_REDACT_PIXELATE; mode <= EVCLIP_REDACT_FILL; mode++) {
        Img src, red;
        img_new(&src, 7);
        img_new(&red, 7);
        redact_region(&red.d, mode, 61, 41, 181, 161);
        double before = lap_var(&src.d, 61, 41, 181, 161);
        double after = lap_var(&red.d, 61, 41, 181, 161);
        CHECK_MSG(after * 10 <= before, "mode %d: Laplacian variance %.1f -> %.1f", mode,
                  before, after);
        CHECK_MSG(same_outside(&src, &red, 61, 41, 181, 161), "mode %d changed pixels outside",
                  mode);
        free(src.buf);
        free(red.buf);
    }
    /* Regions half or wholly outside, empty or reversed: clipped, never written outside. */
    Img a, b;
    img_new(&a, 3);
    img_new(&b, 3);
    redact_region(&b.d, EVCLIP_REDACT_BLUR, -50, -50, 10, 10);
    CHECK(same_outside(&a, &b, 0, 0, 10, 10));
    CHECK(memcmp(a.buf, b.buf, 10) != 0); /* and the part inside was changed */
    memcpy(b.buf, a.buf, (size_t)W * H * 3 / 2);
    redact_region(&b.d, EVCLIP_REDACT_PIXELATE, W - 5, H - 5, INT32_MAX / 2, INT32_MAX / 2);
    CHECK(same_outside(&a, &b, W - 5, H - 5, W, H));
    memcpy(b.buf, a.buf, (size_t)W * H * 3 / 2);
    redact_region(&b.d, EVCLIP_REDACT_FILL, 100, 100, 90, 90);
    redact_region(&b.d, EVCLIP_REDACT_FILL, W + 10, 0, W + 20, 10);
    redact_region(&b.d, EVCLIP_REDACT_BLUR, INT32_MIN, INT32_MIN, INT32_MIN + 5, 4);
    CHECK(memcmp(a.buf, b.buf, (size_t)W * H * 3 / 2) == 0);
    free(a.buf);
    free(b.buf);
}

static EvclipDrawOptions options(const char *const *sel, int n)
{
    EvclipDrawOptions o = { .struct_size = sizeof(o), .redact = sel, .nb_redact = n };
    return o;
}

static void test_selectors(void)
{
    static const char *const good[] = { "all", "label=face", "track=0", "track=12",
                                        "label=licence plate" };
    EvclipDrawOptions o = options(good, 5);
    CHECK(redact_validate(&o) == 0);
    CHECK(redact_validate(NULL) == 0);
    static const char *const bad[] = { "lable=face", "label=", "track=", "track=-1",
                                       "track=7x", "ALL", "", "track=99999999999999999999" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *sel[2] = { "all", bad[i] };
        o = options(sel, 2);
        CHECK_MSG(redact_validate(&o) == EVCLIP_ERR_INVALID, "'%s' accepted", bad[i]);
        CHECK_MSG(strstr(ev_error_message(), "selector 2") &&
                  strstr(ev_error_message(), bad[i]), "message '%s'", ev_error_message());
    }
    o = options(good, 1);
    o.redact_mode = 3;
    CHECK(redact_validate(&o) == EVCLIP_ERR_INVALID && strstr(ev_error_message(), "mode 3"));
    o.redact_mode = EVCLIP_REDACT_BLUR;
    o.redact_pad = -1;
    CHECK(redact_validate(&o) == EVCLIP_ERR_INVALID && strstr(ev_error_message(), "pad -1"));
    o.redact_pad = 0;
    o.struct_size = 8;
    CHECK(redact_validate(&o) == EVCLIP_ERR_INVALID &&
          strstr(ev_error_message(), "EvclipDrawOptions.struct_size"));
    o.struct_size = sizeof(o);
    o.reserved[3] = 1;
    CHECK(redact_validate(&o) == EVCLIP_ERR_INVALID && strstr(ev_error_message(), "reserved"));
    o.reserved[3] = 0;
    o.nb_redact = EVCLIP_REDACT_MAX_SELECTORS + 1;
    CHECK(redact_validate(&o) == EVCLIP_ERR_INVALID);
    o.nb_redact = 2;
    o.redact = NULL;
    CHECK(redact_validate(&o) == EVCLIP_ERR_INVALID);
    /* A settings struct carrying bad options is refused by the one validation. */
    EvclipSettings s;
    const char *one[] = { "face" };
    o = options(one, 1);
    evclip_default_settings(&s);
    s.draw_options = &o;
    CHECK(evclip_settings_validate(&s) == EVCLIP_ERR_INVALID &&
          strstr(evclip_last_error(), "'face'"));
}

static void test_frames(void)
{
    static const char *const sel[] = { "label=face", "track=7" };
    EvclipDrawOptions o = options(sel, 2);
    o.redact_pad = 4;
    Redactor *r = NULL;
    OverlayParams op = { .width = W, .height = H };
    Overlay *ov = NULL;
    CHECK(overlay_open(&ov, &op) == 0);
    CHECK(redactor_open(&r, &o) == 0 && r);
    EvclipDetection d[4] = {
        { .x1 = 10, .y1 = 10, .x2 = 50, .y2 = 50, .label = "face", .track_id = EVCLIP_NONE },
        { .x1 = 60, .y1 = 10, .x2 = 90, .y2 = 50, .label = "car", .track_id = 7 },
        { .x1 = 100, .y1 = 10, .x2 = 150, .y2 = 50, .label = "car", .track_id = 8 },
        { .x1 = 200, .y1 = 100, .x2 = 240, .y2 = 140, .label = "car", .track_id = 8 },
    };
    uint8_t marks[4] = { 0 };
    Img img, ref;
    img_new(&img, 1);
    img_new(&ref, 1);
    /* the last box comes from a redaction log: redacted whatever the selectors say */
    CHECK(redactor_frame(r, ov, &img.d, d, 4, 1, NULL, 0, marks) == 3);
    CHECK(marks[0] == EVCLIP_BOX_REDACTED && marks[1] == EVCLIP_BOX_REDACTED && !marks[2] &&
          marks[3] == EVCLIP_BOX_REDACTED);
    /* the pad widens the region, and the unselected box is untouched */
    CHECK(img.d.plane[0][8 * W + 8] != ref.d.plane[0][8 * W + 8] ||
          img.d.plane[0][7 * W + 7] != ref.d.plane[0][7 * W + 7]);
    CHECK(memcmp(img.d.plane[0] + 20 * W + 110, ref.d.plane[0] + 20 * W + 110, 30) == 0);
    CHECK(redactor_frame(r, ov, &img.d, d, 1, 0, NULL, 1, marks) == 1);
    marks[0] = 0;
    CHECK(redactor_frame(r, ov, &img.d, d + 2, 1, 0, NULL, 2, marks) == 0 && !marks[0]);
    CHECK(redactor_frame(r, ov, &img.d, d, 2, 0, NULL, 3, marks) == 2);
    json_t *j = redactor_json(r);
    CHECK(j && json_integer_value(json_object_get(j, "regions")) == 6);
    CHECK(json_integer_value(json_object_get(j, "frames")) == 3);
    json_t *ranges = json_object_get(j, "ranges");
    CHECK(json_array_size(ranges) == 2);
    CHECK(json_integer_value(json_object_get(json_array_get(ranges, 0), "last_frame")) == 1);
    CHECK(json_integer_value(json_object_get(json_array_get(ranges, 0), "regions")) == 4);
    CHECK(json_integer_value(json_object_get(json_array_get(ranges, 1), "first_frame")) == 3);
    CHECK(!strcmp(json_string_value(json_object_get(j, "mode")), "pixelate"));
    json_decref(j);
    redactor_close(&r);
    redactor_close(&r);
    CHECK(!r);
    EvclipDrawOptions none = options(NULL, 0);
    CHECK(redactor_open(&r, &none) == 0 && !r); /* nothing to redact: no redactor */
    overlay_close(&ov);
    free(img.buf);
    free(ref.buf);
}

static void test_sei_marks(void)
{
    EvclipDetection d[2] = {
        { .x1 = 1, .y1 = 2, .x2 = 3, .y2 = 4, .label = "face", .score = 0.5, .track_id = 7 },
        { .x1 = 5, .y1 = 6, .x2 = 7, .y2 = 8, .label = "car", .score = EVCLIP_NONE,
          .track_id = EVCLIP_NONE },
    };
    uint8_t marks[2] = { EVCLIP_BOX_REDACTED, 0 }, *buf, *old;
    size_t size, old_size;
    SeiFrame f;
    CHECK(sei_encode(d, marks, 2, 1.5, 0, NAN, &buf, &size) == 0);
    CHECK(sei_decode(buf, size, &f) == 1 && f.count == 2);
    CHECK(f.marks[0] == EVCLIP_BOX_REDACTED && f.marks[1] == 0);
    CHECK(!strcmp(f.dets[0].label, "face") && f.dets[0].track_id == 7);
    sei_frame_free(&f);
    /* The mark changes only the flag byte: the layout is that of a payload without marks,
     * so readers that predate the bit read the same boxes. */
    CHECK(sei_encode(d, NULL, 2, 1.5, 0, NAN, &old, &old_size) == 0);
    CHECK(old_size == size);
    int differing = 0;
    for (size_t i = 0; i < size; i++)
        differing += buf[i] != old[i];
    CHECK(differing == 1);
    /* and an old clip's payload reads with no marks */
    CHECK(sei_decode(old, old_size, &f) == 1 && f.marks[0] == 0 && f.marks[1] == 0);
    sei_frame_free(&f);
    free(buf);
    free(old);
}

int main(void)
{
    test_modes();
    test_selectors();
    test_frames();
    test_sei_marks();
    return test_summary();
}
