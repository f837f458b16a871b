/* pipeline.c: one clip's output chain: convert -> draw -> encode -> mux (+ audio) -> publish. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/audio.h"
#include "src/convert.h"
#include "src/encode.h"
#include "src/error.h"
#include "src/mux.h"
#include "src/overlay.h"
#include "src/pipeline.h"
#include "src/preview.h"
#include "src/poster.h"
#include "src/redact.h"
#include "src/style.h"
#include "src/sei.h"

#define DURATION_SLOTS 256
#define LEGEND_MAX 32

struct Pipeline {
    EvclipRenderer *r;
    const EvclipSettings *s;
    const atomic_int *cancel;  /* the render's own flag (PipelineParams.cancel) or NULL */
    Mux *mux;
    int defer_publish;   /* pipeline_finish leaves the complete file in its temp */
    Converter *conv;
    Encoder *enc;
    Overlay *overlay;
    Redactor *redactor;  /* NULL when nothing is redacted */
    uint8_t *marks;      /* per box of the frame: EVCLIP_BOX_* bits */
    DetList drawn;       /* the frame's boxes as drawn (redacted ones without their chip) */
    Style *style;        /* custom styles (EvclipDrawOptions.style), or NULL */
    char *legend[LEGEND_MAX];             /* labels drawn so far, for the legend */
    uint8_t legend_rgb[LEGEND_MAX][3];
    int nb_legend;
    int marks_capacity;
    AudioOut *audio;
    Preview *preview;    /* PipelineParams.preview_hls, or NULL */
    int64_t last_key;    /* pts of the last keyframe asked for (the preview's segments) */
    Poster *poster;      /* settings->poster: the frame with the most boxes so far */
    AVStream *video;
    AVRational time_base;
    int64_t frames, boxes;
    int64_t end_pts; /* pts + duration of the latest frame */
    int width, height;
    /* Display durations of recently sent frames by pts: the encoder's packets (reordered,
     * delayed) get them back so the MP4's last sample has its real duration. */
    int64_t recent_pts[DURATION_SLOTS], recent_duration[DURATION_SLOTS];
    unsigned recent_next;
};

static int open_converter(Pipeline *p, const PipelineParams *pp)
{
    ConvertParams cp = {
        .in_width = pp->width, .in_height = pp->height, .in_format = pp->format,
        .in_range = pp->range, .in_space = pp->space,
        .out_width = pp->out_width, .out_height = pp->out_height, .orient = pp->orient,
    };
    return converter_open(&p->conv, &cp);
}

static int open_overlay(Pipeline *p)
{
    const EvclipSettings *s = p->s;
    OverlayParams op = {
        .width = p->width, .height = p->height, .matrix = converter_matrix(p->conv),
        .full_range = 0, .font = s->font, .thickness = s->thickness, .font_size = s->font_size,
        .label_max = s->label_max,
    };
    int ret = overlay_open(&p->overlay, &op);
    if (ret >= 0 && s->draw_options && s->draw_options->style &&
        (ret = style_parse(&p->style, s->draw_options->style)) >= 0)
        overlay_set_style(p->overlay, p->style);
    return ret;
}

/* Adds the labels of the boxes drawn on this frame to the legend (first colour kept). */
static void note_legend(Pipeline *p, const DetList *drawn, int n)
{
    for (int i = 0; i < n && p->nb_legend < LEGEND_MAX; i++) {
        const char *label = drawn->items[i].label;
        int k = 0;
        while (k < p->nb_legend && strcmp(p->legend[k], label ? label : ""))
            k++;
        if (k < p->nb_legend || !label || !label[0] || !(p->legend[k] = strdup(label)))
            continue;
        overlay_box_rgb(p->overlay, drawn->items, n, i, p->legend_rgb[k]);
        p->nb_legend++;
    }
}

