/* cli_report.c: `evclip report`: gathers each clip's manifest, integrity (verified now) and
 * per-frame detections (from its SEI) for a static HTML review page (cli_report_html.c). */
#include <dirent.h>
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
#include "tools/cli_report.h"

static const char usage[] =
    "Usage: evclip report [--title T] -o review.html REPORT.jsonl | CLIP.mp4... | DIR\n"
    "\n"
    "Writes one self-contained HTML page (no network; clips and posters referenced by\n"
    "relative path) with a card per clip: poster, source and window, duration, labels with\n"
    "box counts, integrity verified now (ok, unsigned, modified, missing, with the reason),\n"
    "a detection timeline (boxes per frame, in the boxes' colours). Click a card to play the\n"
    "clip, the timeline to seek; filter by label and integrity; sort by time, duration, boxes.\n"
    "A batch report (evclip batch --report) adds its failed jobs to the summary; a folder\n"
    "gives its .mp4 files.\n"
    "\n"
    "  -o, --output PATH  the page to write (required; written atomically)\n"
    "      --title T      page title (default \"evclip review\")\n"
    "  -q, --quiet        no summary on stderr\n"
    "  -h, --help         this help\n"
    "\n"
    "Exit codes: 0 page written (whatever the clips' state), 2 usage, 3 an argument cannot\n"
    "be read, 6 the page cannot be written.\n";

typedef struct ReportArgs {
    const char *output, *title;
    int quiet;
    char *out_dir;         /* real folder of the page */
    Report r;
} ReportArgs;

/* The path of `target` relative to folder `dir` (both absolute, canonical), malloc'ed. */
static char *relative_to(const char *dir, const char *target)
{
    size_t common = 0, i = 0;
    for (; dir[i] && dir[i] == target[i]; i++)
        if (dir[i] == '/')
            common = i;
    if (!dir[i] && (target[i] == '/' || !target[i]))
        common = i;
    size_t ups = 0;
    for (const char *p = dir + common; *p; p++)
        ups += *p == '/';
    const char *rest = target + common + (target[common] == '/');
    char *out = malloc(ups * 3 + strlen(rest) + 1);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (size_t k = 0; k < ups; k++)
        strcat(out, "../");
    strcat(out, rest);
    return out;
}

/* A page-relative URL of an existing file: percent-encoded (everything but unreserved
 * characters and '/'), so any file name stays one attribute value. */
static char *href_of(const ReportArgs *a, const char *path)
{
    char *real = realpath(path, NULL);
    char *rel = real ? relative_to(a->out_dir, real) : NULL;
    free(real);
    if (!rel)
        return NULL;
    char *out = malloc(strlen(rel) * 3 + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)rel; out && *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    if (out)
        *o = '\0';
    free(rel);
    return out;
}

static ReportLabel *find_label(ReportClip *c, const char *label)
{
    for (int i = 0; i < c->nb_labels; i++)
        if (!strcmp(c->labels[i].label, label))
            return &c->labels[i];
    ReportLabel *l = realloc(c->labels, (size_t)(c->nb_labels + 1) * sizeof(*l));
    if (!l)
        return NULL;
    c->labels = l;
    l = &l[c->nb_labels];
    memset(l, 0, sizeof(*l));
    if (!(l->label = strdup(label)))
        return NULL;
    uint8_t bgr[3];
    evclip_palette_color(label, EVCLIP_NONE, bgr);
    l->rgb[0] = bgr[2], l->rgb[1] = bgr[1], l->rgb[2] = bgr[0];
    c->nb_labels++;
    return l;
}

