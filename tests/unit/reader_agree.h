/* reader_agree.h: helpers of the reader unit tests: a growing text buffer, a file writer and
 * the fast path (reader_fast.cpp, reader_quick.cpp) compared with jansson on the same bytes. */
#ifndef EVCLIP_TESTS_READER_AGREE_H
#define EVCLIP_TESTS_READER_AGREE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"
#include "tests/unit/check.h"

/* A growing text buffer. */
typedef struct Text {
    char *s;
    size_t len, cap;
} Text;

static inline void add(Text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->s = realloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, s, n + 1);
    t->len += n;
}

static inline void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(text, 1, len, f) == len);
    if (f)
        fclose(f);
}

static inline void same_stores(const EvclipDetections *a, const EvclipDetections *b)
{
    CHECK(detections_count(a) == detections_count(b));
    CHECK(!strcmp(detections_skip_note(a), detections_skip_note(b)));
    int na, nb;
    const char *const *wa = detections_warnings(a, &na);
    const char *const *wb = detections_warnings(b, &nb);
    CHECK(na == nb);
    for (int i = 0; i < na && i < nb; i++)
        CHECK_MSG(!strcmp(wa[i], wb[i]), "%s / %s", wa[i], wb[i]);
    size_t bad = 0;
    for (size_t i = 0; i < detections_count(a) && i < detections_count(b); i++) {
        EvclipDetection x, y;
        detections_get(a, i, &x);
        detections_get(b, i, &y);
        bad += x.frame_idx != y.frame_idx || x.ts != y.ts || x.x1 != y.x1 || x.y2 != y.y2 ||
               x.score != y.score || x.track_id != y.track_id || strcmp(x.label, y.label);
        const float *pa, *pb;
        int npa = detections_polygon_at(a, i, &pa), npb = detections_polygon_at(b, i, &pb);
        bad += npa != npb || (npa > 0 && memcmp(pa, pb, (size_t)npa * 2 * sizeof(*pa)));
        const char *ea = detections_extra_at(a, i), *eb = detections_extra_at(b, i);
        bad += !ea != !eb || (ea && strcmp(ea, eb));
    }
    CHECK_MSG(bad == 0, "%zu detections differ", bad);
}

/* Parses text through the fast path and through jansson: same return, same error text, same
 * detections bit for bit (coordinates, -0.0 and all). */
static inline void agree(const char *text, int format, int normalized)
{
    EvclipDetections *a = NULL, *b = NULL;
    char err[1024] = "";
    CHECK(evclip_detections_new(&a) == 0 && evclip_detections_new(&b) == 0);
    int ra = reader_parse_flags(a, "q.jsonl", text, strlen(text), format, normalized, 0);
    if (ra < 0)
        snprintf(err, sizeof(err), "%s", evclip_last_error());
    int rb = reader_parse_flags(b, "q.jsonl", text, strlen(text), format, normalized,
                                READER_NO_FAST);
    CHECK_MSG(ra == rb, "%d / %d for %s", ra, rb, text);
    if (ra < 0 && rb < 0)
        CHECK_MSG(!strcmp(err, evclip_last_error()), "%s / %s", err, evclip_last_error());
    same_stores(a, b);
    for (size_t i = 0; i < detections_count(a) && i < detections_count(b); i++) {
        EvclipDetection x, y;
        detections_get(a, i, &x);
        detections_get(b, i, &y);
        CHECK_MSG(!memcmp(&x.ts, &y.ts, sizeof(x.ts)) && !memcmp(&x.score, &y.score,
                                                                 sizeof(x.score)) &&
                  x.x1 == y.x1 && x.y1 == y.y1 && x.x2 == y.x2 && x.y2 == y.y2 &&
                  x.normalized == y.normalized && x.has_color == y.has_color,
                  "detection %zu of %s", i, text);
    }
    evclip_detections_free(&a);
    evclip_detections_free(&b);
}

#endif
