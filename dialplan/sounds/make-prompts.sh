#!/usr/bin/env bash
# Makes the Mandarin prompts from prompts.tsv, reproducibly: espeak-ng (voice cmn) speaks each
# line and sox converts it to what Asterisk plays natively (WAV, PCM 16-bit, mono, 8 kHz).
# Output: sounds/zh/<name>.wav — install under /var/lib/asterisk/sounds/zh/.
# Usage: bash dialplan/sounds/make-prompts.sh   (needs Debian's espeak-ng and sox)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/zh"
command -v espeak-ng >/dev/null || { echo "espeak-ng is required (apt-get install espeak-ng)" >&2; exit 2; }
command -v sox >/dev/null || { echo "sox is required (apt-get install sox)" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
count=0
while IFS=$'\t' read -r name text; do
  [ -z "$name" ] && continue
  case "$name" in \#*) continue ;; esac
  mkdir -p "$out/$(dirname "$name")"
  espeak-ng -v cmn -s 190 -w "$tmp/raw.wav" "$text"
  sox -q "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$out/$name.wav" norm -3
  count=$((count + 1))
done < "$here/prompts.tsv"
# Asterisk's own `beep` (Record(), ConfBridge) for the zh language: a 250 ms 1 kHz tone, no speech.
sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$out/beep.wav" synth 0.25 sine 1000 vol 0.5
count=$((count + 1))
echo "made $count prompts in $out"
