/* reader.c: native JSONL detection log reader with file:line:field errors and rollback. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"

/* Reusable per-parse buffers: the rewritten line and where each NaN became "null" (the only
 * rewrite that changes the length, needed to report jansson's column on the original line). */
typedef struct Scratch {
    char *buf;
    size_t cap;
    size_t *nan_at;
    size_t nb_nan, nan_cap;
} Scratch;

/* One line being read. */
typedef struct Line {
    const char *name;
    size_t number;
    int rewrote;  /* NaN/Infinity tokens were replaced by null */
} Line;

#define MAX_EXACT_INT 9007199254740992.0 /* 2^53: larger reals are not exact integers */

static int is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '+' || c == '-';
}

/* Length of a bare Python non-finite token at s (NaN, Infinity, -Infinity), or 0. */
static size_t nonfinite_token(const char *s, size_t left, char prev)
{
    static const char *const tokens[] = { "NaN", "Infinity", "-Infinity" };
    if (is_ident(prev))
        return 0;
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(tokens[i]);
        if (n <= left && !memcmp(s, tokens[i], n) && (n == left || !is_ident(s[n])))
            return n;
    }
    return 0;
}

static int reserve_scratch(Scratch *s, size_t len)
{
    /* Each 3-byte NaN grows by one byte, so the output is at most len + len / 3 + 1. */
    size_t need = len + len / 3 + 2;
    if (need > s->cap) {
        char *buf = realloc(s->buf, need);
        if (!buf)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory (reading detections)");
        s->buf = buf;
        s->cap = need;
    }
    s->nb_nan = 0;
    return 0;
}

static int note_nan(Scratch *s, size_t at)
{
    if (s->nb_nan == s->nan_cap) {
        size_t cap = s->nan_cap ? s->nan_cap * 2 : 16;
        size_t *nan_at = realloc(s->nan_at, cap * sizeof(*nan_at));
        if (!nan_at)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory (reading detections)");
        s->nan_at = nan_at;
        s->nan_cap = cap;
    }
    s->nan_at[s->nb_nan++] = at;
    return 0;
}

/* Copies the line into s->buf, replacing bare NaN/Infinity/-Infinity outside strings by null
 * (padded with spaces to keep columns). Returns the output length or a negative code. */
static long long rewrite_line(Scratch *s, const char *in, size_t len, int *rewrote)
{
    if (reserve_scratch(s, len) < 0)
        return EVCLIP_ERR_NOMEM;
    size_t o = 0;
    int in_string = 0, escaped = 0;
    *rewrote = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        size_t n = in_string ? 0 : nonfinite_token(in + i, len - i, i ? in[i - 1] : ' ');
        if (n) {
            if (n == 3 && note_nan(s, o) < 0)
                return EVCLIP_ERR_NOMEM;
            memcpy(s->buf + o, "null", 4);
            memset(s->buf + o + 4, ' ', n > 4 ? n - 4 : 0);
            o += n > 4 ? n : 4;
            i += n - 1;
            *rewrote = 1;
            continue;
        }
        if (in_string && !escaped && c == '"')
            in_string = 0;
        else if (!in_string && c == '"')
            in_string = 1;
        escaped = in_string && !escaped && c == '\\';
        s->buf[o++] = c;
    }
    return (long long)o;
}

/* jansson's column on the rewritten line, mapped back to the original line. */
static int original_column(const Scratch *s, const json_error_t *err)
{
    int column = err->column;
    for (size_t i = 0; i < s->nb_nan; i++) {
        if (s->nan_at[i] + 4 <= (size_t)(err->position > 0 ? err->position : 0))
            column--;
    }
    return column;
}

/* ---- Fields ------------------------------------------------------------------------- */

static int field_error(const Line *ln, const char *field, const char *why)
{
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s:%zu: field '%s': %s", ln->name, ln->number,
                    field, why);
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

