/* test_utf8.c: unit tests of utf8_next: valid sequences, invalid bytes and the terminator. */
#include <stdint.h>

#include "src/utf8.h"
#include "tests/unit/check.h"

/* Decodes s fully into out[] (at most n code points); returns the count. */
static int decode(const char *s, uint32_t *out, int n)
{
    int i = 0;
    uint32_t c;

    while (i < n && (c = utf8_next(&s)))
        out[i++] = c;
    return i;
}

static void test_valid(void)
{
    uint32_t cp[8];
    const char *s = "a";

    CHECK(decode("Stra\xC3\x9F" "e", cp, 8) == 6 && cp[4] == 0xDF && cp[5] == 'e');
    CHECK(decode("caf\xC3\xA9", cp, 8) == 4 && cp[3] == 0xE9);
    CHECK(decode("\xE2\x82\xAC", cp, 8) == 1 && cp[0] == 0x20AC);
    CHECK(decode("\xF0\x9F\x9A\x97", cp, 8) == 1 && cp[0] == 0x1F697);
    CHECK(decode("\xF4\x8F\xBF\xBF", cp, 8) == 1 && cp[0] == 0x10FFFF);
    CHECK(decode("\xC2\x80\xDF\xBF", cp, 8) == 2 && cp[0] == 0x80 && cp[1] == 0x7FF);
    CHECK(decode("\xE0\xA0\x80\xEF\xBF\xBF", cp, 8) == 2 && cp[0] == 0x800 && cp[1] == 0xFFFF);
    CHECK(utf8_next(&s) == 'a' && *s == '\0');
    CHECK(utf8_next(&s) == 0 && *s == '\0'); /* stays on the terminator */
}

/* Each invalid input decodes to `n` code points, the first being U+FFFD. */
static void invalid(const char *s, int n)
{
    uint32_t cp[8];
    int got = decode(s, cp, 8);

    CHECK_MSG(got == n && cp[0] == 0xFFFD, "input %02x: %d code points, first U+%04X",
              (unsigned char)s[0], got, got ? (unsigned)cp[0] : 0u);
}

static void test_invalid(void)
{
    uint32_t cp[8];

    invalid("\x80", 1);                 /* lone continuation */
    invalid("\xBF" "a", 2);
    invalid("\xC0\x80", 2);             /* overlong NUL: lead and continuation both bad */
    invalid("\xE0\x80\xAF", 3);         /* overlong '/' */
    invalid("\xED\xA0\x80", 3);         /* UTF-16 surrogate */
    invalid("\xF4\x90\x80\x80", 4);     /* above U+10FFFF */
    invalid("\xF8\x88\x80\x80\x80", 5); /* 5-byte form */
    invalid("\xFF", 1);
    invalid("\xC3", 1);                 /* truncated at the terminator */
    invalid("\xE2\x82", 2);
    CHECK(decode("\xC3" "A", cp, 8) == 2 && cp[0] == 0xFFFD && cp[1] == 'A');
    CHECK(decode("\xF0\x9F\x9A" "b", cp, 8) == 4 && cp[3] == 'b');
}

int main(void)
{
    test_valid();
    test_invalid();
    return test_summary();
}