/* EvclipInspectCallback: boxes per label per timeline column. */
static int on_frame(void *opaque, const EvclipInspectFrame *f)
{
    ReportClip *c = opaque;
    c->frames++;
    if (!f->has_data || !(c->duration > 0))
        return 0;
    /* The frame shows for one frame period: it fills the columns of that span. */
    double period = c->frames_total > 0 ? c->duration / (double)c->frames_total : 0;
    int bin = (int)(f->time / c->duration * REPORT_BINS);
    int last = (int)ceil((f->time + period) / c->duration * REPORT_BINS) - 1;
    bin = bin < 0 ? 0 : bin >= REPORT_BINS ? REPORT_BINS - 1 : bin;
    last = last < bin ? bin : last >= REPORT_BINS ? REPORT_BINS - 1 : last;
    /* Labels by index: find_label may move c->labels. */
    int counts[64] = { 0 }, seen[64];
    int n = 0;
    for (int i = 0; i < f->nb_detections; i++) {
        ReportLabel *l = find_label(c, f->detections[i].label);
        if (!l)
            return -1;
        l->boxes++;
        int id = (int)(l - c->labels), k = 0;
        while (k < n && seen[k] != id)
            k++;
        if (k == n && n < 64)
            seen[n++] = id;
        if (k < 64)
            counts[k]++;
    }
    for (int k = 0; k < n; k++)
        for (int b = bin; b <= last; b++)
            if (counts[k] > c->labels[seen[k]].bins[b])
                c->labels[seen[k]].bins[b] = counts[k];
    if (f->nb_detections > c->max_bin)
        c->max_bin = f->nb_detections;
    return 0;
}

/* Window, duration, boxes and created time from the manifest beside the clip. */
static void read_manifest(ReportClip *c, const char *path)
{
    json_t *m = json_load_file(path, 0, NULL);
    json_t *out = json_object_get(m, "output"), *srcs = json_object_get(m, "sources");
    json_t *first = json_array_get(srcs, 0);
    const char *src = json_string_value(json_object_get(first, "path"));
    const char *slash = src ? strrchr(src, '/') : NULL;
    free(c->source);
    c->source = strdup(src ? (slash ? slash + 1 : src) : "");
    c->nb_sources = (int)json_array_size(srcs);
    c->start = json_number_value(json_object_get(out, "first_source_time"));
    c->end = json_number_value(json_object_get(out, "last_source_time"));
    c->duration = json_number_value(json_object_get(out, "duration"));
    c->frames_total = json_integer_value(json_object_get(out, "frames"));
    c->boxes = json_integer_value(json_object_get(m, "boxes_drawn"));
    const char *created = json_string_value(json_object_get(m, "created_utc"));
    snprintf(c->created, sizeof(c->created), "%s", created ? created : "");
    json_decref(m);
}

/* The clip's integrity now: missing (clip or manifest), modified (a check failed), unsigned
 * (hashes match, no signature) or ok (hashes and signature). */
static void check_state(ReportClip *c, const char *manifest)
{
    EvclipVerifyResult res;
    struct stat st;
    if (stat(c->path, &st) != 0) {
        c->state = STATE_MISSING;
        snprintf(c->reason, sizeof(c->reason), "clip not found: %s", strerror(errno));
        return;
    }
    if (stat(manifest, &st) != 0) {
        c->state = STATE_MISSING;
        snprintf(c->reason, sizeof(c->reason), "no evidence manifest beside the clip");
        return;
    }
    if (evclip_verify(c->path, NULL, NULL, 0, &res) < 0) {
        c->state = STATE_MODIFIED;
        snprintf(c->reason, sizeof(c->reason), "cannot verify: %s", evclip_last_error());
    } else if (!res.ok) {
        c->state = STATE_MODIFIED;
        snprintf(c->reason, sizeof(c->reason), "%s", res.detail);
    } else if (res.signature != EVCLIP_CHECK_PASSED) {
        c->state = STATE_UNSIGNED;
        snprintf(c->reason, sizeof(c->reason), "hashes match the manifest; it is not signed");
    } else {
        c->state = STATE_OK;
        snprintf(c->reason, sizeof(c->reason), "hashes match; signed by key %s", res.key_id);
    }
}