static int open_encoder(Pipeline *p, const PipelineParams *pp)
{
    const EvclipSettings *s = p->s;
    enum AVColorSpace space;
    int w, h;

    converter_output(p->conv, &w, &h, &space);
    EncoderConfig cfg = {
        .name = s->encoder, .preset = s->preset, .crf = s->crf, .bitrate = s->bitrate,
        .threads = s->threads, .width = w, .height = h, .time_base = pp->time_base,
        .framerate = pp->framerate, .sample_aspect = pp->sample_aspect, .space = space,
        .primaries = pp->primaries, .transfer = pp->transfer,
        .global_header = !!(p->mux->fmt->oformat->flags & AVFMT_GLOBALHEADER),
    };
    int ret = encoder_open(&p->enc, &cfg, &p->r->log);
    if (ret < 0)
        return ret;
    const AVCodecContext *ctx = encoder_context(p->enc);
    if (avformat_query_codec(p->mux->fmt->oformat, ctx->codec_id, FF_COMPLIANCE_NORMAL) != 1)
        return ev_error(EVCLIP_ERR_ENCODER, "encoder '%s' makes %s, which MP4 cannot carry",
                        ctx->codec->name, avcodec_get_name(ctx->codec_id));
    if (!(p->video = mux_add_stream(p->mux)))
        return EVCLIP_ERR_NOMEM;
    ret = avcodec_parameters_from_context(p->video->codecpar, ctx);
    p->video->time_base = ctx->time_base;
    p->video->avg_frame_rate = pp->framerate;
    return ret < 0 ? ev_error(EVCLIP_ERR_NOMEM, "out of memory") : 0;
}

int pipeline_open(Pipeline **out, EvclipRenderer *r, const PipelineParams *pp)
{
    enum AVColorSpace space;
    int ret;

    *out = NULL;
    Pipeline *p = calloc(1, sizeof(*p));
    if (!p)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    p->r = r;
    p->s = pp->settings ? pp->settings : &r->settings;
    p->cancel = pp->cancel;
    p->time_base = pp->time_base;
    if ((ret = mux_open(&p->mux, pp->output, p->s->overwrite)) < 0 ||
        (ret = open_converter(p, pp)) < 0)
        goto fail;
    converter_output(p->conv, &p->width, &p->height, &space);
    if ((ret = open_overlay(p)) < 0 || (ret = open_encoder(p, pp)) < 0 ||
        (ret = redactor_open(&p->redactor, p->s->draw_options)) < 0)
        goto fail;
    if (pp->audio && (ret = audio_open(&p->audio, pp->audio, p->mux, &r->log)) < 0)
        goto fail;
    if ((ret = mux_start(p->mux)) < 0)
        goto fail;
    if (pp->preview_hls && preview_open(&p->preview, pp->preview_hls, p->video, &r->log) < 0)
        ev_log(&r->log, EVCLIP_LOG_WARNING, "%s: no preview for '%s' (the clip goes on)",
               ev_error_message(), pp->output); /* a preview is no evidence: never fatal */
    ev_log(&r->log, EVCLIP_LOG_DEBUG, "output '%s': %s %dx%d%s", pp->output,
           encoder_name(p->enc), p->width, p->height,
           p->audio ? (audio_is_copy(p->audio) ? ", audio copied" : ", audio as AAC") : "");
    *out = p;
    return 0;
fail:
    pipeline_close(&p);
    return ret;
}

void pipeline_close(Pipeline **pp)
{
    if (!pp || !*pp)
        return;
    Pipeline *p = *pp;
    audio_close(&p->audio);
    preview_close(&p->preview, 0); /* unfinished: the preview goes with the clip */
    poster_close(&p->poster);
    encoder_close(&p->enc);
    overlay_close(&p->overlay);
    style_free(&p->style);
    for (int i = 0; i < p->nb_legend; i++)
        free(p->legend[i]);
    redactor_close(&p->redactor);
    free(p->marks);
    detlist_free(&p->drawn);
    converter_close(&p->conv);
    mux_close(&p->mux);
    free(p);
    *pp = NULL;
}

const EvclipSettings *pipeline_settings(const Pipeline *p)
{
    return p->s;
}

