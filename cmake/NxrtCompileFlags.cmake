# Warnings and sanitizer flags for every target in the tree (runtime, allocators,
# tests, bench), so no subdirectory can forget them.
#
# Sets NXRT_SANITIZE_FLAGS (a space-separated string) for consumers that build
# outside this project (the install test passes it to tests/install/).

add_compile_options(-Wall -Wextra)
if(NXRT_WERROR)
  add_compile_options(-Werror)
endif()

if(NXRT_SANITIZE STREQUAL "address")
  # ASan and UBSan together; any UBSan report aborts, so ctest sees a failure.
  set(_nxrt_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
elseif(NXRT_SANITIZE STREQUAL "thread")
  set(_nxrt_san -fsanitize=thread -fno-omit-frame-pointer)
elseif(NXRT_SANITIZE STREQUAL "none" OR NXRT_SANITIZE STREQUAL "")
  set(_nxrt_san "")
else()
  message(FATAL_ERROR "NXRT_SANITIZE must be none, address or thread (got '${NXRT_SANITIZE}')")
endif()

if(_nxrt_san)
  add_compile_options(${_nxrt_san})
  add_link_options(${_nxrt_san})
endif()
string(JOIN " " NXRT_SANITIZE_FLAGS ${_nxrt_san})
message(STATUS "nxrt: build type ${CMAKE_BUILD_TYPE}, sanitizer ${NXRT_SANITIZE}, Werror ${NXRT_WERROR}")
