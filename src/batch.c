/* batch.c: decode-once rendering: probe and plan every clip, then walk each source once over
 * the union of the windows that need it, handing every frame to every clip that covers it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/batch.h"
#include "src/error.h"

#define TIME_EPSILON 1e-6
#define SEEK_GAP 3.0        /* decode through gaps shorter than this instead of seeking */
#define MAX_SEEK_RETRIES 6
#define MAX_OPEN_CLIPS 32   /* bound on clips encoding at once (memory); more take more walks */
#define AUDIO_TAIL 1.5      /* read up to this far past a window for its interleaved audio */

typedef struct Batch {
    EvclipRenderer *r;
    const BatchInput *in;     /* where the sources come from (NULL: files and URLs) */
    RenderProgress progress;  /* this render's progress and its own cancel */
    ClipRun *runs;
    int nb_runs;
    char *notified;           /* per run: clip_done_callback called */
    WorkerPool *pool;
} Batch;

/* 1 when the renderer (evclip_cancel) or this render's progress callback asked to stop. */
static int batch_cancelled(Batch *b)
{
    return renderer_cancelled(b->r) || atomic_load(&b->progress.cancel);
}

/* ---------------------------------------------------------------------------------------- */
/* Probing and planning                                                                     */

/* 1 when two sources name the same decoded stream (same file, stream and timing). */
static int same_input(const EvclipSource *a, const EvclipSource *b)
{
    return !strcmp(a->path, b->path) && a->stream == b->stream && a->fps == b->fps;
}

static int open_source(const Batch *b, Source **out, const EvclipSource *in, int threads)
{
    if (b->in && b->in->open)
        return b->in->open(b->in->opaque, out, in, threads, &b->r->log);
    return source_open(out, in, threads, &b->r->log);
}

static int probe(const Batch *b, const EvclipSource *in, SourceInfo *info)
{
    EvclipRenderer *r = b->r;
    Source *s = NULL;
    int ret = open_source(b, &s, in, 1);
    if (ret < 0)
        return ret;
    if (s->video_streams > 1 && in->stream == 0)
        ev_log(&r->log, EVCLIP_LOG_WARNING, "input '%s' has %d video streams; using the first "
               "(stream %d of the file; --stream N picks the N-th video stream)", in->path,
               s->video_streams, s->video->index);
    info->duration = s->duration;
    info->frame_period = s->frame_period;
    orient_size(s->orient, s->video->codecpar->width, s->video->codecpar->height,
                &info->width, &info->height); /* as displayed */
    source_close(&s);
    return 0;
}

/* The probe of one distinct source path, shared by every clip that names it. */
typedef struct Probe {
    const EvclipSource *input;
    SourceInfo info;
    int code;           /* 0, or the error opening it gave */
    char error[512];    /* that error's detail */
} Probe;

/* Returns the probe of `in`, probing it on first use (probes has room for it). */
static const Probe *probe_once(Batch *b, Probe *probes, int *nb, const EvclipSource *in)
{
    for (int j = 0; j < *nb; j++)
        if (same_input(probes[j].input, in))
            return &probes[j];
    Probe *p = &probes[(*nb)++];
    p->input = in;
    p->code = probe(b, in, &p->info);
    snprintf(p->error, sizeof(p->error), "%s", ev_error_message());
    return p;
}

/* Probes the sources of one clip and plans it; a source that cannot be opened fails it. */
static void plan_run(Batch *b, ClipRun *c, Probe *probes, int *nb)
{
    SourceInfo *info = calloc((size_t)c->clip->nb_sources, sizeof(*info));
    if (!info) {
        clip_run_fail(c, ev_error(EVCLIP_ERR_NOMEM, "out of memory"));
        return;
    }
    for (int k = 0; k < c->clip->nb_sources; k++) {
        const Probe *p = probe_once(b, probes, nb, &c->clip->sources[k]);
        if (p->code < 0) {
            clip_run_fail(c, ev_error(p->code, "%s", p->error));
            free(info);
            return;
        }
        info[k] = p->info;
    }
    clip_run_plan(c, info);
    free(info);
}

/* The output path with its directory resolved (links, "..", "./"): two spellings of one file
 * compare equal. NULL when the directory does not exist (the run failed already). */
static char *canonical_output(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path + (slash == path))) : strdup(".");
    char *real = dir ? realpath(dir, NULL) : NULL, *out = NULL;
    const char *base = slash ? slash + 1 : path;
    if (real && (out = malloc(strlen(real) + strlen(base) + 2)))
        sprintf(out, "%s/%s", real, base);
    free(dir);
    free(real);
    return out;
}

