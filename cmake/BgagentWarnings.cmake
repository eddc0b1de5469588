# SPDX-License-Identifier: MIT
# Warnings for bgagent's own targets (tests, examples, benchmarks), never for the INTERFACE
# target: a consumer's flags are the consumer's business.
option(BGAGENT_WARNINGS_AS_ERRORS "Treat warnings in bgagent's own targets as errors" OFF)

add_library(bgagent_warnings INTERFACE)
target_compile_options(bgagent_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
  $<$<BOOL:${BGAGENT_WARNINGS_AS_ERRORS}>:-Werror>)
