/* test_detections.c: detection store: validation, interning, lookup index, VFR matching, hold. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "src/detections.h"
#include "tests/unit/check.h"

static EvclipDetection det(int64_t idx, double ts, const char *label, int64_t track)
{
    return (EvclipDetection){
        .frame_idx = idx, .ts = ts, .x1 = 1, .y1 = 2, .x2 = 30, .y2 = 40, .label = label,
        .score = EVCLIP_NONE, .track_id = track,
    };
}

static EvclipDetectionStats stats_of(const EvclipDetections *d)
{
    EvclipDetectionStats st;
    evclip_detections_get_stats(d, &st);
    return st;
}

static void test_lifecycle(void)
{
    EvclipDetections *d = NULL;
    EvclipDetectionStats st = { 5, 5 };
    CHECK(evclip_detections_new(NULL) == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_new(&d) == 0 && d != NULL);
    evclip_detections_get_stats(d, &st);
    CHECK(st.count == 0 && st.skipped == 0);
    CHECK(!detections_uses_frame_index(d) && !strcmp(detections_skip_note(d), ""));
    evclip_detections_get_stats(d, NULL);
    evclip_detections_free(&d);
    CHECK(d == NULL);
    evclip_detections_free(&d);
    evclip_detections_free(NULL);
}

static void test_add_validation(void)
{
    EvclipDetections *d = NULL;
    EvclipDetection e = det(3, EVCLIP_NONE, NULL, EVCLIP_NONE);
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(evclip_detections_add(d, &e) == EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "field 'label'"));
    e = det(EVCLIP_NONE, EVCLIP_NONE, "a", EVCLIP_NONE);
    CHECK(evclip_detections_add(d, &e) == EVCLIP_ERR_INVALID);
    CHECK(strstr(evclip_last_error(), "'frame_idx' and 'ts'"));
    CHECK(detections_add_checked(d, &e, "x.jsonl:9") == EVCLIP_ERR_INVALID);
    CHECK(!strncmp(evclip_last_error(), "x.jsonl:9: ", 11));
    CHECK(evclip_detections_add(d, NULL) == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_add(NULL, &e) == EVCLIP_ERR_INVALID);

    const double bad[][4] = {
        { NAN, 2, 3, 4 }, { 1, 2, INFINITY, 4 }, { 1, -INFINITY, 3, 4 },
        { 3, 2, 1, 4 }, { 1, 2, 1, 4 }, { 1, 4, 3, 4 }, { 1, 5, 3, 4 },
    };
    for (int i = 0; i < 7; i++) {
        e = det(1, EVCLIP_NONE, "a", EVCLIP_NONE);
        e.x1 = bad[i][0], e.y1 = bad[i][1], e.x2 = bad[i][2], e.y2 = bad[i][3];
        CHECK(detections_add_checked(d, &e, i ? NULL : "f:1") == 0);
    }
    CHECK(stats_of(d).count == 0 && stats_of(d).skipped == 7);
    CHECK(!strcmp(detections_skip_note(d), "f:1: field 'bbox': NaN or infinite coordinate, "
                  "box skipped"));

    e = det(EVCLIP_NONE, 0.5, "a", -5);
    e.score = NAN;
    e.has_color = 7;
    CHECK(evclip_detections_add(d, &e) == 0);
    DetList l = { 0 };
    CHECK(detections_prepare(d) == 0 && detections_lookup(d, 0, 9, 0, 1, &l) == 1);
    CHECK(l.items[0].score == EVCLIP_NONE && l.items[0].track_id == EVCLIP_NONE);
    CHECK(l.items[0].has_color == 1 && l.items[0].frame_idx == EVCLIP_NONE);
    detlist_free(&l);
    evclip_detections_free(&d);
}

static void test_interning(void)
{
    EvclipDetections *d = NULL;
    char a1[] = "car", a2[] = "car", b[] = "person", name[32];
    DetList l = { 0 };
    CHECK(evclip_detections_new(&d) == 0);
    EvclipDetection e = det(0, EVCLIP_NONE, a1, EVCLIP_NONE);
    CHECK(evclip_detections_add(d, &e) == 0);
    e.label = a2;
    CHECK(evclip_detections_add(d, &e) == 0);
    e.label = b;
    CHECK(evclip_detections_add(d, &e) == 0);
    strcpy(a1, "bus"); /* the store copied the label */
    for (int i = 0; i < 2000; i++) { /* grows the pool many times */
        snprintf(name, sizeof(name), "label%d", i);
        e = det(1 + i % 5, EVCLIP_NONE, name, EVCLIP_NONE);
        CHECK(evclip_detections_add(d, &e) == 0);
    }
    CHECK(detections_prepare(d) == 0);
    CHECK(detections_lookup(d, 0, 1, 0, 0, &l) == 3);
    CHECK(!strcmp(l.items[0].label, "car") && l.items[0].label != a1);
    CHECK(l.items[0].label == l.items[1].label && l.items[0].label != l.items[2].label);
    CHECK(!strcmp(l.items[2].label, "person"));
    detlist_clear(&l);
    e = det(0, EVCLIP_NONE, "car", EVCLIP_NONE);
    CHECK(evclip_detections_add(d, &e) == 0);
    CHECK(detections_prepare(d) == 0 && detections_lookup(d, 0, 1, 0, 0, &l) == 4);
    CHECK(l.items[3].label == l.items[0].label);
    detlist_free(&l);
    evclip_detections_free(&d);
}

