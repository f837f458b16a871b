/* cli_render.c: `evclip render`: one evidence clip from a video and a detection log. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli.h"
#include "tools/cli_redact.h"
#include "tools/cli_spec.h"

#define MAX_SOURCES 64

static const char usage[] =
    "Usage: evclip render -i INPUT [-d DETECTIONS.jsonl] --start S --end E -o OUTPUT.mp4 "
    "[options]\n"
    "       evclip render -i A [-d A.jsonl] --from S --to E -i B [-d B.jsonl] --from S --to E"
    " ... -o OUT.mp4\n"
    "       evclip render --spec CLIP.json\n"
    "\n"
    "Renders the window [S, E) of INPUT (seconds from its video stream's start time; also\n"
    "MM:SS.ms or HH:MM:SS.ms) to an H.264 MP4 with the detections burned in.\n"
    "Several inputs make one continuous clip (an event across recorder segments):\n"
    "-d, --from/--start, --to/--end, --ts-origin, --stream, --fps and --epoch apply to the -i\n"
    "they follow.\n"
    "\n"
    "Input and window:\n"
    "  -i, --input PATH        video file or URL FFmpeg reads (required; repeatable)\n"
    "  -d, --detections PATH   detection log of that input (optional); format guessed from\n"
    "                          its first line\n"
    "      --format NAME       force the log format: jsonl (native), grouped, ultralytics,\n"
    "                          inspect (evclip inspect output), mot (MOTChallenge txt)\n"
    "                          or auto (default)\n"
    "      --normalized        box coordinates are fractions (0..1) of the frame size\n"
    "      --ts-origin WHAT    what that input's detection ts count from: start (default:\n"
    "                          0 = the video stream's start time, as OpenCV's\n"
    "                          CAP_PROP_POS_MSEC) or pts (frame.pts * time_base, as PyAV)\n"
    "      --stream N          use that input's video stream N (0-based among its video\n"
    "                          streams; default: the first that is not cover art)\n"
    "      --fps RATE          frame rate of an input without timestamps (raw .h264/.hevc;\n"
    "                          default: the rate it declares, else 25)\n"
    "      --epoch TIME        wall-clock time of that input's start (time 0): ISO 8601\n"
    "                          with a zone (2026-03-02T14:03:22.140Z, ...+01:00) or epoch\n"
    "                          seconds; default: from the log's wallclock fields, else the\n"
    "                          file's creation_time, else unknown\n"
    "      --box-space WHAT    boxes of a rotated input (phone video, display matrix) are\n"
    "                          pixels of the frame as players show it: display (default;\n"
    "                          ffmpeg, browsers) or as stored: stored (PyAV); the clip\n"
    "                          always shows the input upright\n"
    "      --start, --from S   window start on that input's timeline (required)\n"
    "      --end, --to E       window end, exclusive (default: the end of the input)\n"
    "      --spec FILE         read the whole clip from a JSON clip spec (README.md)\n"
    "      --pre S             pre-roll added before the start (default 0)\n"
    "      --post S            post-roll added after the end (default 0)\n"
    "      --clamp             cut a window that runs past the video end there\n"
    "      --speed X           playback speed (default 1; audio dropped when not 1)\n"
    "      --max-duration S    cap the output duration (seconds)\n"
    "      --cap-strategy NAME timelapse (speed up, default) or framedrop (every Nth frame)\n"
    "      --size WxH          output size (default: the first input's); others letterboxed\n"
    "Output:\n"
    "  -o, --output PATH       output .mp4 (required); written via a temp file + rename\n"
    "      --overwrite         replace an existing output (default: refuse)\n"
    "      --mkdirs            create the output's missing folders (default: refuse)\n"
    "      --no-audio          drop the audio track\n"
    "      --no-manifest       do not write OUTPUT.evidence.json (hashes, settings)\n"
    "      --sign-key FILE     sign the manifest with this Ed25519 secret key (evclip keygen)\n"
    "      --no-sei            do not embed each frame's detections in the H.264 stream\n"
    "      --poster            also write OUTPUT.jpg: the frame with the most boxes (<= 640\n"
    "                          px wide), recorded in the manifest\n"
    "      --native            also write OUTPUT.native.mp4: the source's own packets of the\n"
    "                          window, copied without re-encoding (see README)\n"
    "Encoder:\n"
    "      --encoder NAME      FFmpeg encoder, or 'auto' (hardware, else libx264);\n"
    "                          default libx264\n"
    "      --preset NAME       encoder preset (default veryfast)\n"
    "      --crf N             quality 0..51 (default 23)\n"
    "      --bitrate BPS       target bitrate instead of crf (e.g. 4000000)\n"
    "      --threads N         codec threads (default 0 = auto)\n"
    "Drawing:\n"
    "      --hold MS           keep a box up to MS milliseconds after its last detection\n"
    "                          (default 0 = off; for logs sparser than the video)\n"
    "      --font FONT         font file or fontconfig pattern (default DejaVu Sans)\n"
    "      --title TEXT        caption in the top-left corner\n"
    "      --timestamp         draw the frame's time in the bottom-left corner: wall-clock\n"
    "                          time in --tz when the input's origin is known (--epoch,\n"
    "                          log, creation_time), else the source time\n"
    "      --thickness PX      box line width (default: scaled to frame height)\n"
    "      --font-size PX      label text height (default: scaled to frame height)\n"
    "      --label-max N       cut labels to N characters with an ellipsis (default 0 = no\n"
    "                          limit; chips are always cut to the frame width)\n"
    CLI_REDACT_USAGE
    "Reporting:\n"
    "  -q, --quiet             only errors on stderr\n"
    "  -v, --verbose           debug messages\n"
    "      --json              machine-readable summary on stdout\n"
    "      --strict            exit 8 when the clip rendered with warnings (no detection\n"
    "                          in the window, boxes outside the frame, ...)\n"
    "  -h, --help              this help\n"
    "  -V, --version           print the version\n"
    "\n"
    "Exit codes: 0 ok, 1 other failure, 2 usage, 3 input, 4 detections, 5 window,\n"
    "6 output, 7 encoder/font, 8 warnings with --strict, 130/143 interrupted by\n"
    "SIGINT/SIGTERM.\n";

enum {
    OPT_START = 256, OPT_END, OPT_PRE, OPT_POST, OPT_CLAMP, OPT_OVERWRITE, OPT_NO_AUDIO,
    OPT_ENCODER, OPT_PRESET, OPT_CRF, OPT_BITRATE, OPT_THREADS, OPT_HOLD, OPT_FONT, OPT_TITLE,
    OPT_TIMESTAMP, OPT_THICKNESS, OPT_FONT_SIZE, OPT_JSON, OPT_NO_MANIFEST, OPT_SIGN_KEY,
    OPT_NO_SEI, OPT_POSTER, OPT_NATIVE, OPT_FORMAT, OPT_NORMALIZED, OPT_SPEED, OPT_MAX_DURATION,
    OPT_CAP_STRATEGY,
    OPT_SIZE, OPT_SPEC, OPT_TS_ORIGIN, OPT_STREAM, OPT_FPS, OPT_STRICT, OPT_BOX_SPACE, OPT_MKDIRS,
    OPT_LABEL_MAX, OPT_EPOCH,
};

static const struct option long_options[] = {
    { "input", required_argument, NULL, 'i' },
    { "detections", required_argument, NULL, 'd' },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "normalized", no_argument, NULL, OPT_NORMALIZED },
    { "ts-origin", required_argument, NULL, OPT_TS_ORIGIN },
    { "stream", required_argument, NULL, OPT_STREAM },
    { "fps", required_argument, NULL, OPT_FPS },
    { "epoch", required_argument, NULL, OPT_EPOCH },
    { "box-space", required_argument, NULL, OPT_BOX_SPACE },
    { "output", required_argument, NULL, 'o' },
    { "start", required_argument, NULL, OPT_START },
    { "from", required_argument, NULL, OPT_START },
    { "end", required_argument, NULL, OPT_END },
    { "to", required_argument, NULL, OPT_END },
    { "speed", required_argument, NULL, OPT_SPEED },
    { "max-duration", required_argument, NULL, OPT_MAX_DURATION },
    { "cap-strategy", required_argument, NULL, OPT_CAP_STRATEGY },
    { "size", required_argument, NULL, OPT_SIZE },
    { "spec", required_argument, NULL, OPT_SPEC },
    { "pre", required_argument, NULL, OPT_PRE },
    { "post", required_argument, NULL, OPT_POST },
    { "clamp", no_argument, NULL, OPT_CLAMP },
    { "overwrite", no_argument, NULL, OPT_OVERWRITE },
    { "mkdirs", no_argument, NULL, OPT_MKDIRS },
    { "no-audio", no_argument, NULL, OPT_NO_AUDIO },
    { "no-manifest", no_argument, NULL, OPT_NO_MANIFEST },
    { "sign-key", required_argument, NULL, OPT_SIGN_KEY },
    { "no-sei", no_argument, NULL, OPT_NO_SEI },
    { "poster", no_argument, NULL, OPT_POSTER },
    { "native", no_argument, NULL, OPT_NATIVE },
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
    { "label-max", required_argument, NULL, OPT_LABEL_MAX },
    CLI_REDACT_LONG_OPTIONS,
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "json", no_argument, NULL, OPT_JSON },
    { "strict", no_argument, NULL, OPT_STRICT },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

typedef struct SourceArgs {
    const char *input, *detections;
    double start, end;
    int have_start, have_end;
    int ts_origin, stream; /* EvclipSource fields */
    double fps, epoch;
    int epoch_known;
} SourceArgs;

