/* detections.c: detection store with interned labels, sorted lookup index and box hold. */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"

/* Index entries carry their key so binary searches stay in one array; `pos` keeps insertion
 * order for ties (stable ordering). */
typedef struct IdxKey {
    int64_t key;
    size_t pos;
} IdxKey;

typedef struct TsKey {
    double key;
    size_t pos;
} TsKey;

/* The sorted lookup index. Renders see the store as const and may share it across threads:
 * the index is built once, under `lock`, by the first detections_prepare() after an add;
 * lookups after a prepare of the same thread read it without locking (the lock orders them
 * after the build). Adds need exclusive use of the store (documented in evclip.h). */
typedef struct DetIndex {
    pthread_mutex_t lock;
    IdxKey *by_idx;
    TsKey *by_ts;
    size_t nb_idx, nb_ts;
    int dirty;               /* set by adds, cleared by a build */
    atomic_int users;        /* renders drawing from the store now (detections_use) */
} DetIndex;

struct EvclipDetections {
    EvclipDetection *items;
    size_t count, capacity;
    size_t nb_frame_keyed;   /* items with frame_idx >= 0 */
    int64_t skipped;
    char skip_note[512];

    char **labels;           /* open-addressing hash set; each label allocated once */
    size_t label_slots, label_count;

    DetIndex *ix;            /* lookup index: a cache built by renders of a const store */

    DetectionsFile *files;   /* logs loaded by evclip_detections_load */
    int nb_files;

    char *warnings[DETECTIONS_MAX_WARNINGS]; /* reader warnings (detections_warn) */
    int nb_warnings;
};

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

/* ---- Label interning ---------------------------------------------------------------- */

