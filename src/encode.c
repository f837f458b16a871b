/* encode.c: video encoder selection (named, "auto" hardware with libx264 fallback) and setup. */
#include <stdlib.h>
#include <string.h>

#include <libavutil/hwcontext.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "src/encode.h"
#include "src/error.h"
#include "src/preset.h"

struct Encoder {
    AVCodecContext *ctx;
    enum AVPixelFormat sw_format;   /* format frames are converted to before encoding/upload */
    struct SwsContext *sws;         /* yuv420p -> sw_format, when they differ */
    AVBufferRef *hw_device;
    AVFrame *converted;
    AVPacket *packet;
};

static const char *const auto_candidates[] = { "h264_nvenc", "h264_vaapi", "h264_qsv" };

static int has_option(AVCodecContext *ctx, const char *name)
{
    return ctx->priv_data && av_opt_find(ctx->priv_data, name, NULL, 0, 0) != NULL;
}

static int is_hw_format(enum AVPixelFormat f)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f);
    return d && (d->flags & AV_PIX_FMT_FLAG_HWACCEL);
}

/* yuv420p when the encoder takes it, else its first software format; an encoder that takes
 * only hardware frames gets NV12 uploads and *hw set to its hardware format. */
static enum AVPixelFormat choose_sw_format(const AVCodec *codec, enum AVPixelFormat *hw)
{
    enum AVPixelFormat first_sw = AV_PIX_FMT_NONE;
    *hw = AV_PIX_FMT_NONE;
    if (!codec->pix_fmts)
        return AV_PIX_FMT_YUV420P;
    for (const enum AVPixelFormat *p = codec->pix_fmts; *p != AV_PIX_FMT_NONE; p++) {
        if (*p == AV_PIX_FMT_YUV420P) {
            *hw = AV_PIX_FMT_NONE;
            return *p;
        }
        if (is_hw_format(*p)) {
            if (*hw == AV_PIX_FMT_NONE)
                *hw = *p;
        } else if (first_sw == AV_PIX_FMT_NONE) {
            first_sw = *p;
        }
    }
    if (first_sw != AV_PIX_FMT_NONE) {
        *hw = AV_PIX_FMT_NONE;
        return first_sw;
    }
    return AV_PIX_FMT_NV12;
}

/* preset: already resolved for this encoder (preset_resolve), NULL = its default. */
static void apply_rate_control(Encoder *e, const EncoderConfig *cfg, const char *preset,
                               const Logger *log)
{
    AVCodecContext *ctx = e->ctx;
    const char *name = ctx->codec->name;

    if (preset && av_opt_set(ctx->priv_data, "preset", preset, 0) < 0)
        ev_log(log, EVCLIP_LOG_WARNING, "encoder %s: cannot set preset '%s', using its default",
               name, preset);
    /* libx264 logs its settings and statistics (a dozen lines) at INFO on every encode: on the
     * stderr of any host that has not routed FFmpeg's log (Python, C programs). Its warnings
     * and errors only. */
    if (!strcmp(name, "libx264"))
        av_opt_set(ctx->priv_data, "x264-params", "log=1", 0);
    /* Write the frames' SEI user-data side data (evclip's per-frame detections, sei.c). */
    if (has_option(ctx, "udu_sei"))
        av_opt_set_int(ctx->priv_data, "udu_sei", 1, 0);
    if (cfg->bitrate > 0) {
        ctx->bit_rate = cfg->bitrate;
        return;
    }
    if (has_option(ctx, "crf"))
        av_opt_set_double(ctx->priv_data, "crf", cfg->crf, 0);
    else if (has_option(ctx, "cq"))
        av_opt_set_int(ctx->priv_data, "cq", cfg->crf, 0);
    else if (has_option(ctx, "qp"))
        av_opt_set_int(ctx->priv_data, "qp", cfg->crf, 0);
    else
        ctx->global_quality = cfg->crf * FF_QP2LAMBDA;
}

static int setup_hw(Encoder *e, const AVCodec *codec, enum AVPixelFormat hw)
{
    const AVCodecHWConfig *conf = NULL;
    for (int i = 0; (conf = avcodec_get_hw_config(codec, i)); i++)
        if (conf->pix_fmt == hw)
            break;
    if (!conf)
        return AVERROR(ENOSYS);
    int ret = av_hwdevice_ctx_create(&e->hw_device, conf->device_type, NULL, NULL, 0);
    if (ret < 0)
        return ret;
    AVBufferRef *frames = av_hwframe_ctx_alloc(e->hw_device);
    if (!frames)
        return AVERROR(ENOMEM);
    AVHWFramesContext *fc = (AVHWFramesContext *)frames->data;
    fc->format = hw;
    fc->sw_format = e->sw_format;
    fc->width = e->ctx->width;
    fc->height = e->ctx->height;
    fc->initial_pool_size = 20;
    ret = av_hwframe_ctx_init(frames);
    if (ret >= 0)
        e->ctx->hw_frames_ctx = av_buffer_ref(frames);
    av_buffer_unref(&frames);
    return ret < 0 ? ret : e->ctx->hw_frames_ctx ? 0 : AVERROR(ENOMEM);
}

