/* convert.c: decoded frame -> writable even-sized limited-range yuv420p output frame. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/buffer.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "src/convert.h"
#include "src/error.h"

struct Converter {
    ConvertParams in;          /* current input description */
    int out_w, out_h;          /* even output size */
    int place_x, place_y;      /* where the scaled picture lands (even) */
    int place_w, place_h;      /* its size */
    enum AVColorSpace space;   /* output matrix (input's, or guessed from size) */
    struct SwsContext *sws;    /* NULL when a plain copy suffices */
    uint8_t *tmp[4];           /* oriented input: the scaled picture before it is turned */
    int tmp_linesize[4];
    AVBufferPool *pool;
    int linesize[3];
    size_t plane_offset[3];
};

static enum AVPixelFormat plain_format(enum AVPixelFormat f, int *full_range)
{
    switch (f) {
    case AV_PIX_FMT_YUVJ420P: *full_range = 1; return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: *full_range = 1; return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: *full_range = 1; return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: *full_range = 1; return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: *full_range = 1; return AV_PIX_FMT_YUV411P;
    default: return f;
    }
}

static int is_rgb(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && (d->flags & AV_PIX_FMT_FLAG_RGB);
}

static int sws_space(enum AVColorSpace space)
{
    switch (space) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    default: return SWS_CS_ITU601;
    }
}

/* The input's size as displayed (turned by its orientation). */
static void display_size(const Converter *c, int *w, int *h)
{
    orient_size(c->in.orient, c->in.in_width, c->in.in_height, w, h);
}

/* Fits the input into the output preserving aspect ratio (even offsets and sizes). */
static void place(Converter *c)
{
    int w = c->out_w, h = c->out_h, iw, ih;
    display_size(c, &iw, &ih);
    if ((int64_t)iw * c->out_h > (int64_t)ih * c->out_w)
        h = (int)((int64_t)ih * c->out_w / iw);
    else if ((int64_t)iw * c->out_h < (int64_t)ih * c->out_w)
        w = (int)((int64_t)iw * c->out_h / ih);
    if (w >= c->out_w - 1)
        w = c->out_w;
    if (h >= c->out_h - 1)
        h = c->out_h;
    c->place_w = w;
    c->place_h = h;
    c->place_x = ((c->out_w - w) / 2) & ~1;
    c->place_y = ((c->out_h - h) / 2) & ~1;
}

/* Size of the scaled picture before it is turned (the placement in stored orientation). */
static void scaled_size(const Converter *c, int *w, int *h)
{
    orient_size(c->in.orient, c->place_w, c->place_h, w, h);
}

static int setup_sws(Converter *c)
{
    int full = c->in.in_range == AVCOL_RANGE_JPEG;
    enum AVPixelFormat f = plain_format(c->in.in_format, &full);
    int sw, sh;
    scaled_size(c, &sw, &sh);
    int same_size = sw == c->in.in_width && sh == c->in.in_height;

    sws_freeContext(c->sws);
    c->sws = NULL;
    av_freep(&c->tmp[0]);
    if (f == AV_PIX_FMT_YUV420P && !full && same_size &&
        (c->in.orient || (c->place_x == 0 && c->place_y == 0)))
        return 0; /* plain copy (turned straight from the decoded planes) */
    c->sws = sws_getContext(c->in.in_width, c->in.in_height, f, sw, sh,
                            AV_PIX_FMT_YUV420P, SWS_BICUBIC | SWS_ACCURATE_RND, NULL, NULL,
                            NULL);
    if (!c->sws)
        return ev_error(EVCLIP_ERR_INVALID, "cannot convert %dx%d %s frames to yuv420p",
                        c->in.in_width, c->in.in_height, av_get_pix_fmt_name(f));
    if (c->in.orient && av_image_alloc(c->tmp, c->tmp_linesize, (sw + 1) & ~1, (sh + 1) & ~1,
                                       AV_PIX_FMT_YUV420P, 64) < 0)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    const int *in_table = sws_getCoefficients(sws_space(c->space));
    sws_setColorspaceDetails(c->sws, in_table, is_rgb(f) ? 1 : full, in_table, 0, 0, 1 << 16,
                             1 << 16);
    return 0;
}

