/* sei.c: placeholder until the integrity work lands. */
#include "src/sei.h"

int sei_attach(AVFrame *frame, const EvclipDetection *dets, int n, double source_time,
               int source_index)
{
    (void)frame;
    (void)dets;
    (void)n;
    (void)source_time;
    (void)source_index;
    return 0;
}
