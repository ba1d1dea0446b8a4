#!/bin/sh
# vm-journal agent: ships this machine's systemd journal to vm-journal, at least once, in order.
#
# One long-lived `journalctl -o json --follow` is the data stream; a long-lived awk cuts it into bounded
# chunks (count, bytes, or a tick of FLUSH_DELAY_MS); this shell appends each chunk as one gzip member to
# ONE long streamed POST (a curl reading a FIFO), which the server stores as it arrives. A stream ends
# after STREAM_SECONDS, STREAM_MAX_BYTES or STREAM_IDLE_MS without entries; after its 2xx only (naming
# the stream's last cursor) the cursor is saved (write + rename). Failures: backoff (exponential,
# jittered, capped) and read again from the saved cursor; the server ignores entries it already has.
# Memory: awk waits while a chunk is written, so journalctl blocks on the full pipe. Design: README.md.
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
STREAM_SECONDS=${VMJ_STREAM_SECONDS:-30}
STREAM_IDLE_MS=${VMJ_STREAM_IDLE_MS:-3000}
STREAM_MAX_BYTES=${VMJ_STREAM_MAX_BYTES:-67108864}
# Extra journalctl arguments, word-split on purpose (e.g. --directory=/some/dir). Empty on a real VM.
JOURNALCTL_ARGS=${VMJ_JOURNALCTL_ARGS:-}

[ -n "$INGEST_URL" ] || die 'VMJ_INGEST_URL is not set'
for v in MAX_ENTRIES MAX_BYTES FLUSH_DELAY_MS BACKOFF_MIN_MS BACKOFF_MAX_MS CONNECT_TIMEOUT_S REQUEST_TIMEOUT_S \
  STREAM_SECONDS STREAM_IDLE_MS STREAM_MAX_BYTES; do
  eval "uint VMJ_$v \"\$$v\""
done
[ "$MAX_ENTRIES" -ge 1 ] || die 'VMJ_BATCH_MAX_ENTRIES must be at least 1'
[ "$FLUSH_DELAY_MS" -ge 1 ] || die 'VMJ_FLUSH_DELAY_MS must be at least 1'
mkdir -p "$STATE_DIR" "$RUN_DIR" || die "cannot create $STATE_DIR or $RUN_DIR"

CURSOR_FILE=$STATE_DIR/cursor
BATCH=$RUN_DIR/batch.json # a chunk: written by awk, read here while awk waits for the answer
BODY=$RUN_DIR/body        # FIFO: the open stream's request body (gzip members) -> curl
JERR=$RUN_DIR/journalctl.err
GZERR=$RUN_DIR/gzip.err
RESP=$RUN_DIR/response
HEADERS=$RUN_DIR/headers # the answer's headers: a rotated ingest token comes in Next-Ingest-Token
STATUS=$RUN_DIR/status
# FIFOs: journalctl and the ticker -> awk (DATA); awk -> shell (READY); shell -> awk (ACK);
# awk -> ticker (ARM: "a batch has started, tick in FLUSH_DELAY_MS").
DATA=$RUN_DIR/data READY=$RUN_DIR/ready ACK=$RUN_DIR/ack ARM=$RUN_DIR/arm
FLUSH_DELAY_S=$(ms_to_s "$FLUSH_DELAY_MS")
# A stream ends after this many ticks without an entry.
IDLE_TICKS=$(((STREAM_IDLE_MS + FLUSH_DELAY_MS - 1) / FLUSH_DELAY_MS))
[ "$IDLE_TICKS" -ge 1 ] || IDLE_TICKS=1
# curl's bound for the whole request: the stream (ended at the first chunk after STREAM_SECONDS, or
# after IDLE_TICKS empty ticks), then REQUEST_TIMEOUT_S for the answer.
MAX_TIME_S=$((STREAM_SECONDS + REQUEST_TIMEOUT_S + (STREAM_IDLE_MS + 3 * FLUSH_DELAY_MS) / 1000 + 1))
case $INGEST_URL in
*\?*) STREAM_URL="$INGEST_URL&stream=true" ;;
*) STREAM_URL="$INGEST_URL?stream=true" ;;
esac
# mawk (Ubuntu's awk) fills its whole input buffer before it processes a record unless it runs with
# -W interactive; gawk and busybox awk process lines as they arrive and do not know the option.
AWK_INTERACTIVE=
case $(awk -W version 2>&1 </dev/null) in *mawk*) AWK_INTERACTIVE='-W interactive' ;; esac

