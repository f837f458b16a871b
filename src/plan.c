/* plan.c: clip planning: probe sources, validate windows, apply rolls, speed and duration cap. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/plan.h"
#include "src/settings.h"
#include "src/wallclock.h"

static int check_source(const EvclipSource *s, int i)
{
    if (!s->path || !*s->path)
        return ev_error(EVCLIP_ERR_INVALID, "source %d has no path", i + 1);
    if (!isfinite(s->start) || !(isfinite(s->end) || s->end == INFINITY))
        return ev_error(EVCLIP_ERR_WINDOW, "source %d ('%s'): window [%g, %g) is not finite",
                        i + 1, s->path, s->start, s->end);
    if (s->start < 0)
        return ev_error(EVCLIP_ERR_WINDOW, "source %d ('%s'): window start %.3f s is negative",
                        i + 1, s->path, s->start);
    if (s->ts_origin != EVCLIP_TS_START && s->ts_origin != EVCLIP_TS_PTS)
        return ev_error(EVCLIP_ERR_INVALID, "source %d: unknown ts origin %d (start or pts)",
                        i + 1, s->ts_origin);
    if (s->stream < 0)
        return ev_error(EVCLIP_ERR_INVALID, "source %d: stream %d is negative", i + 1,
                        s->stream);
    if (!(s->fps >= 0) || !isfinite(s->fps))
        return ev_error(EVCLIP_ERR_INVALID, "source %d: fps %g must be >= 0", i + 1, s->fps);
    if (s->epoch_known < -1 || s->epoch_known > 1 || s->epoch_origin < EVCLIP_EPOCH_OPTION ||
        s->epoch_origin > EVCLIP_EPOCH_CREATION_TIME)
        return ev_error(EVCLIP_ERR_INVALID, "source %d: epoch_known %d (-1, 0, 1) or "
                        "epoch_origin %d (0..2) out of range", i + 1, s->epoch_known,
                        s->epoch_origin);
    if (s->epoch_known == 1 && wallclock_check(s->epoch, "EvclipSource.epoch") < 0)
        return ev_error_wrap(EVCLIP_ERR_INVALID, "source %d ('%s')", i + 1, s->path);
    if (s->start >= s->end)
        return ev_error(EVCLIP_ERR_WINDOW, "source %d ('%s'): window start %.3f s is not "
                        "before its end %.3f s", i + 1, s->path, s->start, s->end);
    return 0;
}

int plan_check_clip(const EvclipClip *clip)
{
    int ret;
    if (!clip)
        return ev_error(EVCLIP_ERR_INVALID, "clip is NULL");
    if (!clip->sources || clip->nb_sources < 1)
        return ev_error(EVCLIP_ERR_INVALID, "clip has no source");
    if (!clip->output || !*clip->output)
        return ev_error(EVCLIP_ERR_INVALID, "clip has no output path");
    if (!(clip->pre_roll >= 0) || !isfinite(clip->pre_roll) || !(clip->post_roll >= 0) ||
        !isfinite(clip->post_roll))
        return ev_error(EVCLIP_ERR_INVALID, "pre-roll and post-roll must be finite and >= 0");
    if (!(clip->speed >= 0) || !isfinite(clip->speed))
        return ev_error(EVCLIP_ERR_INVALID, "speed %g must be a positive number", clip->speed);
    if (!(clip->max_duration >= 0) || !isfinite(clip->max_duration))
        return ev_error(EVCLIP_ERR_INVALID, "max duration %g must be a positive number of "
                        "seconds", clip->max_duration);
    if (clip->cap_strategy != EVCLIP_CAP_TIMELAPSE && clip->cap_strategy != EVCLIP_CAP_FRAMEDROP)
        return ev_error(EVCLIP_ERR_INVALID, "unknown cap strategy %d (timelapse or framedrop)",
                        clip->cap_strategy);
    if (clip->width < 0 || clip->height < 0 || (clip->width == 0) != (clip->height == 0) ||
        clip->width % 2 || clip->height % 2 || clip->width > 16384 || clip->height > 16384)
        return ev_error(EVCLIP_ERR_INVALID, "output size %dx%d must be even and both set",
                        clip->width, clip->height);
    if ((ret = settings_check_reserved(clip->reserved, sizeof(clip->reserved), "EvclipClip")) < 0)
        return ret;
    for (int i = 0; i < clip->nb_sources; i++) {
        const EvclipSource *s = &clip->sources[i];
        if ((ret = settings_check_reserved(s->reserved, sizeof(s->reserved), "EvclipSource")) < 0 ||
            (ret = check_source(s, i)) < 0)
            return ret;
    }
    return 0;
}

/* Validates one window against the video's duration; clamps when allowed. */
static int fit_window(SegmentPlan *seg, const SourceInfo *info, const EvclipSettings *s,
                      const Logger *log)
{
    const EvclipSource *src = seg->source;
    double d = info->duration;
    if (d <= 0 && isinf(src->end))
        return ev_error(EVCLIP_ERR_WINDOW, "'%s' has no known duration: give the window end",
                        src->path);
    if (d <= 0)
        return 0; /* unknown duration: the decoder finds the end */
    if (src->start >= d)
        return ev_error(EVCLIP_ERR_WINDOW, "window [%.3f, %.3f) s starts after the end of "
                        "'%s' (the video is %.3f s long): start before %.3f s", src->start,
                        src->end, src->path, d, d);
    if (isinf(seg->end)) {
        seg->end = d; /* to the end of the video */
        return 0;
    }
    if (seg->end > d + info->frame_period / 2) {
        if (!s->clamp)
            return ev_error(EVCLIP_ERR_WINDOW, "window [%.3f, %.3f) s ends after the end of "
                            "'%s' (the video is %.3f s long): use --clamp to cut at %.3f s",
                            src->start, src->end, src->path, d, d);
        ev_log(log, EVCLIP_LOG_INFO, "'%s': window end %.3f s clamped to the video end "
               "%.3f s", src->path, seg->end, d);
        seg->end = d;
    }
    return 0;
}

