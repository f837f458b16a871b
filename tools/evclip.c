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
    "  live      ring buffers on live streams (RTSP...), clips on triggers\n"
    "  keygen    create an Ed25519 key pair for signing manifests\n"
    "  verify    check a clip against its evidence manifest (and signature)\n"
    "  inspect   print the detections embedded in a clip, one JSON line per frame\n"
    "  demo      render a synthetic scene with moving objects (no input needed)\n"
    "\n"
    "Run 'evclip COMMAND --help' for a command's options.\n"
    "  -h, --help      this help\n"
    "  -V, --version   print the version\n"
    "\n"
    "Exit codes: 0 ok, 1 other failure, 2 usage, 3 input, 4 detections, 5 window,\n"
    "6 output, 7 encoder/font, 9 batch: some clips failed (or conflicting outputs),\n"
    "130/143 interrupted by SIGINT/SIGTERM.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("evclip %s\n", evclip_version());
        return EXIT_OK;
    }
    static const struct {
        const char *name;
        int (*main)(int, char **);
    } commands[] = {
        { "render", cli_render_main }, { "demo", cli_demo_main },
        { "batch", cli_batch_main }, { "live", cli_live_main },
        { "keygen", cli_keygen_main }, { "verify", cli_verify_main },
        { "inspect", cli_inspect_main },
    };
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "evclip: error: unknown command '%s'\nTry 'evclip --help'.\n", cmd);
    return EXIT_USAGE;
}
