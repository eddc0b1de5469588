# SPDX-License-Identifier: MIT
# Installs the configured build tree BUILD_DIR into a fresh PREFIX.
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "install to '${PREFIX}' failed: ${status}")
endif()
foreach(installed IN ITEMS include/bgagent/bgagent.hpp share/doc/bgagent/LICENSE
    share/pkgconfig/bgagent.pc)
  if(NOT EXISTS "${PREFIX}/${installed}")
    message(FATAL_ERROR "install to '${PREFIX}' did not install ${installed}")
  endif()
endforeach()
