/* evclip.c: the evclip command: dispatches to subcommands. */
#include <stdio.h>
#include <string.h>

#include "tools/cli.h"

static const char usage[] =
    "Usage: evclip COMMAND [options]\n"
    "\n"
    "Evidence clips: trimmed H.264 MP4 with detections burned in.\n"
    "\n"
    "Commands:\n"
    "  render    one clip from a video and a detection log (or several videos)\n"
    "  batch     many clips from one JSON-lines job file, each source decoded once\n"
    "  events    event windows from detection logs, as batch job lines\n"
    "  report    a static HTML review page of clips (posters, timelines, integrity)\n"
    "  live      ring buffers on live streams (RTSP...), clips on triggers\n"
    "  keygen    create an Ed25519 key pair for signing manifests\n"
    "  verify    check a clip against its evidence manifest (and signature)\n"
    "  inspect   print the detections embedded in a clip, one JSON line per frame\n"
    "  demo      render a synthetic scene with moving objects (no input needed)\n"
    "\n"
    "Run 'evclip help COMMAND' (or 'evclip COMMAND --help') for a command's options.\n"
    "Long options are spelled in full (no abbreviations).\n"
    "  -h, --help      this help\n"
    "  -V, --version   print the version\n"
    "\n"
    "Exit codes:\n"
    "  0        ok\n"
    "  1        other failure (internal error, out of memory, unsupported)\n"
    "  2        usage (bad command line)\n"
    "  3        input missing, unreadable, not a video, truncated, no video stream\n"
    "  4        detection log unreadable or malformed\n"
    "  5        window empty or outside the video\n"
    "  6        output: directory missing, file exists, write error\n"
    "  7        encoder or font unavailable\n"
    "  8        --strict: the clip (batch: some clip) was written but has warnings\n"
    "  9        batch: some clips failed or job lines were not parsed (see the report), or\n"
    "           two clips share an output\n"
    "  10       verify: the clip differs from the manifest's hash\n"
    "  11       verify: manifest edited (signature mismatch) or malformed\n"
    "  12       verify: signed by another key, or unsigned with --pubkey\n"
    "  13       verify: a source or detection log missing or changed (--sources)\n"
    "  20       submit/worker/status/results: Redis unreachable\n"
    "  21       submit/worker/status/results: Redis refused the user or password\n"
    "  130/143  interrupted by SIGINT/SIGTERM\n";

static const struct {
    const char *name;
    int (*main)(int, char **);
} commands[] = {
    { "render", cli_render_main }, { "demo", cli_demo_main },
    { "batch", cli_batch_main }, { "live", cli_live_main },
    { "keygen", cli_keygen_main }, { "verify", cli_verify_main },
    { "inspect", cli_inspect_main }, { "submit", cli_submit_main },
    { "worker", cli_worker_main }, { "status", cli_status_main },
    { "results", cli_results_main },
    { "inspect", cli_inspect_main }, { "events", cli_events_main },
    { "report", cli_report_main },
};
#define NB_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static int find_command(const char *name)
{
    for (size_t i = 0; i < NB_COMMANDS; i++)
        if (!strcmp(name, commands[i].name))
            return (int)i;
    return -1;
}

static int unknown_command(const char *name)
{
    const char *names[NB_COMMANDS + 2];
    for (size_t i = 0; i < NB_COMMANDS; i++)
        names[i] = commands[i].name;
    names[NB_COMMANDS] = "help";
    names[NB_COMMANDS + 1] = "version";
    const char *hint = cli_suggest(name, strlen(name), names, NB_COMMANDS + 2);
    if (hint)
        fprintf(stderr, "evclip: error: unknown command '%s'; did you mean '%s'?\n", name,
                hint);
    else
        fprintf(stderr, "evclip: error: unknown command '%s'\n", name);
    fputs("Try 'evclip --help'.\n", stderr);
    return EXIT_USAGE;
}

/* `evclip help [COMMAND]`: the top-level help, or COMMAND's own --help. */
static int help(int argc, char **argv)
{
    if (argc < 3) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (argc > 3) {
        fputs("evclip: error: 'help' takes at most one COMMAND\nTry 'evclip --help'.\n",
              stderr);
        return EXIT_USAGE;
    }
    int i = find_command(argv[2]);
    if (i < 0)
        return unknown_command(argv[2]);
    static char help_flag[] = "--help";
    char *args[] = { argv[2], help_flag, NULL };
    return commands[i].main(2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help"))
        return help(argc, argv);
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("evclip %s\n", evclip_version());
        return EXIT_OK;
    }
    int i = find_command(cmd);
    if (i >= 0)
        return commands[i].main(argc - 1, argv + 1);
    return unknown_command(cmd);
}