/* Labels of every length up to 40 that share their length and first byte (so the same
 * recently-seen slot) and differ in one byte (second, middle or last), added one after the
 * other: each reads back as itself, and equal texts share one interned label. */
static void test_interning_lengths(void)
{
    EvclipDetections *d = NULL;
    char want[40 * 3 * 2 + 12][41];
    int n = 0;
    CHECK(evclip_detections_new(&d) == 0);
    for (int len = 2; len <= 40; len++) {
        int at[3] = { 1, len / 2, len - 1 };
        for (int k = 0; k < 3; k++) {
            for (int v = 0; v < 2; v++, n++) {
                memset(want[n], 'a', (size_t)len);
                want[n][len] = '\0';
                want[n][at[k]] = v ? 'y' : 'x';
                EvclipDetection e = det(n, EVCLIP_NONE, want[n], EVCLIP_NONE);
                CHECK(evclip_detections_add(d, &e) == 0);
            }
        }
    }
    /* The slot is (length * 31 + first byte) % 8: a label 8 bytes longer, or starting 8
     * letters later, shares it. A label after a longer one it begins with, and one after a
     * label that differs in its first byte only. */
    const char *pairs[][2] = { { "abcdefghij", "ab" }, { "abcdefghijklmnopqrstu", "abcdefghijklm" },
                               { "ab", "ib" }, { "abcdefghi", "ibcdefghi" }, { "a", "i" },
                               { "habcdefg", "" } };
    for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
        for (int v = 0; v < 2; v++, n++) {
            snprintf(want[n], sizeof(want[n]), "%s", pairs[k][v]);
            EvclipDetection e = det(n, EVCLIP_NONE, want[n], EVCLIP_NONE);
            CHECK(evclip_detections_add(d, &e) == 0);
        }
    }
    EvclipDetection again = det(n, EVCLIP_NONE, want[n - 1], EVCLIP_NONE);
    CHECK(evclip_detections_add(d, &again) == 0);
    DetList l = { 0 };
    CHECK(detections_prepare(d) == 0 && detections_lookup(d, 0, n + 1, 0, 0, &l) == n + 1);
    int wrong = 0;
    for (int i = 0; i < n; i++)
        wrong += strcmp(l.items[i].label, want[i]) != 0;
    CHECK(wrong == 0);
    CHECK(l.items[n].label == l.items[n - 1].label);
    detlist_free(&l);
    evclip_detections_free(&d);
}

