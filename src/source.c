/* source.c: open and probe a video source, its timeline, accurate seeking and decoding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/avutil.h>

#include "src/error.h"
#include "src/source_packets.h"

void source_close_format(AVFormatContext **fmt, AVIOContext **pb)
{
    avformat_close_input(fmt);
    source_file_avio_free(pb);
}

/* Opens the input by name, or through s->file's descriptor when it is a local file (so that
 * every byte decoded comes from the file that is hashed and checked: see source_file.h). */
int source_open_format(const Source *s, AVFormatContext **fmt, AVIOContext **pb)
{
    int ret;
    *pb = NULL;
    if (s->file) {
        if (!(*fmt = avformat_alloc_context()))
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        if ((ret = source_file_avio(s->file, pb)) < 0) {
            avformat_free_context(*fmt);
            *fmt = NULL;
            return ret;
        }
        (*fmt)->pb = *pb;
        (*fmt)->flags |= AVFMT_FLAG_CUSTOM_IO;
    }
    ret = avformat_open_input(fmt, s->path, NULL, NULL);
    if (ret < 0) {
        source_file_avio_free(pb);
        return ev_error_av(ret, EVCLIP_ERR_INPUT, "input '%s'", s->path);
    }
    ret = avformat_find_stream_info(*fmt, NULL);
    if (ret < 0) {
        source_close_format(fmt, pb);
        return ev_error_av(ret, EVCLIP_ERR_INPUT, "input '%s': cannot read stream info",
                           s->path);
    }
    return 0;
}

static int is_cover_art(const AVStream *st)
{
    return !!(st->disposition & AV_DISPOSITION_ATTACHED_PIC);
}

static AVStream *pick_audio(AVFormatContext *fmt, int related)
{
    int i = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, related, NULL, 0);
    return i >= 0 ? fmt->streams[i] : NULL;
}

/* The video stream OpenCV and PyAV read: the first that is not cover art, or the one asked
 * for (`wanted` > 0: the input's video stream wanted - 1, counting every video stream). */
int source_find_video(const AVFormatContext *fmt, int wanted, int *nb_video,
                      int *video_streams)
{
    int found = -1;
    *nb_video = *video_streams = 0;
    for (unsigned j = 0; j < fmt->nb_streams; j++) {
        const AVStream *st = fmt->streams[j];
        if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO)
            continue;
        if (wanted > 0 ? *nb_video == wanted - 1 : found < 0 && !is_cover_art(st))
            found = (int)j;
        *video_streams += !is_cover_art(st);
        (*nb_video)++;
    }
    return found;
}

static int pick_video(Source *s, int wanted)
{
    int nb_video = 0;
    int i = source_find_video(s->fmt, wanted, &nb_video, &s->video_streams);
    s->video = i >= 0 ? s->fmt->streams[i] : NULL;
    if (s->video)
        return 0;
    if (wanted > 0)
        return ev_error(EVCLIP_ERR_NO_VIDEO, "input '%s': no video stream %d (it has %d, "
                        "numbered from 0)", s->path, wanted - 1, nb_video);
    return ev_error(EVCLIP_ERR_NO_VIDEO, "input '%s' has no video stream", s->path);
}

int source_open_decoder(const Source *s, AVCodecContext **out, int threads)
{
    const AVCodec *codec = avcodec_find_decoder(s->video->codecpar->codec_id);
    if (!codec)
        return ev_error(EVCLIP_ERR_DECODE, "input '%s': no decoder for video codec '%s'",
                        s->path, avcodec_get_name(s->video->codecpar->codec_id));
    AVCodecContext *dec = *out = avcodec_alloc_context3(codec);
    if (!dec)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int ret = avcodec_parameters_to_context(dec, s->video->codecpar);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_DECODE, "input '%s': decoder setup", s->path);
    dec->pkt_timebase = s->video->time_base;
    dec->thread_count = threads;
    ret = avcodec_open2(dec, codec, NULL);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_DECODE, "input '%s': cannot open %s decoder",
                           s->path, codec->name);
    return 0;
}

