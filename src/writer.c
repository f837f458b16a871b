/* writer.c: the frame writer: caller-supplied frames + detections -> evidence clip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/frame_boxes.h"
#include "src/pipeline.h"
#include "src/settings.h"

#define WRITER_TIME_BASE 90000

struct EvclipWriter {
    EvclipRenderer *r;
    EvclipWriterParams params;
    Pipeline *out;
    AVFrame *frame;
    DetList dets;              /* this frame's boxes, in pixels */
    EvclipDetections *scratch; /* validates them (frame_boxes_from_array) */
    int64_t first_pts, last_pts;
    int have_last, finished;
};

static enum AVPixelFormat av_format(int format)
{
    switch (format) {
    case EVCLIP_PIXFMT_YUV420P: return AV_PIX_FMT_YUV420P;
    case EVCLIP_PIXFMT_BGR24: return AV_PIX_FMT_BGR24;
    case EVCLIP_PIXFMT_RGB24: return AV_PIX_FMT_RGB24;
    default: return AV_PIX_FMT_NONE;
    }
}

int evclip_writer_open(EvclipWriter **out, EvclipRenderer *r, const EvclipWriterParams *wp)
{
    ev_error_clear();
    if (!out || !r || !wp)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_writer_open: NULL argument");
    *out = NULL;
    if (wp->width <= 0 || wp->height <= 0 || wp->width > 16384 || wp->height > 16384)
        return ev_error(EVCLIP_ERR_INVALID, "writer: frame size %dx%d is invalid", wp->width,
                        wp->height);
    if (wp->fps_num <= 0 || wp->fps_den <= 0)
        return ev_error(EVCLIP_ERR_INVALID, "writer: frame rate %d/%d is invalid", wp->fps_num,
                        wp->fps_den);
    int ret = settings_check_reserved(wp->reserved, sizeof(wp->reserved), "EvclipWriterParams");
    if (ret < 0)
        return ret;
    EvclipWriter *w = calloc(1, sizeof(*w));
    if (!w || !(w->frame = av_frame_alloc()) || evclip_detections_new(&w->scratch) < 0) {
        evclip_writer_close(&w);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    w->r = r;
    w->params = *wp;
    PipelineParams pp = {
        .output = wp->output, .width = wp->width, .height = wp->height,
        .format = AV_PIX_FMT_YUV420P, .range = AVCOL_RANGE_MPEG,
        .space = AVCOL_SPC_UNSPECIFIED, .primaries = AVCOL_PRI_UNSPECIFIED,
        .transfer = AVCOL_TRC_UNSPECIFIED, .sample_aspect = { 1, 1 },
        .time_base = { 1, WRITER_TIME_BASE }, .framerate = { wp->fps_num, wp->fps_den },
    };
    ev_log_capture_ffmpeg(&r->log);
    ret = pipeline_open(&w->out, r, &pp);
    if (ret < 0) {
        evclip_writer_close(&w);
        return ret;
    }
    *out = w;
    return 0;
}

static int wrap_frame(EvclipWriter *w, const EvclipFrame *f, AVFrame *dst)
{
    enum AVPixelFormat fmt = av_format(f->format);
    int planes = f->format == EVCLIP_PIXFMT_YUV420P ? 3 : 1;

    if (fmt == AV_PIX_FMT_NONE)
        return ev_error(EVCLIP_ERR_INVALID, "writer: unknown pixel format %d", f->format);
    if (f->width != w->params.width || f->height != w->params.height)
        return ev_error(EVCLIP_ERR_INVALID, "writer: frame is %dx%d, writer expects %dx%d",
                        f->width, f->height, w->params.width, w->params.height);
    for (int i = 0; i < planes; i++)
        if (!f->data[i] || f->linesize[i] <= 0)
            return ev_error(EVCLIP_ERR_INVALID, "writer: plane %d is missing", i);
    av_frame_unref(dst);
    dst->format = fmt;
    dst->width = f->width;
    dst->height = f->height;
    dst->color_range = fmt == AV_PIX_FMT_YUV420P ? AVCOL_RANGE_MPEG : AVCOL_RANGE_JPEG;
    for (int i = 0; i < planes; i++) {
        dst->data[i] = (uint8_t *)f->data[i];
        dst->linesize[i] = f->linesize[i];
    }
    return 0;
}

int evclip_writer_push(EvclipWriter *w, const EvclipFrame *f, const EvclipDetection *dets,
                       int nb_dets)
{
    int ret;
    ev_error_clear();
    if (!w || !f || nb_dets < 0 || (nb_dets > 0 && !dets))
        return ev_error(EVCLIP_ERR_INVALID, "evclip_writer_push: invalid argument");
    if (w->finished)
        return ev_error(EVCLIP_ERR_INVALID, "writer is already finished");
    if ((ret = settings_check_reserved(f->reserved, sizeof(f->reserved), "EvclipFrame")) < 0)
        return ret;
    if (!isfinite(f->time) || f->time < 0)
        return ev_error(EVCLIP_ERR_INVALID, "writer: frame time %g is invalid", f->time);
    int64_t pts = llround(f->time * WRITER_TIME_BASE);
    if (w->have_last && pts <= w->last_pts)
        return ev_error(EVCLIP_ERR_INVALID, "writer: frame time %.6f s does not increase",
                        f->time);
    if ((ret = wrap_frame(w, f, w->frame)) < 0)
        return ret;
    if ((ret = frame_boxes_from_array(w->scratch, dets, nb_dets, f->width, f->height,
                                      &w->dets)) < 0)
        return ret;
    /* In MP4 only the last sample's duration is stored explicitly; the nominal period is
     * used for it, every other frame lasts until the next one. */
    int64_t period = av_rescale(WRITER_TIME_BASE, w->params.fps_den, w->params.fps_num);
    ev_log_capture_ffmpeg(&w->r->log);
    if (!w->have_last)
        w->first_pts = pts;
    FrameInfo info = { f->time, 0, NULL };
    ret = pipeline_video(w->out, w->frame, pts - w->first_pts, period > 0 ? period : 1,
                         &w->dets, &info);
    w->last_pts = pts;
    w->have_last = 1;
    return ret;
}

int evclip_writer_finish(EvclipWriter *w, EvclipResult *result)
{
    EvclipResult local;
    EvclipResult *res = result ? result : &local;
    ev_error_clear();
    memset(res, 0, sizeof(*res));
    if (!w || w->finished)
        return ev_error(EVCLIP_ERR_INVALID, "writer is NULL or already finished");
    w->finished = 1;
    ev_log_capture_ffmpeg(&w->r->log);
    int ret = pipeline_finish(w->out, res);
    res->status = ret < 0 ? ret : 0;
    if (ret < 0)
        snprintf(res->error, sizeof(res->error), "%s", ev_error_message());
    return ret < 0 ? ret : 0;
}

void evclip_writer_close(EvclipWriter **pw)
{
    if (!pw || !*pw)
        return;
    EvclipWriter *w = *pw;
    pipeline_close(&w->out);
    av_frame_free(&w->frame);
    detlist_free(&w->dets);
    evclip_detections_free(&w->scratch);
    free(w);
    *pw = NULL;
}
