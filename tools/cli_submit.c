/* cli_submit.c: `evclip submit`: a batch job file checked line by line, then enqueued on a
 * Redis stream as work units (a source's clips together, so a worker decodes it once). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/cli_jobs.h"
#include "tools/cli_queue.h"

static const char usage[] =
    "Usage: evclip submit --redis URL [options] JOBS.jsonl\n"
    "\n"
    "Checks every line of JOBS.jsonl as `evclip batch` does (same clip specs; errors name\n"
    "FILE:LINE), then adds work units to a Redis stream for `evclip worker`: the clips of one\n"
    "source, sorted by start, grouped so that a worker decodes that source once per unit.\n"
    "Every clip and unit has a stable id (a hash of its spec and folder): submitting the same\n"
    "file again adds nothing. Paths are made absolute: workers must see the same paths\n"
    "(a shared mount) or URLs.\n"
    "\n"
    "      --redis URL        redis://[user:password@]host[:port][/db] or\n"
    "                         unix:///path/redis.sock[?db=N] (required)\n"
    "      --stream NAME      the stream of units (default evclip:jobs); results, dead letters\n"
    "                         and bookkeeping go to keys beside it (evclip:results...)\n"
    "      --unit-clips N     at most N clips per unit (default 8)\n"
    "      --unit-seconds S   at most S seconds from a unit's first start to its last end\n"
    "                         (default 600)\n"
    "      --skip-bad         enqueue the good lines even when some are bad (default: nothing\n"
    "                         is enqueued when a line is bad)\n"
    "      --mkdirs           create missing output folders (now, and on the workers)\n"
    "      --preset NAME      encoder preset for the clips that give none\n"
    "  -q, --quiet            only errors on stderr\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit codes: 0 enqueued (or already queued), 9 some lines are bad (nothing enqueued\n"
    "without --skip-bad), 2 usage or bad URL, 20 Redis unreachable, 21 Redis refused the\n"
    "password, 1 other.\n";

typedef struct SubmitArgs {
    const char *url, *stream, *jobs_path, *preset;
    int unit_clips, skip_bad, mkdirs, quiet;
    double unit_seconds;
} SubmitArgs;

static int parse_args(SubmitArgs *a, int argc, char **argv)
{
    static const struct option opts[] = {
        { "redis", required_argument, NULL, 'R' }, { "stream", required_argument, NULL, 'S' },
        { "unit-clips", required_argument, NULL, 'n' },
        { "unit-seconds", required_argument, NULL, 's' },
        { "skip-bad", no_argument, NULL, 'b' }, { "mkdirs", no_argument, NULL, 'm' },
        { "preset", required_argument, NULL, 'p' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    long long n;
    int c;
    optind = 1;
    if (cli_check_options("submit", argc, argv, "qh", opts))
        return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'R': a->url = optarg; break;
        case 'S': a->stream = optarg; break;
        case 'n':
            if (cli_integer("--unit-clips", optarg, 1, 10000, &n))
                return EXIT_USAGE;
            a->unit_clips = (int)n;
            break;
        case 's':
            if (cli_number("--unit-seconds", optarg, 1, 1e7, &a->unit_seconds))
                return EXIT_USAGE;
            break;
        case 'b': a->skip_bad = 1; break;
        case 'm': a->mkdirs = 1; break;
        case 'p': a->preset = optarg; break;
        case 'q': a->quiet = 1; break;
        case 'h': fputs(usage, stdout); return -1;
        default: return cli_usage_error("submit", "bad option (see above)");
        }
    }
    if (!a->url)
        return cli_usage_error("submit", "--redis URL is required");
    if (optind != argc - 1)
        return cli_usage_error("submit", "expected exactly one JOBS.jsonl argument");
    a->jobs_path = argv[optind];
    return 0;
}

/* A valid job, in the order units are cut. */
typedef struct Item {
    int job;
    const char *source;  /* its first source's path (resolved) */
    double start, end;
    char id[33];
} Item;

static int compare_items(const void *pa, const void *pb)
{
    const Item *a = pa, *b = pb;
    int c = strcmp(a->source, b->source);
    if (c)
        return c;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->job - b->job;
}

/* The clip's stable id: a hash of its spec (keys sorted) and the folder it is relative to. */
static void clip_id(json_t *spec, const char *base, char id[33])
{
    char *text = json_dumps(spec, JSON_SORT_KEYS | JSON_COMPACT);
    size_t n = text ? strlen(text) : 0;
    char *both = malloc(n + strlen(base) + 2);
    if (both) {
        sprintf(both, "%s\n%s", base, text ? text : "");
        queue_id(both, strlen(both), id);
    }
    free(both);
    free(text);
}

/* Collects and sorts the valid jobs. Returns the count (items malloc'ed), -1 on NOMEM. */
static int collect(const Jobs *j, const char *base, Item **out)
{
    Item *items = calloc((size_t)j->count + 1, sizeof(*items));
    int n = 0;
    if (!items)
        return -1;
    for (int i = 0; i < j->count; i++) {
        if (j->line_errors[i])
            continue;
        const EvclipSource *src = &j->specs[i].clip.sources[0];
        items[n] = (Item){ .job = i, .source = src->path, .start = src->start,
                           .end = src->end };
        clip_id(j->objects[i], base, items[n].id);
        n++;
    }
    qsort(items, (size_t)n, sizeof(*items), compare_items);
    *out = items;
    return n;
}

static const char submit_script[] =
    "if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then "
    "redis.call('XADD', KEYS[2], '*', 'unit', ARGV[1], 'clips', ARGV[2], 'payload', ARGV[3]) "
    "return 1 end return 0";