static void describe(AVCodecContext *ctx, const EncoderConfig *cfg)
{
    ctx->width = cfg->width;
    ctx->height = cfg->height;
    ctx->time_base = cfg->time_base;
    ctx->framerate = cfg->framerate;
    ctx->sample_aspect_ratio = cfg->sample_aspect;
    ctx->color_range = AVCOL_RANGE_MPEG;
    ctx->colorspace = cfg->space;
    ctx->color_primaries = cfg->primaries;
    ctx->color_trc = cfg->transfer;
    ctx->thread_count = cfg->threads;
    if (cfg->global_header)
        ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
}

/* Tries to open one named encoder with a resolved preset; on failure returns an AVERROR
 * with *e cleaned. */
static int try_open(Encoder *e, const AVCodec *codec, const EncoderConfig *cfg,
                    const char *preset, const Logger *log)
{
    enum AVPixelFormat hw;
    int ret;

    e->ctx = avcodec_alloc_context3(codec);
    if (!e->ctx)
        return AVERROR(ENOMEM);
    describe(e->ctx, cfg);
    e->sw_format = choose_sw_format(codec, &hw);
    e->ctx->pix_fmt = e->sw_format;
    if (hw != AV_PIX_FMT_NONE) {
        if ((ret = setup_hw(e, codec, hw)) < 0)
            goto fail;
        e->ctx->pix_fmt = hw;
    }
    apply_rate_control(e, cfg, preset, log);
    if ((ret = avcodec_open2(e->ctx, codec, NULL)) < 0)
        goto fail;
    return 0;
fail:
    avcodec_free_context(&e->ctx);
    av_buffer_unref(&e->hw_device);
    return ret;
}

/* Tries one hardware candidate of "auto" with its FFmpeg messages demoted to debug (failing
 * is expected); why receives the reason it did not open. */
static int try_candidate(Encoder *e, const char *name, const EncoderConfig *cfg,
                         char *why, size_t size)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(name);
    const char *preset;
    if (!codec) {
        snprintf(why, size, "not in this FFmpeg build");
        return -1;
    }
    if (preset_resolve(codec, cfg->preset, &preset) < 0) {
        snprintf(why, size, "%s", ev_error_message());
        return -1;
    }
    ev_log_demote_ffmpeg(1);
    int ret = try_open(e, codec, cfg, preset, NULL);
    ev_log_demote_ffmpeg(0);
    if (ret < 0)
        av_strerror(ret, why, size);
    return ret < 0 ? -1 : 0;
}

static int open_auto(Encoder *e, const EncoderConfig *cfg, const Logger *log)
{
    for (size_t i = 0; i < sizeof(auto_candidates) / sizeof(auto_candidates[0]); i++) {
        char why[512];
        if (try_candidate(e, auto_candidates[i], cfg, why, sizeof(why)) == 0) {
            ev_log(log, EVCLIP_LOG_DEBUG, "encoder auto: using %s", auto_candidates[i]);
            return 0;
        }
        ev_log(log, EVCLIP_LOG_DEBUG, "encoder auto: %s: %s", auto_candidates[i], why);
    }
    const AVCodec *x264 = avcodec_find_encoder_by_name("libx264");
    if (!x264)
        return ev_error(EVCLIP_ERR_ENCODER, "encoder auto: no hardware H.264 encoder opened "
                        "and libx264 is not in this FFmpeg");
    const char *preset;
    int ret = preset_resolve(x264, cfg->preset, &preset);
    if (ret < 0)
        return ret;
    ev_log(log, EVCLIP_LOG_INFO, "encoder auto: no hardware H.264 encoder available; using "
           "libx264");
    ret = try_open(e, x264, cfg, preset, log);
    return ret < 0 ? ev_error_av(ret, EVCLIP_ERR_ENCODER, "encoder libx264") : 0;
}

