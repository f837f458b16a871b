/* fuzz_jsonl.c: libFuzzer target for the native JSONL reader, the lookup index and the hold. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "src/detections.h"
#include "src/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks a few frames through lookup and hold, as the renderer does. */
static void exercise(EvclipDetections *d)
{
    DetList matched = { 0 }, visible = { 0 };
    HoldState hold;
    hold_init(&hold, 0.1);
    for (int f = 0; f < 8; f++) {
        double lo, hi, t = f / 30.0;
        detections_frame_span(f ? t - 1 / 30.0 : NAN, t, t + 1 / 30.0, 1 / 30.0, &lo, &hi);
        detlist_clear(&matched);
        if (detections_lookup(d, f, f + 1, lo, hi, &matched) < 0)
            break;
        if (hold_update(&hold, t, &matched, &visible) < 0)
            break;
    }
    detlist_clear(&matched);
    detections_lookup(d, INT64_MIN, INT64_MAX, -INFINITY, INFINITY, &matched);
    hold_free(&hold);
    detlist_free(&matched);
    detlist_free(&visible);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    EvclipDetections *d = NULL;
    EvclipDetectionStats stats;
    if (evclip_detections_new(&d) < 0)
        return 0;
    /* Twice: the second load appends to (or on error rolls back to) the first one's state. */
    int first = reader_parse_jsonl(d, "fuzz", (const char *)data, size);
    reader_parse_jsonl(d, "fuzz", (const char *)data, size);
    evclip_detections_get_stats(d, &stats);
    if (first == 0 && (stats.count % 2 || stats.skipped % 2))
        __builtin_trap();
    detections_skip_note(d);
    if (detections_prepare(d) == 0)
        exercise(d);
    evclip_detections_free(&d);
    return 0;
}
