/* cli_summary.c: what a render reports: the --json summary (elapsed time, manifest, SHA-256,
 * warnings) and --strict (warnings make the exit code EXIT_WARNINGS). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tools/cli.h"

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void cli_json_warnings(FILE *f, const EvclipResult *res)
{
    char line[EVCLIP_WARNINGS_SIZE];
    int first = 1;
    fputc('[', f);
    for (const char *p = res->warnings; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        memcpy(line, p, n);
        line[n] = '\0';
        fputs(first ? "" : ", ", f);
        cli_json_string(f, line);
        first = 0;
        p += n + (nl != NULL);
    }
    fputc(']', f);
}

void cli_json_summary(const char *output, const EvclipResult *res, int exit_code,
                      const CliSummary *x)
{
    printf("{\"status\": \"%s\", \"output\": ", res->status < 0 ? "error" : "ok");
    cli_json_string(stdout, output);
    printf(", \"exit_code\": %d, \"elapsed\": %.3f, \"warnings\": ", exit_code, x->elapsed);
    cli_json_warnings(stdout, res);
    if (res->status < 0) {
        printf(", \"code\": %d, \"error\": ", res->status);
        cli_json_string(stdout, res->error);
        printf("}\n");
        return;
    }
    printf(", \"manifest\": ");
    if (x->manifest) {
        char path[4096];
        snprintf(path, sizeof(path), "%s.evidence.json", output);
        cli_json_string(stdout, path);
    } else {
        printf("null");
    }
    printf(", \"sha256\": ");
    cli_json_string(stdout, res->output_sha256);
    printf(", \"to_end\": %s, \"frames\": %lld, \"duration\": %.6f, \"first_time\": %.6f, "
           "\"last_time\": %.6f, \"boxes_drawn\": %lld, \"frames_decoded\": %lld, "
           "\"audio\": %s, \"encoder\": ", x->to_end ? "true" : "false",
           (long long)res->frames, res->duration, res->first_time, res->last_time,
           (long long)res->boxes_drawn, (long long)res->frames_decoded,
           res->has_audio ? "true" : "false");
    cli_json_string(stdout, res->encoder);
    printf(", \"width\": %d, \"height\": %d, \"damaged_packets\": %lld}\n", res->width,
           res->height, (long long)res->damaged_packets);
}

int cli_strict_exit(int strict, int code, int nb_warnings, int quiet)
{
    if (!strict || code != EXIT_OK || nb_warnings == 0)
        return code;
    if (!quiet)
        fprintf(stderr, "evclip: error: --strict: %d warning%s (above); exit code %d\n",
                nb_warnings, nb_warnings == 1 ? "" : "s", EXIT_WARNINGS);
    return EXIT_WARNINGS;
}
