/* render.c: offline rendering of one clip: window check, accurate seek, select, draw, encode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/error.h"
#include "src/mux.h"
#include "src/pipeline.h"
#include "src/render.h"
#include "src/source.h"

#define TIME_EPSILON 1e-6
#define MAX_SEEK_RETRIES 6
#define MAX_PENDING_AUDIO 4096

typedef struct Render {
    EvclipRenderer *r;
    const EvclipClip *clip;
    const EvclipSource *in;
    Source *src;
    EvclipDetections *dets;   /* prepared store (NULL when none) */
    Pipeline *out;
    double start, end;        /* effective window in source seconds, rolls included */
    int use_index;            /* detections keyed by frame_idx: frames need their index */
    HoldState hold;
    DetList matched, visible;
    AVFrame *pending;         /* the frame waiting for its successor (for its interval) */
    double pending_prev_time; /* time of the frame before it, or NAN */
    int have_pending;
    int64_t first_pts;        /* source pts of the first output frame */
    double first_time, last_time;
    AVPacket **audio_queue;   /* audio read before the first output frame was known */
    int audio_queued;
    int seek_retries;
    double seek_target;
    int seeking_checked;
    int reached_end;          /* a frame at or after the window end was seen */
} Render;

int render_check_clip(const EvclipClip *clip)
{
    if (!clip)
        return ev_error(EVCLIP_ERR_INVALID, "clip is NULL");
    if (!clip->sources || clip->nb_sources < 1)
        return ev_error(EVCLIP_ERR_INVALID, "clip has no source");
    if (clip->nb_sources > 1)
        return ev_error(EVCLIP_ERR_UNSUPPORTED, "clips with several sources are not "
                        "supported by this version");
    if (!clip->output || !*clip->output)
        return ev_error(EVCLIP_ERR_INVALID, "clip has no output path");
    if (!(clip->pre_roll >= 0) || !isfinite(clip->pre_roll) || !(clip->post_roll >= 0) ||
        !isfinite(clip->post_roll))
        return ev_error(EVCLIP_ERR_INVALID, "pre-roll and post-roll must be finite and >= 0");
    const EvclipSource *s = &clip->sources[0];
    if (!s->path || !*s->path)
        return ev_error(EVCLIP_ERR_INVALID, "source has no path");
    if (!isfinite(s->start) || !isfinite(s->end))
        return ev_error(EVCLIP_ERR_WINDOW, "window [%g, %g) is not finite", s->start, s->end);
    if (s->start < 0)
        return ev_error(EVCLIP_ERR_WINDOW, "window start %.3f s is negative", s->start);
    if (s->start >= s->end)
        return ev_error(EVCLIP_ERR_WINDOW, "window start %.3f s is not before its end %.3f s",
                        s->start, s->end);
    return 0;
}

/* Validates the window against the video's real duration and applies rolls and clamping. */
static int resolve_window(Render *rd)
{
    const EvclipSource *in = rd->in;
    double duration = rd->src->duration, period = rd->src->frame_period;
    double start = in->start, end = in->end;

    if (duration > 0) {
        if (start >= duration)
            return ev_error(EVCLIP_ERR_WINDOW, "window [%.3f, %.3f) s starts after the end of "
                            "'%s' (the video is %.3f s long)", start, end, in->path, duration);
        if (end > duration + period / 2) {
            if (!rd->r->settings.clamp)
                return ev_error(EVCLIP_ERR_WINDOW, "window [%.3f, %.3f) s ends after the end "
                                "of '%s' (the video is %.3f s long; clamp to cut it there)",
                                start, end, in->path, duration);
            ev_log(&rd->r->log, EVCLIP_LOG_INFO, "window end %.3f s clamped to the video "
                   "end %.3f s", end, duration);
            end = duration;
        }
    }
    rd->start = fmax(0, start - rd->clip->pre_roll);
    rd->end = end + rd->clip->post_roll;
    if (duration > 0 && rd->end > duration + period / 2)
        rd->end = duration + period / 2; /* post-roll stops at the video end */
    if (start - rd->clip->pre_roll < 0)
        ev_log(&rd->r->log, EVCLIP_LOG_INFO, "pre-roll clamped at the video start");
    return 0;
}

static int prepare_detections(Render *rd)
{
    EvclipDetectionStats st;
    int ret;

    rd->dets = (EvclipDetections *)rd->in->detections;
    if (!rd->dets)
        return 0;
    if ((ret = detections_prepare(rd->dets)) < 0)
        return ret;
    evclip_detections_get_stats(rd->dets, &st);
    ev_log(&rd->r->log, EVCLIP_LOG_INFO, "detections: %lld boxes", (long long)st.count);
    if (st.skipped)
        ev_log(&rd->r->log, EVCLIP_LOG_WARNING, "detections: skipped %lld nonsense boxes "
               "(first: %s)", (long long)st.skipped, detections_skip_note(rd->dets));
    rd->use_index = detections_uses_frame_index(rd->dets);
    if (rd->use_index)
        return source_build_index(rd->src, source_pts(rd->src, rd->end + 1.0));
    return 0;
}

