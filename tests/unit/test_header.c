/* test_header.c: the public header compiles alone as strict C99. */
#include "evclip/evclip.h"

int main(void)
{
    EvclipSettings s;
    (void)s;
    return EVCLIP_OK;
}
