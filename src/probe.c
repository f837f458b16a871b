/* probe.c: evclip_probe(): a video's duration and frame period as the renderer sees them. */
#include <math.h>

#include "src/error.h"
#include "src/source.h"

EVCLIP_API int evclip_probe(const char *path, double *duration, double *frame_period)
{
    ev_error_clear();
    if (!path || !duration || !frame_period)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_probe: NULL argument");
    EvclipSource in = { .path = path, .start = 0, .end = INFINITY };
    Source *s = NULL;
    int ret = source_open(&s, &in, 1, NULL);
    if (ret < 0)
        return ret;
    *duration = s->duration;
    *frame_period = s->frame_period;
    source_close(&s);
    return 0;
}
