#!/bin/sh
# The style, checked: clang-format (.clang-format) on every C++ file, and clang-tidy (.clang-tidy)
# with build/'s compile commands. Exit 1 on a formatting difference or any clang-tidy warning.
#   tools/lint.sh          clang-tidy on the files changed since the tree was last linted whole
#                          (the commit that last changed .ci/lint-clean), and on uncommitted ones
#   tools/lint.sh --all    clang-tidy on every file (~5 CPU-minutes); when clean, record it with
#                          `git rev-parse HEAD > .ci/lint-clean` in the next commit
# The formatting check needs Debian 12's clang-format 14 (other majors lay some constructs out
# differently): with another version it is reported and skipped.
set -eu
cd "$(dirname "$0")/.."
status=0
# Outside a git checkout (a source archive) every file is checked, whole.
if git rev-parse --git-dir >/dev/null 2>&1; then
  files=$(git ls-files '*.cpp' '*.h')
else
  files=$(find . -path ./build -prune -o -path './build-*' -prune -o \( -name '*.cpp' -o -name '*.h' \) -print |
          sed 's|^\./||' | sort)
fi

if clang-format --version | grep -q 'version 14\.'; then
  bad=""
  for f in $files; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
  done
  if [ -n "$bad" ]; then
    echo "lint: not formatted (clang-format -i$bad):" >&2
    for f in $bad; do clang-format "$f" | diff -u "$f" - | head -20 >&2; done
    status=1
  else
    echo "lint: clang-format: $(echo $files | wc -w) files formatted"
  fi
else
  echo "lint: clang-format is not version 14 ($(clang-format --version)); formatting not checked"
fi

[ -f build/compile_commands.json ] || cmake -S . -B build -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
# Sources only: headers are checked through the sources that include them (HeaderFilterRegex).
base=$(git log -1 --format=%H -- .ci/lint-clean 2>/dev/null || true)
if [ "${1:-}" = "--all" ] || [ -z "$base" ]; then
  tidy=$(echo "$files" | tr ' ' '\n' | grep '\.cpp$' | grep -v '^fuzz/\|^bench/\|^tests/')
else
  changed=$( (git diff --name-only "$base" HEAD; git diff --name-only HEAD) | sort -u)
  tidy=""
  for f in $changed; do
    case "$f" in
      fuzz/*|bench/*|tests/*) ;;
      *.cpp) [ -f "$f" ] && tidy="$tidy $f" ;;
      *.h) [ -f "${f%.h}.cpp" ] && tidy="$tidy ${f%.h}.cpp" ;;
    esac
  done
  tidy=$(printf '%s\n' $tidy | sort -u)
fi
if [ -n "$tidy" ]; then
  # shellcheck disable=SC2086
  if printf '%s\n' $tidy | xargs -P "$(nproc)" -n 4 clang-tidy -p build --quiet > build/clang-tidy.log 2>&1; then
    echo "lint: clang-tidy: $(echo $tidy | wc -w) files, no warning"
  else
    grep -E 'warning:|error:' build/clang-tidy.log >&2 || tail -20 build/clang-tidy.log >&2
    status=1
  fi
else
  echo "lint: clang-tidy: no source changed since the last whole-tree lint"
fi
exit $status
