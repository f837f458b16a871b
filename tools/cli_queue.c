/* cli_queue.c: Redis connections for the queue commands: URL parsing, connect + AUTH +
 * SELECT, reconnect with backoff, key names and stable ids. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "tools/cli.h"
#include "tools/cli_queue.h"

#define CONNECT_TIMEOUT 3.0   /* seconds to connect */
#define COMMAND_TIMEOUT 10.0  /* seconds a reply may take (BLOCK waits are shorter) */
#define BACKOFF_FIRST 0.1
#define BACKOFF_MAX 5.0

/* Copies the percent-decoded s[0..n) into out (size cap). Returns 0 or -1 (too long, bad %). */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
                !isxdigit((unsigned char)s[i + 2]) || sscanf(s + i + 1, "%2x", &v) != 1)
                return -1;
            c = (char)v;
            i += 2;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = 0;
    return 0;
}

/* "[user][:password]@" at the start of s (up to end): fills u, returns the rest. */
static const char *userinfo(const char *s, const char *end, QueueUrl *u, char *err, size_t n)
{
    const char *at = memchr(s, '@', (size_t)(end - s));
    if (!at)
        return s;
    const char *colon = memchr(s, ':', (size_t)(at - s));
    const char *user_end = colon ? colon : at;
    if (decode(s, (size_t)(user_end - s), u->user, sizeof(u->user)) < 0 ||
        (colon && decode(colon + 1, (size_t)(at - colon - 1), u->password,
                         sizeof(u->password)) < 0)) {
        snprintf(err, n, "the user or password is too long or badly %%-encoded");
        return NULL;
    }
    if (!colon && *u->user) { /* "redis://secret@host": a bare word is the password */
        snprintf(u->password, sizeof(u->password), "%s", u->user);
        u->user[0] = 0;
    }
    return at + 1;
}

static int parse_db(const char *s, int *db, char *err, size_t n)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < 0 || v > 100000) {
        snprintf(err, n, "database '%s' is not a number 0..100000", s);
        return -1;
    }
    *db = (int)v;
    return 0;
}

static int parse_tcp(const char *s, QueueUrl *u, char *err, size_t n)
{
    const char *slash = strchr(s, '/');
    const char *end = slash ? slash : s + strlen(s);
    if (!(s = userinfo(s, end, u, err, n)))
        return -1;
    const char *host = s, *host_end, *colon;
    if (*s == '[') { /* [IPv6] */
        host = s + 1;
        host_end = memchr(s, ']', (size_t)(end - s));
        if (!host_end) {
            snprintf(err, n, "missing ']' after the IPv6 address");
            return -1;
        }
        colon = host_end + 1 < end && host_end[1] == ':' ? host_end + 1 : NULL;
    } else {
        colon = memchr(s, ':', (size_t)(end - s));
        host_end = colon ? colon : end;
    }
    if (host_end == host || (size_t)(host_end - host) >= sizeof(u->host)) {
        snprintf(err, n, "no host name (expected redis://[user:password@]host[:port][/db])");
        return -1;
    }
    memcpy(u->host, host, (size_t)(host_end - host));
    u->host[host_end - host] = 0;
    if (colon) {
        char port[16], *pend;
        size_t len = (size_t)(end - colon - 1);
        if (len == 0 || len >= sizeof(port)) {
            snprintf(err, n, "bad port");
            return -1;
        }
        memcpy(port, colon + 1, len);
        port[len] = 0;
        long p = strtol(port, &pend, 10);
        if (*pend || p < 1 || p > 65535) {
            snprintf(err, n, "port '%s' is not a number 1..65535", port);
            return -1;
        }
        u->port = (int)p;
    }
    return slash && slash[1] ? parse_db(slash + 1, &u->db, err, n) : 0;
}

static int parse_unix(const char *s, QueueUrl *u, char *err, size_t n)
{
    const char *q = strchr(s, '?');
    const char *end = q ? q : s + strlen(s);
    const char *first_slash = strchr(s, '/');
    if (first_slash && first_slash != s && !(s = userinfo(s, first_slash, u, err, n)))
        return -1;
    if (*s != '/' || (size_t)(end - s) >= sizeof(u->path)) {
        snprintf(err, n, "expected unix:///absolute/path/to/redis.sock[?db=N]");
        return -1;
    }
    memcpy(u->path, s, (size_t)(end - s));
    u->path[end - s] = 0;
    if (q) {
        if (strncmp(q, "?db=", 4)) {
            snprintf(err, n, "the only query parameter is ?db=N");
            return -1;
        }
        return parse_db(q + 4, &u->db, err, n);
    }
    return 0;
}