/* Feeds detections between from and to (before the first decoded frame) into the hold, so a
 * held box is not lost because the keyframe came after its detection. */
static int prime_hold(Render *rd, double from, double to)
{
    int ret = 0;
    if (!rd->dets || rd->r->settings.hold <= 0 || to <= from)
        return 0;
    detlist_clear(&rd->matched);
    if ((ret = detections_lookup(rd->dets, 0, 0, from, to, &rd->matched)) < 0)
        return ret;
    for (int i = 0; i < rd->matched.count && ret >= 0;) {
        DetList group = { rd->matched.items + i, 0, 0 };
        double t = rd->matched.items[i].ts;
        while (i + group.count < rd->matched.count && rd->matched.items[i + group.count].ts == t)
            group.count++;
        ret = hold_update(&rd->hold, t, &group, &rd->visible);
        i += group.count;
    }
    for (int64_t i = 0; ret >= 0 && rd->use_index && i < rd->src->index_count; i++) {
        double t = source_time(rd->src, source_index_pts(rd->src, i));
        if (t < from || t >= to)
            continue;
        detlist_clear(&rd->matched);
        if ((ret = detections_lookup(rd->dets, i, i + 1, 0, 0, &rd->matched)) >= 0 &&
            rd->matched.count)
            ret = hold_update(&rd->hold, t, &rd->matched, &rd->visible);
    }
    return ret < 0 ? ret : 0;
}

static int open_output(Render *rd, const AVFrame *frame)
{
    Source *s = rd->src;
    AVStream *v = s->video;
    const AVCodecParameters *par = v->codecpar;
    PipelineParams pp = {
        .output = rd->clip->output, .width = frame->width, .height = frame->height,
        .format = frame->format, .range = frame->color_range,
        .space = frame->colorspace != AVCOL_SPC_UNSPECIFIED ? frame->colorspace
                                                             : par->color_space,
        .primaries = par->color_primaries, .transfer = par->color_trc,
        .sample_aspect = frame->sample_aspect_ratio, .time_base = v->time_base,
        .framerate = v->avg_frame_rate.num > 0 ? v->avg_frame_rate : v->r_frame_rate,
        .audio = rd->r->settings.audio ? s->audio : NULL,
    };
    return pipeline_open(&rd->out, rd->r, &pp);
}

static void format_time(double t, char *buf, size_t size)
{
    long long ms = llround(fmax(0, t) * 1000);
    snprintf(buf, size, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60,
             ms / 1000 % 60, ms % 1000);
}

static int report_progress(Render *rd)
{
    const EvclipSettings *s = &rd->r->settings;
    if (!s->progress_callback)
        return 0;
    double period = rd->src->frame_period;
    EvclipProgress p = {
        .frames_done = pipeline_frames(rd->out),
        .frames_total = (int64_t)llround((rd->end - rd->start) / period),
        .seconds_done = rd->last_time - rd->first_time + period,
        .seconds_total = rd->end - rd->start,
    };
    if (s->progress_callback(s->progress_opaque, &p))
        return ev_error(EVCLIP_ERR_CANCELED, "render cancelled by the progress callback");
    return 0;
}

static int flush_audio_queue(Render *rd);

/* Draws and encodes one frame of the window; `next_time` is NAN for the last frame. */
static int emit(Render *rd, AVFrame *f, double t, double next_time)
{
    Source *s = rd->src;
    int ret;
    char stamp[32];

    if (!rd->out) {
        if ((ret = open_output(rd, f)) < 0)
            return ret;
        rd->first_pts = f->pts;
        rd->first_time = t;
        if ((ret = flush_audio_queue(rd)) < 0)
            return ret;
    }
    int64_t duration = isnan(next_time) ? source_pts(s, t + s->frame_period) - f->pts
                                        : source_pts(s, next_time) - f->pts;
    if (duration <= 0)
        duration = 1;
    if (rd->r->settings.timestamp)
        format_time(t, stamp, sizeof(stamp));
    ret = pipeline_video(rd->out, f, f->pts - rd->first_pts, duration, &rd->visible,
                         rd->r->settings.timestamp ? stamp : NULL);
    rd->last_time = t;
    return ret < 0 ? ret : report_progress(rd);
}

/* Matches detections to the pending frame (its interval ends halfway to next_time), updates
 * the hold and emits it when it lies in the window. Returns 1 once past the window. */
