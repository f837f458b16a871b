/* cli.h: shared pieces of the evclip command line: logging, progress, signals, exit codes. */
#ifndef EVCLIP_TOOLS_CLI_H
#define EVCLIP_TOOLS_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "evclip/evclip.h"

/* Exit codes (documented in `evclip --help` and README.md). */
enum CliExit {
    EXIT_OK = 0,
    EXIT_FAILURE_OTHER = 1, /* internal error, out of memory, unsupported */
    EXIT_USAGE = 2,         /* bad command line */
    EXIT_INPUT = 3,         /* input missing, unreadable, not a video, no video, decode error */
    EXIT_DETECTIONS = 4,    /* detection log unreadable or malformed */
    EXIT_WINDOW = 5,        /* window empty or outside the video */
    EXIT_OUTPUT = 6,        /* output directory missing, output exists, write failure */
    EXIT_ENCODER = 7,       /* encoder or font unavailable */
    EXIT_WARNINGS = 8,      /* --strict: the clip rendered with warnings (may be wrong) */
    EXIT_INTERRUPTED = 130, /* SIGINT (143 for SIGTERM) */
};

enum CliProgress {
    CLI_PROGRESS_OFF = 0,
    CLI_PROGRESS_BAR = 1,   /* one line redrawn in place, fitted to the terminal width */
    CLI_PROGRESS_LINES = 2, /* stderr is not a TTY: a line at every 10% */
};

typedef struct CliOptions {
    int quiet, verbose, json;
    int progress;       /* enum CliProgress (BAR when stderr is a TTY and not quiet/json) */
    double started;     /* monotonic seconds at the first progress report (0 = none yet) */
    int last_tenth;     /* LINES: last 10% step printed */
} CliOptions;

/* The progress display for stderr: OFF when quiet or json, BAR on a TTY, else LINES. */
int cli_progress_mode(const CliOptions *o);

/* Log callback printing "evclip: level: message" on stderr. opaque: CliOptions*. */
void cli_log(void *opaque, int level, const char *message);

/* Progress callback drawing a bar on stderr. opaque: CliOptions*. */
int cli_progress(void *opaque, const EvclipProgress *p);
void cli_progress_end(const CliOptions *o);

/* Installs SIGINT/SIGTERM handlers that cancel r (pass NULL to detach). */
void cli_handle_signals(EvclipRenderer *r);
/* Makes SIGINT, SIGTERM and SIGPIPE remove the temp file `temp` (borrowed until the process
 * ends; NULL = none), then end the process by that signal: a killed command leaves nothing. */
void cli_remove_on_signal(const char *temp);
/* Signal received since cli_handle_signals, or 0. */
int cli_signal_received(void);

/* Maps an evclip error code to the exit code (accounting for a received signal). */
int cli_exit_code(int code);

/* Prints "evclip: error: ..." with evclip_last_error() (or the code's text). */
void cli_print_error(int code);

/* Parses seconds: "12.5", "1:02.5", "01:02:03.25" (digits, '.' and ':' only; minutes and
 * seconds after a ':' below 60). Returns 0 or -1. (cli_values.c) */
int cli_parse_time(const char *s, double *out);
/* Parses a finite number / an integer in [min, max]. Return 0 or -1 and print a usage error
 * naming the option. */
int cli_number(const char *option, const char *s, double min, double max, double *out);
int cli_integer(const char *option, const char *s, long long min, long long max,
                long long *out);

/* Writes s as a JSON string literal. */
void cli_json_string(FILE *f, const char *s);
/* Writes the JSON summary of a render on stdout. */
void cli_json_result(const char *output, const EvclipResult *res, int exit_code);

/* cli_summary.c: extra facts of the --json summary. */
typedef struct CliSummary {
    double elapsed;  /* wall-clock seconds of the command */
    int manifest;    /* 1 when OUTPUT.evidence.json was written */
    int to_end;      /* 1 when the window ran to the end of the input (no --end) */
} CliSummary;
/* Monotonic clock in seconds. */
double cli_now(void);
/* Writes the result's warnings as a JSON array of strings. */
void cli_json_warnings(FILE *f, const EvclipResult *res);
/* Writes the JSON summary of a render on stdout: status, output, exit_code, elapsed,
 * warnings, then manifest, sha256, frames... (or code and error on failure). */
void cli_json_summary(const char *output, const EvclipResult *res, int exit_code,
                      const CliSummary *x);
/* With strict, an ok exit with warnings becomes EXIT_WARNINGS (and says so unless quiet). */
int cli_strict_exit(int strict, int code, int nb_warnings, int quiet);

/* Prints a usage error and returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Checks a subcommand's arguments before getopt_long sees them: long options must be spelled
 * exactly (getopt's silent unique-prefix matching is refused), values must be present, and an
 * unknown option gets "did you mean '--start'?". Returns 0, or EXIT_USAGE after the error. */
int cli_check_options(const char *command, int argc, char **argv, const char *shortopts,
                      const struct option *longopts);
/* The candidate closest to word[0..len) (edit distance <= 2, or word a prefix of it), or NULL
 * when none is close enough to be a plausible typo. (cli_suggest.c) */
const char *cli_suggest(const char *word, size_t len, const char *const *candidates, size_t n);

/* Subcommands. */
int cli_render_main(int argc, char **argv);
int cli_demo_main(int argc, char **argv);
int cli_batch_main(int argc, char **argv);     /* cli_batch.c */
int cli_live_main(int argc, char **argv);      /* cli_live.c */
int cli_keygen_main(int argc, char **argv);    /* cli_integrity.c */
int cli_verify_main(int argc, char **argv);    /* cli_integrity.c */
int cli_inspect_main(int argc, char **argv);   /* cli_integrity.c */
int cli_submit_main(int argc, char **argv);    /* cli_submit.c */
int cli_worker_main(int argc, char **argv);    /* cli_worker.c */
int cli_status_main(int argc, char **argv);    /* cli_queue_status.c */
int cli_results_main(int argc, char **argv);   /* cli_queue_status.c */
int cli_events_main(int argc, char **argv);    /* cli_events.c */
int cli_report_main(int argc, char **argv);    /* cli_report.c */

#endif /* EVCLIP_TOOLS_CLI_H */
