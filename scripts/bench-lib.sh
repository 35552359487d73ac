# Shared by the benchmark scripts (sourced, not run): messages, a work folder, background
# processes stopped on exit, and listening addresses read from their logs. The sourcing script
# sets NAME (its name in messages) and may define extra_cleanup (run on exit, before the work
# folder goes); KEEP=1 keeps the work folder.

log() { printf '%s\n' "$*" >&2; }
die() { log "$NAME: $*"; exit 1; }

WORK=$(mktemp -d "/tmp/edge-$NAME.XXXXXX")
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	if declare -F extra_cleanup >/dev/null; then extra_cleanup; fi
	if [ "${KEEP:-}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD…: run CMD in the background, output in $WORK/NAME.log.
start() {
	local name=$1
	shift
	"$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
}

# addr_from LOG SED-REGEX: wait for a listening address printed in a log.
addr_from() {
	local i a
	for i in $(seq 100); do
		a=$(sed -n "s#$2#\\1#p" "$WORK/$1.log" | head -n1)
		[ -n "$a" ] && { echo "$a"; return; }
		sleep 0.1
	done
	cat "$WORK/$1.log" >&2
	die "$1 did not start"
}
