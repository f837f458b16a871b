/* cli_report.c: `evclip report`: a static HTML review page of clips. */
#include "tools/cli.h"

int cli_report_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return EXIT_FAILURE_OTHER;
}
