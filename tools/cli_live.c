/* cli_live.c: `evclip live`: hold rings of live streams, clip them on triggers read as JSON. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "tools/cli.h"
#include "tools/cli_redact.h"

static const char usage[] =
    "Usage: evclip live (--config CAMERAS.json | --url URL [--name NAME]) [options]\n"
    "\n"
    "Keeps the last seconds of each stream as encoded packets (no decoding while idle) and\n"
    "writes an evidence clip for each trigger: from the keyframe at or before now - pre to\n"
    "now + post, with the detections pushed so far burned in.\n"
    "\n"
    "Control: JSON lines on stdin (and on the Unix socket of --control):\n"
    "  {\"type\":\"trigger\",\"stream\":S,\"pre\":5,\"post\":5,\"id\":\"e1\",\n"
    "   \"output\":\"x.mp4\"}\n"
    "  {\"type\":\"detections\",\"stream\":S,\"wallclock\":EPOCH_S | \"pts\":SECONDS,\n"
    "   \"detections\":[{\"bbox\":[x1,y1,x2,y2],\"label\":\"car\",\"score\":0.9,\"track_id\":3}]}\n"
    "  {\"type\":\"start\",\"stream\":S,\"id\":\"r1\",\"pre\":5,\"max\":600}  (open-ended)\n"
    "  {\"type\":\"stop\",\"stream\":S,\"id\":\"r1\",\"post\":2}\n"
    "  {\"type\":\"add_stream\",\"config\":{\"name\":N,\"url\":U,...}}\n"
    "  {\"type\":\"remove_stream\",\"stream\":S}   (its clips are finished first)\n"
    "  {\"type\":\"list\"}   {\"type\":\"stats\"}   {\"type\":\"quit\"}\n"
    "Events: JSON lines on stdout: stream_up, stream_down, reconnecting, clock, clip_started,\n"
    "clip_extended, clip_finished, clip_failed, stats, list, stream_removed, error.\n"
    "\n"
    "Streams:\n"
    "      --config PATH       JSON array (or {\"streams\": [...]}) of {\"name\", \"url\",\n"
    "                          \"pre\", \"post\", \"transport\": \"tcp\"|\"udp\", \"realtime\",\n"
    "                          \"loop\", \"detection_delay\", \"native\",\n"
    "                          \"native_only\", \"tz\" (this stream's --tz)}\n"
    "      --url URL           one stream: rtsp://, http(s)://, srt://, udp://, or a file\n"
    "      --name NAME         its name (default cam)\n"
    "      --transport T       RTSP transport tcp (default) or udp\n"
    "      --realtime          read files at native speed (demos, tests)\n"
    "      --loop              with --realtime, restart a file at its end\n"
    "      --pre SECONDS       default pre-roll of triggers (default 10)\n"
    "      --post SECONDS      default post-roll of triggers (default 10)\n"
    "Pool:\n"
    "      --pre-roll-max S    seconds each ring keeps (default 30)\n"
    "      --ring-mb MB        hard bound of each ring in MiB (default 64)\n"
    "      --overlap MODE      trigger while a clip records: merge (extend it, default) or\n"
    "                          separate (a new clip)\n"
    "      --workers N         clip encoding threads (default 2)\n"
    "      --stall-timeout S   reconnect after S seconds without packets (default 5)\n"
    "      --backoff-max S     longest reconnect delay (default 30; from 0.5 s, doubling)\n"
    "      --detection-delay S a frame waits up to S s for its detections before it is\n"
    "                          encoded (default 1; later ones are counted late)\n"
    "      --control PATH      also accept control lines on a Unix socket at PATH (at most\n"
    "                          8 clients; each command gets one JSON reply line there:\n"
    "                          {\"reply\":\"ok\"|\"error\",\"type\",\"id\",\"message\"})\n"
    "      --max-line BYTES    longest control line (default 1048576); a longer one is\n"
    "                          refused whole, up to its newline\n"
    "      --client-timeout S  close socket clients idle for S seconds (default 60)\n"
    "      --native            also write OUTPUT.native.mp4 (.mkv when MP4 cannot carry the\n"
    "                          codec) beside each clip: the stream's own packets of the\n"
    "                          window, copied without re-encoding, listed in the manifest\n"
    "      --native-only       write only that copy (no decoding, no encoding), with its own\n"
    "                          manifest OUTPUT.native.mp4.evidence.json\n"
    "Output and drawing:\n"
    "      --output-dir DIR    clips triggered without \"output\" (default .)\n"
    "      --preview-hls DIR   HLS preview of each clip while it is encoded:\n"
    "                          DIR/NAME/index.m3u8 (fMP4 segments; not evidence)\n"
    "      --overwrite         replace existing outputs\n"
    "      --no-audio          drop audio\n"
    "      --preset NAME       x264 preset (default veryfast)   --crf N (default 23)\n"
    "      --hold MS           keep a box up to MS ms after its last detection\n"
    "      --timestamp         draw the wall-clock time on each frame\n"
    "      --tz ZONE           its zone for every stream without its own \"tz\": an IANA\n"
    "                          name (Europe/Berlin), UTC, or an offset (+05:30); default UTC\n"
    "      --title TEXT        caption in the top-left corner\n"
    "      --no-manifest       do not write OUTPUT.evidence.json beside each clip (stream\n"
    "                          URL without credentials, trigger ids, wall-clock window,\n"
    "                          clock, pre-roll, gaps, damaged packets, hashes)\n"
    "      --sign-key FILE     sign each manifest with this Ed25519 secret key (evclip keygen)\n"
    "      --redact SELECTOR   hide the boxes it selects in every clip: all, label=NAME,\n"
    "                          track=N (repeatable; hold included); --redact-mode\n"
    "                          pixelate|blur|fill, --redact-pad PX, --redact-label TEXT as\n"
    "                          for render (render's --redact-detections and --interpolate\n"
    "                          are not available live)\n"
    "  -q, --quiet             only errors on stderr\n"
    "  -v, --verbose           debug messages\n"
    "  -h, --help              this help\n"
    "\n"
    "SIGINT/SIGTERM (or {\"type\":\"quit\"}): stop reading; clips still recording are cut at the\n"
    "last packet and written (incomplete), queued clips are finished; a second signal abandons\n"
    "them (their temp files are removed). Nothing partial is ever left at an output path.\n"
    "Exit codes: 0 clean stop, 1 failure, 2 usage, 3 a stream URL/config is invalid,\n"
    "130/143 when a second signal abandoned clips.\n";

enum {
    OPT_CONFIG = 256, OPT_URL, OPT_NAME, OPT_TRANSPORT, OPT_REALTIME, OPT_LOOP, OPT_PRE,
    OPT_POST, OPT_PRE_MAX, OPT_RING_MB, OPT_OVERLAP, OPT_WORKERS, OPT_STALL, OPT_BACKOFF,
    OPT_DET_DELAY, OPT_CONTROL, OPT_OUTPUT_DIR, OPT_OVERWRITE, OPT_NO_AUDIO, OPT_PRESET,
    OPT_CRF, OPT_HOLD, OPT_TIMESTAMP, OPT_TITLE, OPT_MAX_LINE, OPT_CLIENT_TIMEOUT,
    OPT_NO_MANIFEST, OPT_SIGN_KEY, OPT_PREVIEW_HLS, OPT_NATIVE, OPT_NATIVE_ONLY,
};

static const struct option long_options[] = {
    { "config", required_argument, NULL, OPT_CONFIG },
    { "url", required_argument, NULL, OPT_URL },
    { "name", required_argument, NULL, OPT_NAME },
    { "transport", required_argument, NULL, OPT_TRANSPORT },
    { "realtime", no_argument, NULL, OPT_REALTIME },
    { "loop", no_argument, NULL, OPT_LOOP },
    { "pre", required_argument, NULL, OPT_PRE },
    { "post", required_argument, NULL, OPT_POST },
    { "pre-roll-max", required_argument, NULL, OPT_PRE_MAX },
    { "ring-mb", required_argument, NULL, OPT_RING_MB },
    { "overlap", required_argument, NULL, OPT_OVERLAP },
    { "workers", required_argument, NULL, OPT_WORKERS },
    { "stall-timeout", required_argument, NULL, OPT_STALL },
    { "backoff-max", required_argument, NULL, OPT_BACKOFF },
    { "detection-delay", required_argument, NULL, OPT_DET_DELAY },
    { "control", required_argument, NULL, OPT_CONTROL },
    { "output-dir", required_argument, NULL, OPT_OUTPUT_DIR },
    { "preview-hls", required_argument, NULL, OPT_PREVIEW_HLS },
    { "overwrite", no_argument, NULL, OPT_OVERWRITE },
    { "no-audio", no_argument, NULL, OPT_NO_AUDIO },
    { "preset", required_argument, NULL, OPT_PRESET },
    { "crf", required_argument, NULL, OPT_CRF },
    { "hold", required_argument, NULL, OPT_HOLD },
    { "timestamp", no_argument, NULL, OPT_TIMESTAMP },
    { "tz", required_argument, NULL, CLI_OPT_TZ },
    { "title", required_argument, NULL, OPT_TITLE },
    { "max-line", required_argument, NULL, OPT_MAX_LINE },
    { "client-timeout", required_argument, NULL, OPT_CLIENT_TIMEOUT },
    { "no-manifest", no_argument, NULL, OPT_NO_MANIFEST },
    { "sign-key", required_argument, NULL, OPT_SIGN_KEY },
    { "native", no_argument, NULL, OPT_NATIVE },
    { "native-only", no_argument, NULL, OPT_NATIVE_ONLY },
    { "quiet", no_argument, NULL, 'q' },
    { "verbose", no_argument, NULL, 'v' },
    { "redact", required_argument, NULL, CLI_OPT_REDACT },
    { "redact-mode", required_argument, NULL, CLI_OPT_REDACT_MODE },
    { "redact-pad", required_argument, NULL, CLI_OPT_REDACT_PAD },
    { "redact-label", required_argument, NULL, CLI_OPT_REDACT_LABEL },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

typedef struct LiveOptions {
    CliOptions cli;
    EvclipSettings settings;
    CliRedact redact;    /* --redact... (settings.draw_options points here when used) */
    EvclipLiveSettings live;
    EvclipStreamParams stream;
    const char *config, *control;
} LiveOptions;

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t max_line = 1 << 20;  /* --max-line */
static double client_timeout = 60; /* --client-timeout */
static int signal_pipe[2] = { -1, -1 };
static volatile sig_atomic_t signals_seen, last_signal;
static EvclipRenderer *volatile signal_renderer;

