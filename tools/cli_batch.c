/* cli_batch.c: `evclip batch`: many clips from a JSON-lines job file, each source decoded
 * once; a failing clip fails alone and the report says why. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli.h"
#include "tools/cli_jobs.h"
#include "tools/cli_redact.h"
#include "tools/cli_spec.h"

static const char usage[] =
    "Usage: evclip batch JOBS.jsonl|- [--jobs N] [--report REPORT.jsonl] [options]\n"
    "\n"
    "Renders one clip per line of JOBS.jsonl ('-': standard input, paths relative to the\n"
    "working folder; e.g. evclip events ... | evclip batch -). Each source is demuxed and\n"
    "decoded once over the union of the windows that need it; frames go to every clip that\n"
    "covers them.\n"
    "Relative input, detections and output paths are relative to JOBS.jsonl's folder; times\n"
    "are seconds or strings as on the command line (\"1:02.5\"); without end, to the end.\n"
    "A line is a clip spec (see README.md), e.g.\n"
    "  {\"output\": \"a.mp4\", \"input\": \"cam.mp4\", \"detections\": \"cam.jsonl\",\n"
    "   \"start\": 12, \"end\": 20}\n"
    "  {\"output\": \"b.mp4\", \"sources\": [\n"
    "     {\"input\": \"h1.mp4\", \"from\": 3590, \"to\": 3600},\n"
    "   {\"input\": \"h2.mp4\", \"from\": 0, \"to\": 15}], \"speed\": 2, \"max_duration\": 10}\n"
    "\n"
    "  -j, --jobs N          encoder threads for concurrently open clips (default: cores)\n"
    "  -r, --report PATH     write one JSON line per clip: output, status, error, frames,\n"
    "                        seconds (default: none)\n"
    "      --overwrite       replace existing outputs (a clip may also say so)\n"
    "      --mkdirs          create missing output folders (a clip may say \"mkdirs\": true)\n"
    "      --strict          a clip rendered with warnings counts as failed: status\n"
    "                        \"warnings\" in the report, exit 8 when no clip failed otherwise\n"
    "      --preset NAME     default encoder preset for clips that give none\n"
    "      --crf N           default crf\n"
    "      --encoder NAME    default encoder\n"
    "      --no-manifest     do not write OUTPUT.evidence.json beside each clip\n"
    "      --sign-key FILE   sign every manifest with this Ed25519 secret key\n"
    "      --no-sei          do not embed per-frame detections in the H.264 stream\n"
    "      --poster          write OUT.jpg beside each clip (a clip may say \"poster\")\n"
    "      --native          write OUT.native.mp4 beside each clip: the source's packets\n"
    "                        copied (a clip may say \"native\")\n"
    "      --label-max N     default label length in characters (ellipsis; 0 = no limit)\n"
    "      --box-space WHAT  default space of the boxes of rotated inputs: display\n"
    "                        (default) or stored (a clip's box_space overrides it)\n"
    "Default redaction of every clip (a job's redact keys replace it):\n"
    CLI_REDACT_USAGE
    "      --json            print the report lines on stdout too\n"
    "  -q, --quiet           only errors on stderr\n"
    "  -h, --help            this help\n"
    "\n"
    "Exit codes: 0 all clips ok, 9 some clips failed or lines could not be parsed (see the\n"
    "report), 8 --strict and some clips have warnings, 2 usage, 1 other.\n";

#define EXIT_PARTIAL 9

typedef struct BatchArgs {
    const char *jobs_path, *report_path;
    int jobs, json;
    int strict, mkdirs;  /* --strict, --mkdirs */
    EvclipSettings settings;
    CliRedact redact;       /* --redact... (settings.draw_options points here when used) */
    CliOptions cli;
    /* The report as the batch runs: one line appended and fsynced per finished job, so a
     * killed batch keeps what finished (rewritten in job order at the end). */
    FILE *report;
    const Jobs *running;    /* the jobs being rendered */
    const int *clip_job;    /* clip index -> job line */
} BatchArgs;