/* Enqueues items[from, to) as one unit. Returns 1 (added), 0 (already queued), -1. */
static int enqueue(Queue *q, const SubmitArgs *a, const Jobs *j, const Item *items, int from,
                   int to, const char *path, const char *base)
{
    json_t *clips = json_array();
    char *ids = calloc((size_t)(to - from) + 1, 33);
    for (int k = from; clips && ids && k < to; k++) {
        json_array_append_new(clips, json_pack("{s:s, s:i, s:O}", "id", items[k].id, "line",
                                               j->lines[items[k].job], "spec",
                                               j->objects[items[k].job]));
        strcat(ids, items[k].id);
    }
    json_t *payload = json_pack("{s:i, s:s, s:s, s:b, s:s, s:o}", "version", 1, "jobs", path,
                                "base", base, "mkdirs", a->mkdirs, "source", items[from].source,
                                "clips", clips);
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);
    int ret = -1;
    if (text && ids) {
        char unit[33], count[16];
        queue_id(ids, strlen(ids), unit);
        snprintf(count, sizeof(count), "%d", to - from);
        const char *keys[] = { q->units, q->stream };
        const char *args[] = { unit, count, text };
        redisReply *r = queue_eval(q, submit_script, 2, keys, 3, args);
        if (r && r->type == REDIS_REPLY_INTEGER)
            ret = (int)r->integer;
        else if (r)
            fprintf(stderr, "evclip: error: %s: %s\n", q->url.shown, r->str ? r->str : "?");
        freeReplyObject(r);
    }
    free(text);
    free(ids);
    return ret;
}

/* Cuts the sorted items into units and enqueues them; counts new and known units. */
static int enqueue_all(Queue *q, const SubmitArgs *a, const Jobs *j, const Item *items, int n,
                       const char *path, const char *base, int counts[2])
{
    for (int from = 0; from < n;) {
        int to = from + 1;
        double end = items[from].end;
        while (to < n && to - from < a->unit_clips && !strcmp(items[to].source,
               items[from].source) && fmax(end, items[to].end) - items[from].start <=
               a->unit_seconds) {
            end = fmax(end, items[to].end);
            to++;
        }
        int ret = enqueue(q, a, j, items, from, to, path, base);
        if (ret < 0)
            return -1;
        counts[ret]++;
        from = to;
    }
    return 0;
}

/* Sets "preset" on every line that has none (before ids are computed: it is part of the
 * spec). */
static void default_preset(Jobs *j, const char *preset)
{
    for (int i = 0; preset && i < j->count; i++)
        if (j->objects[i] && json_is_object(j->objects[i]) &&
            !json_object_get(j->objects[i], "preset"))
            json_object_set_new(j->objects[i], "preset", json_string(preset));
}

/* Reads and checks the job file; prints the bad lines. Returns the number of bad lines, or
 * -1 when the file cannot be read. */
static int read_checked(Jobs *j, const char *path, const SubmitArgs *a, LogCache *cache)
{
    EvclipSettings defaults;
    evclip_default_settings(&defaults);
    defaults.preset = a->preset ? a->preset : defaults.preset;
    if (jobs_read(j, path, &defaults, a->mkdirs, cache) < 0)
        return -1;
    int bad = 0;
    for (int i = 0; i < j->count; i++)
        if (j->line_errors[i]) {
            fprintf(stderr, "evclip: %s: %s\n", a->skip_bad ? "warning" : "error",
                    j->line_errors[i]);
            bad++;
        }
    default_preset(j, a->preset);
    return bad;
}

int cli_submit_main(int argc, char **argv)
{
    SubmitArgs a = { .stream = "evclip:jobs", .unit_clips = 8, .unit_seconds = 600 };
    Jobs j = { 0 };
    LogCache cache = { 0 };
    Queue q = { 0 };
    Item *items = NULL;
    char path[PATH_MAX];
    int ret = parse_args(&a, argc, argv);
    if (ret != 0)
        return ret < 0 ? EXIT_OK : ret;
    if (!realpath(a.jobs_path, path)) {
        fprintf(stderr, "evclip: error: %s: %s\n", a.jobs_path, strerror(errno));
        return EXIT_USAGE;
    }
    int bad = read_checked(&j, path, &a, &cache);
    int code = bad < 0 ? EXIT_USAGE : bad && !a.skip_bad ? 9 : EXIT_OK;
    char *base = spec_base_dir(path);
    int n = code == EXIT_OK ? collect(&j, base ? base : "/", &items) : 0;
    if (bad > 0 && !a.skip_bad)
        fprintf(stderr, "evclip: submit: %d bad line%s: nothing enqueued (--skip-bad enqueues "
                "the others)\n", bad, bad > 1 ? "s" : "");
    else if (n < 0)
        code = EXIT_FAILURE_OTHER;
    else if (code == EXIT_OK && (code = queue_open(&q, "submit", a.url, a.stream)) == 0) {
        int counts[2] = { 0 };
        if (enqueue_all(&q, &a, &j, items, n, path, base ? base : "/", counts) < 0)
            code = EXIT_QUEUE_DOWN;
        else if (!a.quiet)
            fprintf(stderr, "evclip: submit: %d clip%s in %d unit%s on %s (stream %s): %d new, "
                    "%d already queued%s\n", n, n == 1 ? "" : "s", counts[0] + counts[1],
                    counts[0] + counts[1] == 1 ? "" : "s", q.url.shown, q.stream, counts[1],
                    counts[0], bad ? "; bad lines skipped" : "");
        if (code == EXIT_OK && bad)
            code = 9;
    }
    queue_close(&q);
    free(base);
    free(items);
    jobs_free(&j);
    log_cache_free(&cache);
    return code;
}
