/* detections.c: compact detection store (56-byte records, interned labels, chip texts and
 * polygons): adding, reading back and the public store API (what a load noted:
 * detections_notes.c). */
#include <float.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <jansson.h>

#include "src/detections.h"
#include "src/detections_store.h"
#include "src/error.h"
#include "src/reader.h"

/* ---- Label interning ---------------------------------------------------------------- */

static size_t hash_label(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (size_t)h;
}

static int grow_slots(EvclipDetections *d)
{
    size_t slots = d->nb_slots ? d->nb_slots * 2 : 64;
    uint32_t *table = calloc(slots, sizeof(*table));
    if (!table)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (labels)");
    for (uint32_t id = 0; id < d->nb_labels; id++) {
        size_t j = hash_label(d->labels[id], strlen(d->labels[id])) & (slots - 1);
        while (table[j])
            j = (j + 1) & (slots - 1);
        table[j] = id + 1;
    }
    free(d->label_slots);
    d->label_slots = table;
    d->nb_slots = slots;
    return 0;
}

static int add_label(EvclipDetections *d, const char *label, size_t len, size_t slot)
{
    if (d->nb_labels == d->labels_cap) {
        uint32_t cap = d->labels_cap ? d->labels_cap * 2 : 16;
        char **labels = cap > d->labels_cap ? realloc(d->labels, cap * sizeof(*labels)) : NULL;
        if (!labels)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory (labels)");
        d->labels = labels;
        d->labels_cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (labels)");
    memcpy(copy, label, len);
    copy[len] = '\0';
    d->labels[d->nb_labels] = copy;
    d->label_slots[slot] = ++d->nb_labels;
    return 0;
}

static int intern_slow(EvclipDetections *d, const char *label, size_t len, uint32_t *id);

/* The first and the last `size` bytes (4 or 8) of the len bytes at a and b are the same:
 * all of them when size <= len <= 2 * size. Inlined with a constant size: two loads a side. */
static inline int same_ends(const char *a, const char *b, size_t len, size_t size)
{
    uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    memcpy(&a0, a, size);
    memcpy(&b0, b, size);
    memcpy(&a1, a + len - size, size);
    memcpy(&b1, b + len - size, size);
    return a0 == b0 && a1 == b1;
}

/* The len bytes at a and b are the same: fixed-size loads for labels of up to 16 bytes, no
 * call; memcmp() beyond. Reads nothing outside the len bytes. */
static inline int same_bytes(const char *a, const char *b, size_t len)
{
    if (len >= 8 && len <= 16)
        return same_ends(a, b, len, 8);
    if (len >= 4 && len < 8)
        return same_ends(a, b, len, 4);
    if (len < 4) {
        for (size_t i = 0; i < len; i++)
            if (a[i] != b[i])
                return 0;
        return 1;
    }
    return !memcmp(a, b, len);
}

/* Id of the len bytes at label in the pool (added when new). Returns 0 or NOMEM. */
static int intern_label(EvclipDetections *d, const char *label, size_t len, uint32_t *id)
{
    RecentLabel *recent = &d->recent[(len * 31 + (len ? (unsigned char)label[0] : 0)) & 7];
    if (recent->id && recent->len == len && same_bytes(d->labels[recent->id - 1], label, len)) {
        *id = recent->id - 1;
        return 0;
    }
    int ret = intern_slow(d, label, len, id);
    if (ret >= 0)
        *recent = (RecentLabel){ .id = *id + 1, .len = len };
    return ret;
}

/* intern_label() through the hash set. */
static int intern_slow(EvclipDetections *d, const char *label, size_t len, uint32_t *id)
{
    if ((size_t)d->nb_labels * 2 >= d->nb_slots && grow_slots(d) < 0)
        return EVCLIP_ERR_NOMEM;
    size_t mask = d->nb_slots - 1;
    size_t j = hash_label(label, len) & mask;
    for (; d->label_slots[j]; j = (j + 1) & mask) {
        const char *s = d->labels[d->label_slots[j] - 1];
        if (!strncmp(s, label, len) && !s[len]) {
            *id = d->label_slots[j] - 1;
            return 0;
        }
    }
    if (d->nb_labels == UINT32_MAX - 1)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (too many labels)");
    *id = d->nb_labels;
    return add_label(d, label, len, j);
}

/* ---- Adding ------------------------------------------------------------------------- */

/* A coordinate at the store's precision; beyond float's range it becomes infinite (and the
 * box is skipped). */
static double to_float(double v)
{
    if (isnan(v))
        return v;
    if (fabs(v) > FLT_MAX)
        return v > 0 ? INFINITY : -INFINITY;
    return (double)(float)v;
}

/* Reason a box cannot be drawn (checked on float corners, as stored), or NULL. */
static const char *box_problem(const EvclipDetection *det)
{
    if (!isfinite(det->x1) || !isfinite(det->y1) || !isfinite(det->x2) || !isfinite(det->y2))
        return "field 'bbox': NaN or infinite coordinate, box skipped";
    if (!isfinite(to_float(det->x1)) || !isfinite(to_float(det->y1)) ||
        !isfinite(to_float(det->x2)) || !isfinite(to_float(det->y2)))
        return "field 'bbox': coordinate beyond +-3.4e38, box skipped";
    if (to_float(det->x2) <= to_float(det->x1) || to_float(det->y2) <= to_float(det->y1))
        return "field 'bbox': empty or reversed corners, box skipped";
    return NULL;
}

/* Record arrays from 4 MB on live in their own mapping, so that growing one moves its pages
 * (mremap) instead of copying them. Not advised to use huge pages: in a virtual machine that
 * hands freed memory back to its host, a fresh 2 MB page costs several times the 4 KB pages it
 * holds (a million detections: ~0.15 s against ~0.03 s of page faults; bench/README.md).
 * Returns the array, or NULL. */
#define MAP_FROM ((size_t)4 << 20)

static Stored *resize_items(EvclipDetections *d, size_t cap)
{
    size_t old = d->capacity * sizeof(Stored), bytes = cap * sizeof(Stored);
    void *p;
    if (bytes < MAP_FROM && !d->items_mapped)
        return realloc(d->items, bytes);
    if (d->items_mapped)
        p = mremap(d->items, old, bytes, MREMAP_MAYMOVE);
    else
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (!d->items_mapped && d->count)
        memcpy(p, d->items, d->count * sizeof(Stored));
    if (!d->items_mapped)
        free(d->items);
    d->items_mapped = 1;
    return p;
}

static void free_items(EvclipDetections *d)
{
    if (d->items_mapped)
        munmap(d->items, d->capacity * sizeof(Stored));
    else
        free(d->items);
    d->items = NULL;
    d->capacity = 0;
    d->items_mapped = 0;
}

static int reserve_items(EvclipDetections *d)
{
    if (d->count < d->capacity)
        return 0;
    if (d->count >= MAX_STORED)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (more than %zu detections)",
                        MAX_STORED);
    size_t cap = d->capacity ? d->capacity * 2 : 256;
    cap = cap > MAX_STORED ? MAX_STORED : cap;
    Stored *items = resize_items(d, cap);
    if (!items)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (detections)");
    d->items = items;
    d->capacity = cap;
    return 0;
}

