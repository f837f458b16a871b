/* cli_events.c: `evclip events`: event windows from detection logs, written as `evclip batch`
 * job lines (streaming: memory bounded by the events open at once). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "tools/cli.h"
#include "tools/cli_events.h"

static const char usage[] =
    "Usage: evclip events -i VIDEO -d LOG [-i VIDEO -d LOG ...] [options] [-o JOBS.jsonl]\n"
    "\n"
    "Turns detection logs into event windows, one `evclip batch` job line per event, so\n"
    "  evclip events -i cam.mp4 -d cam.jsonl | evclip batch -\n"
    "renders them. Several -i/-d pairs are consecutive files of one camera (hourly files):\n"
    "their timelines are joined, and an event that crosses a file boundary becomes one\n"
    "multi-source job. Logs are streamed in time order (as detectors write them).\n"
    "\n"
    "  -i, --input VIDEO       a video (probed for its duration); repeat for the next file\n"
    "  -d, --detections LOG    the detection log of the -i before it\n"
    "      --epoch TIME        wall-clock time of the start of the -i before it (ISO 8601\n"
    "                          with a zone, or epoch seconds), as render's --epoch: times\n"
    "                          its log's lines keyed by wallclock and goes into its jobs\n"
    "      --format NAME       log format: auto (default), jsonl, grouped, ultralytics, mot\n"
    "      --label A,B         only detections with these labels (default: all)\n"
    "      --min-score S       only detections with score >= S (unscored ones are dropped)\n"
    "      --gap G             detections at most G seconds apart join (default 2)\n"
    "      --min-duration D    drop events shorter than D seconds (default 0)\n"
    "      --min-boxes N       drop events with fewer than N detections (default 1)\n"
    "      --pre P, --post Q   widen each event by P / Q seconds (default 0), clamped at the\n"
    "                          ends of the videos (the job's extra says so)\n"
    "      --max-duration M    split longer windows into equal parts of at most M seconds\n"
    "      --per-track         one event per track id (untracked detections are ignored)\n"
    "      --output-pattern P  clip names (default '{source}-{start:08.2f}-{label}.mp4', with\n"
    "                          '-{track}' before '.mp4' in --per-track); fields: {source}\n"
    "                          {label} {start} {end} {duration} {index} {track} {part}, with\n"
    "                          an optional format as {start:08.2f} {index:04d}\n"
    "      --poster            add \"poster\": true to every job\n"
    "  -o, --output PATH       write the jobs there (atomically) instead of stdout\n"
    "  -q, --quiet             no summary on stderr\n"
    "  -h, --help              this help\n"
    "\n"
    "Times are seconds on the joined timeline; start is written on the first file's timeline\n"
    "of the event. Inputs and logs are written as absolute paths; clip names as the pattern\n"
    "gives them (batch resolves them against the jobs file's folder).\n"
    "Lines keyed by wallclock are timed from their video's wall-clock origin: --epoch, else\n"
    "the log's first line with both ts and wallclock, else the video's creation_time.\n"
    "Exit codes: 0 ok (even with no event), 2 usage, 3 a video cannot be probed, 4 a log is\n"
    "malformed or not in time order, or keyed by wallclock with no known origin, 6 the output\n"
    "cannot be written.\n";

#define MAX_INPUTS 1024

/* Seconds beyond which a time past a video's end reads as epoch seconds (2001-09-09). */
#define WALLCLOCK_LIKE 1e9

typedef struct Input {
    const char *video, *log;
    char *abs_video, *abs_log;
    char name[256];        /* base name without extension ({source}) */
    double duration, period, offset;
    const char *epoch_text; /* --epoch as given (NULL: none), written into the jobs */
    double epoch;          /* --epoch, epoch seconds */
    int wall_known;        /* wall0 is known (resolved when the first wallclock key comes) */
    double wall0;          /* wall-clock time of source time 0, epoch seconds */
    int wall_origin;       /* enum EvclipEpochOrigin of wall0 */
    long long past_end;    /* detections timed past the video's end (no event made of them) */
    double past_first;     /* the first such time, seconds */
    int past_wall;         /* some of them look like wall-clock (epoch) times given as ts */
    long long before;      /* detections keyed by wallclock before the video's start */
    double before_first;   /* the first such time, seconds */
    long long outside_wall; /* detections keyed by wallclock among past_end and before */
} Input;

