/* cli_live.c: placeholder until live mode lands. */
#include "tools/cli.h"

int cli_live_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("evclip: error: live mode is not built yet\n", stderr);
    return EXIT_FAILURE_OTHER;
}
