/* cli_args.c: command-line spelling checks: exact option names and did-you-mean suggestions. */
#include <string.h>

#include "tools/cli.h"

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