static void on_signal(int sig)
{
    int saved = errno;
    last_signal = sig;
    if (++signals_seen > 1 && signal_renderer)
        evclip_cancel(signal_renderer); /* second signal: abandon unfinished clips */
    if (signal_pipe[1] >= 0 && write(signal_pipe[1], "x", 1) < 0) {
        /* the main loop is woken by the pipe; nothing else to do */
    }
    errno = saved;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static const char *const event_names[] = {
    "stream_up", "stream_down", "reconnecting", "clip_started", "clip_extended",
    "clip_finished", "clip_failed", "clock", "stats", "stream_removed", "list",
};

static void field_string(FILE *f, const char *key, const char *value)
{
    if (!value)
        return;
    fprintf(f, ",\"%s\":", key);
    cli_json_string(f, value);
}

static void print_stats(FILE *f, const EvclipStreamStats *s)
{
    fprintf(f, ",\"connected\":%s,\"packets\":%lld,\"ring_packets\":%lld,\"ring_bytes\":%lld,"
            "\"ring_seconds\":%.3f,\"reconnects\":%lld,\"recording\":%d",
            s->connected ? "true" : "false", (long long)s->packets, (long long)s->ring_packets,
            (long long)s->ring_bytes, s->ring_seconds, (long long)s->reconnects, s->recording);
}

/* While a socket client's "list" runs (on the main thread, which also delivers its LIST
 * events), the streams are collected here for the reply. */
static _Thread_local json_t *list_capture;

static void capture_list(const EvclipLiveEvent *ev)
{
    json_t *clips = json_array();
    for (int i = 0; clips && i < ev->nb_trigger_ids; i++)
        json_array_append_new(clips, json_string(ev->trigger_ids[i]));
    const EvclipStreamStats *s = ev->stats;
    json_array_append_new(list_capture, json_pack(
        "{s:s, s:s, s:s, s:b, s:f, s:I, s:i, s:o}", "stream", ev->stream, "url", ev->path,
        "state", s->state, "connected", s->connected, "ring_seconds", s->ring_seconds,
        "ring_bytes", (json_int_t)s->ring_bytes, "recording", s->recording, "clips", clips));
}

/* Prints one event as a JSON line on stdout. */
static void on_event(void *opaque, const EvclipLiveEvent *ev)
{
    if (ev->type == EVCLIP_LIVE_LIST && list_capture && ev->stats)
        capture_list(ev);
    FILE *f = stdout;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    pthread_mutex_lock(&out_lock);
    fprintf(f, "{\"event\":\"%s\",\"time\":%.3f", event_names[ev->type],
            now.tv_sec + now.tv_nsec / 1e9);
    field_string(f, "stream", ev->stream);
    field_string(f, "id", ev->clip_id);
    if (ev->type != EVCLIP_LIVE_LIST)
        field_string(f, "path", ev->path);
    field_string(f, "clock", ev->clock);
    field_string(f, "message", ev->message);
    if (ev->type >= EVCLIP_LIVE_CLIP_STARTED && ev->type <= EVCLIP_LIVE_CLIP_FAILED)
        fprintf(f, ",\"start\":%.6f,\"end\":%.6f,\"incomplete\":%s", ev->start, ev->end,
                ev->incomplete ? "true" : "false");
    if (ev->type >= EVCLIP_LIVE_CLIP_STARTED && ev->type <= EVCLIP_LIVE_CLIP_FAILED) {
        fprintf(f, ",\"pre_requested\":%.3f,\"gaps\":[", ev->pre_requested);
        for (int i = 0; i < ev->ngaps; i++)
            fprintf(f, "%s[%.6f,%.6f]", i ? "," : "", ev->gaps[2 * i], ev->gaps[2 * i + 1]);
        fputc(']', f);
    }
    if (ev->type == EVCLIP_LIVE_CLIP_STARTED || ev->type == EVCLIP_LIVE_CLIP_EXTENDED)
        fprintf(f, ",\"pre_available\":%.3f", ev->pre_available);
    if (ev->type == EVCLIP_LIVE_CLIP_FINISHED) {
        fprintf(f, ",\"duration\":%.6f,\"frames\":%lld,\"damaged_packets\":%lld",
                ev->duration, (long long)ev->frames, (long long)ev->damaged_packets);
        fprintf(f, ",\"ready_after_end_s\":%.3f", ev->ready_after_end_s);
        fputs(",\"manifest\":", f);
        if (ev->manifest)
            cli_json_string(f, ev->manifest);
        else
            fputs("null", f);
        fputs(",\"native\":", f);
        if (ev->native_path)
            cli_json_string(f, ev->native_path);
        else
            fputs("null", f);
    }
    if (ev->type == EVCLIP_LIVE_CLIP_FINISHED || ev->type == EVCLIP_LIVE_CLIP_FAILED) {
        fputs(",\"trigger_ids\":[", f);
        for (int i = 0; i < ev->nb_trigger_ids; i++) {
            if (i)
                fputc(',', f);
            cli_json_string(f, ev->trigger_ids[i]);
        }
        fputc(']', f);
    }
    if (ev->type == EVCLIP_LIVE_CLIP_FINISHED || ev->type == EVCLIP_LIVE_CLIP_FAILED)
        fprintf(f, ",\"late_detections\":%lld,\"late_max_s\":%.3f",
                (long long)ev->late_detections, ev->late_max_s);
    if (ev->type == EVCLIP_LIVE_CLIP_FAILED)
        field_string(f, "error", evclip_strerror(ev->status));
    if (ev->type == EVCLIP_LIVE_RECONNECTING)
        fprintf(f, ",\"delay\":%.3f,\"attempt\":%d", ev->delay, ev->attempt);
    if ((ev->type == EVCLIP_LIVE_STATS || ev->type == EVCLIP_LIVE_LIST) && ev->stats)
        print_stats(f, ev->stats);
    if (ev->type == EVCLIP_LIVE_LIST) {
        field_string(f, "url", ev->path);
        field_string(f, "state", ev->stats ? ev->stats->state : NULL);
        fputs(",\"clips\":[", f);
        for (int i = 0; i < ev->nb_trigger_ids; i++) {
            if (i)
                fputc(',', f);
            cli_json_string(f, ev->trigger_ids[i]);
        }
        fputc(']', f);
    }
    fputs("}\n", f);
    fflush(f);
    pthread_mutex_unlock(&out_lock);
}

static void print_error_event(const char *message)
{
    pthread_mutex_lock(&out_lock);
    fputs("{\"event\":\"error\"", stdout);
    field_string(stdout, "message", message);
    fputs("}\n", stdout);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static int parse_option(LiveOptions *o, int c, const char *arg)
{
    double v;
    EvclipLiveSettings *l = &o->live;
    switch (c) {
    case OPT_CONFIG: o->config = arg; return 0;
    case OPT_URL: o->stream.url = arg; return 0;
    case OPT_NAME: o->stream.name = arg; return 0;
    case OPT_REALTIME: o->stream.realtime = 1; return 0;
    case OPT_LOOP: o->stream.loop = 1; return 0;
    case OPT_CONTROL: o->control = arg; return 0;
    case OPT_OUTPUT_DIR: l->output_dir = arg; return 0;
    case OPT_PREVIEW_HLS: l->preview_hls = arg; return 0;
    case OPT_OVERWRITE: o->settings.overwrite = 1; return 0;
    case OPT_NO_AUDIO: o->settings.audio = 0; return 0;
    case OPT_PRESET: o->settings.preset = arg; return 0;
    case OPT_TIMESTAMP: o->settings.timestamp = 1; return 0;
    case OPT_TITLE: o->settings.title = arg; return 0;
    case OPT_NO_MANIFEST: o->settings.manifest = 0; return 0;
    case OPT_SIGN_KEY: o->settings.sign_key = arg; return 0;
    case OPT_NATIVE: l->native = 1; return 0;
    case OPT_NATIVE_ONLY: l->native_only = 1; return 0;
    case 'q': o->cli.quiet = 1; return 0;
    case 'v': o->cli.verbose = 1; return 0;
    case OPT_TRANSPORT:
        if (strcmp(arg, "tcp") && strcmp(arg, "udp"))
            return cli_usage_error("live", "--transport: 'tcp' or 'udp'");
        o->stream.transport = !strcmp(arg, "udp") ? EVCLIP_TRANSPORT_UDP : EVCLIP_TRANSPORT_TCP;
        return 0;
    case CLI_OPT_REDACT:
    case CLI_OPT_REDACT_MODE:
    case CLI_OPT_REDACT_PAD:
    case CLI_OPT_REDACT_LABEL: {
        char err[1024];
        if (cli_redact_option(&o->redact, c, arg, err, sizeof(err)) != 0)
            return cli_usage_error("live", "%s", err);
        cli_redact_apply(&o->redact, &o->settings);
        return 0;
    }
    case CLI_OPT_TZ: { /* the pool's zone; checked here as render checks its --tz */
        char err[1024];
        CliRedact check;
        cli_redact_init(&check);
        if (cli_redact_option(&check, c, arg, err, sizeof(err)) != 0)
            return cli_usage_error("live", "%s", err);
        l->timezone = arg;
        return 0;
    }
    case OPT_OVERLAP:
        if (strcmp(arg, "merge") && strcmp(arg, "separate"))
            return cli_usage_error("live", "--overlap: 'merge' or 'separate'");
        l->overlap = !strcmp(arg, "separate") ? EVCLIP_OVERLAP_SEPARATE : EVCLIP_OVERLAP_MERGE;
        return 0;
    }
    static const struct { int opt; const char *name; double min, max; } ranges[] = {
        { OPT_PRE, "--pre", 0, 3600 }, { OPT_POST, "--post", 0, 3600 },
        { OPT_PRE_MAX, "--pre-roll-max", 0.1, 3600 }, { OPT_RING_MB, "--ring-mb", 1, 65536 },
        { OPT_WORKERS, "--workers", 1, 64 }, { OPT_STALL, "--stall-timeout", 0.1, 3600 },
        { OPT_BACKOFF, "--backoff-max", 0.5, 3600 },
        { OPT_DET_DELAY, "--detection-delay", 0, 60 }, { OPT_CRF, "--crf", 0, 51 },
        { OPT_HOLD, "--hold", 0, 3600000 }, { OPT_MAX_LINE, "--max-line", 64, 1 << 30 },
        { OPT_CLIENT_TIMEOUT, "--client-timeout", 0.1, 86400 },
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (ranges[i].opt != c)
            continue;
        if (cli_number(ranges[i].name, arg, ranges[i].min, ranges[i].max, &v) < 0)
            return EXIT_USAGE;
        switch (c) {
        case OPT_PRE: o->stream.pre = v; break;
        case OPT_POST: o->stream.post = v; break;
        case OPT_PRE_MAX: l->pre_roll_max = v; break;
        case OPT_RING_MB: l->ring_bytes = (int64_t)(v * 1048576); break;
        case OPT_WORKERS: l->workers = (int)v; break;
        case OPT_STALL: l->stall_timeout = v; break;
        case OPT_BACKOFF: l->backoff_max = v; break;
        case OPT_DET_DELAY: l->detection_delay = v; break;
        case OPT_CRF: o->settings.crf = (int)v; break;
        case OPT_HOLD: o->settings.hold = v / 1000; break;
        case OPT_MAX_LINE: max_line = (size_t)v; break;
        case OPT_CLIENT_TIMEOUT: client_timeout = v; break;
        }
        return 0;
    }
    fputs(usage, c == 'h' ? stdout : stderr);
    return c == 'h' ? -1 : EXIT_USAGE;
}

static int parse_args(LiveOptions *o, int argc, char **argv)
{
    int c, ret;
    evclip_default_settings(&o->settings);
    evclip_live_default_settings(&o->live);
    cli_redact_init(&o->redact);
    o->stream.name = "cam";
    if (cli_check_options("live", argc, argv, "qvh", long_options))
        return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "qvh", long_options, NULL)) != -1)
        if ((ret = parse_option(o, c, optarg)) != 0)
            return ret;
    if (optind < argc)
        return cli_usage_error("live", "unexpected argument '%s'", argv[optind]);
    if (!o->config == !o->stream.url)
        return cli_usage_error("live", "give either --config or --url");
    if (o->live.backoff_max < o->live.backoff_min)
        o->live.backoff_min = o->live.backoff_max;
    return 0;
}