static int setup_pool(Converter *c)
{
    int h2 = c->out_h / 2;
    c->linesize[0] = FFALIGN(c->out_w, 64);
    c->linesize[1] = c->linesize[2] = FFALIGN(c->out_w / 2, 64);
    c->plane_offset[0] = 0;
    c->plane_offset[1] = (size_t)c->linesize[0] * c->out_h;
    c->plane_offset[2] = c->plane_offset[1] + (size_t)c->linesize[1] * h2;
    size_t size = c->plane_offset[2] + (size_t)c->linesize[2] * h2 + 64;
    c->pool = av_buffer_pool_init(size, NULL);
    return c->pool ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
}

static enum AVColorSpace guess_space(const ConvertParams *p)
{
    if (p->in_space != AVCOL_SPC_UNSPECIFIED && p->in_space != AVCOL_SPC_RESERVED &&
        p->in_space != AVCOL_SPC_RGB)
        return p->in_space;
    return p->in_height >= 720 ? AVCOL_SPC_BT709 : AVCOL_SPC_SMPTE170M;
}

int converter_open(Converter **out, const ConvertParams *p)
{
    *out = NULL;
    if (p->in_width <= 0 || p->in_height <= 0 || p->out_width < 0 || p->out_height < 0)
        return ev_error(EVCLIP_ERR_INVALID, "invalid frame size %dx%d", p->in_width,
                        p->in_height);
    Converter *c = calloc(1, sizeof(*c));
    if (!c)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    c->in = *p;
    int dw, dh;
    display_size(c, &dw, &dh);
    c->out_w = p->out_width ? p->out_width : dw;
    c->out_h = p->out_height ? p->out_height : dh;
    c->out_w = (c->out_w + 1) & ~1;
    c->out_h = (c->out_h + 1) & ~1;
    c->space = guess_space(p);
    if (p->out_width || p->out_height) {
        place(c);
    } else {
        c->place_w = dw;
        c->place_h = dh;
    }
    int ret = setup_pool(c);
    if (ret >= 0)
        ret = setup_sws(c);
    if (ret < 0) {
        converter_close(&c);
        return ret;
    }
    *out = c;
    return 0;
}

void converter_close(Converter **pc)
{
    if (!pc || !*pc)
        return;
    sws_freeContext((*pc)->sws);
    av_freep(&(*pc)->tmp[0]);
    av_buffer_pool_uninit(&(*pc)->pool);
    free(*pc);
    *pc = NULL;
}

void converter_output(const Converter *c, int *width, int *height, enum AVColorSpace *space)
{
    *width = c->out_w;
    *height = c->out_h;
    *space = c->space;
}

enum DrawMatrix converter_matrix(const Converter *c)
{
    return c->space == AVCOL_SPC_BT709 ? DRAW_BT709 : DRAW_BT601;
}

BoxTransform converter_transform(const Converter *c)
{
    int dw, dh;
    display_size(c, &dw, &dh);
    return (BoxTransform){
        .scale_x = (double)c->place_w / dw,
        .scale_y = (double)c->place_h / dh,
        .offset_x = c->place_x,
        .offset_y = c->place_y,
    };
}

static int new_frame(Converter *c, AVFrame **out)
{
    AVFrame *f = av_frame_alloc();
    if (!f || !(f->buf[0] = av_buffer_pool_get(c->pool))) {
        av_frame_free(&f);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < 3; i++) {
        f->data[i] = f->buf[0]->data + c->plane_offset[i];
        f->linesize[i] = c->linesize[i];
    }
    f->format = AV_PIX_FMT_YUV420P;
    f->width = c->out_w;
    f->height = c->out_h;
    f->color_range = AVCOL_RANGE_MPEG;
    f->colorspace = c->space;
    *out = f;
    return 0;
}

/* Fills letterbox bars black; an odd-sized picture (padded by one column/row to even) gets
 * its last column/row replicated instead, so no black line appears at its edge. */