/* Sets the absent fields of *n to EVCLIP_NONE. */
static void normalise_fields(EvclipDetection *n)
{
    if (n->frame_idx < 0)
        n->frame_idx = EVCLIP_NONE;
    if (!isfinite(n->ts) || n->ts < 0)
        n->ts = EVCLIP_NONE;
    if (!isfinite(n->score))
        n->score = EVCLIP_NONE;
    if (n->track_id < 0)
        n->track_id = EVCLIP_NONE;
    n->has_color = !!n->has_color;
}

/* Copies det with absent fields normalised to EVCLIP_NONE. */
static EvclipDetection normalise(const EvclipDetection *det)
{
    EvclipDetection n = *det;
    normalise_fields(&n);
    return n;
}

/* Offset of the text after the "label\0text\0" of an entry (its extra JSON text, if any). */
static size_t extra_offset(const char *entry)
{
    size_t off = strlen(entry) + 1;
    return off + strlen(entry + off) + 1;
}

/* Offset of the polygon after the "label\0text\0[extra\0]" of an entry (4-aligned). */
static size_t polygon_offset(const char *entry, int has_extra)
{
    size_t off = extra_offset(entry);
    if (has_extra)
        off += strlen(entry + off) + 1;
    return (off + 3) & ~(size_t)3;
}

