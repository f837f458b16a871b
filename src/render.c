/* render.c: one clip being rendered: per-segment detections and hold, timing across joined
 * sources, speed and frame step, output through a pipeline (optionally on worker threads). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "src/error.h"
#include "src/frame_boxes.h"
#include "src/interpolate.h"
#include "src/manifest.h"
#include "src/mux.h"
#include "src/native.h"
#include "src/poster.h"
#include "src/publish.h"
#include "src/redact.h"
#include "src/render.h"
#include "src/render_checks.h"
#include "src/render_jobs.h"
#include "src/settings.h"
#include "src/tz.h"

#define TIME_EPSILON 1e-6
#define MAX_PENDING_AUDIO 4096
#define MULTI_TIME_BASE 90000

/* Records the failure (this thread's detail message) unless the run failed already. */
static void record_failure(ClipRun *c, int code)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&c->status, &expected, code))
        return;
    c->res->status = code;
    snprintf(c->res->error, sizeof(c->res->error), "%s", ev_error_message());
}

/* The clip's redaction log (EvclipDrawOptions.redact_detections), single-source clips only. */
static int open_redact_log(ClipRun *c)
{
    const EvclipDrawOptions *o = c->s->draw_options;
    if (!o || !o->redact_detections)
        return 0;
    if (c->clip->nb_sources != 1)
        return ev_error(EVCLIP_ERR_INVALID, "redaction log '%s': a clip of %d sources cannot "
                        "take one redaction log (it applies to a single source's timeline)",
                        o->redact_detections, c->clip->nb_sources);
    return redact_log_open(&c->redact, o->redact_detections);
}

void clip_run_init(ClipRun *c, EvclipRenderer *r, const EvclipClip *clip, EvclipResult *res)
{
    memset(c, 0, sizeof(*c));
    memset(res, 0, sizeof(*res));
    c->r = r;
    c->clip = clip;
    c->res = res;
    c->seg_first = NAN;
    atomic_init(&c->status, 0);
    c->s = clip && clip->settings ? clip->settings : &r->settings;
    int ret = plan_check_clip(clip);
    if (ret >= 0 && clip->settings)
        ret = settings_validate(clip->settings);
    if (ret >= 0)
        ret = mux_check(clip->output, c->s->overwrite);
    if (ret >= 0)
        ret = render_check_outputs(clip, c->s);
    if (ret >= 0 && c->s->manifest)
        ret = render_check_logs_certifiable(clip);
    if (ret >= 0)
        ret = open_redact_log(c);
    if (ret >= 0)
        ret = tz_open(&c->tz, c->s->draw_options ? c->s->draw_options->timezone : NULL);
    if (ret >= 0)
        render_clean_stale(clip->output, &r->log);
    if (ret >= 0 && (!(c->audio_queue = calloc(MAX_PENDING_AUDIO, sizeof(*c->audio_queue))) ||
                     !(c->digests = calloc((size_t)clip->nb_sources, sizeof(*c->digests)))))
        ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    if (ret < 0)
        record_failure(c, ret);
}

void clip_run_plan(ClipRun *c, const SourceInfo *info)
{
    if (run_failed(c))
        return;
    int ret = plan_clip(&c->plan, c->clip, info, c->s, &c->r->log);
    if (ret < 0) {
        record_failure(c, ret);
        return;
    }
    c->audio = c->s->audio && c->plan.speed == 1.0 && c->plan.step == 1;
    if (c->s->audio && !c->audio)
        ev_log(&c->r->log, EVCLIP_LOG_INFO, "'%s': audio dropped (playback speed %.4g%s)",
               c->clip->output, c->plan.speed, c->plan.step > 1 ? ", frames dropped" : "");
}

static void drop_audio_queue(ClipRun *c)
{
    for (int i = 0; i < c->audio_queued; i++)
        av_packet_free(&c->audio_queue[i]);
    c->audio_queued = 0;
}

/* Warns when the ts keys fit the other origin (EvclipTsOrigin) but not the one chosen: a log
 * written from PyAV's frame.pts * time_base has every ts shifted by the stream's start time. */
