/* interpolate.h: boxes of a track interpolated linearly on the frames between two of its
 * detections (EvclipDrawOptions.interpolate), for detectors run on every Nth frame. */
#ifndef EVCLIP_SRC_INTERPOLATE_H
#define EVCLIP_SRC_INTERPOLATE_H

#include "src/detections.h"

/* Most seconds between the two detections of an interpolation (EvclipDrawOptions). */
#define INTERPOLATE_MAX_GAP 60.0

/* The frame being matched and how to find the time of a frame_idx key. */
typedef struct InterpolateFrame {
    const EvclipDetections *d;  /* prepared store */
    double gap;                 /* most seconds between the two detections (> 0) */
    int64_t index;              /* the frame's presentation index, or -1 when unknown */
    double time;                /* the frame's time on its source's timeline, seconds */
    double ts_shift;            /* added to source times to compare with ts keys */
    double wall_epoch;          /* wall-clock time of source time 0 (epoch seconds), to time
                                 * wallclock-keyed detections; NAN = unknown (not used) */
    double frame_period;        /* nominal seconds per frame (frame_idx windows) */
    double (*index_time)(void *opaque, int64_t index); /* time of frame `index`, or NAN */
    void *opaque;
    int width, height;          /* frame size for normalised boxes */
} InterpolateFrame;

/*
 * Appends to `matched` (the frame's own boxes) one box for every track (track_id >= 0) that
 * has no box on this frame but has a detection before it and one after it at most f->gap
 * seconds apart: corners, and the score when both have one, linear in time between the two
 * (label, colour and track of the earlier one). Detections keyed by wallclock take part,
 * timed through f->wall_epoch, when it is known. Untracked boxes are never interpolated.
 * `scratch` is a caller's list reused between frames. Returns the number of boxes appended
 * (they are the last ones of matched) or a negative code (NOMEM).
 */
int interpolate_frame(const InterpolateFrame *f, DetList *matched, DetList *scratch);

#endif /* EVCLIP_SRC_INTERPOLATE_H */
