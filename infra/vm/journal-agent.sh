#!/bin/sh
# vm-journal agent: ships this machine's systemd journal to vm-journal, at least once, in order.
#
# Reads `journalctl -o json` from the last acknowledged cursor, sends bounded gzip batches with the VM's
# ingest token, and saves the cursor (write + rename) only after a 2xx. On any failure it keeps the
# cursor and backs off (exponential, jittered, capped). Between batches it sleeps on a `journalctl
# --follow` wake-up pipe, so an idle machine costs nothing and a new line is sent within about a second.
# Uses only what an Ubuntu cloud image has: sh (dash), journalctl, curl, gzip, awk, coreutils.
# Settings come from the environment (systemd EnvironmentFile, see agent.env); see README.md.
set -u
umask 077

log() { printf '<%s>vm-journal-agent: %s\n' "$1" "$2" >&2; } # <N>: syslog level, parsed by systemd
die() {
  log 3 "$1"
  exit 1
}
uint() { # uint NAME VALUE: VALUE must be a non-negative integer
  case $2 in '' | *[!0-9]*) die "$1 must be a non-negative integer, got '$2'" ;; esac
}
ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

INGEST_URL=${VMJ_INGEST_URL:-}
TOKEN_FILE=${VMJ_TOKEN_FILE:-/etc/vm-journal/ingest-token}
STATE_DIR=${VMJ_STATE_DIR:-${STATE_DIRECTORY:-/var/lib/vm-journal}}
RUN_DIR=${VMJ_RUNTIME_DIR:-${RUNTIME_DIRECTORY:-$STATE_DIR/run}}
MAX_ENTRIES=${VMJ_BATCH_MAX_ENTRIES:-1000}
MAX_BYTES=${VMJ_BATCH_MAX_BYTES:-1048576}
FLUSH_DELAY_MS=${VMJ_FLUSH_DELAY_MS:-1000}
BACKOFF_MIN_MS=${VMJ_BACKOFF_MIN_MS:-1000}
BACKOFF_MAX_MS=${VMJ_BACKOFF_MAX_MS:-60000}
CONNECT_TIMEOUT_S=${VMJ_CONNECT_TIMEOUT_S:-10}
REQUEST_TIMEOUT_S=${VMJ_REQUEST_TIMEOUT_S:-60}
# Extra journalctl arguments, word-split on purpose (e.g. --directory=/some/dir). Empty on a real VM.
JOURNALCTL_ARGS=${VMJ_JOURNALCTL_ARGS:-}

[ -n "$INGEST_URL" ] || die 'VMJ_INGEST_URL is not set'
for v in MAX_ENTRIES MAX_BYTES FLUSH_DELAY_MS BACKOFF_MIN_MS BACKOFF_MAX_MS CONNECT_TIMEOUT_S REQUEST_TIMEOUT_S; do
  eval "uint VMJ_$v \"\$$v\""
done
[ "$MAX_ENTRIES" -ge 1 ] || die 'VMJ_BATCH_MAX_ENTRIES must be at least 1'
mkdir -p "$STATE_DIR" "$RUN_DIR" || die "cannot create $STATE_DIR or $RUN_DIR"

CURSOR_FILE=$STATE_DIR/cursor
BATCH=$RUN_DIR/batch.json.gz
META=$RUN_DIR/batch.meta
JERR=$RUN_DIR/journalctl.err
RESP=$RUN_DIR/response
STATUS=$RUN_DIR/status
WAKE=$RUN_DIR/wake

# --- wake-up: one short line per new journal entry, read from a FIFO -------------------------------
follower=
stop() {
  [ -n "$follower" ] && kill "$follower" 2>/dev/null
  exit "$1"
}
trap 'stop 0' TERM INT HUP
trap '[ -n "$follower" ] && kill "$follower" 2>/dev/null' EXIT

rm -f "$WAKE" && mkfifo "$WAKE" || die "cannot create the FIFO $WAKE"
# Follow from one second before now rather than from the tail, so that an entry written while the
# follower starts still wakes us (extra wake-ups are harmless: they find nothing new).
# shellcheck disable=SC2086
journalctl $JOURNALCTL_ARGS --quiet --no-pager --follow --since="@$(($(date +%s) - 1))" \
  -o json --output-fields=__VMJ_NONE >"$WAKE" &
follower=$!
exec 3<"$WAKE"

# Blocks until at least one new entry exists (one read() of the pipe, which also drains it), then lets
# more arrive for FLUSH_DELAY_MS, so a steady stream costs one batch per interval, not one per entry.
# While entries keep coming (the last batch was not empty) it only sleeps: the pipe is drained when
# the agent next goes idle.
FLUSH_DELAY_S=$(ms_to_s "$FLUSH_DELAY_MS")
wait_for_entries() {
  if [ "$1" = 0 ]; then
    dd bs=65536 count=1 status=none <&3 >/dev/null
    kill -0 "$follower" 2>/dev/null || die 'the journal follower ended; exiting so that systemd restarts the agent'
  fi
  [ "$FLUSH_DELAY_MS" -eq 0 ] || sleep "$FLUSH_DELAY_S"
}

