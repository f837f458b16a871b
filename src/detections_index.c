/* detections_index.c: the store's sorted lookup index (built once, shared by renders) and
 * the lookups of a frame's detections by frame index and time. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/detections_store.h"
#include "src/error.h"

/* ---- Lookup index ------------------------------------------------------------------- */

/* Keys of the detections being sorted (qsort has no context argument). */
typedef struct SortKey {
    int64_t frame;
    double ts;
    uint32_t pos;
} SortKey;

static int cmp_key(const void *a, const void *b)
{
    const SortKey *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The three indexes: ts-keyed, frame-keyed, wallclock-keyed detections. */
enum { BY_TS, BY_FRAME, BY_WALL };

/* Key of item i in one index: frame_idx, ts or wallclock; -1 when the item is not in that
 * index. Frame keys are compared as int64 (cmp_item), doubles serve the others and sorting. */
static double item_key(const Stored *s, int kind)
{
    if (kind == BY_FRAME)
        return s->frame_idx >= 0 ? (double)s->frame_idx : -1;
    if (s->frame_idx >= 0 || (kind == BY_WALL) != ((s->flags & STORED_WALL) != 0))
        return -1;
    return s->ts;
}

/* -1, 0, 1 as item a sorts before, with, after item b in one index (exact for int64). */
static int cmp_item(const Stored *a, const Stored *b, int kind)
{
    if (kind == BY_FRAME)
        return a->frame_idx < b->frame_idx ? -1 : a->frame_idx > b->frame_idx;
    return a->ts < b->ts ? -1 : a->ts > b->ts;
}

/* Builds one index: none at all when every detection has the key and they are in order. */
static int build_index(EvclipDetections *d, KeyIndex *ix, int kind)
{
    int by_frame = kind == BY_FRAME;
    size_t n = 0;
    int sorted = 1;
    const Stored *last = NULL;
    for (size_t i = 0; i < d->count; i++) {
        if (item_key(&d->items[i], kind) < 0)
            continue;
        sorted &= !last || cmp_item(last, &d->items[i], kind) <= 0;
        last = &d->items[i];
        n++;
    }
    free(ix->pos);
    *ix = (KeyIndex){ .count = n, .identity = sorted && n == d->count };
    if (ix->identity || n == 0)
        return 0;
    ix->pos = malloc(n * sizeof(*ix->pos));
    SortKey *keys = sorted ? NULL : malloc(n * sizeof(*keys));
    if (!ix->pos || (!sorted && !keys)) {
        free(keys);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (detection index)");
    }
    n = 0;
    for (size_t i = 0; i < d->count; i++) {
        double k = item_key(&d->items[i], kind);
        if (k < 0)
            continue;
        if (keys)
            keys[n] = (SortKey){ .frame = by_frame ? d->items[i].frame_idx : 0,
                                 .ts = by_frame ? 0 : k, .pos = (uint32_t)i };
        ix->pos[n++] = (uint32_t)i;
    }
    if (keys) {
        qsort(keys, n, sizeof(*keys), cmp_key);
        for (size_t i = 0; i < n; i++)
            ix->pos[i] = keys[i].pos;
        free(keys);
    }
    return 0;
}

/* Builds both indexes of a dirty store (the caller holds the index lock). */
static int build_indexes(EvclipDetections *d)
{
    int ret = build_index(d, &d->by_idx, BY_FRAME);
    if (ret >= 0)
        ret = build_index(d, &d->by_ts, BY_TS);
    if (ret >= 0)
        ret = build_index(d, &d->by_wall, BY_WALL);
    if (ret < 0) {
        free(d->by_idx.pos);
        free(d->by_ts.pos);
        free(d->by_wall.pos);
        d->by_idx = d->by_ts = d->by_wall = (KeyIndex){ 0 };
        return ret;
    }
    d->dirty = 0;
    return 0;
}

int detections_prepare(const EvclipDetections *store)
{
    /* The index is a cache of the const store's content: built here, once, under its lock. */
    EvclipDetections *d = (EvclipDetections *)store;
    pthread_mutex_lock(&d->sync->index_lock);
    int ret = d->dirty ? build_indexes(d) : 0;
    pthread_mutex_unlock(&d->sync->index_lock);
    return ret;
}

void detections_use(const EvclipDetections *d, int delta)
{
    if (d)
        atomic_fetch_add(&d->sync->users, delta);
}

int detections_check_unused(const EvclipDetections *d, const char *what)
{
    int users = atomic_load(&d->sync->users);
    if (users > 0)
        return ev_error(EVCLIP_ERR_INVALID, "%s: the detection store is being drawn by %d "
                        "render%s: add detections before rendering, or use another store",
                        what, users, users > 1 ? "s" : "");
    return 0;
}

EVCLIP_API int evclip_detections_prepare(EvclipDetections *dets)
{
    ev_error_clear();
    if (!dets)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_prepare: store is NULL");
    return detections_prepare(dets);
}

static const Stored *indexed(const EvclipDetections *d, const KeyIndex *ix, size_t i)
{
    return &d->items[ix->identity ? i : ix->pos[i]];
}

/* First position in ix whose key (frame, else ts) is >= key. */
static size_t lower_bound(const EvclipDetections *d, const KeyIndex *ix, int by_frame,
                          int64_t frame, double ts)
{
    size_t lo = 0, hi = ix->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const Stored *s = indexed(d, ix, mid);
        if (by_frame ? s->frame_idx < frame : s->ts < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int detections_ts_range(const EvclipDetections *d, double *lo, double *hi)
{
    if (d->dirty || d->by_ts.count == 0)
        return 0;
    *lo = indexed(d, &d->by_ts, 0)->ts;
    *hi = indexed(d, &d->by_ts, d->by_ts.count - 1)->ts;
    return 1;
}

/* Appends the detections of one index with keys in [lo, hi) (frames, else times). */
static int lookup_range(const EvclipDetections *d, const KeyIndex *ix, int by_frame,
                        int64_t frame_lo, int64_t frame_hi, double lo, double hi,
                        DetList *out, int *added)
{
    for (size_t i = lower_bound(d, ix, by_frame, frame_lo, lo); i < ix->count; i++) {
        const Stored *s = indexed(d, ix, i);
        if (by_frame ? s->frame_idx >= frame_hi : !(s->ts < hi))
            break;
        EvclipDetection e;
        detections_get(d, (size_t)(s - d->items), &e);
        if ((s->flags & STORED_TEXT) && !(s->flags & STORED_NO_CHIP))
            e.normalized |= DETECTION_TEXT;
        if (s->flags & STORED_POLY)
            e.normalized |= DETECTION_POLYGON;
        if (s->flags & STORED_EXTRA)
            e.normalized |= DETECTION_EXTRA;
        if (s->flags & STORED_WALL)
            e.normalized |= DETECTION_WALLCLOCK;
        int ret = detlist_push(out, &e);
        if (ret < 0)
            return ret;
        (*added)++;
    }
    return 0;
}

int detections_lookup(const EvclipDetections *d, int64_t index_lo, int64_t index_hi,
                      double t_lo, double t_hi, DetList *out)
{
    if (d->dirty)
        return ev_error(EVCLIP_ERR_INTERNAL, "detections_lookup before detections_prepare");
    int added = 0, ret = 0;
    if (index_lo < index_hi)
        ret = lookup_range(d, &d->by_idx, 1, index_lo, index_hi, 0, 0, out, &added);
    if (ret >= 0 && t_lo < t_hi)
        ret = lookup_range(d, &d->by_ts, 0, 0, 0, t_lo, t_hi, out, &added);
    return ret < 0 ? ret : added;
}

int detections_lookup_wall(const EvclipDetections *d, double lo, double hi, DetList *out)
{
    if (d->dirty)
        return ev_error(EVCLIP_ERR_INTERNAL, "detections_lookup_wall before detections_prepare");
    int added = 0, ret = lo < hi ? lookup_range(d, &d->by_wall, 0, 0, 0, lo, hi, out, &added) : 0;
    return ret < 0 ? ret : added;
}

void detections_frame_span(double prev, double cur, double next, double nominal,
                           double *lo, double *hi)
{
    double before = isfinite(prev) ? cur - prev : NAN;
    double after = isfinite(next) ? next - cur : NAN;
    if (!isfinite(before))
        before = isfinite(after) ? after : nominal;
    if (!isfinite(after))
        after = before;
    *lo = cur - before / 2;
    *hi = cur + after / 2;
}