/* One control input (stdin or a socket client): the bytes of its unfinished line. */
typedef struct LineBuffer {
    int fd;
    int reply;          /* socket client: one JSON reply per command on fd */
    char *buf;          /* the line so far (at most max_line bytes) */
    size_t len, cap;
    int discarding;     /* the current line went over max_line: dropped up to its newline */
    double last_active; /* monotonic seconds of the last byte received */
    int broken;         /* a reply could not be sent: close after this read */
} LineBuffer;

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sends one reply line to a socket client; a client that does not read its replies (its
 * buffer full) gets nothing more: returns -1 and the caller closes it. */
static int send_reply(int fd, const char *status, const char *type, const char *id,
                      const char *message)
{
    json_t *o = json_pack("{s:s}", "reply", status);
    if (!o)
        return -1;
    if (list_capture && !strcmp(status, "ok") && type && !strcmp(type, "list"))
        json_object_set(o, "streams", list_capture);
    if (type)
        json_object_set_new(o, "type", json_string(type));
    if (id)
        json_object_set_new(o, "id", json_loads(id, JSON_DECODE_ANY, NULL));
    if (message)
        json_object_set_new(o, "message", json_string(message));
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    if (!text)
        return -1;
    size_t n = strlen(text);
    text[n] = '\n'; /* json_dumps' terminator becomes the newline */
    ssize_t sent = send(fd, text, n + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    free(text);
    return sent == (ssize_t)(n + 1) ? 0 : -1;
}

/* The "type" and "id" (JSON text) of a command, for its reply; NULL when absent. */
static void command_names(const char *line, char *type, size_t tsize, char **id)
{
    json_t *msg = json_loads(line, 0, NULL);
    const json_t *idv = json_object_get(msg, "id");
    snprintf(type, tsize, "%s", json_string_value(json_object_get(msg, "type")) ?
             json_string_value(json_object_get(msg, "type")) : "");
    *id = json_is_string(idv) || json_is_integer(idv) ? json_dumps(idv, JSON_ENCODE_ANY)
                                                      : NULL;
    json_decref(msg);
}

/* Reports a failure on stdout (an error event) and, for a socket client, in its reply. */
static int reject(LineBuffer *b, const char *type, const char *id, const char *message)
{
    print_error_event(message);
    if (b->reply && send_reply(b->fd, "error", type, id, message) < 0)
        b->broken = 1;
    return 0;
}

/* Runs one complete line. Returns 1 on quit, -1 when a socket client must be closed. */
static int run_line(EvclipLive *live, LineBuffer *b, char *line, size_t n)
{
    if (memchr(line, '\0', n))
        return reject(b, NULL, NULL, "control line contains a NUL byte: ignored");
    while (*line == ' ' || *line == '\t')
        line++;
    n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = '\0';
    if (!n)
        return 0;
    char type[64], *id = NULL;
    list_capture = b->reply ? json_array() : NULL; /* a "list" answers in its reply too */
    int ret = evclip_live_control(live, line), sent = 0;
    if (b->reply || ret < 0)
        command_names(line, type, sizeof(type), &id);
    if (ret < 0)
        reject(b, *type ? type : NULL, id,
                      *evclip_last_error() ? evclip_last_error() : evclip_strerror(ret));
    else if (b->reply)
        sent = send_reply(b->fd, "ok", *type ? type : NULL, id, NULL);
    free(id);
    json_decref(list_capture);
    list_capture = NULL;
    if (sent < 0)
        b->broken = 1; /* the lines already received still run; then the client is closed */
    return ret == EVCLIP_LIVE_QUIT;
}

static int append(LineBuffer *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb)
            return -1;
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, p, n);
    b->len += n;
    b->buf[b->len] = '\0';
    return 0;
}

