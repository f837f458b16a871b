/* detections.h: detection store, validation, per-frame lookup and the "hold" of sparse boxes. */
#ifndef EVCLIP_SRC_DETECTIONS_H
#define EVCLIP_SRC_DETECTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "evclip/evclip.h"

/* A growable list of detections (labels point into the owning store's label pool). The store
 * keeps corners as floats: a detection read back holds float-rounded corners. */
typedef struct DetList {
    EvclipDetection *items;
    int count, capacity;
} DetList;

/* Set in EvclipDetection.normalized (beside its 0/1 value) by detections_lookup(), never by
 * detections_get() nor any public read: the label points into the store's "label\0chip text"
 * entry (evclip_detections_add_text), so the overlay draws that text as the chip while the
 * label, score and track id stay the detection's. */
#define DETECTION_TEXT 0x100
/* Set in EvclipDetection.normalized by detections_lookup() when the detection has a polygon
 * (detection_polygon()); the box is the polygon's bounding box. */
#define DETECTION_POLYGON 0x200
/* Set in EvclipDetection.normalized by detections_lookup() when the detection has an extra
 * object (detection_extra()), as a native log's "extra" holds it. */
#define DETECTION_EXTRA 0x400
/* Set in EvclipDetection.normalized by a log reader (and by detections_lookup_wall()) when the
 * detection is keyed by its line's "wallclock" (epoch seconds, held in ts) instead of ts or
 * frame_idx: matched once its source's wall-clock origin is known. */
#define DETECTION_WALLCLOCK 0x800
/* Most points of a polygon (its count is a u16 in SEI). */
#define DETECTIONS_MAX_POLYGON 65535

/* Points of d's polygon (0 without DETECTION_POLYGON); *uv gets 2n floats, each point
 * relative to d's box: x = x1 + u * (x2 - x1), y = y1 + v * (y2 - y1). */
int detection_polygon(const EvclipDetection *d, const float **uv);
/* d's extra object as compact JSON text ("{\"plate\":\"AB-123\"}"), NULL without
 * DETECTION_EXTRA. Kept only for detections whose log gives a non-empty "extra" object. */
const char *detection_extra(const EvclipDetection *d);
/* NULL when n points xy (x, y pairs) make a polygon, else why not. */
const char *detections_polygon_problem(const double *xy, int n);
/* detections_add_text() of a detection whose box is the bounding box of the polygon xy
 * (np points, in det's space); a bad polygon is INVALID ("where: field 'polygon': why"). */
int detections_add_polygon(EvclipDetections *d, const EvclipDetection *det, const char *where,
                           const char *text, const double *xy, int np);
/* detections_add_checked() (np 0) or detections_add_polygon() (np > 0, no chip text) of det
 * with its extra object as compact JSON text (NULL = none): see DETECTION_EXTRA. */
int detections_add_extra(EvclipDetections *d, const EvclipDetection *det, const char *where,
                         const double *xy, int np, const char *extra);
/* Sets det's box to the bounds of the np points xy; 1 when that box is storable (has area). */
int detections_polygon_box(EvclipDetection *det, const double *xy, int np);
/* detections_add_parsed() of det outlined by the polygon xy (checked: no problem, a box with
 * area), its box the polygon's bounds. */
int detections_add_parsed_polygon(EvclipDetections *d, const EvclipDetection *det,
                                  size_t label_len, const double *xy, int np, const char *extra);

/* Appends a copy of *d. Returns 0 or EVCLIP_ERR_NOMEM. */
int detlist_push(DetList *list, const EvclipDetection *d);
void detlist_clear(DetList *list); /* count = 0, keeps memory */
void detlist_free(DetList *list);

/*
 * Adds one detection to the store. `where` ("file:line" or NULL) prefixes messages.
 * - label NULL, or frame_idx < 0 and ts < 0 (both absent): EVCLIP_ERR_INVALID (detail set).
 * - nonsense box (NaN/inf coordinate, x2 <= x1 or y2 <= y1): not stored, counted in
 *   stats.skipped, the first such reason kept for detections_skip_note(); returns 0.
 * - NaN score is stored as EVCLIP_NONE.
 * Labels are interned (one copy per distinct label). Invalidates the lookup index.
 */
