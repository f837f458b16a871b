/* fuzz_reader_diff.c: differential libFuzzer target: the simdjson fast path and the jansson
 * reader must agree on every input (same detections, skips and warnings, or the same error). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MISMATCH(cond) do { if (cond) __builtin_trap(); } while (0)

static void same_detection(const EvclipDetection *a, const EvclipDetection *b)
{
    MISMATCH(a->frame_idx != b->frame_idx || a->track_id != b->track_id);
    MISMATCH(memcmp(&a->ts, &b->ts, sizeof(a->ts)) || memcmp(&a->score, &b->score,
                                                              sizeof(a->score)));
    MISMATCH(a->x1 != b->x1 || a->y1 != b->y1 || a->x2 != b->x2 || a->y2 != b->y2);
    MISMATCH(strcmp(a->label, b->label) || a->normalized != b->normalized);
    MISMATCH(a->has_color != b->has_color || (a->has_color && memcmp(a->color, b->color, 3)));
}

static void same_store(const EvclipDetections *a, const EvclipDetections *b)
{
    EvclipDetectionStats sa, sb;
    evclip_detections_get_stats(a, &sa);
    evclip_detections_get_stats(b, &sb);
    MISMATCH(sa.count != sb.count || sa.skipped != sb.skipped);
    MISMATCH(strcmp(detections_skip_note(a), detections_skip_note(b)));
    int na, nb;
    const char *const *wa = detections_warnings(a, &na);
    const char *const *wb = detections_warnings(b, &nb);
    MISMATCH(na != nb);
    for (int i = 0; i < na; i++)
        MISMATCH(strcmp(wa[i], wb[i]));
    for (size_t i = 0; i < (size_t)sa.count; i++) {
        EvclipDetection x, y;
        detections_get(a, i, &x);
        detections_get(b, i, &y);
        same_detection(&x, &y);
        const float *pa, *pb;
        int npa = detections_polygon_at(a, i, &pa), npb = detections_polygon_at(b, i, &pb);
        MISMATCH(npa != npb || (npa > 0 && memcmp(pa, pb, (size_t)npa * 2 * sizeof(*pa))));
        const char *ea = detections_extra_at(a, i), *eb = detections_extra_at(b, i);
        MISMATCH(!ea != !eb || (ea && strcmp(ea, eb)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    EvclipDetections *fast = NULL, *ref = NULL;
    if (size < 1 || evclip_detections_new(&fast) < 0 || evclip_detections_new(&ref) < 0) {
        evclip_detections_free(&fast);
        return 0;
    }
    /* First byte: format (auto, native, grouped, ultralytics; MOT has no fast JSON path but
     * is kept for its own parser) and the normalized default, as fuzz_reader. */
    int format = (data[0] & 7) % 5, normalized = (data[0] >> 3) & 1;
    const char *text = (const char *)data + 1;
    char fast_err[1024] = "", ref_err[1024] = "";
    int rf = reader_parse_flags(fast, "fuzz", text, size - 1, format, normalized, 0);
    if (rf < 0)
        snprintf(fast_err, sizeof(fast_err), "%s", evclip_last_error());
    int rr = reader_parse_flags(ref, "fuzz", text, size - 1, format, normalized,
                                READER_NO_FAST);
    if (rr < 0)
        snprintf(ref_err, sizeof(ref_err), "%s", evclip_last_error());
    MISMATCH(rf != rr);
    MISMATCH(strcmp(fast_err, ref_err));
    same_store(fast, ref);
    evclip_detections_free(&fast);
    evclip_detections_free(&ref);
    return 0;
}
