/* audio.h: a clip's audio track: stream copy when MP4 can carry the codec, else AAC. */
#ifndef EVCLIP_SRC_AUDIO_H
#define EVCLIP_SRC_AUDIO_H

#include <libavformat/avformat.h>

#include "src/log.h"
#include "src/mux.h"

typedef struct AudioOut AudioOut;

/* Adds the audio stream to mux (call before mux_start). Returns 0, ENCODER/DECODE (cannot
 * transcode this codec) or NOMEM. */
int audio_open(AudioOut **out, const AVStream *in, Mux *mux, const Logger *log);
void audio_close(AudioOut **a);

/* Writes the part of a source audio packet (time base tb) that falls in [start, end) (pts in
 * tb); `start` maps to output time `offset` seconds. Returns 0 or a negative code. */
int audio_write(AudioOut *a, const AVPacket *packet, AVRational tb, int64_t start, int64_t end,
                double offset);

/* 1 when packets of stream `in` can continue this output by stream copy (same codec and
 * parameters as the stream the output was opened with). */
int audio_can_continue(const AudioOut *a, const AVStream *in);

/* Flushes a transcoder. Returns 0 or a negative code. */
int audio_finish(AudioOut *a);

/* 1 when packets are stream-copied. */
int audio_is_copy(const AudioOut *a);

#endif /* EVCLIP_SRC_AUDIO_H */
