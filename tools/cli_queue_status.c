/* cli_queue_status.c: `evclip status` (the queue at a glance) and `evclip results` (result
 * lines as JSON, optionally followed as they come). */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tools/cli.h"
#include "tools/cli_queue.h"

static const char status_usage[] =
    "Usage: evclip status --redis URL [--stream NAME] [--json]\n"
    "\n"
    "Prints the queue: units in the stream, units waiting (not yet delivered), per consumer\n"
    "group the pending units of each worker with their idle time, results ok and failed\n"
    "(clips that failed and were not done since), dead letters, and the workers seen with\n"
    "the seconds since they were last seen.\n"
    "\n"
    "      --redis URL     redis://[user:password@]host[:port][/db] or unix:///path (required)\n"
    "      --stream NAME   the stream of units (default evclip:jobs)\n"
    "      --json          one JSON object on stdout\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit codes: 0 ok, 2 usage or bad URL, 20 Redis unreachable, 21 Redis refused the\n"
    "password.\n";

static const char results_usage[] =
    "Usage: evclip results --redis URL [--stream NAME] [--follow]\n"
    "\n"
    "Prints the result stream, one JSON line per clip result: id (stable clip id), unit,\n"
    "line, output, status (\"ok\" or \"error\"), skipped (already done), error, frames,\n"
    "seconds, output_sha256, manifest_sha256, worker, attempt, finished_utc. A clip has at\n"
    "most one \"ok\" line; a failed attempt adds an \"error\" line.\n"
    "\n"
    "      --redis URL     redis://[user:password@]host[:port][/db] or unix:///path (required)\n"
    "      --stream NAME   the stream of units (default evclip:jobs; results: evclip:results)\n"
    "      --follow        keep printing new results until SIGINT/SIGTERM\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit codes: 0 ok (also when stopped by a signal with --follow), 2 usage or bad URL, 20\n"
    "Redis unreachable, 21 Redis refused the password.\n";

typedef struct Args {
    const char *url, *stream;
    int json, follow;
} Args;

static int parse_args(const char *cmd, const char *usage, Args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        { "redis", required_argument, NULL, 'R' }, { "stream", required_argument, NULL, 'S' },
        { "json", no_argument, NULL, 'J' }, { "follow", no_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    if (cli_check_options(cmd, argc, argv, "h", opts))
        return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'R': a->url = optarg; break;
        case 'S': a->stream = optarg; break;
        case 'J': a->json = 1; break;
        case 'f': a->follow = 1; break;
        case 'h': fputs(usage, stdout); return -1;
        default: return cli_usage_error(cmd, "bad option (see above)");
        }
    }
    if ((a->json && !strcmp(cmd, "results")) || (a->follow && !strcmp(cmd, "status")))
        return cli_usage_error(cmd, "%s is not an option of %s", a->json ? "--json" :
                               "--follow", cmd);
    if (!a->url)
        return cli_usage_error(cmd, "--redis URL is required");
    if (optind != argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    return 0;
}

static long long integer(redisReply *r)
{
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
    freeReplyObject(r);
    return v;
}

static long long field_int(const redisReply *flat, const char *name)
{
    const redisReply *f = queue_field(flat, name);
    return f && f->type == REDIS_REPLY_INTEGER ? f->integer : 0;
}

static const char *field_str(const redisReply *flat, const char *name)
{
    const redisReply *f = queue_field(flat, name);
    return f && f->str ? f->str : "";
}

static const char failed_script[] =
    "local n = 0 for _, id in ipairs(redis.call('HKEYS', KEYS[1])) do "
    "if redis.call('HEXISTS', KEYS[2], id) == 0 then n = n + 1 end end return n";

/* One consumer group with its consumers. */
static json_t *group_json(Queue *q, const redisReply *g)
{
    const char *name = field_str(g, "name");
    json_t *consumers = json_array();
    redisReply *c = queue_cmd(q, "XINFO CONSUMERS %s %s", q->stream, name);
    for (size_t i = 0; c && c->type == REDIS_REPLY_ARRAY && i < c->elements; i++)
        json_array_append_new(consumers, json_pack("{s:s, s:I, s:f}", "name",
            field_str(c->element[i], "name"), "pending",
            (json_int_t)field_int(c->element[i], "pending"),
            "idle_seconds", field_int(c->element[i], "idle") / 1000.0));
    freeReplyObject(c);
    return json_pack("{s:s, s:I, s:I, s:o}", "name", name, "pending",
                     (json_int_t)field_int(g, "pending"), "waiting",
                     (json_int_t)field_int(g, "lag"), "consumers", consumers);
}