typedef struct RenderArgs {
    SourceArgs sources[MAX_SOURCES];
    int nb_sources;      /* -i seen */
    const char *output, *spec;
    char *spec_output;   /* --spec: a copy of the spec's output (the JSON tree is freed) */
    const char *format;  /* detection log format name, NULL = auto */
    int normalized;
    double pre, post, speed, max_duration;
    int cap_strategy, width, height;
    int strict, to_end;  /* --strict; some input has no window end (to the end of it) */
    int mkdirs;          /* --mkdirs: create the output's missing folders */
    EvclipSettings settings;
    CliRedact redact;    /* --redact... (settings.draw_options points here when used) */
    CliOptions cli;
} RenderArgs;

/* The source that -d/--from/--to apply to: the last -i, or the first before any -i. */
static SourceArgs *current(RenderArgs *a)
{
    return &a->sources[a->nb_sources > 0 ? a->nb_sources - 1 : 0];
}

static int parse_time_option(const char *name, const char *value, double *out)
{
    if (cli_parse_time(value, out) < 0)
        return cli_usage_error("render", "%s: '%s' is not a time (seconds, MM:SS or "
                               "HH:MM:SS, >= 0)", name, value);
    return 0;
}

/* The library owns the ranges (evclip_settings_validate: the same message for options, clip
 * specs and Python); checked right after each option so the error names it. */
