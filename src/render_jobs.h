/* render_jobs.h: a clip's output jobs, made by render.c and run by render_jobs.c (internal). */
#ifndef EVCLIP_SRC_RENDER_JOBS_H
#define EVCLIP_SRC_RENDER_JOBS_H

#include <stdatomic.h>

#include "src/render.h"

enum { JOB_VIDEO, JOB_AUDIO };

struct ClipJob {
    int type;
    AVFrame *frame;
    AVPacket *packet;
    DetList dets;
    uint8_t *marks;          /* per box of dets: EVCLIP_BOX_* bits, or NULL for none */
    FrameInfo info;
    char stamp[WALLCLOCK_TEXT];
    int64_t pts, duration;   /* video */
    AVRational tb;           /* audio */
    int64_t start, end;
    double offset;
};

/* 1 when the run failed (any thread may have recorded it). */
static inline int run_failed(ClipRun *c)
{
    return atomic_load(&c->status) < 0;
}

/* Frees what a job holds (frame, packet, boxes). */
void clip_job_clear(ClipJob *j);

/* Runs the job now, or queues it to c->pool (waits while c's queue is full); takes over what
 * the job holds. A failure fails the run (clip_run_fail). */
void clip_job_submit(ClipRun *c, ClipJob *job);

/* Waits until c has no queued or running job on the pool, then forgets c. */
void worker_pool_drain(WorkerPool *pool, ClipRun *c);

#endif /* EVCLIP_SRC_RENDER_JOBS_H */
