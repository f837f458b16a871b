/* cli_worker.h: what the worker's loop (cli_worker.c) and its unit runner (cli_worker_unit.c)
 * share. */
#ifndef EVCLIP_TOOLS_CLI_WORKER_H
#define EVCLIP_TOOLS_CLI_WORKER_H

#include <signal.h>

#include "tools/cli.h"
#include "tools/cli_queue.h"

typedef struct WorkerArgs {
    const char *url, *stream, *group, *name;
    int jobs, max_attempts, drain;
    double claim_timeout;  /* seconds */
    CliOptions cli;
} WorkerArgs;

typedef struct Worker {
    WorkerArgs a;
    Queue q;
    char unit_entry[64];   /* the stream entry of the unit being rendered */
    char unit_id[80];
    int attempt;           /* its delivery count (1 = first) */
    int lost;              /* 1 when another worker took it over meanwhile */
    double last_beat;      /* monotonic time of the last heartbeat */
    int units_done;
    EvclipProgressCallback progress;     /* heartbeats (cli_worker.c) */
    volatile sig_atomic_t *abandon;      /* a second signal: give the unit up */
    EvclipRenderer *volatile *renderer;  /* where the signal handler finds the renderer */
} Worker;

/* Renders the unit whose JSON payload is given (w->unit_* set), publishes one result per clip
 * and acks it when every clip is ok; a failed clip leaves the unit pending (to be retried
 * after --claim-timeout) with its error recorded. Returns 0, or -1 when abandoned. */
int worker_run_unit(Worker *w, const char *payload);

#endif /* EVCLIP_TOOLS_CLI_WORKER_H */
