/* cli_render.c: `evclip render`: one evidence clip from a video and a detection log. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli.h"

static const char usage[] =
    "Usage: evclip render -i INPUT [-d DETECTIONS.jsonl] --start S --end E -o OUTPUT.mp4 "
    "[options]\n"
    "\n"
    "Renders the window [S, E) of INPUT (seconds from its first video frame; also\n"
    "MM:SS.ms or HH:MM:SS.ms) to an H.264 MP4 with the detections burned in.\n"
    "\n"
    "Input and window:\n"
    "  -i, --input PATH        video file or URL FFmpeg reads (required)\n"
    "  -d, --detections PATH   detection log, native JSONL (optional)\n"
    "      --start S           window start (required)\n"
    "      --end E             window end, exclusive (required)\n"
    "      --pre SECONDS       pre-roll added before the start (default 0)\n"
    "      --post SECONDS      post-roll added after the end (default 0)\n"
    "      --clamp             clamp a window that runs past the video end\n"
    "Output:\n"
    "  -o, --output PATH       output .mp4 (required); written via a temp file + rename\n"
    "      --overwrite         replace an existing output (default: refuse)\n"
    "      --no-audio          drop the audio track\n"
    "Encoder:\n"
    "      --encoder NAME      FFmpeg encoder, or 'auto' (hardware, else libx264);\n"
    "                          default libx264\n"
    "      --preset NAME       encoder preset (default veryfast)\n"
    "      --crf N             quality 0..51 (default 23)\n"
    "      --bitrate BPS       target bitrate instead of crf (e.g. 4000000)\n"
    "      --threads N         codec threads (default 0 = auto)\n"
    "Drawing:\n"
    "      --hold MS           keep a box up to MS milliseconds after its last detection\n"
    "      --font FONT         font file or fontconfig pattern (default DejaVu Sans)\n"
    "      --title TEXT        caption in the top-left corner\n"
    "      --timestamp         draw the source time in the bottom-left corner\n"
    "      --thickness PX      box line width (default: scaled to frame height)\n"
    "      --font-size PX      label text height (default: scaled to frame height)\n"
    "Reporting:\n"
    "  -q, --quiet             only errors on stderr\n"
    "  -v, --verbose           debug messages\n"
    "      --json              machine-readable summary on stdout\n"
    "  -h, --help              this help\n"
    "  -V, --version           print the version\n"
    "\n"
    "Exit codes: 0 ok, 1 other failure, 2 usage, 3 input, 4 detections, 5 window,\n"
    "6 output, 7 encoder/font, 130/143 interrupted by SIGINT/SIGTERM.\n";

enum {
    OPT_START = 256, OPT_END, OPT_PRE, OPT_POST, OPT_CLAMP, OPT_OVERWRITE, OPT_NO_AUDIO,
    OPT_ENCODER, OPT_PRESET, OPT_CRF, OPT_BITRATE, OPT_THREADS, OPT_HOLD, OPT_FONT, OPT_TITLE,
    OPT_TIMESTAMP, OPT_THICKNESS, OPT_FONT_SIZE, OPT_JSON,
};

static const struct option long_options[] = {
    { "input", required_argument, NULL, 'i' },
    { "detections", required_argument, NULL, 'd' },
    { "output", required_argument, NULL, 'o' },
    { "start", required_argument, NULL, OPT_START },
    { "end", required_argument, NULL, OPT_END },
    { "pre", required_argument, NULL, OPT_PRE },
    { "post", required_argument, NULL, OPT_POST },
    { "clamp", no_argument, NULL, OPT_CLAMP },
    { "overwrite", no_argument, NULL, OPT_OVERWRITE },
    { "no-audio", no_argument, NULL, OPT_NO_AUDIO },
    { "encoder", required_argument, NULL, OPT_ENCODER },
    { "preset", required_argument, NULL, OPT_PRESET },
    { "crf", required_argument, NULL, OPT_CRF },
    { "bitrate", required_argument, NULL, OPT_BITRATE },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "hold", required_argument, NULL, OPT_HOLD },
    { "font", required_argument, NULL, OPT_FONT },
    { "title", required_argument, NULL, OPT_TITLE },
    { "timestamp", no_argument, NULL, OPT_TIMESTAMP },
    { "thickness", required_argument, NULL, OPT_THICKNESS },
    { "font-size", required_argument, NULL, OPT_FONT_SIZE },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

typedef struct RenderArgs {
    const char *input, *detections, *output;
    double start, end, pre, post;
    int have_start, have_end;
    EvclipSettings settings;
    CliOptions cli;
} RenderArgs;

static int parse_time_option(const char *name, const char *value, double *out)
{
    if (cli_parse_time(value, out) < 0)
        return cli_usage_error("render", "%s: '%s' is not a time (seconds, MM:SS or "
                               "HH:MM:SS, >= 0)", name, value);
    return 0;
}

static int parse_option(RenderArgs *a, int c, const char *arg)
{
    EvclipSettings *s = &a->settings;
    double v;
    long long n;

    switch (c) {
    case 'i': a->input = arg; return 0;
    case 'd': a->detections = arg; return 0;
    case 'o': a->output = arg; return 0;
    case OPT_START: a->have_start = 1; return parse_time_option("--start", arg, &a->start);
    case OPT_END: a->have_end = 1; return parse_time_option("--end", arg, &a->end);
    case OPT_PRE: return cli_number("--pre", arg, 0, 86400, &a->pre) ? EXIT_USAGE : 0;
    case OPT_POST: return cli_number("--post", arg, 0, 86400, &a->post) ? EXIT_USAGE : 0;
    case OPT_CLAMP: s->clamp = 1; return 0;
    case OPT_OVERWRITE: s->overwrite = 1; return 0;
    case OPT_NO_AUDIO: s->audio = 0; return 0;
    case OPT_ENCODER: s->encoder = arg; return 0;
    case OPT_PRESET: s->preset = arg; return 0;
    case OPT_FONT: s->font = arg; return 0;
    case OPT_TITLE: s->title = arg; return 0;
    case OPT_TIMESTAMP: s->timestamp = 1; return 0;
    case OPT_JSON: a->cli.json = 1; return 0;
    case 'q': a->cli.quiet = 1; return 0;
    case 'v': a->cli.verbose = 1; return 0;
    case OPT_HOLD:
        if (cli_number("--hold", arg, 0, 3600000, &v))
            return EXIT_USAGE;
        s->hold = v / 1000.0;
        return 0;
    case OPT_CRF:
        if (cli_integer("--crf", arg, 0, 51, &n))
            return EXIT_USAGE;
        s->crf = (int)n;
        return 0;
    case OPT_BITRATE:
        if (cli_integer("--bitrate", arg, 1000, 2000000000, &n))
            return EXIT_USAGE;
        s->bitrate = n;
        return 0;
    case OPT_THREADS:
        if (cli_integer("--threads", arg, 0, 256, &n))
            return EXIT_USAGE;
        s->threads = (int)n;
        return 0;
    case OPT_THICKNESS:
        if (cli_integer("--thickness", arg, 1, 256, &n))
            return EXIT_USAGE;
        s->thickness = (int)n;
        return 0;
    case OPT_FONT_SIZE:
        if (cli_integer("--font-size", arg, 6, 512, &n))
            return EXIT_USAGE;
        s->font_size = (int)n;
        return 0;
    default:
        return cli_usage_error("render", "unknown option");
    }
}

static int parse_args(RenderArgs *a, int argc, char **argv)
{
    int c, ret;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:d:o:qvhV", long_options, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (c == 'V') {
            printf("evclip %s\n", evclip_version());
            return -1;
        }
        if (c == '?')
            return cli_usage_error("render", "bad option (see above)");
        if ((ret = parse_option(a, c, optarg)) != 0)
            return ret;
    }
    if (optind < argc)
        return cli_usage_error("render", "unexpected argument '%s'", argv[optind]);
    if (!a->input)
        return cli_usage_error("render", "missing --input");
    if (!a->output)
        return cli_usage_error("render", "missing --output");
    if (!a->have_start || !a->have_end)
        return cli_usage_error("render", "missing --start or --end");
    if (a->start >= a->end)
        return cli_usage_error("render", "--start %.3f must be before --end %.3f", a->start,
                               a->end);
    return 0;
}

static int run(RenderArgs *a, EvclipResult *res)
{
    EvclipRenderer *r = NULL;
    EvclipDetections *dets = NULL;
    int ret = evclip_open(&r, &a->settings);
    if (ret < 0)
        return ret;
    if (a->detections) {
        if ((ret = evclip_detections_new(&dets)) >= 0)
            ret = evclip_detections_load(dets, a->detections);
    }
    if (ret >= 0) {
        EvclipSource src = { a->input, dets, a->start, a->end };
        EvclipClip clip = { &src, 1, a->output, a->pre, a->post };
        cli_handle_signals(r);
        ret = evclip_render(r, &clip, res);
        cli_handle_signals(NULL);
        cli_progress_end(&a->cli);
    } else {
        res->status = ret;
        snprintf(res->error, sizeof(res->error), "%s", evclip_last_error());
    }
    evclip_detections_free(&dets);
    evclip_close(&r);
    return ret;
}

int cli_render_main(int argc, char **argv)
{
    RenderArgs a = { 0 };
    EvclipResult res = { 0 };

    evclip_default_settings(&a.settings);
    int ret = parse_args(&a, argc, argv);
    if (ret != 0)
        return ret < 0 ? EXIT_OK : ret;
    a.cli.progress = !a.cli.quiet && !a.cli.json && isatty(STDERR_FILENO);
    a.settings.log_callback = cli_log;
    a.settings.log_opaque = &a.cli;
    a.settings.log_level = a.cli.verbose ? EVCLIP_LOG_DEBUG : EVCLIP_LOG_INFO;
    a.settings.progress_callback = cli_progress;
    a.settings.progress_opaque = &a.cli;
    ret = run(&a, &res);
    int code = cli_exit_code(ret);
    if (ret < 0)
        cli_print_error(ret);
    else if (!a.cli.quiet && !a.cli.json)
        fprintf(stderr, "evclip: wrote %s (%lld frames, %.2f s, %lld boxes)\n", a.output,
                (long long)res.frames, res.duration, (long long)res.boxes_drawn);
    if (a.cli.json)
        cli_json_result(a.output, &res, code);
    return code;
}
