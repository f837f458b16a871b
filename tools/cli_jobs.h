/* cli_jobs.h: JSON-lines job files (evclip batch, evclip submit): one clip spec per line. */
#ifndef EVCLIP_TOOLS_CLI_JOBS_H
#define EVCLIP_TOOLS_CLI_JOBS_H

#include <jansson.h>

#include "evclip/evclip.h"
#include "tools/cli_spec.h"

/* A job file as read: every non-blank line is a job; a broken one keeps its error. */
typedef struct Jobs {
    json_t **objects;   /* parsed lines (NULL for broken ones) */
    ClipSpec *specs;
    EvclipResult *results;
    int *clip_index;    /* line -> index into clips, or -1 */
    char **line_errors; /* "FILE:LINE: why", or NULL when the line is a valid clip */
    int *lines;         /* job -> its line number in the file */
    int *invalid;       /* job -> 1 when its line could not be parsed into a clip */
    int count;
} Jobs;

/* Reads and parses the job file at path (cli_batch.c): each line through spec_parse() with
 * `defaults` (relative paths against the file's folder), then its output folder checked (or,
 * with mkdirs or the line's "mkdirs", created). Returns 0 (read line_errors for the lines
 * that failed) or -1 after printing why the file could not be read. Free with jobs_free. */
int jobs_read(Jobs *j, const char *path, const EvclipSettings *defaults, int mkdirs,
              LogCache *cache);
void jobs_free(Jobs *j);

/* The two steps of jobs_read, for jobs that come from elsewhere (a queue): jobs_add appends
 * one line (obj is taken over; NULL with its error for a broken line); jobs_parse then parses
 * every line as jobs_read does, `path` naming them in errors ("PATH:LINE: ...") and `base`
 * resolving relative paths (NULL = as given). Return 0 or -1 (out of memory). */
int jobs_add(Jobs *j, json_t *obj, const char *error, int lineno);
int jobs_parse(Jobs *j, const char *path, const char *base, const EvclipSettings *defaults,
               int mkdirs, LogCache *cache);

#endif /* EVCLIP_TOOLS_CLI_JOBS_H */
