/* test_wallclock.c: time zones (TZif parser and POSIX rules, checked against glibc as an oracle
 * in this single-threaded test), zone names that try to leave the zone folder, ISO 8601 and
 * epoch parsing, and the drawn timestamp across a DST change through the caption text path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "src/error.h"
#include "src/overlay.h"
#include "src/tz.h"
#include "src/wallclock.h"
#include "tests/unit/check.h"

/* 2026-03-29T01:00:00Z: Europe/Berlin goes from 02:00 CET to 03:00 CEST. */
#define SPRING_2026 1774746000.0

static void test_parse(void)
{
    double e = 0;
    CHECK(wallclock_parse("2026-03-02T14:03:22.140Z", &e, "epoch") == 0 &&
          fabs(e - 1772460202.14) < 1e-6);
    CHECK(wallclock_parse("2026-03-02 15:03:22.140+01:00", &e, "epoch") == 0 &&
          fabs(e - 1772460202.14) < 1e-6);
    CHECK(wallclock_parse("2026-03-02T09:33:22.14-0430", &e, "epoch") == 0 &&
          fabs(e - 1772460202.14) < 1e-6);
    CHECK(wallclock_parse("2026-03-02T19:03+05", &e, "epoch") == 0 && e == 1772460180.0);
    CHECK(wallclock_parse("1772460202.14", &e, "epoch") == 0 && e == 1772460202.14);
    CHECK(wallclock_parse("0", &e, "epoch") == 0 && e == 0);
    CHECK(wallclock_parse("2024-02-29T00:00:00Z", &e, "epoch") == 0 && e == 1709164800.0);
    CHECK(wallclock_parse("9999-12-31T23:59:59.999Z", &e, "epoch") == 0);
    /* Bad strings: each refused with a reason naming the value. */
    static const char *const bad[] = {
        "", "2026-03-02T14:03:22", "2026-03-02", "2026-02-30T00:00Z", "2025-02-29T00:00Z",
        "2026-13-01T00:00Z", "2026-03-02T24:00Z", "2026-03-02T14:60Z", "2026-03-02T14:03:60Z",
        "2026-03-02T14:03+19:00", "2026-03-02T14:03+01:60", "2026-03-02T14:03+1", "26-03-02T1Z",
        "2026-03-02T14:03:22.Z", "2026-03-02T14:03Zjunk", "now", "-5", "1e9", "1.2.3", ".",
        "253402300800", "99999999999999999999", "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00+01:00", "10000-01-01T00:00Z", "2026-03-02T14:03:22 Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int ret = wallclock_parse(bad[i], &e, "epoch");
        CHECK_MSG(ret == EVCLIP_ERR_INVALID && strstr(ev_error_message(), "epoch"),
                  "'%s' accepted (%s)", bad[i], ev_error_message());
    }
    CHECK(wallclock_parse("2026-03-02T14:03:22", &e, "epoch") < 0 &&
          strstr(ev_error_message(), "no zone"));
    CHECK(wallclock_check(NAN, "x") < 0 && wallclock_check(INFINITY, "x") < 0 &&
          wallclock_check(-0.5, "x") < 0 && wallclock_check(WALLCLOCK_MAX + 1, "x") < 0 &&
          strstr(ev_error_message(), "outside"));
}

static void check_text(const Tz *tz, double t, const char *want)
{
    char buf[WALLCLOCK_TEXT];
    wallclock_format(tz, t, buf, sizeof(buf));
    CHECK_MSG(!strcmp(buf, want), "%s at %.3f: '%s', want '%s'", tz_name(tz), t, buf, want);
}