typedef struct EventsArgs {
    Input inputs[MAX_INPUTS];
    int nb_inputs;
    const char *format, *labels, *pattern, *output;
    double min_score, gap, min_duration, pre, post, max_duration;
    long long min_boxes;
    int per_track, poster, quiet;
    /* while running */
    FILE *out;
    char *temp;
    double total;          /* joined duration */
    int current;           /* input being scanned */
    int64_t lines, jobs, clamped;
    json_t *outputs;       /* names given so far (duplicates are refused) */
    int error;             /* exit code of a failure inside a callback */
} EventsArgs;

static int parse_number(const char *opt, const char *s, double min, double *out)
{
    return cli_number(opt, s, min, 1e9, out) ? EXIT_USAGE : 0;
}

/* --epoch TIME of the last -i. */
static int parse_epoch(EventsArgs *a, const char *text)
{
    if (a->nb_inputs == 0)
        return cli_usage_error("events", "--epoch '%s' needs an -i before it (it is that "
                               "video's wall-clock origin)", text);
    Input *in = &a->inputs[a->nb_inputs - 1];
    if (in->epoch_text)
        return cli_usage_error("events", "two --epoch for -i '%s' ('%s' and '%s')", in->video,
                               in->epoch_text, text);
    if (evclip_parse_wallclock(text, &in->epoch) < 0)
        return cli_usage_error("events", "--%s", evclip_last_error());
    in->epoch_text = text;
    return 0;
}