int queue_parse_url(const char *url, QueueUrl *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof(*u));
    u->port = 6379;
    int ret;
    if (!strncmp(url, "redis://", 8))
        ret = parse_tcp(url + 8, u, err, errlen);
    else if (!strncmp(url, "unix://", 7))
        ret = parse_unix(url + 7, u, err, errlen);
    else {
        snprintf(err, errlen, "expected redis://[user:password@]host[:port][/db] or "
                 "unix:///path/to/redis.sock");
        return -1;
    }
    if (ret < 0)
        return -1;
    const char *pw = *u->password ? ":***" : "";
    if (*u->path)
        snprintf(u->shown, sizeof(u->shown), "unix://%s%s%s%s?db=%d", u->user, pw,
                 *u->user || *pw ? "@" : "", u->path, u->db);
    else
        snprintf(u->shown, sizeof(u->shown), "redis://%s%s%s%s%s%s:%d/%d", u->user, pw,
                 *u->user || *pw ? "@" : "", strchr(u->host, ':') ? "[" : "", u->host,
                 strchr(u->host, ':') ? "]" : "", u->port, u->db);
    return 0;
}

static struct timeval tv(double s)
{
    return (struct timeval){ (time_t)s, (suseconds_t)((s - (time_t)s) * 1e6) };
}

/* 1 when a reply is an error; copies its text into err. */
static int reply_error(redisReply *r, char *err, size_t n)
{
    if (r && r->type != REDIS_REPLY_ERROR)
        return 0;
    snprintf(err, n, "%s", r ? r->str : "no reply");
    return 1;
}

/* One attempt: connect, AUTH, SELECT. Returns 0 or an exit code with err set. */
static int connect_once(Queue *q, char *err, size_t n)
{
    const QueueUrl *u = &q->url;
    redisContext *c = *u->path ? redisConnectUnixWithTimeout(u->path, tv(CONNECT_TIMEOUT))
                               : redisConnectWithTimeout(u->host, u->port, tv(CONNECT_TIMEOUT));
    if (!c || c->err) {
        snprintf(err, n, "cannot connect: %s", c ? c->errstr : "out of memory");
        redisFree(c);
        return EXIT_QUEUE_DOWN;
    }
    redisSetTimeout(c, tv(COMMAND_TIMEOUT));
    redisReply *r;
    if (*u->password)
        r = *u->user ? redisCommand(c, "AUTH %s %s", u->user, u->password)
                     : redisCommand(c, "AUTH %s", u->password);
    else
        r = redisCommand(c, "PING");
    int code = 0;
    if (reply_error(r, err, n)) {
        code = !r ? EXIT_QUEUE_DOWN : strstr(err, "NOAUTH") || strstr(err, "WRONGPASS") ||
               strstr(err, "password") || strstr(err, "AUTH") ? EXIT_QUEUE_AUTH : EXIT_USAGE;
        if (code == EXIT_QUEUE_AUTH)
            snprintf(err, n, "authentication refused (%s)", *u->password ?
                     "wrong user or password" : "the server wants a password: redis://:PASSWORD@"
                     "host...");
    }
    freeReplyObject(r);
    if (!code && u->db) {
        r = redisCommand(c, "SELECT %d", u->db);
        char why[256];
        if (reply_error(r, why, sizeof(why))) {
            snprintf(err, n, "database %d: %s", u->db, why);
            code = r ? EXIT_USAGE : EXIT_QUEUE_DOWN;
        }
        freeReplyObject(r);
    }
    if (code) {
        redisFree(c);
        return code;
    }
    q->c = c;
    return 0;
}

static void set_key(char *out, size_t n, const char *prefix, const char *suffix)
{
    snprintf(out, n, "%s:%s", prefix, suffix);
}

int queue_open(Queue *q, const char *command, const char *url, const char *stream)
{
    char err[512], prefix[256];
    if (queue_parse_url(url, &q->url, err, sizeof(err)) < 0)
        return cli_usage_error(command, "--redis: %s", err);
    size_t len = strlen(stream);
    if (len == 0 || len >= sizeof(prefix) - 8)
        return cli_usage_error(command, "--stream: the name must have 1..247 bytes");
    snprintf(q->stream, sizeof(q->stream), "%s", stream);
    snprintf(prefix, sizeof(prefix), "%.*s", (int)(len > 5 && !strcmp(stream + len - 5,
             ":jobs") ? len - 5 : len), stream);
    set_key(q->results, sizeof(q->results), prefix, "results");
    set_key(q->dead, sizeof(q->dead), prefix, "dead");
    set_key(q->done, sizeof(q->done), prefix, "done");
    set_key(q->failed, sizeof(q->failed), prefix, "failed");
    set_key(q->units, sizeof(q->units), prefix, "units");
    set_key(q->errors, sizeof(q->errors), prefix, "errors");
    set_key(q->workers, sizeof(q->workers), prefix, "workers");
    int code = connect_once(q, err, sizeof(err));
    if (code)
        fprintf(stderr, "evclip: error: %s: %s\n", q->url.shown, err);
    return code;
}