static int parse_args(BatchArgs *a, int argc, char **argv)
{
    static const struct option opts[] = {
        { "jobs", required_argument, NULL, 'j' }, { "report", required_argument, NULL, 'r' },
        { "overwrite", no_argument, NULL, 'w' }, { "preset", required_argument, NULL, 'p' },
        { "crf", required_argument, NULL, 'c' }, { "encoder", required_argument, NULL, 'e' },
        { "json", no_argument, NULL, 'J' }, { "quiet", no_argument, NULL, 'q' },
        { "no-manifest", no_argument, NULL, 'M' }, { "sign-key", required_argument, NULL, 'k' },
        { "no-sei", no_argument, NULL, 'S' }, { "box-space", required_argument, NULL, 'B' },
        { "strict", no_argument, NULL, 's' }, { "poster", no_argument, NULL, 'P' },
        { "native", no_argument, NULL, 'N' },
        { "mkdirs", no_argument, NULL, 'm' }, { "label-max", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' }, CLI_REDACT_LONG_OPTIONS, { NULL, 0, NULL, 0 },
    };
    long long n;
    int c;
    optind = 1;
    if (cli_check_options("batch", argc, argv, "j:r:qh", opts))
        return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "j:r:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            if (cli_integer("--jobs", optarg, 0, 256, &n))
                return EXIT_USAGE;
            a->jobs = (int)n;
            break;
        case 'r': a->report_path = optarg; break;
        case 'w': a->settings.overwrite = 1; break;
        case 'p': a->settings.preset = optarg; break;
        case 'e': a->settings.encoder = optarg; break;
        case 'c':
            if (cli_integer("--crf", optarg, INT_MIN, INT_MAX, &n))
                return EXIT_USAGE;
            a->settings.crf = (int)n;
            if (evclip_settings_validate(&(EvclipSettings){ .struct_size = sizeof(EvclipSettings),
                    .encoder = "x", .crf = a->settings.crf }) < 0) /* the library's range */
                return cli_usage_error("batch", "--crf: %s", evclip_last_error());
            break;
        case 'J': a->json = 1; break;
        case 'M': a->settings.manifest = 0; break;
        case 'k': a->settings.sign_key = optarg; break;
        case 'S': a->settings.embed_detections = 0; break;
        case 'B':
            if ((a->settings.box_space = spec_parse_box_space(optarg)) < 0)
                return cli_usage_error("batch", "--box-space: '%s' is not display or stored",
                                       optarg);
            break;
        case 'L':
            if (cli_integer("--label-max", optarg, INT_MIN, INT_MAX, &n))
                return EXIT_USAGE;
            a->settings.label_max = (int)n;
            if (evclip_settings_validate(&(EvclipSettings){ .struct_size = sizeof(EvclipSettings),
                    .encoder = "x", .label_max = a->settings.label_max }) < 0)
                return cli_usage_error("batch", "--label-max: %s", evclip_last_error());
            break;
        case 's': a->strict = 1; break;
        case 'P': a->settings.poster = 1; break;
        case 'N': a->settings.native = 1; break;
        case 'm': a->mkdirs = 1; break;
        case 'q': a->cli.quiet = 1; break;
        case 'h': fputs(usage, stdout); return -1;
        default: {
            char err[1024];
            int ret = cli_redact_option(&a->redact, c, optarg, err, sizeof(err));
            if (ret == CLI_REDACT_BAD)
                return cli_usage_error("batch", "%s", err);
            if (ret != 0)
                return cli_usage_error("batch", "bad option (see above)");
            cli_redact_apply(&a->redact, &a->settings);
        }
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("batch", "expected exactly one JOBS.jsonl argument");
    if (evclip_settings_validate(&a->settings) < 0) /* the library's ranges */
        return cli_usage_error("batch", "%s", evclip_last_error());
    a->jobs_path = argv[optind];
    return 0;
}

int jobs_add(Jobs *j, json_t *obj, const char *error, int lineno)
{
    int n = j->count + 1;
    json_t **o = realloc(j->objects, n * sizeof(*o));
    if (o)
        j->objects = o;
    char **e = realloc(j->line_errors, n * sizeof(*e));
    if (e)
        j->line_errors = e;
    int *l = realloc(j->lines, n * sizeof(*l));
    if (l)
        j->lines = l;
    if (!o || !e || !l) {
        json_decref(obj);
        return -1;
    }
    j->objects[j->count] = obj;
    j->line_errors[j->count] = error ? strdup(error) : NULL;
    j->lines[j->count] = lineno;
    j->count = n;
    return 0;
}

/* Parses job i into a clip and checks (or, with mkdirs, creates) its output folder. */
static void parse_job(Jobs *j, int i, const char *path, const char *base,
                      const EvclipSettings *defaults, int mkdirs, LogCache *cache)
{
    char where[512], err[1024];
    ClipSpec *spec = &j->specs[i];
    snprintf(where, sizeof(where), "%s:%d", path, j->lines[i]);
    if (!j->objects[i]) {
        j->invalid[i] = 1;
        return;
    }
    if (spec_parse(spec, j->objects[i], where, base, defaults, cache, err, sizeof(err)) != 0) {
        j->invalid[i] = 1;
    } else if (cli_output_dir(spec->clip.output, spec->mkdirs >= 0 ? spec->mkdirs : mkdirs,
                              err + strlen(where) + 2, sizeof(err) - strlen(where) - 2) < 0) {
        memcpy(err, where, strlen(where));
        memcpy(err + strlen(where), ": ", 2);
    } else {
        return;
    }
    free(j->line_errors[i]);
    j->line_errors[i] = strdup(err);
}

int jobs_read(Jobs *j, const char *path, const EvclipSettings *defaults, int mkdirs,
              LogCache *cache)
{
    int is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "stdin" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    char *line = NULL, where[512], err[1024];
    int ret = 0;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    if (!f) {
        fprintf(stderr, "evclip: error: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)len)
            continue;
        json_error_t jerr;
        snprintf(where, sizeof(where), "%s:%d", name, lineno);
        json_t *obj = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &jerr);
        if (!obj)
            snprintf(err, sizeof(err), "%s: invalid JSON at column %d: %s", where,
                     jerr.column, jerr.text);
        if (jobs_add(j, obj, obj ? NULL : err, lineno) < 0) {
            ret = -1;
            break;
        }
    }
    free(line);
    if (!is_stdin)
        fclose(f);
    char *base = is_stdin ? NULL : spec_base_dir(path);
    if (ret < 0 || (!is_stdin && strchr(path, '/') && !base) ||
        jobs_parse(j, name, base, defaults, mkdirs, cache) < 0) {
        free(base);
        fprintf(stderr, "evclip: error: %s: out of memory\n", path);
        return -1;
    }
    free(base);
    return 0;
}

int jobs_parse(Jobs *j, const char *path, const char *base, const EvclipSettings *defaults,
               int mkdirs, LogCache *cache)
{
    j->specs = calloc((size_t)j->count + 1, sizeof(*j->specs));
    j->results = calloc((size_t)j->count + 1, sizeof(*j->results));
    j->clip_index = calloc((size_t)j->count + 1, sizeof(*j->clip_index));
    j->invalid = calloc((size_t)j->count + 1, sizeof(*j->invalid));
    if (!j->specs || !j->results || !j->clip_index || !j->invalid)
        return -1;
    for (int i = 0; i < j->count; i++) {
        j->clip_index[i] = -1;
        parse_job(j, i, path, base, defaults, mkdirs, cache);
    }
    return 0;
}

void jobs_free(Jobs *j)
{
    for (int i = 0; i < j->count; i++) {
        if (j->specs)
            spec_free(&j->specs[i]);
        json_decref(j->objects[i]);
        free(j->line_errors[i]);
    }
    free(j->objects);
    free(j->line_errors);
    free(j->specs);
    free(j->results);
    free(j->clip_index);
    free(j->lines);
    free(j->invalid);
}

/* Job outcomes in the report. */
enum JobStatus { JOB_OK, JOB_WARNINGS, JOB_ERROR, JOB_INVALID };
static const char *const status_names[] = { "ok", "warnings", "error", "invalid" };

/* ok; warnings (--strict and the clip has some); error (the clip failed); invalid (its line
 * is not a clip: bad JSON or spec). */
static int job_status(const BatchArgs *a, const Jobs *j, int i, const EvclipResult *res)
{
    if (j->invalid[i])
        return JOB_INVALID;
    if (j->line_errors[i] || res->status < 0)
        return JOB_ERROR;
    return a->strict && res->nb_warnings > 0 ? JOB_WARNINGS : JOB_OK;
}

static void report_line(FILE *f, const Jobs *j, int i, const EvclipResult *res, int status)
{
    const char *output = j->specs[i].clip.output;
    const char *error = j->line_errors[i] ? j->line_errors[i] : res->error;
    fprintf(f, "{\"job\": %d, \"line\": %d, \"output\": ", i + 1, j->lines[i]);
    if (output)
        cli_json_string(f, output);
    else
        fputs("null", f);
    fprintf(f, ", \"status\": \"%s\", \"error\": ", status_names[status]);
    if (status == JOB_OK)
        fputs("null", f);
    else if (status == JOB_WARNINGS)
        fprintf(f, "\"--strict: the clip rendered with %d warning%s\"", res->nb_warnings,
                res->nb_warnings > 1 ? "s" : "");
    else
        cli_json_string(f, error);
    fprintf(f, ", \"frames\": %lld, \"seconds\": %.6f, \"boxes\": %lld, "
            "\"frames_decoded\": %lld, \"damaged_packets\": %lld, \"warnings\": ",
            (long long)res->frames, res->duration, (long long)res->boxes_drawn,
            (long long)res->frames_decoded, (long long)res->damaged_packets);
    cli_json_warnings(f, res);
    fputs("}\n", f);
}

/* "evclip: batch: 5 jobs: 2 ok, 1 failed, 2 not parsed (lines 3, 7)[, 1 with warnings
 * (--strict)]" on stderr. */
static void print_counts(const Jobs *j, const int counts[4])
{
    fprintf(stderr, "evclip: batch: %d job%s: %d ok, %d failed, %d not parsed", j->count,
            j->count == 1 ? "" : "s", counts[JOB_OK], counts[JOB_ERROR], counts[JOB_INVALID]);
    for (int i = 0, n = 0; i < j->count; i++) {
        if (j->invalid[i])
            fprintf(stderr, "%s%d", n++ ? ", " : counts[JOB_INVALID] > 1 ? " (lines " :
                    " (line ", j->lines[i]);
    }
    fputs(counts[JOB_INVALID] ? ")" : "", stderr);
    if (counts[JOB_WARNINGS])
        fprintf(stderr, ", %d with warnings (--strict)", counts[JOB_WARNINGS]);
    fputc('\n', stderr);
}

/* Appends job i's line to the running report and makes it durable (fsync). */
static void append_report(BatchArgs *a, const Jobs *j, int i, const EvclipResult *res)
{
    if (!a->report)
        return;
    report_line(a->report, j, i, res, job_status(a, j, i, res));
    if (fflush(a->report) != 0 || fsync(fileno(a->report)) != 0)
        fprintf(stderr, "evclip: warning: report '%s': %s\n", a->report_path, strerror(errno));
}

/* EvclipSettings.clip_done_callback: a clip of the batch was published or failed. */
static void clip_done(void *opaque, int clip, const EvclipResult *res)
{
    BatchArgs *a = opaque;
    append_report(a, a->running, a->clip_job[clip], res);
}

/* Opens the running report (truncated) and appends the jobs refused before rendering. */
static int start_report(BatchArgs *a, const Jobs *j)
{
    if (!a->report_path)
        return 0;
    a->report = fopen(a->report_path, "w");
    if (!a->report) {
        fprintf(stderr, "evclip: error: report '%s': %s\n", a->report_path, strerror(errno));
        return -1;
    }
    EvclipResult none = { 0 };
    for (int i = 0; i < j->count; i++)
        if (j->line_errors[i])
            append_report(a, j, i, &none);
    return 0;
}

/* The final report, every job in job order: written beside it and renamed over the running
 * one, so the report is complete at every moment. */
static int write_report(BatchArgs *a, const Jobs *j, int counts[4])
{
    char tmp[4200];
    FILE *f = NULL;
    if (a->report) {
        fclose(a->report);
        a->report = NULL;
        snprintf(tmp, sizeof(tmp), "%s.partial", a->report_path);
        f = fopen(tmp, "w");
        if (!f) {
            fprintf(stderr, "evclip: error: report '%s': %s\n", tmp, strerror(errno));
            return -1;
        }
    }
    memset(counts, 0, 4 * sizeof(*counts));
    for (int i = 0; i < j->count; i++) {
        EvclipResult none = { 0 };
        const EvclipResult *res = j->clip_index[i] >= 0 ? &j->results[j->clip_index[i]] : &none;
        int status = job_status(a, j, i, res);
        counts[status]++;
        if (f)
            report_line(f, j, i, res, status);
        if (a->json)
            report_line(stdout, j, i, res, status);
        if ((status == JOB_ERROR || status == JOB_INVALID) && !a->cli.quiet)
            fprintf(stderr, "evclip: job %d (line %d) failed: %s\n", i + 1, j->lines[i],
                    j->line_errors[i] ? j->line_errors[i] : res->error);
    }
    if (f && (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 ||
              rename(tmp, a->report_path) != 0)) {
        fprintf(stderr, "evclip: error: report '%s': write failed\n", a->report_path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Renders every valid job as one batch. */
static int render_jobs(BatchArgs *a, Jobs *j)
{
    EvclipClip *clips = calloc((size_t)j->count + 1, sizeof(*clips));
    EvclipResult *results = calloc((size_t)j->count + 1, sizeof(*results));
    int *clip_job = calloc((size_t)j->count + 1, sizeof(*clip_job));
    EvclipRenderer *r = NULL;
    int n = 0, ret;
    if (!clips || !results || !clip_job) {
        free(clips), free(results), free(clip_job);
        return EVCLIP_ERR_NOMEM;
    }
    for (int i = 0; i < j->count; i++)
        if (!j->line_errors[i]) {
            j->clip_index[i] = n;
            clip_job[n] = i;
            clips[n++] = j->specs[i].clip;
        }
    a->running = j;
    a->clip_job = clip_job;
    a->settings.clip_done_callback = clip_done;
    a->settings.clip_done_opaque = a;
    ret = evclip_open(&r, &a->settings);
    if (ret >= 0) {
        cli_handle_signals(r);
        ret = evclip_render_batch(r, clips, n, results, a->jobs);
        cli_handle_signals(NULL);
        cli_progress_end(&a->cli);
        EvclipStats st;
        evclip_get_stats(r, &st);
        if (!a->cli.quiet)
            fprintf(stderr, "evclip: batch: %d clips, %lld sources opened, %lld frames "
                    "decoded, %lld seeks\n", n, (long long)st.sources_opened,
                    (long long)st.frames_decoded, (long long)st.seeks);
    }
    evclip_close(&r);
    memcpy(j->results, results, (size_t)n * sizeof(*results));
    free(clips);
    free(results);
    free(clip_job);
    a->clip_job = NULL;
    return ret;
}

int cli_batch_main(int argc, char **argv)
{
    BatchArgs a = { 0 };
    Jobs j = { 0 };
    LogCache cache = { 0 };
    int counts[4] = { 0 };

    evclip_default_settings(&a.settings);
    cli_redact_init(&a.redact);
    int ret = parse_args(&a, argc, argv);
    if (ret != 0)
        return ret < 0 ? EXIT_OK : ret;
    a.cli.progress = !a.cli.quiet && !a.json && isatty(STDERR_FILENO);
    a.settings.log_callback = cli_log;
    a.settings.ffmpeg_log = 1; /* the CLI is the host: FFmpeg speaks through its log */
    a.settings.log_opaque = &a.cli;
    a.settings.progress_callback = cli_progress;
    a.settings.progress_opaque = &a.cli;
    if (jobs_read(&j, a.jobs_path, &a.settings, a.mkdirs, &cache) < 0) {
        jobs_free(&j);
        log_cache_free(&cache);
        return EXIT_USAGE;
    }
    if (start_report(&a, &j) < 0) {
        jobs_free(&j);
        log_cache_free(&cache);
        return EXIT_OUTPUT;
    }
    ret = render_jobs(&a, &j);
    int code = EXIT_OK;
    if (ret < 0) {
        cli_print_error(ret);
        code = cli_exit_code(ret);
    }
    if (write_report(&a, &j, counts) < 0 && code == EXIT_OK)
        code = EXIT_OUTPUT;
    if (!a.cli.quiet)
        print_counts(&j, counts);
    if (code == EXIT_OK && (counts[JOB_ERROR] || counts[JOB_INVALID]))
        code = cli_signal_received() ? cli_exit_code(EVCLIP_ERR_CANCELED) : EXIT_PARTIAL;
    else if (code == EXIT_OK && counts[JOB_WARNINGS])
        code = EXIT_WARNINGS;
    jobs_free(&j);
    log_cache_free(&cache);
    cli_redact_free(&a.redact);
    return code;
}
