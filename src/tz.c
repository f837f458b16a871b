/* tz.c: time zones without process state (never TZ + localtime): fixed offsets, and IANA
 * zones parsed from their TZif files (version 2+ 64-bit data, POSIX TZ footer rule). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/error.h"
#include "src/tz.h"

#define MAX_NAME 128
#define MAX_FILE (1 << 20)   /* real zone files are < 4 KiB */
#define MAX_TYPES 256

typedef struct TzType {
    int32_t offset;          /* seconds east of UTC */
    int isdst;
    char abbr[16];
} TzType;

/* One end of daylight time in a POSIX rule: the date form and the local time of day. */
typedef struct RuleDate {
    char kind;               /* 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.day) */
    int a, b, c;             /* J/D: day; M: month, week, weekday */
    int32_t time;            /* seconds after local midnight (may be < 0 or > 24 h) */
} RuleDate;

typedef struct PosixRule {
    TzType std, dst;
    int has_dst;
    RuleDate start, end;
} PosixRule;

struct Tz {
    char name[MAX_NAME + 1];
    int64_t *times;          /* ntimes transition times, ascending */
    uint8_t *idx;            /* type of each transition */
    int ntimes;
    TzType types[MAX_TYPES];
    int ntypes;
    int has_rule;
    PosixRule rule;
};

