/* manifest_json.h: JSON pieces shared by the manifest modules (manifest*.c). */
#ifndef EVCLIP_SRC_MANIFEST_JSON_H
#define EVCLIP_SRC_MANIFEST_JSON_H

#include <jansson.h>

#include "src/manifest.h"

/* The manifest's "format" and "format_version" members. */
#define MANIFEST_FORMAT_NAME "evclip-evidence-manifest"
#define MANIFEST_FORMAT_VERSION 1

/* The canonical form that is signed (see manifest.h). */
#define MANIFEST_CANON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(15))

/* A real rounded as every manifest real is (6 decimals, |x| < 1e-4 as 0; null when not
 * finite): the canonical form must be reproducible. */
json_t *manifest_real(double x);

/* The source entry of a live clip (info->live set). Returns 0 or NOMEM. */
int manifest_live_source(const ManifestInfo *info, json_t **out);

/* The "live" member of a live clip's manifest, or NULL (NOMEM). */
json_t *manifest_live_json(const ManifestLive *live);

#endif /* EVCLIP_SRC_MANIFEST_JSON_H */
