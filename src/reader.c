/* reader.c: the jansson reader of a JSON log line's value: the fields and shapes of detection
 * objects (native, grouped, Ultralytics rows, inspect lines) with file:line:field errors; lines,
 * NaN tokens, format detection and the parse itself are reader_lines.c's. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "src/color.h"
#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"
#include "src/reader_detect.h"
#include "src/reader_internal.h"
#include "src/wallclock.h"

#define MAX_EXACT_INT 9007199254740992.0 /* 2^53: larger reals are not exact integers */

/* ---- Fields ------------------------------------------------------------------------- */

static int field_error(const Line *ln, const char *field, const char *why)
{
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s:%zu: %sfield '%s': %s", ln->name, ln->number,
                    ln->ctx, field, why);
}

static int line_error(const Line *ln, const char *why)
{
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s:%zu: %s%s", ln->name, ln->number, ln->ctx, why);
}

/* 1 when v is an integer, or a real holding an exact integer; stores it in *out. */
static int integral(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 1;
    }
    if (!json_is_real(v))
        return 0;
    double r = json_real_value(v);
    if (!(fabs(r) <= MAX_EXACT_INT) || r != floor(r))
        return 0;
    *out = (int64_t)r;
    return 1;
}

/* One coordinate: a number, or null (a NaN/Infinity written by Python: *nonsense = 1). */
static int coordinate(const json_t *e, double *out, int *nonsense)
{
    if (json_is_null(e)) {
        *nonsense = 1;
        *out = NAN;
        return 1;
    }
    if (!json_is_number(e))
        return 0;
    *out = json_number_value(e);
    return 1;
}

/* Reads bbox; *nonsense = 1 when it holds null (a NaN/Infinity written by Python). */
static int read_bbox(const Line *ln, const json_t *obj, const char *key, EvclipDetection *det,
                     int *nonsense)
{
    static const char *const why = "expected [x1, y1, x2, y2] (4 numbers)";
    const json_t *bbox = json_object_get(obj, key);
    if (!bbox)
        return field_error(ln, key, "missing");
    if (!json_is_array(bbox) || json_array_size(bbox) != 4)
        return field_error(ln, key, why);
    double v[4];
    for (size_t i = 0; i < 4; i++) {
        if (!coordinate(json_array_get(bbox, i), &v[i], nonsense))
            return field_error(ln, key, why);
    }
    det->x1 = v[0];
    det->y1 = v[1];
    det->x2 = v[2];
    det->y2 = v[3];
    return 0;
}

/* Optional "polygon": [[x, y], ...] (3.. points) into a malloc'ed *xy, *np points; absent or
 * null leaves *np 0. */
static int read_polygon(const Line *ln, const json_t *obj, double **xy, int *np)
{
    const json_t *poly = json_object_get(obj, "polygon");
    char why[96];
    *np = 0;
    if (!poly || json_is_null(poly))
        return 0;
    size_t n = json_is_array(poly) ? json_array_size(poly) : 0;
    if (n < 3 || n > DETECTIONS_MAX_POLYGON)
        return field_error(ln, "polygon", n > DETECTIONS_MAX_POLYGON ?
                           "more than 65535 points" :
                           "expected [[x, y], ...] with at least 3 points");
    *xy = malloc(n * 2 * sizeof(**xy));
    if (!*xy)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (polygon)");
    for (size_t i = 0; i < n; i++) {
        const json_t *pt = json_array_get(poly, i);
        int nonsense = 0;
        snprintf(why, sizeof(why), "point %zu: expected [x, y] (2 finite numbers)", i);
        if (!json_is_array(pt) || json_array_size(pt) != 2 ||
            !coordinate(json_array_get(pt, 0), &(*xy)[2 * i], &nonsense) ||
            !coordinate(json_array_get(pt, 1), &(*xy)[2 * i + 1], &nonsense) || nonsense) {
            free(*xy);
            *xy = NULL;
            return field_error(ln, "polygon", why);
        }
    }
    *np = (int)n;
    return 0;
}

