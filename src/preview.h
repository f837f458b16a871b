/* preview.h: a progressive HLS preview (fMP4 segments) of a clip being encoded: the same
 * encoded packets as the clip's MP4, for watching while it records. Not evidence. */
#ifndef EVCLIP_SRC_PREVIEW_H
#define EVCLIP_SRC_PREVIEW_H

#include <libavformat/avformat.h>

#include "src/log.h"

typedef struct Preview Preview;

/* Starts DIR/index.m3u8 (an HLS event playlist of ~1 s fMP4 segments, init.mp4 and
 * seg-NNNNN.m4s) for video stream `video` (its codec parameters and time base); creates DIR
 * (not its parents). Returns 0, OUTPUT (DIR holds a playlist already: left alone; or it
 * cannot be written) or NOMEM. */
int preview_open(Preview **out, const char *dir, const AVStream *video, const Logger *log);

/* Writes a copy of the clip's video packet (timestamps in the stream's time base). A failure
 * is logged once as a warning and stops the preview: the clip itself goes on. */
void preview_write(Preview *p, const AVPacket *pkt);

/* Ends the playlist (#EXT-X-ENDLIST) when `complete`, else removes what the preview wrote
 * (a clip that failed); frees p and sets *pp NULL. Accepts NULL. */
void preview_close(Preview **pp, int complete);

#endif /* EVCLIP_SRC_PREVIEW_H */
