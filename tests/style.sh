#!/bin/sh
# style.sh: rejects tabs, CR, trailing spaces and lines over 100 columns in C sources/headers.
cd "$(dirname "$0")/.." || exit 1
bad=0
files=$(git ls-files 'src/*.[ch]' 'tools/*.[ch]' 'include/*.h' 'include/*.in' 'tests/*.c' \
        'tests/*.h' 'tests/*.cpp' 'bench/*.c' 2>/dev/null)
[ -n "$files" ] || files=$(find src tools include tests bench -name '*.[ch]' -o -name '*.cpp')
for f in $files; do
    if grep -nP '\t' "$f" /dev/null | head -3 | grep .; then bad=$((bad + 1)); fi
    if grep -nP '\r' "$f" /dev/null | head -3 | grep .; then bad=$((bad + 1)); fi
    if grep -nP ' +$' "$f" /dev/null | head -3 | grep .; then bad=$((bad + 1)); fi
    if awk 'length > 100 { printf "%s:%d: line longer than 100 columns\n", FILENAME, FNR; n++ }
            END { exit n > 0 }' "$f"; then :; else bad=$((bad + 1)); fi
    # An error detail formatted into itself (use ev_error_wrap): ev_error(..., ev_error_message())
    if perl -0 -ne 'while (/(ev_error(?:_av)?\([^;]*?(?:ev_error_message|evclip_last_error)\(\))/sg) {
            print "$ARGV: formats the error detail into itself: $1\n"; $n++ }
            END { exit($n ? 1 : 0) }' "$f"; then :; else bad=$((bad + 1)); fi
done
count=$(echo "$files" | wc -w)
echo "$((count - bad)) passed, $bad failed"
[ $bad -eq 0 ]