/* Ultralytics' "box": {"x1": .., "y1": .., "x2": .., "y2": ..}; an OBB row's box (with "x3",
 * "y3", "x4", "y4" too) gives its 4 corners as a polygon (malloc'ed *xy, *np = 4). */
static int read_box(const Line *ln, const json_t *obj, EvclipDetection *det, int *nonsense,
                    double **xy, int *np)
{
    static const char *const why = "expected {\"x1\", \"y1\", \"x2\", \"y2\"} (4 numbers)";
    static const char *const keys[4] = { "x1", "y1", "x2", "y2" };
    const json_t *box = json_object_get(obj, "box");
    if (!box)
        return field_error(ln, "box", "missing");
    if (!json_is_object(box))
        return field_error(ln, "box", why);
    double v[4];
    for (size_t i = 0; i < 4; i++) {
        const json_t *e = json_object_get(box, keys[i]);
        if (!e || !coordinate(e, &v[i], nonsense))
            return field_error(ln, "box", why);
    }
    det->x1 = v[0];
    det->y1 = v[1];
    det->x2 = v[2];
    det->y2 = v[3];
    if (!json_object_get(box, "x3") && !json_object_get(box, "y3") &&
        !json_object_get(box, "x4") && !json_object_get(box, "y4"))
        return 0;
    static const char *const obb[4] = { "x3", "y3", "x4", "y4" };
    double c[8] = { v[0], v[1], v[2], v[3] };
    int nan = 0;
    for (size_t i = 0; i < 4; i++) {
        const json_t *e = json_object_get(box, obb[i]);
        if (!e || !coordinate(e, &c[4 + i], &nan) || nan || *nonsense)
            return field_error(ln, "box", "an oriented box needs x1..x4, y1..y4 (8 finite "
                               "numbers)");
    }
    *xy = malloc(sizeof(c));
    if (!*xy)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (polygon)");
    memcpy(*xy, c, sizeof(c));
    *np = 4;
    return 0;
}

static int read_label(const Line *ln, const json_t *obj, EvclipDetection *det)
{
    const json_t *label = json_object_get(obj, "label");
    if (!label)
        return field_error(ln, "label", "missing");
    if (!json_is_string(label))
        return field_error(ln, "label", "expected a string");
    det->label = json_string_value(label);
    return 0;
}

/* "wallclock": epoch seconds or ISO 8601 text (null or absent: *wall NAN). */
static int read_wallclock(const Line *ln, const json_t *obj, double *wall)
{
    const json_t *v = json_object_get(obj, "wallclock");
    char why[256];
    *wall = NAN;
    if (!v || json_is_null(v))
        return 0;
    int ret = json_is_number(v) ? wallclock_check(*wall = json_number_value(v), "wallclock")
              : json_is_string(v) ? wallclock_parse(json_string_value(v), wall, "wallclock")
              : ev_error(EVCLIP_ERR_DETECTIONS, "expected epoch seconds or ISO 8601 text");
    snprintf(why, sizeof(why), "%s", ev_error_message());
    return ret < 0 ? field_error(ln, "wallclock", why) : 0;
}

/* frame_idx (alias "frame" for Ultralytics rows), ts and wallclock (keys a line that has
 * neither of the others; with ts, gives the source's wall-clock origin): each optional (null
 * = absent). With `required`, at least one must be set. */
