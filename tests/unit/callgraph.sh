#!/bin/sh
# callgraph.sh: the library's shape, checked on its objects and sources.
#
#   1. The file-level call graph is acyclic: file A calls file B when A's
#      object has an undefined symbol that B's object defines (nm). A
#      cycle fails, printed as "a -> b -> ... -> a".
#   2. Only the backends call their kernel interface: inotify_* only from
#      inotify.c, fanotify_* only from fanotify.c; and the backends call
#      nothing of the library above the watch table (wtab, events, util).
#   3. No function of libinotifytools/*.c is longer than MAX_LINES lines,
#      counted between its opening and closing braces at column 0.
#
# Usage: callgraph.sh [OBJDIR [SRCDIR]], by default IT_LIBOBJDIR and
# IT_LIBSRCDIR (make check sets them), else libinotifytools/ here.
# Prints the graph; exits 0 if all holds, 1 otherwise.
set -eu

objdir=${1:-${IT_LIBOBJDIR:-libinotifytools}}
srcdir=${2:-${IT_LIBSRCDIR:-$objdir}}
MAX_LINES=60
# Functions allowed to be longer, as "file.c:name" (none).
LONG_OK=

NM=${NM:-nm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# One "file type symbol" line per global symbol of every object.
for src in "$srcdir"/*.c; do
	f=$(basename "$src" .c)
	if [ -f "$objdir/.libs/$f.o" ]; then
		obj=$objdir/.libs/$f.o
	elif [ -f "$objdir/$f.o" ]; then
		obj=$objdir/$f.o
	else
		echo "callgraph: no object for $src in $objdir" >&2
		exit 1
	fi
	"$NM" -P "$obj" | awk -v f="$f" '$2 ~ /^[A-Z]$/ { print f, $2, $1 }'
done >"$tmp/syms"

# 1. Edges, then a depth-first search for a cycle.
awk '
$2 != "U" { def[$3] = $1; next }
{ use[NR] = $1 " " $3 }
END {
	for (i in use) {
		split(use[i], u, " ")
		if ((u[2] in def) && def[u[2]] != u[1])
			print u[1], def[u[2]]
	}
}' "$tmp/syms" | sort -u >"$tmp/edges"

echo "# file-level calls (caller: callees)"
awk '{ a[$1] = a[$1] " " $2 } END { for (f in a) print "#   " f ":" a[f] }' \
	"$tmp/edges" | sort

if ! awk '
{ adj[$1] = adj[$1] " " $2; node[$1]; node[$2] }
function visit(n,    list, k, i, j, path) {
	state[n] = 1
	stack[++depth] = n
	k = split(adj[n], list, " ")
	for (i = 1; i <= k && !found; i++) {
		if (state[list[i]] == 1) {
			for (j = depth; stack[j] != list[i]; j--)
				;
			for (path = ""; j <= depth; j++)
				path = path stack[j] " -> "
			print "callgraph: cycle: " path list[i]
			found = 1
		} else if (!state[list[i]]) {
			visit(list[i])
		}
	}
	depth--
	state[n] = 2
}
# Tarjan: the files that are in a cycle together.
function strong(v,    list, k, i, w, comp, n) {
	idx[v] = low[v] = ++counter
	st[++sp] = v
	on[v] = 1
	k = split(adj[v], list, " ")
	for (i = 1; i <= k; i++) {
		w = list[i]
		if (!(w in idx)) {
			strong(w)
			if (low[w] < low[v])
				low[v] = low[w]
		} else if (on[w] && idx[w] < low[v]) {
			low[v] = idx[w]
		}
	}
	if (low[v] != idx[v])
		return
	for (comp = ""; ; ) {
		w = st[sp--]
		on[w] = 0
		comp = w " " comp
		n++
		if (w == v)
			break
	}
	if (n > 1)
		print "callgraph: " n " files in one cycle: " comp
}
END {
	for (v in node)
		if (!(v in idx))
			strong(v)
	for (v in node)
		if (!state[v] && !found)
			visit(v)
	exit found
}' "$tmp/edges"; then
	fail=1
fi

# 2. The kernel interfaces of the backends.
awk '
$2 == "U" && $3 ~ /^inotify_/ && $1 != "inotify" ||
$2 == "U" && $3 ~ /^fanotify_/ && $1 != "fanotify" {
	print "callgraph: " $1 ".c calls " $3 ": only its backend may"
	bad = 1
}
END { exit bad }' "$tmp/syms" || fail=1
awk '
($1 == "inotify" || $1 == "fanotify") && $2 !~ /^(wtab|events|util)$/ {
	print "callgraph: the backend " $1 ".c calls " $2 ".c"
	bad = 1
}
END { exit bad }' "$tmp/edges" || fail=1

# 3. Function length.
for src in "$srcdir"/*.c; do
	awk -v file="$(basename "$src")" -v max="$MAX_LINES" \
		-v ok=" $LONG_OK " '
	/^[^ \t{}#\/*]/ { decl = $0 }
	/^\{/ { start = NR; name = decl; next }
	/^\}/ && start {
		n = NR - start - 1
		sub(/\(.*/, "", name)
		sub(/.*[ *]/, "", name)
		if (n > max && index(ok, " " file ":" name " ") == 0) {
			printf "callgraph: %s: %s() has %d lines (max %d)\n",
				file, name, n, max
			bad = 1
		}
		start = 0
	}
	END { exit bad }' "$src" || fail=1
done

if [ "$fail" -eq 0 ]; then
	echo "callgraph: no cycle, backends sealed, no function over" \
		"$MAX_LINES lines"
fi
exit "$fail"