# --- reading a batch -------------------------------------------------------------------------------
# Writes at most MAX_ENTRIES entries / MAX_BYTES bytes (at least one entry) after the cursor, gzipped, to
# $BATCH; sets n (entries), full (1 if more may follow at once), gone (1 if the saved cursor is no
# longer in the journal), last (cursor of the last entry in the batch), jrc (1 if journalctl failed).
# `--cursor` (not --after-cursor) starts AT the saved entry, which is dropped if it is still there: if it
# is not, the journal was vacuumed past it and --after-cursor would silently skip one more entry.
read_batch() {
  if [ -n "$cursor" ]; then
    set -- --cursor="$cursor"
  elif [ "$from_head" = 1 ]; then
    set --
  else
    set -- --boot
  fi
  # shellcheck disable=SC2086
  journalctl $JOURNALCTL_ARGS --quiet --no-pager --all -o json "$@" 2>"$JERR" | LC_ALL=C awk -v max_n="$MAX_ENTRIES" -v max_b="$MAX_BYTES" -v saved="$cursor" -v meta="$META" '
    function cursor_of(line) {
      if (match(line, /"__CURSOR":"[^"]*"/)) return substr(line, RSTART + 12, RLENGTH - 13)
      return ""
    }
    NR == 1 && saved != "" { if (cursor_of($0) == saved) next; gone = 1; exit }
    {
      size = length($0) + 1
      if (n > 0 && bytes + size > max_b) { full = 1; exit }
      print; n++; bytes += size; last = cursor_of($0)
      if (n >= max_n) { full = 1; exit }
    }
    END { printf "%d %d %d %s\n", n, full, gone, last > meta }
  ' | gzip -1 -c >"$BATCH"
  read -r n full gone last <"$META" || die "cannot read $META"
  jrc=0
  [ ! -s "$JERR" ] || jrc=1 # journalctl's status is lost in the pipe; it reports failures on stderr
}

# --- sending a batch -------------------------------------------------------------------------------
# The token is re-read for every request (rotation needs no restart) and reaches curl through a
# here-document on stdin (no fork, nothing on disk, never on a command line).
send_batch() {
  token=
  read -r token <"$TOKEN_FILE" 2>/dev/null
  if [ -z "$token" ]; then
    status=000 why="no token in $TOKEN_FILE"
    return 1
  fi
  curl --silent --show-error --config - --output "$RESP" --write-out '%{http_code}' \
    --connect-timeout "$CONNECT_TIMEOUT_S" --max-time "$REQUEST_TIMEOUT_S" \
    -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' -H 'Expect:' \
    -A 'vm-journal-agent/1' --data-binary @"$BATCH" "$INGEST_URL" >"$STATUS" 2>"$RUN_DIR/curl.err" <<EOF
header = "Authorization: Bearer $token"
EOF
  rc=$?
  status=
  read -r status <"$STATUS"
  case $status in
  2??) return 0 ;;
  000 | '') why="curl exit $rc: $(head -c 300 "$RUN_DIR/curl.err")" ;;
  *) why="HTTP $status: $(head -c 300 "$RESP" | tr -d '\r\n')" ;;
  esac
  return 1
}

save_cursor() {
  printf '%s\n' "$last" >"$CURSOR_FILE.tmp" && mv -f "$CURSOR_FILE.tmp" "$CURSOR_FILE" ||
    die "cannot write $CURSOR_FILE"
}

# --- backoff ---------------------------------------------------------------------------------------
failures=0
backoff() {
  failures=$((failures + 1))
  delay=$BACKOFF_MIN_MS i=1
  while [ "$i" -lt "$failures" ] && [ "$delay" -lt "$BACKOFF_MAX_MS" ]; do
    delay=$((delay * 2)) i=$((i + 1))
  done
  [ "$delay" -le "$BACKOFF_MAX_MS" ] || delay=$BACKOFF_MAX_MS
  # "Equal jitter": half the delay fixed, the other half random, so agents do not retry in lockstep.
  r=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  delay=$((delay / 2 + r % (delay / 2 + 1)))
  log 4 "$1; retrying in $(ms_to_s "$delay") s (failure $failures)"
  sleep "$(ms_to_s "$delay")"
}

# --- main loop -------------------------------------------------------------------------------------
cursor= from_head=0
if [ -s "$CURSOR_FILE" ]; then
  read -r cursor <"$CURSOR_FILE"
  case $cursor in
  s=*\;i=*) ;;
  *)
    log 4 "unreadable cursor in $CURSOR_FILE; restarting from the oldest journal entry"
    cursor= from_head=1
    ;;
  esac
fi
if [ -n "$cursor" ]; then
  log 6 "starting after the saved cursor, sending to $INGEST_URL"
else
  log 6 "no saved cursor: sending the journal of the current boot to $INGEST_URL"
fi

while :; do
  read_batch
  if [ "$n" -eq 0 ]; then
    if [ "$gone" = 1 ] || { [ "$jrc" != 0 ] && [ -n "$cursor" ]; }; then
      log 4 "the saved cursor is no longer in the journal (vacuumed or rotated away); restarting from the oldest entry"
      cursor= from_head=1
      continue
    fi
    if [ "$jrc" != 0 ]; then
      backoff "journalctl failed ($jrc): $(head -c 300 "$JERR")"
      continue
    fi
    wait_for_entries 0
    continue
  fi
  if send_batch; then
    save_cursor
    cursor=$last from_head=0
    if [ "$failures" -gt 0 ]; then
      log 6 "sending again after $failures failure(s)"
      failures=0
    fi
    [ "$full" = 1 ] || wait_for_entries "$n"
  else
    if [ "$status" = 413 ] && [ "$MAX_ENTRIES" -gt 1 ]; then
      MAX_ENTRIES=$(((MAX_ENTRIES + 1) / 2)) MAX_BYTES=$(((MAX_BYTES + 1) / 2))
      log 4 "batch too large for the server; now at most $MAX_ENTRIES entries / $MAX_BYTES bytes"
    fi
    backoff "sending $n entries failed: $why"
  fi
done
