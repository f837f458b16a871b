/* warnings.c: warnings of a clip that rendered but may be wrong, found once per clip. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "src/orient.h"
#include "src/warnings.h"

#define EPOCH_SECONDS 1e8      /* ts above this (over 3 years) looks like wall-clock time */
#define FIT_TOLERANCE 1.0      /* pixels a box may reach past the frame edge unnoticed */
#define OTHER_SIZE_RATIO 1.05  /* log extents this much past the frame: another frame size */

void warnings_add(EvclipResult *res, const Logger *log, const char *output, const char *fmt,
                  ...)
{
    char text[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    for (const char *p = res->warnings; *p;) { /* once per clip */
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n == strlen(text) && !memcmp(p, text, n))
            return;
        p += n + (nl != NULL);
    }
    res->nb_warnings++;
    size_t used = strlen(res->warnings), n = strlen(text);
    if (used + n + 2 <= sizeof(res->warnings)) {
        memcpy(res->warnings + used, text, n);
        memcpy(res->warnings + used + n, "\n", 2);
    }
    ev_log(log, EVCLIP_LOG_WARNING, "'%s': %s", output, text);
}

void window_check_reset(WindowCheck *w)
{
    memset(w, 0, sizeof(*w));
    w->first_hit = w->last_hit = w->idx_lo = w->idx_hi = -1;
}

void window_check_orient(WindowCheck *w, int orient, int stored_width, int stored_height,
                         int box_space, double rotation, int rotation_odd)
{
    w->orient = orient;
    w->stored_width = stored_width;
    w->stored_height = stored_height;
    w->box_space = box_space;
    w->rotation = rotation;
    w->rotation_odd = rotation_odd;
}

static int outside(const EvclipDetection *d, int width, int height)
{
    return d->x1 < -FIT_TOLERANCE || d->y1 < -FIT_TOLERANCE ||
           d->x2 > width + FIT_TOLERANCE || d->y2 > height + FIT_TOLERANCE;
}

void window_check_frame(WindowCheck *w, const DetList *matched, double t, int64_t idx,
                        int width, int height)
{
    w->width = width;
    w->height = height;
    if (idx >= 0) {
        if (w->idx_lo < 0)
            w->idx_lo = idx;
        w->idx_hi = idx;
    }
    if (matched->count > 0) {
        if (w->first_hit < 0)
            w->first_hit = w->frames;
        w->last_hit = w->frames;
        w->hit_frames++;
    }
    w->frames++;
    for (int i = 0; i < matched->count; i++) {
        const EvclipDetection *d = &matched->items[i];
        w->boxes++;
        if (!outside(d, width, height))
            continue;
        if (w->outside++ == 0) {
            w->first_out = *d;
            w->first_out_time = t;
        }
    }
}

/* What a whole store holds: key ranges and the extents of its pixel boxes. */
typedef struct StoreSummary {
    size_t count;
    double ts_min, ts_max;        /* NAN when no detection has ts */
    int64_t idx_min, idx_max;     /* -1 when no detection has frame_idx */
    size_t pixel_boxes;           /* detections not normalised */
    double max_x, max_y;          /* largest x2 / y2 of those */
} StoreSummary;

static void summarize(const EvclipDetections *d, StoreSummary *s)
{
    size_t n = detections_count(d);
    *s = (StoreSummary){ .count = n, .ts_min = NAN, .ts_max = NAN, .idx_min = -1,
                         .idx_max = -1, .max_x = -INFINITY, .max_y = -INFINITY };
    for (size_t i = 0; i < n; i++) {
        EvclipDetection item;
        detections_get(d, i, &item);
        const EvclipDetection *e = &item;
        if (e->ts >= 0 && !(e->normalized & DETECTION_WALLCLOCK)) {
            s->ts_min = isnan(s->ts_min) || e->ts < s->ts_min ? e->ts : s->ts_min;
            s->ts_max = isnan(s->ts_max) || e->ts > s->ts_max ? e->ts : s->ts_max;
        }
        if (e->frame_idx >= 0) {
            s->idx_min = s->idx_min < 0 || e->frame_idx < s->idx_min ? e->frame_idx : s->idx_min;
            s->idx_max = e->frame_idx > s->idx_max ? e->frame_idx : s->idx_max;
        }
        if (!(e->normalized & 1)) {
            s->pixel_boxes++;
            s->max_x = fmax(s->max_x, e->x2);
            s->max_y = fmax(s->max_y, e->y2);
        }
    }
}

/* "'path'" of the store's first log file, or "the detections" when added through the API. */
static void store_name(const EvclipDetections *d, char *buf, size_t size)
{
    int n;
    const DetectionsFile *files = detections_files(d, &n);
    if (n > 0)
        snprintf(buf, size, "'%s'", files[0].path);
    else
        snprintf(buf, size, "the detections");
}

/* The log's key ranges, e.g. "ts 1700000000.000-1700000009.900 s, frame_idx 0-120". */
static void key_ranges(const StoreSummary *s, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!isnan(s->ts_min))
        snprintf(buf, size, "ts %.3f-%.3f s", s->ts_min, s->ts_max);
    if (s->idx_min >= 0)
        snprintf(buf + strlen(buf), size - strlen(buf), "%sframe_idx %lld-%lld",
                 buf[0] ? ", " : "", (long long)s->idx_min, (long long)s->idx_max);
}

static void no_detection(const WindowCheck *w, const EvclipSource *src, const char *name,
                         const StoreSummary *s, double start, double end, EvclipResult *res,
                         const Logger *log, const char *output)
{
    char frames[64] = "", ranges[160];
    if (w->idx_lo >= 0)
        snprintf(frames, sizeof(frames), " (frames %lld-%lld)", (long long)w->idx_lo,
                 (long long)w->idx_hi);
    key_ranges(s, ranges, sizeof(ranges));
    warnings_add(res, log, output, "no detection of %s falls in the window [%.3f, %.3f) s%s "
                 "of '%s': the log has %s%s", name, start, end, frames, src->path, ranges,
                 s->ts_min > EPOCH_SECONDS ? " (epoch seconds? ts counts seconds from the "
                 "video's first frame)" : "");
}

