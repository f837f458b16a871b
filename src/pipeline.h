/* pipeline.h: one clip's output chain: convert -> draw -> encode -> mux (+ audio) -> publish. */
#ifndef EVCLIP_SRC_PIPELINE_H
#define EVCLIP_SRC_PIPELINE_H

#include <libavformat/avformat.h>

#include "src/detections.h"
#include "src/overlay.h"
#include "src/renderer.h"

typedef struct PipelineParams {
    const char *output;
    int width, height;                 /* source frame size */
    enum AVPixelFormat format;         /* source pixel format */
    enum AVColorRange range;
    enum AVColorSpace space;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic transfer;
    AVRational sample_aspect;
    AVRational time_base;              /* of the pts given to pipeline_video */
    AVRational framerate;              /* nominal rate; {0,1} when unknown */
    const AVStream *audio;             /* source audio stream to carry, or NULL */
    int out_width, out_height;         /* 0 = source size (rounded up to even) */
} PipelineParams;

typedef struct Pipeline Pipeline;

/* Opens the chain for output p->output with r's settings. Returns 0 or a negative code
 * (OUTPUT, EXISTS, ENCODER, FONT, INVALID, NOMEM); nothing is left on disk on failure. */
int pipeline_open(Pipeline **out, EvclipRenderer *r, const PipelineParams *params);

/* Box transform from source to output pixels (letterboxing). */
BoxTransform pipeline_transform(const Pipeline *p);

/* Converts, draws dets (source-space boxes) and the captions, encodes. `pts` is the output
 * pts (time base params->time_base, first frame 0), `duration` its display time in the same
 * base. Returns 0 or a negative code (CANCELED when the renderer was cancelled). */
int pipeline_video(Pipeline *p, const AVFrame *frame, int64_t pts, int64_t duration,
                   const DetList *dets, const char *timestamp);

/* Carries an audio packet's part inside [start, end) (source audio pts; start -> time 0). */
int pipeline_audio(Pipeline *p, const AVPacket *packet, int64_t start, int64_t end);

/* Flushes, finishes and publishes the file; fills the result counters. */
int pipeline_finish(Pipeline *p, EvclipResult *result);

/* Frees everything; an unfinished output is removed. */
void pipeline_close(Pipeline **p);

/* Frames written so far. */
int64_t pipeline_frames(const Pipeline *p);

#endif /* EVCLIP_SRC_PIPELINE_H */
