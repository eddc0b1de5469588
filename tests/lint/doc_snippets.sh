#!/bin/sh
# SPDX-License-Identifier: MIT
# The C++ the README and the cookbook show compiles against the headers: each ```cpp block
# becomes a namespace of one generated file. Its leading declarations (types, their
# NLOHMANN_DEFINE_TYPE_* line, a function defined at column 0) stay at namespace scope; the rest
# is the body of a function that offers `task` and `tasks`, as the docs' fragments assume.
# Warnings are not errors (a fragment may leave a variable unused), but a discarded result is.
#   tests/lint/doc_snippets.sh <source dir> <c++ compiler> <work dir> [-I<dir>...]
set -eu
source_dir=$1
cxx=$2
work=$3
shift 3
mkdir -p "$work"
generated="$work/doc_snippets.cpp"
{
  echo '#include <bgagent/bgagent.hpp>'
  echo '#include <cstdio>'
  echo 'using namespace std::chrono_literals;'
  for doc in README.md docs/cookbook.md; do
    awk -v doc="$doc" -v tag="$(basename "$doc" .md | tr -c 'A-Za-z0-9\n' '_')" '
      function flush(   i, cut, open) {
        cut = 0; open = 0
        for (i = 1; i <= n; i++) {
          if (lines[i] ~ /^NLOHMANN_DEFINE_TYPE/) cut = i
          if (lines[i] ~ /^[A-Za-z_][A-Za-z0-9_:<>]* +[A-Za-z_][A-Za-z0-9_]*\(.*\) \{$/) open = 1
          if (open && lines[i] == "}") { cut = i; open = 0 }
        }
        printf "namespace snippet_%s_%d { // %s, line %d\n", tag, ++count, doc, start
        for (i = 1; i <= cut; i++) print lines[i]
        print "[[maybe_unused]] void run([[maybe_unused]] bgagent::Task<>& task,"
        print "    [[maybe_unused]] std::vector<bgagent::Task<>>& tasks) {"
        print "{"
        for (i = cut + 1; i <= n; i++) print lines[i]
        print "}"
        print "}"
        print "}"
      }
      /^```cpp$/ { inside = 1; n = 0; start = NR + 1; next }
      /^```$/ && inside { inside = 0; flush(); next }
      inside { lines[++n] = $0 }
    ' "$source_dir/$doc"
  done
} > "$generated"
blocks=$(grep -c '^namespace snippet_' "$generated")
# A discarded Task or Result in the docs would teach what the library warns about.
"$cxx" -std=c++20 -fsyntax-only -Werror=unused-result -I"$source_dir/include" "$@" "$generated"
echo "$blocks C++ blocks of README.md and docs/cookbook.md compile"