const char *detection_extra(const EvclipDetection *d)
{
    if (!(d->normalized & DETECTION_EXTRA) || !d->label)
        return NULL;
    return d->label + extra_offset(d->label);
}

int detection_polygon(const EvclipDetection *d, const float **uv)
{
    if (!(d->normalized & DETECTION_POLYGON) || !d->label)
        return 0;
    size_t off = polygon_offset(d->label, (d->normalized & DETECTION_EXTRA) != 0);
    uint32_t n;
    memcpy(&n, d->label + off, sizeof(n));
    *uv = (const float *)(const void *)(d->label + off + sizeof(n));
    return (int)n;
}

/* Id of a new "label\0text\0[extra\0][polygon]" entry (not interned: each detection's is its
 * own); the polygon (n points, uv pairs relative to the box) when n > 0, the extra JSON text
 * when not NULL. */
static int add_text(EvclipDetections *d, const char *label, size_t len, const char *text,
                    const float *uv, int n, const char *extra, uint32_t *id)
{
    size_t text_len = strlen(text), extra_len = extra ? strlen(extra) + 1 : 0;
    if (d->nb_texts == d->texts_cap) {
        size_t cap = d->texts_cap ? d->texts_cap * 2 : 16;
        char **texts = cap < UINT32_MAX ? realloc(d->texts, cap * sizeof(*texts)) : NULL;
        if (!texts)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory (chip texts)");
        d->texts = texts;
        d->texts_cap = cap;
    }
    size_t poly = ((len + text_len + 2 + extra_len + 3) & ~(size_t)3) + sizeof(uint32_t);
    char *entry = malloc(n > 0 ? poly + (size_t)n * 2 * sizeof(float)
                               : len + text_len + 2 + extra_len);
    if (!entry)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (chip texts)");
    memcpy(entry, label, len);
    entry[len] = '\0';
    memcpy(entry + len + 1, text, text_len + 1);
    if (extra) {
        memcpy(entry + len + text_len + 2, extra, extra_len);
        d->extra_bytes += extra_len;
    }
    if (n > 0) {
        uint32_t count = (uint32_t)n;
        memcpy(entry + poly - sizeof(count), &count, sizeof(count));
        memcpy(entry + poly, uv, (size_t)n * 2 * sizeof(float));
        d->poly_bytes += sizeof(count) + (size_t)n * 2 * sizeof(float);
    }
    *id = (uint32_t)d->nb_texts;
    d->texts[d->nb_texts++] = entry;
    return 0;
}

/* Stores n (normalised, box checked) with the len bytes at n->label, its chip text (NULL
 * = the default), its polygon (np points, uv relative to the box; np 0 = none) and its extra
 * JSON text (NULL = none). */
