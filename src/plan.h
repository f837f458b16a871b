/* plan.h: clip planning: probe sources, validate windows, apply rolls, speed and duration cap. */
#ifndef EVCLIP_SRC_PLAN_H
#define EVCLIP_SRC_PLAN_H

#include "evclip/evclip.h"
#include "src/log.h"

/* What probing a source tells the planner. */
typedef struct SourceInfo {
    double duration;     /* seconds of video from its first frame; < 0 unknown */
    double frame_period; /* nominal seconds per frame */
    int width, height;
} SourceInfo;

/* One source window of a clip after planning. */
typedef struct SegmentPlan {
    const EvclipSource *source;
    double start, end;   /* effective window (rolls applied, clamped) on the source timeline */
} SegmentPlan;

typedef struct ClipPlan {
    SegmentPlan *segments;
    int nb_segments;
    double total;        /* sum of the segment windows, seconds */
    double speed;        /* effective playback speed (>= the clip's speed) */
    int step;            /* keep every step-th frame (framedrop), else 1 */
    int width, height;   /* output size (0 = the first source's) */
    double frames;       /* expected output frames */
} ClipPlan;

/* Checks a clip's arguments before any I/O (paths, windows, rolls, speed, cap).
 * Returns 0 or INVALID / WINDOW with a detail message. */
int plan_check_clip(const EvclipClip *clip);

/* Plans a clip from its sources' probe results (info[i] for clip->sources[i]): validates each
 * window against the real duration (WINDOW naming it, unless settings->clamp), applies pre-roll
 * to the first and post-roll to the last window, and computes speed and frame step from the
 * cap. Fills *plan (free with plan_free). */
int plan_clip(ClipPlan *plan, const EvclipClip *clip, const SourceInfo *info,
              const EvclipSettings *settings, const Logger *log);
void plan_free(ClipPlan *plan);

#endif /* EVCLIP_SRC_PLAN_H */