static int add_clip(ReportArgs *a, const char *path)
{
    ReportClip *clips = realloc(a->r.clips, (size_t)(a->r.nb_clips + 1) * sizeof(*clips));
    if (!clips)
        return -1;
    a->r.clips = clips;
    ReportClip *c = &clips[a->r.nb_clips++];
    memset(c, 0, sizeof(*c));
    c->start = c->end = c->duration = NAN;
    size_t n = strlen(path);
    char *manifest = malloc(n + sizeof(".evidence.json"));
    if (!(c->path = strdup(path)) || !(c->source = strdup("")) || !manifest) {
        free(manifest);
        return -1;
    }
    sprintf(manifest, "%s.evidence.json", path);
    check_state(c, manifest);
    if (access(manifest, R_OK) == 0)
        read_manifest(c, manifest);
    free(manifest);
    if (c->state == STATE_MISSING && access(path, R_OK) != 0)
        return 0;
    c->href = href_of(a, path);
    /* The poster is the manifest's when it records one; a clip without a manifest may still
     * have one beside it (OUT.jpg). */
    char *poster = strdup(path);
    char *dot = poster ? strrchr(poster, '.') : NULL;
    if (dot && strlen(dot) >= 4 && !strchr(dot, '/')) {
        strcpy(dot, ".jpg");
        if (access(poster, R_OK) == 0)
            c->poster_href = href_of(a, poster);
    }
    free(poster);
    double duration = c->duration;
    if (!(duration > 0))
        c->duration = 1e9; /* bins after the fact: times are kept relative to this */
    evclip_inspect(path, on_frame, c);
    if (!(duration > 0))
        c->duration = NAN;
    return c->href ? 0 : -1;
}

static int cmp_names(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Every .mp4 of a folder, by name. */
static int add_dir(ReportArgs *a, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    int n = 0, ret = 0;
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".mp4"))
            continue;
        char **more = realloc(names, (size_t)(n + 1) * sizeof(*names));
        if (!more || !(more[n] = malloc(strlen(dir) + len + 2))) {
            names = more ? more : names;
            ret = -1;
            break;
        }
        names = more;
        sprintf(names[n++], "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(*names), cmp_names);
    for (int i = 0; i < n; i++) {
        if (ret == 0)
            ret = add_clip(a, names[i]);
        free(names[i]);
    }
    free(names);
    return ret;
}

static int add_failure(ReportArgs *a, json_t *line)
{
    ReportFailure *f = realloc(a->r.failures, (size_t)(a->r.nb_failures + 1) * sizeof(*f));
    if (!f)
        return -1;
    a->r.failures = f;
    f = &f[a->r.nb_failures++];
    const char *out = json_string_value(json_object_get(line, "output"));
    const char *status = json_string_value(json_object_get(line, "status"));
    const char *error = json_string_value(json_object_get(line, "error"));
    f->output = strdup(out ? out : "");
    f->status = strdup(status ? status : "");
    f->error = strdup(error ? error : "");
    f->line = (int)json_integer_value(json_object_get(line, "line"));
    return f->output && f->status && f->error ? 0 : -1;
}

/* A clip a batch report names: its path is as batch resolved it, from batch's working folder;
 * when that does not name a file from here, the report's own folder is tried. */
static int add_report_clip(ReportArgs *a, const char *report, const char *out)
{
    const char *slash = strrchr(report, '/');
    if (out[0] == '/' || access(out, F_OK) == 0 || !slash)
        return add_clip(a, out);
    char *alt = malloc((size_t)(slash - report) + strlen(out) + 2);
    if (!alt)
        return -1;
    sprintf(alt, "%.*s/%s", (int)(slash - report), report, out);
    int ret = add_clip(a, access(alt, F_OK) == 0 ? alt : out);
    free(alt);
    return ret;
}

/* A batch report: its ok clips become cards (paths as batch wrote them), the others are
 * listed as failed jobs. */
