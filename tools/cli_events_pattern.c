/* cli_events_pattern.c: output names of `evclip events` from a pattern such as
 * "clips/{source}-{start:08.2f}-{label}.mp4". */
#include <stdio.h>
#include <string.h>

#include "tools/cli_events.h"

#define FAIL(...) (snprintf(err, errlen, __VA_ARGS__), -1)

/* A text value made safe as (part of) a file name: no '/', no '.' (so no ".."). */
static void safe_text(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 1 < size; s++) {
        unsigned char c = (unsigned char)*s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
        out[n++] = ok ? (char)c : '_';
    }
    out[n] = '\0';
}

/* spec: what follows ':' ("08.2f"); digits, '.', '-', '+', '0', ' ' then one conversion. */
static int check_spec(const char *spec, size_t len, const char *types)
{
    if (len == 0)
        return 0;
    if (len > 12 || !strchr(types, spec[len - 1]))
        return -1;
    for (size_t i = 0; i + 1 < len; i++)
        if (!strchr("0123456789.-+ ", spec[i]))
            return -1;
    return 0;
}

static int expand_field(const char *name, size_t nlen, const char *spec, size_t slen,
                        const PatternValues *v, char *buf, size_t size)
{
    char fmt[20], text[256];
    static const struct { const char *name; int kind; } fields[] = {
        { "source", 's' }, { "label", 's' }, { "start", 'f' }, { "end", 'f' },
        { "duration", 'f' }, { "index", 'd' }, { "track", 'd' }, { "part", 'd' },
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strlen(fields[i].name) != nlen || memcmp(fields[i].name, name, nlen))
            continue;
        int kind = fields[i].kind;
        if (check_spec(spec, slen, kind == 's' ? "s" : kind == 'd' ? "d" : "fg"))
            return -1;
        snprintf(fmt, sizeof(fmt), "%%%.*s%s", (int)(slen ? slen - 1 : 0), spec,
                 kind == 'd' ? "lld" : kind == 's' ? "s"
                 : slen ? (spec[slen - 1] == 'g' ? "g" : "f") : ".2f");
        if (kind == 's') {
            safe_text(!strcmp(fields[i].name, "source") ? v->source : v->label, text,
                      sizeof(text));
            snprintf(buf, size, fmt, text);
        } else if (kind == 'd') {
            long long x = !strcmp(fields[i].name, "index") ? v->index
                          : !strcmp(fields[i].name, "track") ? v->track : v->part;
            snprintf(buf, size, fmt, x);
        } else {
            double x = !strcmp(fields[i].name, "start") ? v->start
                       : !strcmp(fields[i].name, "end") ? v->end : v->duration;
            snprintf(buf, size, fmt, x);
        }
        return 0;
    }
    return -2;
}

int pattern_expand(const char *pattern, const PatternValues *v, char *out, size_t size,
                   char *err, size_t errlen)
{
    size_t n = 0;
    char piece[512];
    for (const char *p = pattern; *p;) {
        const char *add = piece;
        size_t len;
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            piece[0] = p[0];
            len = 1;
            p += 2;
        } else if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close)
                return FAIL("--output-pattern: '{' without '}' in '%s'", pattern);
            const char *colon = memchr(p, ':', (size_t)(close - p));
            size_t nlen = (size_t)((colon ? colon : close) - p - 1);
            int ret = expand_field(p + 1, nlen, colon ? colon + 1 : "",
                                   colon ? (size_t)(close - colon - 1) : 0, v, piece,
                                   sizeof(piece));
            if (ret == -2)
                return FAIL("--output-pattern: unknown field '{%.*s}' (known: source, label, "
                            "start, end, duration, index, track, part)", (int)nlen, p + 1);
            if (ret < 0)
                return FAIL("--output-pattern: bad format '%.*s' for '{%.*s}'",
                            (int)(close - p + 1), p, (int)nlen, p + 1);
            len = strlen(piece);
            p = close + 1;
        } else if (*p == '}') {
            return FAIL("--output-pattern: single '}' in '%s' (write '}}')", pattern);
        } else {
            add = p;
            len = 1;
            p++;
        }
        if (n + len + 1 > size)
            return FAIL("--output-pattern: the name is too long");
        memcpy(out + n, add, len);
        n += len;
    }
    out[n] = '\0';
    return 0;
}
