/* warnings.h: warnings of a clip that rendered but may be wrong (no detection in the window,
 * boxes outside the frame, a log for another size, sparse logs...), found once per clip. */
#ifndef EVCLIP_SRC_WARNINGS_H
#define EVCLIP_SRC_WARNINGS_H

#include <stdint.h>

#include "evclip/evclip.h"
#include "src/detections.h"
#include "src/error.h"
#include "src/log.h"

/* What one segment's frames inside its window were matched with. */
typedef struct WindowCheck {
    int64_t frames;            /* window frames seen */
    int64_t hit_frames;        /* of them, frames with at least one matched detection */
    int64_t first_hit, last_hit; /* window frame number of the first / last hit; -1 = none */
    int64_t boxes;             /* matched boxes on window frames */
    int64_t outside;           /* of them, boxes reaching outside the frame */
    EvclipDetection first_out; /* the first such box, in pixels (label owned by the store) */
    double first_out_time;     /* source time of its frame */
    int64_t idx_lo, idx_hi;    /* presentation indexes of the first / last window frame, or -1 */
    int width, height;         /* source frame size as displayed (boxes are in this space) */
    int orient;                /* display orientation of the source (ORIENT_* bits) */
    int stored_width, stored_height; /* source frame size as stored */
    int box_space;             /* enum EvclipBoxSpace the log's boxes were read in */
    double rotation;           /* clockwise degrees of the display matrix; NAN = none */
    int rotation_odd;          /* 1: not a multiple of 90 (snapped to the nearest) */
} WindowCheck;

/* Appends one warning line to res (kept once; counted in nb_warnings even when the buffer
 * is full) and logs it at WARNING level as "'output': text". */
void warnings_add(EvclipResult *res, const Logger *log, const char *output, const char *fmt,
                  ...) EV_PRINTF(4, 5);

/* Adds the store's skipped-box count and its reader warnings (unknown keys...). */
void warnings_from_store(const EvclipDetections *d, EvclipResult *res, const Logger *log,
                         const char *output);

void window_check_reset(WindowCheck *w);

/* Notes the source's display orientation, stored size and the clip's box space (after reset):
 * the finished check warns when the boxes fit the frame of the other box space only. */
void window_check_orient(WindowCheck *w, int orient, int stored_width, int stored_height,
                         int box_space, double rotation, int rotation_odd);

/* Notes one window frame at source time t (presentation index idx or -1) with the detections
 * matched to it, in pixels of its width x height frame. */
void window_check_frame(WindowCheck *w, const DetList *matched, double t, int64_t idx,
                        int width, int height);

/* Adds the warnings of a finished segment: source `src` with store `d` (may be NULL), its
 * window [start, end) and the hold in seconds. */
void window_check_finish(const WindowCheck *w, const EvclipSource *src,
                         const EvclipDetections *d, double start, double end, double hold,
                         EvclipResult *res, const Logger *log, const char *output);

#endif /* EVCLIP_SRC_WARNINGS_H */