/* Reads bbox; *nonsense = 1 when it holds null (a NaN/Infinity written by Python). */
static int read_bbox(const Line *ln, const json_t *obj, EvclipDetection *det, int *nonsense)
{
    const json_t *bbox = json_object_get(obj, "bbox");
    if (!bbox)
        return field_error(ln, "bbox", "missing");
    if (!json_is_array(bbox) || json_array_size(bbox) != 4)
        return field_error(ln, "bbox", "expected [x1, y1, x2, y2] (4 numbers)");
    double v[4];
    *nonsense = 0;
    for (size_t i = 0; i < 4; i++) {
        const json_t *e = json_array_get(bbox, i);
        if (json_is_null(e)) {
            *nonsense = 1;
            v[i] = NAN;
        } else if (json_is_number(e)) {
            v[i] = json_number_value(e);
        } else {
            return field_error(ln, "bbox", "expected [x1, y1, x2, y2] (4 numbers)");
        }
    }
    det->x1 = v[0];
    det->y1 = v[1];
    det->x2 = v[2];
    det->y2 = v[3];
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

/* frame_idx and ts: each optional (null = absent), at least one required. */
static int read_keys(const Line *ln, const json_t *obj, EvclipDetection *det)
{
    const json_t *idx = json_object_get(obj, "frame_idx");
    const json_t *ts = json_object_get(obj, "ts");
    det->frame_idx = EVCLIP_NONE;
    det->ts = EVCLIP_NONE;
    if (idx && !json_is_null(idx)) {
        if (!integral(idx, &det->frame_idx) || det->frame_idx < 0)
            return field_error(ln, "frame_idx", "expected an integer >= 0");
    }
    if (ts && !json_is_null(ts)) {
        det->ts = json_is_number(ts) ? json_number_value(ts) : -1.0;
        if (!(det->ts >= 0) || !isfinite(det->ts))
            return field_error(ln, "ts", "expected a finite number of seconds >= 0");
    }
    if (det->frame_idx >= 0 || det->ts >= 0)
        return 0;
    if (ts && ln->rewrote)
        return field_error(ln, "ts", "NaN or infinite, and no 'frame_idx' given");
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s:%zu: fields 'frame_idx' and 'ts': "
                    "neither is set (need at least one)", ln->name, ln->number);
}

static int read_color(const Line *ln, const json_t *color, EvclipDetection *det)
{
    det->has_color = 0;
    if (!color || json_is_null(color))
        return 0;
    if (!json_is_array(color) || json_array_size(color) != 3)
        return field_error(ln, "color", "expected [B, G, R] (3 integers 0..255)");
    for (size_t i = 0; i < 3; i++) {
        int64_t c;
        if (!integral(json_array_get(color, i), &c) || c < 0 || c > 255)
            return field_error(ln, "color", "expected [B, G, R] (3 integers 0..255)");
        det->color[i] = (uint8_t)c;
    }
    det->has_color = 1;
    return 0;
}

static int read_optional(const Line *ln, const json_t *obj, EvclipDetection *det)
{
    const json_t *score = json_object_get(obj, "score");
    const json_t *track = json_object_get(obj, "track_id");
    det->score = EVCLIP_NONE;
    det->track_id = EVCLIP_NONE;
    if (score && !json_is_null(score)) {
        if (!json_is_number(score))
            return field_error(ln, "score", "expected a number");
        det->score = json_number_value(score);
    }
    if (track && !json_is_null(track)) {
        if (!integral(track, &det->track_id))
            return field_error(ln, "track_id", "expected an integer");
        if (det->track_id < 0)
            det->track_id = EVCLIP_NONE;
    }
    return read_color(ln, json_object_get(obj, "color"), det);
}

/* ---- Lines -------------------------------------------------------------------------- */

