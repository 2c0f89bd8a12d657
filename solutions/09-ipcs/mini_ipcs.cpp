// 09-ipcs — reference solution.
#include "mini_ipcs.hpp"

#include <pwd.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ipclab/error.hpp"

std::vector<ShmRow> list_segments() {
    // SHM_INFO fills a struct shm_info through the shmid_ds pointer and returns the highest
    // index in use: ids are not indexes (an id is index + 32768 * reuse count).
    shm_info info{};
    int highest = shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&info));
    if (highest == -1) throw ipclab::SysError("shmctl");

    std::vector<ShmRow> rows;
    for (int index = 0; index <= highest; ++index) {
        shmid_ds ds{};
        // SHM_STAT_ANY (Linux >= 4.17), not SHM_STAT: ipcs reads /proc/sysvipc/shm, which lists
        // every segment, also those we may not read (mode 0000, another user's 0600); SHM_STAT
        // would fail on them with EACCES and they would be missing from the table.
        int shmid = shmctl(index, SHM_STAT_ANY, &ds);
        if (shmid == -1) {
            if (errno == EINVAL) continue;  // a free index
            throw ipclab::SysError("shmctl");
        }
        rows.push_back(ShmRow{ds.shm_perm.__key, shmid, ds.shm_perm.uid, ds.shm_perm.mode,
                              ds.shm_segsz, static_cast<unsigned long>(ds.shm_nattch)});
    }
    return rows;
}

std::string format_row(const ShmRow& row) {
    std::string owner;
    if (const passwd* pw = getpwuid(row.uid)) {
        owner = pw->pw_name;
    } else {
        owner = std::to_string(row.uid);
    }
    // The same format as util-linux's ipcs (do_shm), so the columns line up identically: the
    // owner's name is cut at 10 characters (%-10.10s), a uid is printed whole (%-10u).
    char line[256];
    std::snprintf(line, sizeof line, "0x%08x %-10d %-10.10s %-10o %-10zu %-10lu %-6s %-6s",
                  static_cast<unsigned>(row.key), row.shmid, owner.c_str(), row.mode & 0777u,
                  row.bytes, row.nattch, (row.mode & SHM_DEST) ? "dest" : " ",
                  (row.mode & SHM_LOCKED) ? "locked" : " ");
    return line;
}

key_t parse_key(const std::string& text) {
    // Base 0, as ipcrm: 0x... hexadecimal, 0... octal, otherwise decimal. Nothing else: glibc
    // >= 2.38 (C23, and g++ defines _GNU_SOURCE) also reads 0b101 as binary in base 0, which
    // the statement excludes, so a 0b/0B prefix is refused before strtoull sees it.
    const bool starts_with_digit = !text.empty() && text[0] >= '0' && text[0] <= '9';
    const bool binary = text.size() >= 2 && text[0] == '0' && (text[1] == 'b' || text[1] == 'B');
    if (binary) throw ipclab::UsageError("failed to parse argument: '" + text + "'");
    errno = 0;
    char* end = nullptr;
    unsigned long long value = starts_with_digit ? std::strtoull(text.c_str(), &end, 0) : 0;
    if (!starts_with_digit || *end != '\0' || errno == ERANGE || value > UINT32_MAX) {
        throw ipclab::UsageError("failed to parse argument: '" + text + "'");
    }
    return static_cast<key_t>(static_cast<std::uint32_t>(value));
}

void remove_id(int shmid) {
    if (shmctl(shmid, IPC_RMID, nullptr) == -1) throw ipclab::SysError("shmctl");
}

void remove_key(key_t key) {
    int shmid = shmget(key, 0, 0);
    if (shmid == -1) throw ipclab::SysError("shmget");
    remove_id(shmid);
}
