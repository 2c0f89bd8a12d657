/* 04-shmdt, written C-style: no helper classes, the detach written out on each path. */
#include "shm_attach.hpp"

#include <errno.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "ipclab/error.hpp"

void* attach_segment(key_t key)
{
    int seg_id;
    void *where;

    seg_id = shmget(key, 0, 0);
    if (seg_id < 0)
        throw ipclab::SysError("shmget", errno);

    where = shmat(seg_id, NULL, 0);
    if (where == (void *)-1)
        throw ipclab::SysError("shmat", errno);
    return where;
}

void detach_segment(const void* addr)
{
    if (shmdt(addr) != 0)
        throw ipclab::SysError("shmdt", errno);
}

/* Reads and drops characters up to and including the next '\n' (or to the end). */
static void skip_line(std::istream& in)
{
    int c;
    do {
        c = in.get();
    } while (c != EOF && c != '\n');
}

void attach_session(key_t key, std::istream& in, std::ostream& out)
{
    void *where = attach_segment(key);

    try {
        out.write("attached\n", 9);
        out.flush();
        skip_line(in);
    } catch (...) {
        shmdt(where);                       /* do not stay attached on the way out */
        throw;
    }

    detach_segment(where);
    out.write("detached\n", 9);
    out.flush();

    while (in.get() != EOF) {
        /* wait, detached, until the input ends */
    }
}
