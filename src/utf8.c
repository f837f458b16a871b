/* utf8.c: minimal UTF-8 decoding for label text. */
#include "src/utf8.h"

static int continuation(const unsigned char *p, int n)
{
    for (int i = 1; i <= n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return 1;
}

uint32_t utf8_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t c;
    int n;

    if (p[0] == 0)
        return 0;
    if (p[0] < 0x80) {
        *s += 1;
        return p[0];
    }
    if ((p[0] & 0xE0) == 0xC0) {
        n = 1;
        c = p[0] & 0x1F;
    } else if ((p[0] & 0xF0) == 0xE0) {
        n = 2;
        c = p[0] & 0x0F;
    } else if ((p[0] & 0xF8) == 0xF0) {
        n = 3;
        c = p[0] & 0x07;
    } else {
        *s += 1;
        return 0xFFFD;
    }
    if (!continuation(p, n)) {
        *s += 1;
        return 0xFFFD;
    }
    for (int i = 1; i <= n; i++)
        c = (c << 6) | (p[i] & 0x3F);
    static const uint32_t min_value[4] = { 0, 0x80, 0x800, 0x10000 };
    if (c < min_value[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        *s += 1;
        return 0xFFFD;
    }
    *s += n + 1;
    return c;
}

int utf8_put(uint32_t cp, char *out)
{
    unsigned char *p = (unsigned char *)out;

    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        p[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (unsigned char)(0xC0 | cp >> 6);
        p[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (unsigned char)(0xE0 | cp >> 12);
        p[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        p[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (unsigned char)(0xF0 | cp >> 18);
    p[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    p[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    p[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}