static void check_ts_origin(ClipRun *c, const Source *src, const EvclipSource *in)
{
    double lo, hi, start = -source_time(src, 0), half = src->frame_period / 2;
    if (!detections_ts_range(c->dets, &lo, &hi) || !(start >= src->frame_period) ||
        src->duration <= 0)
        return;
    int fits_start = lo >= -half && hi <= src->duration + half;
    int fits_pts = lo >= start - half && hi <= start + src->duration + half;
    if (in->ts_origin == EVCLIP_TS_START && !fits_start && fits_pts)
        ev_log(&c->r->log, EVCLIP_LOG_WARNING, "input '%s': detection ts run from %.3f to "
               "%.3f s, past the video's %.3f s but within its pts (start time %.3f s): a log "
               "of frame.pts * time_base needs --ts-origin pts", in->path, lo, hi,
               src->duration, start);
    else if (in->ts_origin == EVCLIP_TS_PTS && !fits_pts && fits_start)
        ev_log(&c->r->log, EVCLIP_LOG_WARNING, "input '%s': detection ts run from %.3f to "
               "%.3f s, before the video's start time %.3f s: they look like seconds from the "
               "start (--ts-origin start)", in->path, lo, hi, start);
}

/* The segment's wall-clock origin (a live clip's is its stream clock), kept for the manifest. */
static int begin_wall(ClipRun *c, const Source *src, const EvclipSource *in)
{
    int k = (int)(in - c->clip->sources);
    int ret = c->live ? (c->wall = (WallOrigin){ 1, c->wall0, EVCLIP_EPOCH_OPTION }, 0)
                      : wallclock_segment(in, c->dets, src->fmt, src->video, c->ts_shift,
                                          c->s->timestamp ? c->tz : NULL, &c->wall,
                                          &c->r->log, c->clip->output);
    const char *keyed = c->redact.store ? detections_wall_keyed(c->redact.store) : NULL;
    if (ret >= 0 && keyed && !c->wall.known) /* its boxes would never be hidden */
        ret = ev_error(EVCLIP_ERR_DETECTIONS, "%s: field 'wallclock': redaction boxes keyed by "
                       "wall-clock time need the wall-clock origin of input '%s', which is "
                       "unknown (give --epoch)", keyed, in->path);
    if (ret >= 0 && !c->live) {
        c->digests[k].epoch_known = c->wall.known;
        c->digests[k].epoch = c->wall.epoch;
        c->digests[k].epoch_origin = c->wall.origin;
    }
    return ret;
}

void clip_run_begin_segment(ClipRun *c, Source *src)
{
    const SegmentPlan *seg = &c->plan.segments[c->segment];
    int ret = 0;

    if (run_failed(c))
        return;
    hold_free(&c->hold);
    hold_init(&c->hold, c->s->hold);
    if ((ret = redact_log_begin(&c->redact, c->s->hold)) < 0) {
        record_failure(c, ret);
        return;
    }
    drop_audio_queue(c);
    c->seg_first = NAN;
    c->counter = 0;
    detections_use(c->dets, -1); /* the previous segment's store */
    c->dets = seg->source->detections;
    detections_use(c->dets, 1);
    c->use_index = 0;
    c->damage_mark = -1;
    c->seg_damaged = 0;
    window_check_reset(&c->check);
    window_check_orient(&c->check, src->orient, src->video->codecpar->width,
                        src->video->codecpar->height, c->s->box_space, src->rotation,
                        src->rotation_odd);
    c->ts_shift = seg->source->ts_origin == EVCLIP_TS_PTS ? -source_time(src, 0) : 0;
    if (c->dets && (ret = detections_prepare(c->dets)) >= 0) {
        warnings_from_store(c->dets, c->res, &c->r->log, c->clip->output);
        check_ts_origin(c, src, seg->source);
        c->use_index = detections_uses_frame_index(c->dets);
    }
    if (ret >= 0 && (c->use_index || c->redact.use_index))
        ret = source_build_index(src, source_pts(src, seg->end + 1.0));
    if (ret >= 0)
        ret = begin_wall(c, src, seg->source);
    if (ret < 0)
        record_failure(c, ret);
}

