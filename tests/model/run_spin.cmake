# Runs the park/unpark handshake model (park_handshake.pml) through spin and
# checks both directions: the real handshake must verify with no error, and
# each deliberately broken variant must be rejected (an assertion violation
# = a reachable lost wakeup), so this test can fail.
#
#   cmake -DSPIN=<spin> -DCC=<c compiler> -DMODEL=<pml> -DWORK_DIR=<dir> -P run_spin.cmake
#
# spin missing: prints "SKIPPED: ..." (ctest's SKIP_REGULAR_EXPRESSION turns
# that into a skip); tools/nxbench installs the Debian package `spin`.

foreach(_var SPIN CC MODEL WORK_DIR)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "run_spin.cmake: -D${_var}=... is required")
  endif()
endforeach()

if(NOT SPIN OR NOT EXISTS "${SPIN}")
  message("SKIPPED: spin (the Promela model checker, Debian package 'spin') is not installed; "
          "the park/unpark handshake model was not checked")
  return()
endif()

# name | spin -D flags (comma-separated) | expect ("pass" or "reject")
set(_variants
  "real_2_producers|-DNPROD=2,-DROUNDS=2|pass"
  "real_3_producers|-DNPROD=3,-DROUNDS=2|pass"
  "broken_producer_load_first|-DNPROD=2,-DROUNDS=2,-DBROKEN_PRODUCER|reject"
  "broken_executor_load_first|-DNPROD=2,-DROUNDS=2,-DBROKEN_EXECUTOR|reject"
  "spin_then_park_2_producers|-DNPROD=2,-DROUNDS=2,-DSPIN=3|pass"
  "spin_then_park_timed|-DNPROD=2,-DROUNDS=2,-DSPIN=2,-DTIMED=2|pass"
  "broken_spin_no_recheck|-DNPROD=2,-DROUNDS=2,-DSPIN=2,-DBROKEN_SPIN|reject")

set(_failures "")
foreach(_v IN LISTS _variants)
  string(REPLACE "|" ";" _parts "${_v}")
  list(GET _parts 0 _name)
  list(GET _parts 1 _defs)
  list(GET _parts 2 _expect)
  string(REPLACE "," ";" _defs "${_defs}")
  set(_dir "${WORK_DIR}/${_name}")
  file(REMOVE_RECURSE "${_dir}")
  file(MAKE_DIRECTORY "${_dir}")

  execute_process(COMMAND "${SPIN}" -a ${_defs} "${MODEL}"
    WORKING_DIRECTORY "${_dir}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${_name}: spin -a failed (${_rc}):\n${_out}")
  endif()
  # SAFETY: assertions and end states only (no cycle detection needed).
  execute_process(COMMAND "${CC}" -O1 -w -DSAFETY -o pan pan.c
    WORKING_DIRECTORY "${_dir}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${_name}: compiling pan.c failed (${_rc}):\n${_out}")
  endif()
  execute_process(COMMAND "${_dir}/pan" -m100000
    WORKING_DIRECTORY "${_dir}" RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)

  string(REGEX MATCH "errors: ([0-9]+)" _m "${_out}")
  if(NOT _m)
    message(FATAL_ERROR "${_name}: pan printed no error count:\n${_out}")
  endif()
  set(_errors "${CMAKE_MATCH_1}")
  string(REGEX MATCH "([0-9]+) states, stored" _m "${_out}")
  set(_states "${CMAKE_MATCH_1}")
  if(_out MATCHES "max search depth too small")
    list(APPEND _failures "${_name}: search truncated (depth limit): the result proves nothing")
  elseif(_expect STREQUAL "pass")
    if(NOT _errors EQUAL 0)
      # Keep the counterexample trail readable in the log.
      execute_process(COMMAND "${SPIN}" -t -p ${_defs} "${MODEL}"
        WORKING_DIRECTORY "${_dir}" OUTPUT_VARIABLE _trail ERROR_VARIABLE _trail)
      list(APPEND _failures "${_name}: ${_errors} error(s): a lost wakeup is reachable\n${_out}\n${_trail}")
    elseif(NOT _out MATCHES "unreached in proctype Watchdog\n[\t ]*\\(0 of")
      # The end-state check must actually be reached, or the pass is vacuous.
      list(APPEND _failures "${_name}: the Watchdog's assertion was never reached:\n${_out}")
    else()
      message("${_name}: verified, no lost wakeup (${_states} states explored)")
    endif()
  else()
    if(_errors EQUAL 0 OR NOT _out MATCHES "assertion violated")
      list(APPEND _failures "${_name}: spin did NOT reject the broken handshake "
                            "(the model cannot tell good from bad):\n${_out}")
    else()
      message("${_name}: rejected as expected (lost wakeup found after ${_states} states)")
    endif()
  endif()
endforeach()

if(_failures)
  string(JOIN "\n" _text ${_failures})
  message(FATAL_ERROR "park/unpark handshake model:\n${_text}")
endif()
