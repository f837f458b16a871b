/* cli_demo.c: `evclip demo`: a synthetic street scene with moving objects and matching
 * detections, generated in memory and rendered through the frame writer. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli.h"

#define DEMO_W 960
#define DEMO_H 540
#define DEMO_FPS 30
#define DEMO_SECONDS 8

static const char usage[] =
    "Usage: evclip demo [-o OUTPUT.mp4] [--overwrite] [--json] [-q]\n"
    "\n"
    "Builds a synthetic scene (960x540, 30 fps, 8 s) with moving objects and matching\n"
    "detections in memory and renders it as an evidence clip (default demo.mp4).\n"
    "  -o, --output PATH   output file (default demo.mp4)\n"
    "      --overwrite     replace an existing output\n"
    "      --preset NAME   encoder preset (default veryfast)\n"
    "      --json          machine-readable summary on stdout\n"
    "  -q, --quiet         only errors on stderr\n"
    "  -h, --help          this help\n";

typedef struct Actor {
    const char *label;
    int track;
    double x0, y0, vx, vy;  /* top-left position (pixels) and speed (pixels per second) */
    double w, h;
    uint8_t y, u, v;        /* body colour */
    int round;              /* drawn as an ellipse */
} Actor;

static const Actor actors[] = {
    { "car", 1, -200, 300, 150, 0, 190, 90, 82, 90, 200, 0 },
    { "truck", 2, 1000, 220, -110, 0, 260, 120, 150, 60, 120, 0 },
    { "person", 3, 420, 120, 8, 45, 44, 110, 170, 150, 150, 1 },
    { "bicycle", 4, 860, 420, -70, -5, 90, 60, 100, 170, 100, 1 },
};
#define NB_ACTORS ((int)(sizeof(actors) / sizeof(actors[0])))

static void paint_background(uint8_t *planes[3], int frame)
{
    for (int y = 0; y < DEMO_H; y++) {
        uint8_t *row = planes[0] + y * DEMO_W;
        int base = y < 180 ? 170 - y / 4 : 90 + (y - 180) / 12;
        for (int x = 0; x < DEMO_W; x++) {
            unsigned n = (unsigned)(x * 73856093u ^ y * 19349663u ^ frame * 83492791u);
            row[x] = (uint8_t)(base + (int)((n >> 13) & 7) - 3);
        }
        int lane = y > 370 && y < 378;
        for (int x = 0; lane && x < DEMO_W; x++)
            if ((x + frame * 6) % 80 < 40)
                row[x] = 220;
    }
    for (int y = 0; y < DEMO_H / 2; y++) {
        memset(planes[1] + y * DEMO_W / 2, y < 90 ? 150 : 124, DEMO_W / 2);
        memset(planes[2] + y * DEMO_W / 2, y < 90 ? 110 : 128, DEMO_W / 2);
    }
}

static void paint_actor(uint8_t *planes[3], const Actor *a, double x, double y)
{
    for (int py = (int)fmax(0, y); py < (int)fmin(DEMO_H, y + a->h); py++) {
        for (int px = (int)fmax(0, x); px < (int)fmin(DEMO_W, x + a->w); px++) {
            double dx = (px - x) / a->w - 0.5, dy = (py - y) / a->h - 0.5;
            if (a->round && dx * dx + dy * dy > 0.25)
                continue;
            planes[0][py * DEMO_W + px] = a->y;
            planes[1][(py / 2) * (DEMO_W / 2) + px / 2] = a->u;
            planes[2][(py / 2) * (DEMO_W / 2) + px / 2] = a->v;
        }
    }
}

