/* reader_fast.cpp: simdjson On-Demand fast path for native, grouped and Ultralytics JSON lines;
 * anything it is not sure of is left to the jansson reader (reader.c). */
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <jansson.h>
#include <simdjson.h>

extern "C" {
#include "src/color.h"
#include "src/detections.h"
#include "src/reader.h"
#include "src/reader_fast.h"
}
#include "src/reader_quick.h"

namespace od = simdjson::ondemand;
using namespace evclip_fast;
using std::string_view;

namespace {

const double MAX_EXACT_INT = 9007199254740992.0; /* as reader.c: 2^53 */
const int MAX_KEYS = 64;                         /* keys per object checked for duplicates */

/* Why a line is left to the jansson reader: any error, any doubt. */
struct Defer {};

/* A detection ready to store; `label` is kept here for "class_N" labels. */
struct Pending {
    EvclipDetection det;
    size_t label_len;
    size_t poly_off, poly_n; /* polygon points in line_points (poly_n 0: none) */
    size_t extra_off, extra_len; /* its extra JSON text in line_extras (extra_len 0: none) */
    char label[32];
    bool own_label;
};

/* The frame keys of a grouped line, or of an Ultralytics array line. */
struct FrameKeys {
    int64_t frame_idx;
    double ts;
};

template <typename T> T need(simdjson::simdjson_result<T> &&r)
{
    T v;
    if (std::move(r).get(v))
        throw Defer();
    return v;
}

bool need_bool(simdjson::simdjson_result<bool> &&r)
{
    bool v;
    if (std::move(r).get(v))
        throw Defer();
    return v;
}

/* A number token; integers out of int64 range and reals out of double range are jansson
 * errors, so they defer. */
Number read_number(od::value v)
{
    string_view raw = v.raw_json_token();
    Number n{};
    if (quick_number(raw, &n))
        return n; /* left unconsumed: On-Demand skips it, still checking what follows */
    size_t i = raw.size() && raw[0] == '-';
    while (i < raw.size() && raw[i] >= '0' && raw[i] <= '9')
        i++;
    n.integer = i == raw.size() || (raw[i] != '.' && raw[i] != 'e' && raw[i] != 'E');
    /* simdjson 3.0 (Debian 12) mis-parses reals whose digits overflow 64 bits (0.95 followed
     * by zeros, or 0.911... with 55 digits gives a tiny number: simdjson issue #2093, fixed in
     * 3.6.3): more than 19 mantissa digits go to jansson (Python writes at most 17). */
    size_t digits = 0;
    for (size_t k = 0; k < raw.size() && raw[k] != 'e' && raw[k] != 'E'; k++)
        digits += raw[k] >= '0' && raw[k] <= '9';
    if (digits > 19)
        throw Defer();
    if (n.integer) {
        n.i = need(v.get_int64());
    } else {
        n.r = need(v.get_double());
        if (!std::isfinite(n.r))
            throw Defer();
    }
    return n;
}

bool integral(const Number &n, int64_t *out)
{
    if (n.integer) {
        *out = n.i;
        return true;
    }
    if (!(std::fabs(n.r) <= MAX_EXACT_INT) || n.r != std::floor(n.r))
        return false;
    *out = (int64_t)n.r;
    return true;
}

/* Whether the line being read holds a backslash (set by fast_reader_line()). */
thread_local bool line_escapes;
/* End of the line being read (set by fast_reader_line()). */
thread_local const char *line_end;
/* x, y of the polygons of the line being read (cleared by fast_reader_line()). */
thread_local std::vector<double> line_points;
/* Compact JSON texts of the line's non-empty "extra" objects, each NUL-terminated. */
thread_local std::string line_extras;

/* Text that jansson would read the same: a line without backslash and control bytes
 * (plain_line()) has no escapes and no NUL; after escapes, what simdjson unescaped must hold
 * no NUL (jansson refuses \u0000) and be valid UTF-8 (no lone surrogate). */
void check_text(string_view s)
{
    if (line_escapes && (std::memchr(s.data(), 0, s.size()) ||
                         !simdjson::validate_utf8(s.data(), s.size())))
        throw Defer();
}

/* A string value (consumed: a string left unread and followed by ':' would be skipped by
 * On-Demand as if it were a key, hiding the error; numbers are skipped strictly). */
string_view read_string(od::value v)
{
    string_view s = need(v.get_string());
    check_text(s);
    return s;
}

void validate(od::value v, int depth);

/* A field's key: on a line without backslash, the text up to its closing quote, in place. */
string_view key_text(od::field &f)
{
    if (line_escapes)
        return need(f.unescaped_key());
    const char *k = f.key().raw();
    const char *close = static_cast<const char *>(std::memchr(k, '"', (size_t)(line_end - k)));
    if (!close)
        throw Defer();
    return string_view(k, (size_t)(close - k));
}

/* Reads the keys of an object one by one; a repeated key defers (JSON_REJECT_DUPLICATES). */
/* The keys the readers know, as small ids (bit positions in Keys::known). */
enum KeyId {
    K_OTHER = -1, K_BBOX, K_BOX, K_LABEL, K_NAME, K_CLASS, K_SCORE, K_CONF, K_TRACK, K_COLOR,
    K_FRAME_IDX, K_FRAME, K_TS, K_NORM, K_EXTRA, K_DETECTIONS, K_X1, K_Y1, K_X2, K_Y2,
    K_POLYGON,
};

KeyId key_id(string_view k)
{
    static const struct { string_view name; KeyId id; } keys[] = {
        { "bbox", K_BBOX }, { "box", K_BOX }, { "label", K_LABEL }, { "name", K_NAME },
        { "class", K_CLASS }, { "score", K_SCORE }, { "confidence", K_CONF },
        { "track_id", K_TRACK }, { "color", K_COLOR }, { "frame_idx", K_FRAME_IDX },
        { "frame", K_FRAME }, { "ts", K_TS }, { "normalized", K_NORM }, { "extra", K_EXTRA },
        { "detections", K_DETECTIONS }, { "x1", K_X1 }, { "y1", K_Y1 }, { "x2", K_X2 },
        { "y2", K_Y2 }, { "polygon", K_POLYGON },
    };
    for (const auto &key : keys) {
        if (k == key.name)
            return key.id;
    }
    return K_OTHER;
}

struct Keys {
    uint32_t known = 0;          /* bit per KeyId seen */
    const char *other[MAX_KEYS]; /* other keys seen (left uninitialised: only [0, n) read) */
    size_t other_len[MAX_KEYS];
    int n = 0;

