/* reader_scan.c: a detection log streamed detection by detection (evclip_detections_scan),
 * holding one read block at a time, for tools that aggregate huge logs; and the wall-clock
 * facts of a log (reader_scan_wall) gathered the same way. */
#include <stdio.h>
#include <stdlib.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"

typedef struct Scan {
    EvclipDetectionFn fn;  /* NULL: only the wall-clock facts are gathered */
    void *opaque;
    int stopped;  /* the callback returned non-zero: later detections are not delivered */
    int wall_flag;         /* EVCLIP_SCAN_WALLCLOCK: mark detections keyed by wallclock */
    char *keyed;           /* when not NULL: "file:line" of the first line keyed by wallclock */
    size_t keyed_size;
    EvclipDetections *d;
} Scan;

/* After each parsed block: hands its detections to the callback, then forgets them, so the
 * store never holds more than one block. */
static void on_block(void *ctx, const ReaderBlock *b)
{
    Scan *s = ctx;
    size_t n = detections_count(s->d);
    const char *keyed = s->keyed && !s->keyed[0] ? detections_wall_keyed(s->d) : NULL;
    if (keyed) /* the store notes the first such line; its count drops with the block */
        snprintf(s->keyed, s->keyed_size, "%s", keyed);
    for (size_t i = b->first_det; s->fn && i < n && !s->stopped; i++) {
        EvclipDetection det;
        detections_get(s->d, i, &det);
        /* a wallclock key reads as ts (epoch seconds), marked when the caller asked */
        det.normalized = (det.normalized & 1) |
                         (s->wall_flag && (det.normalized & DETECTION_WALLCLOCK) ?
                          EVCLIP_SCAN_WALLCLOCK : 0);
        if (s->fn(s->opaque, &det))
            s->stopped = 1;
    }
    detections_truncate(s->d, b->first_det, 0);
}

int reader_scan_wall(EvclipDetections *d, const char *path, int format, char *keyed,
                     size_t size)
{
    Scan s = { .keyed = keyed, .keyed_size = size, .d = d };
    keyed[0] = '\0';
    return reader_load_blocks(d, path, format, 0, on_block, &s);
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
    Scan s = { .fn = fn, .opaque = opaque,
               .wall_flag = (normalized & EVCLIP_SCAN_WALLCLOCK) != 0 };
    int ret = evclip_detections_new(&s.d);
    if (ret < 0)
        return ret;
    ret = reader_load_blocks(s.d, path, f, normalized & ~EVCLIP_SCAN_WALLCLOCK, on_block, &s);
    evclip_detections_free(&s.d);
    if (ret >= 0 && s.stopped)
        ret = ev_error(EVCLIP_ERR_CANCELED, "%s: scan stopped by its callback", path);
    return ret;
}