/* Reads what is available and runs each complete line; a line over max_line is refused
 * whole (nothing of it runs) and dropped up to its newline. Returns 1 on quit, -1 on end of
 * input (or a socket client to close), else 0. */
static int feed(EvclipLive *live, LineBuffer *b)
{
    char chunk[65536], msg[160];
    ssize_t got = read(b->fd, chunk, sizeof(chunk));
    if (got <= 0)
        return got < 0 && (errno == EINTR || errno == EAGAIN) ? 0 : -1;
    b->last_active = mono_now();
    const char *p = chunk, *end = chunk + got;
    int ret = 0;
    while (p < end && ret == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (b->discarding) {
            b->discarding = !nl;
        } else if (b->len + n > max_line) {
            snprintf(msg, sizeof(msg), "control line longer than %zu bytes (--max-line): "
                     "refused whole", max_line);
            reject(b, NULL, NULL, msg);
            b->len = 0;
            b->discarding = !nl;
        } else if (append(b, p, n) < 0) {
            reject(b, NULL, NULL, "out of memory: control line dropped");
            b->len = 0;
            b->discarding = !nl;
        } else if (nl) {
            ret = run_line(live, b, b->buf, b->len);
            b->len = 0;
        }
        p = nl ? nl + 1 : end;
    }
    return ret > 0 ? ret : b->broken ? -1 : 0;
}