    /* Returns the key's id; a repeated key defers. */
    KeyId add(string_view k)
    {
        if (k == "wallclock")
            throw Defer(); /* keyed by wall-clock time: reader.c's job */
        KeyId id = key_id(k);
        if (id != K_OTHER) {
            if (known & (1u << id))
                throw Defer();
            known |= 1u << id;
            return id;
        }
        for (int i = 0; i < n; i++)
            if (other_len[i] == k.size() && !std::memcmp(other[i], k.data(), k.size()))
                throw Defer();
        if (n == MAX_KEYS)
            throw Defer();
        check_text(k);
        other[n] = k.data();
        other_len[n++] = k.size();
        return id;
    }
};

/* Consumes any value, checking what On-Demand skips without checking (numbers, literals,
 * string contents, repeated keys). */
void validate(od::value v, int depth)
{
    if (depth > 64)
        throw Defer();
    switch (need(v.type())) {
    case od::json_type::object: {
        Keys keys;
        od::object obj = need(v.get_object());
        for (auto field : obj) {
            od::field f = need(std::move(field));
            keys.add(key_text(f));
            validate(f.value(), depth + 1);
        }
        break;
    }
    case od::json_type::array: {
        od::array arr = need(v.get_array());
        for (auto e : arr)
            validate(need(std::move(e)), depth + 1);
        break;
    }
    case od::json_type::number:
        read_number(v);
        break;
    case od::json_type::string:
        read_string(v);
        break;
    case od::json_type::boolean:
        need_bool(v.get_bool());
        break;
    case od::json_type::null:
        if (!need_bool(v.is_null()))
            throw Defer();
        break;
    }
}

/* A number, or null (*is_null set). Anything else defers. */
void number_or_null(od::value v, Number *n, bool *is_null)
{
    *is_null = need_bool(v.is_null());
    if (!*is_null)
        *n = read_number(v);
}

void read_bbox(od::value v, double out[4])
{
    od::array arr = need(v.get_array());
    int n = 0;
    for (auto e : arr) {
        if (n == 4)
            throw Defer();
        od::value x = need(std::move(e));
        out[n++] = read_number(x).value();
    }
    if (n != 4)
        throw Defer();
}

/* "polygon": [[x, y], ...] of 3..65535 number pairs into line_points; anything else (null,
 * a bad shape: the full reader's messages) defers. */
void read_polygon(od::value v, Item *it)
{
    od::array arr = need(v.get_array());
    it->has_poly = true;
    it->poly_off = line_points.size();
    for (auto e : arr) {
        od::array pt = need(need(std::move(e)).get_array());
        int n = 0;
        for (auto c : pt) {
            if (n == 2)
                throw Defer();
            line_points.push_back(read_number(need(std::move(c))).value());
            n++;
        }
        if (n != 2)
            throw Defer();
    }
    it->poly_n = (line_points.size() - it->poly_off) / 2;
    if (it->poly_n < 3 || it->poly_n > DETECTIONS_MAX_POLYGON)
        throw Defer();
}

void read_box(od::value v, double out[4])
{
    od::object obj = need(v.get_object());
    Keys keys;
    int got = 0;
    for (auto field : obj) {
        od::field f = need(std::move(field));
        string_view k = key_text(f);
        KeyId id = keys.add(k);
        int i = id >= K_X1 && id <= K_Y2 ? id - K_X1 : -1;
        if (i < 0 && k.size() == 2 && (k[0] == 'x' || k[0] == 'y') &&
            (k[1] == '3' || k[1] == '4'))
            throw Defer(); /* an oriented box (x1..x4, y1..y4): the full reader's polygon */
        if (i < 0) {
            validate(f.value(), 1);
            continue;
        }
        out[i] = read_number(f.value()).value();
        got |= 1 << i;
    }
    if (got != 15)
        throw Defer();
}

void read_color(od::value v, Item *it)
{
    it->null_color = need_bool(v.is_null());
    if (it->null_color)
        return;
    if (need(v.type()) == od::json_type::string) {
        it->color_text = read_string(v);
        it->color_kind = 1;
        return;
    }
    od::array arr = need(v.get_array());
    int n = 0;
    for (auto e : arr) {
        int64_t c;
        if (n == 3 || !integral(read_number(need(std::move(e))), &c) || c < 0 || c > 255)
            throw Defer();
        it->color[n++] = (uint8_t)c;
    }
    if (n != 3)
        throw Defer();
    it->color_kind = 2;
}

/* One field of a detection object (native or Ultralytics row: the union of their keys). */
/* Depth of nested objects and arrays in v (0: a scalar). */
int json_depth(json_t *v)
{
    int deepest = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *e;
        json_object_foreach(v, key, e)
            deepest = std::max(deepest, json_depth(e));
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
            deepest = std::max(deepest, json_depth(e));
    } else {
        return 0;
    }
    return deepest + 1;
}