static void test_format(void)
{
    Tz *utc = NULL, *fixed = NULL, *berlin = NULL, *neg = NULL;
    CHECK(tz_open(&utc, NULL) == 0 && tz_open(&fixed, "+05:30") == 0 &&
          tz_open(&neg, "-0800") == 0);
    if (tz_open(&berlin, "Europe/Berlin") < 0) {
        CHECK_MSG(0, "Europe/Berlin: %s (is tzdata installed?)", ev_error_message());
        return;
    }
    check_text(utc, 1772460202.14, "2026-03-02 14:03:22.140 UTC");
    /* Non-finite or absurd epochs (an open-ended window's end) are clamped, never overflow
     * (UBSan in CI): the text stays well-formed. */
    char iso[40];
    wallclock_iso_utc(1772460202.14, iso, sizeof(iso));
    CHECK_MSG(!strcmp(iso, "2026-03-02T14:03:22.140Z"), "iso utc: %s", iso);
    const double odd[] = { INFINITY, -INFINITY, NAN, 1e300, -1e300 };
    for (int i = 0; i < 5; i++) {
        wallclock_iso_utc(odd[i], iso, sizeof(iso));
        CHECK_MSG(strlen(iso) >= 24 && iso[strlen(iso) - 1] == 'Z', "odd epoch %g: %s",
                  odd[i], iso);
    }
    check_text(utc, 1772460202.9996, "2026-03-02 14:03:23.000 UTC");
    check_text(fixed, 1772460202.14, "2026-03-02 19:33:22.140 +05:30");
    check_text(neg, 1772460202.14, "2026-03-02 06:03:22.140 -08:00");
    check_text(berlin, 1772460202.14, "2026-03-02 15:03:22.140 CET +01:00");
    /* DST crossing: 01:59:59 CET is followed by 03:00:00 CEST. */
    check_text(berlin, SPRING_2026 - 1, "2026-03-29 01:59:59.000 CET +01:00");
    check_text(berlin, SPRING_2026, "2026-03-29 03:00:00.000 CEST +02:00");
    check_text(berlin, SPRING_2026 - 0.0004, "2026-03-29 03:00:00.000 CEST +02:00");
    /* and back in October: 02:59:59 CEST, then 02:00:00 CET */
    check_text(berlin, 1792889999.0, "2026-10-25 02:59:59.000 CEST +02:00");
    check_text(berlin, 1792890000.0, "2026-10-25 02:00:00.000 CET +01:00");
    /* after the file's last transition: the footer's POSIX rule (last Sunday of March) */
    check_text(berlin, 4323908399.0, "2107-01-08 06:39:59.000 CET +01:00");
    check_text(berlin, 4330630799.0, "2107-03-27 01:59:59.000 CET +01:00");
    check_text(berlin, 4330630800.0, "2107-03-27 03:00:00.000 CEST +02:00");
    tz_close(&utc);
    tz_close(&fixed);
    tz_close(&neg);
    tz_close(&berlin);
    tz_close(&berlin); /* &NULL is fine */
}

/* Offsets and abbreviations against glibc's localtime_r (setenv("TZ") here only: this test is
 * single-threaded; the library never touches TZ). */
static void compare_zone(const char *name)
{
    Tz *tz = NULL;
    if (tz_open(&tz, name) < 0) {
        CHECK_MSG(0, "%s: %s", name, ev_error_message());
        return;
    }
    setenv("TZ", name, 1);
    tzset();
    int bad = 0;
    /* every ~3.7 days from 1971 to 2150, and every hour around this year's changes */
    for (int64_t t = 31536000; t < INT64_C(5680281600) && bad < 5; t += 319993) {
        for (int k = 0; k < 2; k++) {
            time_t tt = (time_t)(t + k * 1800);
            struct tm tm;
            const char *abbr;
            int32_t off = tz_offset(tz, tt, &abbr);
            localtime_r(&tt, &tm);
            if (off != tm.tm_gmtoff || strcmp(abbr, tm.tm_zone)) {
                bad++;
                CHECK_MSG(0, "%s at %lld: %d %s, glibc %ld %s", name, (long long)tt, off, abbr,
                          tm.tm_gmtoff, tm.tm_zone);
            }
        }
    }
    for (int64_t t = 1767225600; t < 1798761600 && bad < 5; t += 3600) {
        time_t tt = (time_t)t;
        struct tm tm;
        const char *abbr;
        int32_t off = tz_offset(tz, tt, &abbr);
        localtime_r(&tt, &tm);
        if (off != tm.tm_gmtoff) {
            bad++;
            CHECK_MSG(0, "%s at %lld: %d, glibc %ld", name, (long long)tt, off, tm.tm_gmtoff);
        }
    }
    CHECK(bad == 0);
    tz_close(&tz);
}

static void test_oracle(void)
{
    static const char *const zones[] = {
        "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
        "America/Sao_Paulo", "Pacific/Chatham", "Europe/Dublin", "America/St_Johns",
        "Africa/Casablanca", "Asia/Tehran", "Pacific/Kiritimati", "America/Santiago",
        "Antarctica/Troll", "Etc/GMT+5", "UTC",
    };
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
        compare_zone(zones[i]);
    unsetenv("TZ");
}

