// SPDX-License-Identifier: MIT
// bgagent/protocol/detail/read_buffer.hpp: the buffer OutputFile reads into. One 64 KiB buffer per
// thread serves every OutputFile, so ten thousand watched files do not cost 64 KiB each; a
// nested use (an event handler reading another file) gets a buffer of its own.
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/config.hpp>
#include <cstddef>
#include <memory>

namespace bgagent::detail {

class ReadBuffer {
 public:
  static constexpr std::size_t kSize = std::size_t{64} * 1024;

  ReadBuffer();
  ~ReadBuffer();
  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;
  ReadBuffer(ReadBuffer&&) = delete;
  ReadBuffer& operator=(ReadBuffer&&) = delete;

  char* data() noexcept { return data_; }
  static constexpr std::size_t size() noexcept { return kSize; }

 private:
  static char* shared();
  static bool& inUse();

  std::unique_ptr<char[]> owned_;
  char* data_ = nullptr;
};

}  // namespace bgagent::detail

#if BGAGENT_INCLUDE_BODIES
#include <bgagent/protocol/detail/read_buffer_inl.hpp>
#endif
