/* test_error.c: error detail messages: wrapping a cause never formats the buffer into itself. */
#include <string.h>

#include "src/error.h"
#include "tests/unit/check.h"

int main(void)
{
    char long_cause[1500];
    ev_error(EVCLIP_ERR_INVALID, "field 'pre': expected a number");
    CHECK(ev_error_wrap(EVCLIP_ERR_DECODE, "cams.json: streams[%d]", 2) == EVCLIP_ERR_DECODE);
    CHECK(!strcmp(evclip_last_error(), "cams.json: streams[2]: field 'pre': expected a number"));
    /* Twice: the previous wrapped text becomes the cause, intact. */
    ev_error_wrap(EVCLIP_ERR_DECODE, "outer");
    CHECK(!strcmp(evclip_last_error(),
                  "outer: cams.json: streams[2]: field 'pre': expected a number"));
    /* A cause filling the buffer is cut at the end, its start kept after the prefix. */
    memset(long_cause, 'x', sizeof(long_cause) - 1);
    long_cause[sizeof(long_cause) - 1] = '\0';
    ev_error(EVCLIP_ERR_INVALID, "%s", long_cause);
    ev_error_wrap(EVCLIP_ERR_INVALID, "p");
    CHECK(!strncmp(evclip_last_error(), "p: xxxx", 7) && strlen(evclip_last_error()) == 1023);
    /* No cause: the prefix alone. */
    ev_error_clear();
    ev_error_wrap(EVCLIP_ERR_INVALID, "alone");
    CHECK(!strcmp(evclip_last_error(), "alone"));
    return test_summary();
}
