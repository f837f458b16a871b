/* mux.c: MP4 writing (faststart) into a temp file beside the output, published atomically. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "src/error.h"
#include "src/mux.h"

/* Refuses a name whose extension FFmpeg knows as another container: evclip always writes MP4,
 * so "clip.mkv" would be an MP4 file that lies about its format. Unknown extensions pass. */
static int check_container(const char *path)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash))
        return 0;
    const AVOutputFormat *f = av_guess_format(NULL, path, NULL);
    if (!f || !strcmp(f->name, "mp4") || !strcmp(f->name, "ipod") || !strcmp(f->name, "mov"))
        return 0;
    return ev_error(EVCLIP_ERR_INVALID, "output '%s': '%s' is the %s container, but evclip "
                    "writes MP4 only: name the output .mp4", path, dot, f->name);
}

int mux_check(const char *path, int overwrite)
{
    struct stat st;
    if (!path || !*path)
        return ev_error(EVCLIP_ERR_INVALID, "output path is empty");
    int bad = check_container(path);
    if (bad < 0)
        return bad;
    char *copy = strdup(path);
    if (!copy)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    const char *dir = dirname(copy);
    int ok = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    int ret = ok ? 0 : ev_error(EVCLIP_ERR_OUTPUT, "output directory '%s' does not exist", dir);
    free(copy);
    if (ret < 0)
        return ret;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return ev_error(EVCLIP_ERR_OUTPUT, "output '%s' is a directory", path);
        if (!overwrite)
            return ev_error(EVCLIP_ERR_EXISTS, "output '%s' already exists (overwrite is off)",
                            path);
    }
    return 0;
}

/* Creates "<dir>/.<name>.<random>.evclip-tmp" exclusively (mode 0666 & ~umask). */
static int create_temp(Mux *m)
{
    char *copy = strdup(m->path), *copy2 = strdup(m->path);
    size_t size = strlen(m->path) + 64;
    m->temp = malloc(size);
    int ret = copy && copy2 && m->temp ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    for (int attempt = 0; ret == 0 && attempt < 100; attempt++) {
        unsigned tag = (unsigned)getpid() * 2654435761u ^ (unsigned)clock() ^
                       (unsigned)time(NULL) ^ (unsigned)attempt * 40503u ^
                       (unsigned)(uintptr_t)m;
        snprintf(m->temp, size, "%s/.%s.%08x.evclip-tmp", dirname(copy), basename(copy2), tag);
        int fd = open(m->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            close(fd);
            break;
        }
        if (errno != EEXIST)
            ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot create a file beside output '%s': %s",
                           m->path, strerror(errno));
        else if (attempt == 99)
            ret = ev_error(EVCLIP_ERR_OUTPUT, "cannot create a temp file beside '%s'",
                           m->path);
    }
    free(copy);
    free(copy2);
    if (ret < 0) {
        free(m->temp);
        m->temp = NULL;
    }
    return ret;
}

int mux_open(Mux **out, const char *path, int overwrite)
{
    int ret;

    *out = NULL;
    if (!path || !*path)
        return ev_error(EVCLIP_ERR_INVALID, "output path is empty");
    if ((ret = mux_check(path, overwrite)) < 0)
        return ret;
    Mux *m = calloc(1, sizeof(*m));
    if (!m || !(m->path = strdup(path))) {
        free(m);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    m->overwrite = overwrite;
    if ((ret = create_temp(m)) < 0) {
        mux_close(&m);
        return ret;
    }
    ret = avformat_alloc_output_context2(&m->fmt, NULL, "mp4", m->temp);
    if (ret < 0) {
        mux_close(&m);
        return ev_error_av(ret, EVCLIP_ERR_OUTPUT, "output '%s'", path);
    }
    *out = m;
    return 0;
}

AVStream *mux_add_stream(Mux *m)
{
    AVStream *st = avformat_new_stream(m->fmt, NULL);
    if (!st)
        ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    return st;
}

int mux_start(Mux *m)
{
    AVDictionary *opts = NULL;
    int ret = avio_open(&m->fmt->pb, m->temp, AVIO_FLAG_WRITE);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_OUTPUT, "output '%s'", m->path);
    av_dict_set(&opts, "movflags", "+faststart", 0);
    ret = avformat_write_header(m->fmt, &opts);
    av_dict_free(&opts);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_OUTPUT, "output '%s': writing header", m->path);
    m->started = 1;
    return 0;
}

int mux_write(Mux *m, AVPacket *packet)
{
    int ret = av_interleaved_write_frame(m->fmt, packet);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_OUTPUT, "output '%s': writing", m->path);
    return 0;
}

static int sync_path(const char *path, int directory)
{
    int fd = open(path, (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int ret = fsync(fd);
    close(fd);
    return ret;
}

static int publish(Mux *m)
{
    if (m->overwrite) {
        if (rename(m->temp, m->path) != 0)
            return ev_error(EVCLIP_ERR_OUTPUT, "output '%s': rename failed: %s", m->path,
                            strerror(errno));
        return 0;
    }
    /* link() refuses to replace a file that appeared meanwhile: no silent overwrite. */
    if (link(m->temp, m->path) == 0) {
        unlink(m->temp);
        return 0;
    }
    if (errno == EEXIST)
        return ev_error(EVCLIP_ERR_EXISTS, "output '%s' appeared while rendering "
                        "(overwrite is off)", m->path);
    if (access(m->path, F_OK) == 0)
        return ev_error(EVCLIP_ERR_EXISTS, "output '%s' already exists", m->path);
    if (rename(m->temp, m->path) != 0)
        return ev_error(EVCLIP_ERR_OUTPUT, "output '%s': rename failed: %s", m->path,
                        strerror(errno));
    return 0;
}

int mux_commit(Mux *m)
{
    int ret = av_write_trailer(m->fmt);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_OUTPUT, "output '%s': finishing file", m->path);
    ret = avio_closep(&m->fmt->pb);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_OUTPUT, "output '%s': closing file", m->path);
    if (sync_path(m->temp, 0) != 0)
        return ev_error(EVCLIP_ERR_OUTPUT, "output '%s': sync failed: %s", m->path,
                        strerror(errno));
    if ((ret = publish(m)) < 0)
        return ret;
    m->committed = 1;
    char *copy = strdup(m->path);
    if (copy)
        sync_path(dirname(copy), 1);
    free(copy);
    return 0;
}

void mux_close(Mux **pm)
{
    if (!pm || !*pm)
        return;
    Mux *m = *pm;
    if (m->fmt) {
        if (m->fmt->pb)
            avio_closep(&m->fmt->pb);
        avformat_free_context(m->fmt);
    }
    if (m->temp && !m->committed)
        unlink(m->temp);
    free(m->temp);
    free(m->path);
    free(m);
    *pm = NULL;
}