void clip_run_restart_lead_in(ClipRun *c)
{
    if (!isnan(c->seg_first))
        return;
    c->damage_mark = -1; /* damage before the new seek point is not this window's */
    c->seg_damaged = 0;
    drop_audio_queue(c);
    hold_free(&c->hold);
    hold_init(&c->hold, c->s->hold);
    hold_free(&c->redact.hold);
    hold_init(&c->redact.hold, c->s->hold);
    c->counter = 0;
}

/* Whether the boxes are in the stored frame's space (a turned source with --box-space stored);
 * otherwise they are in the space of the frame as displayed (src->orient applied). */
static int boxes_stored(const ClipRun *c, const Source *src)
{
    return src->orient && c->s->box_space == EVCLIP_BOX_STORED;
}

/* Turns boxes given in stored space (pixels of the decoded frame) with the picture; a polygon
 * is then drawn as its (turned) bounding box. */
static void stored_to_display(DetList *list, const Source *src, const AVFrame *f)
{
    for (int i = 0; i < list->count; i++) {
        EvclipDetection *d = &list->items[i];
        orient_box(src->orient, f->width, f->height, &d->x1, &d->y1, &d->x2, &d->y2);
        d->normalized &= ~DETECTION_POLYGON;
    }
}

static double index_time(void *opaque, int64_t index)
{
    const Source *src = opaque;
    int64_t pts = source_index_pts(src, index);
    return pts == AV_NOPTS_VALUE ? NAN : source_time(src, pts);
}

/* The boxes of store `dets` for frame f, held: matched (this frame's, interpolated ones
 * included, copied to interp) and visible. */
static int lookup(ClipRun *c, const EvclipDetections *dets, int use_index, HoldState *hold,
                  DetList *matched, DetList *visible, DetList *interp, Source *src, AVFrame *f,
                  double t, double lo, double hi)
{
    int ret;
    int64_t idx = use_index ? source_frame_index(src, f->pts) : -1;
    int w = f->width, h = f->height; /* normalised boxes are fractions of the boxes' space */
    const EvclipDrawOptions *o = c->s->draw_options;
    if (!boxes_stored(c, src))
        orient_size(src->orient, f->width, f->height, &w, &h);
    detlist_clear(matched);
    detlist_clear(interp);
    if ((ret = frame_boxes_lookup(dets, idx, idx >= 0 ? idx + 1 : idx, lo + c->ts_shift,
                                  hi + c->ts_shift, w, h, matched)) < 0 ||
        (c->wall.known && detections_wall_keyed(dets) &&
         (ret = frame_boxes_lookup_wall(dets, lo + c->wall.epoch, hi + c->wall.epoch, w, h,
                                        matched)) < 0))
        return ret;
    int first = matched->count;
    if (o && o->interpolate > 0) {
        InterpolateFrame in = {
            .d = dets, .gap = o->interpolate, .index = idx, .time = t, .ts_shift = c->ts_shift,
            .wall_epoch = c->wall.known ? c->wall.epoch : NAN,
            .frame_period = src->frame_period, .index_time = index_time, .opaque = src,
            .width = w, .height = h,
        };
        if ((ret = interpolate_frame(&in, matched, &c->scratch)) < 0)
            return ret;
    }
    if (boxes_stored(c, src))
        stored_to_display(matched, src, f);
    for (int i = first; i < matched->count; i++)
        if (detlist_push(interp, &matched->items[i]) < 0)
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    return hold_update(hold, t, matched, visible);
}

/* EVCLIP_BOX_INTERPOLATED when d is one of the boxes interpolated on this frame. */
static uint8_t interp_mark(const DetList *interp, const EvclipDetection *d)
{
    for (int i = 0; i < interp->count; i++) {
        const EvclipDetection *e = &interp->items[i];
        if (e->track_id == d->track_id && e->x1 == d->x1 && e->y1 == d->y1 && e->x2 == d->x2 &&
            e->y2 == d->y2)
            return EVCLIP_BOX_INTERPOLATED;
    }
    return 0;
}