static void probe_timeline(Source *s)
{
    AVStream *v = s->video;
    AVRational rate = v->avg_frame_rate.num > 0 ? v->avg_frame_rate : v->r_frame_rate;

    s->frame_period = rate.num > 0 && rate.den > 0 ? av_q2d(av_inv_q(rate)) : 1.0 / 25;
    if (s->synth_ts) {
        /* Raw streams carry no timestamps: frame n is at n frame periods. */
        if (s->fps > 0)
            s->frame_period = 1 / s->fps;
        s->synth_step = llround(s->frame_period / av_q2d(v->time_base));
        if (s->synth_step < 1)
            s->synth_step = 1;
        s->frame_period = s->synth_step * av_q2d(v->time_base);
    }
    s->origin = v->start_time != AV_NOPTS_VALUE && !s->synth_ts ? v->start_time : 0;
    s->duration = -1;
    if (v->duration != AV_NOPTS_VALUE && v->duration > 0) {
        s->duration = v->duration * av_q2d(v->time_base);
    } else if (s->fmt->duration != AV_NOPTS_VALUE && s->fmt->duration > 0) {
        double fmt_start = s->fmt->start_time != AV_NOPTS_VALUE
                               ? s->fmt->start_time / (double)AV_TIME_BASE : 0;
        double origin = s->origin * av_q2d(v->time_base);
        s->duration = s->fmt->duration / (double)AV_TIME_BASE - (origin - fmt_start);
    }
}

static const int32_t *display_matrix(const AVStream *st)
{
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 29, 100)
    const AVPacketSideData *sd = av_packet_side_data_get(st->codecpar->coded_side_data,
                                                         st->codecpar->nb_coded_side_data,
                                                         AV_PKT_DATA_DISPLAYMATRIX);
    return sd && sd->size >= 9 * sizeof(int32_t) ? (const int32_t *)sd->data : NULL;
#else
    size_t size = 0;
    const uint8_t *data = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    return data && size >= 9 * sizeof(int32_t) ? (const int32_t *)data : NULL;
#endif
}

static void discard_other_streams(Source *s)
{
    for (unsigned i = 0; i < s->fmt->nb_streams; i++) {
        AVStream *st = s->fmt->streams[i];
        if (st != s->video && st != s->audio)
            st->discard = AVDISCARD_ALL;
    }
}

int source_open(Source **out, const EvclipSource *in, int threads, const Logger *log)
{
    const char *path = in->path;
    int ret;

    *out = NULL;
    if (!path || !*path)
        return ev_error(EVCLIP_ERR_INVALID, "input path is empty");
    Source *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(path)) || !(s->packet = av_packet_alloc()) ||
        !(s->frame = av_frame_alloc())) {
        source_close(&s);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    s->log = log;
    s->fps = in->fps;
    if ((ret = source_file_open(&s->file, path)) < 0 ||
        (ret = source_open_format(s, &s->fmt, &s->pb)) < 0 ||
        (ret = pick_video(s, in->stream)) < 0)
        goto fail;
    /* Raw Annex-B H.264/HEVC (and other raw streams): no packet has a timestamp, so probing
     * found no start time. */
    s->synth_ts = (s->fmt->iformat->flags & AVFMT_NOTIMESTAMPS) ||
                  s->video->start_time == AV_NOPTS_VALUE;
    s->audio = pick_audio(s->fmt, s->video->index);
    s->threads = threads;
    if ((ret = source_open_decoder(s, &s->dec, threads)) < 0)
        goto fail;
    probe_timeline(s);
    s->orient = orient_from_matrix(display_matrix(s->video), &s->rotation, &s->rotation_odd);
    discard_other_streams(s);
    ev_log(log, EVCLIP_LOG_DEBUG, "input '%s': %s %dx%d, %.3f s, %.3f fps%s, display "
           "rotation %.0f", path, avcodec_get_name(s->video->codecpar->codec_id),
           s->video->codecpar->width, s->video->codecpar->height, s->duration,
           1.0 / s->frame_period, s->audio ? ", with audio" : "",
           isnan(s->rotation) ? 0 : s->rotation);
    *out = s;
    return 0;
fail:
    source_close(&s);
    return ret;
}