int detections_add_checked(EvclipDetections *d, const EvclipDetection *det, const char *where);
/* detections_add_checked() with a chip text (NULL = the default chip): see DETECTION_TEXT. */
int detections_add_text(EvclipDetections *d, const EvclipDetection *det, const char *where,
                        const char *text);

/* 1 when detections_add_checked() would store det as it is (label set, a key set, a real box
 * at the store's precision), else 0. */
int detections_storable(const EvclipDetection *det);

/* Stores det (checked by detections_storable()) with its extra JSON text (NULL = none: see
 * DETECTION_EXTRA); det->label points to label_len bytes (no NUL needed). Returns 0 or
 * EVCLIP_ERR_NOMEM. */
int detections_add_parsed(EvclipDetections *d, const EvclipDetection *det, size_t label_len,
                          const char *extra);
/* detections_add_parsed() (no extra) of det when detections_storable(det), *det normalised
 * in place (its absent fields set to EVCLIP_NONE). Returns 1 when stored, 0 when not
 * storable (nothing added), or EVCLIP_ERR_NOMEM. */
int detections_add_if_storable(EvclipDetections *d, EvclipDetection *det, size_t label_len);

/* Counts skipped detections without storing them (e.g. a line whose bbox holds NaN),
 * keeping the first reason. */
void detections_note_skip(EvclipDetections *d, const char *where, const char *reason);

/* "file:line: reason" of the first skipped detection, or "" when none. */
const char *detections_skip_note(const EvclipDetections *d);

/* Log readers: a line at `where` keyed by wallclock (wall_minus_ts NAN: the first such line
 * is kept for errors), or one that gave both ts and wallclock (its wallclock - ts: the first
 * such line gives the source's wall-clock origin, EVCLIP_EPOCH_LOG). */
void detections_note_wall(EvclipDetections *d, const char *where, double wall_minus_ts);
/* 1 with *wall_minus_ts when a line gave both ts and wallclock, else 0. */
int detections_wall_origin(const EvclipDetections *d, double *wall_minus_ts);
/* NULL when no detection is keyed by wallclock, else "file:line" of the first one. */
const char *detections_wall_keyed(const EvclipDetections *d);
/* Appends the wallclock-keyed detections with keys in [lo, hi) (epoch seconds), marked
 * DETECTION_WALLCLOCK. Needs detections_prepare(). Returns the number added or NOMEM. */
int detections_lookup_wall(const EvclipDetections *d, double lo, double hi, DetList *out);

/* Number of stored detections; used by readers to roll back a failed load. */
size_t detections_count(const EvclipDetections *d);
/* Gives back the unused tail of the record array (after a log is loaded). */
void detections_shrink(EvclipDetections *d);
/* Drops detections added after the first `count` (and their skip counts are restored by the
 * caller passing the old skipped value). */
void detections_truncate(EvclipDetections *d, size_t count, int64_t skipped);
/* detections_truncate() keeping the skip counts (a line's detections given back). */
void detections_drop(EvclipDetections *d, size_t count);

/* A detection log loaded by evclip_detections_load(), as it was when loaded (evidence
 * manifests hash the file and check that size and mtime did not change since). */
typedef struct DetectionsFile {
    char *path;
    int64_t size;
    int64_t mtime_ns;
    int64_t dev, ino;    /* identity at load: a log replaced (mv) since is caught */
} DetectionsFile;

/* Records `path` (with its current size and mtime) as loaded into the store; called after a
 * successful load (the same unchanged file is recorded once). Returns 0 or NOMEM. */
int detections_note_file(EvclipDetections *d, const char *path);

/* Files loaded into the store, in load order; *count set. */
const DetectionsFile *detections_files(const EvclipDetections *d, int *count);

/* Warnings of the log readers (unknown keys...), kept with the store and copied into the
 * result of every clip that draws it. Identical texts are kept once; at most
 * DETECTIONS_MAX_WARNINGS. */
