/* log.h: the library's logger; messages go to the settings' callback, never to stdio. */
#ifndef EVCLIP_SRC_LOG_H
#define EVCLIP_SRC_LOG_H

#include "evclip/evclip.h"
#include "src/error.h"

typedef struct Logger {
    EvclipLogCallback callback;
    void *opaque;
    int level;
    int ffmpeg;   /* 1 = FFmpeg's messages are routed here (EvclipSettings.ffmpeg_log) */
} Logger;

/* Formats and delivers one message if `level` is enabled. `log` may be NULL (drops). */
void ev_log(const Logger *log, int level, const char *fmt, ...) EV_PRINTF(3, 4);

/* Routes FFmpeg's av_log output of the calling thread to `log` when log->ffmpeg (NULL, or
 * log->ffmpeg 0: the thread stops routing). The callback is installed once per process, by
 * the first logger that opts in; FFmpeg messages of other threads go to the last logger set
 * until ev_log_release(), then to FFmpeg's default callback. */
void ev_log_capture_ffmpeg(const Logger *log);

/* While on (non-zero), FFmpeg messages of the calling thread are delivered at debug level:
 * for probing that is expected to fail (encoder auto trying hardware encoders). */
void ev_log_demote_ffmpeg(int on);

/* Forgets `log` (call before freeing it): waits for a message being delivered to it, after
 * which FFmpeg messages never reach it. */
void ev_log_release(const Logger *log);

#endif /* EVCLIP_SRC_LOG_H */