void source_close(Source **ps)
{
    if (!ps || !*ps)
        return;
    Source *s = *ps;
    avcodec_free_context(&s->dec);
    source_packets_free(s);
    if (s->packets || (s->fmt && !s->fmt->iformat)) {
        avformat_free_context(s->fmt); /* streams described, no input opened */
        s->fmt = NULL;
    }
    source_close_format(&s->fmt, &s->pb);
    source_file_close(&s->file);
    av_packet_free(&s->packet);
    av_frame_free(&s->frame);
    free(s->index_pts);
    free(s->path);
    free(s);
    *ps = NULL;
}

double source_time(const Source *s, int64_t pts)
{
    return (pts - s->origin) * av_q2d(s->video->time_base);
}

int64_t source_pts(const Source *s, double seconds)
{
    AVRational tb = s->video->time_base;
    return s->origin + (int64_t)llround(seconds * tb.den / tb.num);
}

/* Inputs without timestamps cannot seek: decoding goes on forward, or restarts from the
 * beginning of the file for a target behind it. */
static int restart(Source *s, double seconds)
{
    if (seconds >= s->synth_next * s->frame_period)
        return 0;
    source_close_format(&s->fmt, &s->pb);
    int ret = source_open_format(s, &s->fmt, &s->pb);
    if (ret < 0)
        return ret;
    if ((unsigned)s->video->index >= s->fmt->nb_streams)
        return ev_error(EVCLIP_ERR_INPUT, "input '%s' changed while reading", s->path);
    AVStream *video = s->fmt->streams[s->video->index];
    for (unsigned i = 0; i < s->fmt->nb_streams; i++)
        if (s->fmt->streams[i] != video)
            s->fmt->streams[i]->discard = AVDISCARD_ALL;
    s->video = video;
    s->audio = NULL;
    s->synth_next = 0;
    avcodec_flush_buffers(s->dec);
    s->demux_eof = s->decode_eof = 0;
    s->flagged_pending = 0;
    return 0;
}

/* Restarts decoding (the position was moved). */
static void flush(Source *s)
{
    avcodec_flush_buffers(s->dec);
    s->demux_eof = s->decode_eof = 0;
    s->flagged_pending = 0;
}

int source_seek(Source *s, double seconds)
{
    if (s->synth_ts)
        return restart(s, seconds);
    int64_t target = seconds <= 0 ? s->origin : source_pts(s, seconds);
    if (s->packets) {
        source_packets_seek(s, target);
        flush(s);
        return 0;
    }
    /* As ffmpeg does: seek on the default stream in AV_TIME_BASE units to the last keyframe
     * at or before the target; the caller verifies where decoding really starts. */
    int64_t ts = av_rescale_q(target, s->video->time_base, AV_TIME_BASE_Q);
    int ret = avformat_seek_file(s->fmt, -1, INT64_MIN, ts, ts, 0);
    if (ret < 0)
        ret = av_seek_frame(s->fmt, s->video->index, target, AVSEEK_FLAG_BACKWARD);
    /* No keyframe at or before the target in the index (an MP4 of a recording cut mid-GOP):
     * any packet will do; frames that cannot be decoded are skipped, and the caller seeks
     * further back when decoding starts after the window. */
    if (ret < 0)
        ret = av_seek_frame(s->fmt, s->video->index, target,
                            AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_ANY);
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_INPUT, "input '%s': cannot seek to %.3f s",
                           s->path, seconds);
    flush(s);
    return 0;
}