static void test_lookup_index(void)
{
    EvclipDetections *d = NULL;
    DetList l = { 0 };
    const int64_t idx[] = { 5, 2, 5, 9, 2, 5 };
    const double ts[] = { 0.5, 0.2, 0.5, 1.0, 0.1 };
    CHECK(evclip_detections_new(&d) == 0);
    for (int i = 0; i < 6; i++) {
        EvclipDetection e = det(idx[i], 0.25, "i", i); /* frame_idx wins over ts */
        CHECK(evclip_detections_add(d, &e) == 0);
    }
    for (int i = 0; i < 5; i++) {
        EvclipDetection e = det(EVCLIP_NONE, ts[i], "t", 100 + i);
        CHECK(evclip_detections_add(d, &e) == 0);
    }
    CHECK(detections_uses_frame_index(d));
    CHECK(detections_lookup(d, 0, 10, 0, 2, &l) == EVCLIP_ERR_INTERNAL); /* not prepared */
    CHECK(detections_prepare(d) == 0 && detections_prepare(d) == 0);
    CHECK(detections_lookup(d, 5, 6, 0, 0, &l) == 3); /* [5, 6): stable insertion order */
    CHECK(l.items[0].track_id == 0 && l.items[1].track_id == 2 && l.items[2].track_id == 5);
    detlist_clear(&l);
    CHECK(detections_lookup(d, 2, 9, 0, 0, &l) == 5); /* 9 excluded */
    CHECK(l.items[0].track_id == 1 && l.items[1].track_id == 4 && l.items[4].track_id == 5);
    detlist_clear(&l);
    CHECK(detections_lookup(d, 0, 0, 0.2, 0.5, &l) == 1); /* [0.2, 0.5) */
    CHECK(l.items[0].track_id == 101);
    detlist_clear(&l);
    CHECK(detections_lookup(d, 0, 0, 0.5, 1.0, &l) == 2);
    CHECK(l.items[0].track_id == 100 && l.items[1].track_id == 102);
    detlist_clear(&l);
    CHECK(detections_lookup(d, 9, 10, 0.0, 0.2, &l) == 2); /* both keys append: index first */
    CHECK(l.items[0].track_id == 3 && l.items[1].track_id == 104);
    CHECK(detections_lookup(d, 10, 5, 1.0, 0.0, &l) == 0 && l.count == 2); /* empty ranges */
    CHECK(detections_lookup(d, 0, 10, NAN, NAN, &l) == 6 && l.count == 8);
    detlist_free(&l);
    evclip_detections_free(&d);
}

static void test_truncate(void)
{
    EvclipDetections *d = NULL;
    DetList l = { 0 };
    CHECK(evclip_detections_new(&d) == 0);
    EvclipDetection e = det(EVCLIP_NONE, 1.0, "a", EVCLIP_NONE);
    CHECK(evclip_detections_add(d, &e) == 0);
    CHECK(detections_prepare(d) == 0);
    e = det(4, EVCLIP_NONE, "b", EVCLIP_NONE);
    CHECK(evclip_detections_add(d, &e) == 0);
    e.x2 = 0;
    CHECK(evclip_detections_add(d, &e) == 0);
    CHECK(detections_count(d) == 2 && stats_of(d).skipped == 1 && detections_uses_frame_index(d));
    detections_truncate(d, 1, 0);
    CHECK(detections_count(d) == 1 && stats_of(d).skipped == 0);
    CHECK(!detections_uses_frame_index(d) && !strcmp(detections_skip_note(d), ""));
    CHECK(detections_prepare(d) == 0 && detections_lookup(d, 0, 100, 0, 100, &l) == 1);
    detlist_free(&l);
    evclip_detections_free(&d);
}

/* Chip texts (evclip_detections_add_text): lookups flag them (DETECTION_TEXT) with the text
 * after the label's NUL; public reads do not; a truncate frees the dropped ones' texts, so a
 * scratch store reused frame after frame (painter, writer) does not grow. */
static void test_texts(void)
{
    EvclipDetections *d = NULL;
    DetList l = { 0 };
    EvclipDetection e = det(0, EVCLIP_NONE, "car", 7), back;
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(evclip_detections_add(d, &e) == 0);
    size_t base = detections_memory(d), after[3];
    for (int round = 0; round < 3; round++) {
        detections_truncate(d, 1, 0);
        for (int i = 0; i < 100; i++)
            CHECK(evclip_detections_add_text(d, &e, "CAR!") == 0);
        after[round] = detections_memory(d);
        CHECK(after[round] >= base + 100 * 9);   /* 100 x "car\0CAR!\0" */
    }
    CHECK(after[0] == after[1] && after[1] == after[2]);
    CHECK(detections_prepare(d) == 0 && detections_lookup(d, 0, 1, 0, 0, &l) == 101);
    CHECK(l.items[0].normalized == 0 && !strcmp(l.items[0].label, "car"));
    CHECK(l.items[1].normalized == DETECTION_TEXT && !strcmp(l.items[1].label, "car"));
    CHECK(!strcmp(l.items[1].label + 4, "CAR!") && l.items[1].track_id == 7);
    CHECK(evclip_detections_get(d, 1, &back) == 0 && back.normalized == 0);
    detlist_free(&l);
    evclip_detections_free(&d);
}