/* A non-empty "extra" object is kept by the store as reader.c keeps it: its text parsed and
 * dumped by jansson (the same parser, flags and output), into line_extras. */
void read_extra(od::object obj, Item *it)
{
    string_view raw = need(obj.raw_json());
    json_t *v = json_loadb(raw.data(), raw.size(), JSON_REJECT_DUPLICATES, nullptr);
    if (!v || json_depth(v) > 64) { /* errors and the deep: the full reader's */
        json_decref(v);
        throw Defer();
    }
    char *text = json_object_size(v) > 0
                     ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : nullptr;
    bool empty = json_object_size(v) == 0;
    json_decref(v);
    if (empty)
        return;
    if (!text)
        throw std::bad_alloc();
    it->extra_off = line_extras.size();
    it->extra_len = std::strlen(text);
    try {
        line_extras.append(text, it->extra_len + 1);
    } catch (...) {
        std::free(text);
        throw;
    }
    std::free(text);
}

void read_field(KeyId k, od::value v, Item *it)
{
    switch (k) {
    case K_BBOX:
        it->has_bbox = true;
        read_bbox(v, it->bbox);
        break;
    case K_BOX:
        it->has_box = true;
        read_box(v, it->box);
        break;
    case K_LABEL:
        it->has_label = true;
        it->label = read_string(v);
        break;
    case K_NAME:
        it->has_name = true;
        it->null_name = need_bool(v.is_null());
        if (!it->null_name)
            it->name = read_string(v);
        break;
    case K_CLASS:
        it->has_class = true;
        number_or_null(v, &it->cls, &it->null_class);
        break;
    case K_SCORE:
        it->has_score = true;
        number_or_null(v, &it->score, &it->null_score);
        break;
    case K_CONF:
        it->has_conf = true;
        number_or_null(v, &it->conf, &it->null_conf);
        break;
    case K_TRACK:
        it->has_track = true;
        number_or_null(v, &it->track, &it->null_track);
        break;
    case K_COLOR:
        it->has_color = true;
        read_color(v, it);
        break;
    case K_FRAME_IDX:
        it->has_idx = true;
        number_or_null(v, &it->idx, &it->null_idx);
        break;
    case K_FRAME:
        it->has_frame = true;
        it->unknown = true; /* a key only of Ultralytics rows */
        number_or_null(v, &it->frame, &it->null_frame);
        break;
    case K_TS:
        it->has_ts = true;
        number_or_null(v, &it->ts, &it->null_ts);
        break;
    case K_POLYGON:
        read_polygon(v, it);
        break;
    case K_NORM:
        it->has_norm = true;
        it->null_norm = need_bool(v.is_null());
        if (!it->null_norm)
            it->norm = need_bool(v.get_bool());
        break;
    case K_EXTRA:
        if (need(v.type()) == od::json_type::object)
            read_extra(need(v.get_object()), it);
        else
            validate(v, 1);
        break;
    default:
        it->unknown = true;
        validate(v, 1);
    }
}