BoxTransform pipeline_transform(const Pipeline *p)
{
    return converter_transform(p->conv);
}

int64_t pipeline_frames(const Pipeline *p)
{
    return p->frames;
}

static int write_video_packet(void *opaque, AVPacket *pkt)
{
    Pipeline *p = opaque;
    if (pkt->duration <= 0) {
        for (unsigned i = 0; i < DURATION_SLOTS; i++) {
            if (p->recent_pts[i] == pkt->pts && p->recent_duration[i] > 0) {
                pkt->duration = p->recent_duration[i];
                break;
            }
        }
    }
    pkt->stream_index = p->video->index;
    av_packet_rescale_ts(pkt, p->time_base, p->video->time_base);
    preview_write(p->preview, pkt);
    return mux_write(p->mux, pkt);
}

/* p->marks sized for n boxes and set from `from` (NULL: zeros). Returns 0 or NOMEM. */
static int init_marks(Pipeline *p, int n, const uint8_t *from)
{
    if (n > p->marks_capacity) {
        uint8_t *m = realloc(p->marks, (size_t)n);
        if (!m)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory (box marks)");
        p->marks = m;
        p->marks_capacity = n;
    }
    if (from)
        memcpy(p->marks, from, (size_t)n);
    else
        memset(p->marks, 0, (size_t)n);
    return 0;
}

/* Redacts the selected boxes of dets (and its redaction-only tail) in img, marks them, and
 * fills p->drawn with the boxes to draw: redacted ones in neutral grey with no chip, or with
 * the neutral redact_label chip. Returns 0 or NOMEM. */
static int redact(Pipeline *p, DrawImage *img, const DetList *dets, int forced,
                  const BoxTransform *t)
{
    static const EvclipDetection neutral = { .has_color = 1, .color = { 160, 160, 160 },
                                             .score = EVCLIP_NONE, .track_id = EVCLIP_NONE };
    const char *label = p->s->draw_options->redact_label;
    redactor_frame(p->redactor, p->overlay, img, dets->items, dets->count, forced, t,
                   p->frames, p->marks);
    detlist_clear(&p->drawn);
    for (int i = 0; i < dets->count - forced; i++) {
        EvclipDetection d = dets->items[i];
        if (p->marks[i]) {
            EvclipDetection box = neutral;
            box.x1 = d.x1, box.y1 = d.y1, box.x2 = d.x2, box.y2 = d.y2;
            box.label = label ? label : "";
            d = box;
        }
        if (detlist_push(&p->drawn, &d) < 0)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory (redaction)");
    }
    return 0;
}