static int read_keys(EvclipDetections *d, const Line *ln, const json_t *obj,
                     EvclipDetection *det, int required)
{
    double wall;
    char where[300];
    int ret = read_wallclock(ln, obj, &wall);
    if (ret < 0)
        return ret;
    const char *idx_name = "frame_idx";
    const json_t *idx = json_object_get(obj, idx_name);
    const json_t *ts = json_object_get(obj, "ts");
    if (!idx && ln->format == READER_ULTRALYTICS && json_object_get(obj, "frame"))
        idx = json_object_get(obj, idx_name = "frame");
    det->frame_idx = EVCLIP_NONE;
    det->ts = EVCLIP_NONE;
    if (idx && !json_is_null(idx)) {
        if (!integral(idx, &det->frame_idx) || det->frame_idx < 0)
            return field_error(ln, idx_name, "expected an integer >= 0");
    }
    if (ts && !json_is_null(ts)) {
        det->ts = json_is_number(ts) ? json_number_value(ts) : -1.0;
        if (!(det->ts >= 0) || !isfinite(det->ts))
            return field_error(ln, "ts", "expected a finite number of seconds >= 0");
    }
    snprintf(where, sizeof(where), "%s:%zu", ln->name, ln->number);
    if (!isnan(wall) && (det->ts >= 0 || det->frame_idx < 0))
        detections_note_wall(d, where, det->ts >= 0 ? wall - det->ts : NAN);
    if (!isnan(wall) && det->ts < 0 && det->frame_idx < 0) {
        det->ts = wall;
        det->normalized = DETECTION_WALLCLOCK;
    }
    if (det->frame_idx >= 0 || det->ts >= 0 || !required)
        return 0;
    if (ts && ln->rewrote)
        return field_error(ln, "ts", "NaN or infinite, and no 'frame_idx' given");
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s:%zu: %sfields 'frame_idx' and 'ts': "
                    "neither is set (need at least one)", ln->name, ln->number, ln->ctx);
}

static int read_color(const Line *ln, const json_t *color, EvclipDetection *det)
{
    det->has_color = 0;
    static const char expected[] = "expected [B, G, R] (3 integers 0..255), \"#rrggbb\" or a "
                                   "CSS colour name";
    if (!color || json_is_null(color))
        return 0;
    if (json_is_string(color)) {
        if (color_parse(json_string_value(color), det->color) < 0)
            return field_error(ln, "color", expected);
        det->has_color = 1;
        return 0;
    }
    if (!json_is_array(color) || json_array_size(color) != 3)
        return field_error(ln, "color", expected);
    for (size_t i = 0; i < 3; i++) {
        int64_t c;
        if (!integral(json_array_get(color, i), &c) || c < 0 || c > 255)
            return field_error(ln, "color", expected);
        det->color[i] = (uint8_t)c;
    }
    det->has_color = 1;
    return 0;
}

/* score (Ultralytics: confidence) and track_id. */
static int read_score_track(const Line *ln, const json_t *obj, const char *score_name,
                            EvclipDetection *det)
{
    const json_t *score = json_object_get(obj, score_name);
    const json_t *track = json_object_get(obj, "track_id");
    det->score = EVCLIP_NONE;
    det->track_id = EVCLIP_NONE;
    if (score && !json_is_null(score)) {
        if (!json_is_number(score))
            return field_error(ln, score_name, "expected a number");
        det->score = json_number_value(score);
    }
    if (track && !json_is_null(track)) {
        if (!integral(track, &det->track_id))
            return field_error(ln, "track_id", "expected an integer");
        if (det->track_id < 0)
            det->track_id = EVCLIP_NONE;
    }
    return 0;
}

/* Optional per-line "normalized": true/false; absent or null keeps *normalized. */
static int read_normalized(const Line *ln, const json_t *obj, int *normalized)
{
    const json_t *v = json_object_get(obj, "normalized");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return field_error(ln, "normalized", "expected true or false");
    *normalized = json_is_true(v);
    return 0;
}

/* ---- Objects ------------------------------------------------------------------------ */

/* Stores det (outlined by the polygon xy of np points when np > 0), or counts it as skipped
 * when its box held NaN/Infinity. */