static int add_batch_report(ReportArgs *a, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, ret = 0;
    if (!f)
        return -1;
    while (ret == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);
        const char *status = json_string_value(json_object_get(o, "status"));
        const char *out = json_string_value(json_object_get(o, "output"));
        if (!o || !status) {
            fprintf(stderr, "evclip: error: %s:%d: not a batch report line%s%s\n", path,
                    lineno, o ? "" : ": ", o ? "" : jerr.text);
            ret = -2;
        } else if (strcmp(status, "ok") && strcmp(status, "warnings")) {
            ret = add_failure(a, o);
        } else if (out) {
            ret = add_report_clip(a, path, out);
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    return ret;
}

static int parse_args(ReportArgs *a, int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' }, { "title", required_argument, NULL, 't' },
        { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    if (cli_check_options("report", argc, argv, "o:qh", opts))
        return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->output = optarg; break;
        case 't': a->title = optarg; break;
        case 'q': a->quiet = 1; break;
        case 'h': fputs(usage, stdout); return -1;
        default: return cli_usage_error("report", "bad option (see above)");
        }
    }
    if (!a->output)
        return cli_usage_error("report", "-o review.html is required");
    if (optind == argc)
        return cli_usage_error("report", "give a batch report, clips or a folder");
    return 0;
}

static int gather(ReportArgs *a, int argc, char **argv)
{
    for (int i = optind; i < argc; i++) {
        struct stat st;
        const char *p = argv[i];
        size_t n = strlen(p);
        int ret;
        if (stat(p, &st) != 0) {
            fprintf(stderr, "evclip: error: '%s': %s\n", p, strerror(errno));
            return EXIT_INPUT;
        }
        if (S_ISDIR(st.st_mode))
            ret = add_dir(a, p);
        else if (n > 6 && !strcmp(p + n - 6, ".jsonl"))
            ret = add_batch_report(a, p);
        else
            ret = add_clip(a, p);
        if (ret == -2)
            return EXIT_INPUT;
        if (ret < 0) {
            fprintf(stderr, "evclip: error: '%s': %s\n", p, errno ? strerror(errno)
                                                                  : "out of memory");
            return EXIT_INPUT;
        }
    }
    return 0;
}

/* The page goes to a temp file beside the output, renamed when complete. */
static int write_page(ReportArgs *a)
{
    size_t n = strlen(a->output) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return EXIT_FAILURE_OTHER;
    snprintf(tmp, n, "%s.%ld.partial", a->output, (long)getpid());
    cli_remove_on_signal(tmp);
    FILE *f = fopen(tmp, "wx");
    int ok = f && report_write_html(f, &a->r) == 0;
    ok &= f && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (f)
        ok &= fclose(f) == 0;
    if (ok && rename(tmp, a->output) == 0) {
        cli_remove_on_signal(NULL);
        free(tmp);
        return 0;
    }
    fprintf(stderr, "evclip: error: cannot write '%s': %s\n", a->output, strerror(errno));
    unlink(tmp);
    cli_remove_on_signal(NULL);
    free(tmp);
    return EXIT_OUTPUT;
}

static void report_free(Report *r)
{
    for (int i = 0; i < r->nb_clips; i++) {
        ReportClip *c = &r->clips[i];
        for (int k = 0; k < c->nb_labels; k++)
            free(c->labels[k].label);
        free(c->labels);
        free(c->path), free(c->href), free(c->poster_href), free(c->source);
    }
    for (int i = 0; i < r->nb_failures; i++)
        free(r->failures[i].output), free(r->failures[i].status), free(r->failures[i].error);
    free(r->clips);
    free(r->failures);
}

int cli_report_main(int argc, char **argv)
{
    ReportArgs a = { .title = "evclip review" };
    int code = parse_args(&a, argc, argv);
    if (code != 0)
        return code < 0 ? EXIT_OK : code;
    char *dir = strdup(a.output), *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    a.out_dir = dir ? realpath(slash ? (*dir ? dir : "/") : ".", NULL) : NULL;
    free(dir);
    if (!a.out_dir) {
        fprintf(stderr, "evclip: error: output folder of '%s': %s\n", a.output,
                strerror(errno));
        return EXIT_OUTPUT;
    }
    a.r.title = a.title;
    errno = 0;
    code = gather(&a, argc, argv);
    if (code == 0)
        code = write_page(&a);
    if (code == 0 && !a.quiet)
        fprintf(stderr, "evclip: report: %s: %d clips, %d failed jobs\n", a.output,
                a.r.nb_clips, a.r.nb_failures);
    report_free(&a.r);
    free(a.out_dir);
    return code;
}
