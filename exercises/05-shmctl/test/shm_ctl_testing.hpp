// What the visible and the hidden unit tests of 05-shmctl share.
#pragma once

#include <sys/shm.h>

#include <cerrno>

#include "ipclab/testing.hpp"

// The kernel's own record, for comparing; fails the test when the segment is gone.
inline shmid_ds kernel_stat(int shmid) {
    using ipclab::testing::errno_name;
    using ipclab::testing::msg;
    shmid_ds ds{};
    bool ok = ipclab::testing::stat_segment(shmid, ds);
    int err = errno;
    EXPECT_TRUE(ok)
        << msg("kernel_stat_failed").with("shmid", shmid).with("error", errno_name(err));
    return ds;
}