static int read_object(EvclipDetections *d, const Line *ln, const json_t *obj)
{
    EvclipDetection det = { 0 };
    int nonsense = 0;
    if (!json_is_object(obj))
        return ev_error(EVCLIP_ERR_DETECTIONS, "%s:%zu: line is not a JSON object",
                        ln->name, ln->number);
    int ret = read_bbox(ln, obj, &det, &nonsense);
    if (ret >= 0)
        ret = read_label(ln, obj, &det);
    if (ret >= 0)
        ret = read_keys(ln, obj, &det);
    if (ret >= 0)
        ret = read_optional(ln, obj, &det);
    if (ret < 0)
        return ret;
    char where[768];
    snprintf(where, sizeof(where), "%s:%zu", ln->name, ln->number);
    if (nonsense) {
        detections_note_skip(d, where, "field 'bbox': NaN or infinite coordinate, box skipped");
        return 0;
    }
    ret = detections_add_checked(d, &det, where);
    return ret == EVCLIP_ERR_NOMEM ? ret : ret < 0 ? EVCLIP_ERR_DETECTIONS : 0;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    }
    return 1;
}

static int json_failure(const Scratch *s, const Line *ln, const json_error_t *err)
{
#if JANSSON_VERSION_HEX >= 0x020b00
    if (json_error_code(err) == json_error_out_of_memory)
        return ev_error(EVCLIP_ERR_NOMEM, "%s:%zu: out of memory", ln->name, ln->number);
#endif
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s:%zu: invalid JSON at column %d: %s", ln->name,
                    ln->number, original_column(s, err), err->text);
}

static int read_line(EvclipDetections *d, Scratch *s, Line *ln, const char *text, size_t len)
{
    if (is_blank(text, len))
        return 0;
    long long n = rewrite_line(s, text, len, &ln->rewrote);
    if (n < 0)
        return (int)n;
    json_error_t err;
    json_t *obj = json_loadb(s->buf, (size_t)n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!obj)
        return json_failure(s, ln, &err);
    int ret = read_object(d, ln, obj);
    json_decref(obj);
    return ret;
}

int reader_parse_jsonl(EvclipDetections *d, const char *name, const char *buf, size_t len)
{
    size_t count = detections_count(d);
    EvclipDetectionStats stats;
    evclip_detections_get_stats(d, &stats);
    Scratch s = { 0 };
    Line ln = { .name = name ? name : "detections", .number = 0 };
    int ret = 0;
    size_t pos = 0;
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
        pos = 3;
    while (pos < len && ret >= 0) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        ln.number++;
        ret = read_line(d, &s, &ln, buf + pos, end - pos);
        pos = end + 1;
    }
    free(s.buf);
    free(s.nan_at);
    if (ret < 0)
        detections_truncate(d, count, stats.skipped);
    return ret < 0 ? ret : 0;
}

/* ---- Files -------------------------------------------------------------------------- */

static const char *errno_text(int err, char *buf, size_t size)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(err, buf, size);
#else
    if (strerror_r(err, buf, size))
        snprintf(buf, size, "error %d", err);
    return buf;
#endif
}

static int file_error(const char *path, int err)
{
    char why[128];
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s: %s", path, errno_text(err, why, sizeof(why)));
}

/* Reads the whole stream (files, pipes) into *out (*len bytes). */
static int read_all(FILE *f, const char *path, char **out, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return ev_error(EVCLIP_ERR_NOMEM, "%s: out of memory", path);
    for (;;) {
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            int err = errno;
            free(buf);
            return file_error(path, err ? err : EIO);
        }
        if (n < cap)
            break;
        char *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!bigger) {
            free(buf);
            return ev_error(EVCLIP_ERR_NOMEM, "%s: out of memory", path);
        }
        buf = bigger;
        cap *= 2;
    }
    *out = buf;
    *len = n;
    return 0;
}

int reader_load_jsonl(EvclipDetections *d, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return file_error(path, errno);
    char *buf = NULL;
    size_t len = 0;
    int ret = read_all(f, path, &buf, &len);
    fclose(f);
    if (ret < 0)
        return ret;
    ret = reader_parse_jsonl(d, path, buf, len);
    free(buf);
    return ret;
}