static int process_pending(Render *rd, double next_time)
{
    Source *s = rd->src;
    AVFrame *f = rd->pending;
    double t = source_time(s, f->pts), half = s->frame_period / 2;
    double lo = isnan(rd->pending_prev_time) ? t - half : (rd->pending_prev_time + t) / 2;
    double hi = isnan(next_time) ? t + half : (t + next_time) / 2;
    int ret;

    if (t >= rd->end - TIME_EPSILON)
        return 1;
    if (rd->dets) {
        int64_t idx = rd->use_index ? source_frame_index(s, f->pts) : -1;
        detlist_clear(&rd->matched);
        if ((ret = detections_lookup(rd->dets, idx, idx >= 0 ? idx + 1 : idx, lo, hi,
                                     &rd->matched)) < 0)
            return ret;
        if ((ret = hold_update(&rd->hold, t, &rd->matched, &rd->visible)) < 0)
            return ret;
    }
    if (t < rd->start - TIME_EPSILON)
        return 0;
    return emit(rd, f, t, next_time);
}

/* Seeks further back after a seek that landed past the window start (or on no keyframe at
 * all, as byte-based seeking in MPEG-TS can): 1 s, 2 s, 4 s... earlier, finally the start. */
static int seek_earlier(Render *rd, double landed)
{
    if (rd->seek_retries++ >= MAX_SEEK_RETRIES)
        rd->seek_target = 0;
    else
        rd->seek_target = fmax(0, rd->start - (1 << rd->seek_retries));
    ev_log(&rd->r->log, EVCLIP_LOG_DEBUG, "seek for %.3f s landed at %.3f s; retrying from "
           "%.3f s", rd->start, landed, rd->seek_target);
    rd->seeking_checked = 0;
    for (int i = 0; i < rd->audio_queued; i++)
        av_packet_free(&rd->audio_queue[i]);
    rd->audio_queued = 0;
    hold_free(&rd->hold);
    hold_init(&rd->hold, rd->r->settings.hold);
    return source_seek(rd->src, rd->seek_target);
}

/* Checks that decoding after a seek starts at or before the window; else seeks earlier. */
static int check_seek(Render *rd, double t, int *reseeked)
{
    *reseeked = 0;
    if (rd->seeking_checked)
        return 0;
    rd->seeking_checked = 1;
    if (t <= rd->start + TIME_EPSILON || rd->seek_target <= 0)
        return prime_hold(rd, rd->start - rd->r->settings.hold, t - rd->src->frame_period / 2);
    *reseeked = 1;
    return seek_earlier(rd, t);
}

static int on_frame(Render *rd)
{
    Source *s = rd->src;
    double t = source_time(s, s->frame->pts);
    int reseeked, ret;

    if (renderer_cancelled(rd->r))
        return ev_error(EVCLIP_ERR_CANCELED, "render cancelled");
    if ((ret = check_seek(rd, t, &reseeked)) < 0 || reseeked)
        return ret;
    if (rd->have_pending) {
        if (t <= source_time(s, rd->pending->pts))
            return 0; /* duplicate or out-of-order timestamp: keep the first */
        double prev = source_time(s, rd->pending->pts);
        if ((ret = process_pending(rd, t)) != 0)
            return ret;
        rd->pending_prev_time = prev;
        av_frame_unref(rd->pending);
    }
    av_frame_move_ref(rd->pending, s->frame);
    rd->have_pending = 1;
    return 0;
}

static int audio_bounds(Render *rd, int64_t *start, int64_t *end)
{
    AVRational vtb = rd->src->video->time_base, atb = rd->src->audio->time_base;
    *start = av_rescale_q(rd->first_pts, vtb, atb);
    *end = av_rescale_q(source_pts(rd->src, rd->end), vtb, atb);
    return 0;
}

static int flush_audio_queue(Render *rd)
{
    int64_t start = 0, end = 0;
    int ret = 0;
    if (rd->src->audio)
        audio_bounds(rd, &start, &end);
    for (int i = 0; i < rd->audio_queued; i++) {
        if (ret >= 0)
            ret = pipeline_audio(rd->out, rd->audio_queue[i], start, end);
        av_packet_free(&rd->audio_queue[i]);
    }
    rd->audio_queued = 0;
    return ret;
}

static int on_audio(Render *rd)
{
    AVPacket *pkt = rd->src->packet;
    int64_t start, end;

    if (rd->out) {
        audio_bounds(rd, &start, &end);
        return pipeline_audio(rd->out, pkt, start, end);
    }
    if (pkt->pts == AV_NOPTS_VALUE)
        return 0;
    /* Before the first output frame: keep packets that may fall in the window. */
    double t = (pkt->pts - av_rescale_q(rd->src->origin, rd->src->video->time_base,
                                        rd->src->audio->time_base)) *
               av_q2d(rd->src->audio->time_base);
    if (t < rd->start - 1.0)
        return 0;
    if (rd->audio_queued == MAX_PENDING_AUDIO) {
        av_packet_free(&rd->audio_queue[0]);
        memmove(rd->audio_queue, rd->audio_queue + 1,
                (MAX_PENDING_AUDIO - 1) * sizeof(*rd->audio_queue));
        rd->audio_queued--;
    }
    if (!(rd->audio_queue[rd->audio_queued] = av_packet_clone(pkt)))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    rd->audio_queued++;
    return 0;
}