static json_t *status_json(Queue *q)
{
    json_t *groups = json_array(), *workers = json_array();
    redisReply *g = queue_cmd(q, "XINFO GROUPS %s", q->stream);
    for (size_t i = 0; g && g->type == REDIS_REPLY_ARRAY && i < g->elements; i++)
        json_array_append_new(groups, group_json(q, g->element[i]));
    freeReplyObject(g);
    redisReply *w = queue_cmd(q, "HGETALL %s", q->workers);
    double now = queue_wall_now();
    for (size_t i = 0; w && w->type == REDIS_REPLY_ARRAY && i + 1 < w->elements; i += 2)
        json_array_append_new(workers, json_pack("{s:s, s:f}", "name", w->element[i]->str,
                              "seen_seconds_ago", now - atof(w->element[i + 1]->str)));
    freeReplyObject(w);
    const char *keys[] = { q->failed, q->done };
    return json_pack("{s:s, s:I, s:o, s:I, s:I, s:I, s:o}", "stream", q->stream, "units",
                     (json_int_t)integer(queue_cmd(q, "XLEN %s", q->stream)), "groups", groups,
                     "ok", (json_int_t)integer(queue_cmd(q, "HLEN %s", q->done)), "failed",
                     (json_int_t)integer(queue_eval(q, failed_script, 2, keys, 0, NULL)),
                     "dead", (json_int_t)integer(queue_cmd(q, "XLEN %s", q->dead)),
                     "workers", workers);
}

static void print_status(const json_t *s)
{
    size_t i, k;
    json_t *g, *c;
    printf("stream %s: %lld units\n", json_string_value(json_object_get(s, "stream")),
           (long long)json_integer_value(json_object_get(s, "units")));
    json_array_foreach(json_object_get(s, "groups"), i, g) {
        printf("group %s: %lld waiting, %lld pending\n",
               json_string_value(json_object_get(g, "name")),
               (long long)json_integer_value(json_object_get(g, "waiting")),
               (long long)json_integer_value(json_object_get(g, "pending")));
        json_array_foreach(json_object_get(g, "consumers"), k, c)
            printf("  %s: %lld pending, idle %.1f s\n",
                   json_string_value(json_object_get(c, "name")),
                   (long long)json_integer_value(json_object_get(c, "pending")),
                   json_real_value(json_object_get(c, "idle_seconds")));
    }
    printf("results: %lld ok, %lld failed; dead letters: %lld\n",
           (long long)json_integer_value(json_object_get(s, "ok")),
           (long long)json_integer_value(json_object_get(s, "failed")),
           (long long)json_integer_value(json_object_get(s, "dead")));
    json_array_foreach(json_object_get(s, "workers"), i, c)
        printf("worker %s: seen %.1f s ago\n", json_string_value(json_object_get(c, "name")),
               json_real_value(json_object_get(c, "seen_seconds_ago")));
}

int cli_status_main(int argc, char **argv)
{
    Args a = { .stream = "evclip:jobs" };
    Queue q = { 0 };
    int ret = parse_args("status", status_usage, &a, argc, argv);
    if (ret != 0)
        return ret < 0 ? EXIT_OK : ret;
    if ((ret = queue_open(&q, "status", a.url, a.stream)) != 0)
        return ret;
    json_t *s = status_json(&q);
    if (!q.c) {
        ret = EXIT_QUEUE_DOWN;
    } else if (!s) {
        fprintf(stderr, "evclip: error: out of memory\n");
        ret = EXIT_FAILURE_OTHER;
    } else if (a.json) {
        json_dumpf(s, stdout, JSON_COMPACT);
        putchar('\n');
    } else {
        print_status(s);
    }
    json_decref(s);
    queue_close(&q);
    return ret;
}

static volatile sig_atomic_t follow_stop;

static void on_signal(int sig)
{
    follow_stop = sig;
}

/* Prints the entries of an XRANGE/XREAD entry list; keeps the last id. */
static void print_entries(const redisReply *list, char *last, size_t n)
{
    for (size_t i = 0; list && list->type == REDIS_REPLY_ARRAY && i < list->elements; i++) {
        const redisReply *e = list->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
            continue;
        const redisReply *res = queue_field(e->element[1], "result");
        if (res && res->str)
            printf("%s\n", res->str);
        snprintf(last, n, "%s", e->element[0]->str);
    }
    fflush(stdout);
}

int cli_results_main(int argc, char **argv)
{
    Args a = { .stream = "evclip:jobs" };
    Queue q = { 0 };
    char last[64] = "-", start[80];
    int ret = parse_args("results", results_usage, &a, argc, argv);
    if (ret != 0)
        return ret < 0 ? EXIT_OK : ret;
    if ((ret = queue_open(&q, "results", a.url, a.stream)) != 0)
        return ret;
    for (;;) { /* the stream so far, 500 entries at a time */
        snprintf(start, sizeof(start), "%s%s", strcmp(last, "-") ? "(" : "", last);
        redisReply *r = queue_cmd(&q, "XRANGE %s %s + COUNT 500", q.results, start);
        size_t got = r && r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
        print_entries(r, last, sizeof(last));
        freeReplyObject(r);
        if (!r)
            return queue_close(&q), EXIT_QUEUE_DOWN;
        if (got < 500)
            break;
    }
    if (a.follow) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        q.retry = 1;
        q.stop = &follow_stop;
        if (!strcmp(last, "-"))
            snprintf(last, sizeof(last), "0-0");
        while (!follow_stop) {
            redisReply *r = queue_cmd(&q, "XREAD COUNT 500 BLOCK 1000 STREAMS %s %s",
                                      q.results, last);
            if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1)
                print_entries(r->element[0]->element[1], last, sizeof(last));
            freeReplyObject(r);
        }
    }
    queue_close(&q);
    return EXIT_OK;
}