#define DETECTIONS_MAX_WARNINGS 16
void detections_warn(EvclipDetections *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *const *detections_warnings(const EvclipDetections *d, int *count);
/* Drops the warnings after the first `count` (a failed load rolls back its warnings). */
void detections_warnings_truncate(EvclipDetections *d, int count);

/* Bytes of heap the store holds for its detections (records, labels, lookup index). */
size_t detections_memory(const EvclipDetections *d);

/* The i-th stored detection (insertion order, i < detections_count()) into *out; its label
 * is the store's interned copy. */
void detections_get(const EvclipDetections *d, size_t i, EvclipDetection *out);

/* The i-th stored detection's extra JSON text (NULL: none), as detection_extra(). */
const char *detections_extra_at(const EvclipDetections *d, size_t i);
/* Points of the i-th stored detection's polygon (0: none), as detection_polygon(). */
int detections_polygon_at(const EvclipDetections *d, size_t i, const float **uv);

/* Builds the sorted lookup index if detections were added since the last build, under the
 * store's lock: renders sharing a const store in several threads may all call it (one
 * builds, the others wait). Call before lookups; not allowed concurrently with adds.
 * Returns 0 or EVCLIP_ERR_NOMEM. */
int detections_prepare(const EvclipDetections *d);

/* Counts a render drawing from the store (+1 when it starts using it, -1 when done). */
void detections_use(const EvclipDetections *d, int delta);
/* INVALID ("what: the detection store is being drawn by N renders...") while a render uses
 * the store: the public add and load functions refuse to change a store being read. */
int detections_check_unused(const EvclipDetections *d, const char *what);

/* 1 when at least one stored detection is keyed by frame_idx (the renderer must then know the
 * presentation index of each frame). */
int detections_uses_frame_index(const EvclipDetections *d);

/* Smallest and largest ts of the detections keyed by ts alone (after detections_prepare()).
 * Returns 0 when there are none. */
int detections_ts_range(const EvclipDetections *d, double *lo, double *hi);

/*
 * Appends to `out` every detection keyed by frame_idx in [index_lo, index_hi) and every
 * detection keyed by ts (frame_idx absent) with ts in [t_lo, t_hi). Order: by key, then by
 * insertion. O(log n + matches); thread-safe after detections_prepare(). Returns the number
 * appended, EVCLIP_ERR_NOMEM, or EVCLIP_ERR_INTERNAL when adds happened since the last
 * detections_prepare(). Empty or NaN ranges match nothing.
 */
int detections_lookup(const EvclipDetections *d, int64_t index_lo, int64_t index_hi,
                      double t_lo, double t_hi, DetList *out);

/*
 * Time span [*lo, *hi) whose ts-keyed detections belong to the frame at `cur` (seconds): from
 * the midpoint with the previous frame's time to the midpoint with the next one, so variable
 * frame rates match the nearest frame exactly once. An unknown neighbour (NAN, e.g. the first
 * or last frame) mirrors the other side; with both unknown, `nominal` (one frame duration) is
 * centred on cur. Pass the span's index to detections_lookup() as [index, index + 1).
 */
void detections_frame_span(double prev, double cur, double next, double nominal,
                           double *lo, double *hi);

/*
 * Hold of sparse detections. Each box drawn at frame time t stays visible on later frames up
 * to t + hold seconds, unless superseded: a box with a track id by a newer box of the same
 * track; a box without track id by any newer frame that has detections. hold = 0 shows each
 * frame's own detections only.
 */
typedef struct HoldState {
    double hold;     /* seconds */
    DetList active;  /* boxes currently held */
    double *seen;    /* frame time at which each active box was detected */
    int seen_capacity;
} HoldState;

void hold_init(HoldState *h, double hold_seconds);
/* Feeds the detections matched to the frame at `time` (times must not decrease) and replaces
 * `visible` with the boxes to draw on it. Returns 0 or EVCLIP_ERR_NOMEM. */
int hold_update(HoldState *h, double time, const DetList *matched, DetList *visible);
void hold_free(HoldState *h);

#endif /* EVCLIP_SRC_DETECTIONS_H */
