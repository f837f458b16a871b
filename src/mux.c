/* mux.c: MP4 writing (faststart) into a temp file beside the output, published atomically. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
    return mux_check_as(path, overwrite, "mp4");
}

int mux_check_as(const char *path, int overwrite, const char *format)
{
    struct stat st;
    if (!path || !*path)
        return ev_error(EVCLIP_ERR_INVALID, "output path is empty");
    int bad = strcmp(format, "mp4") ? 0 : check_container(path);
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

/* 1 when a temp file named ".<name>.<pid>-<tag>.evclip-tmp" was left by a dead run: its
 * process is gone and nobody holds its lock (a live writer holds an flock on it, so a reused
 * pid or another host's writer on a shared directory is never mistaken for a dead one). */
static int stale_temp(int dirfd, const char *name)
{
    size_t n = strlen(name), suffix = strlen(".evclip-tmp");
    if (name[0] != '.' || n <= suffix || strcmp(name + n - suffix, ".evclip-tmp"))
        return 0;
    const char *dot = name + n - suffix;
    const char *field = dot;
    while (field > name && field[-1] != '.')
        field--;
    long pid = 0;
    unsigned tag;
    char end;
    if (sscanf(field, "%ld-%x%c", &pid, &tag, &end) != 3 || end != '.' || pid <= 0)
        return 0; /* not ours, or written by an older version: leave it */
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
        return 0;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    int free_lock = flock(fd, LOCK_EX | LOCK_NB) == 0;
    close(fd);
    return free_lock;
}

void mux_clean_stale(const char *dir_path, const Logger *log)
{
    DIR *dir = opendir(dir_path);
    struct dirent *e;
    if (!dir)
        return;
    while ((e = readdir(dir))) {
        if (stale_temp(dirfd(dir), e->d_name) && unlinkat(dirfd(dir), e->d_name, 0) == 0)
            ev_log(log, EVCLIP_LOG_INFO, "removed '%s/%s', left by a run that was killed",
                   dir_path, e->d_name);
    }
    closedir(dir);
}

/* Creates "<dir>/.<name>.<pid>-<random>.evclip-tmp" exclusively (mode 0666 & ~umask) and
 * keeps it locked (flock) until the Mux is closed: see stale_temp(). */
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
        snprintf(m->temp, size, "%s/.%s.%ld-%08x.evclip-tmp", dirname(copy), basename(copy2),
                 (long)getpid(), tag);
        int fd = open(m->temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            flock(fd, LOCK_EX);
            m->lock_fd = fd;
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
    return mux_open_as(out, path, overwrite, "mp4");
}

int mux_open_as(Mux **out, const char *path, int overwrite, const char *format)
{
    int ret;

    *out = NULL;
    if (!path || !*path)
        return ev_error(EVCLIP_ERR_INVALID, "output path is empty");
    if ((ret = mux_check_as(path, overwrite, format)) < 0)
        return ret;
    Mux *m = calloc(1, sizeof(*m));
    if (!m || !(m->path = strdup(path))) {
        free(m);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    m->overwrite = overwrite;
    m->lock_fd = -1;
    if ((ret = create_temp(m)) < 0) {
        mux_close(&m);
        return ret;
    }
    ret = avformat_alloc_output_context2(&m->fmt, NULL, format, m->temp);
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
    if (!strcmp(m->fmt->oformat->name, "mp4"))
        av_dict_set(&opts, "movflags", "+faststart", 0);
    else if (!strcmp(m->fmt->oformat->name, "matroska"))
        av_dict_set(&opts, "cues_to_front", "1", 0); /* Matroska's faststart */
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

int mux_complete(Mux *m)
{
    if (m->completed)
        return 0;
    int ret = av_write_trailer(m->fmt);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_OUTPUT, "output '%s': finishing file", m->path);
    ret = avio_closep(&m->fmt->pb);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_OUTPUT, "output '%s': closing file", m->path);
    if (sync_path(m->temp, 0) != 0)
        return ev_error(EVCLIP_ERR_OUTPUT, "output '%s': sync failed: %s", m->path,
                        strerror(errno));
    m->completed = 1;
    return 0;
}

int mux_publish(Mux *m)
{
    int ret;
    if ((ret = publish(m)) < 0)
        return ret;
    m->committed = 1;
    char *copy = strdup(m->path);
    if (copy)
        sync_path(dirname(copy), 1);
    free(copy);
    return 0;
}

int mux_commit(Mux *m)
{
    int ret = mux_complete(m);
    return ret < 0 ? ret : mux_publish(m);
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
    if (m->lock_fd >= 0)
        close(m->lock_fd);
    free(m->temp);
    free(m->path);
    free(m);
    *pm = NULL;
}
