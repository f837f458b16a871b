/* render.h: one clip being rendered: detections and hold per segment, timing across joined
 * sources, speed and frame step, output through a pipeline (optionally on a worker thread). */
#ifndef EVCLIP_SRC_RENDER_H
#define EVCLIP_SRC_RENDER_H

#include <pthread.h>
#include <stdatomic.h>

#include "src/detections.h"
#include "src/manifest.h"
#include "src/pipeline.h"
#include "src/plan.h"
#include "src/redact_log.h"
#include "src/renderer.h"
#include "src/source.h"
#include "src/wallclock.h"
#include "src/warnings.h"

typedef struct ClipJob ClipJob;
typedef struct WorkerPool WorkerPool;

/* One render's (batch's) progress and its own cancellation: a progress callback's non-zero
 * return stops this render only, never the renderer's other or later renders. */
typedef struct RenderProgress {
    int64_t done, total;          /* frames (rendering thread only) */
    double seconds, seconds_total;
    atomic_int cancel;            /* set by the progress callback; read by encoder threads */
} RenderProgress;

typedef struct ClipRun {
    EvclipRenderer *r;
    RenderProgress *progress; /* the render this clip belongs to */
    const EvclipClip *clip;
    const EvclipSettings *s;  /* clip->settings or the renderer's */
    EvclipResult *res;
    ClipPlan plan;
    atomic_int status;        /* 0 running, 1 finished, < 0 failed (code) */
    int segment;              /* segment being fed (index into plan.segments) */
    Pipeline *out;
    AVRational out_tb;        /* output video time base */
    int exact_timing;         /* single segment at speed 1: output pts = source pts - first */
    int audio;                /* audio is carried (settings, speed 1, step 1) */
    /* timing */
    double out_offset;        /* output seconds before the current segment */
    double seg_end_out;       /* output end (seconds) of the last emitted frame */
    int64_t seg_first_pts;    /* source pts of the segment's first kept frame */
    double seg_first;         /* its source time; NAN before it */
    int64_t last_pts;         /* last output pts */
    int64_t counter;          /* frames of the window seen (framedrop step) */
    double first_time, last_time;
    /* detections of the current segment */
    const EvclipDetections *dets;
    int use_index;
    double ts_shift;          /* added to source times to match ts keys (EVCLIP_TS_PTS) */
    HoldState hold;
    DetList matched, visible;
    RedactLog redact;         /* the redaction log's store and boxes (store NULL: none) */
    DetList interp, redact_interp; /* boxes interpolated on the current frame (main log,
                                      redaction log) */
    DetList scratch;          /* interpolation window */
    WindowCheck check;        /* what the segment's window frames matched (warnings) */
    Tz *tz;                   /* zone of drawn wall-clock timestamps (EvclipDrawOptions) */
    WallOrigin wall;          /* wall clock of the current segment's source time 0 */
    int64_t damage_mark;      /* source's damaged count when it last fed a frame; -1 = none */
    int64_t seg_damaged;      /* damaged packets met while feeding the segment */
    /* audio read before the segment's first frame was known */
    AVPacket **audio_queue;
    int audio_queued;
    /* per source of the clip: hash of the bytes decoded (for the manifest) */
    SourceDigest *digests;
    /* settings->native: the sources' packets copied beside the clip (src/native.h) */
    struct Natives *natives;
    /* a live clip (src/batch.h): its manifest section, wall clock of source time 0 */
    ManifestLive *live;
    double wall0;
    const char *preview_hls;  /* a live clip's HLS preview directory, or NULL */
    int (*complete)(void *opaque); /* a live clip's BatchInput.complete, or NULL */
    void *complete_opaque;
    /* worker thread queue (batch with jobs > 1); guarded by the pool's lock */
    WorkerPool *pool;
    ClipJob *jobs;
    int job_head, job_count, busy;
} ClipRun;

/* Encoding threads shared by the clips of a batch: each clip's jobs run in order, one at a
 * time, on any free thread. */
int worker_pool_open(WorkerPool **out, int threads);
/* Waits for every queued job of every clip, stops and joins the threads. */
void worker_pool_close(WorkerPool **pool);
/* Runs fn(arg) on a thread of the pool (e.g. a whole live clip), in submission order and
 * before queued clip jobs; close runs those still queued first. Returns 0 or NOMEM. */
int worker_pool_task(WorkerPool *pool, void (*fn)(void *arg), void *arg);

/* Prepares a run (status < 0 and res filled when the clip is invalid). */
void clip_run_init(ClipRun *c, EvclipRenderer *r, const EvclipClip *clip, EvclipResult *res);

/* Plans the clip from its sources' probe results; fails the run on error. */
void clip_run_plan(ClipRun *c, const SourceInfo *info);

/* Starts feeding segment c->segment from `src` (detections, hold, index). Fails the run on
 * error. */
void clip_run_begin_segment(ClipRun *c, Source *src);

/* Feeds a decoded frame of the current segment's source at time t whose ts-matching interval
 * is [lo, hi) and whose successor is at next (NAN when last). Frames before the window prime
 * the hold; frames inside it are emitted. Returns 1 once the frame is past the window. */
int clip_run_frame(ClipRun *c, Source *src, AVFrame *frame, double t, double lo, double hi,
                   double next);

/* Forgets what a segment that has not emitted a frame yet has been fed (the source seeked
 * back to an earlier keyframe): queued audio and the hold state. */
void clip_run_restart_lead_in(ClipRun *c);

/* Feeds an audio packet of the current segment's source. Returns 1 when the packet lies past
 * the segment's window (no more audio is needed for it), else 0. */
int clip_run_audio(ClipRun *c, Source *src, const AVPacket *packet);

/* 1 when the current segment still wants audio packets from src after its last frame. */
int clip_run_wants_audio(const ClipRun *c, const Source *src);

/* Ends the current segment (checks it got frames; a truncated source fails the run). */
void clip_run_end_segment(ClipRun *c, Source *src, int reached_end);

/* Flushes, publishes, writes the manifest and fills the result. */
void clip_run_finish(ClipRun *c);

/* Fails the run with `code` (detail from ev_error_message()); removes its output. */
void clip_run_fail(ClipRun *c, int code);

/* Releases a failed run's output early (waits for its queued jobs; removes its temp file). */
void clip_run_release(ClipRun *c);

void clip_run_free(ClipRun *c);


#endif /* EVCLIP_SRC_RENDER_H */
