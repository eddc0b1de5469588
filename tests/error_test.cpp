// SPDX-License-Identifier: MIT
#include <bgagent/core/error.hpp>
#include <cerrno>
#include <string>

#include "catch.hpp"

using bgagent::Error;
using bgagent::ErrorCode;

TEST_CASE("every error code has the name docs/errors.md uses", "[error]") {
  CHECK(bgagent::toString(ErrorCode::Cancelled) == "Cancelled");
  CHECK(bgagent::toString(ErrorCode::DeadlineExceeded) == "DeadlineExceeded");
  CHECK(bgagent::toString(ErrorCode::NotFound) == "NotFound");
  CHECK(bgagent::toString(ErrorCode::InvalidArgument) == "InvalidArgument");
  CHECK(bgagent::toString(ErrorCode::MalformedOutput) == "MalformedOutput");
  CHECK(bgagent::toString(ErrorCode::InvalidResult) == "InvalidResult");
  CHECK(bgagent::toString(ErrorCode::AgentFailed) == "AgentFailed");
  CHECK(bgagent::toString(ErrorCode::AgentKilled) == "AgentKilled");
  CHECK(bgagent::toString(ErrorCode::Io) == "Io");
  CHECK(bgagent::toString(ErrorCode::Internal) == "Internal");
}

TEST_CASE("an exception carries its error and uses the message as what()", "[error]") {
  Error error{ErrorCode::Io, "output file 'x': cannot open: No such file or directory", "x", 0, 2};
  bgagent::Exception exception(error);
  CHECK(std::string(exception.what()) == error.message);
  CHECK(exception.error() == error);
}

TEST_CASE("a file error names the file, what failed and the system's words", "[error]") {
  const Error withErrno = Error::ofFile(ErrorCode::Io, "a.out", "cannot write [RESULT]", ENOSPC);
  CHECK(withErrno.code == ErrorCode::Io);
  CHECK(withErrno.message == "output file 'a.out': cannot write [RESULT]: No space left on device");
  CHECK(withErrno.path == "a.out");
  CHECK(withErrno.systemError == ENOSPC);
  CHECK(withErrno.line == 0);

  const Error withoutErrno = Error::ofFile(ErrorCode::NotFound, "b.out", "was removed");
  CHECK(withoutErrno.message == "output file 'b.out': was removed");
  CHECK(withoutErrno.systemError == 0);
}

TEST_CASE("an errno picks the most specific code, and ofErrno reads the current one", "[error]") {
  CHECK(bgagent::errorCodeFor(ENOENT) == ErrorCode::NotFound);
  for (const int invalid : {EEXIST, EISDIR, ENOTDIR, ELOOP, ENAMETOOLONG}) {
    CHECK(bgagent::errorCodeFor(invalid) == ErrorCode::InvalidArgument);
  }
  CHECK(bgagent::errorCodeFor(EIO) == ErrorCode::Io);
  CHECK(bgagent::errorCodeFor(EACCES) == ErrorCode::Io);

  errno = EISDIR;
  const Error error = Error::ofErrno("dir", "cannot open");
  CHECK(error.code == ErrorCode::InvalidArgument);
  CHECK(error.systemError == EISDIR);
  CHECK(error.message == "output file 'dir': cannot open: Is a directory");
}
