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
    int out_width, out_height;         /* 0 = source display size (rounded up to even) */
    int orient;                        /* display orientation of the first frames (ORIENT_*
                                          bits; FrameInfo.orient may change it later) */
    const EvclipSettings *settings;    /* encoder/drawing/output settings; NULL = the
                                          renderer's (must outlive the pipeline) */
    const atomic_int *cancel;          /* this render's own cancel flag (besides the
                                          renderer's), or NULL */
    const char *preview_hls;           /* NULL, or a directory for an HLS preview of the
                                          encode (src/preview.h; a keyframe each second) */
} PipelineParams;

/* Where a frame came from: drawn as the timestamp caption and carried in the SEI. */
typedef struct FrameInfo {
    double source_time;     /* seconds on its source's timeline */
    int source_index;       /* position of its source in the clip */
    const char *timestamp;  /* caption text, or NULL for none */
    int orient;             /* display orientation of the frame (ORIENT_* bits): the output
                               shows it turned; 0 = as stored */
    int redact_only;        /* the last redact_only boxes of the frame's list come from the
                               redaction log: always redacted, never drawn */
    const uint8_t *marks;   /* per box of the frame's list: EVCLIP_BOX_* bits (interpolated),
                               carried in the SEI; NULL = none */
    int wall_known;         /* 1: wall_time is the frame's wall-clock time (carried in the SEI) */
    double wall_time;       /* epoch seconds */
} FrameInfo;

typedef struct Pipeline Pipeline;

/* Opens the chain for output p->output with r's settings. Returns 0 or a negative code
 * (OUTPUT, EXISTS, ENCODER, FONT, INVALID, NOMEM); nothing is left on disk on failure. */
int pipeline_open(Pipeline **out, EvclipRenderer *r, const PipelineParams *params);

/* Box transform from source display space to output pixels (letterboxing). */
BoxTransform pipeline_transform(const Pipeline *p);

/* Converts (turning the frame to its display orientation), draws dets (boxes in the source's
 * display space) and the captions, attaches the SEI (when
 * settings->embed_detections), encodes. `pts` is the output pts (time base
 * params->time_base, first frame 0), `duration` its display time in the same base. `info`
 * may be NULL. Returns 0 or a negative code (CANCELED when the renderer was cancelled). */
int pipeline_video(Pipeline *p, const AVFrame *frame, int64_t pts, int64_t duration,
                   const DetList *dets, const FrameInfo *info);



/* Carries an audio packet's part inside [start, end) (pts in tb; start -> output time
 * `offset` seconds). Returns 0 or a negative code. */
int pipeline_audio(Pipeline *p, const AVPacket *packet, AVRational tb, int64_t start,
                   int64_t end, double offset);

/* 1 when the output has audio and stream `in` can continue it (see audio_can_continue). */
int pipeline_audio_accepts(const Pipeline *p, const AVStream *in);

/* Flushes, finishes and publishes the file (only completes it in its temp file after
 * pipeline_defer_publish); fills the result counters. */
int pipeline_finish(Pipeline *p, EvclipResult *result);

/* Makes pipeline_finish leave the complete file at pipeline_temp_path() until
 * pipeline_publish() (so a manifest can be completed first and both published together). */
void pipeline_defer_publish(Pipeline *p);
const char *pipeline_temp_path(const Pipeline *p);
int pipeline_publish(Pipeline *p);

/* The settings in effect for this pipeline. */
const EvclipSettings *pipeline_settings(const Pipeline *p);

/* Box line width and label font size in pixels, as resolved for the output's frame size. */
void pipeline_drawing(const Pipeline *p, int *thickness, int *font_size);

/* The poster kept so far (settings->poster), or NULL. */
struct Poster *pipeline_poster(const Pipeline *p);

/* The clip's redaction record, or NULL when it redacts nothing. */
struct Redactor;
struct Redactor *pipeline_redactor(const Pipeline *p);

/* Frees everything; an unfinished output is removed. */
void pipeline_close(Pipeline **p);

/* Frames written so far. */
int64_t pipeline_frames(const Pipeline *p);

#endif /* EVCLIP_SRC_PIPELINE_H */
