/* render_jobs.c: a clip's output jobs, run at once or on the worker threads of a batch. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/render_jobs.h"

void clip_job_clear(ClipJob *j)
{
    av_frame_free(&j->frame);
    av_packet_free(&j->packet);
    detlist_free(&j->dets);
    free(j->marks);
    j->marks = NULL;
}

static int job_run(ClipRun *c, ClipJob *j)
{
    if (j->type == JOB_AUDIO)
        return pipeline_audio(c->out, j->packet, j->tb, j->start, j->end, j->offset);
    if (j->info.timestamp)
        j->info.timestamp = j->stamp;
    j->info.marks = j->marks;
    return pipeline_video(c->out, j->frame, j->pts, j->duration, &j->dets, &j->info);
}

static void pool_submit(WorkerPool *pool, ClipRun *c, ClipJob *job);

void clip_job_submit(ClipRun *c, ClipJob *job)
{
    if (c->pool) {
        pool_submit(c->pool, c, job);
        return;
    }
    int ret = job_run(c, job);
    clip_job_clear(job);
    if (ret < 0)
        clip_run_fail(c, ret);
}

/* ---------------------------------------------------------------------------------------- */
/* Worker pool                                                                              */

#define JOB_QUEUE 8
#define MAX_POOL_CLIPS 1024

typedef struct Task {
    struct Task *next;
    void (*fn)(void *arg);
    void *arg;
} Task;

struct WorkerPool {
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    pthread_t *threads;
    int nb_threads, stop;
    ClipRun *clips[MAX_POOL_CLIPS]; /* runs with queued jobs, in arrival order */
    int nb_clips;
    Task *tasks, *tasks_tail;       /* worker_pool_task(), in submission order */
};

int worker_pool_task(WorkerPool *p, void (*fn)(void *arg), void *arg)
{
    Task *t = malloc(sizeof(*t));
    if (!t)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    *t = (Task){ .fn = fn, .arg = arg };
    pthread_mutex_lock(&p->lock);
    if (p->tasks_tail)
        p->tasks_tail->next = t;
    else
        p->tasks = t;
    p->tasks_tail = t;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/* Takes the oldest task, if any. Caller holds the lock. */
static Task *take_task(WorkerPool *p)
{
    Task *t = p->tasks;
    if (t && !(p->tasks = t->next))
        p->tasks_tail = NULL;
    return t;
}

/* Takes the next job of a run that has one and is not running one. Caller holds the lock. */
static ClipRun *take(WorkerPool *p, ClipJob *job)
{
    for (int i = 0; i < p->nb_clips; i++) {
        ClipRun *c = p->clips[i];
        if (c->busy || !c->job_count)
            continue;
        *job = c->jobs[c->job_head];
        c->job_head = (c->job_head + 1) % JOB_QUEUE;
        c->job_count--;
        c->busy = 1;
        return c;
    }
    return NULL;
}

static void *worker(void *opaque)
{
    WorkerPool *p = opaque;
    ClipJob job;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        Task *t = take_task(p);
        if (t) {
            pthread_mutex_unlock(&p->lock);
            t->fn(t->arg);
            free(t);
            pthread_mutex_lock(&p->lock);
            continue;
        }
        ClipRun *c = take(p, &job);
        if (!c) {
            if (p->stop)
                break;
            pthread_cond_wait(&p->work, &p->lock);
            continue;
        }
        pthread_mutex_unlock(&p->lock);
        ev_log_capture_ffmpeg(&c->r->log);
        int ret = run_failed(c) ? 0 : job_run(c, &job);
        clip_job_clear(&job);
        if (ret < 0)
            clip_run_fail(c, ret);
        pthread_mutex_lock(&p->lock);
        c->busy = 0;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int worker_pool_open(WorkerPool **out, int threads)
{
    *out = NULL;
    WorkerPool *p = calloc(1, sizeof(*p));
    if (!p || !(p->threads = calloc((size_t)threads, sizeof(*p->threads)))) {
        free(p);
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    for (; p->nb_threads < threads; p->nb_threads++)
        if (pthread_create(&p->threads[p->nb_threads], NULL, worker, p) != 0)
            break;
    if (p->nb_threads == 0) {
        worker_pool_close(&p);
        return ev_error(EVCLIP_ERR_NOMEM, "cannot start encoder threads");
    }
    *out = p;
    return 0;
}

void worker_pool_close(WorkerPool **pp)
{
    if (!pp || !*pp)
        return;
    WorkerPool *p = *pp;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nb_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    free(p->threads);
    free(p);
    *pp = NULL;
}

static int enlist(WorkerPool *p, ClipRun *c)
{
    for (int i = 0; i < p->nb_clips; i++)
        if (p->clips[i] == c)
            return 0;
    if (p->nb_clips == MAX_POOL_CLIPS)
        return -1;
    p->clips[p->nb_clips++] = c;
    return 0;
}

static void pool_submit(WorkerPool *p, ClipRun *c, ClipJob *job)
{
    if (!c->jobs && !(c->jobs = calloc(JOB_QUEUE, sizeof(*c->jobs)))) {
        clip_job_clear(job);
        clip_run_fail(c, ev_error(EVCLIP_ERR_NOMEM, "out of memory"));
        return;
    }
    pthread_mutex_lock(&p->lock);
    while (c->job_count == JOB_QUEUE)
        pthread_cond_wait(&p->done, &p->lock);
    if (enlist(p, c) < 0) {
        pthread_mutex_unlock(&p->lock);
        clip_job_clear(job);
        clip_run_fail(c, ev_error(EVCLIP_ERR_INTERNAL, "too many clips open at once"));
        return;
    }
    c->jobs[(c->job_head + c->job_count) % JOB_QUEUE] = *job;
    c->job_count++;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
}

/* Waits until c has no queued or running job, then forgets it. */
void worker_pool_drain(WorkerPool *p, ClipRun *c)
{
    pthread_mutex_lock(&p->lock);
    while (c->job_count || c->busy)
        pthread_cond_wait(&p->done, &p->lock);
    for (int i = 0; i < p->nb_clips; i++) {
        if (p->clips[i] == c) {
            memmove(&p->clips[i], &p->clips[i + 1], (p->nb_clips - i - 1) * sizeof(c));
            p->nb_clips--;
            break;
        }
    }
    pthread_mutex_unlock(&p->lock);
}
