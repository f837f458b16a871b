/* test_threads.c: renders sharing one detection store on two threads; a progress callback's
 * cancel stops only its own render. Run under TSan by scripts/test.sh. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evclip/evclip.h"
#include "tests/unit/check.h"

static char media[4096], dir[4096];

/* Set by the thread whose render its progress callback must cancel. */
static _Thread_local int cancel_here;

/* Set by the thread whose render must try to add to the store it draws. */
static _Thread_local EvclipDetections *add_here;
static _Thread_local int add_refused;

static int progress(void *opaque, const EvclipProgress *p)
{
    (void)opaque;
    if (add_here) {
        EvclipDetection det = { .frame_idx = 1, .ts = EVCLIP_NONE, .x1 = 1, .y1 = 1, .x2 = 9,
                                .y2 = 9, .label = "late", .score = EVCLIP_NONE,
                                .track_id = EVCLIP_NONE };
        add_refused = evclip_detections_add(add_here, &det) == EVCLIP_ERR_INVALID &&
                      strstr(evclip_last_error(), "being drawn by 1 render");
        add_here = NULL;
    }
    return cancel_here && p->frames_done >= 2;
}

/* FFmpeg lines ("ffmpeg: ...") delivered to a renderer that opted in with ffmpeg_log. */
static atomic_int ffmpeg_lines;

static void count_log(void *opaque, int level, const char *message)
{
    (void)opaque;
    (void)level;
    if (!strncmp(message, "ffmpeg: ", 8))
        atomic_fetch_add(&ffmpeg_lines, 1);
}

typedef struct Job {
    EvclipRenderer *r;
    const EvclipDetections *dets;
    double start, end;
    int cancel;           /* this render's progress callback cancels it */
    char output[4200];
    EvclipResult res;
    int ret;
} Job;

static void *render_job(void *arg)
{
    Job *j = arg;
    char video[4200];
    snprintf(video, sizeof(video), "%s/car-detection.mp4", media);
    EvclipSource src = { .path = video, .detections = j->dets, .start = j->start,
                         .end = j->end };
    EvclipClip clip = { .sources = &src, .nb_sources = 1, .output = j->output };
    cancel_here = j->cancel;
    j->ret = evclip_render(j->r, &clip, &j->res);
    return NULL;
}

static void run_pair(Job *a, Job *b)
{
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, render_job, a) == 0);
    CHECK(pthread_create(&tb, NULL, render_job, b) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
}

static EvclipRenderer *open_renderer(int ffmpeg_log)
{
    EvclipSettings s;
    EvclipRenderer *r = NULL;
    evclip_default_settings(&s);
    s.log_callback = count_log;
    s.log_level = EVCLIP_LOG_DEBUG;
    s.ffmpeg_log = ffmpeg_log;
    s.progress_callback = progress;
    s.overwrite = 1;
    s.preset = "ultrafast";
    s.threads = 2;
    CHECK(evclip_open(&r, &s) == 0);
    return r;
}

static EvclipDetections *load_store(void)
{
    char log[4200];
    EvclipDetections *d = NULL;
    snprintf(log, sizeof(log), "%s/car-detection.detections.jsonl", media);
    CHECK(evclip_detections_new(&d) == 0);
    CHECK_MSG(evclip_detections_load(d, log) == 0, "%s", evclip_last_error());
    return d;
}

/* Two renderers, one store not yet indexed: both renders build or wait for its index. The
 * first routes FFmpeg's log (ffmpeg_log), the other leaves it to FFmpeg; both close while
 * FFmpeg's callback stays installed. */
static void test_shared_store(void)
{
    EvclipDetections *d = load_store();
    EvclipRenderer *r1 = open_renderer(1), *r2 = open_renderer(0);
    Job a = { .r = r1, .dets = d, .start = 5, .end = 6 };
    Job b = { .r = r2, .dets = d, .start = 5.5, .end = 6.5 };
    snprintf(a.output, sizeof(a.output), "%s/a.mp4", dir);
    snprintf(b.output, sizeof(b.output), "%s/b.mp4", dir);
    run_pair(&a, &b);
    CHECK_MSG(a.ret == 0 && b.ret == 0, "%d %s / %d %s", a.ret, a.res.error, b.ret,
              b.res.error);
    CHECK(a.res.boxes_drawn > 0 && b.res.boxes_drawn > 0);
    CHECK(access(a.output, F_OK) == 0 && access(b.output, F_OK) == 0);
    CHECK_MSG(atomic_load(&ffmpeg_lines) > 0, "no FFmpeg line reached the opted-in renderer");
    evclip_close(&r1);
    evclip_close(&r2);
    evclip_detections_free(&d);
}

/* One renderer, two concurrent renders: the one whose progress callback returns non-zero
 * fails with CANCELED and leaves nothing; the other completes; a later render succeeds. */
