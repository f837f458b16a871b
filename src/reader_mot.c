/* reader_mot.c: MOTChallenge txt lines (frame,id,left,top,width,height[,conf,...]) with an
 * exact fast path for plain decimal fields and strtod() for the rest. */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/detections.h"
#include "src/reader_internal.h"

/* strtod() reading '.' as the decimal point whatever LC_NUMERIC the host program set (the
 * same approach as jansson's number parser). `s` is a writable copy of the field. */
static double c_strtod(char *s, char **stop)
{
    const char *point = localeconv()->decimal_point;
    if (point && point[0] && point[0] != '.' && !point[1]) {
        char *dot = strchr(s, '.');
        if (dot)
            *dot = point[0];
    }
    return strtod(s, stop);
}

/* Fast path of a MOT field under 64 bytes (longer ones are errors): [ \t]* -?digits[.digits]
 * [ \t\r]*, at most 15 significant digits. Both the digits and the power of ten are then
 * exact doubles, so one division gives the correctly rounded value, the one strtod() returns.
 * Returns 1, or 0 for anything else (strtod() decides). */
static int mot_number(const char *s, size_t len, double *out)
{
    static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                    1e11, 1e12, 1e13, 1e14, 1e15 };
    size_t i = 0;
    if (len >= 64) /* reader_mot_line()'s field copy: longer fields are errors there */
        return 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    int neg = i < len && s[i] == '-';
    i += neg;
    uint64_t m = 0;
    int digits = 0, frac = -1;
    for (; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            m = m * 10 + (uint64_t)(s[i] - '0');
            digits++;
            frac += frac >= 0;
        } else if (s[i] == '.' && frac < 0) {
            frac = 0;
        } else {
            break;
        }
    }
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (i != len || digits == 0 || digits > 15 || frac == 0)
        return 0;
    double v = frac > 0 ? (double)m / pow10[frac] : (double)m;
    *out = neg ? -v : v;
    return 1;
}

/* frame,id,left,top,width,height[,conf[,x,y,z | class,visibility]]: 1-based frames, id -1 =
 * untracked, conf -1 = none. Every box is labelled "obj" (MOT logs carry no class names). */
int reader_mot_line(EvclipDetections *d, Line *ln, const char *text, size_t len)
{
    static const char *const names[7] = { "frame", "id", "left", "top", "width", "height",
                                          "conf" };
    double v[7];
    size_t n = 0, pos = 0;
    char field[64];
    while (pos <= len && n < 7) {
        const char *comma = memchr(text + pos, ',', len - pos);
        size_t end = comma ? (size_t)(comma - text) : len;
        size_t flen = end - pos;
        char *stop;
        if (n >= 6 && reader_is_blank(text + pos, flen))
            break;
        if (!ln->slow_numbers && mot_number(text + pos, flen, &v[n])) {
            n++;
            pos = end + 1;
            if (!comma)
                break;
            continue;
        }
        if (flen >= sizeof(field))
            return reader_field_error(ln, names[n], "expected a number");
        memcpy(field, text + pos, flen);
        field[flen] = '\0';
        v[n] = c_strtod(field, &stop);
        while (*stop == ' ' || *stop == '\t' || *stop == '\r')
            stop++;
        if (stop == field || *stop)
            return reader_field_error(ln, names[n], "expected a number");
        n++;
        pos = end + 1;
        if (!comma)
            break;
    }
    if (n < 6)
        return reader_line_error(ln, "expected at least 6 comma-separated fields "
                          "(frame,id,left,top,width,height)");
    if (!(v[0] >= 1 && v[0] <= MAX_EXACT_INT) || v[0] != floor(v[0]))
        return reader_field_error(ln, "frame", "expected an integer >= 1 (MOT frames are 1-based)");
    if (!(fabs(v[1]) <= MAX_EXACT_INT) || v[1] != floor(v[1]))
        return reader_field_error(ln, "id", "expected an integer (-1 = none)");
    EvclipDetection det = {
        .frame_idx = (int64_t)v[0] - 1, .ts = EVCLIP_NONE, .label = "obj",
        .x1 = v[2], .y1 = v[3], .x2 = v[2] + v[4], .y2 = v[3] + v[5],
        .score = n > 6 && v[6] >= 0 ? v[6] : EVCLIP_NONE,
        .track_id = v[1] >= 0 ? (int64_t)v[1] : EVCLIP_NONE,
        .normalized = ln->normalized,
    };
    return reader_store(d, ln, &det, 0);
}