Item read_fields(od::object obj)
{
    Item it;
    Keys keys;
    for (auto field : obj) {
        od::field f = need(std::move(field));
        read_field(keys.add(key_text(f)), f.value(), &it);
    }
    return it;
}

/* frame_idx (or Ultralytics' "frame") and ts, as reader.c's read_keys(). */
void item_keys(const Item &it, bool ultralytics_frame, EvclipDetection *det)
{
    det->frame_idx = EVCLIP_NONE;
    det->ts = EVCLIP_NONE;
    bool has_idx = it.has_idx, null_idx = it.null_idx;
    Number idx = it.idx;
    if (!has_idx && ultralytics_frame && it.has_frame) {
        has_idx = true;
        null_idx = it.null_frame;
        idx = it.frame;
    }
    if (has_idx && !null_idx && (!integral(idx, &det->frame_idx) || det->frame_idx < 0))
        throw Defer();
    if (it.has_ts && !it.null_ts) {
        det->ts = it.ts.value();
        if (!(det->ts >= 0) || !std::isfinite(det->ts))
            throw Defer();
    }
}

void item_score_track(const Item &it, bool row, EvclipDetection *det)
{
    bool has = row ? it.has_conf : it.has_score, is_null = row ? it.null_conf : it.null_score;
    det->score = has && !is_null ? (row ? it.conf : it.score).value() : EVCLIP_NONE;
    det->track_id = EVCLIP_NONE;
    if (it.has_track && !it.null_track) {
        if (!integral(it.track, &det->track_id))
            throw Defer();
        if (det->track_id < 0)
            det->track_id = EVCLIP_NONE;
    }
    det->has_color = 0;
    if (it.color_kind == 1) {
        char text[64];
        if (it.color_text.size() >= sizeof(text))
            throw Defer();
        std::memcpy(text, it.color_text.data(), it.color_text.size());
        text[it.color_text.size()] = '\0';
        if (color_parse(text, det->color) < 0)
            throw Defer();
        det->has_color = 1;
    } else if (it.color_kind == 2) {
        std::memcpy(det->color, it.color, 3);
        det->has_color = 1;
    }
}

