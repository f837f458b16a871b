/* renderer.h: the renderer handle shared by render, writer and (later) batch and live modes. */
#ifndef EVCLIP_SRC_RENDERER_H
#define EVCLIP_SRC_RENDERER_H

#include <pthread.h>
#include <stdatomic.h>

#include "evclip/evclip.h"
#include "src/log.h"

struct EvclipRenderer {
    EvclipSettings settings; /* string fields point into the copies below */
    char *encoder, *preset, *font, *title, *sign_key, *worker;
    EvclipDrawOptions *draw_options; /* copy of the caller's, or NULL */
    Logger log;
    atomic_int cancel;
    /* EvclipStats counters, added to by concurrent renders; atomics, so that
     * evclip_get_stats() reads a const renderer without a cast */
    _Atomic int64_t sources_opened, frames_decoded, seeks, clips_rendered;
};

/* Adds to r's counters (thread-safe). */
void renderer_count(EvclipRenderer *r, int64_t sources, int64_t frames, int64_t seeks,
                    int64_t clips);

/* 1 when cancellation was requested. */
int renderer_cancelled(EvclipRenderer *r);

#endif /* EVCLIP_SRC_RENDERER_H */
