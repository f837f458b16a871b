// test_header.cpp: the public header compiles alone as C++.
#include "evclip/evclip.h"

int main()
{
    EvclipClip clip = {};
    (void)clip;
    return EVCLIP_OK;
}