static void test_names(void)
{
    Tz *tz = NULL;
    /* Attacks on the path: nothing outside the zone folder is ever read. */
    static const char *const refused[] = {
        "../../etc/passwd", "/etc/passwd", "Europe/../../../etc/passwd", "..", ".",
        "Europe//Berlin", "Europe/./Berlin", "Europe/Berlin/", "Europe/Berlin\n", "Euro pe",
        "Europe/Berlin;rm", "", "+5:30", "+19:00", "+05:60", "+0530x",
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int ret = tz_open(&tz, refused[i]);
        CHECK_MSG(ret == EVCLIP_ERR_INVALID && !tz && strstr(ev_error_message(), "time zone"),
                  "'%s' opened (%s)", refused[i], ev_error_message());
    }
    CHECK(tz_open(&tz, "Mars/Olympus_Mons") == EVCLIP_ERR_INVALID &&
          strstr(ev_error_message(), "unknown zone"));
    CHECK(tz_open(&tz, "zone.tab") == EVCLIP_ERR_INVALID || tz_open(&tz, "tzdata.zi") ==
          EVCLIP_ERR_INVALID); /* files of the folder that are not zones */
    CHECK(tz_open(&tz, "Europe") == EVCLIP_ERR_INVALID && strstr(ev_error_message(),
                                                                 "not a zone file"));
    char long_name[300];
    memset(long_name, 'A', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    CHECK(tz_open(&tz, long_name) == EVCLIP_ERR_INVALID);
    CHECK(tz_open(&tz, "Z") == 0 && !strcmp(tz_name(tz), "UTC"));
    tz_close(&tz);
}

/* Truncated and corrupted copies of a real zone file: refused or read, never read past. */
static void test_malformed(void)
{
    FILE *f = fopen(TZ_DIR "/Europe/Berlin", "rb");
    unsigned char data[8192];
    size_t n = f ? fread(data, 1, sizeof(data), f) : 0;
    char path[64];
    if (f)
        fclose(f);
    CHECK(n > 100);
    snprintf(path, sizeof(path), "/tmp/evclip-tz-%ld", (long)getpid());
    int refused = 0;
    for (size_t cut = 0; cut < n; cut += cut < 120 ? 1 : 7) {
        for (int flip = 0; flip < 2; flip++) {
            FILE *o = fopen(path, "wb");
            unsigned char copy[8192];
            memcpy(copy, data, n);
            if (flip)
                copy[cut] ^= 0xff;
            fwrite(copy, 1, flip ? n : cut, o);
            fclose(o);
            Tz *tz = NULL;
            if (tz_load_file(&tz, path, "test") < 0) {
                refused++;
                continue;
            }
            const char *abbr;
            for (int64_t t = -INT64_C(4000000000); t < INT64_C(8000000000); t += 99999937)
                (void)tz_offset(tz, t, &abbr);
            tz_close(&tz);
        }
    }
    unlink(path);
    CHECK(refused > 100);
}

/* The drawn caption of the DST-crossing times through the overlay's text path equals the
 * caption of the expected text, and the two sides of the change differ. */
static void caption(Overlay *o, const char *text, uint8_t *buf, int w, int h)
{
    int cw = w / 2, ch = h / 2;
    memset(buf, 90, (size_t)w * h);
    memset(buf + (size_t)w * h, 128, 2 * (size_t)cw * ch);
    DrawImage img = { { buf, buf + (size_t)w * h, buf + (size_t)w * h + cw * ch },
                      { w, cw, cw }, w, h, 0 };
    overlay_draw_captions(o, &img, NULL, text);
}

static void test_drawn(void)
{
    enum { W = 640, H = 120 };
    size_t size = (size_t)W * H * 3 / 2;
    uint8_t *a = malloc(size), *b = malloc(size), *c = malloc(size);
    OverlayParams p = { .width = W, .height = H, .matrix = DRAW_BT601 };
    Overlay *o = NULL;
    Tz *berlin = NULL;
    char before[WALLCLOCK_TEXT], after[WALLCLOCK_TEXT];
    if (!a || !b || !c || overlay_open(&o, &p) < 0 || tz_open(&berlin, "Europe/Berlin") < 0) {
        CHECK_MSG(0, "setup: %s", ev_error_message());
        goto end;
    }
    wallclock_format(berlin, SPRING_2026 - 0.5, before, sizeof(before));
    wallclock_format(berlin, SPRING_2026 + 0.5, after, sizeof(after));
    caption(o, before, a, W, H);
    caption(o, "2026-03-29 01:59:59.500 CET +01:00", b, W, H);
    CHECK(memcmp(a, b, size) == 0);
    caption(o, after, a, W, H);
    caption(o, "2026-03-29 03:00:00.500 CEST +02:00", c, W, H);
    CHECK(memcmp(a, c, size) == 0);
    CHECK(memcmp(b, c, size) != 0);
end:
    overlay_close(&o);
    tz_close(&berlin);
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    test_parse();
    test_format();
    test_oracle();
    test_names();
    test_malformed();
    test_drawn();
    return test_summary();
}
