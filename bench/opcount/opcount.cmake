# nx_add_opcount_driver(<target> <backend> [<compile definition>...])
#
# Builds bench/opcount/opcount.c (the command line) and opcount_ops.c (the
# operations) linked with nxrt and ONE allocator backend
# (target nxrt_backend_<backend>). Used by bench/opcount/CMakeLists.txt (one
# driver per backend) and by tests/tools/CMakeLists.txt (a test-only driver
# built with -DNX_OPCOUNT_PLANT_SLOWDOWN), so both build it the same way.
# Needs valgrind's client-request header (Debian package: valgrind).
# Counts the runtime without its debug asserts (see below).
include_guard(GLOBAL)

find_path(NX_VALGRIND_INCLUDE_DIR valgrind/callgrind.h)

function(nx_add_opcount_driver target backend)
  if(NOT NX_VALGRIND_INCLUDE_DIR)
    message(STATUS "nxrt: valgrind/callgrind.h not found (apt-get install valgrind); "
                   "not building ${target}")
    return()
  endif()
  if(NOT TARGET nxrt_backend_${backend})
    message(STATUS "nxrt: no target nxrt_backend_${backend}; not building ${target}")
    return()
  endif()
  string(TOUPPER "${CMAKE_BUILD_TYPE}" _type)
  # Recorded in the gate's baseline: instruction counts depend on these.
  string(STRIP "${CMAKE_BUILD_TYPE} ${CMAKE_C_FLAGS} ${CMAKE_C_FLAGS_${_type}}" _build)
  string(REGEX REPLACE " +" " " _build "${_build}")
  # The runtime as shipped, without NX_ASSERT (runtime/CMakeLists.txt,
  # nxrt_ndebug): in a build that keeps asserts the drivers link the NDEBUG
  # copy, listed first so it resolves every nx_ symbol.
  if(_build MATCHES "-DNDEBUG")
    set(_runtime nxrt)
  else()
    set(_runtime nxrt_ndebug)
    string(APPEND _build " (runtime -DNDEBUG)")
  endif()
  add_executable(${target} "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/opcount.c"
                           "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/opcount_ops.c")
  target_include_directories(${target} PRIVATE "${NX_VALGRIND_INCLUDE_DIR}")
  target_link_libraries(${target} PRIVATE ${_runtime} nxrt_backend_${backend})
  target_compile_definitions(${target} PRIVATE "NX_OPCOUNT_BUILD=\"${_build}\"" ${ARGN})
endfunction()
