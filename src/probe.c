/* probe.c: evclip_probe(): a video's duration and frame period as the renderer sees them;
 * evclip_probe_epoch(): the wall-clock origin a render of it finds. */
#include <math.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"
#include "src/source.h"
#include "src/wallclock.h"

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

EVCLIP_API int evclip_probe_epoch(const char *video, const char *log, const char *format,
                                  double *epoch, int *origin)
{
    ev_error_clear();
    if (!video || !epoch || !origin)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_probe_epoch: NULL argument");
    int f = reader_format_from_name(format);
    if (f < 0)
        return f;
    char keyed[320] = "";
    EvclipDetections *d = NULL;
    EvclipSource in = { .path = video, .start = 0, .end = INFINITY };
    Source *s = NULL;
    WallOrigin w = { 0, NAN, 0 };
    int ret = evclip_detections_new(&d);
    if (ret >= 0 && log)
        ret = reader_scan_wall(d, log, f, keyed, sizeof(keyed));
    if (ret >= 0)
        ret = source_open(&s, &in, 1, NULL);
    if (ret >= 0)
        ret = wallclock_resolve(&in, d, s->fmt, s->video, 0, &w, NULL);
    if (ret >= 0 && !w.known && keyed[0])
        ret = wallclock_unknown(keyed, video);
    source_close(&s);
    evclip_detections_free(&d);
    if (ret < 0)
        return ret;
    *epoch = w.known ? w.epoch : NAN;
    *origin = w.known ? w.origin : 0;
    return w.known;
}