static int isalnum_c(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* ---- Civil calendar (proleptic Gregorian, after H. Hinnant) --------------------------- */

int64_t tz_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tz_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int tz_month_days(int64_t y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- POSIX TZ rule (the TZif footer) ------------------------------------------------ */

/* A zone abbreviation: 3+ letters, or <...> quoted (letters, digits, '+', '-'). */
static const char *parse_abbr(const char *p, char out[16])
{
    int quoted = *p == '<';
    const char *s = p + quoted;
    size_t n = 0;
    while (quoted ? s[n] && s[n] != '>' && (isalnum_c(s[n]) || s[n] == '+' || s[n] == '-')
                  : (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z'))
        if (++n > 15)
            return NULL;
    if (n < 3 || (quoted && s[n] != '>'))
        return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return s + n + quoted;
}

/* [+-]hh[:mm[:ss]], hh up to 167 (POSIX rule times and offsets). */
static const char *parse_hms(const char *p, int32_t *out)
{
    int sign = 1, part[3] = { 0, 0, 0 };
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    for (int i = 0; i < 3; i++) {
        if (i > 0 && *p != ':')
            break;
        p += i > 0;
        if (*p < '0' || *p > '9')
            return NULL;
        for (int digits = 0; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits >= 3 || (part[i] = part[i] * 10 + (*p - '0')) > (i ? 59 : 167))
                return NULL;
    }
    *out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    return p;
}

static const char *parse_num(const char *p, int lo, int hi, int *out)
{
    int v = 0, digits = 0;
    for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
        v = v * 10 + (*p - '0');
    if (!digits || v < lo || v > hi)
        return NULL;
    *out = v;
    return p;
}

static const char *parse_date(const char *p, RuleDate *r)
{
    r->time = 7200;
    if (*p == 'J') {
        r->kind = 'J';
        p = parse_num(p + 1, 1, 365, &r->a);
    } else if (*p == 'M') {
        r->kind = 'M';
        if ((p = parse_num(p + 1, 1, 12, &r->a)) && *p == '.' &&
            (p = parse_num(p + 1, 1, 5, &r->b)) && *p == '.')
            p = parse_num(p + 1, 0, 6, &r->c);
        else
            p = NULL;
    } else {
        r->kind = 'D';
        p = parse_num(p, 0, 365, &r->a);
    }
    if (p && *p == '/')
        p = parse_hms(p + 1, &r->time);
    return p;
}

/* std offset [dst [offset] [,start[/time],end[/time]]]; POSIX offsets count west. */
static int parse_rule(const char *p, PosixRule *r)
{
    int32_t off;
    memset(r, 0, sizeof(*r));
    if (!(p = parse_abbr(p, r->std.abbr)) || !(p = parse_hms(p, &off)))
        return -1;
    r->std.offset = -off;
    if (!*p)
        return 0;
    r->has_dst = 1;
    r->dst.isdst = 1;
    if (!(p = parse_abbr(p, r->dst.abbr)))
        return -1;
    r->dst.offset = r->std.offset + 3600;
    if (*p && *p != ',') {
        if (!(p = parse_hms(p, &off)))
            return -1;
        r->dst.offset = -off;
    }
    if (!*p) /* no rule: POSIX's default is the US one */
        p = ",M3.2.0,M11.1.0";
    if (*p != ',' || !(p = parse_date(p + 1, &r->start)) || *p != ',' ||
        !(p = parse_date(p + 1, &r->end)))
        return -1;
    return *p ? -1 : 0;
}

/* Seconds from the start of year y (local midnight of Jan 1) to the rule date's day. */
static int64_t rule_day(const RuleDate *r, int64_t y)
{
    if (r->kind == 'J')
        return r->a - 1 + (is_leap(y) && r->a >= 60);
    if (r->kind == 'D')
        return r->a;
    int64_t first = tz_days_from_civil(y, r->a, 1);
    int wday = (int)((first % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    int day = 1 + (r->c - wday + 7) % 7 + (r->b - 1) * 7;
    while (day > tz_month_days(y, r->a))
        day -= 7;
    return first + day - 1 - tz_days_from_civil(y, 1, 1);
}

static const TzType *rule_type(const PosixRule *r, int64_t t)
{
    if (!r->has_dst)
        return &r->std;
    int64_t y;
    int m, day;
    tz_civil_from_days(floor_div(t + r->std.offset, 86400), &y, &m, &day);
    int64_t jan1 = tz_days_from_civil(y, 1, 1) * 86400;
    /* start is given in local standard time, end in local daylight time */
    int64_t start = jan1 + rule_day(&r->start, y) * 86400 + r->start.time - r->std.offset;
    int64_t end = jan1 + rule_day(&r->end, y) * 86400 + r->end.time - r->dst.offset;
    int dst = start < end ? t >= start && t < end : !(t >= end && t < start);
    return dst ? &r->dst : &r->std;
}

/* ---- TZif ------------------------------------------------------------------------------ */

typedef struct Reader {
    const uint8_t *p;
    size_t left;
} Reader;

static int take(Reader *r, size_t n, const uint8_t **out)
{
    if (r->left < n)
        return -1;
    *out = r->p;
    r->p += n;
    r->left -= n;
    return 0;
}

static int64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return n == 4 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

/* A TZif header: version and the six counts (isut, isstd, leap, time, type, char). */
static int header(Reader *r, int *version, uint32_t c[6])
{
    const uint8_t *h;
    if (take(r, 44, &h) < 0 || memcmp(h, "TZif", 4))
        return -1;
    *version = h[4] ? h[4] - '0' : 1;
    for (int i = 0; i < 6; i++)
        c[i] = (uint32_t)be(h + 20 + 4 * i, 4) & 0xffffffffu;
    return c[4] == 0 || c[4] > MAX_TYPES || c[3] > 100000 || c[5] > 4096 ? -1 : 0;
}

static size_t block_size(const uint32_t c[6], int tsize)
{
    return (size_t)c[3] * tsize + c[3] + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * (tsize + 4) +
           c[1] + c[0];
}

/* The 64-bit data block (after the version 1 block) and the footer. */
static int parse_tzif(Tz *tz, const uint8_t *data, size_t size)
{
    Reader r = { data, size };
    const uint8_t *b, *times, *idx, *types, *chars;
    uint32_t c[6];
    int version;
    if (header(&r, &version, c) < 0 || version < 2 || take(&r, block_size(c, 4), &b) < 0 ||
        header(&r, &version, c) < 0 || take(&r, (size_t)c[3] * 8, &times) < 0 ||
        take(&r, c[3], &idx) < 0 || take(&r, (size_t)c[4] * 6, &types) < 0 ||
        take(&r, c[5], &chars) < 0 || take(&r, (size_t)c[2] * 12 + c[1] + c[0], &b) < 0)
        return -1;
    tz->ntypes = (int)c[4];
    for (int i = 0; i < tz->ntypes; i++) {
        const uint8_t *t = types + 6 * i;
        TzType *ty = &tz->types[i];
        ty->offset = (int32_t)be(t, 4);
        ty->isdst = t[4] != 0;
        if (t[5] >= c[5] || ty->offset < -89999 || ty->offset > 93599)
            return -1;
        snprintf(ty->abbr, sizeof(ty->abbr), "%.*s", (int)strnlen((const char *)chars + t[5],
                 c[5] - t[5]), (const char *)chars + t[5]);
    }
    tz->ntimes = (int)c[3];
    tz->times = malloc((c[3] ? c[3] : 1) * sizeof(*tz->times));
    tz->idx = malloc(c[3] ? c[3] : 1);
    if (!tz->times || !tz->idx)
        return -2;
    for (int i = 0; i < tz->ntimes; i++) {
        tz->times[i] = be(times + 8 * i, 8);
        tz->idx[i] = idx[i];
        if (idx[i] >= c[4] || (i > 0 && tz->times[i] <= tz->times[i - 1]))
            return -1;
    }
    /* Footer: "\n" TZ string "\n"; empty means no rule after the last transition. */
    if (r.left < 2 || r.p[0] != '\n')
        return -1;
    const uint8_t *nl = memchr(r.p + 1, '\n', r.left - 1);
    size_t n = nl ? (size_t)(nl - r.p - 1) : 0;
    if (!nl || n > 200)
        return -1;
    char rule[201];
    memcpy(rule, r.p + 1, n);
    rule[n] = '\0';
    tz->has_rule = n > 0;
    return tz->has_rule && parse_rule(rule, &tz->rule) < 0 ? -1 : 0;
}

static int read_all(const char *path, uint8_t **out, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    *out = NULL;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE) {
        close(fd);
        return -EINVAL;
    }
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (got != st.st_size) {
        free(buf);
        return buf ? -EIO : -ENOMEM;
    }
    *out = buf;
    *size = (size_t)got;
    return 0;
}

int tz_load_buffer(Tz **out, const uint8_t *data, size_t size, const char *name)
{
    *out = NULL;
    Tz *tz = calloc(1, sizeof(*tz));
    int ret = tz ? parse_tzif(tz, data, size) : -2;
    if (ret == 0) {
        snprintf(tz->name, sizeof(tz->name), "%s", name);
        *out = tz;
        return 0;
    }
    tz_close(&tz);
    return ret == -2 ? ev_error(EVCLIP_ERR_NOMEM, "out of memory (time zone)")
                     : ev_error(EVCLIP_ERR_INVALID, "time zone '%s': not a valid TZif file "
                                "(version 2 or later)", name);
}

int tz_load_file(Tz **out, const char *path, const char *name)
{
    uint8_t *data;
    size_t size = 0;
    *out = NULL;
    int err = read_all(path, &data, &size);
    if (err == -ENOMEM)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (time zone)");
    if (err < 0)
        return ev_error(EVCLIP_ERR_INVALID, "time zone '%s': %s", name, err == -ENOENT ?
                        "unknown zone (no such file in " TZ_DIR "; an IANA name such as "
                        "Europe/Berlin, or an offset such as +05:30)" :
                        err == -EINVAL ? "not a zone file" : strerror(-err));
    int ret = tz_load_buffer(out, data, size, name);
    free(data);
    return ret;
}

/* ---- Names ----------------------------------------------------------------------------- */

static int fixed(Tz **out, const char *name, int32_t offset, const char *abbr)
{
    Tz *tz = calloc(1, sizeof(*tz));
    if (!tz)
        return ev_error(EVCLIP_ERR_NOMEM, "out of memory (time zone)");
    tz->ntypes = 1;
    tz->types[0].offset = offset;
    snprintf(tz->types[0].abbr, sizeof(tz->types[0].abbr), "%s", abbr);
    snprintf(tz->name, sizeof(tz->name), "%s", name);
    *out = tz;
    return 0;
}

/* "+HH:MM", "+HHMM", "+HH" (sign required); -1 when name is not of that form. */
static int parse_offset(const char *s, int32_t *out)
{
    int h, m = 0;
    size_t n = strlen(s);
    if ((s[0] != '+' && s[0] != '-') || (n != 3 && n != 5 && n != 6))
        return -1;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && !(i == 3 && n == 6 && s[i] == ':'))
            return -1;
    h = (s[1] - '0') * 10 + (s[2] - '0');
    if (n > 3)
        m = (s[n - 2] - '0') * 10 + (s[n - 1] - '0');
    if (h > 18 || m > 59 || h * 60 + m > 18 * 60)
        return -2;
    *out = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 0;
}

/* An IANA name: safe characters, no absolute path, no "."/".."/empty component. */
static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_NAME || s[0] == '/' || s[n - 1] == '/')
        return 0;
    for (const char *p = s; *p; p++)
        if (!(isalnum_c(*p) || *p == '_' || *p == '-' || *p == '+' || *p == '/' || *p == '.'))
            return 0;
    for (const char *c = s; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
        size_t len = strcspn(c, "/");
        if (len == 0 || (c[0] == '.' && (len == 1 || (len == 2 && c[1] == '.'))))
            return 0;
    }
    return 1;
}

/* The zone file's real path, checked to lie inside TZ_DIR (symlinks resolved). */
static int zone_path(const char *name, char out[PATH_MAX])
{
    char dir[PATH_MAX], path[PATH_MAX + MAX_NAME + 2];
    if (!realpath(TZ_DIR, dir))
        return ev_error(EVCLIP_ERR_INVALID, "time zone '%s': no zone files (" TZ_DIR
                        " missing: install tzdata)", name);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!realpath(path, out))
        return ev_error(EVCLIP_ERR_INVALID, "time zone '%s': unknown zone (no such file in "
                        TZ_DIR "; an IANA name such as Europe/Berlin, or an offset such as "
                        "+05:30)", name);
    size_t n = strlen(dir);
    if (strncmp(out, dir, n) || out[n] != '/')
        return ev_error(EVCLIP_ERR_INVALID, "time zone '%s': resolves outside " TZ_DIR, name);
    return 0;
}

int tz_open(Tz **out, const char *name)
{
    int32_t off;
    char path[PATH_MAX];
    *out = NULL;
    if (!name || !strcmp(name, "UTC") || !strcmp(name, "Z"))
        return fixed(out, "UTC", 0, "UTC");
    int r = parse_offset(name, &off);
    if (r == 0)
        return fixed(out, name, off, name);
    if (r == -2)
        return ev_error(EVCLIP_ERR_INVALID, "time zone '%s': offset outside -18:00..+18:00",
                        name);
    if (!name_ok(name))
        return ev_error(EVCLIP_ERR_INVALID, "time zone '%.200s': not a zone name (an IANA "
                        "name such as Europe/Berlin: letters, digits, '_', '-', '+', '/', no "
                        "'.' or '..' part; or an offset such as +05:30)", name);
    int ret = zone_path(name, path);
    return ret < 0 ? ret : tz_load_file(out, path, name);
}

void tz_close(Tz **tz)
{
    if (!tz || !*tz)
        return;
    free((*tz)->times);
    free((*tz)->idx);
    free(*tz);
    *tz = NULL;
}

const char *tz_name(const Tz *tz)
{
    return tz->name;
}

int32_t tz_offset(const Tz *tz, int64_t t, const char **abbr)
{
    const TzType *ty;
    if (tz->ntimes > 0 && t >= tz->times[tz->ntimes - 1] && tz->has_rule) {
        ty = rule_type(&tz->rule, t);
    } else if (tz->ntimes == 0 || t < tz->times[0]) {
        ty = tz->has_rule && tz->ntimes == 0 ? rule_type(&tz->rule, t) : &tz->types[0];
        for (int i = 0; tz->ntimes && i < tz->ntypes; i++) /* first standard-time type */
            if (!tz->types[i].isdst) {
                ty = &tz->types[i];
                break;
            }
    } else {
        int lo = 0, hi = tz->ntimes - 1; /* last transition <= t */
        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;
            if (tz->times[mid] <= t)
                lo = mid;
            else
                hi = mid - 1;
        }
        ty = &tz->types[tz->idx[lo]];
    }
    *abbr = ty->abbr;
    return ty->offset;
}