void queue_close(Queue *q)
{
    redisFree(q->c);
    q->c = NULL;
}

static void sleep_for(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Reconnects with backoff until it works or *stop. Returns 0 or -1 (stopped). */
static int reconnect(Queue *q)
{
    char err[512];
    double wait = BACKOFF_FIRST, started = cli_now();
    if (!q->quiet)
        fprintf(stderr, "evclip: warning: %s: connection lost (%s); reconnecting\n",
                q->url.shown, q->c ? q->c->errstr : "not connected");
    queue_close(q);
    for (;;) {
        if (q->stop && *q->stop)
            return -1;
        if (connect_once(q, err, sizeof(err)) == 0)
            break;
        sleep_for(wait);
        wait = wait * 2 > BACKOFF_MAX ? BACKOFF_MAX : wait * 2;
    }
    if (!q->quiet)
        fprintf(stderr, "evclip: %s: reconnected after %.1f s\n", q->url.shown,
                cli_now() - started);
    return 0;
}

/* After a command got no reply: 1 when reconnected (send it again), 0 when the queue does not
 * retry (error printed) or reconnecting failed. */
static int retry_after_failure(Queue *q)
{
    if (!q->retry) {
        fprintf(stderr, "evclip: error: %s: %s\n", q->url.shown,
                q->c ? q->c->errstr : "not connected");
        return 0;
    }
    return reconnect(q) >= 0;
}

redisReply *queue_cmd(Queue *q, const char *fmt, ...)
{
    for (;;) {
        redisReply *r = NULL;
        if (q->c) {
            va_list ap;
            va_start(ap, fmt);
            r = redisvCommand(q->c, fmt, ap);
            va_end(ap);
        }
        if (r || !retry_after_failure(q))
            return r;
    }
}

redisReply *queue_cmd_once(Queue *q, int argc, const char **argv, const size_t *lens)
{
    char err[512];
    if (!q->c && connect_once(q, err, sizeof(err)) != 0) /* one quick try, no backoff */
        return NULL;
    redisReply *r = redisCommandArgv(q->c, argc, argv, lens);
    if (!r) { /* leave the reconnecting to the next queue_cmd */
        queue_close(q);
    }
    return r;
}

redisReply *queue_eval(Queue *q, const char *script, int nkeys, const char *const *keys,
                       int nargs, const char *const *args)
{
    const char *argv[16];
    char nk[16];
    int argc = 0;
    if (nkeys + nargs + 3 > 16)
        return NULL;
    snprintf(nk, sizeof(nk), "%d", nkeys);
    argv[argc++] = "EVAL";
    argv[argc++] = script;
    argv[argc++] = nk;
    for (int i = 0; i < nkeys; i++)
        argv[argc++] = keys[i];
    for (int i = 0; i < nargs; i++)
        argv[argc++] = args[i];
    for (;;) {
        redisReply *r = q->c ? redisCommandArgv(q->c, argc, argv, NULL) : NULL;
        if (r || !retry_after_failure(q))
            return r;
    }
}

void queue_id(const char *text, size_t len, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(text, len, md, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int queue_file_sha256(const char *path, char hex[65])
{
    unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    size_t got;
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *ctx = f ? EVP_MD_CTX_new() : NULL;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    while (ok && (got = fread(buf, 1, sizeof(buf), f)) > 0)
        ok = EVP_DigestUpdate(ctx, buf, got);
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, &n);
    for (unsigned i = 0; ok && i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(ctx);
    if (f)
        fclose(f);
    return ok ? 0 : -1;
}

const redisReply *queue_field(const redisReply *flat, const char *name)
{
    if (!flat || flat->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < flat->elements; i += 2)
        if (flat->element[i]->type == REDIS_REPLY_STRING ||
            flat->element[i]->type == REDIS_REPLY_STATUS)
            if (!strcmp(flat->element[i]->str, name))
                return flat->element[i + 1];
    return NULL;
}

double queue_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
