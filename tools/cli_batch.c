/* cli_batch.c: placeholder until batch lands. */
#include "tools/cli.h"

int cli_batch_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("evclip: error: batch is not built yet\n", stderr);
    return EXIT_FAILURE_OTHER;
}
