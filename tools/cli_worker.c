/* cli_worker.c: `evclip worker`: takes work units from a Redis stream (consumer group),
 * renders each with the decode-once batch engine, publishes one result per clip, acks. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cli.h"
#include "tools/cli_jobs.h"
#include "tools/cli_queue.h"
#include "tools/cli_worker.h"

static const char usage[] =
    "Usage: evclip worker --redis URL [options]\n"
    "\n"
    "Takes work units that `evclip submit` added to the stream (a consumer group: each unit\n"
    "goes to one worker), renders each unit's clips as one batch (each source decoded once)\n"
    "and adds one JSON result per clip to <prefix>:results; acks the unit once every result\n"
    "is written. A clip whose output and manifest already verify is not rendered again; an\n"
    "output that does not verify (left by an earlier attempt) is replaced. While rendering,\n"
    "the unit is kept claimed (heartbeat); units idle longer than --claim-timeout are taken\n"
    "over from dead workers; a unit delivered more than --max-attempts times goes to\n"
    "<prefix>:dead with its last error. A lost connection is re-made with backoff (0.1 s\n"
    "doubling to 5 s), without end.\n"
    "SIGTERM/SIGINT: stop taking units, finish the current one, exit 0; a second signal\n"
    "abandons it (left unacked, to be taken over) and exits 143/130.\n"
    "\n"
    "      --redis URL            redis://[user:password@]host[:port][/db] or\n"
    "                             unix:///path/redis.sock[?db=N] (required)\n"
    "      --stream NAME          the stream of units (default evclip:jobs)\n"
    "      --group NAME           consumer group (default renderers; created if missing)\n"
    "      --name NAME            this worker's name in the group, results and manifests\n"
    "                             (default HOST-PID)\n"
    "  -j, --jobs N               encoder threads for a unit's open clips (default: cores)\n"
    "      --claim-timeout S      take over units idle for S seconds (default 60)\n"
    "      --max-attempts N       dead-letter a unit delivered more than N times (default 3)\n"
    "      --drain                exit 0 once no unit is waiting or pending\n"
    "  -q, --quiet                only errors on stderr\n"
    "  -h, --help                 this help\n"
    "\n"
    "Exit codes: 0 stopped by a signal after the current unit (or drained), 130/143 a\n"
    "second signal abandoned a unit, 2 usage or bad URL, 20 Redis unreachable at start, 21\n"
    "Redis refused the password, 1 other.\n";

static volatile sig_atomic_t stop_requested, abandon_requested, last_signal;
static EvclipRenderer *volatile current_renderer;

static void on_signal(int sig)
{
    last_signal = sig;
    if (stop_requested) {
        abandon_requested = 1;
        if (current_renderer)
            evclip_cancel(current_renderer);
    }
    stop_requested = 1;
}

static int parse_args(WorkerArgs *a, int argc, char **argv)
{
    static const struct option opts[] = {
        { "redis", required_argument, NULL, 'R' }, { "stream", required_argument, NULL, 'S' },
        { "group", required_argument, NULL, 'g' }, { "name", required_argument, NULL, 'n' },
        { "jobs", required_argument, NULL, 'j' },
        { "claim-timeout", required_argument, NULL, 't' },
        { "max-attempts", required_argument, NULL, 'a' }, { "drain", no_argument, NULL, 'd' },
        { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    long long n;
    int c;
    optind = 1;
    if (cli_check_options("worker", argc, argv, "j:qh", opts))
        return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "j:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'R': a->url = optarg; break;
        case 'S': a->stream = optarg; break;
        case 'g': a->group = optarg; break;
        case 'n': a->name = optarg; break;
        case 'j':
            if (cli_integer("--jobs", optarg, 0, 256, &n))
                return EXIT_USAGE;
            a->jobs = (int)n;
            break;
        case 't':
            if (cli_number("--claim-timeout", optarg, 0.1, 86400, &a->claim_timeout))
                return EXIT_USAGE;
            break;
        case 'a':
            if (cli_integer("--max-attempts", optarg, 1, 1000, &n))
                return EXIT_USAGE;
            a->max_attempts = (int)n;
            break;
        case 'd': a->drain = 1; break;
        case 'q': a->cli.quiet = 1; break;
        case 'h': fputs(usage, stdout); return -1;
        default: return cli_usage_error("worker", "bad option (see above)");
        }
    }
    if (!a->url)
        return cli_usage_error("worker", "--redis URL is required");
    if (optind != argc)
        return cli_usage_error("worker", "unexpected argument '%s'", argv[optind]);
    EvclipSettings check;
    evclip_default_settings(&check);
    check.worker = a->name;
    if (evclip_settings_validate(&check) < 0)
        return cli_usage_error("worker", "--name: %s", evclip_last_error());
    return 0;
}

static const char heartbeat_script[] =
    "local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1) "
    "if p[1] and p[1][2] == ARGV[2] then "
    "redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID') return 1 end "
    "return 0";

/* Keeps the unit claimed: resets its idle time while it is still ours (rate-limited). */
static void heartbeat(Worker *w)
{
    double now = cli_now();
    if (now - w->last_beat < w->a.claim_timeout / 4)
        return;
    w->last_beat = now;
    const char *argv[] = { "EVAL", heartbeat_script, "1", w->q.stream, w->a.group, w->a.name,
                           w->unit_entry };
    redisReply *r = queue_cmd_once(&w->q, 7, argv, NULL);
    if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 0 && !w->lost) {
        w->lost = 1;
        fprintf(stderr, "evclip: warning: unit %s was taken over by another worker (idle "
                "over --claim-timeout); finishing it anyway\n", w->unit_id);
    }
    freeReplyObject(r);
}

