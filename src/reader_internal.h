/* reader_internal.h: what the detection log reader's files share (reader_lines.c: parse state
 * and lines; reader.c: a JSON line's value; reader_mot.c: MOTChallenge lines; reader_stream.c:
 * files read in chunks). */
#ifndef EVCLIP_SRC_READER_INTERNAL_H
#define EVCLIP_SRC_READER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "src/reader.h"
#include "src/reader_fast.h"

/* Reusable per-parse buffers: the rewritten line and where each NaN became "null" (the only
 * rewrite that changes the length, needed to report jansson's column on the original line). */
typedef struct Scratch {
    char *buf;
    size_t cap;
    size_t *nan_at;
    size_t nb_nan, nan_cap;
    FastReader *fast;  /* simdjson fast path (reader_fast.cpp), NULL = jansson only */
    size_t avail;      /* bytes readable from the current line's start (fast path padding) */
} Scratch;

/* One line being read. */
typedef struct Line {
    const char *name;
    size_t number;
    int64_t ordinal;  /* 0-based position among non-blank lines */
    int rewrote;      /* NaN/Infinity tokens were replaced by null */
    int format;       /* enum ReaderFormat (READER_AUTO until the first non-blank line) */
    int64_t source;   /* inspect logs: source_index of the data lines (-1 before the first) */
    int normalized;   /* default of the "normalized" flag */
    char ctx[48];     /* "detections[3]: " while reading an item of an array, else "" */
    int slow_numbers; /* READER_NO_FAST: MOT fields through strtod() only */
} Line;

#define MAX_EXACT_INT 9007199254740992.0 /* 2^53: larger reals are not exact integers */

/* One parse, fed complete lines by reader_parse_lines() (a whole buffer, or a file chunk by
 * chunk). */
typedef struct Parse {
    EvclipDetections *d;
    Scratch s;
    Line ln;
    size_t count;      /* detections before the parse: kept on error, the rest dropped */
    int64_t skipped;
    int started;       /* the first bytes (BOM) were seen */
} Parse;

/* Starts a parse into d (format may be READER_AUTO; flags: READER_NO_FAST). 0 or NOMEM. */
int reader_parse_begin(Parse *p, EvclipDetections *d, const char *name, int format,
                       int normalized, int flags);
/* Reads the lines of buf[0, len) (each ends with '\n' but maybe the last one of the log);
 * `avail` bytes are readable from buf (the fast path's padding). */
int reader_parse_lines(Parse *p, const char *buf, size_t len, size_t avail);
/* Frees the parse; on error (ret < 0) drops what it added. Returns ret or 0. */
int reader_parse_end(Parse *p, int ret);

/* The detections of one parsed JSON line v (reader.c), by ln->format (not AUTO or MOT). */
struct json_t;
int reader_read_json(EvclipDetections *d, Line *ln, const struct json_t *v);

/* One MOTChallenge line (reader_mot.c). */
int reader_mot_line(EvclipDetections *d, Line *ln, const char *text, size_t len);

/* Shared helpers: blank line (reader_lines.c); "name:line: field 'x': why" and
 * "name:line: why" errors, storing a detection or counting a skipped one (reader.c); "path:
 * strerror" (reader_stream.c) and the name of the video container whose magic starts buf,
 * or NULL (reader_detect.c). */
int reader_is_blank(const char *s, size_t len);
int reader_field_error(const Line *ln, const char *field, const char *why);
int reader_line_error(const Line *ln, const char *why);
int reader_store(EvclipDetections *d, const Line *ln, const EvclipDetection *det, int nonsense);
int reader_file_error(const char *path, int err);
const char *reader_container_magic(const char *buf, size_t len);

#endif /* EVCLIP_SRC_READER_INTERNAL_H */
