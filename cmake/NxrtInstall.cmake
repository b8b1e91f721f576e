# `cmake --install` rules for libnxrt: the static library, nxrt.h, a pkg-config
# file and a CMake package (find_package(nxrt) -> nxrt::nxrt). Everything here
# is in the install component "nxrt", so the install test can install exactly
# this even when other folders add install rules of their own.
include(CMakePackageConfigHelpers)

set(NXRT_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/nxrt")

install(TARGETS nxrt
  EXPORT nxrtTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT nxrt
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES "${PROJECT_SOURCE_DIR}/runtime/include/nxrt.h"
              "${PROJECT_SOURCE_DIR}/runtime/include/nxrt_services.h"
              "${PROJECT_SOURCE_DIR}/runtime/include/nxrt_net.h"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT nxrt)

install(EXPORT nxrtTargets
  NAMESPACE nxrt::
  FILE nxrtTargets.cmake
  DESTINATION "${NXRT_CMAKE_INSTALL_DIR}"
  COMPONENT nxrt)

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/nxrtConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/nxrtConfig.cmake"
  INSTALL_DESTINATION "${NXRT_CMAKE_INSTALL_DIR}")
# 0.x: only the same minor version is compatible.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/nxrtConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/nxrtConfig.cmake"
  "${PROJECT_BINARY_DIR}/nxrtConfigVersion.cmake"
  DESTINATION "${NXRT_CMAKE_INSTALL_DIR}"
  COMPONENT nxrt)

# pkg-config: libnxrt is static only, so the libraries it needs go in Libs
# (not Libs.private) and a plain `pkg-config --libs nxrt` links.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(NXRT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(NXRT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(NXRT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(NXRT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(NXRT_PC_LIBS "-pthread")
foreach(_lib IN LISTS CMAKE_DL_LIBS)
  string(APPEND NXRT_PC_LIBS " -l${_lib}")
endforeach()
# Two passes so the prefix written into the file is the one given to
# `cmake --install --prefix`, not the configure-time CMAKE_INSTALL_PREFIX: the
# first leaves a literal @prefix@, the install-time pass fills it.
set(NXRT_PC_PREFIX "@prefix@")
configure_file("${PROJECT_SOURCE_DIR}/cmake/nxrt.pc.in"
               "${PROJECT_BINARY_DIR}/nxrt.pc.in.configured" @ONLY)
install(CODE "
  set(prefix \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/nxrt.pc.in.configured\"
                 \"${PROJECT_BINARY_DIR}/nxrt.pc\" @ONLY)
" COMPONENT nxrt)
install(FILES "${PROJECT_BINARY_DIR}/nxrt.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig" COMPONENT nxrt)
