#!/usr/bin/env bash
# Formats every Java file with google-java-format (AOSP style: 4-space indent).
#   ops/scripts/format.sh           rewrite files in place
#   ops/scripts/format.sh --check   list unformatted files and fail (the test command runs this)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

version=1.24.0
jar="$HOME/.m2/repository/com/google/googlejavaformat/google-java-format/$version/google-java-format-$version-all-deps.jar"
[[ -f "$jar" ]] || mvn -q -B dependency:get -Dartifact="com.google.googlejavaformat:google-java-format:$version:jar:all-deps" >/dev/null
opens=()
for pkg in api code file parser tree util; do
  opens+=("--add-exports=jdk.compiler/com.sun.tools.javac.$pkg=ALL-UNNAMED")
done
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.java')

if [[ "${1:-}" == "--check" ]]; then
  unformatted=$(java "${opens[@]}" -jar "$jar" --aosp --dry-run "${files[@]}")
  if [[ -n "$unformatted" ]]; then
    echo "fovea: these files are not formatted; run ops/scripts/format.sh:" >&2
    echo "$unformatted" >&2
    exit 1
  fi
else
  java "${opens[@]}" -jar "$jar" --aosp --replace "${files[@]}"
fi
