// 01-ftok, modern C++17: the failing case is an empty optional, turned into the lab's error.
#include "ftok_key.hpp"

#include <sys/ipc.h>

#include <optional>

#include "ipclab/error.hpp"

namespace {

// ftok without its sentinel: no key when it fails (errno then still holds the reason).
std::optional<key_t> derive(const std::string& file, int project) noexcept {
    const key_t k = ::ftok(file.c_str(), project);
    if (k == static_cast<key_t>(-1)) return std::nullopt;
    return k;
}

}  // namespace

key_t make_key(const std::string& path, int proj_id) {
    if (const auto key = derive(path, proj_id)) return *key;
    throw ipclab::SysError{"ftok"};
}