static size_t hash_label(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

static int grow_labels(EvclipDetections *d)
{
    size_t slots = d->label_slots ? d->label_slots * 2 : 64;
    char **table = calloc(slots, sizeof(*table));
    if (!table)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (labels)");
    for (size_t i = 0; i < d->label_slots; i++) {
        if (!d->labels[i])
            continue;
        size_t j = hash_label(d->labels[i]) & (slots - 1);
        while (table[j])
            j = (j + 1) & (slots - 1);
        table[j] = d->labels[i];
    }
    free(d->labels);
    d->labels = table;
    d->label_slots = slots;
    return 0;
}

/* Returns the pool's copy of label (stable for the life of the store), or NULL (NOMEM set). */
static const char *intern_label(EvclipDetections *d, const char *label)
{
    if (d->label_count * 2 >= d->label_slots && grow_labels(d) < 0)
        return NULL;
    size_t mask = d->label_slots - 1;
    size_t j = hash_label(label) & mask;
    for (; d->labels[j]; j = (j + 1) & mask) {
        if (!strcmp(d->labels[j], label))
            return d->labels[j];
    }
    size_t len = strlen(label);
    char *copy = malloc(len + 1);
    if (!copy) {
        ev_error(EVCLIP_ERR_NOMEM, "out of memory (labels)");
        return NULL;
    }
    memcpy(copy, label, len + 1);
    d->labels[j] = copy;
    d->label_count++;
    return copy;
}

/* ---- Adding ------------------------------------------------------------------------- */

void detections_note_skip(EvclipDetections *d, const char *where, const char *reason)
{
    if (d->skipped++ > 0)
        return;
    if (where)
        snprintf(d->skip_note, sizeof(d->skip_note), "%s: %s", where, reason);
    else
        snprintf(d->skip_note, sizeof(d->skip_note), "%s", reason);
}

const char *detections_skip_note(const EvclipDetections *d)
{
    return d->skipped > 0 ? d->skip_note : "";
}

/* Reason a box cannot be drawn, or NULL when it is a real box. */
static const char *box_problem(const EvclipDetection *det)
{
    if (!isfinite(det->x1) || !isfinite(det->y1) || !isfinite(det->x2) || !isfinite(det->y2))
        return "field 'bbox': NaN or infinite coordinate, box skipped";
    if (det->x2 <= det->x1 || det->y2 <= det->y1)
        return "field 'bbox': empty or reversed corners, box skipped";
    return NULL;
}

static int reserve_items(EvclipDetections *d)
{
    if (d->count < d->capacity)
        return 0;
    size_t cap = d->capacity ? d->capacity * 2 : 256;
    if (cap > SIZE_MAX / sizeof(*d->items))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (detections)");
    EvclipDetection *items = realloc(d->items, cap * sizeof(*items));
    if (!items)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (detections)");
    d->items = items;
    d->capacity = cap;
    return 0;
}

/* Copies det with absent fields normalised to EVCLIP_NONE. */
static EvclipDetection normalise(const EvclipDetection *det)
{
    EvclipDetection n = *det;
    if (n.frame_idx < 0)
        n.frame_idx = EVCLIP_NONE;
    if (!isfinite(n.ts) || n.ts < 0)
        n.ts = EVCLIP_NONE;
    if (!isfinite(n.score))
        n.score = EVCLIP_NONE;
    if (n.track_id < 0)
        n.track_id = EVCLIP_NONE;
    n.has_color = !!n.has_color;
    return n;
}

int detections_add_checked(EvclipDetections *d, const EvclipDetection *det, const char *where)
{
    const char *sep = where ? ": " : "";
    where = where ? where : "";
    if (!det->label)
        return ev_error(EVCLIP_ERR_INVALID, "%s%sfield 'label': missing", where, sep);
    EvclipDetection n = normalise(det);
    if (n.frame_idx < 0 && n.ts < 0)
        return ev_error(EVCLIP_ERR_INVALID,
                        "%s%sfields 'frame_idx' and 'ts': neither is set (need one)", where, sep);
    const char *problem = box_problem(&n);
    if (problem) {
        detections_note_skip(d, where[0] ? where : NULL, problem);
        return 0;
    }
    int ret = reserve_items(d);
    if (ret < 0)
        return ret;
    n.label = intern_label(d, det->label);
    if (!n.label)
        return EVCLIP_ERR_NOMEM;
    d->items[d->count++] = n;
    d->nb_frame_keyed += n.frame_idx >= 0;
    d->ix->dirty = 1;
    return 0;
}

size_t detections_count(const EvclipDetections *d)
{
    return d->count;
}

void detections_truncate(EvclipDetections *d, size_t count, int64_t skipped)
{
    for (size_t i = count; i < d->count; i++)
        d->nb_frame_keyed -= d->items[i].frame_idx >= 0;
    if (count < d->count) {
        d->count = count;
        d->ix->dirty = 1;
    }
    d->skipped = skipped;
    if (skipped <= 0)
        d->skip_note[0] = '\0';
}

int detections_uses_frame_index(const EvclipDetections *d)
{
    return d->nb_frame_keyed > 0;
}

/* ---- Lookup index ------------------------------------------------------------------- */

static int cmp_idx(const void *a, const void *b)
{
    const IdxKey *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_ts(const void *a, const void *b)
{
    const TsKey *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Fills both key arrays in insertion order; reports whether each is already sorted (the
 * usual case for logs written as the detector runs) so the sort can be skipped. */
static void fill_keys(const EvclipDetections *d, DetIndex *ix, int *idx_sorted, int *ts_sorted)
{
    ix->nb_idx = ix->nb_ts = 0;
    *idx_sorted = *ts_sorted = 1;
    for (size_t i = 0; i < d->count; i++) {
        const EvclipDetection *e = &d->items[i];
        if (e->frame_idx >= 0) {
            if (ix->nb_idx && ix->by_idx[ix->nb_idx - 1].key > e->frame_idx)
                *idx_sorted = 0;
            ix->by_idx[ix->nb_idx++] = (IdxKey){ .key = e->frame_idx, .pos = i };
        } else {
            if (ix->nb_ts && ix->by_ts[ix->nb_ts - 1].key > e->ts)
                *ts_sorted = 0;
            ix->by_ts[ix->nb_ts++] = (TsKey){ .key = e->ts, .pos = i };
        }
    }
}

static int build_index(const EvclipDetections *d, DetIndex *ix)
{
    size_t n = d->count ? d->count : 1;
    IdxKey *by_idx = realloc(ix->by_idx, n * sizeof(*by_idx));
    if (by_idx)
        ix->by_idx = by_idx;
    TsKey *by_ts = by_idx ? realloc(ix->by_ts, n * sizeof(*by_ts)) : NULL;
    if (by_ts)
        ix->by_ts = by_ts;
    if (!by_idx || !by_ts)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (detection index)");
    int idx_sorted, ts_sorted;
    fill_keys(d, ix, &idx_sorted, &ts_sorted);
    if (!idx_sorted)
        qsort(ix->by_idx, ix->nb_idx, sizeof(*ix->by_idx), cmp_idx);
    if (!ts_sorted)
        qsort(ix->by_ts, ix->nb_ts, sizeof(*ix->by_ts), cmp_ts);
    ix->dirty = 0;
    return 0;
}

int detections_prepare(const EvclipDetections *d)
{
    DetIndex *ix = d->ix;
    pthread_mutex_lock(&ix->lock);
    int ret = ix->dirty ? build_index(d, ix) : 0;
    pthread_mutex_unlock(&ix->lock);
    return ret;
}

void detections_use(const EvclipDetections *d, int delta)
{
    if (d)
        atomic_fetch_add(&d->ix->users, delta);
}

int detections_check_unused(const EvclipDetections *d, const char *what)
{
    int users = atomic_load(&d->ix->users);
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

static size_t lower_idx(const IdxKey *a, size_t n, int64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t lower_ts(const TsKey *a, size_t n, double key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int detections_ts_range(const EvclipDetections *d, double *lo, double *hi)
{
    const DetIndex *ix = d->ix;
    if (ix->dirty || ix->nb_ts == 0)
        return 0;
    *lo = ix->by_ts[0].key;
    *hi = ix->by_ts[ix->nb_ts - 1].key;
    return 1;
}

int detections_lookup(const EvclipDetections *d, int64_t index_lo, int64_t index_hi,
                      double t_lo, double t_hi, DetList *out)
{
    const DetIndex *ix = d->ix;
    if (ix->dirty)
        return ev_error(EVCLIP_ERR_INTERNAL, "detections_lookup before detections_prepare");
    int added = 0;
    if (index_lo < index_hi) {
        for (size_t i = lower_idx(ix->by_idx, ix->nb_idx, index_lo);
             i < ix->nb_idx && ix->by_idx[i].key < index_hi; i++, added++) {
            int ret = detlist_push(out, &d->items[ix->by_idx[i].pos]);
            if (ret < 0)
                return ret;
        }
    }
    if (t_lo < t_hi) {
        for (size_t i = lower_ts(ix->by_ts, ix->nb_ts, t_lo);
             i < ix->nb_ts && ix->by_ts[i].key < t_hi; i++, added++) {
            int ret = detlist_push(out, &d->items[ix->by_ts[i].pos]);
            if (ret < 0)
                return ret;
        }
    }
    return added;
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

/* ---- Public API --------------------------------------------------------------------- */

EVCLIP_API int evclip_detections_new(EvclipDetections **out)
{
    if (!out)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_new: out is NULL");
    ev_error_clear();
    EvclipDetections *d = calloc(1, sizeof(*d));
    DetIndex *ix = d ? calloc(1, sizeof(*ix)) : NULL;
    if (!ix) {
        free(d);
        *out = NULL;
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (detection store)");
    }
    pthread_mutex_init(&ix->lock, NULL);
    d->ix = ix;
    *out = d;
    return 0;
}

int detections_note_file(EvclipDetections *d, const char *path)
{
    struct stat st;
    int ok = stat(path, &st) == 0;
    DetectionsFile f = {
        .size = ok ? (int64_t)st.st_size : -1,
        .mtime_ns = ok ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : -1,
        .dev = ok ? (int64_t)st.st_dev : -1, .ino = ok ? (int64_t)st.st_ino : -1,
    };
    for (int i = 0; i < d->nb_files; i++)
        if (!strcmp(d->files[i].path, path) && d->files[i].size == f.size &&
            d->files[i].mtime_ns == f.mtime_ns)
            return 0; /* loaded twice, or noted by both the reader and the public call */
    DetectionsFile *files = realloc(d->files, (size_t)(d->nb_files + 1) * sizeof(*files));
    if (files)
        d->files = files;
    if (!files || !(f.path = strdup(path)))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    files[d->nb_files++] = f;
    return 0;
}

EVCLIP_API int evclip_detections_load(EvclipDetections *dets, const char *path)
{
    ev_error_clear();
    if (!dets || !path)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_load: NULL argument");
    int ret = detections_check_unused(dets, "evclip_detections_load");
    if (ret < 0)
        return ret;
    size_t count = dets->count;
    int64_t skipped = dets->skipped;
    ret = reader_load_jsonl(dets, path);
    if (ret >= 0 && (ret = detections_note_file(dets, path)) < 0)
        detections_truncate(dets, count, skipped);
    return ret;
}

const DetectionsFile *detections_files(const EvclipDetections *d, int *count)
{
    *count = d->nb_files;
    return d->files;
}

const EvclipDetection *detections_items(const EvclipDetections *d, size_t *count)
{
    *count = d->count;
    return d->items;
}

EVCLIP_API int evclip_detections_add(EvclipDetections *dets, const EvclipDetection *det)
{
    ev_error_clear();
    if (!dets || !det)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_add: NULL argument");
    int ret = detections_check_unused(dets, "evclip_detections_add");
    return ret < 0 ? ret : detections_add_checked(dets, det, NULL);
}

EVCLIP_API void evclip_detections_get_stats(const EvclipDetections *dets,
                                            EvclipDetectionStats *stats)
{
    if (!stats)
        return;
    memset(stats, 0, sizeof(*stats));
    stats->count = dets ? (int64_t)dets->count : 0;
    stats->skipped = dets ? dets->skipped : 0;
}

EVCLIP_API void evclip_detections_free(EvclipDetections **dets)
{
    if (!dets || !*dets)
        return;
    EvclipDetections *d = *dets;
    for (size_t i = 0; i < d->label_slots; i++)
        free(d->labels[i]);
    free(d->labels);
    free(d->items);
    pthread_mutex_destroy(&d->ix->lock);
    free(d->ix->by_idx);
    free(d->ix->by_ts);
    free(d->ix);
    for (int i = 0; i < d->nb_files; i++)
        free(d->files[i].path);
    free(d->files);
    detections_warnings_truncate(d, 0);
    free(d);
    *dets = NULL;
}

/* ---- Reader warnings ---------------------------------------------------------------- */

void detections_warn(EvclipDetections *d, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    for (int i = 0; i < d->nb_warnings; i++)
        if (!strcmp(d->warnings[i], text))
            return;
    if (d->nb_warnings == DETECTIONS_MAX_WARNINGS)
        return;
    char *copy = strdup(text);
    if (copy) /* out of memory loses a warning, never the load */
        d->warnings[d->nb_warnings++] = copy;
}

const char *const *detections_warnings(const EvclipDetections *d, int *count)
{
    *count = d->nb_warnings;
    return (const char *const *)d->warnings;
}

void detections_warnings_truncate(EvclipDetections *d, int count)
{
    while (d->nb_warnings > count)
        free(d->warnings[--d->nb_warnings]);
}