static int check_setting(const char *option, const EvclipSettings *s)
{
    EvclipSettings ranges = *s;
    ranges.sign_key = NULL; /* the key is checked once all options are read */
    if (evclip_settings_validate(&ranges) < 0)
        return cli_usage_error("render", "%s: %s", option, evclip_last_error());
    return 0;
}

static int parse_option(RenderArgs *a, int c, const char *arg)
{
    EvclipSettings *s = &a->settings;
    double v;
    long long n;

    SourceArgs *src = current(a);
    switch (c) {
    case 'i':
        if (a->nb_sources == MAX_SOURCES)
            return cli_usage_error("render", "more than %d inputs", MAX_SOURCES);
        if (a->nb_sources > 0 || a->sources[0].input)
            src = &a->sources[a->nb_sources];
        a->nb_sources = (int)(src - a->sources) + 1;
        src->input = arg;
        return 0;
    case 'd':
        if (src->detections)
            return cli_usage_error("render", "two -d for input %d", (int)(src - a->sources) + 1);
        src->detections = arg;
        return 0;
    case OPT_FORMAT:
        a->format = arg;
        if (strcmp(arg, "auto") && strcmp(arg, "jsonl") && strcmp(arg, "grouped") &&
            strcmp(arg, "ultralytics") && strcmp(arg, "inspect") && strcmp(arg, "mot"))
            return cli_usage_error("render", "--format: '%s' is not one of auto, jsonl, "
                                   "grouped, ultralytics, inspect, mot", arg);
        return 0;
    case OPT_NORMALIZED: a->normalized = 1; return 0;
    case OPT_TS_ORIGIN:
        if ((src->ts_origin = spec_parse_ts_origin(arg)) < 0)
            return cli_usage_error("render", "--ts-origin: '%s' is not start or pts", arg);
        return 0;
    case OPT_STREAM:
        if (cli_integer("--stream", arg, 0, 1000, &n))
            return EXIT_USAGE;
        src->stream = (int)n + 1;
        return 0;
    case OPT_FPS:
        return cli_number("--fps", arg, 0.01, 1000, &src->fps) ? EXIT_USAGE : 0;
    case OPT_EPOCH:
        if (evclip_parse_wallclock(arg, &src->epoch) < 0)
            return cli_usage_error("render", "--%s", evclip_last_error());
        src->epoch_known = 1;
        return 0;
    case 'o':
        if (a->output)
            return cli_usage_error("render", "two -o/--output ('%s' and '%s'): one clip has "
                                   "one output", a->output, arg);
        a->output = arg;
        return 0;
    case OPT_SPEC: a->spec = arg; return 0;
    case OPT_START:
        if (src->have_start)
            return cli_usage_error("render", "two window starts for input %d",
                                   (int)(src - a->sources) + 1);
        src->have_start = 1;
        return parse_time_option("--start/--from", arg, &src->start);
    case OPT_END:
        if (src->have_end)
            return cli_usage_error("render", "two window ends for input %d",
                                   (int)(src - a->sources) + 1);
        src->have_end = 1;
        return parse_time_option("--end/--to", arg, &src->end);
    case OPT_SPEED:
        return cli_number("--speed", arg, 1e-3, 1e4, &a->speed) ? EXIT_USAGE : 0;
    case OPT_MAX_DURATION:
        if (parse_time_option("--max-duration", arg, &a->max_duration))
            return EXIT_USAGE;
        return a->max_duration > 0 ? 0 : cli_usage_error("render", "--max-duration: must be "
                                                         "> 0");
    case OPT_CAP_STRATEGY:
        if ((a->cap_strategy = spec_parse_strategy(arg)) < 0)
            return cli_usage_error("render", "--cap-strategy: '%s' is not timelapse or "
                                   "framedrop", arg);
        return 0;
    case OPT_SIZE:
        if (spec_parse_size(arg, &a->width, &a->height) < 0)
            return cli_usage_error("render", "--size: '%s' is not WxH with even sizes", arg);
        return 0;
    case OPT_PRE: return parse_time_option("--pre", arg, &a->pre);
    case OPT_POST: return parse_time_option("--post", arg, &a->post);
    case OPT_MKDIRS: a->mkdirs = 1; return 0;
    case OPT_CLAMP: s->clamp = 1; return 0;
    case OPT_OVERWRITE: s->overwrite = 1; return 0;
    case OPT_NO_AUDIO: s->audio = 0; return 0;
    case OPT_NO_MANIFEST: s->manifest = 0; return 0;
    case OPT_SIGN_KEY: s->sign_key = arg; return 0;
    case OPT_NO_SEI: s->embed_detections = 0; return 0;
    case OPT_POSTER: s->poster = 1; return 0;
    case OPT_NATIVE: s->native = 1; return 0;
    case OPT_BOX_SPACE:
        if ((s->box_space = spec_parse_box_space(arg)) < 0)
            return cli_usage_error("render", "--box-space: '%s' is not display or stored", arg);
        return 0;
    case OPT_ENCODER: s->encoder = arg; return 0;
    case OPT_PRESET: s->preset = arg; return 0;
    case OPT_FONT: s->font = arg; return 0;
    case OPT_TITLE: s->title = arg; return 0;
    case OPT_TIMESTAMP: s->timestamp = 1; return 0;
    case OPT_JSON: a->cli.json = 1; return 0;
    case OPT_STRICT: a->strict = 1; return 0;
    case 'q': a->cli.quiet = 1; return 0;
    case 'v': a->cli.verbose = 1; return 0;
    case OPT_HOLD:
        if (cli_number("--hold", arg, 0, 3600000, &v))
            return EXIT_USAGE;
        s->hold = v / 1000.0;
        return 0;
    case OPT_CRF:
        if (cli_integer("--crf", arg, INT_MIN, INT_MAX, &n))
            return EXIT_USAGE;
        s->crf = (int)n;
        return check_setting("--crf", s);
    case OPT_BITRATE:
        if (cli_integer("--bitrate", arg, 1000, 2000000000, &n))
            return EXIT_USAGE;
        s->bitrate = n;
        return 0;
    case OPT_THREADS:
        if (cli_integer("--threads", arg, INT_MIN, INT_MAX, &n))
            return EXIT_USAGE;
        s->threads = (int)n;
        return check_setting("--threads", s);
    case OPT_THICKNESS:
        if (cli_integer("--thickness", arg, INT_MIN, INT_MAX, &n))
            return EXIT_USAGE;
        s->thickness = (int)n;
        return check_setting("--thickness", s);
    case OPT_FONT_SIZE:
        if (cli_integer("--font-size", arg, INT_MIN, INT_MAX, &n))
            return EXIT_USAGE;
        s->font_size = (int)n;
        return check_setting("--font-size", s);
    case OPT_LABEL_MAX:
        if (cli_integer("--label-max", arg, INT_MIN, INT_MAX, &n))
            return EXIT_USAGE;
        s->label_max = (int)n;
        return check_setting("--label-max", s);
    default: {
        char err[1024];
        int ret = cli_redact_option(&a->redact, c, arg, err, sizeof(err));
        if (ret == CLI_REDACT_BAD)
            return cli_usage_error("render", "%s", err);
        if (ret == 0) {
            cli_redact_apply(&a->redact, s);
            return 0;
        }
        return cli_usage_error("render", "unknown option");
    }
    }
}