/* One detection object's fields, read, as reader.c's read_item(); `frame` NULL when it must
 * carry its keys. */
void finish_item(const Item &it, int format, bool row_if_box, const FrameKeys *frame,
                 int normalized, Pending *p)
{
    bool row = format == READER_ULTRALYTICS || (row_if_box && it.has_box);
    EvclipDetection *det = &p->det;
    *det = EvclipDetection();
    p->own_label = false;
    p->poly_n = 0; /* rows have no polygon (the full reader ignores the key there) */
    p->extra_off = it.extra_off;
    p->extra_len = it.extra_len;
    if (row) {
        if (!it.has_box)
            throw Defer();
        std::memcpy(&det->x1, it.box, sizeof(it.box));
        if (it.has_name && !it.null_name) {
            det->label = it.name.data();
            p->label_len = it.name.size();
        } else if (it.has_class && !it.null_class) {
            int64_t id;
            if (!integral(it.cls, &id))
                throw Defer();
            p->label_len = (size_t)std::snprintf(p->label, sizeof(p->label), "class_%lld",
                                                 (long long)id);
            p->own_label = true;
        } else {
            throw Defer();
        }
    } else {
        /* Unknown keys, and the Ultralytics-only ones (box, name, class, confidence) that are
         * unknown in a native object, are warned about by the full reader. */
        if (it.unknown || it.has_box || it.has_name || it.has_class || it.has_conf ||
            (!it.has_bbox && !it.has_poly) || !it.has_label)
            throw Defer();
        if (it.has_bbox) { /* with a polygon, replaced by its bounds when stored */
            det->x1 = it.bbox[0];
            det->y1 = it.bbox[1];
            det->x2 = it.bbox[2];
            det->y2 = it.bbox[3];
        }
        p->poly_off = it.poly_off;
        p->poly_n = it.has_poly ? it.poly_n : 0;
        det->label = it.label.data();
        p->label_len = it.label.size();
    }
    item_score_track(it, row, det);
    item_keys(it, format == READER_ULTRALYTICS, det);
    if (frame && det->frame_idx < 0 && det->ts < 0) {
        det->frame_idx = frame->frame_idx;
        det->ts = frame->ts;
    }
    det->normalized = it.has_norm && !it.null_norm ? it.norm : normalized;
}

void read_item(od::value v, int format, bool row_if_box, const FrameKeys *frame,
               int normalized, Pending *p)
{
    finish_item(read_fields(need(v.get_object())), format, row_if_box, frame, normalized, p);
}

} /* namespace */

struct FastReader {
    od::parser parser;
    char *copy = nullptr;  /* padded copy of a line near the end of its buffer */
    size_t copy_cap = 0;
    Pending *items = nullptr;
    int nb_items = 0, items_cap = 0;
    std::vector<Item> quick_items; /* a grouped or Ultralytics line's (quick_group/rows) */

