/* log.c: delivers library messages to the user's callback; captures FFmpeg's av_log too. */
#include <stdarg.h>
#include <stdatomic.h>
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

/* FFmpeg's log callback is process-wide; route each thread's messages to the logger of the
 * render running on it, and messages of FFmpeg's own worker threads to the last one set. */
static _Thread_local const Logger *thread_logger;
static _Atomic(const Logger *) last_logger;
static atomic_flag installed = ATOMIC_FLAG_INIT;
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

static void ffmpeg_callback(void *avcl, int av_level, const char *fmt, va_list vl)
{
    const Logger *log = thread_logger ? thread_logger : atomic_load(&last_logger);
    int level = map_level(av_level);
    if (level < EVCLIP_LOG_DEBUG && av_level > AV_LOG_FATAL && from_decoder(avcl))
        level = EVCLIP_LOG_DEBUG;
    char line[1024];

    if (thread_demoted && level < EVCLIP_LOG_DEBUG)
        level = EVCLIP_LOG_DEBUG;
    int print_prefix = 1;

    if (!log || !log->callback || level > log->level)
        return;
    av_log_format_line(avcl, av_level, fmt, vl, line, sizeof(line), &print_prefix);
    char prefixed[1100];
    snprintf(prefixed, sizeof(prefixed), "ffmpeg: %s", line);
    deliver(log, level, prefixed);
}

void ev_log_capture_ffmpeg(const Logger *log)
{
    thread_logger = log;
    if (log)
        atomic_store(&last_logger, log);
    if (!atomic_flag_test_and_set(&installed))
        av_log_set_callback(ffmpeg_callback);
}

void ev_log_demote_ffmpeg(int on)
{
    thread_demoted = on;
}

void ev_log_release(const Logger *log)
{
    const Logger *expected = log;
    if (thread_logger == log)
        thread_logger = NULL;
    atomic_compare_exchange_strong(&last_logger, &expected, NULL);
}