static void fill_margins(Converter *c, AVFrame *f)
{
    int pad_only = c->place_x == 0 && c->place_y == 0 && c->out_w - c->place_w <= 1 &&
                   c->out_h - c->place_h <= 1;
    for (int p = 0; p < 3; p++) {
        int sub = p ? 1 : 0;
        int w = c->out_w >> sub, h = c->out_h >> sub;
        int x0 = c->place_x >> sub, y0 = c->place_y >> sub;
        int pw = (c->place_w + sub) >> sub, ph = (c->place_h + sub) >> sub;
        uint8_t black = p ? 128 : 16;
        for (int y = 0; y < h; y++) {
            uint8_t *row = f->data[p] + (ptrdiff_t)y * f->linesize[p];
            if (y < y0 || y >= y0 + ph) {
                if (pad_only && y > 0)
                    memcpy(row, row - f->linesize[p], (size_t)w);
                else
                    memset(row, black, (size_t)w);
                continue;
            }
            if (x0 > 0)
                memset(row, black, (size_t)x0);
            if (x0 + pw < w)
                memset(row + x0 + pw, pad_only ? row[x0 + pw - 1] : black,
                       (size_t)(w - x0 - pw));
        }
    }
}

static int reconfigure(Converter *c, const AVFrame *in, int orient)
{
    c->in.in_width = in->width;
    c->in.in_height = in->height;
    c->in.in_format = in->format;
    c->in.in_range = in->color_range;
    c->in.orient = orient;
    if (c->in.out_width || c->in.out_height) {
        place(c);
    } else {
        /* Without a fixed output size a resized input is letterboxed into the first size. */
        c->in.out_width = c->out_w;
        c->in.out_height = c->out_h;
        place(c);
    }
    return setup_sws(c);
}

/* Scales (when needed) and turns `in` into its place in f. */
static void run_turned(Converter *c, const AVFrame *in, AVFrame *f)
{
    const uint8_t *src[3] = { in->data[0], in->data[1], in->data[2] };
    int src_linesize[3] = { in->linesize[0], in->linesize[1], in->linesize[2] };
    if (c->sws) {
        sws_scale(c->sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height,
                  c->tmp, c->tmp_linesize);
        for (int i = 0; i < 3; i++) {
            src[i] = c->tmp[i];
            src_linesize[i] = c->tmp_linesize[i];
        }
    }
    for (int p = 0; p < 3; p++) {
        int sub = p ? 1 : 0;
        uint8_t *dst = f->data[p] + (ptrdiff_t)(c->place_y >> sub) * f->linesize[p] +
                       (c->place_x >> sub);
        orient_plane(c->in.orient, dst, f->linesize[p], (c->place_w + sub) >> sub,
                     (c->place_h + sub) >> sub, src[p], src_linesize[p]);
    }
}

int converter_run(Converter *c, const AVFrame *in, int orient, AVFrame **out)
{
    int ret;

    if ((in->width != c->in.in_width || in->height != c->in.in_height ||
         in->format != c->in.in_format || in->color_range != c->in.in_range ||
         orient != c->in.orient) &&
        (ret = reconfigure(c, in, orient)) < 0)
        return ret;
    if ((ret = new_frame(c, out)) < 0)
        return ret;
    AVFrame *f = *out;
    if (c->in.orient) {
        run_turned(c, in, f);
    } else if (c->sws) {
        uint8_t *dst[4] = { f->data[0] + (ptrdiff_t)c->place_y * f->linesize[0] + c->place_x,
                            f->data[1] + (ptrdiff_t)c->place_y / 2 * f->linesize[1] +
                                c->place_x / 2,
                            f->data[2] + (ptrdiff_t)c->place_y / 2 * f->linesize[2] +
                                c->place_x / 2,
                            NULL };
        sws_scale(c->sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height, dst,
                  f->linesize);
    } else {
        av_image_copy(f->data, f->linesize, (const uint8_t **)in->data, in->linesize,
                      AV_PIX_FMT_YUV420P, in->width, in->height);
    }
    if (c->place_w != c->out_w || c->place_h != c->out_h)
        fill_margins(c, f);
    f->pts = in->pts;
    return 0;
}

DrawImage converter_draw_image(AVFrame *frame)
{
    DrawImage img = { .width = frame->width, .height = frame->height };
    for (int i = 0; i < 3; i++) {
        img.plane[i] = frame->data[i];
        img.stride[i] = frame->linesize[i];
    }
    return img;
}
