/* reader_window.c: windowed loading of a detection log through a block index kept beside it
 * (LOG.evidx), checked against the log before use and rebuilt by a full load when stale. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/reader.h"
#include "src/reader_fast.h"

#define IDX_MAGIC "EVIDX\0\0\1"
#define IDX_EDGE ((size_t)64 << 10) /* bytes of the log's head and tail hashed in the header */
#define IDX_MAX_BLOCKS ((uint64_t)1 << 26)

/* One block of lines: its bytes, where its numbering starts, the ts range of its detections
 * and their hash (checked again whenever the block is read through the index). */
typedef struct IdxBlock {
    int64_t offset;
    uint64_t bytes;
    uint64_t first_line;
    int64_t first_ordinal;
    double ts_min, ts_max;  /* of the block's detections; NAN when it has none */
    uint32_t untimed;       /* 1: a detection without ts (always read) */
    uint32_t reserved;
    uint64_t hash;          /* FNV-1a of the block's bytes */
} IdxBlock;

/* What the index was built from: a log of this size, mtime, identity and edges, read as this
 * format with this normalized default. */
typedef struct IdxHeader {
    char magic[8];
    uint64_t size;
    int64_t mtime_ns;
    uint64_t dev, ino;
    int32_t format, normalized;
    uint64_t edges;         /* FNV-1a of the first and last IDX_EDGE bytes */
    uint64_t nb_blocks;
} IdxHeader;

typedef struct Index {
    IdxHeader head;
    IdxBlock *blocks;
    uint64_t nb, cap;
    int failed;             /* out of memory while building: no index is written */
    EvclipDetections *d;
} Index;

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}
#define FNV_START 1469598103934665603ull

/* The header fields that describe the log file at fd now (edges hashed). 0 or -1. */
static int describe_log(int fd, IdxHeader *h)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    memset(h, 0, sizeof(*h));
    memcpy(h->magic, IDX_MAGIC, 8);
    h->size = (uint64_t)st.st_size;
    h->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    h->dev = (uint64_t)st.st_dev;
    h->ino = (uint64_t)st.st_ino;
    size_t head = h->size < IDX_EDGE ? (size_t)h->size : IDX_EDGE;
    size_t tail = h->size - head < IDX_EDGE ? (size_t)(h->size - head) : IDX_EDGE;
    char *buf = malloc(2 * IDX_EDGE);
    int ok = buf && pread(fd, buf, head, 0) == (ssize_t)head &&
             pread(fd, buf + head, tail, (off_t)(h->size - tail)) == (ssize_t)tail;
    if (ok)
        h->edges = fnv(FNV_START, buf, head + tail);
    free(buf);
    return ok ? 0 : -1;
}

/* reader_load_blocks() callback: one index entry per block. */
static void note_block(void *ctx, const ReaderBlock *b)
{
    Index *ix = ctx;
    if (ix->failed)
        return;
    if (ix->nb == ix->cap) {
        uint64_t cap = ix->cap ? ix->cap * 2 : 256;
        IdxBlock *blocks = cap <= IDX_MAX_BLOCKS ? realloc(ix->blocks, cap * sizeof(*blocks))
                                                 : NULL;
        if (!blocks) {
            ix->failed = 1;
            return;
        }
        ix->blocks = blocks;
        ix->cap = cap;
    }
    IdxBlock e = { .offset = b->offset, .bytes = b->bytes, .first_line = b->first_line,
                   .first_ordinal = b->first_ordinal, .ts_min = NAN, .ts_max = NAN,
                   .hash = fnv(FNV_START, b->data, b->bytes) };
    for (size_t i = b->first_det; i < detections_count(ix->d); i++) {
        EvclipDetection det;
        detections_get(ix->d, i, &det);
        if (det.ts < 0 || (det.normalized & DETECTION_WALLCLOCK)) {
            e.untimed = 1;
            continue;
        }
        e.ts_min = isnan(e.ts_min) || det.ts < e.ts_min ? det.ts : e.ts_min;
        e.ts_max = isnan(e.ts_max) || det.ts > e.ts_max ? det.ts : e.ts_max;
    }
    ix->head.format = b->format;
    ix->blocks[ix->nb++] = e;
}

/* Writes the index beside the log (temporary file, then rename): best effort, a read-only
 * directory just means no index. */
static void write_index(const char *idx_path, Index *ix)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", idx_path, (long)getpid()) >= (int)sizeof(tmp))
        return;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return;
    ix->head.nb_blocks = ix->nb;
    size_t bytes = ix->nb * sizeof(IdxBlock);
    uint64_t sum = fnv(fnv(FNV_START, &ix->head, sizeof(ix->head)), ix->blocks, bytes);
    int ok = write(fd, &ix->head, sizeof(ix->head)) == (ssize_t)sizeof(ix->head) &&
             write(fd, ix->blocks, bytes) == (ssize_t)bytes &&
             write(fd, &sum, sizeof(sum)) == (ssize_t)sizeof(sum);
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, idx_path) < 0)
        unlink(tmp);
}

/* Reads and checks the index: its own checksum, the log it describes (size, mtime, identity,
 * edges, format, normalized) and blocks that tile the log. Returns 0, or -1 (stale, foreign or
 * damaged: rebuilt by the caller). */
