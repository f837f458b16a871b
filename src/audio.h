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

/* Writes the part of a source audio packet that falls in [start, end) (source pts of the
 * audio stream); `start` maps to output time 0. Returns 0 or a negative code. */
int audio_write(AudioOut *a, const AVPacket *packet, int64_t start, int64_t end);

/* Flushes a transcoder. Returns 0 or a negative code. */
int audio_finish(AudioOut *a);

/* 1 when packets are stream-copied. */
int audio_is_copy(const AudioOut *a);

#endif /* EVCLIP_SRC_AUDIO_H */
