/* bench_draw.c: time to draw 50 labelled boxes on a 1080p yuv420p frame (target < 1 ms), and
 * to redact 20 boxes (each mode; target < 2 ms with blur).
 * Usage: bench_draw [FRAMES] [latin|mixed] [varying]: Latin or mixed-script labels (Arabic,
 * Hebrew, Devanagari, Thai, CJK, emoji, Cyrillic, Greek); "varying" changes every score on
 * every frame (no shaped line is reused: the cost of shaping itself). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/error.h"
#include "src/overlay.h"
#include "src/redact.h"

#define WIDTH 1920
#define HEIGHT 1080
#define NB_BOXES 50
#define WARMUP 50

static const char *const latin[] = {
    "car", "person", "truck", "bicycle", "motorcycle", "bus", "traffic light", "dog",
    "stop sign", "backpack", "Stra\xC3\x9F" "enschild", "caf\xC3\xA9 table",
};

static const char *const mixed[] = {
    "car", "\xD8\xB3\xD9\x8A\xD8\xA7\xD8\xB1\xD8\xA9",
    "\xD7\x90\xD7\x93\xD7\x9D",
    "\xE0\xA4\xB5\xE0\xA5\x8D\xE0\xA4\xAF\xE0\xA4\x95\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA4\xBF",
    "\xE0\xB8\xA3\xE0\xB8\x96\xE0\xB8\x9A\xE0\xB8\xB1\xE0\xB8\xAA",
    "\xE8\xA1\x8C\xE4\xBA\xBA",
    "\xF0\x9F\x9A\x97 car",
    "\xD0\xB3\xD1\x80\xD1\x83\xD0\xB7\xD0\xBE\xD0\xB2\xD0\xB8\xD0\xBA",
    "\xCF\x83\xCE\xBA\xCF\x8D\xCE\xBB\xCE\xBF\xCF\x82",
    "\xE8\x87\xAA\xE8\xBB\xA2\xE8\xBB\x8A",
};

static const char *const *labels = latin;
static size_t nb_labels = sizeof(latin) / sizeof(latin[0]);
static int varying;

static double clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

/* Deterministic boxes of 40..440 pixels all over the frame, some crossing its edges. */
static void make_boxes(EvclipDetection *d)
{
    unsigned s = 1;

    for (int i = 0; i < NB_BOXES; i++) {
        s = s * 1103515245u + 12345u;
        double x = (double)(s >> 8 & 2047) - 64, y = (double)(s >> 4 & 1023) - 32;
        double w = 40 + (s >> 16 & 255) + (i % 3) * 60, h = 40 + (s >> 20 & 255);
        d[i] = (EvclipDetection){
            .frame_idx = 0, .ts = EVCLIP_NONE, .x1 = x, .y1 = y, .x2 = x + w, .y2 = y + h,
            .label = labels[i % nb_labels],
            .score = i % 4 == 3 ? EVCLIP_NONE : 0.30 + (i % 70) / 100.0,
            .track_id = i % 5 == 4 ? EVCLIP_NONE : i * 7 + 1,
        };
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int run(Overlay *o, DrawImage *img, int frames)
{
    EvclipDetection d[NB_BOXES];
    double *t = malloc(sizeof(*t) * frames), sum = 0;
    int drawn = 0;

    if (!t)
        return 1;
    make_boxes(d);
    for (int i = 0; i < WARMUP; i++)
        overlay_draw_detections(o, img, d, NB_BOXES, NULL);
    /* Thread CPU time as well: on a shared machine, wall time also counts preemption. */
    double cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < frames; i++) {
        for (int k = 0; varying && k < NB_BOXES; k++)
            d[k].score = (double)((i * NB_BOXES + k) % 10000) / 10000; /* new text each frame */
        double start = now_ms();
        drawn = overlay_draw_detections(o, img, d, NB_BOXES, NULL);
        t[i] = now_ms() - start;
        sum += t[i];
    }
    cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID) - cpu;
    qsort(t, frames, sizeof(*t), cmp_double);
    printf("%s%s: ", labels == latin ? "latin" : "mixed", varying ? ", varying scores" : "");
    printf("%d labelled boxes (%d visible) on %dx%d yuv420p, %d frames: "
           "mean %.3f ms, median %.3f ms, p95 %.3f ms, min %.3f ms per frame; "
           "CPU %.3f ms per frame\n",
           NB_BOXES, drawn, WIDTH, HEIGHT, frames, sum / frames, t[frames / 2],
           t[frames * 95 / 100], t[0], cpu / frames);
    free(t);
    return 0;
}

