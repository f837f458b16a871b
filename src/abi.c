/* abi.c: the ABI a binding checks at load: API version and the size of every public struct. */
#include <string.h>

#include "src/error.h"

int evclip_version_api(void)
{
    return EVCLIP_API_VERSION;
}

#define STRUCT(name) { #name, sizeof(name) }

static const struct {
    const char *name;
    size_t size;
} structs[] = {
    STRUCT(EvclipProgress), STRUCT(EvclipDetection), STRUCT(EvclipDetectionStats),
    STRUCT(EvclipDrawOptions),
    STRUCT(EvclipSettings), STRUCT(EvclipSource), STRUCT(EvclipClip), STRUCT(EvclipResult),
    STRUCT(EvclipStats), STRUCT(EvclipFrame), STRUCT(EvclipWriterParams),
    STRUCT(EvclipVerifyResult), STRUCT(EvclipInspectFrame), STRUCT(EvclipLiveEvent),
    STRUCT(EvclipLiveSettings), STRUCT(EvclipStreamParams), STRUCT(EvclipStreamStats),
};

size_t evclip_struct_size(const char *name)
{
    for (size_t i = 0; name && i < sizeof(structs) / sizeof(structs[0]); i++)
        if (!strcmp(structs[i].name, name))
            return structs[i].size;
    return 0;
}