static int decode_window(Render *rd)
{
    int want_audio = rd->r->settings.audio && rd->src->audio;
    int ret;

    rd->seek_target = rd->start;
    if (rd->start > 0 && (ret = source_seek(rd->src, rd->start)) < 0)
        return ret;
    for (;;) {
        ret = source_next(rd->src, want_audio);
        if (ret < 0)
            return ret;
        if (ret == SOURCE_END && !rd->seeking_checked && rd->seek_target > 0) {
            if ((ret = seek_earlier(rd, INFINITY)) < 0)
                return ret;
            continue;
        }
        if (ret == SOURCE_END)
            break;
        ret = ret == SOURCE_FRAME ? on_frame(rd) : on_audio(rd);
        if (ret < 0)
            return ret;
        if (ret == 1) {
            rd->reached_end = 1;
            return 0; /* past the window */
        }
    }
    if (rd->have_pending && (ret = process_pending(rd, NAN)) < 0)
        return ret;
    return 0;
}

static int check_complete(Render *rd)
{
    const EvclipSource *in = rd->in;
    double period = rd->src->frame_period;

    if (!rd->out)
        return ev_error(EVCLIP_ERR_WINDOW, "window [%.3f, %.3f) s of '%s' contains no video "
                        "frame (decoded frames end at %.3f s)", in->start, in->end, in->path,
                        rd->have_pending ? source_time(rd->src, rd->pending->pts) : 0.0);
    double wanted = fmin(rd->end, in->end + rd->clip->post_roll);
    if (!rd->reached_end && rd->last_time + 1.5 * period < wanted && !rd->r->settings.clamp)
        return ev_error(EVCLIP_ERR_INPUT, "input '%s' ends at %.3f s, before the window end "
                        "%.3f s (truncated file? clamp to accept)", in->path,
                        rd->last_time + period, wanted);
    return 0;
}

static void render_free(Render *rd)
{
    for (int i = 0; i < rd->audio_queued; i++)
        av_packet_free(&rd->audio_queue[i]);
    free(rd->audio_queue);
    av_frame_free(&rd->pending);
    detlist_free(&rd->matched);
    detlist_free(&rd->visible);
    hold_free(&rd->hold);
    pipeline_close(&rd->out);
    source_close(&rd->src);
}

static int render_clip(EvclipRenderer *r, const EvclipClip *clip, EvclipResult *res)
{
    Render rd = { .r = r, .clip = clip, .in = &clip->sources[0], .pending_prev_time = NAN };
    int ret;

    hold_init(&rd.hold, r->settings.hold);
    if ((ret = render_check_clip(clip)) < 0 ||
        (ret = mux_check(clip->output, r->settings.overwrite)) < 0 ||
        (ret = source_open(&rd.src, rd.in->path, r->settings.threads, &r->log)) < 0 ||
        (ret = resolve_window(&rd)) < 0 || (ret = prepare_detections(&rd)) < 0)
        goto done;
    rd.pending = av_frame_alloc();
    rd.audio_queue = calloc(MAX_PENDING_AUDIO, sizeof(*rd.audio_queue));
    if (!rd.pending || !rd.audio_queue) {
        ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((ret = decode_window(&rd)) < 0 || (ret = check_complete(&rd)) < 0 ||
        (ret = pipeline_finish(rd.out, res)) < 0)
        goto done;
    res->first_time = rd.first_time;
    res->last_time = rd.last_time;
    ev_log(&r->log, EVCLIP_LOG_DEBUG, "wrote '%s': %lld frames, %.3f s, %lld boxes",
           clip->output, (long long)res->frames, res->duration, (long long)res->boxes_drawn);
done:
    if (rd.src)
        res->frames_decoded = rd.src->frames_decoded;
    render_free(&rd);
    return ret;
}

int evclip_render(EvclipRenderer *r, const EvclipClip *clip, EvclipResult *result)
{
    EvclipResult local;
    EvclipResult *res = result ? result : &local;

    ev_error_clear();
    memset(res, 0, sizeof(*res));
    if (!r)
        return ev_error(EVCLIP_ERR_INVALID, "renderer is NULL");
    ev_log_capture_ffmpeg(&r->log);
    int ret = render_clip(r, clip, res);
    ev_log_capture_ffmpeg(NULL);
    res->status = ret < 0 ? ret : 0;
    if (ret < 0)
        snprintf(res->error, sizeof(res->error), "%s", ev_error_message());
    return ret < 0 ? ret : 0;
}
