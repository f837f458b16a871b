/* bench_draw.c: time to draw 50 labelled boxes on a 1080p yuv420p frame (target < 1 ms). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/error.h"
#include "src/overlay.h"

#define WIDTH 1920
#define HEIGHT 1080
#define NB_BOXES 50
#define WARMUP 50

static const char *const labels[] = {
    "car", "person", "truck", "bicycle", "motorcycle", "bus", "traffic light", "dog",
    "stop sign", "backpack", "Stra\xC3\x9F" "enschild", "caf\xC3\xA9 table",
};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
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
            .label = labels[i % (sizeof(labels) / sizeof(labels[0]))],
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
    for (int i = 0; i < frames; i++) {
        double start = now_ms();
        drawn = overlay_draw_detections(o, img, d, NB_BOXES, NULL);
        t[i] = now_ms() - start;
        sum += t[i];
    }
    qsort(t, frames, sizeof(*t), cmp_double);
    printf("%d labelled boxes (%d visible) on %dx%d yuv420p, %d frames: "
           "mean %.3f ms, p95 %.3f ms, min %.3f ms per frame\n",
           NB_BOXES, drawn, WIDTH, HEIGHT, frames, sum / frames, t[frames * 95 / 100], t[0]);
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    int frames = argc > 1 ? atoi(argv[1]) : 2000;
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
    overlay_close(&o);
    free(buf);
    return ret;
}