    Pending *next_item()
    {
        if (nb_items == MAX_ITEMS)
            throw Defer();
        if (nb_items == items_cap) {
            int cap = items_cap ? items_cap * 2 : 16;
            void *p = std::realloc(items, (size_t)cap * sizeof(*items));
            if (!p)
                throw std::bad_alloc();
            items = static_cast<Pending *>(p);
            items_cap = cap;
        }
        return &items[nb_items++];
    }

    void read_array(od::array arr, int format, bool row_if_box, const FrameKeys *frame,
                    int normalized)
    {
        for (auto e : arr)
            read_item(need(std::move(e)), format, row_if_box, frame, normalized, next_item());
    }

    /* {"frame_idx", "ts", "normalized", "detections": [...]}; other keys are ignored. */
    void read_group(od::object obj, int normalized)
    {
        Keys keys;
        Item frame_item;
        bool has_dets = false;
        for (auto field : obj) {
            od::field f = need(std::move(field));
            KeyId k = keys.add(key_text(f));
            if (k == K_DETECTIONS) {
                has_dets = true;
                /* The frame's keys may come later: read_group() fills them in after. */
                read_array(need(f.value().get_array()), READER_GROUPED, true, nullptr, -1);
            } else if (k == K_FRAME_IDX || k == K_TS || k == K_NORM) {
                read_field(k, f.value(), &frame_item);
            } else {
                validate(f.value(), 1);
            }
        }
        if (!has_dets)
            throw Defer();
        finish_group(frame_item, normalized);
    }

    /* After a group's detections: its frame keys, for those without their own. */
    void finish_group(const Item &frame_item, int normalized)
    {
        EvclipDetection keys_det{};
        item_keys(frame_item, false, &keys_det);
        if (keys_det.frame_idx < 0 && keys_det.ts < 0)
            throw Defer();
        if (frame_item.has_norm && !frame_item.null_norm)
            normalized = frame_item.norm;
        for (int i = 0; i < nb_items; i++)
            inherit(&items[i], keys_det, normalized);
    }

    /* A line the hand scanner reads (reader_quick.cpp); false leaves it to read_line(). */
    bool read_quick(const char *text, size_t len, int format, int normalized, int64_t ordinal)
    {
        if (format == READER_NATIVE) {
            Item it;
            if (!quick_native(text, len, &it))
                return false;
            finish_item(it, format, false, nullptr, normalized, next_item());
            return true;
        }
        if (format == READER_ULTRALYTICS) {
            if (!quick_rows(text, len, &quick_items))
                return false;
            FrameKeys frame = { ordinal, EVCLIP_NONE };
            for (const Item &it : quick_items)
                finish_item(it, format, false, &frame, normalized, next_item());
            return true;
        }
        Item frame_item;
        if (format != READER_GROUPED || !quick_group(text, len, &frame_item, &quick_items))
            return false;
        for (const Item &it : quick_items)
            finish_item(it, READER_GROUPED, true, nullptr, -1, next_item());
        finish_group(frame_item, normalized);
        return true;
    }

    int read_line(const char *text, size_t len, size_t cap, int format, int normalized,
                  int64_t ordinal)
    {
        od::document doc;
        if (parser.iterate(text, len, cap).get(doc))
            throw Defer();
        od::json_type type = need(doc.type());
        if (format == READER_GROUPED) {
            if (type != od::json_type::object)
                throw Defer();
            read_group(need(doc.get_object()), normalized);
        } else if (format == READER_ULTRALYTICS && type == od::json_type::array) {
            FrameKeys frame = { ordinal, EVCLIP_NONE };
            read_array(need(doc.get_array()), format, false, &frame, normalized);
        } else if (type == od::json_type::object) {
            od::value root = need(doc.get_value());
            read_item(root, format, false, nullptr, normalized, next_item());
        } else {
            throw Defer();
        }
        const char *rest;
        if (!doc.current_location().get(rest))
            throw Defer(); /* something after the value */
        return 1;
    }

