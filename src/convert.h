/* convert.h: decoded frame -> writable even-sized limited-range yuv420p output frame. */
#ifndef EVCLIP_SRC_CONVERT_H
#define EVCLIP_SRC_CONVERT_H

#include <libavutil/frame.h>

#include "src/draw.h"
#include "src/orient.h"
#include "src/overlay.h"

typedef struct ConvertParams {
    int in_width, in_height;
    enum AVPixelFormat in_format;
    enum AVColorRange in_range;
    enum AVColorSpace in_space;
    int out_width, out_height; /* 0 = input's display size rounded up to even */
    int orient;                /* display orientation of the input (ORIENT_* bits): the
                                  output shows it turned as players do; 0 = as stored */
} ConvertParams;

typedef struct Converter Converter;

/* Returns 0, INVALID (unsupported input), NOMEM. */
int converter_open(Converter **out, const ConvertParams *p);
void converter_close(Converter **c);

/* Output size (always even), YUV matrix of the output, and where source pixels land
 * (the transform to apply to boxes in the input's display space). */
void converter_output(const Converter *c, int *width, int *height, enum AVColorSpace *space);
enum DrawMatrix converter_matrix(const Converter *c);
BoxTransform converter_transform(const Converter *c);

/* Converts `in` (any size/format/orientation `orient`; the converter adapts when it changes
 * mid-stream) into a new writable frame *out owned by the caller (pooled buffers), turned to
 * its display orientation. Copies pts. Returns 0 or NOMEM / INVALID. */
int converter_run(Converter *c, const AVFrame *in, int orient, AVFrame **out);

/* Wraps an AVFrame's planes as a DrawImage (yuv420p only). */
DrawImage converter_draw_image(AVFrame *frame);

#endif /* EVCLIP_SRC_CONVERT_H */
