/* cli_integrity.c: placeholder until the integrity work lands. */
#include "tools/cli.h"

static int missing(void)
{
    fputs("evclip: error: integrity commands are not built yet\n", stderr);
    return EXIT_FAILURE_OTHER;
}

int cli_keygen_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return missing();
}

int cli_verify_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return missing();
}

int cli_inspect_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return missing();
}