# --- the reader: journalctl | awk, plus a ticker for the time bound ---------------------------------
# awk cuts a chunk when it reaches MAX_ENTRIES / MAX_BYTES (always at least one entry) or at a tick,
# writes it to $BATCH and posts "batch <n> <bytes> <last cursor>" on READY, then reads nothing more
# until the shell answers on ACK: "ok 1" (the stream is still open) or "ok 0" (no stream open).
# Ticks: awk arms the ticker ("tick in FLUSH_DELAY_MS") at a chunk's first entry, and again after each
# tick or cut while a stream is open; a tick that finds no entry while a stream is open counts as idle,
# and IDLE_TICKS of them in a row post "idle 0 0 -" (the shell ends the stream). With no stream open and
# no entry, the ticker is not armed: an idle journal costs nothing.
# A tick is the two bytes \001\n written by the ticker into the same FIFO as journalctl: a write of 2
# bytes is atomic, and journalctl's JSON never contains a raw \001 (control characters are escaped), so
# a record ending in \001 is a tick and what precedes it is the start of an entry that journalctl wrote
# in several pieces.
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
function tick_later() { print "" > arm; fflush(arm); armed = 1 }
function ask(msg) {
  print msg > ready
  fflush(ready)
  if ((getline answer < ack) <= 0) exit 1
  if (answer == "ok 1") open = 1
  else if (answer == "ok 0") open = 0
  else exit 1
}
function cut() {
  close(batch)
  ask(sprintf("batch %d %d %s", n, bytes, cursor_of(last)))
  n = 0; bytes = 0; idle = 0
  if (open && !armed) tick_later()
}
BEGIN { printf "" > ready; fflush(ready); check = (saved != "") }
{
  if (substr($0, length($0)) == "\001") { # a tick (after a piece of an entry, or alone)
    piece = piece substr($0, 1, length($0) - 1)
    armed = 0
    if (n > 0) cut()
    else if (open) {
      if (++idle < idle_ticks) tick_later()
      else { idle = 0; ask("idle 0 0 -") }
    }
    next
  }
  line = piece $0; piece = ""
  if (check) {
    check = 0
    if (cursor_of(line) == saved) next
    print "gone 0 0 -" > ready
    exit 0
  }
  size = length(line) + 1
  if (n > 0 && bytes + size > max_b) cut()
  print line > batch
  n++; bytes += size; last = line
  if (n == 1 && !armed) tick_later()
  if (n >= max_n) cut()
}
END { printf "end %d 0 -\n", n > ready }
'

pids=
stop_reader() {
  exec 4<&- 5>&-
  [ -z "$pids" ] || kill $pids 2>/dev/null
  [ -z "$pids" ] || wait $pids 2>/dev/null
  pids=
  if [ "$STREAM" = 1 ]; then # abandon the open stream: what it carried is sent again
    exec 6>&-
    kill "$curl_pid" 2>/dev/null
    wait "$curl_pid" 2>/dev/null
    STREAM=0
  fi
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
  # The ticker: one `sleep` per tick it is armed for (per chunk, and per FLUSH_DELAY_MS while a stream
  # is open), none while idle. It opens DATA only to write a tick, so that awk sees EOF when journalctl
  # ends. The ticker and awk do not hold the service's stderr: after a kill -9 of this shell they may
  # linger until the service manager kills the group (KillMode=control-group), and a supervisor that
  # waits for stderr to close (the simulated guests) must not wait for them.
  (
    exec 7<>"$ARM"
    while :; do
      read -r _ <&7 || continue # only a signal interrupts it: the ticker itself keeps ARM open
      sleep "$FLUSH_DELAY_S"
      printf '\001\n' >"$DATA"
    done
  ) </dev/null 2>/dev/null &
  pids="$pids $!"
  # shellcheck disable=SC2086
  LC_ALL=C awk $AWK_INTERACTIVE -v max_n="$MAX_ENTRIES" -v max_b="$MAX_BYTES" -v saved="$saved" -v batch="$BATCH" \
    -v ready="$READY" -v ack="$ACK" -v arm="$ARM" -v idle_ticks="$IDLE_TICKS" "$AWK_READER" <"$DATA" 2>"$RUN_DIR/awk.err" &
  pids="$pids $!"
  # The shell keeps ACK open read-write, so that it never blocks opening it (and a signal can never
  # interrupt that open, which would wake awk's reading side with a spurious EOF).
  exec 5<>"$ACK"
  exec 4<"$READY" # returns once awk has opened it
}