static void client_close(LineBuffer **pb)
{
    if (!*pb)
        return;
    close((*pb)->fd);
    free((*pb)->buf);
    free(*pb);
    *pb = NULL;
}

static int open_control(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(addr.sun_path))
        return -1;
    strcpy(addr.sun_path, path);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path); /* a stale socket of an earlier run; never another kind of file */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 8) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

#define MAX_CLIENTS 8

/* Accepts a socket client, or refuses it with an error line when all slots are taken. */
static void accept_client(int listen_fd, LineBuffer **clients)
{
    int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC), slot = 0;
    if (fd < 0)
        return;
    while (slot < MAX_CLIENTS && clients[slot])
        slot++;
    if (slot == MAX_CLIENTS || !(clients[slot] = calloc(1, sizeof(LineBuffer)))) {
        char msg[96];
        snprintf(msg, sizeof(msg), "too many control clients (%d): connection refused",
                 MAX_CLIENTS);
        send_reply(fd, "error", NULL, NULL, msg);
        close(fd);
        return;
    }
    *clients[slot] = (LineBuffer){ .fd = fd, .reply = 1, .last_active = mono_now() };
}

/* Closes clients idle for client_timeout seconds (after telling them); returns the poll
 * timeout in ms until the next one may expire (-1: none). */