/* Two clips writing one file would silently replace each other: both are refused before any
 * work, each naming the other. */
static int refuse_shared_outputs(Batch *b)
{
    char **names = calloc((size_t)b->nb_runs + 1, sizeof(*names));
    if (!names)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < b->nb_runs; i++)
        if (atomic_load(&b->runs[i].status) == 0)
            names[i] = canonical_output(b->runs[i].clip->output);
    for (int i = 0; i < b->nb_runs; i++)
        for (int k = 0; names[i] && k < b->nb_runs; k++)
            if (k != i && names[k] && !strcmp(names[i], names[k]))
                clip_run_fail(&b->runs[i], ev_error(EVCLIP_ERR_OUTPUT, "clips %d and %d of "
                              "the batch both write '%s' ('%s' and '%s'): both refused", i + 1,
                              k + 1, names[i], b->runs[i].clip->output,
                              b->runs[k].clip->output));
    for (int i = 0; i < b->nb_runs; i++)
        free(names[i]);
    free(names);
    return 0;
}

/* Probes each distinct source once and plans every clip; a clip whose source cannot be opened
 * fails alone. */
static int plan_all(Batch *b)
{
    int total = 0, nb = 0;
    for (int i = 0; i < b->nb_runs; i++)
        if (atomic_load(&b->runs[i].status) == 0)
            total += b->runs[i].clip->nb_sources;
    Probe *probes = calloc((size_t)total + 1, sizeof(*probes));
    if (!probes)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    for (int i = 0; i < b->nb_runs; i++)
        if (atomic_load(&b->runs[i].status) == 0)
            plan_run(b, &b->runs[i], probes, &nb);
    free(probes);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Walking one source                                                                       */

typedef struct Walk {
    Batch *b;
    Source *src;
    ClipRun **runs;      /* runs fed by this walk, sorted by window start */
    int nb_runs;
    int *ended;          /* per run: its segment was ended */
    int *video_done;     /* per run: its last frame was fed (audio may still be due) */
    int *audio_done;     /* per run: an audio packet past its window was seen */
    int group_lo, group_hi; /* runs of the current group: [lo, hi) */
    double group_start, group_end;
    AVFrame *pending;
    double pending_prev;
    int have_pending;
    double seek_target;
    int seek_retries, seek_checked;
    int64_t seeks;
} Walk;

static const SegmentPlan *segment_of(const ClipRun *c)
{
    return &c->plan.segments[c->segment];
}

static int by_start(const void *a, const void *b)
{
    double x = segment_of(*(ClipRun *const *)a)->start;
    double y = segment_of(*(ClipRun *const *)b)->start;
    return (x > y) - (x < y);
}

/* Selects the next group: runs whose windows overlap or lie within SEEK_GAP of each other. */
static int next_group(Walk *w)
{
    w->group_lo = w->group_hi;
    if (w->group_lo >= w->nb_runs)
        return 0;
    const SegmentPlan *first = segment_of(w->runs[w->group_lo]);
    w->group_start = first->start;
    w->group_end = first->end;
    w->group_hi = w->group_lo + 1;
    while (w->group_hi < w->nb_runs) {
        const SegmentPlan *s = segment_of(w->runs[w->group_hi]);
        if (s->start > w->group_end + SEEK_GAP)
            break;
        w->group_end = fmax(w->group_end, s->end);
        w->group_hi++;
    }
    return 1;
}

static void end_run(Walk *w, int i, int reached_end)
{
    ClipRun *c = w->runs[i];
    if (w->ended[i])
        return;
    w->ended[i] = 1;
    clip_run_end_segment(c, w->src, reached_end);
    /* Finish a clip as soon as its last window ends: its encoder's memory is released
     * while the walk goes on for the other clips. */
    if (atomic_load(&c->status) == 0 && c->segment == c->plan.nb_segments)
        clip_run_finish(c);
    else if (atomic_load(&c->status) < 0)
        clip_run_release(c);
}

static int seek_to(Walk *w, double t)
{
    w->seek_target = t;
    w->seek_checked = 0;
    w->have_pending = 0;
    w->pending_prev = NAN;
    av_frame_unref(w->pending);
    if (t <= 0 && w->src->frames_decoded == 0 && w->seeks == 0)
        return 0; /* already at the start */
    w->seeks++;
    for (int i = w->group_lo; i < w->group_hi; i++)
        clip_run_restart_lead_in(w->runs[i]);
    return source_seek(w->src, t);
}

/* After a seek, decoding must start at or before the window; else seek further back. */
static int check_seek(Walk *w, double t, int *again)
{
    *again = 0;
    if (w->seek_checked)
        return 0;
    w->seek_checked = 1;
    /* A packet list holds nothing before its first packet: its seek is exact by construction
     * (the last keyframe at or before the target, else the first packet). */
    if (t <= w->seek_target + TIME_EPSILON || w->seek_target <= 0 || w->src->packets)
        return 0;
    double target = w->seek_retries++ >= MAX_SEEK_RETRIES
                        ? 0 : fmax(0, w->group_start - (1 << w->seek_retries));
    ev_log(&w->b->r->log, EVCLIP_LOG_DEBUG, "seek for %.3f s landed at %.3f s; retrying from "
           "%.3f s", w->seek_target, t, target);
    *again = 1;
    return seek_to(w, target);
}

/* Ends run i once its window lies before t and its audio is complete (or overdue).
 * Returns 1 when it has ended. */
static int maybe_end(Walk *w, int i, double t)
{
    if (w->ended[i])
        return 1;
    double end = segment_of(w->runs[i])->end;
    if (t >= end - TIME_EPSILON)
        w->video_done[i] = 1;
    int audio_due = !w->audio_done[i] && clip_run_wants_audio(w->runs[i], w->src);
    if (!w->video_done[i] || (audio_due && t < end + AUDIO_TAIL))
        return 0;
    end_run(w, i, 1);
    return 1;
}

/* Returns 1 when every run of the group has ended (ending those that can). */
static int group_finished(Walk *w, double t)
{
    int finished = 1;
    for (int i = w->group_lo; i < w->group_hi; i++)
        finished &= maybe_end(w, i, t);
    return finished;
}

/* Hands the pending frame (successor at `next`) to the current group's runs. Returns 1 when
 * the walk is complete. */
static int feed_pending(Walk *w, double next)
{
    Source *s = w->src;
    AVFrame *f = w->pending;
    double t = source_time(s, f->pts), lo, hi;
    detections_frame_span(w->pending_prev, t, next, s->frame_period, &lo, &hi);

    while (t >= w->group_end - TIME_EPSILON && group_finished(w, t)) {
        if (!next_group(w))
            return 1;
        /* Seek only when it skips work: not when the keyframe before the next window is
         * already behind us (a seek would decode those frames again). */
        double key = source_keyframe_before(s, w->group_start);
        if (w->group_start > t + SEEK_GAP && !(key <= t)) {
            w->seek_retries = 0;
            if (seek_to(w, w->group_start) < 0)
                return -1;
            return 0;
        }
    }
    for (int i = w->group_lo; i < w->group_hi; i++) {
        if (!w->ended[i] && !w->video_done[i] &&
            clip_run_frame(w->runs[i], s, f, t, lo, hi, next))
            w->video_done[i] = 1;
        maybe_end(w, i, t); /* a clip done early releases its encoder now */
    }
    w->pending_prev = t;
    return 0;
}

static int on_frame(Walk *w)
{
    Source *s = w->src;
    double t = source_time(s, s->frame->pts);
    int again, ret;

    if ((ret = check_seek(w, t, &again)) < 0 || again)
        return ret;
    if (w->have_pending) {
        if (s->frame->pts <= w->pending->pts)
            return 0; /* duplicate or out-of-order timestamp: keep the first */
        if ((ret = feed_pending(w, t)) != 0)
            return ret;
        if (!w->have_pending)
            return 0; /* a seek dropped the frame */
        av_frame_unref(w->pending);
    }
    av_frame_move_ref(w->pending, s->frame);
    w->have_pending = 1;
    return 0;
}

static void on_audio(Walk *w)
{
    for (int i = w->group_lo; i < w->group_hi; i++) {
        if (w->ended[i] || w->audio_done[i])
            continue;
        if (clip_run_audio(w->runs[i], w->src, w->src->packet)) {
            w->audio_done[i] = 1;
            if (w->video_done[i])
                end_run(w, i, 1);
        }
    }
}

static void fail_open_runs(Walk *w, int code)
{
    for (int i = 0; i < w->nb_runs; i++)
        if (!w->ended[i]) {
            w->ended[i] = 1;
            clip_run_fail(w->runs[i], code);
        }
}

/* A growing source (BatchInput.window_end): its clip's window end moves while it is walked
 * (merged triggers extend it, a stop brings it nearer). */
static void follow_window(Walk *w)
{
    const BatchInput *in = w->b->in;
    if (!in || !in->window_end)
        return;
    double end = in->window_end(in->opaque);
    for (int i = 0; i < w->nb_runs; i++)
        w->runs[i]->plan.segments[w->runs[i]->segment].end = end;
    w->group_end = end;
}

static int walk_loop(Walk *w)
{
    int want_audio = w->src->audio != NULL;
    if (seek_to(w, w->group_start) < 0)
        return -1;
    for (;;) {
        if (batch_cancelled(w->b))
            return ev_error(EVCLIP_ERR_CANCELED, "render cancelled");
        int ev = source_next(w->src, want_audio);
        if (ev < 0)
            return ev;
        follow_window(w);
        if (ev == SOURCE_END && !w->seek_checked && w->seek_target > 0) {
            int again;
            if (check_seek(w, INFINITY, &again) < 0)
                return -1;
            continue;
        }
        if (ev == SOURCE_END)
            break;
        int ret = ev == SOURCE_FRAME ? on_frame(w) : (on_audio(w), 0);
        if (ret < 0)
            return ret;
        if (ret == 1)
            return 0;
    }
    if (w->have_pending && feed_pending(w, NAN) < 0)
        return -1;
    for (int i = 0; i < w->nb_runs; i++)
        end_run(w, i, 0);
    return 0;
}

/* Walks one source for the given runs (whose current segments are all on it). */
static void walk_source(Batch *b, const EvclipSource *in, ClipRun **runs, int n)
{
    Walk w = { .b = b, .runs = runs, .nb_runs = n, .pending_prev = NAN };
    int ret = open_source(b, &w.src, in, b->r->settings.threads);
    w.ended = calloc((size_t)n, sizeof(*w.ended));
    w.video_done = calloc((size_t)n, sizeof(*w.video_done));
    w.audio_done = calloc((size_t)n, sizeof(*w.audio_done));
    w.pending = av_frame_alloc();
    if (ret >= 0 && (!w.ended || !w.video_done || !w.audio_done || !w.pending))
        ret = ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    if (ret >= 0) {
        renderer_count(b->r, 1, 0, 0, 0);
        for (int i = 0; i < n; i++)
            clip_run_begin_segment(runs[i], w.src);
        qsort(runs, (size_t)n, sizeof(*runs), by_start);
        next_group(&w);
        ret = walk_loop(&w);
    }
    if (ret < 0) {
        if (w.ended)
            fail_open_runs(&w, ret);
        else
            for (int i = 0; i < n; i++)
                clip_run_fail(runs[i], ret);
    }
    if (w.src) {
        renderer_count(b->r, 0, w.src->frames_decoded, w.seeks, 0);
        for (int i = 0; i < n; i++)
            runs[i]->res->frames_decoded += w.src->frames_decoded;
    }
    av_frame_free(&w.pending);
    free(w.ended);
    free(w.video_done);
    free(w.audio_done);
    source_close(&w.src);
}

/* ---------------------------------------------------------------------------------------- */
/* Scheduling                                                                               */

static int pending(const ClipRun *c)
{
    return atomic_load(&c->status) == 0 && c->segment < c->plan.nb_segments;
}

/* Picks the source to walk next: one an open clip waits for, else the first pending one. */
static const EvclipSource *choose_source(Batch *b)
{
    const EvclipSource *first = NULL;
    for (int i = 0; i < b->nb_runs; i++) {
        ClipRun *c = &b->runs[i];
        if (!pending(c))
            continue;
        if (c->out)
            return segment_of(c)->source;
        if (!first)
            first = segment_of(c)->source;
    }
    return first;
}

/* Calls clip_done_callback once for each run that was published or failed since the last
 * call (between walks: no walk feeds them). A failed run is released first (its temp file
 * removed, its encoder jobs drained, so its result is complete). */
static void notify_done(Batch *b)
{
    const EvclipSettings *s = &b->r->settings;
    for (int i = 0; i < b->nb_runs; i++) {
        ClipRun *c = &b->runs[i];
        int status = atomic_load(&c->status);
        if (b->notified[i] || status == 0)
            continue;
        if (status < 0)
            clip_run_release(c);
        b->notified[i] = 1;
        if (s->clip_done_callback && !(b->in && b->in->live)) /* live: its own events */
            s->clip_done_callback(s->clip_done_opaque, i, c->res);
    }
}

static void schedule(Batch *b, ClipRun **selected)
{
    const EvclipSource *in;
    while ((in = choose_source(b))) {
        int n = 0, fresh = 0;
        for (int i = 0; i < b->nb_runs; i++) {
            ClipRun *c = &b->runs[i];
            if (!pending(c) || !same_input(segment_of(c)->source, in))
                continue;
            if (!c->out && fresh >= MAX_OPEN_CLIPS)
                continue;
            fresh += !c->out;
            selected[n++] = c;
        }
        walk_source(b, in, selected, n);
        for (int i = 0; i < n; i++)
            if (atomic_load(&selected[i]->status) == 0 &&
                selected[i]->segment == selected[i]->plan.nb_segments)
                clip_run_finish(selected[i]);
        notify_done(b);
        if (batch_cancelled(b))
            break;
    }
}

int batch_run(EvclipRenderer *r, const EvclipClip *clips, int n, EvclipResult *results,
              int jobs, const BatchInput *in)
{
    Batch b = { .r = r, .in = in, .nb_runs = n };
    atomic_init(&b.progress.cancel, 0);
    ClipRun **selected = calloc((size_t)n, sizeof(*selected));
    b.runs = calloc((size_t)n, sizeof(*b.runs));
    b.notified = calloc((size_t)n + 1, 1);
    int ret = selected && b.runs && b.notified ? 0 : ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    if (ret >= 0 && jobs > 1)
        ret = worker_pool_open(&b.pool, jobs);
    if (ret >= 0) {
        for (int i = 0; i < n; i++) {
            clip_run_init(&b.runs[i], r, &clips[i], &results[i]);
            b.runs[i].pool = b.pool;
            b.runs[i].progress = &b.progress;
            if (in && in->live) {
                b.runs[i].live = in->live;
                b.runs[i].wall0 = in->wall0;
                b.runs[i].preview_hls = in->preview_hls;
                b.runs[i].complete = in->complete;
                b.runs[i].complete_opaque = in->opaque;
            }
        }
        ret = refuse_shared_outputs(&b);
        if (ret >= 0)
            ret = plan_all(&b);
    }
    for (int i = 0; ret >= 0 && i < n; i++) {
        if (atomic_load(&b.runs[i].status) != 0)
            continue;
        b.progress.total += llround(b.runs[i].plan.frames);
        b.progress.seconds_total += b.runs[i].plan.total / b.runs[i].plan.speed;
    }
    if (ret >= 0) {
        notify_done(&b); /* clips refused at planning */
        schedule(&b, selected);
    }
    int failed = 0;
    for (int i = 0; b.runs && i < n; i++) {
        ClipRun *c = &b.runs[i];
        if (ret >= 0 && atomic_load(&c->status) == 0)
            clip_run_fail(c, batch_cancelled(&b)
                                 ? ev_error(EVCLIP_ERR_CANCELED, "render cancelled")
                                 : ev_error(EVCLIP_ERR_INTERNAL, "clip was never finished"));
        clip_run_free(c);
        failed += atomic_load(&c->status) < 0;
    }
    if (ret >= 0)
        notify_done(&b);
    worker_pool_close(&b.pool);
    free(b.notified);
    free(b.runs);
    free(selected);
    return ret < 0 ? ret : failed;
}

static int default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)(n > 64 ? 64 : n) : 1;
}

int evclip_render_batch(EvclipRenderer *r, const EvclipClip *clips, int nb_clips,
                        EvclipResult *results, int jobs)
{
    ev_error_clear();
    if (!r || nb_clips < 0 || (nb_clips > 0 && (!clips || !results)))
        return ev_error(EVCLIP_ERR_INVALID, "evclip_render_batch: invalid arguments");
    if (jobs < 0 || jobs > 256)
        return ev_error(EVCLIP_ERR_INVALID, "jobs %d is outside 0..256", jobs);
    ev_log_capture_ffmpeg(&r->log);
    int ret = batch_run(r, clips, nb_clips, results, jobs ? jobs : default_jobs(), NULL);
    ev_log_capture_ffmpeg(NULL);
    if (ret >= 0)
        ev_error_clear(); /* the batch ran: each clip's failure is in its result */
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
    if (!clip)
        return ev_error(EVCLIP_ERR_INVALID, "clip is NULL");
    ev_log_capture_ffmpeg(&r->log);
    int ret = batch_run(r, clip, 1, res, 1, NULL);
    ev_log_capture_ffmpeg(NULL);
    if (ret < 0)
        return ret;
    if (res->status < 0)
        ev_error(res->status, "%s", res->error);
    return res->status;
}
