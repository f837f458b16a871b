/* reader_fast.h: simdjson fast path of the JSON detection log readers (C API of
 * reader_fast.cpp). A line is either read whole or left to the jansson reader, which then gives
 * today's exact errors and warnings. */
#ifndef EVCLIP_SRC_READER_FAST_H
#define EVCLIP_SRC_READER_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "evclip/evclip.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that must be readable after a line handed over without copying (simdjson reads ahead
 * in blocks; the bytes themselves are never interpreted). */
#define FAST_READER_PADDING 64

typedef struct FastReader FastReader;

/* 1 when this CPU runs the fast path's SIMD kernel (see meson.build). Call before
 * fast_reader_new(), from code built without the kernel's flags. */
static inline int fast_reader_supported(void)
{
#if defined(EVCLIP_FAST_NEEDS_SSE42) && defined(__GNUC__)
    return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul") &&
           __builtin_cpu_supports("popcnt");
#else
    return 1;
#endif
}

/* Returns a reader (one simdjson parser and its buffers), or NULL when out of memory. */
FastReader *fast_reader_new(void);
void fast_reader_free(FastReader **f);

/*
 * Reads one non-blank line of a JSON log (format: enum ReaderFormat, not AUTO or MOT;
 * normalized: the line's default; ordinal: 0-based position among non-blank lines). `avail`
 * bytes are readable from text (avail >= len); with fewer than len + FAST_READER_PADDING the
 * line is copied first.
 * Returns 1 when the line was read whole and its detections added; 0 when the line must be
 * read by the jansson reader (anything other than a plain valid line: errors, warnings,
 * skipped boxes, NaN, control bytes, \u0000...), with nothing added; EVCLIP_ERR_NOMEM.
 */
int fast_reader_line(FastReader *f, EvclipDetections *d, const char *text, size_t len,
                     size_t avail, int format, int normalized, int64_t ordinal);

#ifdef __cplusplus
}
#endif

#endif /* EVCLIP_SRC_READER_FAST_H */