static int match(ClipRun *c, Source *src, AVFrame *f, double t, double lo, double hi)
{
    int ret = 0;
    if (c->dets)
        ret = lookup(c, c->dets, c->use_index, &c->hold, &c->matched, &c->visible, &c->interp,
                     src, f, t, lo, hi);
    if (ret >= 0 && c->redact.store)
        ret = lookup(c, c->redact.store, c->redact.use_index, &c->redact.hold,
                     &c->redact.matched, &c->redact.visible, &c->redact_interp, src, f, t, lo,
                     hi);
    return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* Emission                                                                                 */

/* The burnt-in timestamp of a frame at source time t: its wall clock in the clip's zone when
 * its source's origin is known (a live clip's always is), else the time in the source. */
static void format_time(const ClipRun *c, double t, char *buf, size_t size)
{
    if (c->wall.known) {
        wallclock_format(c->tz, c->wall.epoch + t, buf, size);
        return;
    }
    long long ms = llround(fmax(0, t) * 1000);
    snprintf(buf, size, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60,
             ms / 1000 % 60, ms % 1000);
}

static int open_output(ClipRun *c, Source *src, const AVFrame *f)
{
    AVStream *v = src->video;
    const AVCodecParameters *par = v->codecpar;
    AVRational rate = v->avg_frame_rate.num > 0 ? v->avg_frame_rate : v->r_frame_rate;
    double scale = c->plan.speed / c->plan.step;

    c->exact_timing = c->plan.nb_segments == 1 && scale == 1.0;
    c->out_tb = c->exact_timing ? v->time_base : (AVRational){ 1, MULTI_TIME_BASE };
    if (rate.num > 0 && scale != 1.0)
        rate = av_d2q(av_q2d(rate) * scale, 1 << 20);
    int dw, dh;
    orient_size(src->orient, f->width, f->height, &dw, &dh);
    PipelineParams pp = {
        .output = c->clip->output, .width = f->width, .height = f->height,
        .orient = src->orient,
        .format = f->format, .range = f->color_range,
        .space = f->colorspace != AVCOL_SPC_UNSPECIFIED ? f->colorspace : par->color_space,
        .primaries = par->color_primaries, .transfer = par->color_trc,
        .sample_aspect = f->sample_aspect_ratio, .time_base = c->out_tb, .framerate = rate,
        .audio = c->audio ? src->audio : NULL, .settings = c->s,
        .cancel = c->progress ? &c->progress->cancel : NULL,
        .preview_hls = c->preview_hls,
        .out_width = c->plan.width ? c->plan.width
                                   : c->plan.nb_segments > 1 ? (dw + 1) & ~1 : 0,
        .out_height = c->plan.height ? c->plan.height
                                     : c->plan.nb_segments > 1 ? (dh + 1) & ~1 : 0,
    };
    int ret = pipeline_open(&c->out, c->r, &pp);
    if (ret >= 0)
        pipeline_defer_publish(c->out); /* published with its manifest: publish_pair() */
    if (ret >= 0)
        redactor_set_log(pipeline_redactor(c->out), c->redact.path, c->redact.sha256,
                         c->redact.size);
    if (ret >= 0 && c->audio && src->audio)
        ev_log(&c->r->log, EVCLIP_LOG_DEBUG, "'%s': audio from '%s'", c->clip->output,
               src->path);
    return ret;
}

static void queue_audio_flush(ClipRun *c, Source *src);

/* Output time (seconds) of a kept frame at source time t of the current segment. */
static double output_time(const ClipRun *c, double t)
{
    return c->out_offset + (t - c->seg_first) / (c->plan.speed * c->plan.step);
}

static int64_t output_pts(ClipRun *c, const AVFrame *f, double t)
{
    int64_t pts = c->exact_timing ? f->pts - c->seg_first_pts
                                  : llround(output_time(c, t) * MULTI_TIME_BASE);
    if (c->res->frames > 0 && pts <= c->last_pts)
        pts = c->last_pts + 1;
    c->last_pts = pts;
    return pts;
}

static int emit(ClipRun *c, Source *src, AVFrame *f, double t, double next)
{
    int ret;
    if (!c->out && (ret = open_output(c, src, f)) < 0)
        return ret;
    if (isnan(c->seg_first)) {
        c->seg_first = t;
        c->seg_first_pts = f->pts;
        if (c->res->frames == 0)
            c->first_time = t;
        queue_audio_flush(c, src);
    }
    double src_dur = isnan(next) ? src->frame_period : next - t;
    double scale = c->exact_timing ? 1.0 : c->plan.speed;
    ClipJob job = { .type = JOB_VIDEO };
    job.pts = output_pts(c, f, t);
    job.duration = c->exact_timing ? source_pts(src, t + src_dur) - f->pts
                                   : llround(src_dur / scale * MULTI_TIME_BASE);
    if (job.duration <= 0)
        job.duration = 1;
    c->seg_end_out = output_time(c, t) + src_dur / c->plan.speed;
    job.info = (FrameInfo){ t, c->segment, c->s->timestamp ? job.stamp : NULL, src->orient };
    job.info.wall_known = c->wall.known;
    job.info.wall_time = c->wall.epoch + t;
    if (c->s->timestamp)
        format_time(c, t, job.stamp, sizeof(job.stamp));
    if (!(job.frame = av_frame_clone(f)))
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    int n = c->visible.count + c->redact.visible.count;
    if ((c->interp.count || c->redact_interp.count) && !(job.marks = calloc((size_t)n, 1))) {
        av_frame_free(&job.frame);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        int k = i - c->visible.count; /* the redaction log's boxes go last */
        const EvclipDetection *d = k < 0 ? &c->visible.items[i] : &c->redact.visible.items[k];
        if (job.marks)
            job.marks[i] = interp_mark(k < 0 ? &c->interp : &c->redact_interp, d);
        if (detlist_push(&job.dets, d) < 0) {
            clip_job_clear(&job);
            return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
        }
    }
    job.info.redact_only = c->redact.visible.count;
    clip_job_submit(c, &job);
    c->res->frames++;
    c->res->boxes_drawn += c->visible.count;
    c->last_time = t;
    return 0;
}

/* Reports the progress of the whole batch (one clip for evclip_render). */
static void report_progress(ClipRun *c, double out_seconds)
{
    RenderProgress *g = c->progress;
    const EvclipSettings *s = &c->r->settings;
    g->done++;
    g->seconds += out_seconds;
    if (!s->progress_callback || c->live) /* a live clip reports through live events */
        return;
    EvclipProgress p = {
        .frames_done = g->done,
        .frames_total = g->total > g->done ? g->total : g->done,
        .seconds_done = g->seconds,
        .seconds_total = g->seconds_total,
    };
    if (s->progress_callback(s->progress_opaque, &p))
        atomic_store(&g->cancel, 1);
}

static int is_key(const AVFrame *f)
{
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 7, 100)
    return !!(f->flags & AV_FRAME_FLAG_KEY);
#else
    return f->key_frame;
#endif
}

