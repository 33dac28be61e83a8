# How the lab prints its steps and counts their checks. A step is a heading;
# each check under it prints PASS, FAIL (with the reason) or SKIP (with the
# reason), and lab_print_summary returns 1 when any check failed.
#
# Sourced by scripts/lab.

LAB_PASSED=0
LAB_FAILED=0
LAB_SKIPPED=0
LAB_FAILURES=()
LAB_CURRENT_STEP=""

if [[ -t 1 ]]; then
  LAB_GREEN=$'\e[32m' LAB_RED=$'\e[31m' LAB_YELLOW=$'\e[33m' LAB_BOLD=$'\e[1m' LAB_RESET=$'\e[0m'
else
  LAB_GREEN="" LAB_RED="" LAB_YELLOW="" LAB_BOLD="" LAB_RESET=""
fi

# Prints a step's heading.
lab_step() {
  LAB_CURRENT_STEP="$1"
  echo
  echo "${LAB_BOLD}step $1: $2${LAB_RESET}"
}

# Prints what the step does next.
lab_say() { echo "  $*"; }

# Runs `command...`; prints PASS `text` when it succeeds, FAIL `text` with
# the command's output otherwise.
lab_check() {
  local text=$1
  shift
  local output
  if output=$("$@" 2>&1); then
    LAB_PASSED=$((LAB_PASSED + 1))
    echo "  ${LAB_GREEN}PASS${LAB_RESET} $text"
  else
    LAB_FAILED=$((LAB_FAILED + 1))
    LAB_FAILURES+=("step $LAB_CURRENT_STEP: $text")
    echo "  ${LAB_RED}FAIL${LAB_RESET} $text"
    [[ -n $output ]] && sed 's/^/         /' <<<"$output"
  fi
  return 0
}

# Records a check that could not run, with the reason.
lab_skip() {
  LAB_SKIPPED=$((LAB_SKIPPED + 1))
  echo "  ${LAB_YELLOW}SKIP${LAB_RESET} $1: $2"
}

# Prints the totals; returns 1 when any check failed.
lab_print_summary() {
  echo
  echo "${LAB_BOLD}lab: $LAB_PASSED passed, $LAB_FAILED failed, $LAB_SKIPPED skipped${LAB_RESET}"
  local failure
  for failure in "${LAB_FAILURES[@]}"; do
    echo "  ${LAB_RED}FAIL${LAB_RESET} $failure"
  done
  ((LAB_FAILED == 0))
}
