/* audio.c: a clip's audio track: stream copy when MP4 can carry the codec, else AAC. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>

#include "src/audio.h"
#include "src/error.h"

struct AudioOut {
    AVCodecParameters *in_par; /* copy: the source may be closed before the output is */
    AVRational in_tb;
    AVStream *out;
    Mux *mux;
    int copy;
    AVPacket *packet;
    /* transcoding */
    AVCodecContext *dec, *enc;
    SwrContext *swr;
    AVAudioFifo *fifo;
    AVFrame *frame;
    int64_t next_pts;   /* output samples written */
    int started;
};

static int open_copy(AudioOut *a)
{
    int ret = avcodec_parameters_copy(a->out->codecpar, a->in_par);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_NOMEM, "audio stream copy");
    a->out->codecpar->codec_tag = 0;
    a->out->time_base = a->in_tb;
    a->copy = 1;
    return 0;
}

static int open_decoder(AudioOut *a)
{
    const AVCodec *codec = avcodec_find_decoder(a->in_par->codec_id);
    if (!codec)
        return ev_error(EVCLIP_ERR_DECODE, "no decoder for audio codec '%s'",
                        avcodec_get_name(a->in_par->codec_id));
    a->dec = avcodec_alloc_context3(codec);
    if (!a->dec)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    avcodec_parameters_to_context(a->dec, a->in_par);
    a->dec->pkt_timebase = a->in_tb;
    int ret = avcodec_open2(a->dec, codec, NULL);
    return ret < 0 ? ev_error_av(ret, EVCLIP_ERR_DECODE, "audio decoder %s", codec->name) : 0;
}

static int open_encoder(AudioOut *a, int global_header)
{
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!codec)
        return ev_error(EVCLIP_ERR_ENCODER, "no AAC encoder in this FFmpeg build");
    a->enc = avcodec_alloc_context3(codec);
    if (!a->enc)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    a->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    a->enc->sample_rate = a->dec->sample_rate > 0 ? a->dec->sample_rate : 48000;
    if (a->dec->ch_layout.nb_channels > 2 || a->dec->ch_layout.nb_channels < 1)
        av_channel_layout_default(&a->enc->ch_layout, 2);
    else
        av_channel_layout_default(&a->enc->ch_layout, a->dec->ch_layout.nb_channels);
    /* 64 kb/s a channel, at most what an AAC frame holds (6144 bits a channel for 1024
     * samples): 48 kb/s at G.711's 8 kHz, where the encoder would otherwise warn and clamp */
    a->enc->bit_rate = FFMIN(64000, 6 * (int64_t)a->enc->sample_rate) *
                       a->enc->ch_layout.nb_channels;
    a->enc->time_base = (AVRational){ 1, a->enc->sample_rate };
    if (global_header)
        a->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int ret = avcodec_open2(a->enc, codec, NULL);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_ENCODER, "AAC encoder");
    ret = avcodec_parameters_from_context(a->out->codecpar, a->enc);
    a->out->time_base = a->enc->time_base;
    return ret < 0 ? ev_error_av(ret, EVCLIP_ERR_NOMEM, "AAC stream") : 0;
}

static int open_resampler(AudioOut *a)
{
    AVChannelLayout in_layout;
    if (a->dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || !a->dec->ch_layout.nb_channels)
        av_channel_layout_default(&in_layout, a->dec->ch_layout.nb_channels > 0
                                                  ? a->dec->ch_layout.nb_channels : 2);
    else
        av_channel_layout_copy(&in_layout, &a->dec->ch_layout);
    int ret = swr_alloc_set_opts2(&a->swr, &a->enc->ch_layout, a->enc->sample_fmt,
                                  a->enc->sample_rate, &in_layout, a->dec->sample_fmt,
                                  a->dec->sample_rate, 0, NULL);
    av_channel_layout_uninit(&in_layout);
    if (ret >= 0)
        ret = swr_init(a->swr);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_ENCODER, "audio resampler");
    a->fifo = av_audio_fifo_alloc(a->enc->sample_fmt, a->enc->ch_layout.nb_channels, 4096);
    a->frame = av_frame_alloc();
    return a->fifo && a->frame ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
}