static int store_item(EvclipDetections *d, const EvclipDetection *n, size_t label_len,
                      const char *text, const float *uv, int np, const char *extra)
{
    uint32_t label = 0;
    int entry = text || np > 0 || extra;
    int ret = reserve_items(d);
    if (ret >= 0)
        ret = entry ? add_text(d, n->label, label_len, text ? text : "", uv, np, extra, &label)
                    : intern_label(d, n->label, label_len, &label);
    if (ret < 0)
        return ret;
    Stored *s = &d->items[d->count++];
    *s = (Stored){
        .ts = n->ts, .frame_idx = n->frame_idx, .track_id = n->track_id,
        .x1 = (float)n->x1, .y1 = (float)n->y1, .x2 = (float)n->x2, .y2 = (float)n->y2,
        .score = n->score, .label = label,
        .flags = (uint8_t)((n->has_color ? STORED_HAS_COLOR : 0) |
                           (n->normalized & 1 ? STORED_NORMALIZED : 0) |
                           (n->normalized & DETECTION_WALLCLOCK ? STORED_WALL : 0) |
                           (entry ? STORED_TEXT : 0) | (np > 0 ? STORED_POLY : 0) |
                           (entry && !text ? STORED_NO_CHIP : 0) | (extra ? STORED_EXTRA : 0)),
    };
    if (n->has_color)
        memcpy(s->color, n->color, 3);
    d->nb_frame_keyed += n->frame_idx >= 0;
    d->nb_wall_keyed += (n->normalized & DETECTION_WALLCLOCK) != 0;
    d->dirty = 1;
    return 0;
}

/* detections_add_text() with an extra JSON text (NULL = none). */
static int add_box(EvclipDetections *d, const EvclipDetection *det, const char *where,
                   const char *text, const char *extra)
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
    return store_item(d, &n, strlen(det->label), text, NULL, 0, extra);
}

int detections_add_text(EvclipDetections *d, const EvclipDetection *det, const char *where,
                        const char *text)
{
    return add_box(d, det, where, text, NULL);
}

const char *detections_polygon_problem(const double *xy, int n)
{
    if (n < 3)
        return "expected [[x, y], ...] with at least 3 points";
    if (n > DETECTIONS_MAX_POLYGON)
        return "more than 65535 points";
    for (int i = 0; i < 2 * n; i++) {
        if (!isfinite(xy[i]) || !isfinite(to_float(xy[i])))
            return "NaN, infinite or out of range coordinate";
    }
    return NULL;
}

int detections_polygon_box(EvclipDetection *det, const double *xy, int np)
{
    det->x1 = det->x2 = xy[0];
    det->y1 = det->y2 = xy[1];
    for (int i = 1; i < np; i++) {
        det->x1 = fmin(det->x1, xy[2 * i]);
        det->x2 = fmax(det->x2, xy[2 * i]);
        det->y1 = fmin(det->y1, xy[2 * i + 1]);
        det->y2 = fmax(det->y2, xy[2 * i + 1]);
    }
    return !box_problem(det);
}

/* Stores n (normalised, its box the bounds of xy) with its polygon, relative to the box. */
static int store_polygon(EvclipDetections *d, const EvclipDetection *n, size_t label_len,
                         const char *text, const double *xy, int np, const char *extra)
{
    float *uv = malloc((size_t)np * 2 * sizeof(*uv));
    if (!uv)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (polygon)");
    double w = n->x2 - n->x1, h = n->y2 - n->y1;
    for (int i = 0; i < np; i++) {
        uv[2 * i] = (float)((xy[2 * i] - n->x1) / w);
        uv[2 * i + 1] = (float)((xy[2 * i + 1] - n->y1) / h);
    }
    int ret = store_item(d, n, label_len, text, uv, np, extra);
    free(uv);
    return ret;
}

/* detections_add_polygon() with an extra JSON text (NULL = none). */
static int add_polygon(EvclipDetections *d, const EvclipDetection *det, const char *where,
                       const char *text, const double *xy, int np, const char *extra)
{
    const char *sep = where ? ": " : "";
    const char *problem = detections_polygon_problem(xy, np);
    where = where ? where : "";
    if (problem)
        return ev_error(EVCLIP_ERR_INVALID, "%s%sfield 'polygon': %s", where, sep, problem);
    if (!det->label)
        return ev_error(EVCLIP_ERR_INVALID, "%s%sfield 'label': missing", where, sep);
    EvclipDetection n = normalise(det);
    if (n.frame_idx < 0 && n.ts < 0)
        return ev_error(EVCLIP_ERR_INVALID,
                        "%s%sfields 'frame_idx' and 'ts': neither is set (need one)", where, sep);
    if (!detections_polygon_box(&n, xy, np)) {
        detections_note_skip(d, where[0] ? where : NULL,
                             "field 'polygon': no area (its bounding box is empty), skipped");
        return 0;
    }
    return store_polygon(d, &n, strlen(n.label), text, xy, np, extra);
}