static int fits(const StoreSummary *s, int width, int height)
{
    return s->max_x <= width + FIT_TOLERANCE && s->max_y <= height + FIT_TOLERANCE;
}

/* Warns when the log's pixel boxes fit the frame of the other box space but not the frame of
 * the space they are read in (a turned source: stored W x H, displayed H x W). Returns 1 when
 * it warned. */
static int wrong_space(const WindowCheck *w, const EvclipSource *src, const char *name,
                       const StoreSummary *s, EvclipResult *res, const Logger *log,
                       const char *output)
{
    int rotation, mirror, display = w->box_space != EVCLIP_BOX_STORED;
    if (!(w->orient & ORIENT_TRANSPOSE) || s->pixel_boxes == 0 || w->width <= 0)
        return 0;
    int fits_display = fits(s, w->width, w->height);
    int fits_stored = fits(s, w->stored_width, w->stored_height);
    if (display ? fits_display || !fits_stored : fits_stored || !fits_display)
        return 0;
    orient_describe(w->orient, &rotation, &mirror);
    warnings_add(res, log, output, "boxes of %s reach x %.0f, y %.0f: past the %dx%d frame "
                 "'%s' is displayed as (turned %d degrees%s by its display matrix), but within "
                 "its %dx%d stored frame; boxes are read in %s space: %s", name, s->max_x,
                 s->max_y, w->width, w->height, src->path, rotation,
                 mirror ? " and mirrored" : "", w->stored_width, w->stored_height,
                 display ? "display" : "stored",
                 display ? "a log of unturned frames (PyAV, OpenCV with "
                           "CAP_PROP_ORIENTATION_AUTO off) needs --box-space stored"
                         : "a log of upright frames needs --box-space display");
    return 1;
}

void window_check_finish(const WindowCheck *w, const EvclipSource *src,
                         const EvclipDetections *d, double start, double end, double hold,
                         EvclipResult *res, const Logger *log, const char *output)
{
    char name[600];
    StoreSummary s;
    if (w->rotation_odd)
        warnings_add(res, log, output, "the display matrix of '%s' turns it %.0f degrees, not "
                     "a multiple of 90: it is shown turned by the nearest multiple of 90",
                     src->path, w->rotation);
    if (!d)
        return;
    store_name(d, name, sizeof(name));
    summarize(d, &s);
    if (s.count == 0) {
        warnings_add(res, log, output, "%s holds no detection: no box is drawn", name);
        return;
    }
    if (w->boxes == 0) {
        no_detection(w, src, name, &s, start, end, res, log, output);
        return;
    }
    if (s.pixel_boxes > 0 && s.max_x <= 1.0 && s.max_y <= 1.0) {
        warnings_add(res, log, output, "every box of %s has coordinates <= 1 (%zu boxes): "
                     "if they are fractions of the frame size, use --normalized "
                     "(normalized=True)", name, s.pixel_boxes);
        return;
    }
    if (w->outside > 0) {
        const EvclipDetection *b = &w->first_out;
        warnings_add(res, log, output, "%lld of %lld boxes of %s in the window reach outside "
                     "the %dx%d frame of '%s' (first: '%s' [%.1f, %.1f, %.1f, %.1f] at "
                     "%.3f s)", (long long)w->outside, (long long)w->boxes, name, w->width,
                     w->height, src->path, b->label, b->x1, b->y1, b->x2, b->y2,
                     w->first_out_time);
    }
    if (wrong_space(w, src, name, &s, res, log, output))
        return;
    /* The frame the boxes are pixels of: stored for a turned source read in stored space. */
    int stored = w->orient && w->box_space == EVCLIP_BOX_STORED && w->stored_width > 0;
    int bw = stored ? w->stored_width : w->width, bh = stored ? w->stored_height : w->height;
    if (s.pixel_boxes > 0 && bw > 0 &&
        (s.max_x > bw * OTHER_SIZE_RATIO || s.max_y > bh * OTHER_SIZE_RATIO))
        warnings_add(res, log, output, "boxes of %s reach x %.0f, y %.0f, past the %dx%d "
                     "%sframe of '%s': is it a log for another camera or video size?", name,
                     s.max_x, s.max_y, bw, bh, stored ? "stored " : "", src->path);
    int64_t span = w->last_hit - w->first_hit + 1;
    if (!(hold > 0) && w->hit_frames >= 2 && w->hit_frames * 2 < span)
        warnings_add(res, log, output, "detections of %s cover %lld of the %lld frames "
                     "between their first and last in the window (%lld %%): boxes blink; "
                     "--hold MS keeps each box up to MS after its detection (default 0 = off)",
                     name, (long long)w->hit_frames, (long long)span,
                     (long long)(w->hit_frames * 100 / span));
}

void warnings_from_store(const EvclipDetections *d, EvclipResult *res, const Logger *log,
                         const char *output)
{
    char name[600];
    int n;
    EvclipDetectionStats st;
    if (!d)
        return;
    store_name(d, name, sizeof(name));
    evclip_detections_get_stats(d, &st);
    if (st.skipped)
        warnings_add(res, log, output, "detections: skipped %lld nonsense boxes of %s "
                     "(first: %s)", (long long)st.skipped, name, detections_skip_note(d));
    const char *const *texts = detections_warnings(d, &n);
    for (int i = 0; i < n; i++)
        warnings_add(res, log, output, "%s", texts[i]);
}