static int parse_args(RenderArgs *a, int argc, char **argv)
{
    int c, ret;
    optind = 1;
    if (cli_check_options("render", argc, argv, "i:d:o:qvhV", long_options))
        return EXIT_USAGE;
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
    /* Ranges are the library's (the same for options, clip specs and Python). */
    if (evclip_settings_validate(&a->settings) < 0)
        return cli_usage_error("render", "%s", evclip_last_error());
    if (a->spec)
        return a->nb_sources || a->sources[0].input || a->output
                   ? cli_usage_error("render", "--spec replaces -i, -d, windows and -o")
                   : 0;
    if (!a->sources[0].input)
        return cli_usage_error("render", "missing --input");
    if (!a->output)
        return cli_usage_error("render", "missing --output");
    for (int i = 0; i < a->nb_sources; i++) {
        SourceArgs *s = &a->sources[i];
        if (!s->input)
            return cli_usage_error("render", "missing --input");
        if (!s->have_start)
            return cli_usage_error("render", "input %d ('%s'): missing --start/--from", i + 1,
                                   s->input);
        if (!s->have_end) {
            s->end = INFINITY; /* to the end of the input */
            a->to_end = 1;
        }
        if (s->start >= s->end)
            return cli_usage_error("render", "input %d: --start %.3f must be before --end %.3f",
                                   i + 1, s->start, s->end);
    }
    return 0;
}