static void apply_rolls(ClipPlan *p, const EvclipClip *clip, const SourceInfo *info,
                        const Logger *log)
{
    SegmentPlan *first = &p->segments[0], *last = &p->segments[p->nb_segments - 1];
    const SourceInfo *last_info = &info[p->nb_segments - 1];
    first->start -= clip->pre_roll;
    if (first->start < 0) {
        if (clip->pre_roll > 0)
            ev_log(log, EVCLIP_LOG_INFO, "pre-roll clamped at the start of '%s'",
                   first->source->path);
        first->start = 0;
    }
    last->end += clip->post_roll;
    if (last_info->duration > 0 && last->end > last_info->duration + last_info->frame_period / 2)
        last->end = last_info->duration + last_info->frame_period / 2;
}

/* Speed is a floor; when window / speed exceeds the cap, timelapse raises the speed and
 * framedrop keeps every Nth frame (N = ceil(window / speed / cap)). */
static void apply_cap(ClipPlan *p, const EvclipClip *clip, const Logger *log)
{
    double speed = clip->speed > 0 ? clip->speed : 1.0;
    p->speed = speed;
    p->step = 1;
    if (clip->max_duration <= 0 || p->total / speed <= clip->max_duration)
        return;
    if (clip->cap_strategy == EVCLIP_CAP_TIMELAPSE) {
        p->speed = p->total / clip->max_duration;
        ev_log(log, EVCLIP_LOG_INFO, "%.3f s at speed %g exceed the %.3f s cap: timelapse at "
               "speed %.4f", p->total, speed, clip->max_duration, p->speed);
    } else {
        p->step = (int)ceil(p->total / speed / clip->max_duration - 1e-9);
        ev_log(log, EVCLIP_LOG_INFO, "%.3f s at speed %g exceed the %.3f s cap: keeping every "
               "%d%s frame", p->total, speed, clip->max_duration, p->step,
               p->step == 2 ? "nd" : p->step == 3 ? "rd" : "th");
    }
}

int plan_clip(ClipPlan *p, const EvclipClip *clip, const SourceInfo *info,
              const EvclipSettings *s, const Logger *log)
{
    int ret;
    memset(p, 0, sizeof(*p));
    p->segments = calloc((size_t)clip->nb_sources, sizeof(*p->segments));
    if (!p->segments)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    p->nb_segments = clip->nb_sources;
    for (int i = 0; i < clip->nb_sources; i++) {
        SegmentPlan *seg = &p->segments[i];
        seg->source = &clip->sources[i];
        seg->start = seg->source->start;
        seg->end = seg->source->end;
        if ((ret = fit_window(seg, &info[i], s, log)) < 0) {
            plan_free(p);
            return ret;
        }
    }
    apply_rolls(p, clip, info, log);
    double frames = 0;
    for (int i = 0; i < p->nb_segments; i++) {
        double len = p->segments[i].end - p->segments[i].start;
        p->total += len;
        frames += len / (info[i].frame_period > 0 ? info[i].frame_period : 1.0 / 25);
    }
    apply_cap(p, clip, log);
    p->frames = frames / p->step;
    p->width = clip->width;
    p->height = clip->height;
    return 0;
}

void plan_free(ClipPlan *p)
{
    free(p->segments);
    memset(p, 0, sizeof(*p));
}