    static void inherit(Pending *, const EvclipDetection &, int);
};

/* Grouped items were read before their frame's keys: fill them in now (read_item() with a
 * frame), re-checking what depends on them. normalized -1 marked "take the frame's". */
void FastReader::inherit(Pending *p, const EvclipDetection &frame, int normalized)
{
    EvclipDetection *det = &p->det;
    if (det->frame_idx < 0 && det->ts < 0) {
        det->frame_idx = frame.frame_idx;
        det->ts = frame.ts;
    }
    if (det->normalized < 0)
        det->normalized = normalized;
}

extern "C" FastReader *fast_reader_new(void)
{
    return new (std::nothrow) FastReader();
}

extern "C" void fast_reader_free(FastReader **f)
{
    if (!f || !*f)
        return;
    std::free((*f)->copy);
    std::free((*f)->items);
    delete *f;
    *f = nullptr;
}

static int fast_reader_store(FastReader *f, EvclipDetections *d);

extern "C" int fast_reader_line(FastReader *f, EvclipDetections *d, const char *text,
                                size_t len, size_t avail, int format, int normalized,
                                int64_t ordinal)
{
    LineBytes bytes;
    if (!plain_line(text, &len, &bytes))
        return 0;
    line_escapes = bytes.escapes;
    try {
        f->nb_items = 0;
        line_points.clear();
        line_extras.clear();
        if (!bytes.escapes && (!bytes.high || simdjson::validate_utf8(text, len)) &&
            f->read_quick(text, len, format, normalized, ordinal))
            return fast_reader_store(f, d);
        f->nb_items = 0;
        if (avail < len + FAST_READER_PADDING) {
            if (f->copy_cap < len + FAST_READER_PADDING) {
                char *p = static_cast<char *>(std::realloc(f->copy, len + FAST_READER_PADDING));
                if (!p)
                    return EVCLIP_ERR_NOMEM;
                f->copy = p;
                f->copy_cap = len + FAST_READER_PADDING;
            }
            std::memcpy(f->copy, text, len);
            std::memset(f->copy + len, ' ', FAST_READER_PADDING);
            text = f->copy;
            avail = f->copy_cap;
        }
        line_end = text + len;
        f->read_line(text, len, avail, format, normalized, ordinal);
    } catch (const Defer &) {
        return 0;
    } catch (const std::bad_alloc &) {
        return EVCLIP_ERR_NOMEM;
    }
    return fast_reader_store(f, d);
}

/* Stores the detections of the line read (f->items). Returns 1, 0 (left to jansson) or
 * NOMEM. */
static int fast_reader_store(FastReader *f, EvclipDetections *d)
{
    /* All or nothing: a nonsense box or a detection without keys is the full reader's to
     * report (skip notes, messages). */
    for (int i = 0; i < f->nb_items; i++) {
        Pending *p = &f->items[i];
        if (p->own_label)
            p->det.label = p->label;
        if (p->poly_n > 0 && (detections_polygon_problem(&line_points[p->poly_off],
                                                         (int)p->poly_n) ||
                              !detections_polygon_box(&p->det, &line_points[p->poly_off],
                                                      (int)p->poly_n)))
            return 0;
        if (!detections_storable(&p->det))
            return 0;
    }
    for (int i = 0; i < f->nb_items; i++) {
        Pending *p = &f->items[i];
        const char *extra = p->extra_len ? &line_extras[p->extra_off] : nullptr;
        int ret = p->poly_n > 0 ?
            detections_add_parsed_polygon(d, &p->det, p->label_len, &line_points[p->poly_off],
                                          (int)p->poly_n, extra) :
            detections_add_parsed(d, &p->det, p->label_len, extra);
        if (ret < 0)
            return ret;
    }
    return 1;
}