static void test_progress_cancel(void)
{
    EvclipDetections *d = load_store();
    EvclipRenderer *r = open_renderer(0);
    Job a = { .r = r, .dets = d, .start = 4.5, .end = 7, .cancel = 1 };
    Job b = { .r = r, .dets = d, .start = 5, .end = 6 };
    snprintf(a.output, sizeof(a.output), "%s/cancelled.mp4", dir);
    snprintf(b.output, sizeof(b.output), "%s/completed.mp4", dir);
    run_pair(&a, &b);
    CHECK_MSG(a.ret == EVCLIP_ERR_CANCELED, "cancelled render returned %d", a.ret);
    CHECK(access(a.output, F_OK) != 0);
    CHECK_MSG(b.ret == 0, "other render returned %d: %s", b.ret, b.res.error);
    CHECK(access(b.output, F_OK) == 0 && b.res.frames > 0);
    /* The cancel was that render's only: the renderer still renders. */
    Job c = { .r = r, .dets = d, .start = 5, .end = 5.5 };
    snprintf(c.output, sizeof(c.output), "%s/later.mp4", dir);
    add_here = d; /* the progress callback tries to add to the store being drawn */
    render_job(&c);
    CHECK_MSG(c.ret == 0, "later render returned %d: %s", c.ret, c.res.error);
    CHECK_MSG(add_refused, "adding to a store while a render draws it was not refused");
    CHECK(evclip_detections_add(d, &(EvclipDetection){ .frame_idx = 1, .ts = EVCLIP_NONE,
          .x1 = 1, .y1 = 1, .x2 = 9, .y2 = 9, .label = "after", .score = EVCLIP_NONE,
          .track_id = EVCLIP_NONE }) == 0); /* the render is over: adding works again */
    evclip_close(&r);
    evclip_detections_free(&d);
}

/* clip_done_callback: each clip's index once, on the rendering thread, its result final. */
typedef struct Done {
    int calls[4];
    int order[4], nb;
    pthread_t thread;
    int wrong_thread;
} Done;

static void clip_done(void *opaque, int index, const EvclipResult *res)
{
    Done *d = opaque;
    if (index < 0 || index > 3)
        return;
    d->calls[index]++;
    d->order[d->nb++ % 4] = index;
    d->wrong_thread |= !pthread_equal(pthread_self(), d->thread);
    /* A published clip's result is complete when it is reported. */
    if (res->status == 0 && (res->frames <= 0 || !res->output_sha256[0]))
        d->wrong_thread |= 2;
}

/* A batch with encoder threads (jobs 2) on a shared store, and a failing clip: every clip is
 * reported once by clip_done_callback as it finishes. */
static void test_batch_threads(void)
{
    EvclipDetections *d = load_store();
    EvclipSettings s;
    EvclipRenderer *r = NULL;
    Done done = { .thread = pthread_self() };
    evclip_default_settings(&s);
    s.overwrite = 1;
    s.preset = "ultrafast";
    s.clip_done_callback = clip_done;
    s.clip_done_opaque = &done;
    CHECK(evclip_open(&r, &s) == 0);
    char video[4200], out[4][4300];
    snprintf(video, sizeof(video), "%s/car-detection.mp4", media);
    EvclipSource src[4] = {
        { .path = video, .detections = d, .start = 5, .end = 6 },
        { .path = video, .detections = d, .start = 5.5, .end = 6.5 },
        { .path = "/nonexistent/evclip.mp4", .start = 0, .end = 1 },
        { .path = video, .detections = d, .start = 20, .end = 21 },
    };
    EvclipClip clips[4];
    EvclipResult res[4];
    for (int i = 0; i < 4; i++) {
        snprintf(out[i], sizeof(out[i]), "%s/batch%d.mp4", dir, i);
        clips[i] = (EvclipClip){ .sources = &src[i], .nb_sources = 1, .output = out[i] };
    }
    int failed = evclip_render_batch(r, clips, 4, res, 2);
    CHECK_MSG(failed == 1, "failed = %d", failed);
    CHECK_MSG(!*evclip_last_error(), "batch ran, yet last error \"%s\"", evclip_last_error());
    CHECK(res[0].status == 0 && res[1].status == 0 && res[3].status == 0);
    CHECK(res[2].status == EVCLIP_ERR_INPUT);
    for (int i = 0; i < 4; i++)
        CHECK_MSG(done.calls[i] == 1, "clip %d reported %d times", i, done.calls[i]);
    CHECK(done.nb == 4 && done.order[0] == 2); /* refused at planning: reported first */
    CHECK(done.wrong_thread == 0);
    evclip_close(&r);
    evclip_detections_free(&d);
}

int main(void)
{
    const char *m = getenv("EVCLIP_MEDIA");
    snprintf(media, sizeof(media), "%s", m ? m : "");
    char probe[4200];
    snprintf(probe, sizeof(probe), "%s/car-detection.mp4", media);
    if (!m || access(probe, R_OK) != 0) {
        printf("EVCLIP_MEDIA/car-detection.mp4 not found: skipped\n");
        return TEST_SKIP;
    }
    snprintf(dir, sizeof(dir), "/tmp/evclip-test-threads-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    test_shared_store();
    test_progress_cancel();
    test_batch_threads();
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return test_summary();
}
