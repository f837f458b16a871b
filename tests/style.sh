#!/bin/sh
# style.sh: rejects tabs, CR, trailing spaces and lines over 100 columns in C sources/headers,
# and an error detail formatted into itself. One pass of awk and one of perl over all files.
cd "$(dirname "$0")/.." || exit 1
files=$(git ls-files 'src/*.[ch]' 'src/*.cpp' 'tools/*.[ch]' 'include/*.h' 'include/*.in' 'tests/*.c' \
        'tests/*.h' 'tests/*.cpp' 'bench/*.c' 2>/dev/null)
[ -n "$files" ] || files=$(find src tools include tests bench -name '*.[ch]' -o -name '*.cpp')
# shellcheck disable=SC2086
bad_lines=$(awk '
    /\t/      { printf "%s:%d: tab\n", FILENAME, FNR; bad[FILENAME] = 1 }
    /\r/      { printf "%s:%d: carriage return\n", FILENAME, FNR; bad[FILENAME] = 1 }
    / +$/     { printf "%s:%d: trailing spaces\n", FILENAME, FNR; bad[FILENAME] = 1 }
    length > 100 { printf "%s:%d: line longer than 100 columns\n", FILENAME, FNR; bad[FILENAME] = 1 }
    END { for (f in bad) printf "BAD %s\n", f }' $files)
# An error detail formatted into itself (use ev_error_wrap): ev_error(..., ev_error_message())
# shellcheck disable=SC2086
self_format=$(perl -0 -ne 'while (/(ev_error(?:_av)?\([^;]*?(?:ev_error_message|evclip_last_error)\(\))/sg) {
        print "$ARGV: formats the error detail into itself: $1\n"; print "BAD $ARGV\n" }' $files)
report=$(printf '%s\n%s\n' "$bad_lines" "$self_format" | grep -v '^BAD ' | grep .)
[ -n "$report" ] && echo "$report"
bad=$(printf '%s\n%s\n' "$bad_lines" "$self_format" | sed -n 's/^BAD //p' | sort -u | grep -c .)
count=$(echo "$files" | wc -w)
echo "$((count - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