static int parse_args(EventsArgs *a, int argc, char **argv)
{
    enum { O_FORMAT = 256, O_LABEL, O_SCORE, O_GAP, O_MIND, O_MINB, O_PRE, O_POST, O_MAXD,
           O_TRACK, O_PATTERN, O_POSTER, O_EPOCH };
    static const struct option opts[] = {
        { "input", required_argument, NULL, 'i' },
        { "detections", required_argument, NULL, 'd' },
        { "epoch", required_argument, NULL, O_EPOCH },
        { "format", required_argument, NULL, O_FORMAT },
        { "label", required_argument, NULL, O_LABEL },
        { "min-score", required_argument, NULL, O_SCORE },
        { "gap", required_argument, NULL, O_GAP },
        { "min-duration", required_argument, NULL, O_MIND },
        { "min-boxes", required_argument, NULL, O_MINB }, { "pre", required_argument, NULL, O_PRE },
        { "post", required_argument, NULL, O_POST },
        { "max-duration", required_argument, NULL, O_MAXD },
        { "per-track", no_argument, NULL, O_TRACK },
        { "output-pattern", required_argument, NULL, O_PATTERN },
        { "poster", no_argument, NULL, O_POSTER }, { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c, ret = 0, nb_logs = 0;
    optind = 1;
    if (cli_check_options("events", argc, argv, "i:d:o:qh", opts))
        return EXIT_USAGE;
    while (ret == 0 && (c = getopt_long(argc, argv, "i:d:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (a->nb_inputs == MAX_INPUTS)
                return cli_usage_error("events", "more than %d inputs", MAX_INPUTS);
            if (a->nb_inputs > nb_logs)
                return cli_usage_error("events", "-i '%s' has no -d before the next -i",
                                       a->inputs[a->nb_inputs - 1].video);
            a->inputs[a->nb_inputs++].video = optarg;
            break;
        case 'd':
            if (nb_logs >= a->nb_inputs)
                return cli_usage_error("events", "-d '%s' needs an -i before it", optarg);
            a->inputs[nb_logs++].log = optarg;
            break;
        case O_EPOCH: ret = parse_epoch(a, optarg); break;
        case O_FORMAT: a->format = optarg; break;
        case O_LABEL: a->labels = optarg; break;
        case O_SCORE: ret = parse_number("--min-score", optarg, 0, &a->min_score); break;
        case O_GAP: ret = parse_number("--gap", optarg, 0, &a->gap); break;
        case O_MIND: ret = parse_number("--min-duration", optarg, 0, &a->min_duration); break;
        case O_MINB:
            ret = cli_integer("--min-boxes", optarg, 1, LLONG_MAX, &a->min_boxes) ? EXIT_USAGE
                                                                                  : 0;
            break;
        case O_PRE: ret = parse_number("--pre", optarg, 0, &a->pre); break;
        case O_POST: ret = parse_number("--post", optarg, 0, &a->post); break;
        case O_MAXD: ret = parse_number("--max-duration", optarg, 0.1, &a->max_duration); break;
        case O_TRACK: a->per_track = 1; break;
        case O_PATTERN: a->pattern = optarg; break;
        case O_POSTER: a->poster = 1; break;
        case 'o': a->output = optarg; break;
        case 'q': a->quiet = 1; break;
        case 'h': fputs(usage, stdout); return -1;
        default: return cli_usage_error("events", "bad option (see above)");
        }
    }
    if (ret)
        return ret;
    if (optind != argc)
        return cli_usage_error("events", "unexpected argument '%s'", argv[optind]);
    if (a->nb_inputs == 0)
        return cli_usage_error("events", "give at least one -i VIDEO -d LOG pair");
    if (nb_logs != a->nb_inputs)
        return cli_usage_error("events", "-i '%s' has no -d LOG",
                               a->inputs[a->nb_inputs - 1].video);
    return 0;
}

/* Probes every input; offsets place them end to end on the joined timeline. */
static int probe_inputs(EventsArgs *a)
{
    for (int i = 0; i < a->nb_inputs; i++) {
        Input *in = &a->inputs[i];
        int ret = evclip_probe(in->video, &in->duration, &in->period);
        if (ret < 0) {
            fprintf(stderr, "evclip: error: %s\n", evclip_last_error());
            return cli_exit_code(ret);
        }
        if (!(in->duration > 0)) {
            fprintf(stderr, "evclip: error: '%s': its duration is unknown, so event windows "
                    "cannot be clamped to it\n", in->video);
            return EXIT_INPUT;
        }
        in->abs_video = realpath(in->video, NULL);
        in->abs_log = realpath(in->log, NULL);
        if (!in->abs_video || !in->abs_log) {
            fprintf(stderr, "evclip: error: '%s': %s\n", in->abs_video ? in->log : in->video,
                    strerror(errno));
            return in->abs_video ? EXIT_DETECTIONS : EXIT_INPUT;
        }
        const char *base = strrchr(in->video, '/') ? strrchr(in->video, '/') + 1 : in->video;
        snprintf(in->name, sizeof(in->name), "%s", base);
        char *dot = strrchr(in->name, '.');
        if (dot && dot != in->name)
            *dot = '\0';
        in->offset = a->total;
        a->total += in->duration;
    }
    return 0;
}

/* The input holding joined time t (the last one for the very end). */
static int input_at(const EventsArgs *a, double t)
{
    int k = 0;
    while (k + 1 < a->nb_inputs && t >= a->inputs[k + 1].offset)
        k++;
    return k;
}

static json_t *real6(double x)
{
    return json_real(round(x * 1e6) / 1e6);
}

/* The job's window [s, e) on the joined timeline as input/start/end or sources[]. */
static int add_window(const EventsArgs *a, json_t *job, double s, double e)
{
    int k0 = input_at(a, s), k1 = input_at(a, nextafter(e, -INFINITY));
    const Input *first = &a->inputs[k0];
    if (k0 == k1) {
        json_object_set_new(job, "input", json_string(first->abs_video));
        json_object_set_new(job, "detections", json_string(first->abs_log));
        json_object_set_new(job, "start", real6(s - first->offset));
        if (e < first->offset + first->duration - 1e-6)
            json_object_set_new(job, "end", real6(e - first->offset));
        if (first->epoch_text) /* as given: a number would lose digits */
            json_object_set_new(job, "epoch", json_string(first->epoch_text));
        return 0;
    }
    json_t *list = json_array();
    for (int k = k0; k <= k1; k++) {
        const Input *in = &a->inputs[k];
        json_t *src = json_object();
        json_object_set_new(src, "input", json_string(in->abs_video));
        json_object_set_new(src, "detections", json_string(in->abs_log));
        json_object_set_new(src, "from", real6(k == k0 ? s - in->offset : 0));
        if (k == k1)
            json_object_set_new(src, "to", real6(e - in->offset));
        if (in->epoch_text)
            json_object_set_new(src, "epoch", json_string(in->epoch_text));
        json_array_append_new(list, src);
    }
    return json_object_set_new(job, "sources", list);
}

static json_t *event_extra(const Event *ev, const char *label, int part, int parts,
                           double pre, double post, const EventsArgs *a)
{
    json_t *labels = json_object();
    for (int i = 0; i < ev->nb_labels; i++)
        json_object_set_new(labels, ev->labels[i].label, json_integer(ev->labels[i].count));
    json_t *x = json_pack("{s:I, s:s, s:o, s:I, s:o, s:o, s:o, s:o}", "event",
                          (json_int_t)ev->index, "label", label, "labels", labels, "boxes",
                          (json_int_t)ev->boxes, "first_detection", real6(ev->first),
                          "last_detection", real6(ev->last), "pre", real6(pre), "post",
                          real6(post));
    if (ev->track >= 0)
        json_object_set_new(x, "track", json_integer(ev->track));
    if (pre < a->pre - 1e-9 || post < a->post - 1e-9)
        json_object_set_new(x, "clamped", json_string(
            pre < a->pre - 1e-9 && post < a->post - 1e-9 ? "pre and post roll at the ends "
            "of the video" : pre < a->pre - 1e-9 ? "pre roll at the start of the video"
                                                 : "post roll at the end of the video"));
    if (parts > 1)
        json_object_set_new(x, "part", json_pack("[i, i]", part, parts));
    return x;
}

static int write_job(EventsArgs *a, const Event *ev, double s, double e, int part, int parts,
                     double pre, double post)
{
    const char *label = event_label(ev);
    char name[4096], err[512];
    PatternValues v = { .source = a->inputs[input_at(a, s)].name, .label = label,
                        .start = s - a->inputs[input_at(a, s)].offset, .end = e - a->inputs[
                        input_at(a, s)].offset, .duration = e - s, .index = ev->index,
                        .track = ev->track, .part = part };
    const char *pattern = a->pattern ? a->pattern
                          : a->per_track ? "{source}-{start:08.2f}-{label}-{track}.mp4"
                          : parts > 1 ? "{source}-{start:08.2f}-{label}-{part}.mp4"
                                      : "{source}-{start:08.2f}-{label}.mp4";
    if (pattern_expand(pattern, &v, name, sizeof(name), err, sizeof(err)) < 0) {
        fprintf(stderr, "evclip: error: %s\n", err);
        return a->error = EXIT_USAGE, -1;
    }
    if (json_object_get(a->outputs, name)) {
        fprintf(stderr, "evclip: error: --output-pattern gives '%s' to two clips (events %lld "
                "and %lld): add {index}, {track} or {part}\n", name,
                (long long)json_integer_value(json_object_get(a->outputs, name)),
                (long long)ev->index);
        return a->error = EXIT_USAGE, -1;
    }
    json_object_set_new(a->outputs, name, json_integer(ev->index));
    json_t *job = json_object();
    json_object_set_new(job, "output", json_string(name));
    add_window(a, job, s, e);
    if (a->poster)
        json_object_set_new(job, "poster", json_true());
    json_object_set_new(job, "extra", event_extra(ev, label, part, parts, pre, post, a));
    char *text = json_dumps(job, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    json_decref(job);
    if (!text || fprintf(a->out, "%s\n", text) < 0) {
        free(text);
        fprintf(stderr, "evclip: error: cannot write the jobs: %s\n", strerror(errno));
        return a->error = EXIT_OUTPUT, -1;
    }
    free(text);
    a->jobs++;
    return 0;
}

/* Grouper.emit: the event widened by pre/post (clamped), split by max_duration. */
static int emit(void *opaque, const Event *ev)
{
    EventsArgs *a = opaque;
    double period = a->inputs[ev->last_source].period;
    double start = ev->first, end = ev->last + (period > 0 ? period : 0);
    double s = fmax(0, start - a->pre), e = fmin(a->total, end + a->post);
    e = fmax(e, fmin(a->total, end));
    a->clamped += s > start - a->pre + 1e-9 || e < end + a->post - 1e-9;
    int parts = a->max_duration > 0 ? (int)ceil((e - s) / a->max_duration - 1e-9) : 1;
    parts = parts < 1 ? 1 : parts;
    for (int p = 0; p < parts; p++) {
        double ps = s + (e - s) * p / parts;
        double pe = p + 1 == parts ? e : s + (e - s) * (p + 1) / parts;
        if (write_job(a, ev, ps, pe, p + 1, parts, start - s, e - end) < 0)
            return -1;
    }
    return 0;
}

static int label_wanted(const char *list, const char *label)
{
    size_t n = strlen(label);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && !memcmp(p, label, n))
            return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

typedef struct ScanCtx {
    EventsArgs *a;
    Grouper *g;
} ScanCtx;

/* The wall-clock origin of input `in`, found when its log's first wallclock key comes (as a
 * render finds it: --epoch, the log's lines with both ts and wallclock, creation_time).
 * Returns 0, or the exit code after an error naming the first line keyed by wallclock. */
static int resolve_wall(const EventsArgs *a, Input *in)
{
    if (in->epoch_text) {
        in->wall0 = in->epoch;
        in->wall_origin = EVCLIP_EPOCH_OPTION;
        return in->wall_known = 1, 0;
    }
    struct stat st;
    if (stat(in->log, &st) == 0 && !S_ISREG(st.st_mode)) {
        fprintf(stderr, "evclip: error: '%s': field 'wallclock': boxes keyed by wall-clock time "
                "need the wall-clock origin of input '%s', and the log is not a regular file "
                "(a pipe) that could be read ahead for it: give --epoch after its -i\n",
                in->log, in->video);
        return EXIT_DETECTIONS;
    }
    int ret = evclip_probe_epoch(in->video, in->log, a->format, &in->wall0, &in->wall_origin);
    if (ret > 0)
        return in->wall_known = 1, 0;
    if (ret == 0) /* the log changed since the scan began: no wallclock key any more */
        fprintf(stderr, "evclip: error: '%s': field 'wallclock': the wall-clock origin of "
                "input '%s' is unknown (give --epoch after its -i)\n", in->log, in->video);
    else
        fprintf(stderr, "evclip: error: %s\n", evclip_last_error());
    return ret == 0 ? EXIT_DETECTIONS : cli_exit_code(ret);
}

/* Source time of detection d of input `in` (seconds), NAN after an error (a->error set). */
static double detection_time(EventsArgs *a, Input *in, const EvclipDetection *d)
{
    if (d->normalized & EVCLIP_SCAN_WALLCLOCK) {
        if (!in->wall_known && (a->error = resolve_wall(a, in)))
            return NAN;
        /* Epoch seconds hold about 1e-7 s (2026): rounded to the microsecond (the jobs'
         * precision), a line keyed by wallclock times as the same line keyed by ts. */
        return round((d->ts - in->wall0) * 1e6) / 1e6;
    }
    if (d->ts != EVCLIP_NONE)
        return d->ts;
    if (in->period > 0)
        return (double)d->frame_idx * in->period;
    fprintf(stderr, "evclip: error: '%s': a detection has only frame_idx and the video '%s' "
            "has no known frame rate\n", in->log, in->video);
    a->error = EXIT_DETECTIONS;
    return NAN;
}

/* Counts a detection at source time t outside its video (no frame shows it): 1, else 0. */
static int outside(Input *in, const EvclipDetection *d, double t)
{
    int wall = (d->normalized & EVCLIP_SCAN_WALLCLOCK) != 0;
    if (t > in->duration + 1) { /* past the end of its video */
        if (!in->past_end++)
            in->past_first = t;
        in->past_wall |= !wall && d->frame_idx == EVCLIP_NONE && t > WALLCLOCK_LIKE;
    } else if (t < -(in->period > 0 ? in->period / 2 : 0)) { /* before its first frame */
        if (!in->before++)
            in->before_first = t;
    } else {
        return 0;
    }
    in->outside_wall += wall;
    return 1;
}

/* EvclipDetectionFn: filters, times and groups one detection. */
static int on_detection(void *opaque, const EvclipDetection *d)
{
    ScanCtx *c = opaque;
    EventsArgs *a = c->a;
    Input *in = &a->inputs[a->current];
    a->lines++;
    if (a->labels && !label_wanted(a->labels, d->label))
        return 0;
    if (a->min_score > 0 && !(d->score != EVCLIP_NONE && d->score >= a->min_score))
        return 0;
    double t = detection_time(a, in, d);
    if (isnan(t))
        return 1;
    if (outside(in, d, t))
        return 0;
    int ret = grouper_add(c->g, in->offset + fmax(t, 0), d->label, d->track_id, a->current);
    if (ret == GROUPER_UNORDERED) {
        fprintf(stderr, "evclip: error: '%s': detection %lld at %.3f s comes after one at "
                "%.3f s: events need the log in time order (sort it by ts)\n", in->log,
                (long long)a->lines, t, c->g->latest - in->offset);
        return a->error = EXIT_DETECTIONS, 1;
    }
    if (ret < 0)
        return a->error = a->error ? a->error : EXIT_FAILURE_OTHER, 1;
    return 0;
}

/* Says how many detections of input `in` lay outside its video (never silently lost). */
static void warn_outside(const Input *in)
{
    char wall[160] = "";
    if (in->outside_wall)
        snprintf(wall, sizeof(wall), " (%lld of them keyed by wallclock, timed from the "
                 "origin %.3f (epoch seconds, from %s))", in->outside_wall, in->wall0,
                 in->wall_origin == EVCLIP_EPOCH_OPTION ? "--epoch" : in->wall_origin ==
                 EVCLIP_EPOCH_LOG ? "the log" : "creation_time");
    if (in->past_end)
        fprintf(stderr, "evclip: warning: '%s': %lld detections are timed past the end of '%s' "
                "(%.3f s long; the first at %.3f s): no event is made of them%s%s\n", in->log,
                in->past_end, in->video, in->duration, in->past_first, in->past_wall ?
                " (they look like wall-clock times given as ts: a wall-clock time belongs in "
                "a line's \"wallclock\")" : "", wall);
    if (in->before)
        fprintf(stderr, "evclip: warning: '%s': %lld detections are timed before the start of "
                "'%s' (the first at %.3f s): no event is made of them%s\n", in->log,
                in->before, in->video, in->before_first, wall);
}

/* Streams every log through the grouper. */
static int scan_logs(EventsArgs *a)
{
    Grouper g = { .gap = a->gap, .min_duration = a->min_duration, .min_boxes = a->min_boxes,
                  .per_track = a->per_track, .emit = emit, .opaque = a, .latest = -INFINITY,
                  .frame_pad = a->inputs[0].period };
    ScanCtx c = { a, &g };
    int ret = 0;
    for (a->current = 0; ret >= 0 && a->current < a->nb_inputs; a->current++) {
        a->lines = 0;
        ret = evclip_detections_scan(a->inputs[a->current].log, a->format,
                                     EVCLIP_SCAN_WALLCLOCK, on_detection, &c);
        warn_outside(&a->inputs[a->current]);
        if (ret < 0 && !a->error) {
            fprintf(stderr, "evclip: error: %s\n", evclip_last_error());
            a->error = cli_exit_code(ret);
        }
    }
    if (ret >= 0 && grouper_finish(&g) < 0 && !a->error)
        a->error = EXIT_FAILURE_OTHER;
    if (!a->error && !a->quiet)
        fprintf(stderr, "evclip: events: %lld events, %lld jobs (%lld dropped as too short or "
                "small), %lld windows clamped at a video end%s\n", (long long)g.count -
                g.dropped, (long long)a->jobs, (long long)g.dropped, (long long)a->clamped,
                a->per_track && g.untracked ? ", untracked detections ignored" : "");
    grouper_free(&g);
    return a->error;
}

/* The jobs go to a temp file beside -o, renamed when complete, or to stdout. */
static int open_output(EventsArgs *a)
{
    if (!a->output) {
        a->out = stdout;
        return 0;
    }
    size_t n = strlen(a->output) + 32;
    if (!(a->temp = malloc(n)))
        return EXIT_FAILURE_OTHER;
    snprintf(a->temp, n, "%s.%ld.partial", a->output, (long)getpid());
    cli_remove_on_signal(a->temp);
    if (!(a->out = fopen(a->temp, "wx"))) {
        fprintf(stderr, "evclip: error: cannot write '%s': %s\n", a->temp, strerror(errno));
        return EXIT_OUTPUT;
    }
    return 0;
}

static int close_output(EventsArgs *a, int code)
{
    if (!a->output)
        return fflush(stdout) == 0 || code ? code : EXIT_OUTPUT;
    int ok = a->out && fflush(a->out) == 0 && fsync(fileno(a->out)) == 0;
    if (a->out)
        ok &= fclose(a->out) == 0;
    if (code == 0 && ok && rename(a->temp, a->output) == 0) {
        cli_remove_on_signal(NULL);
        return 0;
    }
    if (code == 0)
        fprintf(stderr, "evclip: error: cannot write '%s': %s\n", a->output, strerror(errno));
    unlink(a->temp);
    cli_remove_on_signal(NULL);
    return code ? code : EXIT_OUTPUT;
}

int cli_events_main(int argc, char **argv)
{
    static EventsArgs a;
    memset(&a, 0, sizeof(a));
    a.gap = 2;
    a.min_boxes = 1;
    int code = parse_args(&a, argc, argv);
    if (code != 0)
        return code < 0 ? EXIT_OK : code;
    a.outputs = json_object();
    code = probe_inputs(&a);
    if (code == 0 && (code = open_output(&a)) == 0)
        code = close_output(&a, scan_logs(&a));
    for (int i = 0; i < a.nb_inputs; i++) {
        free(a.inputs[i].abs_video);
        free(a.inputs[i].abs_log);
    }
    free(a.temp);
    json_decref(a.outputs);
    return code;
}