# --- the stream ------------------------------------------------------------------------------------
# One POST ...?stream=true per stream: curl sends its stdin (the BODY FIFO) chunked as it arrives
# (-T - reads with read(); -X POST, or -T would PUT); the shell keeps the FIFO open on fd 6 and appends
# one gzip member per chunk. The token is re-read for every stream (rotation needs no restart) and
# reaches curl as a config file on fd 3 (a here-document: nothing on disk, never on a command line).
# After a rotation the server sends the next token with a 2xx (Next-Ingest-Token, only to the holder of
# the current one): adopt_token writes it to TOKEN_FILE (write + rename) and the next stream uses it,
# which tells the server to drop the old one.
STREAM=0 s_last= s_bytes=0 s_chunks=0
open_stream() {
  token=
  read -r token <"$TOKEN_FILE" 2>/dev/null
  if [ -z "$token" ]; then
    status=000 why="no token in $TOKEN_FILE"
    return 1
  fi
  rm -f "$BODY" "$RESP" "$HEADERS" && mkfifo "$BODY" || die "cannot create $BODY"
  curl -q --silent --show-error --config /dev/fd/3 --output "$RESP" --dump-header "$HEADERS" --write-out '%{http_code}' \
    --connect-timeout "$CONNECT_TIMEOUT_S" --max-time "$MAX_TIME_S" -X POST -T - \
    -H 'Transfer-Encoding: chunked' -H 'Expect:' \
    -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' \
    -A 'vm-journal-agent/2' "$STREAM_URL" <"$BODY" >"$STATUS" 2>"$RUN_DIR/curl.err" 4<&- 5>&- 3<<EOF &
header = "Authorization: Bearer $token"
EOF
  curl_pid=$!
  exec 6>"$BODY" # returns once curl's side has opened it
  STREAM=1 s_last= s_bytes=0 s_chunks=0
  uptime_s
  s_start=$now
}

# uptime_s: sets $now to whole seconds since boot, without starting a process.
uptime_s() {
  read -r now _ </proc/uptime 2>/dev/null || now=$(date +%s)
  now=${now%.*}
}

# Ends the stream and waits for the answer. A 2xx that names the stream's last cursor means the server
# stored everything up to it: the cursor is saved. Anything else: returns 1 with $status and $why.
close_stream() {
  exec 6>&-
  STREAM=0
  wait "$curl_pid"
  rc=$?
  status=
  read -r status <"$STATUS"
  case $status in
  2??)
    adopt_token
    [ -n "$s_last" ] || return 0
    answer=
    read -r answer <"$RESP"
    case $answer in
    *"\"lastCursor\":\"$s_last\""*) ;;
    *)
      why="HTTP $status without the stream's last cursor: $(head -c 300 "$RESP" | tr -d '\r\n')"
      return 1
      ;;
    esac
    save_cursor "$s_last"
    cursor=$s_last from_head=0
    if [ "$failures" -gt 0 ]; then
      log 6 "sending again after $failures failure(s)"
      failures=0
    fi
    return 0
    ;;
  000 | '') why="curl exit $rc: $(head -c 300 "$RUN_DIR/curl.err")" ;;
  *) why="HTTP $status: $(head -c 300 "$RESP" | tr -d '\r\n')" ;;
  esac
  return 1
}

# Appends the chunk awk has posted to the stream (opening one if needed; a stream that this chunk would
# take above STREAM_MAX_BYTES is ended first); ends the stream when it is old enough. Returns 1 on any
# failure ($status, $why).
send_chunk() {
  if [ "$STREAM" = 1 ] && [ $((s_bytes + $2)) -gt "$STREAM_MAX_BYTES" ]; then
    close_stream || return 1
  fi
  [ "$STREAM" = 1 ] || open_stream || return 1
  if ! gzip -1 -n -c "$BATCH" 2>"$GZERR" >&6; then
    # Most likely curl has ended (EPIPE): its exit status or answer says why.
    close_stream && { why="gzip: $(head -c 300 "$GZERR")" status=000; }
    return 1
  fi
  s_last=$1 s_bytes=$((s_bytes + $2)) s_chunks=$((s_chunks + 1))
  uptime_s
  if [ $((now - s_start)) -ge "$STREAM_SECONDS" ] || [ "$s_bytes" -ge "$STREAM_MAX_BYTES" ]; then
    close_stream || return 1
  fi
}