int detections_add_polygon(EvclipDetections *d, const EvclipDetection *det, const char *where,
                           const char *text, const double *xy, int np)
{
    return add_polygon(d, det, where, text, xy, np, NULL);
}

int detections_add_extra(EvclipDetections *d, const EvclipDetection *det, const char *where,
                         const double *xy, int np, const char *extra)
{
    return np > 0 ? add_polygon(d, det, where, NULL, xy, np, extra)
                  : add_box(d, det, where, NULL, extra);
}

int detections_add_parsed_polygon(EvclipDetections *d, const EvclipDetection *det,
                                  size_t label_len, const double *xy, int np, const char *extra)
{
    EvclipDetection n = normalise(det);
    return store_polygon(d, &n, label_len, NULL, xy, np, extra);
}

int detections_add_checked(EvclipDetections *d, const EvclipDetection *det, const char *where)
{
    return detections_add_text(d, det, where, NULL);
}

/* !box_problem(det), the usual box first: corners within float's range (not NaN) compare
 * as floats; any other box is box_problem()'s. */
static int box_fine(const EvclipDetection *det)
{
    if (fabs(det->x1) <= FLT_MAX && fabs(det->y1) <= FLT_MAX && fabs(det->x2) <= FLT_MAX &&
        fabs(det->y2) <= FLT_MAX)
        return (float)det->x2 > (float)det->x1 && (float)det->y2 > (float)det->y1;
    return !box_problem(det);
}

/* detections_storable() of *n, its absent fields normalised in place first. */
static int normalise_storable(EvclipDetection *n)
{
    if (!n->label)
        return 0;
    normalise_fields(n);
    return (n->frame_idx >= 0 || n->ts >= 0) && box_fine(n);
}

int detections_storable(const EvclipDetection *det)
{
    EvclipDetection n = *det;
    return normalise_storable(&n);
}

int detections_add_parsed(EvclipDetections *d, const EvclipDetection *det, size_t label_len,
                          const char *extra)
{
    EvclipDetection n = normalise(det);
    return store_item(d, &n, label_len, NULL, NULL, 0, extra);
}

int detections_add_if_storable(EvclipDetections *d, EvclipDetection *det, size_t label_len)
{
    if (!normalise_storable(det)) /* in place: no copy of the record per detection */
        return 0;
    int ret = store_item(d, det, label_len, NULL, NULL, 0, NULL);
    return ret < 0 ? ret : 1;
}

size_t detections_count(const EvclipDetections *d)
{
    return d->count;
}

void detections_truncate(EvclipDetections *d, size_t count, int64_t skipped)
{
    size_t texts = d->nb_texts; /* texts are added with their items: drop the dropped ones' */
    for (size_t i = count; i < d->count; i++) {
        const float *uv;
        d->nb_frame_keyed -= d->items[i].frame_idx >= 0;
        d->nb_wall_keyed -= (d->items[i].flags & STORED_WALL) != 0;
        if ((d->items[i].flags & STORED_TEXT) && d->items[i].label < texts)
            texts = d->items[i].label;
        int np = detections_polygon_at(d, i, &uv);
        if (np > 0)
            d->poly_bytes -= sizeof(uint32_t) + (size_t)np * 2 * sizeof(float);
        const char *extra = detections_extra_at(d, i);
        if (extra)
            d->extra_bytes -= strlen(extra) + 1;
    }
    while (d->nb_texts > texts)
        free(d->texts[--d->nb_texts]);
    if (count < d->count) {
        d->count = count;
        d->dirty = 1;
    }
    d->skipped = skipped;
    if (skipped <= 0)
        d->skip_note[0] = '\0';
}

