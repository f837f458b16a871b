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

static int progress(void *opaque, const EvclipProgress *p)
{
    (void)opaque;
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
    render_job(&c);
    CHECK_MSG(c.ret == 0, "later render returned %d: %s", c.ret, c.res.error);
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
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return test_summary();
}
