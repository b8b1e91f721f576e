# ctest script (label "install"): proves an installed nxrt is usable by another
# project. Run with cmake -P; every failure is a FATAL_ERROR naming the step.
#   1. `cmake --install` the build tree (component nxrt) into WORK_DIR/prefix
#   2. configure + build tests/install with find_package(nxrt), run it
#   3. compile tests/install/main.c with `pkg-config --cflags --libs nxrt`, run it
#   4. compile the README's C example the same way, run it
# Inputs (-D): NXRT_SOURCE_DIR NXRT_BINARY_DIR WORK_DIR C_COMPILER BUILD_TYPE
#              EXTRA_FLAGS (sanitizer flags, space separated) WERROR

foreach(_v NXRT_SOURCE_DIR NXRT_BINARY_DIR WORK_DIR C_COMPILER)
  if(NOT ${_v})
    message(FATAL_ERROR "NxrtInstallTest.cmake: -D${_v}=... is required")
  endif()
endforeach()

set(PREFIX "${WORK_DIR}/prefix")
set(CONSUMER_BUILD "${WORK_DIR}/consumer-build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

separate_arguments(_extra UNIX_COMMAND "${EXTRA_FLAGS}")
set(_warn -std=c11 -Wall -Wextra)
if(WERROR)
  list(APPEND _warn -Werror)
endif()

function(step name)
  message(STATUS "install test: ${name}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install test: step '${name}' failed (${rc}): ${ARGN}")
  endif()
endfunction()

step("cmake --install into ${PREFIX}"
  "${CMAKE_COMMAND}" --install "${NXRT_BINARY_DIR}" --prefix "${PREFIX}" --component nxrt)

file(GLOB_RECURSE _installed RELATIVE "${PREFIX}" "${PREFIX}/*")
message(STATUS "install test: installed files: ${_installed}")
foreach(_want "libnxrt.a" "include/nxrt.h" "pkgconfig/nxrt.pc" "cmake/nxrt/nxrtConfig.cmake"
              "cmake/nxrt/nxrtConfigVersion.cmake" "cmake/nxrt/nxrtTargets.cmake")
  string(REGEX MATCH "(^|/)${_want}(;|$)" _hit "${_installed}")
  if(NOT _hit)
    message(FATAL_ERROR "install test: ${_want} was not installed under ${PREFIX}")
  endif()
endforeach()

# --- find_package(nxrt) ----------------------------------------------------
string(JOIN " " _cflags ${_warn} ${_extra})
step("configure tests/install with find_package(nxrt)"
  "${CMAKE_COMMAND}" -S "${NXRT_SOURCE_DIR}/tests/install" -B "${CONSUMER_BUILD}"
    "-DCMAKE_PREFIX_PATH=${PREFIX}"
    "-DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON"
    "-DCMAKE_C_COMPILER=${C_COMPILER}"
    "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}"
    "-DCMAKE_C_FLAGS=${_cflags}"
    "-DCMAKE_EXE_LINKER_FLAGS=${EXTRA_FLAGS}"
    "-DNXRT_EXPECTED_PREFIX=${PREFIX}")
step("build tests/install" "${CMAKE_COMMAND}" --build "${CONSUMER_BUILD}")
step("run the find_package consumer" "${CONSUMER_BUILD}/nxrt_consumer")

# --- pkg-config --------------------------------------------------------------
file(GLOB_RECURSE _pc "${PREFIX}/*/pkgconfig/nxrt.pc")
get_filename_component(_pcdir "${_pc}" DIRECTORY)
set(ENV{PKG_CONFIG_PATH} "${_pcdir}")
execute_process(COMMAND pkg-config --cflags --libs nxrt
  OUTPUT_VARIABLE _pkg OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install test: `pkg-config --cflags --libs nxrt` failed (${rc}) with PKG_CONFIG_PATH=${_pcdir}")
endif()
message(STATUS "install test: pkg-config --cflags --libs nxrt = ${_pkg}")
string(FIND "${_pkg}" "${PREFIX}" _at)
if(_at EQUAL -1)
  message(FATAL_ERROR "install test: pkg-config flags do not point into ${PREFIX}: ${_pkg}")
endif()
separate_arguments(_pkg_list UNIX_COMMAND "${_pkg}")

step("compile tests/install/main.c via pkg-config"
  "${C_COMPILER}" ${_warn} ${_extra} "${NXRT_SOURCE_DIR}/tests/install/main.c"
    -o "${WORK_DIR}/consumer_pkgconfig" ${_pkg_list})
step("run the pkg-config consumer" "${WORK_DIR}/consumer_pkgconfig")

# --- the README example --------------------------------------------------------
# The first ```c block of README.md must be a whole program that exits 0.
file(READ "${NXRT_SOURCE_DIR}/README.md" _readme)
string(REGEX MATCH "```c\n(.*)" _tail "${_readme}")
if(NOT _tail)
  message(FATAL_ERROR "install test: README.md has no ```c block")
endif()
string(FIND "${CMAKE_MATCH_1}" "```" _end)
string(SUBSTRING "${CMAKE_MATCH_1}" 0 ${_end} _example)
file(WRITE "${WORK_DIR}/readme_example.c" "${_example}")
step("compile the README example via pkg-config"
  "${C_COMPILER}" ${_warn} ${_extra} "${WORK_DIR}/readme_example.c"
    -o "${WORK_DIR}/readme_example" ${_pkg_list})
step("run the README example" "${WORK_DIR}/readme_example")
message(STATUS "install test: all steps passed")