static int receive_frame(Source *s)
{
    int ret = avcodec_receive_frame(s->dec, s->frame);
    if (ret == AVERROR(EAGAIN))
        return 0;
    if (ret == AVERROR_EOF) {
        s->decode_eof = 1;
        return SOURCE_END;
    }
    if (ret == AVERROR_INVALIDDATA) {
        /* A frame-threaded decoder reports a damaged packet here rather than when it is sent:
         * skipped and counted, as at sending. */
        s->corrupt_packets++;
        s->damaged++;
        ev_log(s->log, EVCLIP_LOG_DEBUG, "input '%s': skipping a corrupt video frame", s->path);
        return 0;
    }
    if (ret < 0)
        return ev_error_av(ret, EVCLIP_ERR_DECODE, "input '%s': decoding", s->path);
    s->frame->pts = s->synth_ts ? s->synth_next++ * s->synth_step
                                : s->frame->best_effort_timestamp;
    s->frames_decoded++;
    if (s->frame->decode_error_flags || (s->frame->flags & AV_FRAME_FLAG_CORRUPT)) {
        /* Decoded with errors concealed: counted once with the flagged packet it came from. */
        if (s->flagged_pending > 0)
            s->flagged_pending--;
        else
            s->damaged++;
    }
    return SOURCE_FRAME;
}

static int send_video(Source *s)
{
    int flagged = !!(s->packet->flags & AV_PKT_FLAG_CORRUPT);
    int ret = avcodec_send_packet(s->dec, s->packet);
    av_packet_unref(s->packet);
    if (ret == AVERROR_INVALIDDATA || ret == AVERROR(EINVAL)) {
        s->corrupt_packets++;
        s->damaged++;
        ev_log(s->log, EVCLIP_LOG_DEBUG, "input '%s': skipping corrupt video data", s->path);
        return 0;
    }
    s->damaged += flagged; /* the demuxer saw it damaged (e.g. MPEG-TS continuity error) */
    s->flagged_pending += flagged;
    if (ret < 0 && ret != AVERROR_EOF)
        return ev_error_av(ret, EVCLIP_ERR_DECODE, "input '%s': decoding", s->path);
    return 0;
}

int source_next(Source *s, int want_audio)
{
    int ret;

    av_packet_unref(s->packet);
    for (;;) {
        if (s->decode_eof)
            return SOURCE_END;
        if ((ret = receive_frame(s)) != 0)
            return ret;
        if (s->demux_eof)
            continue; /* draining: receive_frame ends with SOURCE_END */
        ret = s->packets ? source_packets_read(s, s->packet)
                         : av_read_frame(s->fmt, s->packet);
        if (ret == AVERROR_EOF) {
            s->demux_eof = 1;
            avcodec_send_packet(s->dec, NULL);
            continue;
        }
        if (ret == AVERROR_EXIT && s->feed)
            return ev_error(EVCLIP_ERR_CANCELED, "'%s': render cancelled", s->path);
        if (ret < 0)
            return ev_error_av(ret, EVCLIP_ERR_INPUT, "input '%s': reading", s->path);
        if (s->packet->stream_index == s->video->index) {
            if ((ret = send_video(s)) < 0)
                return ret;
        } else if (want_audio && s->audio && s->packet->stream_index == s->audio->index) {
            return SOURCE_AUDIO;
        } else {
            av_packet_unref(s->packet);
        }
    }
}

double source_keyframe_before(const Source *s, double seconds)
{
    if (s->packets) {
        int64_t pts = source_packets_keyframe_before(s, source_pts(s, seconds));
        return pts == AV_NOPTS_VALUE ? NAN : source_time(s, pts);
    }
    const AVIndexEntry *e = avformat_index_get_entry_from_timestamp(
        s->video, source_pts(s, seconds), AVSEEK_FLAG_BACKWARD);
    return e ? source_time(s, e->timestamp) : NAN;
}
