/* check.h: tiny test harness: CHECK() records failures, test_summary() prints the result line. */
#ifndef EVCLIP_TESTS_CHECK_H
#define EVCLIP_TESTS_CHECK_H

#include <stdio.h>

#define TEST_SKIP 77

static int check_passed, check_failed;

#define CHECK(cond) \
    do { \
        if (cond) { \
            check_passed++; \
        } else { \
            check_failed++; \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        } \
    } while (0)

#define CHECK_MSG(cond, ...) \
    do { \
        if (cond) { \
            check_passed++; \
        } else { \
            check_failed++; \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
        } \
    } while (0)

/* Prints "N passed, N failed" and returns the process exit code. */
static inline int test_summary(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif /* EVCLIP_TESTS_CHECK_H */