static int expire_clients(LineBuffer **clients)
{
    double now = mono_now(), next = INFINITY;
    char msg[96];
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (!clients[i])
            continue;
        double left = clients[i]->last_active + client_timeout - now;
        if (left <= 0) {
            snprintf(msg, sizeof(msg), "idle for %g s (--client-timeout): connection closed",
                     client_timeout);
            send_reply(clients[i]->fd, "error", NULL, NULL, msg);
            client_close(&clients[i]);
        } else if (left < next) {
            next = left;
        }
    }
    return isinf(next) ? -1 : (int)ceil(next * 1000);
}

/* Serves stdin, the control socket and its clients until quit or a signal. */
static void serve(EvclipLive *live, int listen_fd)
{
    LineBuffer in = { .fd = STDIN_FILENO };
    LineBuffer *clients[MAX_CLIENTS] = { 0 };
    int stdin_open = 1;

    while (!signals_seen) {
        struct pollfd fds[3 + MAX_CLIENTS];
        int n = 0, quit = 0, timeout = expire_clients(clients);
        fds[n++] = (struct pollfd){ signal_pipe[0], POLLIN, 0 };
        fds[n++] = (struct pollfd){ stdin_open ? STDIN_FILENO : -1, POLLIN, 0 };
        fds[n++] = (struct pollfd){ listen_fd, POLLIN, 0 };
        for (int i = 0; i < MAX_CLIENTS; i++)
            fds[n++] = (struct pollfd){ clients[i] ? clients[i]->fd : -1, POLLIN, 0 };
        if (poll(fds, n, timeout) <= 0)
            continue;
        if (fds[1].revents && (quit = feed(live, &in)) < 0)
            stdin_open = quit = 0; /* stdin closed: keep serving until a signal */
        if (fds[2].revents & POLLIN)
            accept_client(listen_fd, clients);
        for (int i = 0; i < MAX_CLIENTS && quit <= 0; i++) {
            if (!clients[i] || !fds[3 + i].revents)
                continue;
            if ((quit = feed(live, clients[i])) < 0) {
                client_close(&clients[i]);
                quit = 0;
            }
        }
        if (quit > 0)
            break;
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
        client_close(&clients[i]);
    free(in.buf);
}

static int add_streams(EvclipLive *live, const LiveOptions *o)
{
    int ret = o->config ? evclip_live_add_config(live, o->config)
                        : evclip_live_add_stream(live, &o->stream);
    if (ret < 0) {
        cli_print_error(ret);
        return EXIT_INPUT;
    }
    return 0;
}

int cli_live_main(int argc, char **argv)
{
    LiveOptions o = { 0 };
    EvclipRenderer *r = NULL;
    EvclipLive *live = NULL;
    int ret, listen_fd = -1;

    if ((ret = parse_args(&o, argc, argv)) != 0)
        return ret < 0 ? EXIT_OK : ret;
    o.settings.log_callback = cli_log;
    o.settings.ffmpeg_log = 1; /* the CLI is the host: FFmpeg speaks through its log */
    o.settings.log_opaque = &o.cli;
    o.settings.log_level = o.cli.quiet ? EVCLIP_LOG_ERROR
                                       : o.cli.verbose ? EVCLIP_LOG_DEBUG : EVCLIP_LOG_WARNING;
    o.live.event_callback = on_event;
    if (pipe(signal_pipe) < 0)
        return EXIT_FAILURE_OTHER;
    fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK);
    if ((ret = evclip_open(&r, &o.settings)) < 0) {
        cli_print_error(ret);
        return cli_exit_code(ret);
    }
    signal_renderer = r;
    install_signals();
    if (o.control && (listen_fd = open_control(o.control)) < 0) {
        fprintf(stderr, "evclip: error: cannot listen on '%s': %s\n", o.control,
                strerror(errno));
        evclip_close(&r);
        return EXIT_USAGE;
    }
    if ((ret = evclip_live_open(&live, r, &o.live)) < 0) {
        cli_print_error(ret);
        ret = EXIT_USAGE;
    } else if ((ret = add_streams(live, &o)) == 0) {
        serve(live, listen_fd);
    }
    evclip_live_close(&live); /* finishes (or, after a second signal, removes) clips */
    signal_renderer = NULL;
    evclip_close(&r);
    if (listen_fd >= 0) {
        close(listen_fd);
        unlink(o.control);
    }
    if (ret == 0 && signals_seen > 1)
        ret = last_signal == SIGTERM ? 143 : EXIT_INTERRUPTED;
    return ret;
}
