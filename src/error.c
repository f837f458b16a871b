/* error.c: error code table, per-thread detail messages and FFmpeg error translation. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>

#include "src/error.h"

static _Thread_local char detail[1024];

static const char *const messages[] = {
    [0] = "success",
    [-EVCLIP_ERR_INVALID] = "invalid argument",
    [-EVCLIP_ERR_NOMEM] = "out of memory",
    [-EVCLIP_ERR_INPUT] = "input missing, unreadable or not a video",
    [-EVCLIP_ERR_NO_VIDEO] = "input has no video stream",
    [-EVCLIP_ERR_DETECTIONS] = "detection log unreadable or malformed",
    [-EVCLIP_ERR_WINDOW] = "window empty or outside the video",
    [-EVCLIP_ERR_OUTPUT] = "output not writable",
    [-EVCLIP_ERR_EXISTS] = "output exists",
    [-EVCLIP_ERR_ENCODER] = "encoder failed",
    [-EVCLIP_ERR_DECODE] = "decoding failed",
    [-EVCLIP_ERR_FONT] = "font not found or not loadable",
    [-EVCLIP_ERR_CANCELED] = "cancelled",
    [-EVCLIP_ERR_UNSUPPORTED] = "not supported",
    [-EVCLIP_ERR_INTERNAL] = "internal error",
};

const char *evclip_strerror(int code)
{
    if (code > 0 || -code >= (int)(sizeof(messages) / sizeof(messages[0])))
        return "unknown error";
    return messages[-code];
}

const char *evclip_last_error(void)
{
    return detail;
}

int ev_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return code;
}

int ev_error_wrap(int code, const char *fmt, ...)
{
    char cause[sizeof(detail)], prefix[512];
    va_list ap;
    memcpy(cause, detail, sizeof(cause));
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (*cause)
        snprintf(detail, sizeof(detail), "%s: %s", prefix, cause);
    else
        snprintf(detail, sizeof(detail), "%s", prefix);
    return code;
}

void ev_error_clear(void)
{
    detail[0] = '\0';
}

const char *ev_error_message(void)
{
    return detail;
}

int ev_error_av(int averr, int fallback, const char *fmt, ...)
{
    char what[512], why[AV_ERROR_MAX_STRING_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    av_strerror(averr, why, sizeof(why));
    int code = fallback;
    if (averr == AVERROR(ENOMEM))
        code = EVCLIP_ERR_NOMEM;
    else if (averr == AVERROR_EXIT)
        code = EVCLIP_ERR_CANCELED;
    return ev_error(code, "%s: %s", what, why);
}