void detections_drop(EvclipDetections *d, size_t count)
{
    detections_truncate(d, count, d->skipped);
}

void detections_shrink(EvclipDetections *d)
{
    if (d->capacity <= d->count + d->count / 16)
        return;
    size_t cap = d->count ? d->count : 1;
    Stored *items = resize_items(d, cap);
    if (items) { /* keeping the larger block is fine */
        d->items = items;
        d->capacity = cap;
    }
}

int detections_uses_frame_index(const EvclipDetections *d)
{
    return d->nb_frame_keyed > 0;
}

void detections_get(const EvclipDetections *d, size_t i, EvclipDetection *out)
{
    const Stored *s = &d->items[i];
    *out = (EvclipDetection){
        .frame_idx = s->frame_idx, .ts = s->ts, .x1 = s->x1, .y1 = s->y1, .x2 = s->x2,
        .y2 = s->y2, .score = s->score,
        .label = s->flags & STORED_TEXT ? d->texts[s->label] : d->labels[s->label],
        .track_id = s->track_id, .has_color = (s->flags & STORED_HAS_COLOR) != 0,
        .normalized = ((s->flags & STORED_NORMALIZED) != 0) |
                      (s->flags & STORED_WALL ? DETECTION_WALLCLOCK : 0),
    };
    memcpy(out->color, s->color, 3);
}

int detections_polygon_at(const EvclipDetections *d, size_t i, const float **uv)
{
    const Stored *s = &d->items[i];
    if (!(s->flags & STORED_POLY))
        return 0;
    EvclipDetection e = { .label = d->texts[s->label],
                          .normalized = DETECTION_POLYGON |
                                        (s->flags & STORED_EXTRA ? DETECTION_EXTRA : 0) };
    return detection_polygon(&e, uv);
}

const char *detections_extra_at(const EvclipDetections *d, size_t i)
{
    const Stored *s = &d->items[i];
    if (!(s->flags & STORED_EXTRA))
        return NULL;
    EvclipDetection e = { .label = d->texts[s->label], .normalized = DETECTION_EXTRA };
    return detection_extra(&e);
}

size_t detections_memory(const EvclipDetections *d)
{
    size_t bytes = d->capacity * sizeof(*d->items) + d->nb_slots * sizeof(*d->label_slots) +
                   d->labels_cap * sizeof(*d->labels);
    for (uint32_t i = 0; i < d->nb_labels; i++)
        bytes += strlen(d->labels[i]) + 1;
    bytes += d->texts_cap * sizeof(*d->texts);
    for (size_t i = 0; i < d->nb_texts; i++) /* "label\0text\0" (polygons: poly_bytes, extras:
                                              * extra_bytes) */
        bytes += polygon_offset(d->texts[i], 0);
    bytes += d->poly_bytes + d->extra_bytes;
    return bytes + (d->by_idx.pos ? d->by_idx.count * sizeof(uint32_t) : 0) +
           (d->by_ts.pos ? d->by_ts.count * sizeof(uint32_t) : 0) +
           (d->by_wall.pos ? d->by_wall.count * sizeof(uint32_t) : 0);
}

/* ---- Public API --------------------------------------------------------------------- */

