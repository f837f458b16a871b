/* source_file.c: a local source file read through one open descriptor (custom AVIOContext),
 * hashed through that descriptor and checked for changes at the end of its use. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/mem.h>

#include "src/error.h"
#include "src/manifest.h"
#include "src/source_file.h"

#define IO_BUFFER 65536

int source_file_open(SourceFile **out, const char *path)
{
    struct stat st;
    *out = NULL;
    if (strstr(path, "://"))
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0; /* FFmpeg reports the error (or reads a protocol we do not know) */
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    SourceFile *f = calloc(1, sizeof(*f));
    if (!f || !(f->path = strdup(path))) {
        free(f);
        close(fd);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    f->fd = fd;
    f->st = st;
    *out = f;
    return 0;
}

void source_file_close(SourceFile **pf)
{
    if (!pf || !*pf)
        return;
    close((*pf)->fd);
    free((*pf)->path);
    free(*pf);
    *pf = NULL;
}

/* One reader's position on the shared descriptor (pread never moves the descriptor's). */
typedef struct Reader {
    SourceFile *f;
    int64_t pos;
} Reader;

static int read_cb(void *opaque, uint8_t *buf, int size)
{
    Reader *r = opaque;
    ssize_t n;
    do
        n = pread(r->f->fd, buf, (size_t)size, (off_t)r->pos);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return AVERROR(errno);
    if (n == 0)
        return AVERROR_EOF;
    r->pos += n;
    return (int)n;
}

static int64_t seek_cb(void *opaque, int64_t offset, int whence)
{
    Reader *r = opaque;
    struct stat st;
    int64_t base = 0;
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE || whence == SEEK_END) {
        if (fstat(r->f->fd, &st) < 0)
            return AVERROR(errno);
        if (whence == AVSEEK_SIZE)
            return (int64_t)st.st_size;
        base = (int64_t)st.st_size;
    } else if (whence == SEEK_CUR) {
        base = r->pos;
    } else if (whence != SEEK_SET) {
        return AVERROR(EINVAL);
    }
    if (base + offset < 0)
        return AVERROR(EINVAL);
    r->pos = base + offset;
    return r->pos;
}

int source_file_avio(SourceFile *f, AVIOContext **out)
{
    Reader *r = av_mallocz(sizeof(*r));
    unsigned char *buf = av_malloc(IO_BUFFER);
    *out = NULL;
    if (r && buf) {
        r->f = f;
        *out = avio_alloc_context(buf, IO_BUFFER, 0, r, read_cb, NULL, seek_cb);
    }
    if (!*out) {
        av_free(r);
        av_free(buf);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    return 0;
}

void source_file_avio_free(AVIOContext **pb)
{
    if (!pb || !*pb)
        return;
    av_freep(&(*pb)->opaque);
    av_freep(&(*pb)->buffer);
    avio_context_free(pb);
}

/* The whole file is hashed sequentially through the descriptor rather than hashing the
 * (non-sequential, partly repeated) reads of the demuxer as they happen: the manifest
 * certifies the whole file, which verify --sources re-hashes. Reading the same open file
 * that was decoded, plus source_file_check() afterwards (no write since opening, the path
 * still naming that file), makes the hashed bytes the decoded bytes. */
int source_file_hash(SourceFile *f)
{
    if (f->hashed)
        return 0;
    int ret = manifest_hash_fd(f->fd, f->path, f->sha256, &f->size);
    if (ret < 0)
        return ret;
    f->hashed = 1;
    return 0;
}

int source_file_check(const SourceFile *f)
{
    struct stat now, at_path;
    if (fstat(f->fd, &now) < 0)
        return ev_error(EVCLIP_ERR_INPUT, "input '%s': cannot check it: %s", f->path,
                        strerror(errno));
    if (now.st_size != f->st.st_size || now.st_mtim.tv_sec != f->st.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec)
        return ev_error(EVCLIP_ERR_INPUT, "input '%s' was modified while rendering (size or "
                        "modification time changed): no clip is written", f->path);
    if (stat(f->path, &at_path) < 0)
        return ev_error(EVCLIP_ERR_INPUT, "input '%s' was removed or renamed while rendering: "
                        "no clip is written", f->path);
    if (at_path.st_dev != f->st.st_dev || at_path.st_ino != f->st.st_ino)
        return ev_error(EVCLIP_ERR_INPUT, "input '%s' was replaced by another file while "
                        "rendering: no clip is written", f->path);
    return 0;
}