#define NB_REDACT 20

/* Redacts NB_REDACT boxes of 60..315 x 60..315 pixels (faces and plates at 1080p) per frame. */
static void run_redact(DrawImage *img, int mode, int frames)
{
    static const char *const names[] = { "pixelate", "blur", "fill" };
    int box[NB_REDACT][4];
    unsigned s = 7;
    double *t = malloc(sizeof(*t) * frames), sum = 0;
    if (!t)
        return;
    for (int i = 0; i < NB_REDACT; i++) {
        s = s * 1103515245u + 12345u;
        int w = 60 + (s >> 8 & 255), h = 60 + (s >> 16 & 255);
        box[i][0] = (int)(s >> 4 & 1023) * (WIDTH - w) / 1024;
        box[i][1] = (int)(s >> 12 & 1023) * (HEIGHT - h) / 1024;
        box[i][2] = box[i][0] + w;
        box[i][3] = box[i][1] + h;
    }
    for (int i = 0; i < frames; i++) {
        double start = now_ms();
        for (int k = 0; k < NB_REDACT; k++)
            redact_region(img, mode, box[k][0], box[k][1], box[k][2], box[k][3]);
        t[i] = now_ms() - start;
        sum += t[i];
    }
    qsort(t, frames, sizeof(*t), cmp_double);
    printf("redact %d boxes (60..315 px) on %dx%d yuv420p, %-8s %d frames: "
           "mean %.3f ms, p95 %.3f ms, min %.3f ms per frame\n", NB_REDACT, WIDTH, HEIGHT,
           names[mode], frames, sum / frames, t[frames * 95 / 100], t[0]);
    free(t);
}

int main(int argc, char **argv)
{
    int frames = argc > 1 ? atoi(argv[1]) : 2000;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "mixed")) {
            labels = mixed;
            nb_labels = sizeof(mixed) / sizeof(mixed[0]);
        } else if (!strcmp(argv[i], "varying")) {
            varying = 1;
        } else if (strcmp(argv[i], "latin")) {
            fprintf(stderr, "bench_draw: unknown mode '%s' (latin, mixed, varying)\n", argv[i]);
            return 2;
        }
    }
    OverlayParams p = { .width = WIDTH, .height = HEIGHT, .matrix = DRAW_BT709 };
    uint8_t *buf = malloc((size_t)WIDTH * HEIGHT * 3 / 2);
    Overlay *o = NULL;
    int ret;

    if (!buf || frames < 1 || overlay_open(&o, &p) < 0) {
        fprintf(stderr, "bench_draw: %s\n", buf ? ev_error_message() : "out of memory");
        free(buf);
        return 1;
    }
    memset(buf, 100, (size_t)WIDTH * HEIGHT);
    memset(buf + WIDTH * HEIGHT, 128, WIDTH * HEIGHT / 2);
    DrawImage img = {
        { buf, buf + WIDTH * HEIGHT, buf + WIDTH * HEIGHT * 5 / 4 },
        { WIDTH, WIDTH / 2, WIDTH / 2 }, WIDTH, HEIGHT,
    };
    ret = run(o, &img, frames);
    for (int mode = EVCLIP_REDACT_PIXELATE; mode <= EVCLIP_REDACT_FILL; mode++)
        run_redact(&img, mode, frames / 4 > 0 ? frames / 4 : 1);
    overlay_close(&o);
    free(buf);
    return ret;
}
