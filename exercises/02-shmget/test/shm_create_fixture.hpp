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
        try {
            int id = create_segment(k, size);
            track(id);
            if (id == -1) {
                ADD_FAILURE() << "create_segment(key, " << size << ") returned -1 for a free key "
                              << "and a valid size: it must return the new shmid, and throw "
                                 "ipclab::SysError(\"shmget\") rather than ever return -1";
            }
            return id;
        } catch (const ipclab::SysError& e) {
            ADD_FAILURE() << "create_segment(key, " << size << ") threw '" << e.what()
                          << "' although the key is free and the size valid"
                          << (e.error() == EINVAL ? ": did you pass size 0 (or a wrong size) "
                                                    "to shmget instead of size?"
                                                  : "");
            return -1;
        }
    }

    // Expects create_segment to throw SysError("shmget") with errno err.
    void expect_shmget_error(key_t k, std::size_t size, int err, const std::string& why) {
        int id = -2;
        try {
            id = create_segment(k, size);
        } catch (const ipclab::SysError& e) {
            EXPECT_EQ(e.call(), "shmget") << "the error must name the failing call, shmget";
            EXPECT_EQ(e.error(), err) << why << ": expected " << std::strerror(err) << ", got "
                                      << std::strerror(e.error());
            return;
        }
        track(id);
        if (id == -1) {
            ADD_FAILURE() << "create_segment returned -1 instead of throwing: check shmget's "
                             "result and throw ipclab::SysError(\"shmget\") when it is -1 ("
                          << why << ")";
        } else {
            ADD_FAILURE() << "create_segment returned shmid " << id << " but should have failed "
                          << "with shmget: " << std::strerror(err) << " (" << why << ")";
        }
    }
};