int clip_run_frame(ClipRun *c, Source *src, AVFrame *f, double t, double lo, double hi,
                   double next)
{
    const SegmentPlan *seg = &c->plan.segments[c->segment];
    int ret;

    if (run_failed(c))
        return 1;
    if (t >= seg->end - TIME_EPSILON)
        return 1;
    if ((ret = match(c, src, f, t, lo, hi)) < 0) {
        record_failure(c, ret);
        return 1;
    }
    if (c->damage_mark >= 0)
        c->seg_damaged += src->damaged - c->damage_mark;
    c->damage_mark = src->damaged;
    if (t < seg->start - TIME_EPSILON) {
        if (is_key(f))
            c->seg_damaged = 0; /* the window's frames depend on nothing before this one */
        return 0;
    }
    int dw, dh;
    orient_size(src->orient, f->width, f->height, &dw, &dh);
    window_check_frame(&c->check, &c->matched, t,
                       c->use_index ? source_frame_index(src, f->pts) : -1, dw, dh);
    if (c->counter++ % c->plan.step != 0)
        return 0;
    double before = c->seg_end_out;
    if ((ret = emit(c, src, f, t, next)) < 0) {
        record_failure(c, ret);
        return 1;
    }
    report_progress(c, c->seg_end_out - before);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Audio                                                                                    */

/* The output's audio comes from the first segment's source; later segments continue it when
 * their audio can be stream-copied into the same track. */
static int audio_accepted(const ClipRun *c, const Source *src)
{
    return c->out && c->audio && src->audio &&
           (c->segment == 0 || pipeline_audio_accepts(c->out, src->audio));
}

static void audio_bounds(ClipRun *c, Source *src, int64_t *start, int64_t *end)
{
    AVRational vtb = src->video->time_base, atb = src->audio->time_base;
    *start = av_rescale_q(c->seg_first_pts, vtb, atb);
    *end = av_rescale_q(source_pts(src, c->plan.segments[c->segment].end), vtb, atb);
}

static void send_audio(ClipRun *c, Source *src, const AVPacket *pkt)
{
    ClipJob job = { .type = JOB_AUDIO, .tb = src->audio->time_base, .offset = c->out_offset };
    audio_bounds(c, src, &job.start, &job.end);
    int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (pts == AV_NOPTS_VALUE || pts < job.start || pts >= job.end)
        return;
    if (!(job.packet = av_packet_clone(pkt))) {
        record_failure(c, ev_error(EVCLIP_ERR_NOMEM, "out of memory"));
        return;
    }
    clip_job_submit(c, &job);
}

static void queue_audio_flush(ClipRun *c, Source *src)
{
    if (audio_accepted(c, src)) {
        for (int i = 0; i < c->audio_queued && !run_failed(c); i++)
            send_audio(c, src, c->audio_queue[i]);
    } else if (c->audio && c->segment > 0 && src->audio) {
        ev_log(&c->r->log, EVCLIP_LOG_INFO, "'%s': audio of '%s' differs from the first "
               "source's; that part is silent", c->clip->output, src->path);
    }
    drop_audio_queue(c);
}

int clip_run_wants_audio(const ClipRun *c, const Source *src)
{
    return atomic_load(&c->status) >= 0 && audio_accepted(c, src);
}

int clip_run_audio(ClipRun *c, Source *src, const AVPacket *pkt)
{
    if (run_failed(c) || !c->audio || !src->audio)
        return 1;
    if (!isnan(c->seg_first)) {
        int64_t start, end;
        audio_bounds(c, src, &start, &end);
        if (pkt->pts != AV_NOPTS_VALUE && pkt->pts >= end)
            return 1;
        if (audio_accepted(c, src))
            send_audio(c, src, pkt);
        return 0;
    }
    if (pkt->pts == AV_NOPTS_VALUE)
        return 0;
    /* Before the segment's first frame: keep packets that may fall in the window. */
    double t = (pkt->pts - av_rescale_q(src->origin, src->video->time_base,
                                        src->audio->time_base)) *
               av_q2d(src->audio->time_base);
    if (t < c->plan.segments[c->segment].start - 1.0)
        return 0;
    if (c->audio_queued == MAX_PENDING_AUDIO) {
        av_packet_free(&c->audio_queue[0]);
        memmove(c->audio_queue, c->audio_queue + 1,
                (MAX_PENDING_AUDIO - 1) * sizeof(*c->audio_queue));
        c->audio_queued--;
    }
    if (!(c->audio_queue[c->audio_queued] = av_packet_clone(pkt)))
        record_failure(c, ev_error(EVCLIP_ERR_NOMEM, "out of memory"));
    else
        c->audio_queued++;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Segment end, finish, failure                                                             */

/* Hashes the segment's source through the descriptor it was decoded from (when a manifest
 * is due), then fails the run if the file was modified or replaced since it was opened: the
 * manifest must certify the bytes that were rendered. */
static int seal_source(ClipRun *c, const SegmentPlan *seg, Source *src)
{
    int ret, k = (int)(seg->source - c->clip->sources);
    if (c->s->manifest && (ret = source_file_hash(src->file)) < 0)
        return ret;
    if ((ret = source_file_check(src->file)) < 0)
        return ret;
    if (k >= 0 && k < c->clip->nb_sources) {
        c->digests[k].has_identity = 1;
        c->digests[k].identity = src->file->st;
    }
    if (c->s->manifest && k >= 0 && k < c->clip->nb_sources) {
        c->digests[k].hashed = 1;
        c->digests[k].size = src->file->size;
        memcpy(c->digests[k].sha256, src->file->sha256, sizeof(c->digests[k].sha256));
    }
    return 0;
}

/* Records what the manifest says of the segment's source (orientation, damage) and warns of
 * damaged packets. */
static void note_source(ClipRun *c, const SegmentPlan *seg, const Source *src)
{
    int k = (int)(seg->source - c->clip->sources);
    c->res->damaged_packets += c->seg_damaged;
    if (k >= 0 && k < c->clip->nb_sources) {
        c->digests[k].orient = src->orient;
        c->digests[k].display_matrix = !isnan(src->rotation);
        c->digests[k].damaged += c->seg_damaged;
    }
    if (c->seg_damaged > 0)
        warnings_add(c->res, &c->r->log, c->clip->output, "%lld damaged video packets were "
                     "skipped or concealed in '%s' while decoding the window [%.3f, %.3f) s: "
                     "frames near them may show artefacts", (long long)c->seg_damaged,
                     src->path, seg->start, seg->end);
}

void clip_run_end_segment(ClipRun *c, Source *src, int reached_end)
{
    const SegmentPlan *seg = &c->plan.segments[c->segment];
    if (run_failed(c))
        return;
    if (isnan(c->seg_first) && !reached_end && !src->packets &&
        seg->start < src->duration - src->frame_period) {
        /* The file ended before a window its header says it contains: it was cut. */
        record_failure(c, ev_error(EVCLIP_ERR_INPUT, "input '%s' ends before the window "
                                   "[%.3f, %.3f) s although it declares %.3f s (truncated "
                                   "file?)", src->path, seg->source->start, seg->source->end,
                                   src->duration));
        return;
    }
    if (isnan(c->seg_first)) {
        record_failure(c, ev_error(EVCLIP_ERR_WINDOW, "window [%.3f, %.3f) s of '%s' contains "
                                   "no %svideo frame", seg->source->start, seg->source->end,
                                   seg->source->path, src->packets ? "decodable " : ""));
        return;
    }
    double period = src->frame_period * c->plan.step;
    if (!reached_end && c->last_time + 1.5 * period < seg->end && !c->s->clamp) {
        record_failure(c, ev_error(EVCLIP_ERR_INPUT, "input '%s' ends at %.3f s, before the "
                                   "window end %.3f s (truncated file? clamp to accept)",
                                   src->path, c->last_time + src->frame_period, seg->end));
        return;
    }
    if (src->file && !run_failed(c)) {
        int ret = seal_source(c, seg, src);
        if (ret < 0) {
            record_failure(c, ret);
            return;
        }
    }
    /* A live clip's store fills as its detector sends: empty, no detector spoke (no warning) */
    const EvclipDetections *dets = c->live && c->dets && !detections_count(c->dets) ? NULL
                                                                                   : c->dets;
    window_check_finish(&c->check, seg->source, dets, seg->start, seg->end, c->s->hold,
                        c->res, &c->r->log, c->clip->output);
    note_source(c, seg, src);
    drop_audio_queue(c);
    c->out_offset = c->seg_end_out;
    c->segment++;
}

/* Copies each segment's source packets beside the clip (settings->native; offline clips). */
static int write_natives(ClipRun *c)
{
    int ret = 0;
    for (int i = 0; ret >= 0 && c->s->native && !c->live && i < c->plan.nb_segments; i++) {
        const SegmentPlan *seg = &c->plan.segments[i];
        const SourceDigest *d = &c->digests[seg->source - c->clip->sources];
        ret = native_write_temp(&c->natives, c->clip->output, i, c->plan.nb_segments,
                                (int)(seg->source - c->clip->sources), seg->source->path,
                                seg->source->stream, d->has_identity ? &d->identity : NULL,
                                seg->start, seg->end, c->s->overwrite, &c->r->log);
    }
    return ret;
}

/* Publishes the clip and its manifest together (publish_clip). */
static int publish_pair(ClipRun *c)
{
    ManifestInfo info = {
        .clip = c->clip, .settings = c->s, .result = c->res, .speed = c->plan.speed,
        .frame_step = c->plan.step, .digests = c->digests, .live = c->live,
    };
    if (c->live) {
        c->live->first_frame = c->wall0 + c->first_time;
        c->live->last_frame = c->wall0 + c->last_time;
        c->live->damaged_packets = c->res->damaged_packets;
    }
    return publish_clip(c->out, c->clip->output, c->s, c->s->manifest ? &info : NULL,
                        c->live && c->live->natives ? c->live->natives : c->natives,
                        c->res->output_sha256, &c->r->log);
}

/* Warns of every redaction that hid nothing: a mistyped selector or a log of another video
 * must not pass for a redacted clip (the manifest still records what was asked). */
static void warn_unused_redaction(ClipRun *c)
{
    const Redactor *r = pipeline_redactor(c->out);
    const char *sel;
    int i = 0;
    while ((sel = redactor_unused(r, &i)))
        warnings_add(c->res, &c->r->log, c->clip->output, "--redact '%s' selected no box in "
                     "this clip: it hid nothing (a label or track id that the log does not "
                     "have?)", sel);
    if (redactor_log_unused(r))
        warnings_add(c->res, &c->r->log, c->clip->output, "the redaction log '%s' has no box "
                     "in this clip's window: it hid nothing",
                     c->s->draw_options->redact_detections);
}

void clip_run_finish(ClipRun *c)
{
    if (c->pool)
        worker_pool_drain(c->pool, c);
    if (run_failed(c))
        return;
    int ret = c->complete ? c->complete(c->complete_opaque) : 0;
    if (ret < 0) {
        record_failure(c, ret);
        return;
    }
    warn_unused_redaction(c);
    int64_t frames = c->res->frames, boxes = c->res->boxes_drawn;
    ret = pipeline_finish(c->out, c->res);
    c->res->frames = frames;
    c->res->boxes_drawn = boxes;
    c->res->first_time = c->first_time;
    c->res->last_time = c->last_time;
    if (ret >= 0)
        ret = write_natives(c);
    if (ret >= 0)
        ret = publish_pair(c);
    native_close(&c->natives); /* published, or their temp files removed */
    if (ret < 0) {
        record_failure(c, ret);
        return;
    }
    atomic_store(&c->status, 1);
    pipeline_close(&c->out); /* release the encoder now, not at the end of the batch */
    renderer_count(c->r, 0, 0, 0, 1);
    ev_log(&c->r->log, EVCLIP_LOG_DEBUG, "wrote '%s': %lld frames, %.3f s, %lld boxes",
           c->clip->output, (long long)c->res->frames, c->res->duration,
           (long long)c->res->boxes_drawn);
}

void clip_run_fail(ClipRun *c, int code)
{
    record_failure(c, code);
}

void clip_run_release(ClipRun *c)
{
    if (c->pool)
        worker_pool_drain(c->pool, c);
    pipeline_close(&c->out);
}

void clip_run_free(ClipRun *c)
{
    if (c->pool)
        worker_pool_drain(c->pool, c);
    detections_use(c->dets, -1);
    c->dets = NULL;
    drop_audio_queue(c);
    free(c->audio_queue);
    free(c->digests);
    c->digests = NULL;
    native_close(&c->natives);
    detlist_free(&c->matched);
    detlist_free(&c->visible);
    hold_free(&c->hold);
    redact_log_close(&c->redact);
    detlist_free(&c->interp);
    detlist_free(&c->redact_interp);
    detlist_free(&c->scratch);
    pipeline_close(&c->out);
    plan_free(&c->plan);
    tz_close(&c->tz);
    free(c->jobs);
    c->jobs = NULL;
}