static int read_index(const char *idx_path, int log_fd, int format, int normalized, Index *ix)
{
    IdxHeader now;
    FILE *f = fopen(idx_path, "rb");
    if (!f)
        return -1;
    int ok = fread(&ix->head, sizeof(ix->head), 1, f) == 1 && describe_log(log_fd, &now) == 0 &&
             !memcmp(ix->head.magic, IDX_MAGIC, 8) && ix->head.size == now.size &&
             ix->head.mtime_ns == now.mtime_ns && ix->head.dev == now.dev &&
             ix->head.ino == now.ino && ix->head.edges == now.edges &&
             ix->head.normalized == normalized && ix->head.nb_blocks <= IDX_MAX_BLOCKS &&
             (format == READER_AUTO || format == ix->head.format) &&
             ix->head.format > READER_AUTO && ix->head.format <= READER_MOT;
    uint64_t sum = 0, bytes = 0;
    if (ok) {
        ix->nb = ix->head.nb_blocks;
        ix->blocks = malloc((ix->nb ? ix->nb : 1) * sizeof(IdxBlock));
        ok = ix->blocks && fread(ix->blocks, sizeof(IdxBlock), ix->nb, f) == ix->nb &&
             fread(&sum, sizeof(sum), 1, f) == 1 && fgetc(f) == EOF &&
             sum == fnv(fnv(FNV_START, &ix->head, sizeof(ix->head)), ix->blocks,
                        ix->nb * sizeof(IdxBlock));
    }
    for (uint64_t i = 0; ok && i < ix->nb; i++) {
        ok = ix->blocks[i].offset == (int64_t)bytes && ix->blocks[i].bytes > 0 &&
             ix->blocks[i].bytes <= ix->head.size - bytes;
        bytes += ix->blocks[i].bytes;
    }
    fclose(f);
    return ok && bytes == ix->head.size ? 0 : -1;
}

/* 1 when block b may hold detections with ts in [start, end]. */
static int block_needed(const IdxBlock *b, double start, double end)
{
    return b->untimed || (!isnan(b->ts_min) && b->ts_max >= start && b->ts_min <= end);
}

/* Loads the blocks of the window through a valid index, each block checked against its hash.
 * Returns 0, a reader error, or 1 when a block no longer matches (the caller rebuilds). */
static int load_blocks(EvclipDetections *d, const char *path, int fd, const Index *ix,
                       int normalized, double start, double end)
{
    char *buf = NULL;
    size_t cap = 0;
    int ret = 0;
    for (uint64_t i = 0; i < ix->nb && ret == 0; i++) {
        const IdxBlock *b = &ix->blocks[i];
        if (!block_needed(b, start, end))
            continue;
        if (b->bytes + FAST_READER_PADDING > cap) {
            char *bigger = realloc(buf, b->bytes + FAST_READER_PADDING);
            if (!bigger) {
                ret = ev_error(EVCLIP_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            buf = bigger;
            cap = b->bytes + FAST_READER_PADDING;
        }
        memset(buf + b->bytes, ' ', FAST_READER_PADDING);
        if (pread(fd, buf, b->bytes, b->offset) != (ssize_t)b->bytes ||
            fnv(FNV_START, buf, b->bytes) != b->hash) {
            ret = 1;
            break;
        }
        ret = reader_parse_block(d, path, buf, b->bytes, cap, ix->head.format, normalized,
                                 b->first_line, b->first_ordinal);
    }
    free(buf);
    return ret;
}

/* The whole log, as reader_load(), building the index as it goes; the index is written when
 * the log was read whole and did not change meanwhile. */
static int load_and_index(EvclipDetections *d, const char *path, int fd, const char *idx_path,
                          int format, int normalized)
{
    Index ix = { .d = d };
    IdxHeader before;
    int described = describe_log(fd, &before);
    int ret = reader_load_blocks(d, path, format, normalized, note_block, &ix);
    int read_as = ix.head.format; /* set by note_block() */
    if (ret >= 0 && described == 0 && !ix.failed && read_as > READER_AUTO &&
        describe_log(fd, &ix.head) == 0 && before.size == ix.head.size &&
        before.mtime_ns == ix.head.mtime_ns && before.ino == ix.head.ino &&
        before.edges == ix.head.edges) {
        ix.head.format = read_as;
        ix.head.normalized = normalized;
        write_index(idx_path, &ix);
    }
    free(ix.blocks);
    return ret;
}

EVCLIP_API int evclip_detections_load_window(EvclipDetections *dets, const char *path,
                                             const char *format, int normalized,
                                             double start, double end)
{
    ev_error_clear();
    if (!dets || !path)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_load_window: NULL argument");
    if (detections_check_unused(dets, "evclip_detections_load_window") < 0)
        return EVCLIP_ERR_INVALID;
    if (!(start <= end))
        return ev_error(EVCLIP_ERR_INVALID, "evclip_detections_load_window: window [%g, %g] "
                        "is empty or NaN", start, end);
    int f = reader_format_from_name(format);
    if (f < 0)
        return f;
    normalized = !!normalized;
    char idx_path[4096];
    if (snprintf(idx_path, sizeof(idx_path), "%s.evidx", path) >= (int)sizeof(idx_path))
        return reader_load(dets, path, f, normalized);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return reader_load(dets, path, f, normalized); /* its message says why */
    size_t count = detections_count(dets);
    EvclipDetectionStats stats;
    evclip_detections_get_stats(dets, &stats);
    Index ix = { .d = dets };
    int ret = 1;
    if (read_index(idx_path, fd, f, normalized, &ix) == 0)
        ret = load_blocks(dets, path, fd, &ix, normalized, start, end);
    free(ix.blocks);
    if (ret == 1) { /* no usable index: read everything once, and index it */
        detections_truncate(dets, count, stats.skipped);
        ret = load_and_index(dets, path, fd, idx_path, f, normalized);
    }
    close(fd);
    if (ret >= 0) {
        detections_shrink(dets);
        ret = detections_note_file(dets, path);
    }
    if (ret < 0)
        detections_truncate(dets, count, stats.skipped);
    return ret < 0 ? ret : 0;
}
