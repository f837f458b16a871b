/* error.h: evclip's error codes with a per-thread detail message; FFmpeg errors translated here. */
#ifndef EVCLIP_SRC_ERROR_H
#define EVCLIP_SRC_ERROR_H

#include "evclip/evclip.h"

#if defined(__GNUC__)
#define EV_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EV_PRINTF(a, b)
#endif

/* Records the detail message for `code` in this thread and returns `code`. */
int ev_error(int code, const char *fmt, ...) EV_PRINTF(2, 3);

/* Records "<formatted prefix>: <this thread's current detail>" as the detail for `code` (the
 * current detail is copied first, never formatted into itself). Returns `code`. */
int ev_error_wrap(int code, const char *fmt, ...) EV_PRINTF(2, 3);

/* Clears this thread's detail message. */
void ev_error_clear(void);

/* This thread's detail message ("" when none). */
const char *ev_error_message(void);

/* Translates an FFmpeg AVERROR to an evclip code `fallback` (ENOMEM -> NOMEM, EXIT -> CANCELED),
 * recording "what: ffmpeg's text" as detail. Returns the evclip code. */
int ev_error_av(int averr, int fallback, const char *fmt, ...) EV_PRINTF(3, 4);

#endif /* EVCLIP_SRC_ERROR_H */