/* Paints frame n and fills its detections (one per actor still on screen). */
static int build_frame(uint8_t *planes[3], int n, EvclipDetection *dets)
{
    double t = (double)n / DEMO_FPS;
    int count = 0;
    paint_background(planes, n);
    for (int i = 0; i < NB_ACTORS; i++) {
        const Actor *a = &actors[i];
        double x = a->x0 + a->vx * t, y = a->y0 + a->vy * t;
        paint_actor(planes, a, x, y);
        if (x + a->w < 0 || x > DEMO_W || y + a->h < 0 || y > DEMO_H)
            continue;
        double jitter = 2.0 * sin(n * 0.7 + i);
        dets[count++] = (EvclipDetection){
            .frame_idx = n, .ts = t, .x1 = x - 4 + jitter, .y1 = y - 4,
            .x2 = x + a->w + 4 + jitter, .y2 = y + a->h + 4, .label = a->label,
            .score = 0.80 + 0.15 * sin(n * 0.1 + i), .track_id = a->track,
        };
    }
    return count;
}

static int render_demo(EvclipRenderer *r, const char *output, EvclipResult *res)
{
    EvclipWriter *w = NULL;
    EvclipWriterParams wp = { output, DEMO_W, DEMO_H, DEMO_FPS, 1 };
    EvclipDetection dets[NB_ACTORS];
    uint8_t *buf = malloc(DEMO_W * DEMO_H * 3 / 2);
    int ret = buf ? evclip_writer_open(&w, r, &wp) : EVCLIP_ERR_NOMEM;

    uint8_t *planes[3] = { buf, buf + DEMO_W * DEMO_H, buf + DEMO_W * DEMO_H * 5 / 4 };
    for (int n = 0; ret >= 0 && n < DEMO_SECONDS * DEMO_FPS; n++) {
        int count = build_frame(planes, n, dets);
        EvclipFrame f = {
            .format = EVCLIP_PIXFMT_YUV420P, .width = DEMO_W, .height = DEMO_H,
            .data = { planes[0], planes[1], planes[2] },
            .linesize = { DEMO_W, DEMO_W / 2, DEMO_W / 2 }, .time = (double)n / DEMO_FPS,
        };
        ret = evclip_writer_push(w, &f, dets, count);
    }
    if (ret >= 0)
        ret = evclip_writer_finish(w, res);
    evclip_writer_close(&w);
    free(buf);
    return ret;
}

int cli_demo_main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' }, { "overwrite", no_argument, NULL, 'w' },
        { "preset", required_argument, NULL, 'p' }, { "json", no_argument, NULL, 'j' },
        { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *output = "demo.mp4";
    CliOptions cli = { 0 };
    EvclipSettings s;
    EvclipResult res = { 0 };
    int c;

    evclip_default_settings(&s);
    optind = 1;
    if (cli_check_options("demo", argc, argv, "o:qh", opts))
        return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'w': s.overwrite = 1; break;
        case 'p': s.preset = optarg; break;
        case 'j': cli.json = 1; break;
        case 'q': cli.quiet = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default: return cli_usage_error("demo", "bad option (see above)");
        }
    }
    if (optind < argc)
        return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
    s.log_callback = cli_log;
    s.ffmpeg_log = 1; /* the CLI is the host: FFmpeg speaks through its log */
    s.log_opaque = &cli;
    s.title = "evclip demo: synthetic street";
    EvclipRenderer *r = NULL;
    int ret = evclip_open(&r, &s);
    if (ret >= 0) {
        cli_handle_signals(r);
        ret = render_demo(r, output, &res);
        cli_handle_signals(NULL);
    }
    evclip_close(&r);
    int code = cli_exit_code(ret);
    if (ret < 0) {
        cli_print_error(ret);
        res.status = ret;
        snprintf(res.error, sizeof(res.error), "%s", evclip_last_error());
    } else if (!cli.quiet && !cli.json) {
        fprintf(stderr, "evclip: wrote %s (%lld frames, %.2f s, %lld boxes)\n", output,
                (long long)res.frames, res.duration, (long long)res.boxes_drawn);
    }
    if (cli.json)
        cli_json_result(output, &res, code);
    return code;
}
