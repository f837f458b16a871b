/* encode.h: video encoder selection (named, "auto" hardware with libx264 fallback) and setup. */
#ifndef EVCLIP_SRC_ENCODE_H
#define EVCLIP_SRC_ENCODE_H

#include <libavcodec/avcodec.h>

#include "src/log.h"

typedef struct EncoderConfig {
    const char *name;          /* encoder name or "auto" */
    const char *preset;        /* NULL = encoder default */
    int crf;                   /* used when bitrate == 0 */
    int64_t bitrate;           /* bits/s; 0 = crf */
    int threads;               /* 0 = auto */
    int width, height;         /* even */
    AVRational time_base;      /* of the frames' pts */
    AVRational framerate;      /* nominal, for rate control; {0,1} unknown */
    AVRational sample_aspect;  /* pixel aspect, {0,1} unknown */
    enum AVColorSpace space;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic transfer;
    int global_header;         /* 1 for MP4 */
} EncoderConfig;

typedef struct Encoder Encoder;

/* Receives each encoded packet (in the encoder's time base); returns 0 or a negative code. */
typedef int (*PacketSink)(void *opaque, AVPacket *packet);

/* Opens the encoder. Unknown name, a non-video encoder or a failure to open: ENCODER with the
 * encoder's reason. "auto" never fails over to an error while libx264 opens. */
int encoder_open(Encoder **out, const EncoderConfig *cfg, const Logger *log);
void encoder_close(Encoder **e);

/* The opened codec context (for muxer stream parameters) and the encoder's name. */
const AVCodecContext *encoder_context(const Encoder *e);
const char *encoder_name(const Encoder *e);

/* Encodes one yuv420p frame (NULL flushes) and hands every packet ready to sink.
 * Returns 0 or a negative code. */
int encoder_encode(Encoder *e, AVFrame *frame, PacketSink sink, void *opaque);

#endif /* EVCLIP_SRC_ENCODE_H */
