/* renderer.h: the renderer handle shared by render, writer and (later) batch and live modes. */
#ifndef EVCLIP_SRC_RENDERER_H
#define EVCLIP_SRC_RENDERER_H

#include <stdatomic.h>

#include "evclip/evclip.h"
#include "src/log.h"

struct EvclipRenderer {
    EvclipSettings settings; /* string fields point into the copies below */
    char *encoder, *preset, *font, *title;
    Logger log;
    atomic_int cancel;
};

/* 1 when cancellation was requested. */
int renderer_cancelled(EvclipRenderer *r);

#endif /* EVCLIP_SRC_RENDERER_H */
