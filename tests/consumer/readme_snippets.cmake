# SPDX-License-Identifier: MIT
# The README's CMake snippets, as users paste them: extracts the FetchContent and find_package
# blocks from README.md into files the consumer projects include, and makes the release the
# FetchContent block names: a git repository of this source tree with the tag v<version>, the
# version read from include/bgagent/core/version.hpp. The one change made to the text is the
# repository placeholder, replaced by that repository's path.
# Inputs: SOURCE_DIR (bgagent's tree), WORK (output folder), GIT_EXECUTABLE.
include("${SOURCE_DIR}/cmake/BgagentVersion.cmake")
file(READ "${SOURCE_DIR}/README.md" readme)

# The ```cmake block right after a README line that ends with <intro>.
function(extract_block intro output)
  string(FIND "${readme}" "${intro}\n\n```cmake\n" start)
  if(start EQUAL -1)
    message(FATAL_ERROR "README.md has no ```cmake block after '${intro}'")
  endif()
  string(LENGTH "${intro}\n\n```cmake\n" skip)
  math(EXPR start "${start} + ${skip}")
  string(SUBSTRING "${readme}" ${start} -1 rest)
  string(FIND "${rest}" "```" end)
  string(SUBSTRING "${rest}" 0 ${end} block)
  set(${output} "${block}" PARENT_SCOPE)
endfunction()

function(git)
  execute_process(COMMAND "${GIT_EXECUTABLE}" -c user.name=bgagent-tests
    -c user.email=tests@bgagent.invalid -c init.defaultBranch=main ${ARGN}
    RESULT_VARIABLE status OUTPUT_QUIET)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "git ${ARGN} failed (${status})")
  endif()
endfunction()

extract_block("With FetchContent:" fetch_content)
extract_block("then found with:" find_package)
if(NOT fetch_content MATCHES "<bgagent repository>")
  message(FATAL_ERROR
    "the README's FetchContent block has no '<bgagent repository>':\n${fetch_content}")
endif()

# The release: this tree as committed, plus what is not committed yet (not what .gitignore
# hides, such as build/), tagged as the README's GIT_TAG must name it.
set(repository "${WORK}/bgagent.git")
file(REMOVE_RECURSE "${repository}")
git(init -q "${repository}")
set(into_release "--git-dir=${repository}/.git" "--work-tree=${SOURCE_DIR}")
git(${into_release} add -A)
git(${into_release} commit -q -m "bgagent ${BGAGENT_VERSION}")
git(${into_release} tag "v${BGAGENT_VERSION}")

string(REPLACE "<bgagent repository>" "${repository}" fetch_content "${fetch_content}")
file(WRITE "${WORK}/readme_fetch_content.cmake" "${fetch_content}")
file(WRITE "${WORK}/readme_find_package.cmake" "${find_package}")
message(STATUS
  "README snippets for bgagent ${BGAGENT_VERSION}, release v${BGAGENT_VERSION} in ${repository}")
