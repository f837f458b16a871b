/* sei.h: per-frame detections carried as H.264 SEI user-data-unregistered messages. */
#ifndef EVCLIP_SRC_SEI_H
#define EVCLIP_SRC_SEI_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "evclip/evclip.h"

/*
 * Payload of an evclip SEI message (H.264 SEI payload type 5, user data unregistered).
 * All integers and floats are big-endian; floats are IEEE 754.
 *
 *   uuid            16 bytes  SEI_UUID below (identifies evclip's messages)
 *   version          u8       1
 *   flags            u8       bit 0: the frame's wall time ends the message (below);
 *                             other bits 0 (reserved)
 *   source_index     u16      position of the frame's source in the clip's source list
 *   source_time      f64      seconds of the frame on its source's timeline
 *   count            u16      number of detections that follow (at most SEI_MAX_DETECTIONS)
 *   count times:
 *     flags          u8       bit 0: coordinates normalised (0..1); bit 1: colour follows;
 *                             bit 2: score present; bit 3: track id present; bit 4: long
 *                             label (label_len is a u16);
 *                             bit 5: the box's pixels were redacted (EVCLIP_BOX_REDACTED);
 *                             bit 6: interpolated box (EVCLIP_BOX_INTERPOLATED); bits 5-6
 *                             change no layout, so readers that predate them still read
 *                             every message (they ignore those bits); bit 7: a polygon of
 *                             the box follows in the polygon block
 *     x1, y1, x2, y2 f32 x 4  box as drawn, source frame pixels (or fractions, bit 0)
 *     score          f32      only with bit 2
 *     track_id       i64      only with bit 3
 *     color          u8 x 3   B, G, R, only with bit 1
 *     label_len      u8       bytes of label (UTF-8, whole); a u16 with flags bit 4, which
 *                             writers set only for labels longer than 255 bytes (so short
 *                             labels read as before bit 4 existed)
 *     label          label_len bytes, no terminator
 *   polygon block (after the detections), for each detection with flags bit 7, in order:
 *     nb_points      u16      3..65535
 *     points         f32 x 2 x nb_points: x, y of each point, in the box's space; the box is
 *                             the polygon's bounding box
 *   Bit 7 and the block change nothing before them: readers that predate them ignore bit 7
 *   and the block (trailing bytes), and read every box.
 *   wall_time        f64      only with header flags bit 0: the frame's wall-clock time,
 *                             seconds since 1970-01-01 UTC (its source's origin + source
 *                             time), after the polygon block; readers that predate it skip it
 *                             as trailing bytes
 *
 * Readers ignore trailing bytes (room for later fields) and reject versions they do not know.
 */
#define SEI_VERSION 1
#define SEI_MAX_DETECTIONS 4096
#define SEI_MAX_LABEL 65535 /* bytes; a longer label fails sei_encode (never cut silently) */
/* A frame with more boxes carries several messages of at most SEI_MAX_DETECTIONS each, in
 * order, with the same source index and time; readers concatenate them (the frame's boxes are
 * all of its messages' boxes). */
extern const uint8_t SEI_UUID[16];
/* Internal mark of get_det(): flags bit 7 seen (cleared once the polygon block is read). */
#define MARK_POLYGON 0x80

/* One decoded SEI message. Labels point into `strings`, owned with `dets`. */
typedef struct SeiFrame {
    int source_index;
    double source_time;
    EvclipDetection *dets;
    uint8_t *marks;       /* count entries: EVCLIP_BOX_* bits of each box */
    int *nb_points;       /* count entries: points of each box's polygon, 0 = none */
    const float **points; /* count entries: 2 * nb_points x, y floats (in strings), or NULL */
    int count;
    char *strings;
    char **more_strings;  /* label storage of continuation messages (see sei_find_avcc) */
    int nb_more;
    int has_wall;         /* 1: wall_time was carried (header flags bit 0) */
    double wall_time;     /* the frame's wall-clock time, epoch seconds */
} SeiFrame;

void sei_frame_free(SeiFrame *f);

/* `marks` (NULL = none): per detection, EVCLIP_BOX_* bits written as flag bits 5-6.
 * Labels are carried whole (a u16 length, flag bit 4, above 255 bytes).
 * Serialises a payload (uuid included) into a malloc'ed buffer. Returns 0, INVALID (more than
 * SEI_MAX_DETECTIONS detections, or a label longer than SEI_MAX_LABEL bytes: the message names
 * it) or NOMEM. */
int sei_encode(const EvclipDetection *dets, const uint8_t *marks, int n, double source_time,
               int source_index, double wall_time, uint8_t **out, size_t *size);

/* Parses a payload (uuid included). Returns 1 and fills *f (free with sei_frame_free), 0 when
 * it is not an evclip message, or INVALID when it is evclip's but malformed. */
int sei_decode(const uint8_t *data, size_t size, SeiFrame *f);

/* Scans one H.264 access unit in AVCC form (NAL units prefixed by `length_size`-byte big-endian
 * lengths, 1..4) for the first evclip SEI message. Returns 1 (found, *f filled), 0 (none) or
 * INVALID (malformed evclip payload). Truncated NAL units are skipped, never read past. */
int sei_find_avcc(const uint8_t *data, size_t size, int length_size, SeiFrame *f);

/* Attaches the detections drawn on `frame` (source-space boxes, as drawn) and the frame's
 * source time, source index (position in the clip's source list) and wall-clock time
 * (NAN = unknown: not carried) as
 * AV_FRAME_DATA_SEI_UNREGISTERED side data with evclip's UUID, replacing any such side data
 * the frame carried (e.g. copied from the source). Returns 0 or NOMEM. */
int sei_attach(AVFrame *frame, const EvclipDetection *dets, const uint8_t *marks, int n,
               double source_time, int source_index, double wall_time);

#endif /* EVCLIP_SRC_SEI_H */