static int store(EvclipDetections *d, const Line *ln, const EvclipDetection *det, int nonsense,
                 const double *xy, int np, const json_t *extra)
{
    char where[768];
    snprintf(where, sizeof(where), "%s:%zu", ln->name, ln->number);
    if (ln->ctx[0])
        snprintf(where + strlen(where), sizeof(where) - strlen(where), ": %.*s",
                 (int)strlen(ln->ctx) - 2, ln->ctx);
    if (nonsense) {
        detections_note_skip(d, where, "field 'bbox': NaN or infinite coordinate, box skipped");
        return 0;
    }
    /* a non-empty "extra" object is kept (compact JSON) for chip templates: {extra[key]} */
    char *text = json_is_object(extra) && json_object_size(extra) > 0
                     ? json_dumps(extra, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (json_is_object(extra) && json_object_size(extra) > 0 && !text)
        return ev_error(EVCLIP_ERR_NOMEM, "%s: out of memory (field 'extra')", where);
    int ret = detections_add_extra(d, det, where, xy, np, text);
    free(text);
    return ret == EVCLIP_ERR_NOMEM ? ret : ret < 0 ? EVCLIP_ERR_DETECTIONS : 0;
}

/* Native fields other than the frame keys (bbox or polygon, label, score, track_id, color);
 * `box_key` is "bbox" (native) or "box" (inspect items). With a polygon (*np > 0, points in
 * *xy, malloc'ed) the box may be absent: the polygon's bounding box replaces it. */
static int read_native_fields(const Line *ln, const json_t *obj, const char *box_key,
                              EvclipDetection *det, int *nonsense, double **xy, int *np)
{
    int ret = read_polygon(ln, obj, xy, np);
    if (ret >= 0 && (*np == 0 || json_object_get(obj, box_key)))
        ret = read_bbox(ln, obj, box_key, det, nonsense);
    if (*np > 0)
        *nonsense = 0; /* the box is the polygon's */
    if (ret >= 0)
        ret = read_label(ln, obj, det);
    if (ret >= 0)
        ret = read_score_track(ln, obj, "score", det);
    if (ret >= 0)
        ret = read_color(ln, json_object_get(obj, "color"), det);
    return ret;
}

/* Ultralytics summary() row: name (else class), confidence, box, optional track_id. */
static int read_row_fields(const Line *ln, const json_t *obj, EvclipDetection *det,
                           char *label, size_t size, int *nonsense, double **xy, int *np)
{
    int ret = read_box(ln, obj, det, nonsense, xy, np);
    if (ret < 0)
        return ret;
    const json_t *name = json_object_get(obj, "name");
    const json_t *cls = json_object_get(obj, "class");
    int64_t id;
    if (name && !json_is_null(name)) {
        if (!json_is_string(name))
            return field_error(ln, "name", "expected a string");
        det->label = json_string_value(name);
    } else if (cls && !json_is_null(cls)) {
        if (!integral(cls, &id))
            return field_error(ln, "class", "expected an integer");
        snprintf(label, size, "class_%" PRId64, id);
        det->label = label;
    } else {
        return field_error(ln, "name", "missing (and no 'class')");
    }
    ret = read_score_track(ln, obj, "confidence", det);
    if (ret >= 0)
        ret = read_color(ln, json_object_get(obj, "color"), det);
    return ret;
}

/* A native detection's keys that evclip does not know are ignored, and said once per key and
 * file (a misspelt "colour" would otherwise silently lose the colour). */
static void warn_unknown_keys(EvclipDetections *d, const Line *ln, const json_t *obj)
{
    static const char *const known[] = { "frame_idx", "ts", "bbox", "label", "score",
                                         "track_id", "color", "extra", "normalized",
                                         "polygon", "wallclock" };
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        const char *hint = NULL;
        int best = 3, count;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            int dist = reader_key_distance(key, known[i]);
            if (!strcmp(key, known[i]))
                break;
            if (dist < best) {
                best = dist;
                hint = known[i];
            }
            if (i + 1 == sizeof(known) / sizeof(known[0])) {
                char head[300];
                snprintf(head, sizeof(head), "%s: unknown key '%.200s'", ln->name, key);
                const char *const *all = detections_warnings(d, &count);
                int seen = 0;
                for (int w = 0; w < count && !seen; w++)
                    seen = !strncmp(all[w], head, strlen(head));
                if (!seen)
                    detections_warn(d, "%s%s%s%s ignored (first at line %zu)", head,
                                    hint ? " (did you mean '" : "", hint ? hint : "",
                                    hint ? "'?)" : "", ln->number);
            }
        }
    }
}