/* Frame times of a variable-frame-rate video: gaps of 33, 67, 20, 80, 40, 100 ms... */
static const double vfr[] = { 0.0, 0.033, 0.1, 0.12, 0.2, 0.24, 0.34, 0.3733, 0.4066 };
#define NB_VFR ((int)(sizeof(vfr) / sizeof(vfr[0])))

static int nearest_frame(double ts)
{
    int best = 0;
    for (int i = 1; i < NB_VFR; i++) {
        if (fabs(vfr[i] - ts) < fabs(vfr[best] - ts))
            best = i;
    }
    return best;
}

static void test_vfr_matching(void)
{
    EvclipDetections *d = NULL;
    DetList l = { 0 };
    int hits[200] = { 0 };
    const int n = 200;
    CHECK(evclip_detections_new(&d) == 0);
    for (int i = 0; i < n; i++) { /* ts from 0 to 0.398 in 2 ms steps; off-midpoint values */
        EvclipDetection e = det(EVCLIP_NONE, i * 0.002 + 0.0003, "t", i);
        CHECK(evclip_detections_add(d, &e) == 0);
    }
    CHECK(detections_prepare(d) == 0);
    for (int f = 0; f < NB_VFR; f++) {
        double lo, hi;
        detections_frame_span(f ? vfr[f - 1] : NAN, vfr[f], f + 1 < NB_VFR ? vfr[f + 1] : NAN,
                              1.0 / 30, &lo, &hi);
        detlist_clear(&l);
        CHECK(detections_lookup(d, f, f + 1, lo, hi, &l) >= 0);
        for (int k = 0; k < l.count; k++) {
            int id = (int)l.items[k].track_id;
            hits[id]++;
            CHECK_MSG(nearest_frame(l.items[k].ts) == f, "ts %g matched frame %d",
                      l.items[k].ts, f);
        }
    }
    for (int i = 0; i < n; i++)
        CHECK_MSG(hits[i] == 1, "ts %g matched %d times", i * 0.002 + 0.0003, hits[i]);
    /* ts 0.1003 is frame 2 (t = 0.1); round(ts * 30) would say frame 3 (t = 0.12). */
    CHECK(nearest_frame(0.1003) == 2 && (int)lround(0.1003 * 30) == 3);
    CHECK(hits[50] == 1 && nearest_frame(50 * 0.002 + 0.0003) == 2);
    double lo, hi;
    detections_frame_span(NAN, 1.0, NAN, 0.04, &lo, &hi);
    CHECK(fabs(lo - 0.98) < 1e-12 && fabs(hi - 1.02) < 1e-12);
    detlist_free(&l);
    evclip_detections_free(&d);
}

static void matched_of(DetList *m, int n, const int64_t *tracks)
{
    detlist_clear(m);
    for (int i = 0; i < n; i++) {
        EvclipDetection e = det(EVCLIP_NONE, 0, "h", tracks[i]);
        CHECK(detlist_push(m, &e) == 0);
    }
}

static int visible_has(const DetList *v, int64_t track)
{
    int n = 0;
    for (int i = 0; i < v->count; i++)
        n += v->items[i].track_id == track;
    return n;
}

static void test_hold_zero(void)
{
    HoldState h;
    DetList m = { 0 }, v = { 0 };
    hold_init(&h, 0);
    matched_of(&m, 2, (const int64_t[]){ 1, EVCLIP_NONE });
    CHECK(hold_update(&h, 0.0, &m, &v) == 0 && v.count == 2);
    matched_of(&m, 0, NULL);
    CHECK(hold_update(&h, 0.033, &m, &v) == 0 && v.count == 0);
    hold_free(&h);
    hold_init(&h, NAN);
    CHECK(h.hold == 0);
    hold_free(&h);
    detlist_free(&m);
    detlist_free(&v);
}

