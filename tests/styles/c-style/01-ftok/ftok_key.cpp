/* 01-ftok, written C-style: a plain function, C headers, one exit path per outcome. */
#include "ftok_key.hpp"

#include <errno.h>
#include <sys/ipc.h>
#include <sys/types.h>

#include "ipclab/error.hpp"

key_t make_key(const std::string& path, int proj_id)
{
    const char *file_name = path.c_str();
    key_t k;

    k = ftok(file_name, proj_id);
    if (k != (key_t)-1)
        return k;

    /* errno is still ftok's here: nothing has been called since. */
    throw ipclab::SysError("ftok", errno);
}