/* Shapes of a detection object. */
enum ItemShape {
    ITEM_NATIVE,   /* "bbox": [x1, y1, x2, y2], "label", ... */
    ITEM_ROW,      /* Ultralytics: "box": {"x1", ...}, "name"/"class", "confidence" */
    ITEM_INSPECT,  /* evclip inspect: "box": [x1, y1, x2, y2], "label", ... */
};

/* One detection object. `frame` holds the keys of its frame (grouped and array lines) or NULL
 * when the object carries its own. `shape`: enum ItemShape. */
static int read_item(EvclipDetections *d, const Line *ln, const json_t *obj,
                     const EvclipDetection *frame, int shape, int normalized)
{
    int row = shape == ITEM_ROW;
    EvclipDetection det = { 0 };
    char label[32];
    double *xy = NULL;
    int nonsense = 0, np = 0, ret;
    if (!json_is_object(obj))
        return line_error(ln, frame ? "expected a JSON object" : "line is not a JSON object");
    if (row)
        ret = read_row_fields(ln, obj, &det, label, sizeof(label), &nonsense, &xy, &np);
    else
        ret = read_native_fields(ln, obj, shape == ITEM_INSPECT ? "box" : "bbox", &det,
                                 &nonsense, &xy, &np);
    if (ret >= 0 && shape == ITEM_NATIVE)
        warn_unknown_keys(d, ln, obj);
    if (ret >= 0)
        ret = read_keys(d, ln, obj, &det, !frame);
    if (ret >= 0 && frame && det.frame_idx < 0 && det.ts < 0) {
        det.frame_idx = frame->frame_idx;
        det.ts = frame->ts;
        det.normalized = frame->normalized & DETECTION_WALLCLOCK;
    }
    if (ret >= 0)
        ret = read_normalized(ln, obj, &normalized);
    if (ret >= 0) {
        det.normalized = normalized | (det.normalized & DETECTION_WALLCLOCK);
        ret = store(d, ln, &det, nonsense, xy, np, json_object_get(obj, "extra"));
    }
    free(xy);
    return ret;
}

/* Items of an array (a grouped line's "detections", or an Ultralytics array line), each with
 * "name[i]: " in its messages. Items are Ultralytics rows in an Ultralytics log, and in a
 * grouped log when they have "box"; else native. */
static int read_items(EvclipDetections *d, Line *ln, const json_t *arr, const char *name,
                      const EvclipDetection *frame, int normalized)
{
    int ret = 0;
    for (size_t i = 0; i < json_array_size(arr) && ret >= 0; i++) {
        const json_t *item = json_array_get(arr, i);
        snprintf(ln->ctx, sizeof(ln->ctx), "%s[%zu]: ", name, i);
        int shape = ln->format == READER_INSPECT ? ITEM_INSPECT :
                    ln->format == READER_ULTRALYTICS || json_object_get(item, "box") ? ITEM_ROW :
                    ITEM_NATIVE;
        ret = read_item(d, ln, item, frame, shape, normalized);
    }
    ln->ctx[0] = '\0';
    return ret;
}

/* {"frame_idx": n, "ts": t, "normalized": b, "detections": [...]} */
static int read_group(EvclipDetections *d, Line *ln, const json_t *obj)
{
    EvclipDetection frame = { 0 };
    int normalized = ln->normalized;
    if (!json_is_object(obj))
        return line_error(ln, "line is not a JSON object");
    const json_t *items = json_object_get(obj, "detections");
    if (!items)
        return field_error(ln, "detections", "missing");
    if (!json_is_array(items))
        return field_error(ln, "detections", "expected an array of detection objects");
    int ret = read_keys(d, ln, obj, &frame, 1);
    if (ret >= 0)
        ret = read_normalized(ln, obj, &normalized);
    if (ret >= 0)
        ret = read_items(d, ln, items, "detections", &frame, normalized);
    return ret;
}

