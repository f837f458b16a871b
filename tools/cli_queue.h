/* cli_queue.h: the Redis Streams queue of evclip submit/worker/status/results: URLs,
 * connections that come back after a Redis restart, key names, stable ids. */
#ifndef EVCLIP_TOOLS_CLI_QUEUE_H
#define EVCLIP_TOOLS_CLI_QUEUE_H

#include <signal.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

/* Exit codes of the queue commands (README "Scale out", `evclip --help`). */
enum QueueExit {
    EXIT_QUEUE_DOWN = 20,  /* Redis unreachable (refused, timed out, no such socket) */
    EXIT_QUEUE_AUTH = 21,  /* Redis refused the user/password (or wants one) */
};

/* A parsed --redis URL: redis://[[user]:password@]host[:port][/db] or unix:///path[?db=N]. */
typedef struct QueueUrl {
    char host[256];     /* "" for unix sockets */
    int port;           /* default 6379 */
    char path[1024];    /* unix socket path, or "" */
    char user[128];     /* "" = default user */
    char password[256]; /* "" = none; never printed */
    int db;             /* SELECT db; default 0 */
    char shown[1400];   /* the URL for messages, password replaced by "***" */
} QueueUrl;

/* One connection. With `retry` set, a lost connection is re-made with backoff (0.1 s doubling
 * to 5 s) until it succeeds or *stop becomes non-zero; otherwise a command fails at once. */
typedef struct Queue {
    QueueUrl url;
    redisContext *c;
    int retry;
    volatile sig_atomic_t *stop;  /* NULL = never give up */
    int quiet;
    /* Key names: the stream and, beside it, "<prefix>:results", ":dead", ":done", ":failed",
     * ":units", ":errors", ":workers" (prefix = the stream name without a final ":jobs"). */
    char stream[256], results[300], dead[300], done[300], failed[300], units[300],
        errors[300], workers[300];
} Queue;

/* Parses url into u. Returns 0, or -1 with the reason in err (the password never in it). */
int queue_parse_url(const char *url, QueueUrl *u, char *err, size_t errlen);

/* Parses the URL, connects, authenticates and selects the database; prints a clear error and
 * returns EXIT_USAGE (bad URL, stream name, database), EXIT_QUEUE_DOWN or EXIT_QUEUE_AUTH on
 * failure, 0 on success. */
int queue_open(Queue *q, const char *command, const char *url, const char *stream);
void queue_close(Queue *q);

/* Runs one command (hiredis format: %s, %b...). With q->retry, a connection error reconnects
 * and runs it again; NULL only when *stop was set meanwhile (or without retry, on a connection
 * error after printing it). An error reply is returned (type REDIS_REPLY_ERROR). Free with
 * freeReplyObject. */
redisReply *queue_cmd(Queue *q, const char *fmt, ...);
/* As queue_cmd, argv style (binary-safe), without backoff whatever q->retry says: when not
 * connected, one connection attempt; NULL when it or the command fails. */
redisReply *queue_cmd_once(Queue *q, int argc, const char **argv, const size_t *lens);

/* Runs a Lua script (EVAL) with nkeys keys then args (NUL-terminated strings). Retries as
 * queue_cmd. */
redisReply *queue_eval(Queue *q, const char *script, int nkeys, const char *const *keys,
                       int nargs, const char *const *args);

/* The stable id of a text: the first 32 hex digits of its SHA-256, into out[33]. */
void queue_id(const char *text, size_t len, char out[33]);

/* The SHA-256 of a file's bytes as lowercase hex. Returns 0 or -1 (unreadable). */
int queue_file_sha256(const char *path, char hex[65]);

/* A reply's field value by name in a flat [name, value, ...] array, or NULL. */
const redisReply *queue_field(const redisReply *flat, const char *name);

/* Seconds since the epoch (wall clock). */
double queue_wall_now(void);

#endif /* EVCLIP_TOOLS_CLI_QUEUE_H */
