/* wallclock.c: real-world time of sources: ISO 8601 / epoch-second parsing, a source's
 * wall-clock origin (given, from the log, from creation_time), timestamps in a zone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/error.h"
#include "src/wallclock.h"

int wallclock_check(double epoch, const char *what)
{
    if (!isfinite(epoch) || epoch < 0 || epoch > WALLCLOCK_MAX)
        return ev_error(EVCLIP_ERR_INVALID, "%s: epoch %.17g is outside 0 (1970-01-01T00:00:00Z)"
                        "..%.0f (9999-12-31T23:59:59Z)", what, epoch, floor(WALLCLOCK_MAX));
    return 0;
}

/* n decimal digits at *p (exactly n), or -1. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* Zone designator: "Z", "+HH:MM", "+HHMM", "+HH" (at most 18:00); -1 when malformed. */
static int zone(const char *p, int *offset)
{
    if ((p[0] == 'Z' || p[0] == 'z') && !p[1]) {
        *offset = 0;
        return 0;
    }
    if (p[0] != '+' && p[0] != '-')
        return -1;
    int sign = p[0] == '-' ? -1 : 1, m = 0;
    p++;
    int h = digits(&p, 2);
    if (*p == ':')
        p++;
    if (*p && (m = digits(&p, 2)) < 0)
        return -1;
    if (h < 0 || *p || h * 60 + m > 18 * 60 || m > 59)
        return -1;
    *offset = sign * (h * 3600 + m * 60);
    return 0;
}

static int iso(const char *s, double *epoch, const char **why)
{
    const char *p = s;
    int y = digits(&p, 4), mo, d, h, mi, sec = 0, off;
    double frac = 0;
    *why = "expected YYYY-MM-DDTHH:MM[:SS[.fff]] and a zone (Z or +HH:MM)";
    if (y < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 0 || *p++ != '-' ||
        (d = digits(&p, 2)) < 0 || (*p != 'T' && *p != 't' && *p != ' ') ||
        (p++, h = digits(&p, 2)) < 0 || *p++ != ':' || (mi = digits(&p, 2)) < 0)
        return -1;
    if (*p == ':' && (p++, sec = digits(&p, 2)) < 0)
        return -1;
    if (*p == '.' || *p == ',') {
        double scale = 0.1;
        if (p[1] < '0' || p[1] > '9')
            return -1;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    if (!*p) {
        *why = "no zone: add Z (UTC) or an offset such as +01:00";
        return -1;
    }
    if (zone(p, &off) < 0) {
        *why = "bad zone designator (Z, +HH:MM, +HHMM or +HH, at most 18:00)";
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > tz_month_days(y, mo) || h > 23 || mi > 59 ||
        sec > 59) {
        *why = "no such date or time of day";
        return -1;
    }
    *epoch = (double)(tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off) +
             frac;
    return 0;
}

int wallclock_parse(const char *text, double *epoch, const char *what)
{
    const char *why;
    char *end;
    if (!text || !*text)
        return ev_error(EVCLIP_ERR_INVALID, "%s: empty (ISO 8601 such as "
                        "2026-03-02T14:03:22.140Z, or epoch seconds)", what);
    size_t n = strspn(text, "0123456789.");
    if (n == strlen(text)) { /* epoch seconds */
        *epoch = strtod(text, &end);
        if (*end || end == text)
            return ev_error(EVCLIP_ERR_INVALID, "%s '%.64s': not a number of seconds", what,
                            text);
        return wallclock_check(*epoch, what);
    }
    if (strlen(text) > 64 || iso(text, epoch, &why) < 0)
        return ev_error(EVCLIP_ERR_INVALID, "%s '%.64s': not ISO 8601 or epoch seconds: %s",
                        what, text, strlen(text) > 64 ? "too long" : why);
    return wallclock_check(*epoch, what);
}

/* Largest epoch seconds made into text (year ~318857): beyond it the text is clamped. */
#define WALLCLOCK_TEXT_MAX 1e13

/* Splits epoch seconds into whole seconds and milliseconds (rounded to the nearest). */
static int64_t split_ms(double epoch, int *ms)
{
    if (!(fabs(epoch) <= WALLCLOCK_TEXT_MAX)) /* NaN, infinite or absurd: never overflow */
        epoch = epoch > 0 ? WALLCLOCK_TEXT_MAX : epoch < 0 ? -WALLCLOCK_TEXT_MAX : 0;
    int64_t total = llround(epoch * 1000);
    int64_t sec = total / 1000 - (total % 1000 < 0);
    *ms = (int)(total - sec * 1000);
    return sec;
}

static size_t civil_text(int64_t sec, char sep, char *buf, size_t size)
{
    int64_t y, days = sec / 86400 - (sec % 86400 < 0), rem = sec - days * 86400;
    int m, d;
    tz_civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, size, "%04lld-%02d-%02d%c%02d:%02d:%02d", (long long)y, m, d, sep,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

void wallclock_format(const Tz *tz, double epoch, char *buf, size_t size)
{
    int ms;
    const char *abbr;
    int64_t sec = split_ms(epoch, &ms);
    int32_t off = tz_offset(tz, sec, &abbr);
    size_t n = civil_text(sec + off, ' ', buf, size);
    int a = off < 0 ? -off : off;
    char num[16];
    snprintf(num, sizeof(num), "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    const char *name = tz_name(tz);
    if (!strcmp(name, "UTC"))
        snprintf(buf + n, size - n, ".%03d UTC", ms);
    else if (name[0] == '+' || name[0] == '-' || abbr[0] == '+' || abbr[0] == '-')
        snprintf(buf + n, size - n, ".%03d %s", ms, num);
    else
        snprintf(buf + n, size - n, ".%03d %s %s", ms, abbr, num);
}

void wallclock_iso_utc(double epoch, char *buf, size_t size)
{
    int ms;
    int64_t sec = split_ms(epoch, &ms);
    size_t n = civil_text(sec, 'T', buf, size);
    snprintf(buf + n, size - n, ".%03dZ", ms);
}

const char *wallclock_origin_name(int origin)
{
    switch (origin) {
    case EVCLIP_EPOCH_LOG: return "log";
    case EVCLIP_EPOCH_CREATION_TIME: return "creation_time";
    default: return "option";
    }
}

EVCLIP_API int evclip_parse_wallclock(const char *text, double *epoch)
{
    double v;
    ev_error_clear();
    if (!epoch)
        return ev_error(EVCLIP_ERR_INVALID, "evclip_parse_wallclock: epoch is NULL");
    int ret = wallclock_parse(text, &v, "epoch");
    if (ret >= 0)
        *epoch = v;
    return ret;
}