EVCLIP_API int evclip_detections_new(EvclipDetections **out)
{
    if (!out)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_new: out is NULL");
    ev_error_clear();
    EvclipDetections *d = calloc(1, sizeof(*d));
    StoreSync *sync = d ? calloc(1, sizeof(*sync)) : NULL;
    if (!sync || pthread_mutex_init(&sync->index_lock, NULL) != 0) {
        free(sync);
        free(d);
        *out = NULL;
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (detection store)");
    }
    atomic_init(&sync->users, 0);
    d->sync = sync;
    *out = d;
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

EVCLIP_API int evclip_detections_add(EvclipDetections *dets, const EvclipDetection *det)
{
    ev_error_clear();
    if (!dets || !det)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_add: NULL argument");
    int ret = detections_check_unused(dets, "evclip_detections_add");
    return ret < 0 ? ret : detections_add_checked(dets, det, NULL);
}

EVCLIP_API int evclip_detections_add_text(EvclipDetections *dets, const EvclipDetection *det,
                                          const char *text)
{
    ev_error_clear();
    if (!dets || !det)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_add_text: NULL argument");
    int ret = detections_check_unused(dets, "evclip_detections_add_text");
    return ret < 0 ? ret : detections_add_text(dets, det, NULL, text);
}

EVCLIP_API int evclip_detections_add_polygon(EvclipDetections *dets,
                                             const EvclipDetection *det, const char *text,
                                             const double *xy, int n)
{
    ev_error_clear();
    if (!dets || !det || !xy)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_add_polygon: NULL argument");
    int ret = detections_check_unused(dets, "evclip_detections_add_polygon");
    return ret < 0 ? ret : detections_add_polygon(dets, det, NULL, text, xy, n);
}

/* extra (a JSON object's text, or NULL) in the compact form the readers keep (*out NULL for
 * none or an empty object). */
static int compact_extra(const char *extra, char **out)
{
    json_error_t err;
    *out = NULL;
    if (!extra)
        return 0;
    json_t *j = json_loads(extra, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!json_is_object(j)) {
        json_decref(j);
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_add_extra: extra: %s",
                        j ? "expected a JSON object" : err.text);
    }
    if (json_object_size(j) > 0 && !(*out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        json_decref(j);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (extra)");
    }
    json_decref(j);
    return 0;
}

EVCLIP_API int evclip_detections_add_extra(EvclipDetections *dets, const EvclipDetection *det,
                                           const char *text, const double *xy, int n,
                                           const char *extra)
{
    ev_error_clear();
    if (!dets || !det || (n != 0 && !xy))
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_add_extra: NULL argument");
    char *compact;
    int ret = detections_check_unused(dets, "evclip_detections_add_extra");
    if (ret < 0 || (ret = compact_extra(extra, &compact)) < 0)
        return ret;
    ret = n != 0 ? add_polygon(dets, det, NULL, text, xy, n, compact)
                 : add_box(dets, det, NULL, text, compact);
    free(compact);
    return ret;
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

EVCLIP_API int evclip_detections_get(const EvclipDetections *dets, int64_t index,
                                     EvclipDetection *out)
{
    ev_error_clear();
    if (!dets || !out)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_get: NULL argument");
    if (index < 0 || (uint64_t)index >= dets->count)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_get: index %" PRId64 " is "
                        "outside 0..%zu", index, dets->count ? dets->count - 1 : 0);
    detections_get(dets, (size_t)index, out);
    out->normalized &= 1; /* a wallclock key reads back as ts (epoch seconds) */
    return 0;
}

EVCLIP_API void evclip_detections_free(EvclipDetections **dets)
{
    if (!dets || !*dets)
        return;
    EvclipDetections *d = *dets;
    for (uint32_t i = 0; i < d->nb_labels; i++)
        free(d->labels[i]);
    free(d->labels);
    for (size_t i = 0; i < d->nb_texts; i++)
        free(d->texts[i]);
    free(d->texts);
    free(d->label_slots);
    free_items(d);
    free(d->by_idx.pos);
    free(d->by_ts.pos);
    free(d->by_wall.pos);
    pthread_mutex_destroy(&d->sync->index_lock);
    free(d->sync);
    for (int i = 0; i < d->nb_files; i++)
        free(d->files[i].path);
    free(d->files);
    detections_warnings_truncate(d, 0);
    free(d);
    *dets = NULL;
}
