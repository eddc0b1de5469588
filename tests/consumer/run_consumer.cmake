# SPDX-License-Identifier: MIT
# Configures, builds and runs one consumer project from scratch.
# Inputs: SOURCE_DIR, BINARY_DIR, EXECUTABLE, GENERATOR, CXX_COMPILER; optional PREFIX (for
# find_package), BGAGENT_SNIPPET (a README block the project includes), COPY_FROM (a folder
# copied to SOURCE_DIR first, as a user copies an example), CONSUMER_COMPILED (passed on to the
# project).
function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "consumer ${step} failed (${status}): ${ARGN}")
  endif()
endfunction()

file(REMOVE_RECURSE "${BINARY_DIR}")
if(COPY_FROM)
  file(REMOVE_RECURSE "${SOURCE_DIR}")
  file(COPY "${COPY_FROM}/" DESTINATION "${SOURCE_DIR}")
endif()

set(configure_args -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" -DCMAKE_BUILD_TYPE=Release)
if(PREFIX)
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${PREFIX}")
endif()
if(BGAGENT_SNIPPET)
  list(APPEND configure_args "-DBGAGENT_SNIPPET=${BGAGENT_SNIPPET}")
endif()

if(CONSUMER_COMPILED)
  list(APPEND configure_args "-DCONSUMER_COMPILED=${CONSUMER_COMPILED}")
endif()

run(configure "${CMAKE_COMMAND}" ${configure_args})
run(build "${CMAKE_COMMAND}" --build "${BINARY_DIR}")
run(run "${BINARY_DIR}/${EXECUTABLE}")