/* Builds the clip from the command line, or from --spec. */
static int build_clip(RenderArgs *a, LogCache *cache, EvclipSource *srcs, EvclipClip *clip,
                      ClipSpec *spec, json_t **json)
{
    int ret = 0;
    cache->format = a->format;
    cache->normalized = a->normalized;
    if (a->spec) {
        json_error_t jerr;
        char err[1024];
        if (!(*json = json_load_file(a->spec, JSON_REJECT_DUPLICATES, &jerr)))
            return cli_spec_error(EVCLIP_ERR_INVALID, "%s:%d: %s", a->spec, jerr.line,
                                  jerr.text);
        char *base = spec_base_dir(a->spec);
        ret = spec_parse(spec, *json, a->spec, base, &a->settings, cache, err, sizeof(err));
        free(base);
        if (ret != 0)
            return cli_spec_error(ret == -1 ? EVCLIP_ERR_INVALID : ret, "%s", err);
        *clip = spec->clip;
        a->to_end = spec->to_end;
        if (spec->mkdirs >= 0)
            a->mkdirs = spec->mkdirs;
        /* The spec's strings live in the JSON tree, freed when run() returns: keep a copy of
         * the output path for the final message and the --json result. */
        if (!(a->spec_output = strdup(clip->output)))
            return cli_spec_error(EVCLIP_ERR_NOMEM, "out of memory");
        a->output = a->spec_output;
        return 0;
    }
    for (int i = 0; i < a->nb_sources && ret >= 0; i++) {
        SourceArgs *s = &a->sources[i];
        srcs[i] = (EvclipSource){ s->input, NULL, s->start, s->end, .ts_origin = s->ts_origin,
                                  .stream = s->stream, .fps = s->fps, .epoch = s->epoch,
                                  .epoch_known = s->epoch_known };
        EvclipDetections *d = NULL;
        if (s->detections && (ret = log_cache_get(cache, s->detections, &d)) >= 0)
            srcs[i].detections = d;
    }
    *clip = (EvclipClip){
        .sources = srcs, .nb_sources = a->nb_sources, .output = a->output,
        .pre_roll = a->pre, .post_roll = a->post, .speed = a->speed,
        .max_duration = a->max_duration, .cap_strategy = a->cap_strategy,
        .width = a->width, .height = a->height,
    };
    return ret;
}