static void test_hold(void)
{
    HoldState h;
    DetList m = { 0 }, v = { 0 };
    hold_init(&h, 0.5);
    matched_of(&m, 3, (const int64_t[]){ 1, 2, EVCLIP_NONE });
    CHECK(hold_update(&h, 0.0, &m, &v) == 0 && v.count == 3);
    matched_of(&m, 0, NULL);
    CHECK(hold_update(&h, 0.1, &m, &v) == 0 && v.count == 3); /* no detections: all held */
    matched_of(&m, 1, (const int64_t[]){ 1 });
    CHECK(hold_update(&h, 0.2, &m, &v) == 0);
    /* Track 1 replaced by its newer box, untracked box superseded, track 2 still held. */
    CHECK(v.count == 2 && visible_has(&v, 1) == 1 && visible_has(&v, 2) == 1);
    matched_of(&m, 0, NULL);
    CHECK(hold_update(&h, 0.5, &m, &v) == 0 && v.count == 2); /* 0.5 - 0.0 <= hold */
    CHECK(hold_update(&h, 0.6, &m, &v) == 0);
    CHECK(v.count == 1 && visible_has(&v, 1) == 1); /* track 2 expired */
    CHECK(hold_update(&h, 0.7, &m, &v) == 0 && v.count == 1);
    CHECK(hold_update(&h, 0.71, &m, &v) == 0 && v.count == 0); /* track 1 expired */
    matched_of(&m, 1, (const int64_t[]){ EVCLIP_NONE });
    CHECK(hold_update(&h, 1.0, &m, &v) == 0 && v.count == 1);
    matched_of(&m, 1, (const int64_t[]){ 9 });
    CHECK(hold_update(&h, 1.1, &m, &v) == 0);
    CHECK(v.count == 1 && visible_has(&v, 9) == 1); /* untracked superseded by any frame */
    for (int i = 0; i < 100; i++) {
        matched_of(&m, 1, (const int64_t[]){ 1000 + i });
        CHECK(hold_update(&h, 1.1, &m, &v) == 0);
    }
    CHECK(v.count == 101);
    hold_free(&h);
    detlist_free(&m);
    detlist_free(&v);
}

/* The compact store: <= 64 bytes per detection with its lookup index, float corners (boxes
 * that collapse or overflow at float precision are skipped, as stored), values round-trip. */
