# shellcheck shell=bash
# Shared by every fake tool of the simulated host: where the state lives, the
# call log, and scripted behaviours. Sourced, never executed.
# See ../README.md for the state layout and the behaviour keys.

if [[ -z "${SIMHOST_DIR:-}" || ! -d "$SIMHOST_DIR" ]]; then
    echo "simhost: SIMHOST_DIR is not set or is not a directory" >&2
    exit 70
fi

SIMHOST_TOOL=""
# The behaviour line a tool has to interpret itself (set by sim_behave).
BEHAVIOUR=""

# sim_start TOOL ARG... : remember the tool name and log this call.
sim_start() {
    SIMHOST_TOOL=$1
    shift
    local IFS=' '
    printf '%s\n' "$SIMHOST_TOOL${*:+ $*}" >>"$SIMHOST_DIR/calls.log"
}

# sim_first_line FILE : print the first line of FILE (without its newline).
sim_first_line() {
    local line=""
    IFS= read -r line <"$1" || true
    printf '%s' "$line"
}

# sim_claim KEY : set BEHAVIOUR from behaviour/KEY.once (consumed) or
# behaviour/KEY; fail if neither exists. The .once file is renamed before it
# is read so that two concurrent calls cannot both claim it.
sim_claim() {
    local dir=$SIMHOST_DIR/behaviour key=$1
    local claimed=$dir/.claimed.$key.$$
    if [[ -f $dir/$key.once ]] && mv -f -- "$dir/$key.once" "$claimed" 2>/dev/null; then
        BEHAVIOUR=$(sim_first_line "$claimed")
        rm -f -- "$claimed"
        return 0
    fi
    if [[ -f $dir/$key ]]; then
        BEHAVIOUR=$(sim_first_line "$dir/$key")
        return 0
    fi
    return 1
}

# sim_garbage : what a tool prints when its output is not what anyone expects.
sim_garbage() {
    printf '\x00\xff\xfe{"blockdevices": [1, 2,\n\x1b[31m\xc3\x28 not what you expected\x1b[0m\n'
    head -c 256 /dev/urandom
    printf '\n'
}

# sim_behave SUBCOMMAND DEFAULT_ERROR : apply a scripted behaviour, if any.
# Keys are tried in this order: TOOL-SUBCOMMAND.once, TOOL-SUBCOMMAND,
# TOOL.once, TOOL. The generic behaviours end the call here (or, for `slow`,
# delay it); anything else is left in BEHAVIOUR for the tool to interpret.
sim_behave() {
    local sub=$1 default_error=$2 verb="" rest="" code="" message=""
    BEHAVIOUR=""
    if [[ -n $sub ]] && sim_claim "$SIMHOST_TOOL-$sub"; then
        :
    elif ! sim_claim "$SIMHOST_TOOL"; then
        return 0
    fi
    read -r verb rest <<<"$BEHAVIOUR"
    case $verb in
    fail)
        read -r code message <<<"$rest"
        [[ $code =~ ^[0-9]+$ ]] || code=1
        printf '%s\n' "${message:-$default_error}" >&2
        exit "$code"
        ;;
    hang)
        # Same pid as the caller's child: a kill of the process group (or of
        # the child) ends it. The pid is recorded so the test harness can
        # check and clean up.
        echo "$$" >>"$SIMHOST_DIR/pids"
        exec sleep 3600
        ;;
    hang-child)
        # A grandchild that keeps stdout and stderr open after we exit.
        sleep 3600 &
        echo "$!" >>"$SIMHOST_DIR/pids"
        exit 0
        ;;
    garbage)
        sim_garbage
        exit 0
        ;;
    empty)
        exit 0
        ;;
    slow)
        sleep "${rest:-1}"
        BEHAVIOUR=""
        ;;
    "")
        BEHAVIOUR=""
        ;;
    esac
}

# sim_unknown_behaviour : for tools that found a behaviour they do not know.
sim_unknown_behaviour() {
    echo "simhost: $SIMHOST_TOOL: unknown behaviour '$BEHAVIOUR'" >&2
    exit 70
}

# sim_kv FILE KEY DEFAULT : the value of KEY=... in FILE, else DEFAULT.
sim_kv() {
    local file=$1 want=$2 default=$3 key value
    if [[ -f $file ]]; then
        while IFS='=' read -r key value; do
            if [[ $key == "$want" ]]; then
                printf '%s' "$value"
                return 0
            fi
        done <"$file"
    fi
    printf '%s' "$default"
}

# sim_json_string TEXT : TEXT as a JSON string literal (quotes included).
sim_json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\t'/\\t}
    s=${s//$'\r'/\\r}
    printf '"%s"' "$s"
}

# sim_atomic_write FILE : write stdin to FILE through a rename.
sim_atomic_write() {
    local tmp="$1.tmp.$$"
    cat >"$tmp" && mv -f -- "$tmp" "$1"
}
