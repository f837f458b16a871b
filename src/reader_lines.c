/* reader_lines.c: the detection log parse, line by line: BOM, blank lines and format detection,
 * each line to the MOT reader, the fast path or (after the rewrite of Python's NaN/Infinity
 * tokens) jansson and reader.c, with jansson's errors mapped to the original columns, and the
 * rollback of a failed parse. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"
#include "src/reader_detect.h"
#include "src/reader_fast.h"
#include "src/reader_internal.h"

/* ---- Python's NaN tokens ---------------------------------------------------------- */

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    }
    return 1;
}

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

/* ---- Lines -------------------------------------------------------------------------- */

static int json_failure(const Scratch *s, const Line *ln, const json_error_t *err)
{
#if JANSSON_VERSION_HEX >= 0x020b00
    if (json_error_code(err) == json_error_out_of_memory)
        return ev_error(EVCLIP_ERR_NOMEM, "%s:%zu: out of memory", ln->name, ln->number);
#endif
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s:%zu: invalid JSON at column %d: %s", ln->name,
                    ln->number, original_column(s, err), err->text);
}

/* Parses one JSON line (after the NaN rewrite). Returns the value or NULL with *ret set. */
static json_t *parse_json(Scratch *s, Line *ln, const char *text, size_t len, int *ret)
{
    long long n = rewrite_line(s, text, len, &ln->rewrote);
    if (n < 0) {
        *ret = (int)n;
        return NULL;
    }
    json_error_t err;
    json_t *v = json_loadb(s->buf, (size_t)n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    if (!v)
        *ret = json_failure(s, ln, &err);
    return v;
}

static int read_line(EvclipDetections *d, Scratch *s, Line *ln, const char *text, size_t len)
{
    if (is_blank(text, len))
        return 0;
    if (ln->format == READER_MOT)
        return reader_mot_line(d, ln, text, len);
    int fast = s->fast && ln->format != READER_INSPECT;
    int ret = fast ? fast_reader_line(s->fast, d, text, len, s->avail, ln->format,
                                         ln->normalized, ln->ordinal) : 0;
    if (ret != 0) /* read whole by the fast path, or out of memory; 0: jansson reads it */
        return ret < 0 ? ret : 0;
    json_t *v = parse_json(s, ln, text, len, &ret);
    if (!v)
        return ret;
    ret = reader_read_json(d, ln, v);
    json_decref(v);
    return ret;
}

/* Format of the non-blank line text[0, len), line `number` of `name` (reader_detect.c), or a
 * negative code when it fits none. */
static int detect_format(Scratch *s, const char *name, size_t number, const char *text,
                         size_t len)
{
    Line probe = { .name = name, .format = READER_NATIVE };
    int ret = 0;
    json_t *v = parse_json(s, &probe, text, len, &ret);
    if (ret == EVCLIP_ERR_NOMEM)
        return ret;
    ret = reader_detect_line(name, number, text, len, v);
    json_decref(v);
    return ret;
}

int reader_parse(EvclipDetections *d, const char *name, const char *buf, size_t len,
                 int format, int normalized)
{
    return reader_parse_flags(d, name, buf, len, format, normalized, 0);
}

int reader_parse_begin(Parse *p, EvclipDetections *d, const char *name, int format,
                       int normalized, int flags)
{
    EvclipDetectionStats stats;
    evclip_detections_get_stats(d, &stats);
    *p = (Parse){ .d = d, .count = detections_count(d), .skipped = stats.skipped,
                  .ln = { .name = name ? name : "detections", .normalized = !!normalized,
                          .format = format, .source = -1,
                          .slow_numbers = flags & READER_NO_FAST } };
    if (!(flags & READER_NO_FAST) && fast_reader_supported() && !(p->s.fast = fast_reader_new()))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (reading detections)");
    return 0;
}

/* Reads the lines of buf[0, len) (each ends with '\n' but maybe the last one of the log);
 * `avail` bytes are readable from buf (the fast path's padding). AUTO format is decided on
 * the first non-blank line. */
int reader_parse_lines(Parse *p, const char *buf, size_t len, size_t avail)
{
    int ret = 0;
    size_t pos = 0;
    if (!p->started && len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
        pos = 3;
    p->started = 1;
    while (pos < len && ret >= 0) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        int blank = is_blank(buf + pos, end - pos);
        if (p->ln.format == READER_AUTO && !blank) {
            int format = detect_format(&p->s, p->ln.name, p->ln.number + 1, buf + pos,
                                       end - pos);
            if (format < 0)
                return format;
            p->ln.format = format;
        }
        p->ln.number++;
        p->s.avail = avail - pos;
        ret = read_line(p->d, &p->s, &p->ln, buf + pos, end - pos);
        p->ln.ordinal += !blank;
        pos = end + 1;
    }
    return ret;
}

/* Frees the parse; on error (ret < 0) drops what it added. Returns ret or 0. */
int reader_parse_end(Parse *p, int ret)
{
    free(p->s.buf);
    free(p->s.nan_at);
    fast_reader_free(&p->s.fast);
    if (ret < 0)
        detections_truncate(p->d, p->count, p->skipped);
    return ret < 0 ? ret : 0;
}

int reader_parse_flags(EvclipDetections *d, const char *name, const char *buf, size_t len,
                       int format, int normalized, int flags)
{
    Parse p;
    int ret = reader_parse_begin(&p, d, name, format, normalized, flags);
    if (ret >= 0)
        ret = reader_parse_lines(&p, buf, len, len);
    return reader_parse_end(&p, ret);
}

int reader_parse_jsonl(EvclipDetections *d, const char *name, const char *buf, size_t len)
{
    return reader_parse(d, name, buf, len, READER_AUTO, 0);
}

/* ---- Shared with reader.c, reader_mot.c and reader_stream.c (reader_internal.h) ---- */

int reader_is_blank(const char *s, size_t len)
{
    return is_blank(s, len);
}
