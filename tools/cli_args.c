/* cli_args.c: command-line spelling checks: exact option names and did-you-mean suggestions. */
#include <string.h>

#include "tools/cli.h"

#define WORD_MAX 64

/* Optimal-string-alignment distance (insertions, deletions, substitutions, adjacent
 * transpositions), capped: words longer than WORD_MAX compare as far apart. */
static int distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    int d[WORD_MAX + 1][WORD_MAX + 1];

    if (n > WORD_MAX || m > WORD_MAX)
        return WORD_MAX;
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

/* How far word is from candidate, in half edits: twice the edit distance, or 1 when word is a
 * prefix of it (at least 3 characters: what getopt would have silently accepted), so "--enc"
 * suggests "--encoder" before "--end". */
static int score(const char *word, size_t len, const char *candidate)
{
    if (len >= 3 && !strncmp(word, candidate, len))
        return 1;
    char w[WORD_MAX + 1];
    if (len > WORD_MAX)
        return 2 * WORD_MAX;
    memcpy(w, word, len);
    w[len] = '\0';
    return 2 * distance(w, candidate);
}

const char *cli_suggest(const char *word, size_t len, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    int best_score = 2 * WORD_MAX;
    /* Up to 2 edits (1 for words under 5 characters), and fewer edits than the word has
     * characters: "x" must not suggest "o". */
    int limit = len >= 5 ? 4 : 2;

    for (size_t i = 0; i < n; i++) {
        int s = score(word, len, candidates[i]);
        if (s < best_score) {
            best_score = s;
            best = candidates[i];
        }
    }
    return best && best_score <= limit && (size_t)best_score < 2 * len ? best : NULL;
}

/* Closest long option name to word[0..len), or NULL. */
static const char *suggest_long(const char *word, size_t len, const struct option *longopts)
{
    const char *names[128];
    size_t n = 0;
    for (; longopts[n].name && n < sizeof(names) / sizeof(names[0]); n++)
        names[n] = longopts[n].name;
    return cli_suggest(word, len, names, n);
}

static int unknown_long(const char *command, const char *arg, size_t len,
                        const struct option *longopts)
{
    const char *hint = suggest_long(arg + 2, len - 2, longopts);
    if (hint)
        return cli_usage_error(command, "unknown option '%.*s'; did you mean '--%s'?",
                               (int)len, arg, hint);
    return cli_usage_error(command, "unknown option '%.*s'", (int)len, arg);
}

/* Checks one "--name[=value]" argument; *skip is set when it consumes the next argument. */
static int check_long(const char *command, const char *arg, const char *next,
                      const struct option *longopts, int *skip)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const struct option *o = longopts;

    while (o->name && (strlen(o->name) != len - 2 || strncmp(o->name, arg + 2, len - 2)))
        o++;
    if (!o->name)
        return unknown_long(command, arg, len, longopts);
    if (o->has_arg == no_argument && eq)
        return cli_usage_error(command, "option '--%s' takes no value", o->name);
    if (o->has_arg == required_argument && !eq) {
        if (!next)
            return cli_usage_error(command, "option '--%s' needs a value", o->name);
        *skip = 1;
    }
    return 0;
}

/* Checks one "-abc" cluster of short options; *skip as above. */
static int check_short(const char *command, const char *arg, const char *next,
                       const char *shortopts, const struct option *longopts, int *skip)
{
    for (const char *p = arg + 1; *p; p++) {
        const char *s = *p == ':' ? NULL : strchr(shortopts, *p);
        if (!s) {
            /* "-start" is a long option with one dash: suggest its spelling. */
            const char *hint = strlen(arg) > 2 ? suggest_long(arg + 1, strlen(arg + 1),
                                                              longopts) : NULL;
            if (hint)
                return cli_usage_error(command, "unknown option '-%c' in '%s'; did you mean "
                                       "'--%s'?", *p, arg, hint);
            return cli_usage_error(command, "unknown option '-%c'", *p);
        }
        if (s[1] == ':') {
            if (p[1])
                return 0; /* the rest of the cluster is the value */
            if (!next)
                return cli_usage_error(command, "option '-%c' needs a value", *p);
            *skip = 1;
            return 0;
        }
    }
    return 0;
}

int cli_check_options(const char *command, int argc, char **argv, const char *shortopts,
                      const struct option *longopts)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        int skip = 0, ret = 0;
        if (!strcmp(arg, "--"))
            return 0;
        if (!strncmp(arg, "--", 2))
            ret = check_long(command, arg, next, longopts, &skip);
        else if (arg[0] == '-' && arg[1])
            ret = check_short(command, arg, next, shortopts, longopts, &skip);
        if (ret)
            return ret;
        i += skip;
    }
    return 0;
}
