/* reader_scan.c: a detection log streamed detection by detection (evclip_detections_scan),
 * holding one read block at a time, for tools that aggregate huge logs. */
#include <stdlib.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"

typedef struct Scan {
    EvclipDetectionFn fn;
    void *opaque;
    int stopped;  /* the callback returned non-zero: later detections are not delivered */
    EvclipDetections *d;
} Scan;

/* After each parsed block: hands its detections to the callback, then forgets them, so the
 * store never holds more than one block. */
static void on_block(void *ctx, const ReaderBlock *b)
{
    Scan *s = ctx;
    size_t n = detections_count(s->d);
    for (size_t i = b->first_det; i < n && !s->stopped; i++) {
        EvclipDetection det;
        detections_get(s->d, i, &det);
        det.normalized &= 1; /* a wallclock key reads as ts (epoch seconds) */
        if (s->fn(s->opaque, &det))
            s->stopped = 1;
    }
    detections_truncate(s->d, b->first_det, 0);
}

EVCLIP_API int evclip_detections_scan(const char *path, const char *format, int normalized,
                                      EvclipDetectionFn fn, void *opaque)
{
    ev_error_clear();
    if (!path || !fn)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_scan: NULL argument");
    int f = reader_format_from_name(format);
    if (f < 0)
        return f;
    Scan s = { .fn = fn, .opaque = opaque };
    int ret = evclip_detections_new(&s.d);
    if (ret < 0)
        return ret;
    ret = reader_load_blocks(s.d, path, f, normalized, on_block, &s);
    evclip_detections_free(&s.d);
    if (ret >= 0 && s.stopped)
        ret = ev_error(EVCLIP_ERR_CANCELED, "%s: scan stopped by its callback", path);
    return ret;
}