# A rotated token in the answer's headers replaces the token file (atomically; the file stays 0600).
adopt_token() {
  next=$(tr -d '\r' <"$HEADERS" 2>/dev/null |
    awk 'tolower($0) ~ /^next-ingest-token:/ { sub(/^[^:]*:[ \t]*/, ""); v = $0 } END { print v }')
  rm -f "$HEADERS"
  case $next in '' | *[!A-Za-z0-9_-]*) return 0 ;; esac
  [ "$next" != "$token" ] || return 0
  if printf '%s\n' "$next" >"$TOKEN_FILE.new" && mv -f "$TOKEN_FILE.new" "$TOKEN_FILE"; then
    log 5 'received a rotated ingest token; using it from the next request'
  else
    log 3 "cannot write $TOKEN_FILE.new; the server sends the rotated token again with the next answer"
  fi
}

save_cursor() {
  printf '%s\n' "$1" >"$CURSOR_FILE.tmp" && mv -f "$CURSOR_FILE.tmp" "$CURSOR_FILE" ||
    die "cannot write $CURSOR_FILE"
}

# --- refusals --------------------------------------------------------------------------------------
# A refusal that names an entry (400, or 413 for one entry above what the server takes; the server
# stores every entry journald produces, cutting long values, so this is a broken or hostile entry) is
# permanent: retrying would stop shipping for good. The entries before it were stored (the answer
# says how many and the last one's cursor; the stream started after the saved cursor), so the named
# entry is the one after that: its cursor goes to this machine's journal (stderr, level warning), it is
# saved as if sent, and shipping goes on after it. Returns 1 if the answer names no entry.
skip_refused() {
  case $status in 400 | 413) ;; *) return 1 ;; esac
  index=$(sed -n 's/.*"field":"entries\[\([0-9]*\)\].*/\1/p' "$RESP" | head -n 1)
  [ -n "$index" ] || return 1
  ref=$cursor
  if [ "$index" -gt 0 ]; then
    ref=$(sed -n 's/.*last stored cursor: \([^"]*\)".*/\1/p' "$RESP" | head -n 1)
    [ -n "$ref" ] || return 1
  fi
  if [ -n "$ref" ]; then
    # shellcheck disable=SC2086
    skipped=$(journalctl $JOURNALCTL_ARGS --quiet --no-pager --merge --after-cursor="$ref" -o json \
      --output-fields=__CURSOR 2>"$JERR" | sed -n 's/.*"__CURSOR":"\([^"]*\)".*/\1/p;q')
  else
    # shellcheck disable=SC2086
    skipped=$(journalctl $JOURNALCTL_ARGS --quiet --no-pager $reader_args -o json --output-fields=__CURSOR \
      2>"$JERR" | sed -n 's/.*"__CURSOR":"\([^"]*\)".*/\1/p;q')
  fi
  [ -n "$skipped" ] || return 1
  log 4 "skipped entry $skipped: refused by the server ($why)"
  save_cursor "$skipped"
  cursor=$skipped from_head=0
  return 0
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
  reader_args=
  if [ -n "$cursor" ]; then
    start_reader "$cursor" --merge --cursor="$cursor"
  elif [ "$from_head" = 1 ]; then
    reader_args=--merge
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
    reader_args="--merge --cursor=$first"
    start_reader "" --merge --cursor="$first"
  fi
  what=end failed=0
  while read -r what n bytes last <&4; do
    case $what in
    batch) send_chunk "$last" "$bytes" || failed=1 ;;
    idle) close_stream || failed=1 ;;
    *) break ;;
    esac
    [ "$failed" = 0 ] || break
    printf 'ok %s\n' "$STREAM" >&5
  done
  # journalctl ended with a stream open: end it, so that what it carried is acknowledged.
  [ "$failed" = 1 ] || [ "$STREAM" = 0 ] || close_stream || failed=1
  stop_reader
  if [ "$failed" = 1 ]; then
    # Read again from the saved cursor: the server ignores the entries it already stored.
    # A refusal naming an entry: skip it (above). 413 without one (a front end's body limit): streams
    # of at most half what the refused one carried; once a stream is a single chunk, chunks of half
    # the size.
    if skip_refused; then
      continue
    elif [ "$status" = 413 ] && { [ "$s_chunks" -gt 1 ] || [ "$MAX_ENTRIES" -gt 1 ]; }; then
      [ "$s_bytes" -lt 2 ] || STREAM_MAX_BYTES=$((s_bytes / 2))
      if [ "$s_chunks" -le 1 ]; then
        MAX_ENTRIES=$(((MAX_ENTRIES + 1) / 2)) MAX_BYTES=$(((MAX_BYTES + 1) / 2))
      fi
      log 4 "too large for the server ($why); now at most $STREAM_MAX_BYTES bytes per stream, $MAX_ENTRIES entries / $MAX_BYTES bytes per chunk"
    else
      backoff "sending failed: $why"
    fi
    continue
  fi
  case $what in
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
