/* redact_log.h: a clip's separate redaction detection log (--redact-detections): loaded and
 * hashed once, its boxes held like drawn boxes, looked up per frame. */
#ifndef EVCLIP_SRC_REDACT_LOG_H
#define EVCLIP_SRC_REDACT_LOG_H

#include "src/detections.h"

typedef struct RedactLog {
    EvclipDetections *store; /* NULL when the clip has no redaction log */
    char *path;
    char sha256[65];         /* of the bytes loaded (checked unchanged across the load) */
    int64_t size;
    int use_index;           /* keyed by frame_idx */
    HoldState hold;
    DetList matched, visible;
} RedactLog;

/* Loads `path` (format guessed, as render -d) into l and hashes it; the file must not change
 * during the load (DETECTIONS otherwise). Returns 0 or a negative code (DETECTIONS, INPUT,
 * NOMEM) with the path in the message. */
int redact_log_open(RedactLog *l, const char *path);

/* Starts a segment (or a restarted lead-in): hold state cleared, store prepared. */
int redact_log_begin(RedactLog *l, double hold);

void redact_log_close(RedactLog *l);

#endif /* EVCLIP_SRC_REDACT_LOG_H */
