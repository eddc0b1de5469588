// SPDX-License-Identifier: MIT
// bgagent/core/detail/file_system_inl.hpp: the bodies of file_system.hpp's functions (inline in
// header-only mode, built once in src/bgagent.cpp in compiled mode; core/detail/config.hpp).
// IWYU pragma: private, include <bgagent/bgagent.hpp>
#pragma once

#include <bgagent/core/detail/file_system.hpp>
// What the bodies use besides their header:
#include <sys/vfs.h>

#include <string>

namespace bgagent::detail {

BGAGENT_INLINE bool inotifySeesEveryWrite(const std::string& directory) {
  struct statfs info {};
  if (::statfs(directory.c_str(), &info) != 0) return false;
  switch (static_cast<unsigned long>(info.f_type)) {
    case 0x6969UL:      // NFS
    case 0x517BUL:      // SMB
    case 0xFF534D42UL:  // CIFS
    case 0xFE534D42UL:  // SMB2
    case 0x65735546UL:  // FUSE
    case 0x01021997UL:  // 9P
    case 0x00C36400UL:  // Ceph
    case 0x5346414FUL:  // AFS
      return false;
    default:
      return true;
  }
}

}  // namespace bgagent::detail
