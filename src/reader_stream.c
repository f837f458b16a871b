/* reader_stream.c: detection log files read in chunks (bounded memory), block by block for the
 * window index, and blocks of lines parsed where they stand in their file; file errors, whole
 * reads and evclip_detections_load_format(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"
#include "src/reader_detect.h"
#include "src/reader_internal.h"

/* A log file read in chunks: at most READ_CHUNK bytes (or the longest line) are held. The
 * chunk is also the block of the window index (reader_window.c). */
#define READ_CHUNK ((size_t)256 << 10)

typedef struct Chunks {
    FILE *f;
    const char *path;
    char *buf;
    size_t cap, have;  /* buf holds cap + FAST_READER_PADDING bytes, `have` of them read */
    int eof;
    int64_t offset;    /* file offset of buf[0] */
    ReaderBlockFn on_block;
    void *ctx;
} Chunks;

/* Makes room for at least `need` bytes of text. Returns 0 or NOMEM. */
static int chunks_reserve(Chunks *c, size_t need)
{
    if (need <= c->cap && c->buf)
        return 0;
    size_t cap = c->cap ? c->cap : READ_CHUNK;
    while (cap < need)
        cap = cap <= SIZE_MAX / 4 ? cap * 2 : SIZE_MAX - FAST_READER_PADDING;
    char *buf = realloc(c->buf, cap + FAST_READER_PADDING);
    if (!buf)
        return ev_error(EVCLIP_ERR_NOMEM, "%s: out of memory", c->path);
    memset(buf + c->cap, ' ', cap + FAST_READER_PADDING - c->cap);
    c->buf = buf;
    c->cap = cap;
    return 0;
}

/* Fills the buffer after what it holds. Returns 0 or DETECTIONS (read error). */
static int chunks_fill(Chunks *c)
{
    c->have += fread(c->buf + c->have, 1, c->cap - c->have, c->f);
    if (ferror(c->f))
        return reader_file_error(c->path, errno ? errno : EIO);
    c->eof = c->have < c->cap;
    return 0;
}

/* Streams the file through p: complete lines are parsed as they arrive, so memory stays
 * bounded by the chunk size (or the longest line) whatever the log's size. */
static int load_chunks(Chunks *c, Parse *p)
{
    int ret = chunks_reserve(c, READ_CHUNK);
    if (ret >= 0)
        ret = chunks_fill(c);
    const char *video = ret >= 0 ? reader_container_magic(c->buf, c->have) : NULL;
    if (video)
        return ev_error(EVCLIP_ERR_DETECTIONS, "%s: this is a video (%s container), not a "
                        "detection log: give videos with -i and logs with -d", c->path, video);
    while (ret >= 0) {
        size_t done = c->have;
        if (!c->eof) {
            while (done > 0 && c->buf[done - 1] != '\n')
                done--;
        }
        ReaderBlock b = { .offset = c->offset, .data = c->buf, .bytes = done,
                          .first_line = p->ln.number, .first_ordinal = p->ln.ordinal,
                          .first_det = detections_count(p->d) };
        if (done > 0)
            ret = reader_parse_lines(p, c->buf, done, c->cap + FAST_READER_PADDING);
        if (ret >= 0 && done > 0 && c->on_block) {
            b.format = p->ln.format;
            c->on_block(c->ctx, &b);
        }
        if (ret < 0 || c->eof)
            break;
        memmove(c->buf, c->buf + done, c->have - done);
        c->have -= done;
        c->offset += (int64_t)done;
        if (c->have == c->cap) /* one line longer than the buffer */
            ret = chunks_reserve(c, c->cap * 2);
        if (ret >= 0)
            ret = chunks_fill(c);
    }
    return ret;
}

int reader_parse_block(EvclipDetections *d, const char *name, const char *buf, size_t len,
                       size_t avail, int format, int normalized, size_t first_line,
                       int64_t first_ordinal)
{
    Parse p;
    int ret = reader_parse_begin(&p, d, name, format, normalized, 0);
    p.ln.number = first_line;
    p.ln.ordinal = first_ordinal;
    p.started = first_line > 0; /* a BOM only counts at the start of the file */
    if (ret >= 0)
        ret = reader_parse_lines(&p, buf, len, avail);
    return reader_parse_end(&p, ret);
}

int reader_load(EvclipDetections *d, const char *path, int format, int normalized)
{
    return reader_load_blocks(d, path, format, normalized, NULL, NULL);
}

int reader_load_blocks(EvclipDetections *d, const char *path, int format, int normalized,
                       ReaderBlockFn on_block, void *ctx)
{
    Chunks c = { .f = fopen(path, "rb"), .path = path, .on_block = on_block, .ctx = ctx };
    if (!c.f)
        return reader_file_error(path, errno);
    Parse p;
    int ret = reader_parse_begin(&p, d, path, format, normalized, 0);
    if (ret >= 0)
        ret = load_chunks(&c, &p);
    ret = reader_parse_end(&p, ret);
    fclose(c.f);
    free(c.buf);
    if (ret >= 0) {
        detections_shrink(d);
        ret = detections_note_file(d, path); /* the manifest lists and hashes it */
    }
    return ret;
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

int reader_file_error(const char *path, int err)
{
    char why[128];
    return ev_error(EVCLIP_ERR_DETECTIONS, "%s: %s", path, errno_text(err, why, sizeof(why)));
}

int reader_read_all(FILE *f, const char *path, char **out, size_t *len)
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
            return reader_file_error(path, err ? err : EIO);
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
    return reader_load(d, path, READER_AUTO, 0);
}

EVCLIP_API int evclip_detections_load_format(EvclipDetections *dets, const char *path,
                                             const char *format, int normalized)
{
    ev_error_clear();
    if (!dets || !path)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_load_format: NULL argument");
    if (detections_check_unused(dets, "evclip_detections_load_format") < 0)
        return EVCLIP_ERR_INVALID;
    int f = reader_format_from_name(format);
    if (f < 0)
        return f;
    return reader_load(dets, path, f, normalized);
}
