/* interpolate.c: boxes of a track interpolated linearly on the frames between two of its
 * detections (EvclipDrawOptions.interpolate), for detectors run on every Nth frame. */
#include <math.h>
#include <stdlib.h>

#include "src/error.h"
#include "src/frame_boxes.h"
#include "src/interpolate.h"

#define EPS 1e-9

typedef struct Keyed {
    int64_t track;
    double time;
    int i;  /* index in the looked-up list */
} Keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const Keyed *x = a, *y = b;
    if (x->track != y->track)
        return x->track < y->track ? -1 : 1;
    return (x->time > y->time) - (x->time < y->time);
}

/* Source time of a looked-up detection. */
static double det_time(const InterpolateFrame *f, const EvclipDetection *d)
{
    if (d->frame_idx < 0)
        return d->ts - f->ts_shift;
    double t = f->index_time ? f->index_time(f->opaque, d->frame_idx) : NAN;
    return isfinite(t) ? t : f->time + (double)(d->frame_idx - f->index) * f->frame_period;
}

static int has_track(const DetList *list, int64_t track)
{
    for (int i = 0; i < list->count; i++)
        if (list->items[i].track_id == track)
            return 1;
    return 0;
}

static EvclipDetection lerp(const EvclipDetection *a, const EvclipDetection *b, double u)
{
    EvclipDetection d = *a;
    d.x1 = a->x1 + (b->x1 - a->x1) * u;
    d.y1 = a->y1 + (b->y1 - a->y1) * u;
    d.x2 = a->x2 + (b->x2 - a->x2) * u;
    d.y2 = a->y2 + (b->y2 - a->y2) * u;
    if (a->score >= 0 && b->score >= 0)
        d.score = a->score + (b->score - a->score) * u;
    return d;
}

/* Interpolates the tracks of the sorted window k[0..n), with times known within eps. */
static int emit(const InterpolateFrame *f, const Keyed *k, int n, const DetList *window,
                DetList *matched, double eps)
{
    int added = 0;
    for (int s = 0; s < n;) {
        int e = s;
        while (e < n && k[e].track == k[s].track)
            e++;
        int before = -1, after = -1;
        for (int i = s; i < e; i++) {
            if (k[i].time < f->time - eps)
                before = i;
            else if (k[i].time > f->time + eps && after < 0)
                after = i;
        }
        if (before >= 0 && after >= 0 && k[after].time - k[before].time <= f->gap + eps &&
            !has_track(matched, k[s].track)) {
            double u = (f->time - k[before].time) / (k[after].time - k[before].time);
            EvclipDetection d = lerp(&window->items[k[before].i], &window->items[k[after].i], u);
            d.frame_idx = f->index;
            d.ts = f->time + f->ts_shift;
            if (detlist_push(matched, &d) < 0)
                return ev_error(EVCLIP_ERR_NOMEM, "out of memory (interpolation)");
            added++;
        }
        s = e;
    }
    return added;
}

/* Appends the wallclock-keyed detections within the gap of the frame to scratch, retimed as
 * ts keys (wallclock - origin + ts_shift) so they interpolate as ts-keyed ones do. A double
 * holds epoch seconds to about 1e-7 s (2026): source times are rounded to the microsecond
 * (so a log keyed by wallclock gives the corners of the same log keyed by ts), and *eps grows
 * to that precision (two detections a gap apart can be a few 1e-7 s more apart once read). */
static int lookup_wall(const InterpolateFrame *f, DetList *scratch, double *eps)
{
    if (isnan(f->wall_epoch) || !detections_wall_keyed(f->d))
        return 0;
    int first = scratch->count;
    double w = f->time + f->wall_epoch;
    *eps = fmax(EPS, 4 * (nextafter(fabs(w) + f->gap, INFINITY) - (fabs(w) + f->gap)));
    int ret = frame_boxes_lookup_wall(f->d, w - f->gap - *eps, w + f->gap + *eps, f->width,
                                      f->height, scratch);
    for (int i = first; i < scratch->count; i++) {
        EvclipDetection *d = &scratch->items[i];
        d->ts = round((d->ts - f->wall_epoch) * 1e6) / 1e6 + f->ts_shift;
        d->frame_idx = EVCLIP_NONE;
        d->normalized &= ~DETECTION_WALLCLOCK;
    }
    return ret;
}

int interpolate_frame(const InterpolateFrame *f, DetList *matched, DetList *scratch)
{
    int64_t lo = -1, hi = -1;
    if (f->index >= 0) {
        double frames = f->frame_period > 0 ? ceil(f->gap / f->frame_period) + 1 : 1;
        int64_t span = frames < 1e7 ? (int64_t)frames : 10000000;
        lo = f->index > span ? f->index - span : 0;
        hi = f->index + span + 1;
    }
    double t = f->time + f->ts_shift;
    detlist_clear(scratch);
    int ret = frame_boxes_lookup(f->d, lo, hi, t - f->gap - EPS, t + f->gap + EPS, f->width,
                                 f->height, scratch);
    double eps = EPS;
    if (ret >= 0)
        ret = lookup_wall(f, scratch, &eps);
    if (ret < 0 || scratch->count == 0)
        return ret;
    Keyed *k = malloc(sizeof(*k) * (size_t)scratch->count);
    if (!k)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (interpolation)");
    int n = 0;
    for (int i = 0; i < scratch->count; i++)
        if (scratch->items[i].track_id >= 0)
            k[n++] = (Keyed){ scratch->items[i].track_id, det_time(f, &scratch->items[i]), i };
    qsort(k, (size_t)n, sizeof(*k), cmp_keyed);
    ret = emit(f, k, n, scratch, matched, eps);
    free(k);
    return ret;
}