static int open_named(Encoder *e, const EncoderConfig *cfg, const Logger *log)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(cfg->name);
    if (!codec)
        return ev_error(EVCLIP_ERR_ENCODER, "encoder '%s' is not in this FFmpeg build "
                        "(see `ffmpeg -encoders`)", cfg->name);
    if (codec->type != AVMEDIA_TYPE_VIDEO)
        return ev_error(EVCLIP_ERR_ENCODER, "encoder '%s' is not a video encoder", cfg->name);
    const char *preset;
    int ret = preset_resolve(codec, cfg->preset, &preset);
    if (ret < 0)
        return ret;
    if (preset && strcmp(preset, cfg->preset))
        ev_log(log, EVCLIP_LOG_DEBUG, "encoder %s: preset '%s' is its '%s'", cfg->name,
               cfg->preset, preset);
    ret = try_open(e, codec, cfg, preset, log);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_ENCODER, "encoder '%s' failed to open", cfg->name);
    return 0;
}

static int setup_conversion(Encoder *e)
{
    if (e->sw_format == AV_PIX_FMT_YUV420P)
        return 0;
    e->sws = sws_getContext(e->ctx->width, e->ctx->height, AV_PIX_FMT_YUV420P, e->ctx->width,
                            e->ctx->height, e->sw_format, SWS_BICUBIC, NULL, NULL, NULL);
    e->converted = av_frame_alloc();
    if (!e->sws || !e->converted)
        return ev_error(EVCLIP_ERR_ENCODER, "encoder %s: cannot convert to %s",
                        e->ctx->codec->name, av_get_pix_fmt_name(e->sw_format));
    return 0;
}

int encoder_open(Encoder **out, const EncoderConfig *cfg, const Logger *log)
{
    *out = NULL;
    Encoder *e = calloc(1, sizeof(*e));
    if (!e || !(e->packet = av_packet_alloc())) {
        free(e);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    int ret = strcmp(cfg->name, "auto") == 0 ? open_auto(e, cfg, log) : open_named(e, cfg, log);
    if (ret >= 0)
        ret = setup_conversion(e);
    if (ret < 0) {
        encoder_close(&e);
        return ret;
    }
    *out = e;
    return 0;
}

void encoder_close(Encoder **pe)
{
    if (!pe || !*pe)
        return;
    Encoder *e = *pe;
    avcodec_free_context(&e->ctx);
    av_buffer_unref(&e->hw_device);
    sws_freeContext(e->sws);
    av_frame_free(&e->converted);
    av_packet_free(&e->packet);
    free(e);
    *pe = NULL;
}

const AVCodecContext *encoder_context(const Encoder *e)
{
    return e->ctx;
}

const char *encoder_name(const Encoder *e)
{
    return e->ctx->codec->name;
}

/* Converts to the encoder's software format and uploads to its hardware frames if needed. */
static int prepare(Encoder *e, AVFrame *frame, AVFrame **send)
{
    int ret;
    *send = frame;
    if (e->sws) {
        av_frame_unref(e->converted);
        e->converted->format = e->sw_format;
        e->converted->width = frame->width;
        e->converted->height = frame->height;
        if ((ret = av_frame_get_buffer(e->converted, 0)) < 0)
            return ret;
        sws_scale(e->sws, (const uint8_t *const *)frame->data, frame->linesize, 0,
                  frame->height, e->converted->data, e->converted->linesize);
        av_frame_copy_props(e->converted, frame);
        *send = e->converted;
    }
    if (e->ctx->hw_frames_ctx) {
        AVFrame *hw = av_frame_alloc();
        if (!hw)
            return AVERROR(ENOMEM);
        if ((ret = av_hwframe_get_buffer(e->ctx->hw_frames_ctx, hw, 0)) < 0 ||
            (ret = av_hwframe_transfer_data(hw, *send, 0)) < 0) {
            av_frame_free(&hw);
            return ret;
        }
        av_frame_copy_props(hw, *send);
        *send = hw;
    }
    return 0;
}

int encoder_encode(Encoder *e, AVFrame *frame, PacketSink sink, void *opaque)
{
    AVFrame *send = NULL;
    int ret = frame ? prepare(e, frame, &send) : 0;
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_ENCODER, "encoder %s: preparing frame",
                           e->ctx->codec->name);
    ret = avcodec_send_frame(e->ctx, send);
    if (send && send != frame && send != e->converted)
        av_frame_free(&send);
    if (ret < 0 && ret != AVERROR_EOF)
        return ev_error_av(ret, EVCLIP_ERR_ENCODER, "encoder %s", e->ctx->codec->name);
    for (;;) {
        ret = avcodec_receive_packet(e->ctx, e->packet);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ev_error_av(ret, EVCLIP_ERR_ENCODER, "encoder %s", e->ctx->codec->name);
        ret = sink(opaque, e->packet);
        av_packet_unref(e->packet);
        if (ret < 0)
            return ret;
    }
}