/* Progress callback: heartbeats, and the CLI's progress display. */
static int on_progress(void *opaque, const EvclipProgress *p)
{
    Worker *w = opaque;
    heartbeat(w);
    return abandon_requested;
}

/* "HOST-PID" into buf. */
static const char *default_name(char *buf, size_t n)
{
    char host[128] = "host";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = 0;
    snprintf(buf, n, "%s-%ld", host, (long)getpid());
    return buf;
}

/* Creates the group (reading the stream from its start) unless it exists. */
static int create_group(Worker *w)
{
    redisReply *r = queue_cmd(&w->q, "XGROUP CREATE %s %s 0 MKSTREAM", w->q.stream,
                              w->a.group);
    int ret = r && (r->type != REDIS_REPLY_ERROR || strstr(r->str, "BUSYGROUP")) ? 0 : -1;
    if (r && ret < 0)
        fprintf(stderr, "evclip: error: %s: creating group '%s': %s\n", w->q.url.shown,
                w->a.group, r->str);
    freeReplyObject(r);
    return ret;
}

/* 1 when nothing is waiting for the group nor pending in it (--drain). */
static int drained(Worker *w)
{
    redisReply *p = queue_cmd(&w->q, "XPENDING %s %s", w->q.stream, w->a.group);
    redisReply *g = queue_cmd(&w->q, "XINFO GROUPS %s", w->q.stream);
    int empty = p && p->type == REDIS_REPLY_ARRAY && p->elements > 0 &&
                p->element[0]->type == REDIS_REPLY_INTEGER && p->element[0]->integer == 0;
    for (size_t i = 0; empty && g && g->type == REDIS_REPLY_ARRAY && i < g->elements; i++) {
        const redisReply *name = queue_field(g->element[i], "name");
        const redisReply *lag = queue_field(g->element[i], "lag");
        if (name && name->str && !strcmp(name->str, w->a.group))
            empty = lag && lag->type == REDIS_REPLY_INTEGER && lag->integer == 0;
    }
    freeReplyObject(p);
    freeReplyObject(g);
    return empty;
}

/* Takes the next unit: one idle too long in the group first, else a new one (blocking up to
 * a second). Returns the entry [id, fields] inside *reply, or NULL (none, or stopping). */
static const redisReply *next_unit(Worker *w, redisReply **reply)
{
    char idle[32];
    snprintf(idle, sizeof(idle), "%lld", (long long)(w->a.claim_timeout * 1000));
    redisReply *r = queue_cmd(&w->q, "XAUTOCLAIM %s %s %s %s 0-0 COUNT 1", w->q.stream,
                              w->a.group, w->a.name, idle);
    *reply = r;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
        r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements > 0 &&
        r->element[1]->element[0]->type == REDIS_REPLY_ARRAY)
        return r->element[1]->element[0];
    freeReplyObject(r);
    if (stop_requested)
        return *reply = NULL;
    r = queue_cmd(&w->q, "XREADGROUP GROUP %s %s COUNT 1 BLOCK 1000 STREAMS %s >", w->a.group,
                  w->a.name, w->q.stream);
    *reply = r;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
        r->element[0]->elements == 2 && r->element[0]->element[1]->elements > 0)
        return r->element[0]->element[1]->element[0];
    if (r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "NOGROUP"))
        create_group(w); /* the stream was deleted (or Redis lost it): make it again */
    freeReplyObject(r);
    return *reply = NULL;
}

/* Times this entry was delivered (1 the first time), or 0 when unknown. */
static long long deliveries(Worker *w, const char *entry)
{
    redisReply *r = queue_cmd(&w->q, "XPENDING %s %s %s %s 1", w->q.stream, w->a.group, entry,
                              entry);
    long long n = 0;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 4)
        n = r->element[0]->element[3]->integer;
    freeReplyObject(r);
    return n;
}

