#!/bin/sh
# vm-journal agent: ships this machine's systemd journal to vm-journal, at least once, in order.
#
# One long-lived `journalctl -o json --follow` is the data stream; a long-lived awk cuts it into bounded
# batches (count, bytes, or FLUSH_DELAY_MS after a batch's first entry); this shell gzips and POSTs each
# one and, after a 2xx only, saves its last cursor (write + rename). Until then awk reads nothing, so
# journalctl blocks on the full pipe (bounded memory). Failures: the same batch again, with exponential
# jittered capped backoff. A restart resumes from the saved cursor. Design and figures: README.md.
# Uses only what an Ubuntu cloud image has: sh (dash), journalctl, curl, gzip, awk (mawk), coreutils.
# Settings come from the environment (systemd EnvironmentFile, see agent.env).
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
BATCH=$RUN_DIR/batch.json # written by awk, read here while awk waits for the answer
BATCH_GZ=$RUN_DIR/batch.json.gz
JERR=$RUN_DIR/journalctl.err
RESP=$RUN_DIR/response
STATUS=$RUN_DIR/status
# FIFOs: journalctl and the ticker -> awk (DATA); awk -> shell (READY); shell -> awk (ACK);
# awk -> ticker (ARM: "a batch has started, tick in FLUSH_DELAY_MS").
DATA=$RUN_DIR/data READY=$RUN_DIR/ready ACK=$RUN_DIR/ack ARM=$RUN_DIR/arm
FLUSH_DELAY_S=$(ms_to_s "$FLUSH_DELAY_MS")
# mawk (Ubuntu's awk) fills its whole input buffer before it processes a record unless it runs with
# -W interactive; gawk and busybox awk process lines as they arrive and do not know the option.
AWK_INTERACTIVE=
case $(awk -W version 2>&1 </dev/null) in *mawk*) AWK_INTERACTIVE='-W interactive' ;; esac

