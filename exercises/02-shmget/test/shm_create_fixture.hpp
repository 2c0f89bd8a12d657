// The fixture the visible and the hidden unit tests of 02-shmget share.
#pragma once

#include <sys/ipc.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "ipclab/testing.hpp"
#include "shm_create.hpp"

class ShmCreateBase : public ipclab::testing::IpcTest {
protected:
    // Calls create_segment where it must succeed; on any failure says which mistake it shows.
    int create_ok(key_t k, std::size_t size) {
        using ipclab::testing::msg;
        try {
            int id = create_segment(k, size);
            track(id);
            if (id == -1)
                ADD_FAILURE() << msg("returned_minus_one_for_free_key").with("size", size);
            return id;
        } catch (const ipclab::SysError& e) {
            // EINVAL on a valid size: the size shmget got was not the one asked for.
            if (e.error() == EINVAL) {
                ADD_FAILURE()
                    << msg("threw_einval_on_valid_size").with("size", size).with("what", e.what());
            } else {
                ADD_FAILURE() << msg("threw_on_free_key").with("size", size).with("what", e.what());
            }
            return -1;
        }
    }

    // Expects create_segment(k, size) to throw SysError("shmget") with errno err.
    void expect_shmget_error(key_t k, std::size_t size, int err) {
        using ipclab::testing::errno_name;
        using ipclab::testing::msg;
        int id = -2;
        try {
            id = create_segment(k, size);
        } catch (const ipclab::SysError& e) {
            EXPECT_EQ(e.call(), "shmget")
                << msg("syserror_wrong_call").with("call", "shmget").with("got", e.call());
            EXPECT_EQ(e.error(), err) << msg("shmget_wrong_errno")
                                             .with("size", size)
                                             .with("error", errno_name(err))
                                             .with("got", errno_name(e.error()));
            return;
        }
        track(id);
        if (id == -1) {
            ADD_FAILURE() << msg("returned_minus_one_instead_of_throwing")
                                 .with("size", size)
                                 .with("error", errno_name(err));
        } else {
            ADD_FAILURE() << msg("succeeded_instead_of_failing")
                                 .with("size", size)
                                 .with("shmid", id)
                                 .with("error", errno_name(err));
        }
    }
};