int pipeline_video(Pipeline *p, const AVFrame *frame, int64_t pts, int64_t duration,
                   const DetList *dets, const FrameInfo *info)
{
    const EvclipSettings *s = p->s;
    const char *timestamp = info ? info->timestamp : NULL;
    AVFrame *out = NULL;
    int ret;

    if (renderer_cancelled(p->r) || (p->cancel && atomic_load(p->cancel)))
        return ev_error(EVCLIP_ERR_CANCELED, "render cancelled");
    if ((ret = converter_run(p->conv, frame, info ? info->orient : 0, &out)) < 0)
        return ret;
    DrawImage img = converter_draw_image(out);
    BoxTransform t = converter_transform(p->conv);
    int forced = info && dets ? info->redact_only : 0; /* redaction-only boxes at the end */
    const DetList *draw = dets;
    const uint8_t *marks = NULL;
    if ((p->redactor || (info && info->marks)) && dets && dets->count > 0) {
        if ((ret = init_marks(p, dets->count, info ? info->marks : NULL)) < 0) {
            av_frame_free(&out);
            return ret;
        }
        marks = p->marks;
    }
    if (p->redactor && dets && dets->count > 0) {
        if ((ret = redact(p, &img, dets, forced, &t)) < 0) {
            av_frame_free(&out);
            return ret;
        }
        draw = &p->drawn;
        forced = 0;
    }
    int64_t drawn = 0;
    if (draw && draw->count - forced > 0)
        p->boxes += drawn = overlay_draw_detections(p->overlay, &img, draw->items,
                                                    draw->count - forced, &t);
    if (style_legend(p->style) != STYLE_LEGEND_NONE) {
        if (draw)
            note_legend(p, draw, draw->count - forced);
        overlay_draw_legend(p->overlay, &img, style_legend(p->style),
                            (const char *const *)p->legend, p->legend_rgb, p->nb_legend);
    }
    if (s->title || timestamp)
        overlay_draw_captions(p->overlay, &img, s->title, timestamp);
    if (s->poster && (ret = poster_offer(&p->poster, out, drawn,
                                         info ? info->source_time : 0)) < 0) {
        av_frame_free(&out);
        return ret;
    }
    if (s->embed_detections && dets &&
        (ret = sei_attach(out, dets->items, marks, dets->count,
                          info ? info->source_time : 0, info ? info->source_index : 0,
                          info && info->wall_known ? info->wall_time : NAN)) < 0) {
        av_frame_free(&out);
        return ret;
    }
    out->pts = pts;
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
    out->duration = duration;
#else
    out->pkt_duration = duration;
#endif
    p->recent_pts[p->recent_next % DURATION_SLOTS] = pts;
    p->recent_duration[p->recent_next++ % DURATION_SLOTS] = duration;
    /* The first frame is a keyframe; with a preview one each second (its segments). */
    int key = p->frames == 0 || (p->preview && av_compare_ts(pts - p->last_key, p->time_base,
                                                             1, (AVRational){ 1, 1 }) >= 0);
    if (key)
        p->last_key = pts;
    out->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    ret = encoder_encode(p->enc, out, write_video_packet, p);
    av_frame_free(&out);
    if (ret < 0)
        return ret;
    p->frames++;
    if (pts + duration > p->end_pts)
        p->end_pts = pts + duration;
    return 0;
}

int pipeline_audio(Pipeline *p, const AVPacket *packet, AVRational tb, int64_t start,
                   int64_t end, double offset)
{
    return p->audio ? audio_write(p->audio, packet, tb, start, end, offset) : 0;
}

int pipeline_audio_accepts(const Pipeline *p, const AVStream *in)
{
    return p->audio && in && audio_can_continue(p->audio, in);
}

void pipeline_defer_publish(Pipeline *p)
{
    p->defer_publish = 1;
}

const char *pipeline_temp_path(const Pipeline *p)
{
    return p->mux->temp;
}

int pipeline_publish(Pipeline *p)
{
    return mux_publish(p->mux);
}

int pipeline_finish(Pipeline *p, EvclipResult *res)
{
    int ret;

    if (p->frames == 0)
        return ev_error(EVCLIP_ERR_WINDOW, "no video frame falls inside the window");
    if ((ret = encoder_encode(p->enc, NULL, write_video_packet, p)) < 0)
        return ret;
    if (p->audio && (ret = audio_finish(p->audio)) < 0)
        return ret;
    if ((ret = p->defer_publish ? mux_complete(p->mux) : mux_commit(p->mux)) < 0)
        return ret;
    preview_close(&p->preview, 1); /* its playlist ends */
    if (res) {
        res->frames = p->frames;
        res->duration = p->end_pts * av_q2d(p->time_base);
        res->boxes_drawn = p->boxes;
        res->has_audio = p->audio != NULL;
        res->width = p->width;
        res->height = p->height;
        snprintf(res->encoder, sizeof(res->encoder), "%s", encoder_name(p->enc));
    }
    return 0;
}

Poster *pipeline_poster(const Pipeline *p)
{
    return p->poster;
}

Redactor *pipeline_redactor(const Pipeline *p)
{
    return p ? p->redactor : NULL;
}

void pipeline_drawing(const Pipeline *p, int *thickness, int *font_size)
{
    *thickness = p && p->overlay ? overlay_thickness(p->overlay) : 0;
    *font_size = p && p->overlay ? overlay_font_size(p->overlay) : 0;
}
