/* log.c: delivers library messages to the user's callback; FFmpeg's av_log when asked. */
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>

#include "src/log.h"

static void deliver(const Logger *log, int level, char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (n > 0)
        log->callback(log->opaque, level, line);
}

void ev_log(const Logger *log, int level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    if (!log || !log->callback || level > log->level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    deliver(log, level, line);
}

/* FFmpeg's log callback is process-wide: installed only when a renderer opts in
 * (EvclipSettings.ffmpeg_log). Each thread's messages go to the logger of the render running
 * on it; messages of FFmpeg's own worker threads go to `fallback`, the logger of the last
 * opted-in render, until its renderer closes (ev_log_release takes the write lock, so it waits
 * for a delivery in progress and no message reaches a closed renderer); with none, to
 * FFmpeg's default callback, as if evclip had not installed its own. */
static _Thread_local const Logger *thread_logger;
static pthread_rwlock_t fallback_lock = PTHREAD_RWLOCK_INITIALIZER;
static const Logger *fallback;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static _Thread_local int thread_demoted;

static int map_level(int av_level)
{
    if (av_level <= AV_LOG_ERROR)
        return EVCLIP_LOG_ERROR;
    if (av_level <= AV_LOG_WARNING)
        return EVCLIP_LOG_WARNING;
    if (av_level <= AV_LOG_INFO)
        return EVCLIP_LOG_DEBUG; /* FFmpeg's info is chatty: it is our debug */
    return EVCLIP_LOG_DEBUG + 1;
}

/* 1 when avcl is a decoder: its complaints (references missing after a seek, the cut start
 * of a recording) are expected while seeking; damage is counted by source.c instead. */
static int from_decoder(void *avcl)
{
    const AVClass *cls = avcl ? *(const AVClass **)avcl : NULL;
    if (!cls)
        return 0;
    AVClassCategory cat = cls->get_category ? cls->get_category(avcl) : cls->category;
    return cat == AV_CLASS_CATEGORY_DECODER;
}

static void deliver_ffmpeg(const Logger *log, void *avcl, int av_level, const char *fmt,
                           va_list vl)
{
    int level = map_level(av_level);
    if (level < EVCLIP_LOG_DEBUG && av_level > AV_LOG_FATAL && from_decoder(avcl))
        level = EVCLIP_LOG_DEBUG;
    if (thread_demoted && level < EVCLIP_LOG_DEBUG)
        level = EVCLIP_LOG_DEBUG;
    if (!log->callback || level > log->level)
        return;
    char line[1024], prefixed[1100];
    int print_prefix = 1;
    av_log_format_line(avcl, av_level, fmt, vl, line, sizeof(line), &print_prefix);
    snprintf(prefixed, sizeof(prefixed), "ffmpeg: %s", line);
    deliver(log, level, prefixed);
}

static void ffmpeg_callback(void *avcl, int av_level, const char *fmt, va_list vl)
{
    if (thread_logger) {
        deliver_ffmpeg(thread_logger, avcl, av_level, fmt, vl);
        return;
    }
    pthread_rwlock_rdlock(&fallback_lock);
    const Logger *log = fallback;
    if (log)
        deliver_ffmpeg(log, avcl, av_level, fmt, vl);
    pthread_rwlock_unlock(&fallback_lock);
    if (!log)
        av_log_default_callback(avcl, av_level, fmt, vl);
}

static void install(void)
{
    av_log_set_callback(ffmpeg_callback);
}

void ev_log_capture_ffmpeg(const Logger *log)
{
    if (log && !log->ffmpeg)
        log = NULL;
    thread_logger = log;
    if (!log)
        return;
    pthread_rwlock_wrlock(&fallback_lock);
    fallback = log;
    pthread_rwlock_unlock(&fallback_lock);
    pthread_once(&install_once, install);
}

void ev_log_demote_ffmpeg(int on)
{
    thread_demoted = on;
}

void ev_log_release(const Logger *log)
{
    if (thread_logger == log)
        thread_logger = NULL;
    pthread_rwlock_wrlock(&fallback_lock);
    if (fallback == log)
        fallback = NULL;
    pthread_rwlock_unlock(&fallback_lock);
}
