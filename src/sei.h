/* sei.h: per-frame detections carried as H.264 SEI user-data-unregistered messages. */
#ifndef EVCLIP_SRC_SEI_H
#define EVCLIP_SRC_SEI_H

#include <libavutil/frame.h>

#include "evclip/evclip.h"

/* Attaches the detections drawn on `frame` (source-space boxes, as drawn) and the frame's
 * source time and source index (position in the clip's source list) as
 * AV_FRAME_DATA_SEI_UNREGISTERED side data with evclip's UUID. Returns 0 or NOMEM. */
int sei_attach(AVFrame *frame, const EvclipDetection *dets, int n, double source_time,
               int source_index);

#endif /* EVCLIP_SRC_SEI_H */