static int run(RenderArgs *a, EvclipResult *res)
{
    EvclipRenderer *r = NULL;
    LogCache cache = { 0 };
    EvclipSource srcs[MAX_SOURCES];
    EvclipClip clip;
    ClipSpec spec = { 0 };
    json_t *json = NULL;
    char err[1024];
    int ret = evclip_open(&r, &a->settings);
    if (ret >= 0)
        ret = build_clip(a, &cache, srcs, &clip, &spec, &json);
    if (ret >= 0 && cli_output_dir(clip.output, a->mkdirs, err, sizeof(err)) < 0)
        ret = cli_spec_error(EVCLIP_ERR_OUTPUT, "%s", err);
    if (ret >= 0) {
        cli_handle_signals(r);
        ret = evclip_render(r, &clip, res);
        cli_handle_signals(NULL);
        cli_progress_end(&a->cli);
    } else {
        res->status = ret;
        snprintf(res->error, sizeof(res->error), "%s",
                 *cli_spec_last_error() ? cli_spec_last_error() : evclip_last_error());
    }
    spec_free(&spec);
    json_decref(json);
    log_cache_free(&cache);
    evclip_close(&r);
    return ret;
}

/* "evclip: wrote OUT (N frames, ...; source A-B s[, to the end of the input])". */
static void print_summary(const RenderArgs *a, const EvclipResult *res)
{
    fprintf(stderr, "evclip: wrote %s (%lld frames, %.2f s, %lld boxes; source %.3f-%.3f s%s",
            a->output, (long long)res->frames, res->duration, (long long)res->boxes_drawn,
            res->first_time, res->last_time, a->to_end ? ", to the end of the input" : "");
    if (res->nb_warnings)
        fprintf(stderr, "; %d warning%s", res->nb_warnings, res->nb_warnings > 1 ? "s" : "");
    fputs(")\n", stderr);
}

int cli_render_main(int argc, char **argv)
{
    static RenderArgs a;
    EvclipResult res = { 0 };
    double began = cli_now();

    evclip_default_settings(&a.settings);
    cli_redact_init(&a.redact);
    int ret = parse_args(&a, argc, argv);
    if (ret != 0)
        return ret < 0 ? EXIT_OK : ret;
    a.cli.progress = cli_progress_mode(&a.cli);
    a.settings.log_callback = cli_log;
    a.settings.ffmpeg_log = 1; /* the CLI is the host: FFmpeg speaks through its log */
    a.settings.log_opaque = &a.cli;
    a.settings.log_level = a.cli.verbose ? EVCLIP_LOG_DEBUG : EVCLIP_LOG_INFO;
    a.settings.progress_callback = cli_progress;
    a.settings.progress_opaque = &a.cli;
    ret = run(&a, &res);
    int code = cli_strict_exit(a.strict, cli_exit_code(ret), res.nb_warnings, a.cli.quiet);
    if (ret < 0)
        cli_print_error(ret);
    else if (!a.cli.quiet && !a.cli.json)
        print_summary(&a, &res);
    if (a.cli.json) {
        CliSummary x = { cli_now() - began, a.settings.manifest, a.to_end };
        cli_json_summary(a.output, &res, code, &x);
    }
    free(a.spec_output);
    a.spec_output = NULL;
    cli_redact_free(&a.redact);
    return code;
}
