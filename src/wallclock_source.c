/* wallclock_source.c: a source's wall-clock origin: given by the caller, from its detection
 * log's wallclock fields, or from the container's creation_time metadata. */
#include <math.h>

#include <libavformat/avformat.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/wallclock.h"

/* creation_time of the container, else of the video stream; 0 when none usable. */
static int creation_time(const AVFormatContext *fmt, const AVStream *video, double *epoch,
                         const Logger *log)
{
    const AVDictionary *dicts[2] = { fmt->metadata, video ? video->metadata : NULL };
    for (int i = 0; i < 2; i++) {
        const AVDictionaryEntry *e = av_dict_get(dicts[i], "creation_time", NULL, 0);
        if (!e)
            continue;
        if (wallclock_parse(e->value, epoch, "creation_time") == 0)
            return 1;
        ev_log(log, EVCLIP_LOG_WARNING, "input '%s': %s: ignored", fmt->url,
               ev_error_message());
        ev_error_clear();
    }
    return 0;
}

int wallclock_resolve(const EvclipSource *in, const EvclipDetections *dets,
                      const AVFormatContext *fmt, const AVStream *video, double ts_shift,
                      WallOrigin *out, const Logger *log)
{
    double wall_minus_ts;
    *out = (WallOrigin){ 0, NAN, 0 };
    if (in->epoch_known == 1) {
        int ret = wallclock_check(in->epoch, "EvclipSource.epoch");
        if (ret < 0)
            return ev_error_wrap(ret, "input '%s'", in->path);
        *out = (WallOrigin){ 1, in->epoch, in->epoch_origin };
        return 0;
    }
    if (in->epoch_known < 0)
        return 0;
    if (dets && detections_wall_origin(dets, &wall_minus_ts)) {
        *out = (WallOrigin){ 1, wall_minus_ts + ts_shift, EVCLIP_EPOCH_LOG };
        return 0;
    }
    if (fmt && creation_time(fmt, video, &out->epoch, log)) {
        out->known = 1;
        out->origin = EVCLIP_EPOCH_CREATION_TIME;
    }
    return 0;
}

int wallclock_unknown(const char *keyed, const char *path)
{
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s: field 'wallclock': boxes keyed by wall-clock "
                    "time need the wall-clock origin of input '%s', which is unknown (give "
                    "--epoch / \"epoch\", a log line with both ts and wallclock, or a video "
                    "with creation_time)", keyed, path);
}

int wallclock_segment(const EvclipSource *in, const EvclipDetections *dets,
                      const struct AVFormatContext *fmt, const struct AVStream *video,
                      double ts_shift, const Tz *stamp_tz, WallOrigin *out, const Logger *log,
                      const char *output)
{
    char iso[40];
    int ret = wallclock_resolve(in, dets, fmt, video, ts_shift, out, log);
    const char *keyed = dets ? detections_wall_keyed(dets) : NULL;
    if (ret < 0)
        return ret;
    if (keyed && !out->known)
        return wallclock_unknown(keyed, in->path);
    if (out->known) {
        wallclock_iso_utc(out->epoch, iso, sizeof(iso));
        ev_log(log, EVCLIP_LOG_INFO, "'%s': input '%s' starts at %s (wall-clock origin from %s)",
               output, in->path, iso, wallclock_origin_name(out->origin));
    }
    if (stamp_tz)
        ev_log(log, EVCLIP_LOG_INFO, "'%s': timestamps of input '%s' are %s", output, in->path,
               out->known ? "wall-clock time" : "source time (its wall-clock origin is "
               "unknown: no --epoch, no wallclock in its log, no creation_time)");
    if (stamp_tz && out->known)
        ev_log(log, EVCLIP_LOG_INFO, "'%s': timestamp zone %s", output, tz_name(stamp_tz));
    return 0;
}