static void test_compact(void)
{
    EvclipDetections *d = NULL;
    char label[16];
    CHECK(evclip_detections_new(&d) == 0);
    for (int i = 0; i < 100000; i++) {
        snprintf(label, sizeof(label), "c%d", i % 7);
        EvclipDetection e = det(i / 3, i / 90.0, label, i % 11);
        e.score = 0.123456789;
        e.has_color = i % 2;
        e.color[0] = 1, e.color[1] = 2, e.color[2] = 3;
        CHECK_MSG(evclip_detections_add(d, &e) == 0, "%d", i);
    }
    detections_shrink(d);
    CHECK(detections_prepare(d) == 0);
    double per = (double)detections_memory(d) / 100000;
    CHECK_MSG(per <= 64, "%.1f bytes per detection", per);
    EvclipDetection g;
    detections_get(d, 99999, &g);
    CHECK(g.frame_idx == 33333 && g.ts == 99999 / 90.0 && g.score == 0.123456789);
    CHECK(g.track_id == 99999 % 11 && !strcmp(g.label, "c4") && g.has_color &&
          g.color[2] == 3 && g.x1 == 1 && g.y2 == 40 && !g.normalized);
    DetList list = { 0 };
    CHECK(detections_lookup(d, 100, 101, -1, -1, &list) == 3 && list.items[0].frame_idx == 100);
    CHECK(detections_lookup(d, -1, -1, 1.0, 1.02, &list) == 0); /* all are frame-keyed */
    detlist_free(&list);

    EvclipDetection e = det(1, -1, "a", -1);
    e.x1 = 1.00000001, e.x2 = 1.00000002; /* distinct doubles, one float */
    CHECK(detections_add_checked(d, &e, "f:2") == 0 && stats_of(d).skipped == 1);
    CHECK(!strcmp(detections_skip_note(d), "f:2: field 'bbox': empty or reversed corners, "
                                           "box skipped"));
    for (int i = 0; i < 1000; i++) { /* float corners: within 1/4096 px below 8192 px */
        EvclipDetection p = det(1, -1, "a", -1), q;
        p.x1 = 8191.0 * i / 1000 + 1e-7 * i;
        p.x2 = p.x1 + 1;
        CHECK(evclip_detections_add(d, &p) == 0);
        detections_get(d, detections_count(d) - 1, &q);
        CHECK_MSG(fabs(q.x1 - p.x1) <= 1.0 / 4096, "%.9f -> %.9f", p.x1, q.x1);
    }
    detections_truncate(d, 100000, stats_of(d).skipped);
    e.x1 = 1, e.x2 = 1e39;
    CHECK(detections_add_checked(d, &e, "f:3") == 0 && stats_of(d).skipped == 2);
    CHECK(stats_of(d).count == 100000);
    /* The fast path's check agrees: corners compared as floats, none beyond float's range
     * (3.40282356e38 is above FLT_MAX though a float cast rounds it down to FLT_MAX). */
    const struct { double x1, x2; int ok; } boxes[] = {
        { 1.00000001, 1.00000002, 0 }, { 1, 3.4028234663852886e38, 1 },
        { 1, 3.40282356e38, 0 }, { -3.40282356e38, 1, 0 }, { 1, NAN, 0 }, { -INFINITY, 1, 0 },
        { 2, 1, 0 }, { 1, 1, 0 }, { -2, -1, 1 },
    };
    for (size_t i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++) {
        EvclipDetection b = det(1, -1, "a", -1);
        b.x1 = boxes[i].x1, b.x2 = boxes[i].x2;
        CHECK_MSG(detections_storable(&b) == boxes[i].ok, "box %zu", i);
        CHECK_MSG(detections_add_if_storable(d, &b, 1) == boxes[i].ok, "box %zu", i);
        b.y1 = 5, b.y2 = 5; /* empty vertically: never */
        CHECK_MSG(!detections_storable(&b), "box %zu", i);
    }
    CHECK(stats_of(d).count == 100002);
    evclip_detections_free(&d);
}

/* evclip_detections_get: the store read back in the order added, labels interned. */
static void test_get(void)
{
    EvclipDetections *d = NULL;
    EvclipDetection out, a = det(4, EVCLIP_NONE, "car", 7), b = det(EVCLIP_NONE, 0.5, "bus", -1);
    b.x2 = 0.1f + 30; /* stored as a float */
    b.has_color = 1;
    b.color[2] = 255;
    CHECK(evclip_detections_new(&d) == 0);
    CHECK(evclip_detections_get(d, 0, &out) == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_add(d, &a) == 0 && evclip_detections_add(d, &b) == 0);
    CHECK(evclip_detections_get(d, 0, &out) == 0 && !strcmp(evclip_last_error(), ""));
    CHECK(out.frame_idx == 4 && out.ts == EVCLIP_NONE && out.track_id == 7 &&
          !strcmp(out.label, "car") && out.label != a.label && !out.has_color);
    CHECK(evclip_detections_get(d, 1, &out) == 0);
    CHECK(out.frame_idx == EVCLIP_NONE && out.ts == 0.5 && out.x2 == (double)(0.1f + 30) &&
          out.has_color && out.color[2] == 255 && !strcmp(out.label, "bus"));
    CHECK(evclip_detections_get(d, 2, &out) == EVCLIP_ERR_INVALID);
    CHECK(!strcmp(evclip_last_error(), "evclip_detections_get: index 2 is outside 0..1"));
    CHECK(evclip_detections_get(d, -1, &out) == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_get(d, 0, NULL) == EVCLIP_ERR_INVALID);
    CHECK(evclip_detections_get(NULL, 0, &out) == EVCLIP_ERR_INVALID);
    evclip_detections_free(&d);
}

int main(void)
{
    test_lifecycle();
    test_add_validation();
    test_interning();
    test_interning_lengths();
    test_lookup_index();
    test_truncate();
    test_texts();
    test_vfr_matching();
    test_hold_zero();
    test_hold();
    test_compact();
    test_get();
    return test_summary();
}