# --- the reader: journalctl | awk, plus a ticker for the time bound ---------------------------------
# awk cuts a batch when it reaches MAX_ENTRIES / MAX_BYTES (always at least one entry) or at the first
# tick after its first entry, writes it to $BATCH and posts "batch <n> <last cursor>" on READY, then
# reads nothing more until the shell answers "ok" on ACK. A tick is the two bytes \001\n written by the
# ticker into the same FIFO as journalctl: a write of 2 bytes is atomic, and journalctl's JSON never
# contains a raw \001 (control characters are escaped), so a record ending in \001 is a tick and what
# precedes it is the start of an entry that journalctl wrote in several pieces.
# `--cursor` (not --after-cursor) starts AT the saved entry, which awk drops; if the first entry is not
# the saved one, the journal was vacuumed past it (--after-cursor would silently skip one more entry):
# awk posts "gone". On EOF (journalctl ended) it posts "end".
# `--merge`: journalctl 252 restricts `--follow` to the current boot unless --merge (or --boot) is
# given, which would skip the rest of an earlier boot after the saved cursor. (The first start reads
# the current boot: --boot, which journalctl refuses to combine with --merge.)
AWK_READER='
function cursor_of(line) {
  if (match(line, /"__CURSOR":"[^"]*"/)) return substr(line, RSTART + 12, RLENGTH - 13)
  return ""
}
function cut() {
  close(batch)
  printf "batch %d %s\n", n, cursor_of(last) > ready
  fflush(ready)
  if ((getline answer < ack) <= 0 || answer != "ok") exit 1
  n = 0; bytes = 0
}
BEGIN { printf "" > ready; fflush(ready); check = (saved != "") }
{
  if (substr($0, length($0)) == "\001") { # a tick (after a piece of an entry, or alone)
    piece = piece substr($0, 1, length($0) - 1)
    armed = 0
    if (n > 0) cut()
    next
  }
  line = piece $0; piece = ""
  if (check) {
    check = 0
    if (cursor_of(line) == saved) next
    print "gone 0 -" > ready
    exit 0
  }
  size = length(line) + 1
  if (n > 0 && bytes + size > max_b) cut()
  print line > batch
  n++; bytes += size; last = line
  if (n == 1 && !armed) { print "" > arm; fflush(arm); armed = 1 }
  if (n >= max_n) cut()
}
END { printf "end %d -\n", n > ready }
'

pids=
stop_reader() {
  exec 4<&- 5>&-
  [ -z "$pids" ] || kill $pids 2>/dev/null
  [ -z "$pids" ] || wait $pids 2>/dev/null
  pids=
}
trap 'stop_reader; exit 0' TERM INT HUP
trap 'stop_reader' EXIT

# start_reader SAVED_CURSOR [journalctl position arguments]: awk drops the entry SAVED_CURSOR (or says
# "gone" if the first entry is another one); with an empty SAVED_CURSOR it keeps the first entry.
start_reader() {
  saved=$1
  shift
  rm -f "$DATA" "$READY" "$ACK" "$ARM" "$BATCH" &&
    mkfifo "$DATA" "$READY" "$ACK" "$ARM" || die "cannot create FIFOs in $RUN_DIR"
  # shellcheck disable=SC2086
  journalctl $JOURNALCTL_ARGS --quiet --no-pager --all --no-tail -o json --follow "$@" >"$DATA" 2>"$JERR" &
  pids=$!
  # The ticker: one `sleep` per batch, none while idle. It opens DATA only to write a tick, so that
  # awk sees EOF when journalctl ends.
  (
    exec 6<>"$ARM"
    while :; do
      read -r _ <&6 || continue # only a signal interrupts it: the ticker itself keeps ARM open
      sleep "$FLUSH_DELAY_S"
      printf '\001\n' >"$DATA"
    done
  ) </dev/null &
  pids="$pids $!"
  # shellcheck disable=SC2086
  LC_ALL=C awk $AWK_INTERACTIVE -v max_n="$MAX_ENTRIES" -v max_b="$MAX_BYTES" -v saved="$saved" -v batch="$BATCH" \
    -v ready="$READY" -v ack="$ACK" -v arm="$ARM" "$AWK_READER" <"$DATA" &
  pids="$pids $!"
  # The shell keeps ACK open read-write, so that it never blocks opening it (and a signal can never
  # interrupt that open, which would wake awk's reading side with a spurious EOF).
  exec 5<>"$ACK"
  exec 4<"$READY" # returns once awk has opened it
}

# --- sending a batch -------------------------------------------------------------------------------
# The token is re-read for every request (rotation needs no restart) and reaches curl through a
# here-document on stdin (nothing on disk, never on a command line).
send_batch() {
  token=
  read -r token <"$TOKEN_FILE" 2>/dev/null
  if [ -z "$token" ]; then
    status=000 why="no token in $TOKEN_FILE"
    return 1
  fi
  curl -q --silent --show-error --config - --output "$RESP" --write-out '%{http_code}' \
    --connect-timeout "$CONNECT_TIMEOUT_S" --max-time "$REQUEST_TIMEOUT_S" \
    -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' -H 'Expect:' \
    -A 'vm-journal-agent/1' --data-binary @"$BATCH_GZ" "$INGEST_URL" >"$STATUS" 2>"$RUN_DIR/curl.err" <<EOF
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
  printf '%s\n' "$1" >"$CURSOR_FILE.tmp" && mv -f "$CURSOR_FILE.tmp" "$CURSOR_FILE" ||
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

# Sends the batch awk has posted until it is accepted. Returns 1 when the reader must be restarted
# with smaller batches (413).
deliver() {
  gzip -1 -c "$BATCH" >"$BATCH_GZ" || die "cannot write $BATCH_GZ"
  until send_batch; do
    if [ "$status" = 413 ] && [ "$MAX_ENTRIES" -gt 1 ]; then
      MAX_ENTRIES=$(((MAX_ENTRIES + 1) / 2)) MAX_BYTES=$(((MAX_BYTES + 1) / 2))
      log 4 "batch too large for the server; now at most $MAX_ENTRIES entries / $MAX_BYTES bytes"
      return 1
    fi
    backoff "sending $1 entries failed: $why"
  done
  if [ "$failures" -gt 0 ]; then
    log 6 "sending again after $failures failure(s)"
    failures=0
  fi
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
  if [ -n "$cursor" ]; then
    start_reader "$cursor" --merge --cursor="$cursor"
  elif [ "$from_head" = 1 ]; then
    start_reader "" --merge
  else
    # First start: from the first entry of the current boot (kept: there is no saved entry to drop).
    # shellcheck disable=SC2086
    first=$(journalctl $JOURNALCTL_ARGS --quiet --no-pager --boot -o json --output-fields=__CURSOR 2>"$JERR" |
      sed -n 's/.*"__CURSOR":"\([^"]*\)".*/\1/p;q')
    if [ -z "$first" ]; then
      backoff "cannot read the current boot: $(head -c 300 "$JERR")"
      continue
    fi
    start_reader "" --merge --cursor="$first"
  fi
  what=end
  while read -r what n last <&4; do
    [ "$what" = batch ] || break
    deliver "$n" || break
    save_cursor "$last"
    cursor=$last from_head=0
    printf 'ok\n' >&5
  done
  stop_reader
  case $what in
  batch) ;; # 413: read again with the smaller limits
  gone)
    log 4 "the saved cursor is no longer in the journal (vacuumed or rotated away); restarting from the oldest entry"
    cursor= from_head=1
    ;;
  *)
    if [ -s "$JERR" ] && [ -n "$cursor" ] && grep -q 'cursor' "$JERR"; then
      log 4 "the saved cursor is no longer usable ($(head -c 200 "$JERR")); restarting from the oldest entry"
      cursor= from_head=1
    else
      backoff "journalctl ended: $(head -c 300 "$JERR")"
    fi
    ;;
  esac
done
