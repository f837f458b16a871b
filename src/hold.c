/* hold.c: per-frame box lists (DetList) and the hold rule (a box stays up to `hold` seconds
 * after its last detection unless a newer one supersedes it). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/error.h"

/* ---- DetList ------------------------------------------------------------------------ */

/* Grows *items (elements of `size` bytes) to hold at least `need`, doubling from `initial`.
 * Returns 0 or EVCLIP_ERR_NOMEM naming `what`. */
static int grow(void **items, int *capacity, int need, size_t size, int initial,
                const char *what)
{
    if (need <= *capacity)
        return 0;
    int cap = *capacity > initial ? *capacity : initial;
    while (cap < need) {
        if (cap > INT_MAX / 2)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory (%s)", what);
        cap *= 2;
    }
    void *p = realloc(*items, (size_t)cap * size);
    if (!p)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (%s)", what);
    *items = p;
    *capacity = cap;
    return 0;
}

static int detlist_reserve(DetList *list, int need)
{
    return grow((void **)&list->items, &list->capacity, need, sizeof(*list->items), 16,
                "detection list");
}

int detlist_push(DetList *list, const EvclipDetection *d)
{
    if (list->count == INT_MAX)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (detection list)");
    int ret = detlist_reserve(list, list->count + 1);
    if (ret < 0)
        return ret;
    list->items[list->count++] = *d;
    return 0;
}

void detlist_clear(DetList *list)
{
    list->count = 0;
}

void detlist_free(DetList *list)
{
    free(list->items);
    list->items = NULL;
    list->count = list->capacity = 0;
}

/* ---- Hold --------------------------------------------------------------------------- */

void hold_init(HoldState *h, double hold_seconds)
{
    memset(h, 0, sizeof(*h));
    h->hold = hold_seconds > 0 ? hold_seconds : 0; /* NaN and negatives: no hold */
}

void hold_free(HoldState *h)
{
    detlist_free(&h->active);
    free(h->seen);
    h->seen = NULL;
    h->seen_capacity = 0;
}

static int copy_list(DetList *dst, const DetList *src)
{
    detlist_clear(dst);
    int ret = detlist_reserve(dst, src->count);
    if (ret < 0)
        return ret;
    if (src->count)
        memcpy(dst->items, src->items, (size_t)src->count * sizeof(*src->items));
    dst->count = src->count;
    return 0;
}

/* 1 when held box `a` is superseded by the newer detections in `matched`. */
static int superseded(const EvclipDetection *a, const DetList *matched)
{
    if (matched->count == 0)
        return 0;
    if (a->track_id < 0)
        return 1;
    for (int i = 0; i < matched->count; i++) {
        if (matched->items[i].track_id == a->track_id)
            return 1;
    }
    return 0;
}

/* Drops expired and superseded boxes from the active set, keeping order. */
static void hold_prune(HoldState *h, double time, const DetList *matched)
{
    int kept = 0;
    for (int i = 0; i < h->active.count; i++) {
        /* Tolerance: frame times come from rational timebases via doubles. */
        if (time - h->seen[i] > h->hold + 1e-9)
            continue;
        if (superseded(&h->active.items[i], matched))
            continue;
        h->active.items[kept] = h->active.items[i];
        h->seen[kept++] = h->seen[i];
    }
    h->active.count = kept;
}

static int reserve_seen(HoldState *h, int need)
{
    return grow((void **)&h->seen, &h->seen_capacity, need, sizeof(*h->seen), 8, "hold");
}

int hold_update(HoldState *h, double time, const DetList *matched, DetList *visible)
{
    if (h->hold <= 0) {
        detlist_clear(&h->active);
        return copy_list(visible, matched);
    }
    hold_prune(h, time, matched);
    for (int i = 0; i < matched->count; i++) {
        /* seen[] first, so active never holds a box without its time. */
        int ret = h->active.count == INT_MAX ? EVCLIP_ERR_NOMEM
                                              : reserve_seen(h, h->active.count + 1);
        if (ret >= 0)
            ret = detlist_push(&h->active, &matched->items[i]);
        if (ret < 0)
            return ret;
        h->seen[h->active.count - 1] = time;
    }
    return copy_list(visible, &h->active);
}
