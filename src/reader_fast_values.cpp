/* reader_fast_values.cpp: the simdjson fast path's value readers: numbers, strings and keys
 * checked as jansson would read them, the fields of a detection object, and any other value
 * consumed and checked (reader_fast.cpp reads lines with them). */
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <jansson.h>

extern "C" {
#include "src/detections.h"
}
#include "src/reader_fast_values.h"

namespace evclip_fast {

using std::string_view;

namespace {

const double MAX_EXACT_INT = 9007199254740992.0; /* as reader.c: 2^53 */

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

} /* namespace */

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

/* The line being read (reader_fast_values.h). */
thread_local bool line_escapes;
thread_local const char *line_end;
thread_local std::vector<double> line_points;
thread_local std::string line_extras;

namespace {

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

} /* namespace */

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

namespace {

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

} /* namespace */

/* Returns the key's id; a repeated key defers. */
KeyId Keys::add(string_view k)
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

namespace {

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

} /* namespace */

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

} /* namespace evclip_fast */