static const char dead_script[] =
    "local e = redis.call('HGET', KEYS[3], ARGV[2]) or 'no error recorded (the worker died?)' "
    "redis.call('XADD', KEYS[2], '*', 'unit', ARGV[2], 'entry', ARGV[3], 'attempts', ARGV[4], "
    "'error', e, 'worker', ARGV[5], 'payload', ARGV[6]) "
    "redis.call('XACK', KEYS[1], ARGV[1], ARGV[3]) redis.call('HDEL', KEYS[3], ARGV[2]) "
    "return e";

/* Moves a unit delivered too often to the dead letters (atomically with its ack). */
static void dead_letter(Worker *w, const char *entry, const char *unit, const char *payload,
                        long long attempts)
{
    char n[32];
    snprintf(n, sizeof(n), "%lld", attempts - 1);
    const char *keys[] = { w->q.stream, w->q.dead, w->q.errors };
    const char *args[] = { w->a.group, unit, entry, n, w->a.name, payload };
    redisReply *r = queue_eval(&w->q, dead_script, 3, keys, 6, args);
    if (r && r->type == REDIS_REPLY_STRING)
        fprintf(stderr, "evclip: unit %s failed %s time%s: moved to %s (last error: %s)\n",
                unit, n, attempts == 2 ? "" : "s", w->q.dead, r->str);
    freeReplyObject(r);
}

/* Handles one entry [id, [field, value...]]. Returns 0, or -1 when abandoned. */
static int handle_entry(Worker *w, const redisReply *e)
{
    if (e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
        return 0;
    const char *entry = e->element[0]->str;
    const redisReply *unit = queue_field(e->element[1], "unit");
    const redisReply *payload = queue_field(e->element[1], "payload");
    long long n = deliveries(w, entry);
    const char *unit_id = unit && unit->str ? unit->str : entry;
    if (n > w->a.max_attempts) {
        dead_letter(w, entry, unit_id, payload && payload->str ? payload->str : "", n);
        return 0;
    }
    snprintf(w->unit_entry, sizeof(w->unit_entry), "%s", entry);
    snprintf(w->unit_id, sizeof(w->unit_id), "%s", unit_id);
    w->attempt = (int)(n > 0 ? n : 1);
    w->lost = 0;
    w->last_beat = cli_now();
    return worker_run_unit(w, payload && payload->str ? payload->str : "");
}

/* Records this worker as seen now. */
static void register_seen(Worker *w)
{
    char now[32];
    snprintf(now, sizeof(now), "%.3f", queue_wall_now());
    freeReplyObject(queue_cmd(&w->q, "HSET %s %s %s", w->q.workers, w->a.name, now));
}

static int work(Worker *w)
{
    while (!stop_requested) {
        redisReply *reply = NULL;
        register_seen(w);
        const redisReply *e = next_unit(w, &reply);
        int ret = e ? handle_entry(w, e) : 0;
        freeReplyObject(reply);
        if (ret < 0)
            return cli_exit_code(EVCLIP_ERR_CANCELED);
        if (!e && w->a.drain && !stop_requested && drained(w))
            break;
    }
    return EXIT_OK;
}

int cli_worker_main(int argc, char **argv)
{
    Worker w = { .a = { .stream = "evclip:jobs", .group = "renderers", .claim_timeout = 60,
                        .max_attempts = 3 } };
    char name[256];
    int ret = parse_args(&w.a, argc, argv);
    if (ret != 0)
        return ret < 0 ? EXIT_OK : ret;
    if (!w.a.name)
        w.a.name = default_name(name, sizeof(name));
    if ((ret = queue_open(&w.q, "worker", w.a.url, w.a.stream)) != 0)
        return ret;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    w.q.retry = 1;
    w.q.stop = &stop_requested;
    w.q.quiet = w.a.cli.quiet;
    w.progress = on_progress;
    w.abandon = &abandon_requested;
    w.renderer = &current_renderer;
    if (!w.a.cli.quiet)
        fprintf(stderr, "evclip: worker %s: group %s on %s (stream %s)\n", w.a.name,
                w.a.group, w.q.url.shown, w.q.stream);
    ret = create_group(&w) < 0 ? EXIT_FAILURE_OTHER : work(&w);
    if (ret == EXIT_OK && !w.a.cli.quiet)
        fprintf(stderr, "evclip: worker %s: %s after %d unit%s\n", w.a.name,
                stop_requested ? "stopped" : "drained", w.units_done,
                w.units_done == 1 ? "" : "s");
    if (abandon_requested && last_signal)
        ret = 128 + last_signal;
    queue_close(&w.q);
    return ret;
}
