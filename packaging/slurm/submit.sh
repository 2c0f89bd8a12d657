#!/usr/bin/env bash
# Grades a class on a Slurm cluster in N parts at once, then joins them:
#   packaging/slurm/submit.sh CLASS_DIR OUT_DIR [N] [-- extra sbatch options]
# CLASS_DIR is the folder ./ipclab batch takes (one sub-folder, .zip or .tar.gz per student);
# both folders must be on a file system every node sees. The whole class ends in
# OUT_DIR/class (gradebook.csv, summary.md, report.html, similarity.csv); the parts in
# OUT_DIR/part-K, the logs in OUT_DIR/logs. IPCLAB_LANG=en for English feedback.
set -euo pipefail

if (($# < 2)); then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
class=$(realpath "$1")
out=$(realpath -m "$2")
n=${3:-8}
shift $(($# < 3 ? 2 : 3))
[[ ${1:-} == -- ]] && shift
[[ -d "$class" ]] || { echo "ipclab: $class: not a folder; give the class folder" >&2; exit 2; }
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "ipclab: $n: give the number of parts, a whole number" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
lab=$(cd "$here/../.." && pwd)
mkdir -p "$out/logs"
export IPCLAB_LAB="$lab" IPCLAB_CLASS="$class" IPCLAB_OUT="$out" IPCLAB_SHARDS="$n"
parts=$(sbatch --parsable --array="1-$n" --output="$out/logs/part-%a.log" --export=ALL "$@" \
  "$here/ipclab-batch.sbatch")
merge=$(sbatch --parsable --dependency="afterany:${parts%%;*}" --output="$out/logs/merge.log" \
  --export=ALL "$@" "$here/ipclab-merge.sbatch")
echo "parts: job ${parts%%;*} (array 1-$n); merge: job ${merge%%;*} → $out/class"