int audio_open(AudioOut **out, const AVStream *in, Mux *mux, const Logger *log)
{
    int ret;
    *out = NULL;
    AudioOut *a = calloc(1, sizeof(*a));
    if (!a || !(a->packet = av_packet_alloc())) {
        free(a);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    a->in_tb = in->time_base;
    a->mux = mux;
    if (!(a->in_par = avcodec_parameters_alloc()) ||
        avcodec_parameters_copy(a->in_par, in->codecpar) < 0) {
        audio_close(&a);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    if (!(a->out = mux_add_stream(mux))) {
        audio_close(&a);
        return EVCLIP_ERR_NOMEM;
    }
    if (avformat_query_codec(mux->fmt->oformat, in->codecpar->codec_id,
                             FF_COMPLIANCE_NORMAL) == 1) {
        ret = open_copy(a);
    } else {
        ev_log(log, EVCLIP_LOG_INFO, "audio: %s cannot go in MP4 as is; re-encoding to AAC",
               avcodec_get_name(in->codecpar->codec_id));
        ret = open_decoder(a);
        if (ret >= 0)
            ret = open_encoder(a, mux->fmt->oformat->flags & AVFMT_GLOBALHEADER);
        if (ret >= 0)
            ret = open_resampler(a);
    }
    if (ret < 0) {
        audio_close(&a);
        return ret;
    }
    *out = a;
    return 0;
}

void audio_close(AudioOut **pa)
{
    if (!pa || !*pa)
        return;
    AudioOut *a = *pa;
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    swr_free(&a->swr);
    if (a->fifo)
        av_audio_fifo_free(a->fifo);
    av_frame_free(&a->frame);
    av_packet_free(&a->packet);
    avcodec_parameters_free(&a->in_par);
    free(a);
    *pa = NULL;
}

int audio_is_copy(const AudioOut *a)
{
    return a->copy;
}

static int write_copy(AudioOut *a, const AVPacket *packet, AVRational tb, int64_t start,
                      int64_t end, double offset)
{
    int64_t pts = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
    if (pts == AV_NOPTS_VALUE || pts < start || pts >= end)
        return 0;
    int ret = av_packet_ref(a->packet, packet);
    if (ret < 0)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    a->packet->pts = pts - start;
    a->packet->dts = packet->dts != AV_NOPTS_VALUE ? packet->dts - start : a->packet->pts;
    if (a->packet->dts > a->packet->pts)
        a->packet->dts = a->packet->pts;
    a->packet->stream_index = a->out->index;
    a->packet->pos = -1;
    av_packet_rescale_ts(a->packet, tb, a->out->time_base);
    int64_t shift = llround(offset / av_q2d(a->out->time_base));
    a->packet->pts += shift;
    a->packet->dts += shift;
    return mux_write(a->mux, a->packet);
}

/* Sends one frame (NULL flushes) to the AAC encoder and muxes what comes out. */
static int encode(AudioOut *a, AVFrame *frame)
{
    int ret = avcodec_send_frame(a->enc, frame);
    if (ret < 0 && ret != AVERROR_EOF)
        return ev_error_av(ret, EVCLIP_ERR_ENCODER, "AAC encoder");
    for (;;) {
        ret = avcodec_receive_packet(a->enc, a->packet);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return ev_error_av(ret, EVCLIP_ERR_ENCODER, "AAC encoder");
        a->packet->stream_index = a->out->index;
        av_packet_rescale_ts(a->packet, a->enc->time_base, a->out->time_base);
        if ((ret = mux_write(a->mux, a->packet)) < 0)
            return ret;
    }
}

/* Encodes full AAC frames from the FIFO (all remaining samples, as a short frame, on flush). */
static int drain_fifo(AudioOut *a, int flush)
{
    int size = a->enc->frame_size > 0 ? a->enc->frame_size : 1024;
    while (av_audio_fifo_size(a->fifo) >= size || (flush && av_audio_fifo_size(a->fifo) > 0)) {
        int n = FFMIN(size, av_audio_fifo_size(a->fifo));
        av_frame_unref(a->frame);
        a->frame->nb_samples = n;
        a->frame->format = a->enc->sample_fmt;
        a->frame->sample_rate = a->enc->sample_rate;
        if (av_channel_layout_copy(&a->frame->ch_layout, &a->enc->ch_layout) < 0 ||
            av_frame_get_buffer(a->frame, 0) < 0)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        av_audio_fifo_read(a->fifo, (void **)a->frame->data, n);
        a->frame->pts = a->next_pts;
        a->next_pts += n;
        int ret = encode(a, a->frame);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int resample_frame(AudioOut *a, AVFrame *in)
{
    int max = swr_get_out_samples(a->swr, in ? in->nb_samples : 0);
    if (max <= 0)
        return 0;
    uint8_t **buf = NULL;
    if (av_samples_alloc_array_and_samples(&buf, NULL, a->enc->ch_layout.nb_channels, max,
                                           a->enc->sample_fmt, 0) < 0)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int got = swr_convert(a->swr, buf, max, in ? (const uint8_t **)in->extended_data : NULL,
                          in ? in->nb_samples : 0);
    int ret = got > 0 ? av_audio_fifo_write(a->fifo, (void **)buf, got) : got;
    av_freep(&buf[0]);
    av_freep(&buf);
    return ret < 0 ? ev_error_av(ret, EVCLIP_ERR_ENCODER, "audio resampling") : 0;
}

/* Keeps a frame decoded at output sample `at` at its time when samples are missing before it
 * (an outage, lost packets): silence fills the hole, as long as it, a frame at a time. Holes of
 * up to 5 ms are left alone (timestamps rounded to a coarser time base). */
static int fill_gap(AudioOut *a, int64_t at)
{
    int size = a->enc->frame_size > 0 ? a->enc->frame_size : 1024;
    int64_t gap = at - a->next_pts - av_audio_fifo_size(a->fifo) -
                  swr_get_delay(a->swr, a->enc->sample_rate);
    if (gap * 200 <= a->enc->sample_rate)
        return 0;
    uint8_t **buf = NULL;
    if (av_samples_alloc_array_and_samples(&buf, NULL, a->enc->ch_layout.nb_channels, size,
                                           a->enc->sample_fmt, 0) < 0)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    av_samples_set_silence(buf, 0, size, a->enc->ch_layout.nb_channels, a->enc->sample_fmt);
    int ret = 0;
    while (gap > 0 && ret >= 0) {
        int n = (int)FFMIN(gap, size);
        ret = av_audio_fifo_write(a->fifo, (void **)buf, n) < n
                  ? ev_error(EVCLIP_ERR_NOMEM, "out of memory") : drain_fifo(a, 0);
        gap -= n;
    }
    av_freep(&buf[0]);
    av_freep(&buf);
    return ret;
}

static int decode_packet(AudioOut *a, const AVPacket *packet, int64_t start, int64_t end,
                         AVFrame *frame)
{
    int ret = avcodec_send_packet(a->dec, packet);
    if (ret == AVERROR_INVALIDDATA)
        return 0; /* a damaged audio packet is skipped, as players do */
    if (ret < 0 && ret != AVERROR_EOF)
        return ev_error_av(ret, EVCLIP_ERR_DECODE, "audio decoding");
    while ((ret = avcodec_receive_frame(a->dec, frame)) >= 0) {
        int64_t pts = frame->best_effort_timestamp;
        if (pts != AV_NOPTS_VALUE && pts >= start && pts < end) {
            int64_t at = av_rescale_q(pts - start, a->in_tb, a->enc->time_base);
            if (!a->started)
                a->next_pts = at;
            a->started = 1;
            if ((ret = fill_gap(a, at)) < 0 || (ret = resample_frame(a, frame)) < 0 ||
                (ret = drain_fifo(a, 0)) < 0) {
                av_frame_unref(frame);
                return ret;
            }
        }
        av_frame_unref(frame);
    }
    if (ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
        return ev_error_av(ret, EVCLIP_ERR_DECODE, "audio decoding");
    return 0;
}

static int write_transcode(AudioOut *a, const AVPacket *packet, int64_t start, int64_t end)
{
    AVFrame *frame = av_frame_alloc();
    if (!frame)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int ret = decode_packet(a, packet, start, end, frame);
    av_frame_free(&frame);
    return ret;
}

int audio_write(AudioOut *a, const AVPacket *packet, AVRational tb, int64_t start, int64_t end,
                double offset)
{
    if (a->copy)
        return write_copy(a, packet, tb, start, end, offset);
    return write_transcode(a, packet, start, end);
}

int audio_can_continue(const AudioOut *a, const AVStream *in)
{
    const AVCodecParameters *x = a->in_par, *y = in->codecpar;
    return a->copy && x->codec_id == y->codec_id && x->sample_rate == y->sample_rate &&
           x->ch_layout.nb_channels == y->ch_layout.nb_channels &&
           x->extradata_size == y->extradata_size &&
           (!x->extradata_size || !memcmp(x->extradata, y->extradata, x->extradata_size));
}

int audio_finish(AudioOut *a)
{
    int ret;
    if (a->copy || !a->started)
        return 0;
    if ((ret = resample_frame(a, NULL)) < 0 || (ret = drain_fifo(a, 1)) < 0)
        return ret;
    return encode(a, NULL);
}