/* An Ultralytics line: one row object, or an array of rows. Rows without frame keys in an
 * array line belong to frame N, N = the line's 0-based position among non-blank lines. */
static int read_ultralytics(EvclipDetections *d, Line *ln, const json_t *v)
{
    if (json_is_object(v))
        return read_item(d, ln, v, NULL, ITEM_ROW, ln->normalized);
    if (!json_is_array(v))
        return line_error(ln, "line is not a JSON array or object");
    EvclipDetection frame = { .frame_idx = ln->ordinal, .ts = EVCLIP_NONE };
    return read_items(d, ln, v, "", &frame, ln->normalized);
}

/* An `evclip inspect` line {"frame", "pts", "source_index", "source_time", "detections"}: its
 * boxes are keyed by source_time (the source's timeline; frame and pts count the clip's frames).
 * All data lines must come from one source of the clip. */
static int read_inspect(EvclipDetections *d, Line *ln, const json_t *obj)
{
    if (!json_is_object(obj))
        return line_error(ln, "line is not a JSON object");
    const json_t *items = json_object_get(obj, "detections");
    const json_t *time = json_object_get(obj, "source_time");
    const json_t *index = json_object_get(obj, "source_index");
    int64_t source = 0;
    if (!json_is_array(items))
        return field_error(ln, "detections", "expected an array of detection objects");
    if (json_is_null(time) || !time) {
        if (json_array_size(items))
            return field_error(ln, "source_time", "missing, and the frame has detections");
        return 0; /* a clip frame without embedded data */
    }
    if (!json_is_number(time) || !(json_number_value(time) >= 0))
        return field_error(ln, "source_time", "expected a number of seconds >= 0");
    if (index && !json_is_null(index) && (!integral(index, &source) || source < 0))
        return field_error(ln, "source_index", "expected an integer >= 0");
    if (ln->source < 0)
        ln->source = source;
    else if (source != ln->source)
        return ev_error(EVCLIP_ERR_DETECTIONS, "%s:%zu: field 'source_index': %" PRId64 ", but "
                        "earlier lines are of source %" PRId64 ": a clip of several inputs gives "
                        "one log per input (keep one source's lines, e.g. jq -c "
                        "'select(.source_index == %" PRId64 ")')", ln->name, ln->number, source,
                        ln->source, source);
    EvclipDetection frame = { .frame_idx = EVCLIP_NONE, .ts = json_number_value(time) };
    return read_items(d, ln, items, "detections", &frame, ln->normalized);
}

static int read_json(EvclipDetections *d, Line *ln, const json_t *v)
{
    switch (ln->format) {
    case READER_INSPECT:
        return read_inspect(d, ln, v);
    case READER_GROUPED:
        return read_group(d, ln, v);
    case READER_ULTRALYTICS:
        return read_ultralytics(d, ln, v);
    default:
        return read_item(d, ln, v, NULL, ITEM_NATIVE, ln->normalized);
    }
}

/* ---- Shared with reader_lines.c, reader_mot.c (reader_internal.h) ------------------ */

int reader_read_json(EvclipDetections *d, Line *ln, const json_t *v)
{
    return read_json(d, ln, v);
}

int reader_field_error(const Line *ln, const char *field, const char *why)
{
    return field_error(ln, field, why);
}

int reader_line_error(const Line *ln, const char *why)
{
    return line_error(ln, why);
}

int reader_store(EvclipDetections *d, const Line *ln, const EvclipDetection *det, int nonsense)
{
    return store(d, ln, det, nonsense, NULL, 0, NULL);
}
