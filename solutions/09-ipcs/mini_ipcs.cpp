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
        int shmid = shmctl(index, SHM_STAT, &ds);
        if (shmid == -1) {
            // A free slot, or a segment we may not read: ipcs leaves both out.
            if (errno == EINVAL || errno == EACCES) continue;
            throw ipclab::SysError("shmctl");
        }
        rows.push_back(ShmRow{ds.shm_perm.__key, shmid, ds.shm_perm.uid, ds.shm_perm.mode,
                              ds.shm_segsz, static_cast<unsigned long>(ds.shm_nattch)});
    }
    return rows;
}

std::string format_row(const ShmRow& row) {
    char owner[32];
    if (const passwd* pw = getpwuid(row.uid)) {
        std::snprintf(owner, sizeof owner, "%s", pw->pw_name);
    } else {
        std::snprintf(owner, sizeof owner, "%u", static_cast<unsigned>(row.uid));
    }
    // The same format as util-linux's ipcs (do_shm), so the columns line up identically.
    char line[256];
    std::snprintf(line, sizeof line, "0x%08x %-10d %-10.32s %-10o %-10zu %-10lu %-6s %-6s",
                  static_cast<unsigned>(row.key), row.shmid, owner, row.mode & 0777u, row.bytes,
                  row.nattch, (row.mode & SHM_DEST) ? "dest" : " ",
                  (row.mode & SHM_LOCKED) ? "locked" : " ");
    return line;
}

key_t parse_key(const std::string& text) {
    // Base 0, as ipcrm: 0x... hexadecimal, 0... octal, otherwise decimal.
    const bool starts_with_digit = !text.empty() && text[0] >= '0' && text[0] <= '9';
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
